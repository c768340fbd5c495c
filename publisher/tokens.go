package publisher

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The token lifecycle: tokens are refreshed before they expire by each
// platform's rules (Refresher.RefreshDue), by a periodic job
// (RefreshTokens) and just in time inside Deliver (freshCredentials).
//
// The rules, each learnt from other hubs' users being forced to reconnect
// again and again (shared/docs/peers.md §3.1):
//
//   - One account is never refreshed by two workers at once: a refresh
//     holds the account's token lease in the store (X's refresh tokens are
//     single-use, and replaying one revokes the whole grant).
//   - New credentials are stored before they are used, with a
//     compare-and-swap on the sealed secret that was read, so that a
//     refresh never undoes a reconnection nor the other way round.
//   - A refresh token is never replaced by an empty one.
//   - A transient refresh failure (network, 5xx, rate limit) leaves the
//     account connected while its token is valid, to be tried again; only
//     a refused grant (ClassAuth) marks it for reconnection.
//   - Secrets sealed with an older key are sealed again with the primary
//     key when they are refreshed or used.
//   - Accounts about to expire (that no refresh will save) or needing
//     reconnection are notified to the organisation's nodal officer, once
//     per event (ConnectionStore.MarkAccountAlert).

const (
	// tokenLease bounds how long one refresh may hold an account; the
	// platform call inside it is bounded by refreshCallTimeout, well within.
	tokenLease         = 2 * time.Minute
	refreshCallTimeout = time.Minute
	// tokenLeaseWait is how long a delivery waits for another worker's
	// refresh of its account before it gives up (and retries later).
	tokenLeaseWait = 10 * time.Second
	// DefaultTokenAlertBefore is how long before an account's token
	// expires (when no refresh can renew it) its officers are told.
	DefaultTokenAlertBefore = 7 * 24 * time.Hour
)

// errLeaseHeld says that another worker is refreshing the account.
var errLeaseHeld = errors.New("publisher: another worker holds the account's token lease")

// connectIST is India Standard Time, for dates in messages to people.
var connectIST = time.FixedZone("IST", 5*3600+1800)

func istDate(t time.Time) string { return t.In(connectIST).Format("2 Jan 2006, 15:04 IST") }

// sealedKeyID returns the id of the key that sealed a secret
// ("<key id>:<ciphertext>", see Keyring.Seal).
func sealedKeyID(sealed string) string {
	id, _, _ := strings.Cut(sealed, ":")
	return id
}

func (s *Service) alertBefore() time.Duration {
	if s.cfg.TokenAlertBefore > 0 {
		return s.cfg.TokenAlertBefore
	}
	return DefaultTokenAlertBefore
}

// RefreshReport says what one pass of RefreshTokens did.
type RefreshReport struct {
	Accounts  int `json:"accounts"`  // connected accounts looked at
	Refreshed int `json:"refreshed"` // tokens renewed
	Resealed  int `json:"resealed"`  // secrets sealed again with the primary key
	Failed    int `json:"failed"`    // transient refresh failures (tried again next pass)
	Skipped   int `json:"skipped"`   // being refreshed by another worker
	Broken    int `json:"broken"`    // marked as needing reconnection
	Alerts    int `json:"alerts"`    // notifications sent
}

// RefreshTokens is the periodic token job: it refreshes every connected
// account whose connector says its token is due, seals old-key secrets
// again, marks accounts whose token expired beyond renewal as needing
// reconnection, notifies the organisations' officers of accounts about to
// expire or needing reconnection (once per event), and forgets expired
// connections in progress. Several workers may run it at once: accounts
// are refreshed under their lease, and alerts are recorded atomically.
func (s *Service) RefreshTokens(ctx context.Context) (RefreshReport, error) {
	ctx = SystemContext(ctx)
	var rep RefreshReport
	if n, err := s.store.DeleteExpiredAuthorizations(ctx, s.now().UTC()); err != nil {
		s.log.WarnContext(ctx, "forgetting expired connections in progress failed", "err", err)
	} else if n > 0 {
		s.log.DebugContext(ctx, "expired connections in progress forgotten", "count", n)
	}
	for _, p := range Platforms {
		conn := s.connectors[p]
		if conn == nil {
			continue
		}
		accts, err := s.store.ListAccounts(ctx, AccountFilter{Platform: p})
		if err != nil {
			return rep, err
		}
		for _, a := range accts {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			s.tendAccount(ctx, conn, a, &rep)
		}
	}
	if rep.Refreshed+rep.Resealed+rep.Failed+rep.Broken+rep.Alerts > 0 {
		s.log.InfoContext(ctx, "token job", "accounts", rep.Accounts, "refreshed", rep.Refreshed, "resealed", rep.Resealed,
			"failed", rep.Failed, "skipped", rep.Skipped, "broken", rep.Broken, "alerts", rep.Alerts)
	}
	return rep, nil
}

// tendAccount does the token job's work for one account.
func (s *Service) tendAccount(ctx context.Context, conn Connector, a *Account, rep *RefreshReport) {
	switch a.Status {
	case AccountNeedsReconnect:
		if s.alertBroken(ctx, a) {
			rep.Alerts++
		}
		return
	case AccountConnected:
	default:
		return
	}
	rep.Accounts++
	if r := conn.Rules(); r.Defunct != "" || !r.Enabled {
		return
	}
	cred, err := s.keyring.OpenCredentials(a.ID, a.Secret)
	if err != nil {
		s.log.ErrorContext(ctx, "token job: cannot open the account's credentials", "account_id", a.ID, "err", err)
		if s.markBroken(ctx, a, "The account's stored credentials cannot be read (was the encryption key changed?); reconnect the account.") {
			rep.Broken++
		}
		return
	}
	ref, _ := conn.(Refresher)
	now := s.now()
	if ref != nil && ref.RefreshDue(cred, now) {
		na, ncred, err := s.refreshAccount(ctx, ref, a)
		switch {
		case err == nil:
			rep.Refreshed++
			a, cred = na, ncred
		case errors.Is(err, errLeaseHeld):
			rep.Skipped++
			return
		case AsPlatformError(err).Class == ClassAuth:
			rep.Broken++
			return
		default:
			rep.Failed++
			if a.TokenExpiresAt != nil && !now.Before(*a.TokenExpiresAt) {
				if s.alertRefreshFailing(ctx, a, AsPlatformError(err).Message) {
					rep.Alerts++
				}
			}
			return
		}
	} else if sealedKeyID(a.Secret) != s.keyring.PrimaryKeyID() {
		if na, ok := s.reseal(ctx, a, cred); ok {
			rep.Resealed++
			a = na
		}
	}
	exp := a.TokenExpiresAt
	if exp == nil {
		return
	}
	now = s.now()
	switch {
	case !now.Before(*exp) && (ref == nil || !ref.RefreshDue(cred, now)):
		if s.markBroken(ctx, a, fmt.Sprintf("The access token expired on %s and cannot be renewed; reconnect the account.", istDate(*exp))) {
			rep.Broken++
		}
	case exp.Sub(now) <= s.alertBefore() && (ref == nil || !ref.RefreshDue(cred, exp.Add(-time.Second))):
		// No refresh will renew it before it expires.
		if s.alertExpiring(ctx, a) {
			rep.Alerts++
		}
	}
}

// RefreshAccountNow refreshes an account's token at once, whether or not it
// is due (an administrator's "renew now"). Admins, and editors for their
// own organisation.
func (s *Service) RefreshAccountNow(ctx context.Context, id string) (*Account, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.GetAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canWriteFor(u, a.OrgID) {
		return nil, Errorf(EFORBIDDEN, "Only administrators and the organisation's own editors can renew its accounts' tokens.")
	}
	ref, ok := s.connectors[a.Platform].(Refresher)
	if !ok || a.Status != AccountConnected {
		return nil, &Error{Code: EINVALID, Message: fmt.Sprintf("This %s account's token cannot be renewed here; reconnect the account instead.", a.Platform.Title()),
			Fields: []FieldError{{Field: "accountId", Code: "not_renewable", Message: "The token cannot be renewed; reconnect the account."}}}
	}
	na, _, err := s.refreshAccountForced(ctx, ref, a, true)
	switch {
	case errors.Is(err, errLeaseHeld):
		return nil, Errorf(ECONFLICT, "The account's token is being renewed right now. Try again in a minute.")
	case err != nil:
		pe := AsPlatformError(err)
		if pe.Class == ClassAuth {
			return nil, &Error{Code: EINVALID, Message: fmt.Sprintf("%s refused to renew the token; the account must be reconnected.", a.Platform.Title()),
				Fields: []FieldError{{Field: "accountId", Code: "credentials_refused", Message: clip(pe.Message, 300), Params: map[string]string{"detail": clip(pe.Message, 300)}}}}
		}
		return nil, WrapError(EUNAVAILABLE, pe, "%s could not renew the token just now. Try again later.", a.Platform.Title())
	}
	return na, nil
}

// refreshAccount refreshes an account's credentials if they are still due
// once it holds the account's token lease. It returns errLeaseHeld when
// another worker holds the lease, and *PlatformError for the platform's
// answers (the account is marked for reconnection when the grant was
// refused).
func (s *Service) refreshAccount(ctx context.Context, ref Refresher, a *Account) (*Account, Credentials, error) {
	return s.refreshAccountForced(ctx, ref, a, false)
}

func (s *Service) refreshAccountForced(ctx context.Context, ref Refresher, a *Account, force bool) (*Account, Credentials, error) {
	holder := NewToken(9)
	now := s.now()
	err := s.store.AcquireTokenLease(ctx, a.ID, holder, now.UTC(), now.Add(tokenLease).UTC())
	if IsCode(err, ECONFLICT) {
		return a, Credentials{}, errLeaseHeld
	} else if err != nil {
		return a, Credentials{}, &PlatformError{Class: ClassRetryable, Message: "Prasar could not take the account's token lease.", Err: err}
	}
	defer s.releaseLease(ctx, a.ID, holder)

	// Under the lease: read the account again, another worker may have
	// refreshed it a moment ago.
	cur, err := s.store.GetAccount(ctx, a.ID)
	if err != nil {
		return a, Credentials{}, &PlatformError{Class: ClassRetryable, Message: "Prasar could not read the account.", Err: err}
	}
	if cur.Status != AccountConnected {
		return cur, Credentials{}, &PlatformError{Class: ClassAuth, Message: firstNonEmpty(cur.StatusReason, "The account is not connected.")}
	}
	cred, err := s.keyring.OpenCredentials(cur.ID, cur.Secret)
	if err != nil {
		s.markBroken(ctx, cur, "The account's stored credentials cannot be read (was the encryption key changed?); reconnect the account.")
		return cur, Credentials{}, &PlatformError{Class: ClassAuth, Message: "The account's stored credentials cannot be read."}
	}
	if !force && !ref.RefreshDue(cred, s.now()) {
		return cur, cred, nil
	}
	rctx, cancel := context.WithTimeout(ctx, refreshCallTimeout)
	next, err := ref.Refresh(rctx, cur, cred)
	cancel()
	if err != nil {
		pe := AsPlatformError(err)
		if pe.Class == ClassAuth {
			s.log.WarnContext(ctx, "token refresh refused; the account needs reconnecting", "account_id", cur.ID, "platform", string(cur.Platform), "code", pe.Code)
			s.markBroken(ctx, cur, fmt.Sprintf("%s refused to renew the token: %s", cur.Platform.Title(), clip(pe.Message, 300)))
		} else {
			s.log.WarnContext(ctx, "token refresh failed; it will be tried again", "account_id", cur.ID, "platform", string(cur.Platform),
				"class", string(pe.Class), "code", pe.Code)
		}
		return cur, cred, pe
	}
	if next.RefreshToken == "" {
		next.RefreshToken = cred.RefreshToken // never replace a refresh token with nothing
	}
	if next.AccessToken == "" {
		next.AccessToken = cred.AccessToken
	}
	sealed, err := s.keyring.SealCredentials(cur.ID, next)
	if err != nil {
		return cur, cred, &PlatformError{Class: ClassRetryable, Message: "Prasar could not seal the renewed token.", Err: err}
	}
	// Store before use. The platform may have rotated the refresh token
	// (X): these credentials are the only copy, so a store hiccup is
	// retried, and nothing uses them until they are stored.
	up := CredentialsUpdate{OldSecret: cur.Secret, Secret: sealed, TokenExpiresAt: next.ExpiresAt, Status: AccountConnected}
	var na *Account
	wctx := context.WithoutCancel(ctx)
	for try := 0; ; try++ {
		up.At = s.now().UTC()
		na, err = s.store.UpdateAccountCredentials(wctx, cur.ID, up)
		if err == nil || IsCode(err, ECONFLICT) || IsCode(err, ENOTFOUND) || try >= 4 {
			break
		}
		time.Sleep(time.Duration(100*(try+1)) * time.Millisecond)
	}
	switch {
	case IsCode(err, ECONFLICT):
		// Somebody stored other credentials meanwhile (a reconnection):
		// theirs win; these are dropped.
		s.log.WarnContext(ctx, "renewed token dropped: the account's credentials were replaced meanwhile", "account_id", cur.ID)
		latest, err := s.store.GetAccount(ctx, cur.ID)
		if err != nil || latest.Status != AccountConnected {
			return cur, cred, &PlatformError{Class: ClassRetryable, Message: "The account changed while its token was renewed."}
		}
		lc, err := s.keyring.OpenCredentials(latest.ID, latest.Secret)
		if err != nil {
			return cur, cred, &PlatformError{Class: ClassRetryable, Message: "The account changed while its token was renewed."}
		}
		return latest, lc, nil
	case err != nil:
		s.log.ErrorContext(ctx, "storing a renewed token failed; the account may have to be reconnected", "account_id", cur.ID,
			"platform", string(cur.Platform), "err", err)
		return cur, cred, &PlatformError{Class: ClassRetryable, Message: "Prasar could not store the renewed token.", Err: err}
	}
	attrs := []any{"account_id", cur.ID, "platform", string(cur.Platform), "key_id", s.keyring.PrimaryKeyID()}
	if next.ExpiresAt != nil {
		attrs = append(attrs, "expires_at", next.ExpiresAt.UTC().Format(time.RFC3339))
	}
	s.log.InfoContext(ctx, "token refreshed", attrs...)
	return na, next, nil
}

// releaseLease ends a token lease, even when ctx has ended.
func (s *Service) releaseLease(ctx context.Context, accountID, holder string) {
	if err := s.store.ReleaseTokenLease(context.WithoutCancel(ctx), accountID, holder); err != nil {
		s.log.WarnContext(ctx, "releasing a token lease failed; it lapses by itself", "account_id", accountID, "err", err)
	}
}

// reseal seals an account's credentials again with the primary key, under
// the account's lease (skipped when another worker holds it). It reports
// whether it did.
func (s *Service) reseal(ctx context.Context, a *Account, cred Credentials) (*Account, bool) {
	holder := NewToken(9)
	now := s.now()
	if err := s.store.AcquireTokenLease(ctx, a.ID, holder, now.UTC(), now.Add(tokenLease).UTC()); err != nil {
		return a, false
	}
	defer s.releaseLease(ctx, a.ID, holder)
	sealed, err := s.keyring.SealCredentials(a.ID, cred)
	if err != nil {
		return a, false
	}
	na, err := s.store.UpdateAccountCredentials(ctx, a.ID, CredentialsUpdate{OldSecret: a.Secret, Secret: sealed, TokenExpiresAt: a.TokenExpiresAt,
		Status: a.Status, StatusReason: a.StatusReason, At: s.now().UTC()})
	if err != nil {
		if !IsCode(err, ECONFLICT) {
			s.log.WarnContext(ctx, "sealing credentials with the primary key failed", "account_id", a.ID, "err", err)
		}
		return a, false
	}
	s.log.InfoContext(ctx, "credentials sealed with the primary key", "account_id", a.ID, "from_key_id", sealedKeyID(a.Secret),
		"key_id", s.keyring.PrimaryKeyID())
	return na, true
}

// freshCredentials returns credentials fit for a delivery's call: sealed
// again with the primary key if an older key sealed them, and refreshed
// first when the connector says they are due — under the account's lease,
// so never at the same time as the token job or another delivery (whose
// refresh it waits for, up to tokenLeaseWait). A transient refresh failure
// keeps the current token while it is valid. The error is a
// *PlatformError: ClassAuth when the grant was refused (the account is
// then marked for reconnection), ClassRetryable otherwise.
func (s *Service) freshCredentials(ctx context.Context, conn Connector, acct *Account, cred Credentials) (*Account, Credentials, error) {
	ref, _ := conn.(Refresher)
	if ref == nil || !ref.RefreshDue(cred, s.now()) {
		if sealedKeyID(acct.Secret) != s.keyring.PrimaryKeyID() {
			if na, ok := s.reseal(ctx, acct, cred); ok {
				acct = na
			}
		}
		return acct, cred, nil
	}
	giveUp := time.Now().Add(tokenLeaseWait)
	for {
		na, ncred, err := s.refreshAccount(ctx, ref, acct)
		if err == nil {
			return na, ncred, nil
		}
		if errors.Is(err, errLeaseHeld) && time.Now().Before(giveUp) {
			select {
			case <-ctx.Done():
				return acct, cred, &PlatformError{Class: ClassRetryable, Message: "The delivery ended while the account's token was being renewed.", Err: ctx.Err()}
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		valid := cred.ExpiresAt == nil || s.now().Before(*cred.ExpiresAt)
		if errors.Is(err, errLeaseHeld) {
			if valid {
				return acct, cred, nil
			}
			return acct, cred, &PlatformError{Class: ClassRetryable, Message: "The account's token is being renewed by another worker."}
		}
		pe := AsPlatformError(err)
		if pe.Class == ClassAuth {
			return acct, cred, pe
		}
		if valid {
			return acct, cred, nil
		}
		return acct, cred, &PlatformError{Class: ClassRetryable, Code: pe.Code, Err: pe,
			Message: fmt.Sprintf("The access token expired and %s could not renew it just now (%s).", acct.Platform.Title(), clip(pe.Message, 200))}
	}
}

// markBroken marks an account as needing reconnection, unless its
// credentials were replaced since a was read (a refresh or a reconnection
// since: then nothing changes). It reports whether the account now needs
// reconnection with the credentials of a, and notifies the organisation's
// officers the first time.
func (s *Service) markBroken(ctx context.Context, a *Account, reason string) bool {
	cur, err := s.store.GetAccount(ctx, a.ID)
	if err != nil {
		return false
	}
	if cur.Secret != a.Secret {
		return false
	}
	if cur.Status == AccountNeedsReconnect {
		return true
	}
	na, err := s.store.UpdateAccountCredentials(ctx, a.ID, CredentialsUpdate{OldSecret: a.Secret, Secret: a.Secret, TokenExpiresAt: cur.TokenExpiresAt,
		Status: AccountNeedsReconnect, StatusReason: reason, At: s.now().UTC()})
	if IsCode(err, ECONFLICT) || IsCode(err, ENOTFOUND) {
		return false
	} else if err != nil {
		s.log.ErrorContext(ctx, "marking an account as needing reconnection failed", "account_id", a.ID, "err", err)
		return false
	}
	s.audit(ctx, "account.needs_reconnect", "account", na.ID, na.OrgID, map[string]string{"reason": reason})
	s.alertBroken(ctx, na)
	return true
}

// alertBroken tells the organisation's officers, once, that an account
// needs reconnecting.
func (s *Service) alertBroken(ctx context.Context, a *Account) bool {
	key := "needs_reconnect:" + strconv.FormatInt(a.UpdatedAt.UnixMilli(), 10)
	name := a.Platform.Title()
	subject := fmt.Sprintf("Reconnect the %s account %s · %s खाता %s फिर से जोड़ें", name, a.Handle, name, a.Handle)
	body := fmt.Sprintf("Prasar can no longer publish to the %s account %s: %s\n\nPosts for it wait until it is reconnected. "+
		"Open Accounts in Prasar and choose Reconnect.\n\nप्रसार अब %s खाते %s पर प्रकाशित नहीं कर सकता। इसके लिए पोस्ट तब तक रुकी रहेंगी "+
		"जब तक खाता फिर से नहीं जुड़ता। प्रसार में ‘खाते’ खोलें और ‘फिर से जोड़ें’ चुनें।",
		name, a.Handle, firstNonEmpty(a.StatusReason, "its access was refused."), name, a.Handle)
	return s.alert(ctx, a, key, "account.needs_reconnect", subject, body)
}

// alertExpiring tells the organisation's officers, once per token, that an
// account's token expires soon and no refresh will renew it.
func (s *Service) alertExpiring(ctx context.Context, a *Account) bool {
	exp := *a.TokenExpiresAt
	key := "expiring:" + strconv.FormatInt(exp.Unix(), 10)
	name := a.Platform.Title()
	subject := fmt.Sprintf("The %s account %s must be reconnected by %s · %s खाता %s फिर से जोड़ें", name, a.Handle, exp.In(connectIST).Format("2 Jan"), name, a.Handle)
	body := fmt.Sprintf("The access Prasar has to the %s account %s expires on %s, and %s does not let Prasar renew it. "+
		"Reconnect it before then (Accounts → Reconnect), or posts for it will wait.\n\n"+
		"%s खाते %s तक प्रसार की पहुँच %s को समाप्त हो रही है। उससे पहले खाता फिर से जोड़ें (खाते → फिर से जोड़ें), "+
		"नहीं तो इसकी पोस्ट रुकी रहेंगी।", name, a.Handle, istDate(exp), name, name, a.Handle, istDate(exp))
	return s.alert(ctx, a, key, "account.expiring", subject, body)
}

// alertRefreshFailing tells the organisation's officers, once per token,
// that an expired token could not be renewed for a while.
func (s *Service) alertRefreshFailing(ctx context.Context, a *Account, why string) bool {
	key := "refresh_failing:" + strconv.FormatInt(a.TokenExpiresAt.Unix(), 10)
	name := a.Platform.Title()
	subject := fmt.Sprintf("Prasar cannot renew the %s account %s · %s खाता %s", name, a.Handle, name, a.Handle)
	body := fmt.Sprintf("The access token of the %s account %s expired and %s could not renew it (%s). Prasar keeps trying; "+
		"if this lasts, reconnect the account.\n\n%s खाते %s का टोकन समाप्त हो गया है और नवीनीकरण अभी नहीं हो सका। प्रसार प्रयास करता रहेगा; "+
		"समस्या बनी रहे तो खाता फिर से जोड़ें।", name, a.Handle, name, clip(why, 200), name, a.Handle)
	return s.alert(ctx, a, key, "account.refresh_failing", subject, body)
}

// alert notifies an account's organisation's officers if the alert key was
// not sent for the account before.
func (s *Service) alert(ctx context.Context, a *Account, key, kind, subject, body string) bool {
	first, err := s.store.MarkAccountAlert(ctx, a.ID, key, s.now().UTC())
	if err != nil {
		s.log.WarnContext(ctx, "recording an account alert failed", "account_id", a.ID, "kind", kind, "err", err)
		return false
	}
	if !first {
		return false
	}
	if _, err := s.Notify(ctx, Recipients{OrgOfficers: a.OrgID}, a.OrgID, kind, subject, body, "/accounts"); err != nil {
		s.log.WarnContext(ctx, "notifying an account alert failed", "account_id", a.ID, "kind", kind, "err", err)
		return false
	}
	return true
}
