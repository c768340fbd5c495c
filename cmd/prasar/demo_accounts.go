package main

import (
	"context"
	"fmt"
	"time"

	"github.com/prasar/prasar/publisher"
)

// The demo's token alerts: two of the Health department's sandbox accounts
// are left in the states the token lifecycle reports, so that the accounts
// page, the notifications bell and the nodal officer's e-mail have
// something to show from the start.

// demoAlertOrg is the organisation whose accounts show the alerts.
const demoAlertOrg = "HEALTH"

// demoExpiringIn is how long the demo's expiring token has left.
const demoExpiringIn = 3 * 24 * time.Hour

// seedDemoTokenAlerts marks the organisation's X account as needing
// reconnection (as if its grant had been revoked in X's settings), and
// gives its LinkedIn Page a token that expires in three days with no
// refresh token (LinkedIn gives those to approved partners only). The token
// job notices both at its first run and notifies the department.
func seedDemoTokenAlerts(ctx context.Context, store publisher.Store, svc *publisher.Service, minter tokenMinter, ids map[string]string) error {
	orgID := ids[demoAlertOrg]
	if orgID == "" {
		return nil
	}
	find := func(p publisher.Platform) (*publisher.Account, error) {
		if svc.Connector(p) == nil {
			return nil, nil
		}
		as, err := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: orgID, Platform: p})
		if err != nil || len(as) == 0 {
			return nil, err
		}
		return as[0], nil
	}
	xa, err := find(publisher.X)
	if err != nil {
		return fmt.Errorf("demo token alerts: %w", err)
	}
	if xa != nil && xa.Status == publisher.AccountConnected {
		if _, err := store.UpdateAccountCredentials(ctx, xa.ID, publisher.CredentialsUpdate{OldSecret: xa.Secret, Secret: xa.Secret,
			TokenExpiresAt: xa.TokenExpiresAt, Status: publisher.AccountNeedsReconnect, At: time.Now().UTC(),
			StatusReason: "X refused the token (401 Unauthorized): access was revoked in the account's X settings. Reconnect the account."}); err != nil {
			return fmt.Errorf("demo token alerts: %w", err)
		}
	}
	li, err := find(publisher.LinkedIn)
	if err != nil {
		return fmt.Errorf("demo token alerts: %w", err)
	}
	if li != nil && li.Status == publisher.AccountConnected {
		exp := time.Now().Add(demoExpiringIn).UTC().Truncate(time.Second)
		cred := publisher.Credentials{AccessToken: minter.MintToken(string(publisher.LinkedIn), li.ExternalID, li.DisplayName, demoExpiringIn), ExpiresAt: &exp}
		if _, err := svc.SaveAccount(ctx, publisher.AccountInput{OrgID: li.OrgID, Platform: li.Platform, Handle: li.Handle, DisplayName: li.DisplayName,
			ExternalID: li.ExternalID, ProfileURL: li.ProfileURL, Sandbox: li.Sandbox, Credentials: &cred, Scopes: li.Scopes}); err != nil {
			return fmt.Errorf("demo token alerts: %w", err)
		}
	}
	return nil
}

// shortVariants is the text of a demo post for the platforms whose limit
// the Hindi and English bodies together exceed (X's 280 weighted
// characters, Bluesky's 300 graphemes).
func shortVariants(text string) map[publisher.Platform]publisher.Variant {
	return map[publisher.Platform]publisher.Variant{publisher.X: {Text: text}, publisher.Bluesky: {Text: text}}
}
