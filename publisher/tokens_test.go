package publisher_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// deliverOne publishes one post to the account and returns the delivery.
func (e *connEnv) deliverOne(acct *publisher.Account) *publisher.Delivery {
	e.t.Helper()
	p := newPost(e.t, e.svc, e.editor, e.admin, acct)
	if err := e.svc.Fanout(context.Background(), p.ID, p.Revision); err != nil {
		e.t.Fatal(err)
	}
	ds, _, err := e.store.ListDeliveries(context.Background(), publisher.DeliveryFilter{PostID: p.ID})
	if err != nil || len(ds) != 1 {
		e.t.Fatalf("deliveries %v %v", ds, err)
	}
	_ = e.svc.Deliver(context.Background(), ds[0].ID)
	d, err := e.store.GetDelivery(context.Background(), ds[0].ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func TestRefreshRotationIsStoredBeforeUse(t *testing.T) {
	e := newConnEnv(t)
	acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	_, first := e.credentials(acct.ID)
	// Every publish checks that the token it is given is the one stored.
	var checked int
	e.x.onPublish = func(a *publisher.Account, cred publisher.Credentials) {
		_, stored := e.credentials(a.ID)
		if stored.AccessToken != cred.AccessToken || stored.RefreshToken != cred.RefreshToken {
			t.Errorf("publishing with a token that is not stored (stored %q, used %q)", stored.AccessToken, cred.AccessToken)
		}
		checked++
	}

	// Not due yet: published with the token as it is.
	if d := e.deliverOne(acct); d.Status != publisher.DeliveryPublished {
		t.Fatalf("delivery = %s (%s)", d.Status, d.ErrorMessage)
	}
	if n, _ := e.x.counts(); n != 0 {
		t.Fatalf("%d refreshes of a fresh token", n)
	}

	// 1 h 55 min later the token is due (10 minutes' margin): the delivery
	// refreshes it just in time, stores it, then publishes with it.
	e.clock.Add(115 * time.Minute)
	if d := e.deliverOne(acct); d.Status != publisher.DeliveryPublished {
		t.Fatalf("delivery with a due token = %s (%s)", d.Status, d.ErrorMessage)
	}
	a2, second := e.credentials(acct.ID)
	if n, _ := e.x.counts(); n != 1 || second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatalf("after the first due delivery: %d refreshes, tokens %q→%q / %q→%q", n, first.AccessToken, second.AccessToken, first.RefreshToken, second.RefreshToken)
	}
	if a2.TokenExpiresAt == nil || !a2.TokenExpiresAt.Equal(e.clock.Now().Add(2*time.Hour)) {
		t.Errorf("token expiry = %v, want two hours from now", a2.TokenExpiresAt)
	}

	// The periodic job takes the next rotation, with the NEW refresh token
	// (the fake revokes the grant if the old one is replayed).
	e.clock.Add(115 * time.Minute)
	rep, err := e.svc.RefreshTokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Refreshed != 1 || rep.Broken != 0 || rep.Failed != 0 {
		t.Fatalf("report = %+v, want one refresh", rep)
	}
	a3, third := e.credentials(acct.ID)
	if third.RefreshToken == second.RefreshToken || a3.Status != publisher.AccountConnected {
		t.Fatalf("the job did not rotate the refresh token (%q) or broke the account (%s)", third.RefreshToken, a3.Status)
	}
	// Nothing is due now: the next pass and the next delivery leave it.
	if rep, _ := e.svc.RefreshTokens(context.Background()); rep.Refreshed != 0 {
		t.Errorf("second pass refreshed again: %+v", rep)
	}
	if d := e.deliverOne(acct); d.Status != publisher.DeliveryPublished {
		t.Fatalf("delivery = %s (%s)", d.Status, d.ErrorMessage)
	}
	if n, _ := e.x.counts(); n != 2 || checked != 3 {
		t.Errorf("%d refreshes (want 2), %d checked publishes (want 3)", n, checked)
	}
}

func TestRefreshNeverStoresAnEmptyRefreshToken(t *testing.T) {
	e := newConnEnv(t)
	acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	_, before := e.credentials(acct.ID)
	e.x.emptyRefresh = true
	e.clock.Add(115 * time.Minute)
	rep, err := e.svc.RefreshTokens(context.Background())
	if err != nil || rep.Refreshed != 1 {
		t.Fatalf("report %+v %v", rep, err)
	}
	_, after := e.credentials(acct.ID)
	if after.AccessToken == before.AccessToken || after.RefreshToken != before.RefreshToken {
		t.Fatalf("after a refresh without a refresh token: access %q→%q, refresh %q→%q; want a new access token, the same refresh token",
			before.AccessToken, after.AccessToken, before.RefreshToken, after.RefreshToken)
	}
	// And it still works for the next refresh.
	e.clock.Add(115 * time.Minute)
	if rep, err := e.svc.RefreshTokens(context.Background()); err != nil || rep.Refreshed != 1 || rep.Broken != 0 {
		t.Fatalf("next refresh: %+v %v", rep, err)
	}
}

func TestRefreshTransientFailureIsNotARevokedGrant(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		afterDue   time.Duration // how far past "due" the job runs
		wantStatus publisher.AccountStatus
		wantKinds  []string // notifications to the organisation
		report     publisher.RefreshReport
	}{
		{"a 503 before expiry", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Service Unavailable", Ambiguous: true}, 0,
			publisher.AccountConnected, nil, publisher.RefreshReport{Accounts: 1, Failed: 1}},
		{"a rate limit before expiry", &publisher.PlatformError{Class: publisher.ClassRateLimited, Message: "Too Many Requests"}, 0,
			publisher.AccountConnected, nil, publisher.RefreshReport{Accounts: 1, Failed: 1}},
		{"a 503 after expiry", &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "Service Unavailable"}, 20 * time.Minute,
			publisher.AccountConnected, []string{"account.refresh_failing"}, publisher.RefreshReport{Accounts: 1, Failed: 1, Alerts: 1}},
		{"a revoked grant", &publisher.PlatformError{Class: publisher.ClassAuth, Message: "invalid_grant: token revoked"}, 0,
			publisher.AccountNeedsReconnect, []string{"account.needs_reconnect"}, publisher.RefreshReport{Accounts: 1, Broken: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newConnEnv(t)
			acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
			e.x.refreshErr = tc.err
			e.clock.Add(110*time.Minute + tc.afterDue)
			rep, err := e.svc.RefreshTokens(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep != tc.report {
				t.Errorf("report = %+v, want %+v", rep, tc.report)
			}
			a, _ := e.credentials(acct.ID)
			if a.Status != tc.wantStatus {
				t.Errorf("account status = %s (%s), want %s", a.Status, a.StatusReason, tc.wantStatus)
			}
			// Running again sends nothing new.
			if _, err := e.svc.RefreshTokens(context.Background()); err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, n := range e.notifications(e.editor) {
				kinds = append(kinds, n.Kind)
				if !strings.Contains(n.Body, "AgriHry") || n.Link != "/accounts" {
					t.Errorf("notification %q: body %q, link %q", n.Kind, n.Body, n.Link)
				}
			}
			if strings.Join(kinds, ",") != strings.Join(tc.wantKinds, ",") {
				t.Errorf("notifications = %v, want %v", kinds, tc.wantKinds)
			}
			if tc.wantStatus == publisher.AccountConnected {
				// Once the platform is back, the account refreshes as usual.
				e.x.refreshErr = nil
				if rep, _ := e.svc.RefreshTokens(context.Background()); rep.Refreshed != 1 {
					t.Errorf("after the platform came back: %+v", rep)
				}
			} else {
				events, _ := e.store.ListAudit(context.Background(), publisher.AuditFilter{ObjectID: acct.ID})
				if !hasAudit(events, "account.needs_reconnect", "") {
					t.Error("no account.needs_reconnect audit event")
				}
			}
		})
	}
}

func TestRefreshIsNeverConcurrentForOneAccount(t *testing.T) {
	e := newConnEnv(t)
	acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	// A second process on the same store.
	other := e.newService(e.keyring)
	e.clock.Add(115 * time.Minute)
	var posts []*publisher.Delivery
	for range 4 {
		p := newPost(t, e.svc, e.editor, e.admin, acct)
		if err := e.svc.Fanout(context.Background(), p.ID, p.Revision); err != nil {
			t.Fatal(err)
		}
		ds, _, _ := e.store.ListDeliveries(context.Background(), publisher.DeliveryFilter{PostID: p.ID})
		posts = append(posts, ds...)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, svc := range []*publisher.Service{e.svc, other, e.svc, other} {
		wg.Go(func() {
			<-start
			if _, err := svc.RefreshTokens(context.Background()); err != nil {
				t.Errorf("job %d: %v", i, err)
			}
		})
		wg.Go(func() {
			<-start
			_ = svc.Deliver(context.Background(), posts[i].ID)
		})
	}
	close(start)
	wg.Wait()
	refreshes, maxFlight := e.x.counts()
	if maxFlight != 1 {
		t.Errorf("%d refreshes of one account ran at once", maxFlight)
	}
	if refreshes != 1 {
		t.Errorf("%d refreshes, want 1 (the others find the token fresh under the lease)", refreshes)
	}
	a, _ := e.credentials(acct.ID)
	if a.Status != publisher.AccountConnected {
		t.Fatalf("account = %s (%s): a refresh token was replayed", a.Status, a.StatusReason)
	}
	for _, d := range posts {
		if got, _ := e.store.GetDelivery(context.Background(), d.ID); got.Status != publisher.DeliveryPublished {
			t.Errorf("delivery %s = %s (%s)", d.ID, got.Status, got.ErrorMessage)
		}
	}
}

func TestExpiringAccountsAlertTheOfficerOnce(t *testing.T) {
	e := newConnEnv(t)
	// A nodal officer with a user account: alerts go to them, not to the
	// editors.
	now := e.clock.Now()
	officer := &publisher.Officer{ID: publisher.NewID(), OrgID: e.org.ID, Kind: publisher.OfficerNodal, Name: "Nodal", Designation: "DD",
		UserID: e.editor2.ID, StartDate: now.Add(-24 * time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateOfficer(context.Background(), officer); err != nil {
		t.Fatal(err)
	}
	// A Facebook Page token that expires in five days and cannot be
	// renewed (no refresh token).
	exp := now.Add(5 * 24 * time.Hour)
	sys := publisher.SystemContext(context.Background())
	acct, err := e.svc.SaveAccount(sys, publisher.AccountInput{OrgID: e.org.ID, Platform: publisher.Facebook, Handle: "Krishi Vibhag",
		ExternalID: "1001", Credentials: &publisher.Credentials{AccessToken: "SECRET-page", ExpiresAt: &exp}})
	if err != nil {
		t.Fatal(err)
	}
	// A page token with a month left, and one that never expires: no alert.
	later := now.Add(30 * 24 * time.Hour)
	for _, in := range []publisher.AccountInput{
		{OrgID: e.org.ID, Platform: publisher.Facebook, Handle: "Later", ExternalID: "1004", Credentials: &publisher.Credentials{AccessToken: "SECRET-later", ExpiresAt: &later}},
		{OrgID: e.org.ID, Platform: publisher.Facebook, Handle: "Forever", ExternalID: "1005", Credentials: &publisher.Credentials{AccessToken: "SECRET-forever"}},
	} {
		if _, err := e.svc.SaveAccount(sys, in); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := e.svc.RefreshTokens(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ns := e.notifications(e.editor2)
	if len(ns) != 1 || ns[0].Kind != "account.expiring" || !strings.Contains(ns[0].Body, "Krishi Vibhag") ||
		!strings.Contains(ns[0].Body, exp.In(time.FixedZone("IST", 19800)).Format("2 Jan 2006, 15:04 IST")) {
		t.Fatalf("officer's notifications = %+v, want one expiry alert with the date in IST", ns)
	}
	if ns := e.notifications(e.editor); len(ns) != 0 {
		t.Errorf("an editor who is not the officer was notified: %+v", ns)
	}
	// Past its expiry it is marked for reconnection, and the officer told.
	e.clock.Add(5*24*time.Hour + time.Minute)
	rep, err := e.svc.RefreshTokens(context.Background())
	if err != nil || rep.Broken != 1 {
		t.Fatalf("after expiry: %+v %v", rep, err)
	}
	a, _ := e.credentials(acct.ID)
	if a.Status != publisher.AccountNeedsReconnect || !strings.Contains(a.StatusReason, "expired") {
		t.Errorf("expired account = %s (%s)", a.Status, a.StatusReason)
	}
	ns = e.notifications(e.editor2)
	if len(ns) != 2 || ns[0].Kind != "account.needs_reconnect" {
		t.Errorf("notifications after expiry = %+v", ns)
	}
	if rep, _ := e.svc.RefreshTokens(context.Background()); rep.Alerts != 0 {
		t.Errorf("the alert was sent again: %+v", rep)
	}
}

func TestSecretsAreSealedAgainWithThePrimaryKey(t *testing.T) {
	e := newConnEnv(t)
	acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	sys := publisher.SystemContext(context.Background())
	page, err := e.svc.SaveAccount(sys, publisher.AccountInput{OrgID: e.org.ID, Platform: publisher.Facebook, Handle: "Page", ExternalID: "1001",
		Credentials: &publisher.Credentials{AccessToken: "SECRET-page"}})
	if err != nil {
		t.Fatal(err)
	}
	// Rotate: k2 is the primary key now, k1 still opens old secrets.
	rotated := connKeyring(t, "k2", "k1")
	e.keyring = rotated
	e.svc = e.newService(rotated)
	for _, a := range []*publisher.Account{acct, page} {
		if stored, _ := e.store.GetAccount(context.Background(), a.ID); !strings.HasPrefix(stored.Secret, "k1:") {
			t.Fatalf("before: %q", stored.Secret)
		}
	}
	// Using the X account seals its secret again…
	if d := e.deliverOne(acct); d.Status != publisher.DeliveryPublished {
		t.Fatalf("delivery = %s (%s)", d.Status, d.ErrorMessage)
	}
	if stored, c := e.credentials(acct.ID); !strings.HasPrefix(stored.Secret, "k2:") || !strings.HasPrefix(c.AccessToken, "SECRET-access-x-") {
		t.Errorf("after use: secret %q", stored.Secret)
	}
	// …and the job seals the rest.
	rep, err := e.svc.RefreshTokens(context.Background())
	if err != nil || rep.Resealed != 1 {
		t.Fatalf("job: %+v %v", rep, err)
	}
	if stored, c := e.credentials(page.ID); !strings.HasPrefix(stored.Secret, "k2:") || c.AccessToken != "SECRET-page" {
		t.Errorf("page after the job: %q", stored.Secret)
	}
	// A refresh seals with the primary key too.
	e.clock.Add(115 * time.Minute)
	if rep, _ := e.svc.RefreshTokens(context.Background()); rep.Refreshed != 1 {
		t.Fatalf("refresh: %+v", rep)
	}
	if stored, _ := e.credentials(acct.ID); !strings.HasPrefix(stored.Secret, "k2:") {
		t.Errorf("after refresh: %q", stored.Secret)
	}
}

func TestARefusedCallWithReplacedCredentialsIsRetried(t *testing.T) {
	e := newConnEnv(t)
	acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	// While the delivery publishes with the old token, the account is
	// reconnected: the platform refuses the old token, but the account
	// must not be marked broken; the delivery tries again.
	once := sync.Once{}
	e.x.onPublish = func(*publisher.Account, publisher.Credentials) {
		once.Do(func() {
			e.x.mu.Lock()
			clear(e.x.access)
			e.x.mu.Unlock()
			e.x.onPublish = nil
			e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{AccountID: acct.ID})
		})
	}
	d := e.deliverOne(acct)
	if d.Status != publisher.DeliveryRetrying {
		t.Fatalf("delivery = %s (%s), want retrying", d.Status, d.ErrorMessage)
	}
	if a, _ := e.credentials(acct.ID); a.Status != publisher.AccountConnected {
		t.Fatalf("account = %s: marked broken although its credentials were replaced", a.Status)
	}
	e.clock.Add(time.Minute)
	if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.GetDelivery(context.Background(), d.ID); got.Status != publisher.DeliveryPublished {
		t.Errorf("retry = %s (%s)", got.Status, got.ErrorMessage)
	}
}

func TestRefreshAccountNow(t *testing.T) {
	e := newConnEnv(t)
	acct := e.connectX(e.editor, e.sessEditor, publisher.ConnectTarget{})
	_, before := e.credentials(acct.ID)
	_, err := e.svc.RefreshAccountNow(as(e.other), acct.ID)
	wantCode(t, err, publisher.ENOTFOUND)
	_, err = e.svc.RefreshAccountNow(as(e.viewer), acct.ID)
	wantCode(t, err, publisher.EFORBIDDEN)
	if _, err := e.svc.RefreshAccountNow(as(e.editor), acct.ID); err != nil {
		t.Fatal(err)
	}
	if _, after := e.credentials(acct.ID); after.RefreshToken == before.RefreshToken {
		t.Error("renew now did not renew")
	}
	e.x.refreshErr = &publisher.PlatformError{Class: publisher.ClassAuth, Message: "revoked"}
	_, err = e.svc.RefreshAccountNow(as(e.editor), acct.ID)
	wantField(t, err, "accountId", "credentials_refused")
}
