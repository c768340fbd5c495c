package publisher_test

import (
	"context"
	"testing"

	"github.com/prasar/prasar/publisher"
)

// Connecting an account that the registry already has (registered before
// anyone connected it) adopts the registered account instead of making a
// second one.

// register records an account in the registry as u, with registry details.
func (e *connEnv) register(u *publisher.User, org *publisher.Organisation, p publisher.Platform, handle string) *publisher.RegistryAccount {
	e.t.Helper()
	ra, err := e.svc.RegisterAccount(as(u), publisher.RegisterAccountInput{OrgID: org.ID, Platform: p, Handle: handle,
		ProfileURL: "https://registry.example/" + handle, DisplayName: "Registered " + handle,
		AccountProfileInput: publisher.AccountProfileInput{Verification: publisher.VerificationVerified, Badge: "grey",
			TwoFactor: publisher.TwoFactorEnabled, RecoveryEmail: "social.agri@hry.gov.in", Notes: "Recovery phone with the nodal officer."}})
	if err != nil {
		e.t.Fatal(err)
	}
	if ra.Status != publisher.AccountDisconnected || ra.ExternalID != publisher.RegistryExternalID(handle) {
		e.t.Fatalf("registered %+v, want a disconnected account with the placeholder id", ra.Account)
	}
	return ra
}

// wantAdopted checks that the registered account reg became the connected
// account got: the same id, the platform's id and credentials, the
// registry's details kept, and no second account of the platform.
func (e *connEnv) wantAdopted(reg *publisher.RegistryAccount, got *publisher.Account, externalID string) {
	e.t.Helper()
	ctx := context.Background()
	if got.ID != reg.ID || got.ExternalID != externalID || got.Status != publisher.AccountConnected || got.OrgID != reg.OrgID {
		e.t.Fatalf("connected %+v; want the registered account %s with external id %s, connected", got, reg.ID, externalID)
	}
	if _, cred := e.credentials(got.ID); cred.AccessToken == "" {
		e.t.Error("the adopted account has no credentials")
	}
	accts, err := e.store.ListAccounts(ctx, publisher.AccountFilter{OrgID: reg.OrgID, Platform: reg.Platform})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(accts) != 1 {
		e.t.Errorf("the organisation has %d %s accounts after connecting, want the registered one only", len(accts), reg.Platform)
	}
	ps, err := e.store.ListAccountProfiles(ctx, []string{got.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Verification != publisher.VerificationVerified || ps[0].TwoFactor != publisher.TwoFactorEnabled ||
		ps[0].RecoveryEmail != "social.agri@hry.gov.in" || ps[0].Badge != "grey" || ps[0].Notes == "" {
		e.t.Errorf("registry details after connecting = %+v, want those registered", ps)
	}
	page, err := e.svc.RegistryOrg(as(e.admin), reg.OrgID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ra := range page.Accounts {
		if ra.ID == got.ID && (!ra.Working || ra.Profile.Verification != publisher.VerificationVerified) {
			e.t.Errorf("the registry shows %+v / %+v, want it working and verified", ra.Account, ra.Profile)
		}
	}
}

func TestConnectAdoptsTheRegisteredAccount(t *testing.T) {
	e := newConnEnv(t)
	ctx := context.Background()
	// Registered by the administrators as "@agrihry"; X grants "AgriHry".
	reg := e.register(e.admin, e.org, publisher.X, "@agrihry")
	// A post went to it before it was connected: its delivery waits.
	p := newPost(t, e.svc, e.editor, e.admin, reg.Account)
	if err := e.svc.Fanout(ctx, p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	ds, _, err := e.store.ListDeliveries(ctx, publisher.DeliveryFilter{PostID: p.ID})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v %v", ds, err)
	}
	if err := e.svc.Deliver(ctx, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.store.GetDelivery(ctx, ds[0].ID); d.Status != publisher.DeliveryNeedsReconnect {
		t.Fatalf("delivery to the unconnected account = %s, want needs_reconnect", d.Status)
	}

	got := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	e.wantAdopted(reg, got, "2244994945")
	if got.Handle != "AgriHry" || got.DisplayName != "Agriculture Haryana" || got.ProfileURL != "https://x.example/AgriHry" {
		t.Errorf("adopted account shows %q %q %q, want the platform's handle, name and address", got.Handle, got.DisplayName, got.ProfileURL)
	}
	if d, _ := e.store.GetDelivery(ctx, ds[0].ID); d.Status != publisher.DeliveryQueued {
		t.Errorf("the waiting delivery is %s after the account was connected, want queued", d.Status)
	}
	events, _ := e.store.ListAudit(ctx, publisher.AuditFilter{ObjectID: reg.ID})
	if !hasAudit(events, "account.adopt_registered", e.editor.ID) || !hasAudit(events, "account.connect", e.editor.ID) {
		t.Errorf("audit of the account: %+v", events)
	}
	// Connecting again updates the same account (by its real id now).
	again := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	e.wantAdopted(reg, again, "2244994945")
}

func TestConnectAdoptsTheRegisteredAccountItIsAskedToConnect(t *testing.T) {
	e := newConnEnv(t)
	// The accounts page's button on the registered account: a target.
	reg := e.register(e.editor, e.org, publisher.X, "AgriHry")
	got := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{AccountID: reg.ID})
	e.wantAdopted(reg, got, "2244994945")

	// A sign-in as another account is still refused.
	reg2 := e.register(e.admin, e.org, publisher.Telegram, "@krishi_news")
	_, err := e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{AccountID: reg2.ID,
		Values: map[string]string{"bot_token": "123:SECRET-bot-token", "channel": "@other"}})
	wantReason(t, err, publisher.ConnectReasonMismatch)
	// The credential form for the registered channel (another case of the
	// handle) adopts it, with a target and without one.
	got, err = e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{AccountID: reg2.ID,
		Values: map[string]string{"bot_token": "123:SECRET-bot-token", "channel": "@Krishi_News"}})
	if err != nil {
		t.Fatal(err)
	}
	e.wantAdopted(reg2, got, "-1001Krishi_News")

	reg3 := e.register(e.admin, e.org, publisher.Telegram, "mandi_bhav")
	got, err = e.svc.ConnectWithCredentials(as(e.editor), publisher.Telegram, publisher.CredentialsInput{
		Values: map[string]string{"bot_token": "123:SECRET-bot-token", "channel": "@mandi_bhav"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != reg3.ID || got.ExternalID != "-1001mandi_bhav" {
		t.Errorf("the form without a target connected %+v, want the registered %s", got, reg3.ID)
	}
}

func TestConnectShowsAndAdoptsRegisteredAccountsInTheSelection(t *testing.T) {
	e := newConnEnv(t)
	reg := e.register(e.admin, e.org, publisher.X, "@AgriHry")
	theirs := e.register(e.admin, e.otherOrg, publisher.X, "HealthHry")
	e.x.grants = append(e.x.grants, publisher.GrantedAccount{ExternalID: "777", Handle: "healthhry", DisplayName: "Health Haryana"},
		publisher.GrantedAccount{ExternalID: "888", Handle: "KisanHry", DisplayName: "Kisan Haryana"})
	state := stateOf(t, mustStart(t, e.svc, e.editor, e.sessEditor, publisher.X))
	res, err := e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: e.x.approve(t, state)})
	if err != nil || res.Selection == nil {
		t.Fatalf("three accounts granted: %+v, %v; want a selection", res, err)
	}
	byID := map[string]publisher.SelectableAccount{}
	for _, a := range res.Selection.Accounts {
		byID[a.ExternalID] = a
	}
	if a := byID["2244994945"]; !a.Registered || a.Problem != "" {
		t.Errorf("the account registered to the organisation: %+v, want registered and selectable", a)
	}
	if a := byID["777"]; a.Problem == "" {
		t.Errorf("the account registered to another organisation: %+v, want a problem", a)
	}
	if a := byID["888"]; a.Registered || a.Problem != "" {
		t.Errorf("an account the registry does not know: %+v, want new and selectable", a)
	}
	_, err = e.svc.CompleteSelection(as(e.editor), e.sessEditor, res.Selection.ID, []string{"777"})
	wantField(t, err, "externalIds", "invalid_choice")
	done, err := e.svc.CompleteSelection(as(e.editor), e.sessEditor, res.Selection.ID, []string{"2244994945", "888"})
	if err != nil || len(done.Accounts) != 2 {
		t.Fatalf("CompleteSelection = %+v, %v", done, err)
	}
	if done.Accounts[0].ID != reg.ID || done.Accounts[1].ID == reg.ID {
		t.Errorf("connected %s and %s; want the registered %s and a new one", done.Accounts[0].ID, done.Accounts[1].ID, reg.ID)
	}
	xs, _ := e.store.ListAccounts(context.Background(), publisher.AccountFilter{OrgID: e.org.ID, Platform: publisher.X})
	if len(xs) != 2 {
		t.Errorf("the organisation has %d X accounts, want 2 (the registered one, connected, and the new one)", len(xs))
	}
	if a, _ := e.store.GetAccount(context.Background(), theirs.ID); a.ExternalID != theirs.ExternalID || a.Status != publisher.AccountDisconnected {
		t.Errorf("the other organisation's registered account changed: %+v", a)
	}
}

func TestConnectRefusesAHandleRegisteredToAnotherOrganisation(t *testing.T) {
	e := newConnEnv(t)
	theirs := e.register(e.admin, e.otherOrg, publisher.X, "agrihry")
	state := stateOf(t, mustStart(t, e.svc, e.editor, e.sessEditor, publisher.X))
	_, err := e.svc.CompleteConnect(as(e.editor), e.sessEditor, publisher.X, publisher.OAuthCallback{State: state, Code: e.x.approve(t, state)})
	wantReason(t, err, publisher.ConnectReasonUnusable)
	if xs, _ := e.store.ListAccounts(context.Background(), publisher.AccountFilter{OrgID: e.org.ID, Platform: publisher.X}); len(xs) != 0 {
		t.Errorf("the refused connection made %d accounts", len(xs))
	}
	// SaveAccount itself refuses it too (the form and the selection reach it).
	_, err = e.svc.SaveAccount(as(e.admin), publisher.AccountInput{OrgID: e.org.ID, Platform: publisher.X, Handle: "@AgriHry", ExternalID: "2244994945",
		Credentials: &publisher.Credentials{AccessToken: "SECRET-x"}})
	wantField(t, err, "handle", "taken")
	if a, _ := e.store.GetAccount(context.Background(), theirs.ID); a.ExternalID != theirs.ExternalID || a.OrgID != e.otherOrg.ID {
		t.Errorf("the other organisation's registered account changed: %+v", a)
	}
}
