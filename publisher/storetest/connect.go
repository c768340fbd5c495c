package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// testConnections covers publisher.ConnectionStore: connections in progress
// (single use, bound to a session), conditional credential updates,
// token leases and alert records, with the concurrency cases the token
// lifecycle relies on.
func (s *suite) testConnections(t *testing.T) {
	auth := func(id, session string, phase publisher.AuthPhase, expires time.Time) *publisher.Authorization {
		return &publisher.Authorization{ID: id, Phase: phase, SessionID: session, UserID: "user-1", OrgID: "org-1", Platform: publisher.X,
			AccountID: "acct-1", RedirectURL: "https://prasar.example/api/v1/oauth/x/callback", Sealed: "k1:sealed-" + id,
			CreatedAt: T0, ExpiresAt: expires}
	}

	t.Run("an authorization round-trips and is taken once, only by its session and phase", func(t *testing.T) {
		st := s.open(t)
		a := auth("state-1", "sess-1", publisher.AuthAuthorize, at(10*time.Minute))
		Must(t, "CreateAuthorization", st.CreateAuthorization(t.Context(), a))
		AssertCode(t, "a second authorization with the same id", st.CreateAuthorization(t.Context(), auth("state-1", "sess-2", publisher.AuthAuthorize, T0)), publisher.ECONFLICT)
		got, err := st.GetAuthorization(t.Context(), "state-1")
		Must(t, "GetAuthorization", err)
		AssertEqual(t, "stored authorization", got, a)
		_, err = st.GetAuthorization(t.Context(), "no-such-state")
		AssertCode(t, "GetAuthorization of an unknown id", err, publisher.ENOTFOUND)

		_, err = st.TakeAuthorization(t.Context(), "state-1", "sess-other", publisher.AuthAuthorize)
		AssertCode(t, "taking another session's authorization", err, publisher.ENOTFOUND)
		_, err = st.TakeAuthorization(t.Context(), "state-1", "sess-1", publisher.AuthSelect)
		AssertCode(t, "taking an authorization in another phase", err, publisher.ENOTFOUND)
		if _, err := st.GetAuthorization(t.Context(), "state-1"); err != nil {
			t.Fatalf("a refused take removed the authorization: %v", err)
		}
		got, err = st.TakeAuthorization(t.Context(), "state-1", "sess-1", publisher.AuthAuthorize)
		Must(t, "TakeAuthorization", err)
		AssertEqual(t, "taken authorization", got, a)
		_, err = st.TakeAuthorization(t.Context(), "state-1", "sess-1", publisher.AuthAuthorize)
		AssertCode(t, "taking it again", err, publisher.ENOTFOUND)
		_, err = st.GetAuthorization(t.Context(), "state-1")
		AssertCode(t, "GetAuthorization after the take", err, publisher.ENOTFOUND)
	})

	t.Run("expired authorizations are deleted, others kept", func(t *testing.T) {
		st := s.open(t)
		Must(t, "CreateAuthorization", st.CreateAuthorization(t.Context(), auth("old-1", "s", publisher.AuthAuthorize, at(-time.Minute))))
		Must(t, "CreateAuthorization", st.CreateAuthorization(t.Context(), auth("old-2", "s", publisher.AuthSelect, at(-time.Second))))
		Must(t, "CreateAuthorization", st.CreateAuthorization(t.Context(), auth("now", "s", publisher.AuthAuthorize, T0)))
		Must(t, "CreateAuthorization", st.CreateAuthorization(t.Context(), auth("live", "s", publisher.AuthAuthorize, at(time.Minute))))
		n, err := st.DeleteExpiredAuthorizations(t.Context(), T0)
		Must(t, "DeleteExpiredAuthorizations", err)
		if n != 2 {
			t.Errorf("deleted %d, want 2 (those that expired before now)", n)
		}
		for id, want := range map[string]bool{"old-1": false, "old-2": false, "now": true, "live": true} {
			_, err := st.GetAuthorization(t.Context(), id)
			if (err == nil) != want {
				t.Errorf("authorization %s: kept=%v, want %v (%v)", id, err == nil, want, err)
			}
		}
	})

	t.Run("credentials change only from the secret that was read", func(t *testing.T) {
		st := s.open(t)
		a := NewAccount(t, st, "org-1", publisher.X)
		exp := atp(2 * time.Hour)
		up := publisher.CredentialsUpdate{OldSecret: a.Secret, Secret: "k2:new", TokenExpiresAt: exp, Status: publisher.AccountConnected, At: at(time.Minute)}
		got, err := st.UpdateAccountCredentials(t.Context(), a.ID, up)
		Must(t, "UpdateAccountCredentials", err)
		want := *a
		want.Secret, want.TokenExpiresAt, want.StatusReason, want.UpdatedAt = "k2:new", exp, "", at(time.Minute)
		AssertEqual(t, "returned account", got, &want)
		stored, err := st.GetAccount(t.Context(), a.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "stored account", stored, &want)

		// A second writer that read the old secret loses and changes nothing.
		_, err = st.UpdateAccountCredentials(t.Context(), a.ID, publisher.CredentialsUpdate{OldSecret: a.Secret, Secret: "k2:stale",
			Status: publisher.AccountNeedsReconnect, StatusReason: "refused", At: at(2 * time.Minute)})
		AssertCode(t, "update from a stale secret", err, publisher.ECONFLICT)
		stored, err = st.GetAccount(t.Context(), a.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "account after the refused update", stored, &want)
		_, err = st.UpdateAccountCredentials(t.Context(), "no-such-account", up)
		AssertCode(t, "update of an unknown account", err, publisher.ENOTFOUND)

		// Dropping the credentials, then connecting again from none.
		got, err = st.UpdateAccountCredentials(t.Context(), a.ID, publisher.CredentialsUpdate{OldSecret: "k2:new", Secret: "",
			Status: publisher.AccountDisconnected, StatusReason: "disconnected", At: at(3 * time.Minute)})
		Must(t, "dropping the credentials", err)
		want.Secret, want.TokenExpiresAt, want.Status, want.StatusReason, want.UpdatedAt = "", nil, publisher.AccountDisconnected, "disconnected", at(3*time.Minute)
		AssertEqual(t, "disconnected account", got, &want)
		got, err = st.UpdateAccountCredentials(t.Context(), a.ID, publisher.CredentialsUpdate{OldSecret: "", Secret: "k2:again",
			Status: publisher.AccountConnected, At: at(4 * time.Minute)})
		Must(t, "storing credentials on an account without", err)
		if got.Secret != "k2:again" || got.Status != publisher.AccountConnected || got.StatusReason != "" {
			t.Errorf("reconnected account: secret %q status %q reason %q", got.Secret, got.Status, got.StatusReason)
		}
		// UpdateAccount keeps working with what the conditional update wrote.
		got.Handle = "@renamed"
		Must(t, "UpdateAccount", st.UpdateAccount(t.Context(), got))
		stored, err = st.GetAccount(t.Context(), a.ID)
		Must(t, "GetAccount", err)
		AssertEqual(t, "account after UpdateAccount", stored, got)
	})

	t.Run("a token lease is held until it lapses or is released, and re-entered by its holder", func(t *testing.T) {
		st := s.open(t)
		Must(t, "first lease", st.AcquireTokenLease(t.Context(), "acct-1", "w1", T0, at(time.Minute)))
		AssertCode(t, "second holder during the lease", st.AcquireTokenLease(t.Context(), "acct-1", "w2", at(30*time.Second), at(2*time.Minute)), publisher.ECONFLICT)
		Must(t, "another account's lease", st.AcquireTokenLease(t.Context(), "acct-2", "w2", T0, at(time.Minute)))
		Must(t, "the holder extends its lease", st.AcquireTokenLease(t.Context(), "acct-1", "w1", at(30*time.Second), at(3*time.Minute)))
		AssertCode(t, "second holder before the extended lease ends", st.AcquireTokenLease(t.Context(), "acct-1", "w2", at(2*time.Minute), at(4*time.Minute)), publisher.ECONFLICT)
		Must(t, "second holder once it lapsed", st.AcquireTokenLease(t.Context(), "acct-1", "w2", at(3*time.Minute), at(4*time.Minute)))
		Must(t, "releasing someone else's lease does nothing", st.ReleaseTokenLease(t.Context(), "acct-1", "w1"))
		AssertCode(t, "w1 after its lease passed to w2", st.AcquireTokenLease(t.Context(), "acct-1", "w1", at(3*time.Minute), at(5*time.Minute)), publisher.ECONFLICT)
		Must(t, "release", st.ReleaseTokenLease(t.Context(), "acct-1", "w2"))
		Must(t, "after the release", st.AcquireTokenLease(t.Context(), "acct-1", "w3", at(3*time.Minute), at(5*time.Minute)))
		Must(t, "releasing an unknown account's lease", st.ReleaseTokenLease(t.Context(), "acct-none", "w1"))
	})

	t.Run("an alert key is recorded once, and a new key replaces it", func(t *testing.T) {
		st := s.open(t)
		mark := func(acct, key string, want bool) {
			t.Helper()
			first, err := st.MarkAccountAlert(t.Context(), acct, key, T0)
			Must(t, "MarkAccountAlert", err)
			if first != want {
				t.Errorf("MarkAccountAlert(%s, %s) = %v, want %v", acct, key, first, want)
			}
		}
		mark("acct-1", "expiring:100", true)
		mark("acct-1", "expiring:100", false)
		mark("acct-2", "expiring:100", true)
		mark("acct-1", "needs_reconnect:5", true)
		mark("acct-1", "expiring:100", true) // a new event after another
		mark("acct-1", "expiring:100", false)
		// The alert record and the lease live side by side.
		Must(t, "lease", st.AcquireTokenLease(t.Context(), "acct-1", "w1", T0, at(time.Minute)))
		mark("acct-1", "expiring:100", false)
		mark("acct-1", "expiring:200", true)
		AssertCode(t, "the lease survives the alert", st.AcquireTokenLease(t.Context(), "acct-1", "w2", T0, at(time.Minute)), publisher.ECONFLICT)
	})

	t.Run("of 16 concurrent lease requests for one account exactly one wins", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		for round := range 20 {
			acct := fmt.Sprintf("acct-%02d", round)
			if round%2 == 1 {
				// A lease that lapsed: the race is on an existing record.
				Must(t, "lapsed lease", st.AcquireTokenLease(t.Context(), acct, "old", at(-time.Hour), at(-time.Minute)))
			}
			wins := connRace(16, func(i int) error {
				return st.AcquireTokenLease(t.Context(), acct, fmt.Sprintf("w%02d", i), T0, at(time.Minute))
			}, func(err error) bool { return publisher.IsCode(err, publisher.ECONFLICT) }, t, round)
			if wins != 1 {
				t.Errorf("round %d: %d holders got the lease, want 1", round, wins)
			}
		}
	})

	t.Run("of 16 concurrent takes of one authorization exactly one gets it", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		for round := range 20 {
			id := fmt.Sprintf("state-%02d", round)
			Must(t, "CreateAuthorization", st.CreateAuthorization(t.Context(), auth(id, "sess", publisher.AuthAuthorize, at(time.Hour))))
			wins := connRace(16, func(int) error {
				_, err := st.TakeAuthorization(t.Context(), id, "sess", publisher.AuthAuthorize)
				return err
			}, func(err error) bool { return publisher.IsCode(err, publisher.ENOTFOUND) }, t, round)
			if wins != 1 {
				t.Errorf("round %d: the authorization was taken %d times, want once", round, wins)
			}
		}
	})

	t.Run("of 8 concurrent credential updates from one secret exactly one is stored", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		for round := range 20 {
			a := NewAccount(t, st, "org-1", publisher.X)
			var mu sync.Mutex
			stored := ""
			wins := connRace(8, func(i int) error {
				secret := fmt.Sprintf("k1:refreshed-%d", i)
				_, err := st.UpdateAccountCredentials(t.Context(), a.ID, publisher.CredentialsUpdate{OldSecret: a.Secret, Secret: secret,
					Status: publisher.AccountConnected, At: at(time.Minute)})
				if err == nil {
					mu.Lock()
					stored = secret
					mu.Unlock()
				}
				return err
			}, func(err error) bool { return publisher.IsCode(err, publisher.ECONFLICT) }, t, round)
			if wins != 1 {
				t.Errorf("round %d: %d updates from one secret succeeded, want 1", round, wins)
			}
			got, err := st.GetAccount(t.Context(), a.ID)
			Must(t, "GetAccount", err)
			if got.Secret != stored {
				t.Errorf("round %d: stored secret %q, want the winner's %q", round, got.Secret, stored)
			}
		}
	})

	t.Run("of 8 concurrent marks of one alert exactly one reports it new", func(t *testing.T) {
		s.needsAtomicUpdates(t)
		st := s.open(t)
		for round := range 20 {
			acct := fmt.Sprintf("acct-%02d", round)
			if round%2 == 1 {
				_, err := st.MarkAccountAlert(t.Context(), acct, "expiring:1", T0)
				Must(t, "earlier alert", err)
			}
			var mu sync.Mutex
			firsts := 0
			connRace(8, func(int) error {
				first, err := st.MarkAccountAlert(t.Context(), acct, "needs_reconnect:2", T0)
				if first {
					mu.Lock()
					firsts++
					mu.Unlock()
				}
				return err
			}, func(error) bool { return false }, t, round)
			if firsts != 1 {
				t.Errorf("round %d: %d marks reported the alert new, want 1", round, firsts)
			}
		}
	})
}

// connRace runs f(0..n-1) at once and returns how many returned nil; errors
// for which lost reports true are the expected losers, others fail t.
func connRace(n int, f func(i int) error, lost func(error) bool, t *testing.T, round int) int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !lost(err):
			t.Errorf("round %d, call %d: unexpected error %v", round, i, err)
		}
	}
	return wins
}
