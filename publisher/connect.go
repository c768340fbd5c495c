package publisher

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Connecting an organisation's accounts from the interface: the OAuth 2.0
// authorization-code redirect (PKCE where the platform takes it) bound to
// the signed-in user's session, the choice among the accounts one login
// grants (Facebook Pages, Instagram accounts), the credential forms of
// platforms without OAuth (Telegram, Bluesky), reconnecting, and
// disconnecting.
//
// The redirect flow:
//
//  1. StartConnect stores an Authorization in phase "authorize": a random
//     state, the PKCE verifier (sealed), the session, user, organisation,
//     platform and redirect URL, for AuthorizationTTL. It returns the
//     platform's consent page.
//  2. The platform sends the browser to the callback with the state and a
//     code (or an error). CompleteConnect takes the authorization — once,
//     and only for the session that started it — and exchanges the code.
//     One usable account granted is connected at once; several (or any
//     that cannot be used) are kept, sealed with their credentials, as an
//     Authorization in phase "select" under a new random id.
//  3. GetSelection shows them (never their credentials); CompleteSelection
//     takes the selection, once, and connects the accounts chosen.
//
// Credentials never leave the service except to a connector: they are
// sealed in the store, absent from every JSON shape, and never logged.

// AuthorizationTTL is how long a connection in progress may take, from the
// consent page to the callback, and from the callback to the choice of
// accounts.
const AuthorizationTTL = 10 * time.Minute

// AuthPhase is the step a connection in progress waits at.
type AuthPhase string

// Authorization phases.
const (
	AuthAuthorize AuthPhase = "authorize" // waiting for the platform's callback
	AuthSelect    AuthPhase = "select"    // waiting for the user to choose among the accounts granted
)

// Authorization is a connection in progress, kept by the store between the
// steps of the redirect flow. It is never serialised to a client.
type Authorization struct {
	// ID is the OAuth state sent to the platform (phase authorize) or the
	// selection's id (phase select): a random token, single use.
	ID    string
	Phase AuthPhase
	// SessionID is the id of the session that started it (the hash of the
	// session cookie's token): only that browser session can complete it.
	SessionID   string
	UserID      string
	OrgID       string
	Platform    Platform
	AccountID   string // the account being reconnected; "" for a new one
	RedirectURL string // the callback, exactly as sent to the platform
	// Sealed is the PKCE verifier (phase authorize) or the granted accounts
	// with their credentials as JSON (phase select), sealed by the keyring
	// for ID.
	Sealed    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CredentialsUpdate replaces an account's credentials and status if they
// are still those the caller read (compare-and-swap on the sealed secret),
// so that a token refresh, a reconnection and a refused call never undo
// each other.
type CredentialsUpdate struct {
	OldSecret      string // the sealed secret the caller read
	Secret         string // the new sealed secret ("" drops the credentials)
	TokenExpiresAt *time.Time
	Status         AccountStatus
	StatusReason   string
	At             time.Time // becomes UpdatedAt
}

// ConnectionStore keeps connections in progress and the token lifecycle's
// own state beside the accounts: refresh leases and the alerts sent.
type ConnectionStore interface {
	// CreateAuthorization stores a. Returns ECONFLICT if a.ID exists.
	CreateAuthorization(ctx context.Context, a *Authorization) error
	// GetAuthorization returns ENOTFOUND if there is no such authorization
	// (expired ones may be returned; the caller checks ExpiresAt).
	GetAuthorization(ctx context.Context, id string) (*Authorization, error)
	// TakeAuthorization deletes and returns the authorization with the id
	// if it belongs to sessionID and is in phase; otherwise it changes
	// nothing and returns ENOTFOUND. Of concurrent takes of one
	// authorization exactly one succeeds.
	TakeAuthorization(ctx context.Context, id, sessionID string, phase AuthPhase) (*Authorization, error)
	// DeleteExpiredAuthorizations removes authorizations that expired
	// before now and returns how many.
	DeleteExpiredAuthorizations(ctx context.Context, now time.Time) (int, error)
	// UpdateAccountCredentials applies c to the account if its stored
	// Secret equals c.OldSecret, and returns the updated account. Returns
	// ENOTFOUND if there is no such account and ECONFLICT if its secret
	// changed. Only Secret, TokenExpiresAt, Status, StatusReason and
	// UpdatedAt are written.
	UpdateAccountCredentials(ctx context.Context, id string, c CredentialsUpdate) (*Account, error)
	// AcquireTokenLease gives holder the account's token lease until
	// until, if nobody holds it at now (no lease, or one that ended at or
	// before now) or holder holds it already. Returns ECONFLICT if another
	// holder's lease runs past now. Of concurrent acquisitions exactly one
	// succeeds.
	AcquireTokenLease(ctx context.Context, accountID, holder string, now, until time.Time) error
	// ReleaseTokenLease ends holder's lease of the account; it does
	// nothing if holder does not hold it.
	ReleaseTokenLease(ctx context.Context, accountID, holder string) error
	// MarkAccountAlert records that the alert named key was sent for the
	// account at at, replacing the key recorded before. It reports true if
	// key was not the recorded one (the caller sends the alert), false if
	// it was. Of concurrent marks with one key exactly one reports true.
	MarkAccountAlert(ctx context.Context, accountID, key string, at time.Time) (bool, error)
}

// Revoker is implemented by connectors whose platform lets an app give up
// a grant (X's POST /2/oauth2/revoke, Mastodon's /oauth/revoke, Facebook's
// DELETE /me/permissions). Disconnecting an account calls it before the
// credentials are dropped.
type Revoker interface {
	// Revoke ends the grant behind cred. A grant that is already gone is
	// not an error. Errors are *PlatformError.
	Revoke(ctx context.Context, acct *Account, cred Credentials) error
}

// How a platform's accounts are connected (ConnectMethod.Method).
const (
	ConnectOAuth = "oauth" // the redirect flow
	ConnectForm  = "form"  // a credential form
)

// ConnectMethod says how a platform's accounts are connected in this
// deployment.
type ConnectMethod struct {
	Platform Platform `json:"platform"`
	// Method is ConnectOAuth, ConnectForm, or "" when the platform's
	// accounts cannot be connected here (Reason says why).
	Method string            `json:"method"`
	Fields []CredentialField `json:"fields,omitempty"` // the form, for ConnectForm
	// Sandbox is set when the platform runs against Prasar's sandbox.
	Sandbox bool `json:"sandbox"`
	// RedirectURL is the callback to register with the platform's app
	// (ConnectOAuth; administrators only).
	RedirectURL string `json:"redirectUrl,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// Renewable is set when a connected account's token can be renewed
	// on demand (RefreshAccountNow), without reconnecting.
	Renewable bool `json:"renewable"`
}

// Reasons a connection fails, as FieldError codes of the field "connect"
// (the callback's result page and the UI translate them).
const (
	ConnectReasonState       = "state"          // unknown, already used, or another sign-in's
	ConnectReasonExpired     = "expired"        // took longer than AuthorizationTTL
	ConnectReasonDenied      = "denied"         // the user refused on the consent page
	ConnectReasonPlatform    = "platform_error" // the platform sent another error
	ConnectReasonExchange    = "exchange"       // the platform refused the authorization code
	ConnectReasonUnavailable = "unavailable"    // the platform could not be reached
	ConnectReasonMismatch    = "mismatch"       // a reconnection signed in to another account
	ConnectReasonNoAccounts  = "no_accounts"    // the login granted no account
	ConnectReasonUnusable    = "unusable"       // the one account granted cannot be used
)

// connectError is the EINVALID error of a failed connection; detail (the
// platform's own words, or what was granted instead) goes in the field's
// "detail" parameter.
func connectError(reason, msg, detail string) *Error {
	fe := FieldError{Field: "connect", Code: reason, Message: msg}
	if detail != "" {
		fe.Params = map[string]string{"detail": detail}
	}
	return &Error{Code: EINVALID, Message: msg, Fields: []FieldError{fe}}
}

// ConnectReason returns the reason code of a failed connection, or "".
func ConnectReason(err error) (reason, detail string) {
	for _, f := range ErrorFields(err) {
		if f.Field == "connect" {
			return f.Code, f.Params["detail"]
		}
	}
	return "", ""
}

// OAuthCallbackPath is the path of the callback a platform sends the
// browser back to; %s is the platform.
const OAuthCallbackPath = "/api/v1/oauth/%s/callback"

// OAuthRedirectURL is the callback of platform p, as registered with its
// app: {BaseURL}/api/v1/oauth/{platform}/callback.
func (s *Service) OAuthRedirectURL(p Platform) string {
	return strings.TrimRight(s.cfg.BaseURL, "/") + fmt.Sprintf(OAuthCallbackPath, p)
}

// sandboxed reports whether p runs against the sandbox.
func (s *Service) sandboxed(p Platform) bool { return slices.Contains(s.cfg.SandboxPlatforms, p) }

// ConnectMethods says, for every configured platform, how its accounts are
// connected.
func (s *Service) ConnectMethods(ctx context.Context) ([]ConnectMethod, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var out []ConnectMethod
	for _, p := range Platforms {
		c := s.connectors[p]
		if c == nil {
			continue
		}
		m := ConnectMethod{Platform: p, Sandbox: s.sandboxed(p)}
		r := c.Rules()
		_, isAuth := c.(Authorizer)
		form, isForm := c.(CredentialForm)
		_, m.Renewable = c.(Refresher)
		switch {
		case r.Defunct != "":
			m.Reason = r.Defunct
		case !r.Enabled:
			m.Reason = "switched off in this deployment"
		case isAuth:
			m.Method = ConnectOAuth
			if u.Role == RoleAdmin {
				m.RedirectURL = s.OAuthRedirectURL(p)
			}
		case isForm:
			m.Method, m.Fields = ConnectForm, form.CredentialFields()
		default:
			m.Reason = "Prasar cannot connect accounts of this platform"
		}
		m.Renewable = m.Renewable && m.Method != ""
		out = append(out, m)
	}
	return out, nil
}

// ConnectTarget names where a connection goes: an organisation (a new
// account) or an account to reconnect.
type ConnectTarget struct {
	OrgID     string `json:"orgId"`
	AccountID string `json:"accountId"`
}

// connectTarget checks that the signed-in user may connect accounts of p
// for t, and returns the organisation and the account to reconnect (nil
// for a new account).
func (s *Service) connectTarget(ctx context.Context, u *User, p Platform, t ConnectTarget) (string, *Account, error) {
	if !p.Valid() {
		return "", nil, Errorf(ENOTFOUND, "No such platform.")
	}
	var acct *Account
	orgID := t.OrgID
	if t.AccountID != "" {
		a, err := s.GetAccount(ctx, t.AccountID)
		if err != nil {
			return "", nil, err
		}
		if a.Platform != p {
			return "", nil, &Error{Code: EINVALID, Message: "The account is on another platform.",
				Fields: []FieldError{{Field: "accountId", Code: "invalid_choice", Message: "The account is on another platform."}}}
		}
		if orgID != "" && orgID != a.OrgID {
			return "", nil, &Error{Code: EINVALID, Message: "The account belongs to another organisation.",
				Fields: []FieldError{{Field: "orgId", Code: "invalid_choice", Message: "The account belongs to another organisation."}}}
		}
		acct, orgID = a, a.OrgID
	}
	if orgID == "" && u.Role == RoleEditor {
		orgID = u.OrgID
	}
	if orgID == "" {
		return "", nil, &Error{Code: EINVALID, Message: "Choose the organisation the account belongs to.",
			Fields: []FieldError{{Field: "orgId", Code: "required", Message: "Choose the organisation."}}}
	}
	if !ValidID(orgID) || !canSeeOrg(u, orgID) {
		return "", nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	if !canWriteFor(u, orgID) {
		return "", nil, Errorf(EFORBIDDEN, "Only administrators and the organisation's own editors can connect its accounts.")
	}
	if _, err := s.store.GetOrg(ctx, orgID); IsCode(err, ENOTFOUND) {
		return "", nil, Errorf(ENOTFOUND, "No such organisation.")
	} else if err != nil {
		return "", nil, err
	}
	c := s.connectors[p]
	if c == nil {
		return "", nil, platformUnusable(p, "it is not configured in this deployment")
	}
	if r := c.Rules(); r.Defunct != "" {
		return "", nil, platformUnusable(p, r.Defunct)
	} else if !r.Enabled {
		return "", nil, platformUnusable(p, "it is switched off in this deployment")
	}
	return orgID, acct, nil
}

func platformUnusable(p Platform, why string) *Error {
	msg := fmt.Sprintf("Accounts on %s cannot be connected: %s.", p.Title(), strings.TrimSuffix(why, "."))
	return &Error{Code: EINVALID, Message: msg, Fields: []FieldError{{Field: "platform", Code: "platform_disabled", Message: msg,
		Params: map[string]string{"platform": string(p)}}}}
}

// StartConnect begins connecting (or, with t.AccountID, reconnecting) an
// account of platform p for the signed-in user's browser session, and
// returns the platform's consent page to send the browser to. Admins, and
// editors for their own organisation.
func (s *Service) StartConnect(ctx context.Context, sessionID string, p Platform, t ConnectTarget) (string, error) {
	u, err := actor(ctx)
	if err != nil {
		return "", err
	}
	if sessionID == "" {
		return "", Errorf(EUNAUTHORIZED, "Please sign in.")
	}
	orgID, acct, err := s.connectTarget(ctx, u, p, t)
	if err != nil {
		return "", err
	}
	auth, ok := s.connectors[p].(Authorizer)
	if !ok {
		return "", &Error{Code: EINVALID, Message: fmt.Sprintf("%s accounts are connected with a form, not by signing in.", p.Title()),
			Fields: []FieldError{{Field: "platform", Code: "invalid_choice", Message: "This platform is connected with a form."}}}
	}
	now := s.now().UTC()
	a := &Authorization{ID: NewToken(32), Phase: AuthAuthorize, SessionID: sessionID, UserID: u.ID, OrgID: orgID, Platform: p,
		RedirectURL: s.OAuthRedirectURL(p), CreatedAt: now, ExpiresAt: now.Add(AuthorizationTTL)}
	if acct != nil {
		a.AccountID = acct.ID
	}
	// 32 random bytes in base32: 52 characters of [0-9a-z], a valid PKCE
	// verifier (43–128 unreserved characters).
	verifier := NewToken(32)
	if a.Sealed, err = s.keyring.Seal(a.ID, []byte(verifier)); err != nil {
		return "", WrapError(EINTERNAL, err, "sealing the verifier")
	}
	if err := s.store.CreateAuthorization(ctx, a); err != nil {
		return "", err
	}
	return auth.AuthCodeURL(a.ID, verifier, a.RedirectURL), nil
}

// OAuthCallback is what the platform sent the browser back with.
type OAuthCallback struct {
	State            string
	Code             string
	Error            string // e.g. access_denied
	ErrorDescription string
}

// ConnectResult is the outcome of a connection: the accounts connected, or
// the selection the user must make first.
type ConnectResult struct {
	Platform  Platform   `json:"platform"`
	OrgID     string     `json:"orgId"`
	Accounts  []*Account `json:"accounts"`
	Selection *Selection `json:"selection,omitempty"`
}

// Selection is the choice among the accounts one login granted.
type Selection struct {
	ID        string              `json:"id"`
	Platform  Platform            `json:"platform"`
	OrgID     string              `json:"orgId"`
	Accounts  []SelectableAccount `json:"accounts"`
	ExpiresAt time.Time           `json:"expiresAt"`
}

// SelectableAccount is one granted account as the selection page shows it:
// never its credentials. An account with a Problem cannot be chosen.
type SelectableAccount struct {
	ExternalID  string   `json:"externalId"`
	Handle      string   `json:"handle"`
	DisplayName string   `json:"displayName"`
	ProfileURL  string   `json:"profileUrl,omitempty"`
	Scopes      []string `json:"scopes,omitempty"`
	Problem     string   `json:"problem,omitempty"`
	// Registered is set when the organisation has the account already
	// (choosing it reconnects it, or connects the account registered in
	// the registry under its handle).
	Registered bool `json:"registered"`
}

// CompleteConnect finishes the redirect flow when the platform sends the
// browser back: the state must name an authorization of this session and
// user that is unexpired and unused. A refusal on the consent page, a
// refused code or an account that cannot be used is an EINVALID error
// whose ConnectReason says which.
func (s *Service) CompleteConnect(ctx context.Context, sessionID string, p Platform, cb OAuthCallback) (*ConnectResult, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	stateErr := connectError(ConnectReasonState, "This connection request is unknown, was already used, or was started in another sign-in. Start connecting again.", "")
	if !ValidID(cb.State) || sessionID == "" {
		return nil, stateErr
	}
	a, err := s.store.TakeAuthorization(ctx, cb.State, sessionID, AuthAuthorize)
	if IsCode(err, ENOTFOUND) {
		return nil, stateErr
	} else if err != nil {
		return nil, err
	}
	if a.UserID != u.ID || a.Platform != p {
		return nil, stateErr
	}
	if !s.now().Before(a.ExpiresAt) {
		return nil, connectError(ConnectReasonExpired, fmt.Sprintf("The sign-in on %s took longer than %d minutes. Start connecting again.", p.Title(), int(AuthorizationTTL.Minutes())), "")
	}
	if cb.Error != "" {
		if cb.Error == "access_denied" {
			return nil, connectError(ConnectReasonDenied, fmt.Sprintf("Permission was not given on %s, so no account was connected.", p.Title()), "")
		}
		return nil, connectError(ConnectReasonPlatform, fmt.Sprintf("%s reported an error instead of connecting the account.", p.Title()),
			clip(strings.TrimSpace(cb.Error+": "+cb.ErrorDescription), 300))
	}
	if cb.Code == "" {
		return nil, connectError(ConnectReasonPlatform, fmt.Sprintf("%s sent no authorization code.", p.Title()), "")
	}
	if !canWriteFor(u, a.OrgID) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	auth, ok := s.connectors[p].(Authorizer)
	if !ok {
		return nil, platformUnusable(p, "it is not configured in this deployment")
	}
	verifier, err := s.keyring.Open(a.ID, a.Sealed)
	if err != nil {
		return nil, WrapError(EINTERNAL, err, "opening the verifier")
	}
	grants, err := auth.Exchange(ctx, cb.Code, string(verifier), a.RedirectURL)
	if err != nil {
		pe := AsPlatformError(err)
		s.log.WarnContext(ctx, "oauth code exchange failed", "platform", string(p), "class", string(pe.Class), "code", pe.Code)
		if pe.Class == ClassRetryable || pe.Class == ClassRateLimited {
			return nil, connectError(ConnectReasonUnavailable, fmt.Sprintf("%s could not be reached to complete the connection. Try again.", p.Title()), clip(pe.Message, 300))
		}
		return nil, connectError(ConnectReasonExchange, fmt.Sprintf("%s did not accept the sign-in. Start connecting again.", p.Title()), clip(pe.Message, 300))
	}
	res := &ConnectResult{Platform: p, OrgID: a.OrgID, Accounts: []*Account{}}
	if a.AccountID != "" {
		acct, err := s.connectOne(ctx, a, grants)
		if err != nil {
			return nil, err
		}
		res.Accounts = append(res.Accounts, acct)
		return res, nil
	}
	sel, err := s.selectable(ctx, a.OrgID, p, grants)
	if err != nil {
		return nil, err
	}
	switch {
	case len(grants) == 0:
		return nil, connectError(ConnectReasonNoAccounts, fmt.Sprintf("The sign-in on %s gave access to no account that Prasar could publish to.", p.Title()), "")
	case len(grants) == 1 && sel[0].Problem != "":
		return nil, connectError(ConnectReasonUnusable, fmt.Sprintf("The %s account %s cannot be connected.", p.Title(), grants[0].Handle), sel[0].Problem)
	case len(grants) == 1:
		acct, err := s.connectGranted(ctx, a.OrgID, p, grants[0], "oauth")
		if err != nil {
			return nil, err
		}
		res.Accounts = append(res.Accounts, acct)
		return res, nil
	}
	// Several: keep them (sealed) for the user to choose.
	now := s.now().UTC()
	next := &Authorization{ID: NewToken(32), Phase: AuthSelect, SessionID: sessionID, UserID: u.ID, OrgID: a.OrgID, Platform: p,
		CreatedAt: now, ExpiresAt: now.Add(AuthorizationTTL)}
	b, err := json.Marshal(grantsWithCredentials(grants))
	if err != nil {
		return nil, WrapError(EINTERNAL, err, "encoding the granted accounts")
	}
	if next.Sealed, err = s.keyring.Seal(next.ID, b); err != nil {
		return nil, WrapError(EINTERNAL, err, "sealing the granted accounts")
	}
	if err := s.store.CreateAuthorization(ctx, next); err != nil {
		return nil, err
	}
	res.Selection = &Selection{ID: next.ID, Platform: p, OrgID: a.OrgID, Accounts: sel, ExpiresAt: next.ExpiresAt}
	return res, nil
}

// sealedGrant is a granted account with its credentials, as sealed in a
// selection (GrantedAccount leaves its credentials out of JSON).
type sealedGrant struct {
	GrantedAccount
	Cred Credentials `json:"credentials"`
}

func grantsWithCredentials(gs []GrantedAccount) []sealedGrant {
	out := make([]sealedGrant, len(gs))
	for i, g := range gs {
		out[i] = sealedGrant{GrantedAccount: g, Cred: g.Credentials}
	}
	return out
}

// openGrants opens a selection's granted accounts.
func (s *Service) openGrants(a *Authorization) ([]GrantedAccount, error) {
	b, err := s.keyring.Open(a.ID, a.Sealed)
	if err != nil {
		return nil, WrapError(EINTERNAL, err, "opening the granted accounts")
	}
	var sg []sealedGrant
	if err := json.Unmarshal(b, &sg); err != nil {
		return nil, WrapError(EINTERNAL, err, "decoding the granted accounts")
	}
	out := make([]GrantedAccount, len(sg))
	for i, g := range sg {
		out[i] = g.GrantedAccount
		out[i].Credentials = g.Cred
	}
	return out, nil
}

// selectable describes granted accounts for the selection page: the
// connector's problem, or registration to another organisation.
func (s *Service) selectable(ctx context.Context, orgID string, p Platform, gs []GrantedAccount) ([]SelectableAccount, error) {
	out := make([]SelectableAccount, 0, len(gs))
	for _, g := range gs {
		sa := SelectableAccount{ExternalID: g.ExternalID, Handle: g.Handle, DisplayName: g.DisplayName, ProfileURL: g.ProfileURL,
			Scopes: g.Scopes, Problem: g.Problem}
		if strings.TrimSpace(g.ExternalID) == "" && sa.Problem == "" {
			sa.Problem = "The platform did not give the account's id."
		}
		if g.ExternalID != "" {
			ex, err := s.store.ListAccounts(ctx, AccountFilter{Platform: p, ExternalID: g.ExternalID})
			if err != nil {
				return nil, err
			}
			if len(ex) == 0 {
				// Registered in the registry before anyone connected it.
				reg, err := s.registeredAccount(ctx, p, grantHandle(g))
				if err != nil {
					return nil, err
				}
				if reg != nil {
					ex = []*Account{reg}
				}
			}
			if len(ex) > 0 && ex[0].OrgID != orgID {
				if sa.Problem == "" {
					sa.Problem = "This account is registered to another organisation in Prasar."
				}
			} else if len(ex) > 0 {
				sa.Registered = true
			}
		}
		out = append(out, sa)
	}
	return out, nil
}

// connectOne reconnects the account an authorization names with the grant
// for the same account on the platform.
func (s *Service) connectOne(ctx context.Context, a *Authorization, grants []GrantedAccount) (*Account, error) {
	acct, err := s.store.GetAccount(ctx, a.AccountID)
	if IsCode(err, ENOTFOUND) {
		return nil, Errorf(ENOTFOUND, "The account to reconnect was removed.")
	} else if err != nil {
		return nil, err
	}
	var handles []string
	for _, g := range grants {
		if grantMatches(acct, g) {
			if g.Problem != "" {
				return nil, connectError(ConnectReasonUnusable, fmt.Sprintf("The %s account %s cannot be reconnected.", acct.Platform.Title(), acct.Handle), g.Problem)
			}
			return s.connectGranted(ctx, acct.OrgID, acct.Platform, g, "oauth")
		}
		handles = append(handles, firstNonEmpty(g.Handle, g.DisplayName, g.ExternalID))
	}
	return nil, connectError(ConnectReasonMismatch, fmt.Sprintf("The sign-in on %s was not for %s. Sign in on %s as %s and reconnect again.",
		acct.Platform.Title(), acct.Handle, acct.Platform.Title(), acct.Handle), clip(strings.Join(handles, ", "), 300))
}

// connectGranted registers (or updates) a granted account with its
// credentials. A grant without a refresh token keeps the one of a
// connected account's earlier grant: some platforms issue it only on the
// first consent, and dropping it forces people to reconnect again and
// again.
func (s *Service) connectGranted(ctx context.Context, orgID string, p Platform, g GrantedAccount, how string) (*Account, error) {
	cred := g.Credentials
	if cred.RefreshToken == "" {
		ex, err := s.store.ListAccounts(ctx, AccountFilter{Platform: p, ExternalID: g.ExternalID})
		if err != nil {
			return nil, err
		}
		if len(ex) > 0 && ex[0].OrgID == orgID && ex[0].Status == AccountConnected {
			if old, err := s.keyring.OpenCredentials(ex[0].ID, ex[0].Secret); err == nil && old.RefreshToken != "" {
				cred.RefreshToken = old.RefreshToken
			}
		}
	}
	handle := firstNonEmpty(strings.TrimSpace(g.Handle), strings.TrimSpace(g.DisplayName), g.ExternalID)
	acct, err := s.SaveAccount(ctx, AccountInput{OrgID: orgID, Platform: p, Handle: handle, DisplayName: g.DisplayName, ExternalID: g.ExternalID,
		ProfileURL: g.ProfileURL, Sandbox: s.sandboxed(p), Credentials: &cred, Scopes: g.Scopes})
	if err != nil {
		return nil, err
	}
	s.audit(ctx, "account.connect", "account", acct.ID, acct.OrgID, map[string]string{"platform": string(p), "handle": acct.Handle, "method": how})
	s.log.InfoContext(ctx, "account connected", "account_id", acct.ID, "platform", string(p), "method", how)
	return acct, nil
}

// selection returns the selection with the id if it belongs to the
// signed-in user's session and has not expired; ENOTFOUND otherwise.
func (s *Service) selection(ctx context.Context, u *User, sessionID, id string) (*Authorization, error) {
	gone := Errorf(ENOTFOUND, "This choice of accounts has expired or was already made. Connect again.")
	if !ValidID(id) || sessionID == "" {
		return nil, gone
	}
	a, err := s.store.GetAuthorization(ctx, id)
	if IsCode(err, ENOTFOUND) {
		return nil, gone
	} else if err != nil {
		return nil, err
	}
	if a.Phase != AuthSelect || a.SessionID != sessionID || a.UserID != u.ID || !s.now().Before(a.ExpiresAt) {
		return nil, gone
	}
	return a, nil
}

// GetSelection returns the accounts a login granted, for the user to
// choose from (never their credentials).
func (s *Service) GetSelection(ctx context.Context, sessionID, id string) (*Selection, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.selection(ctx, u, sessionID, id)
	if err != nil {
		return nil, err
	}
	gs, err := s.openGrants(a)
	if err != nil {
		return nil, err
	}
	sel, err := s.selectable(ctx, a.OrgID, a.Platform, gs)
	if err != nil {
		return nil, err
	}
	return &Selection{ID: a.ID, Platform: a.Platform, OrgID: a.OrgID, Accounts: sel, ExpiresAt: a.ExpiresAt}, nil
}

// CompleteSelection connects the chosen accounts of a selection (by their
// external ids); a selection is used once.
func (s *Service) CompleteSelection(ctx context.Context, sessionID, id string, externalIDs []string) (*ConnectResult, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.selection(ctx, u, sessionID, id)
	if err != nil {
		return nil, err
	}
	if !canWriteFor(u, a.OrgID) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	gs, err := s.openGrants(a)
	if err != nil {
		return nil, err
	}
	sel, err := s.selectable(ctx, a.OrgID, a.Platform, gs)
	if err != nil {
		return nil, err
	}
	bad := func(msg string) error {
		return &Error{Code: EINVALID, Message: msg, Fields: []FieldError{{Field: "externalIds", Code: "invalid_choice", Message: msg}}}
	}
	if len(externalIDs) == 0 {
		return nil, &Error{Code: EINVALID, Message: "Choose at least one account.", Fields: []FieldError{{Field: "externalIds", Code: "required", Message: "Choose at least one account."}}}
	}
	var chosen []GrantedAccount
	for _, ext := range externalIDs {
		i := slices.IndexFunc(gs, func(g GrantedAccount) bool { return g.ExternalID == ext })
		switch {
		case i < 0:
			return nil, bad("One of the chosen accounts was not granted by this sign-in.")
		case sel[i].Problem != "":
			return nil, bad(fmt.Sprintf("%s cannot be connected: %s", sel[i].Handle, sel[i].Problem))
		case slices.ContainsFunc(chosen, func(g GrantedAccount) bool { return g.ExternalID == ext }):
			continue
		}
		chosen = append(chosen, gs[i])
	}
	// Used once: a second submission (another tab) finds nothing.
	if _, err := s.store.TakeAuthorization(ctx, a.ID, sessionID, AuthSelect); IsCode(err, ENOTFOUND) {
		return nil, Errorf(ENOTFOUND, "This choice of accounts has expired or was already made. Connect again.")
	} else if err != nil {
		return nil, err
	}
	res := &ConnectResult{Platform: a.Platform, OrgID: a.OrgID, Accounts: []*Account{}}
	for _, g := range chosen {
		acct, err := s.connectGranted(ctx, a.OrgID, a.Platform, g, "oauth")
		if err != nil {
			return nil, err
		}
		res.Accounts = append(res.Accounts, acct)
	}
	return res, nil
}

// CredentialsInput connects an account of a platform without OAuth: the
// form's values by field name.
type CredentialsInput struct {
	OrgID     string            `json:"orgId"`
	AccountID string            `json:"accountId"`
	Values    map[string]string `json:"values"`
}

// ConnectWithCredentials checks a credential form's values with the
// platform (Telegram's bot token and channel, Bluesky's handle and app
// password) and connects, or reconnects, the account they give access to.
// The values are never logged nor returned.
func (s *Service) ConnectWithCredentials(ctx context.Context, p Platform, in CredentialsInput) (*Account, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	orgID, acct, err := s.connectTarget(ctx, u, p, ConnectTarget{OrgID: in.OrgID, AccountID: in.AccountID})
	if err != nil {
		return nil, err
	}
	form, ok := s.connectors[p].(CredentialForm)
	if !ok {
		return nil, &Error{Code: EINVALID, Message: fmt.Sprintf("%s accounts are connected by signing in on %s, not with a form.", p.Title(), p.Title()),
			Fields: []FieldError{{Field: "platform", Code: "invalid_choice", Message: "This platform is connected by signing in."}}}
	}
	fields := form.CredentialFields()
	var fe fieldErrors
	values := map[string]string{}
	for _, f := range fields {
		v := strings.TrimSpace(in.Values[f.Name])
		if f.Required && v == "" {
			fe.add("values."+f.Name, "required", "Enter the "+strings.ToLower(f.Label)+".")
		}
		values[f.Name] = v
	}
	for k := range in.Values {
		if !slices.ContainsFunc(fields, func(f CredentialField) bool { return f.Name == k }) {
			fe.add("values."+k, "unknown_field", "There is no such field.")
		}
	}
	if err := fe.err("The connection details need correcting."); err != nil {
		return nil, err
	}
	g, err := form.VerifyCredentials(ctx, values)
	if err != nil {
		pe := AsPlatformError(err)
		s.log.WarnContext(ctx, "credential check failed", "platform", string(p), "class", string(pe.Class), "code", pe.Code)
		switch pe.Class {
		case ClassRetryable, ClassRateLimited:
			return nil, WrapError(EUNAVAILABLE, pe, "%s could not be reached to check the details. Try again in a minute.", p.Title())
		}
		field := "values"
		for _, f := range fields {
			if f.Secret && pe.Class == ClassAuth {
				field = "values." + f.Name
				break
			}
		}
		msg := fmt.Sprintf("%s did not accept these details.", p.Title())
		return nil, &Error{Code: EINVALID, Message: msg, Fields: []FieldError{{Field: field, Code: "credentials_refused", Message: clip(pe.Message, 300),
			Params: map[string]string{"platform": string(p), "detail": clip(pe.Message, 300)}}}}
	}
	if g == nil {
		return nil, WrapError(EINTERNAL, nil, "the connector returned no account")
	}
	if acct != nil && !grantMatches(acct, *g) {
		return nil, connectError(ConnectReasonMismatch, fmt.Sprintf("These details are for %s, not for %s.", firstNonEmpty(g.Handle, g.ExternalID), acct.Handle), "")
	}
	if g.Problem != "" {
		return nil, connectError(ConnectReasonUnusable, fmt.Sprintf("The %s account %s cannot be connected.", p.Title(), firstNonEmpty(g.Handle, g.ExternalID)), g.Problem)
	}
	return s.connectGranted(ctx, orgID, p, *g, "form")
}

// DisconnectResult says what disconnecting did.
type DisconnectResult struct {
	Account *Account `json:"account"`
	// Revoked is set when the platform confirmed that the grant was
	// revoked; RevokeError says why it could not be (the credentials are
	// dropped anyway).
	Revoked     bool   `json:"revoked"`
	RevokeError string `json:"revokeError,omitempty"`
}

// DisconnectAccount revokes the account's grant where the platform can and
// drops its credentials; the account stays in the registry, disconnected.
// Admins, and editors for their own organisation.
func (s *Service) DisconnectAccount(ctx context.Context, id string) (*DisconnectResult, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.GetAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canWriteFor(u, a.OrgID) {
		return nil, Errorf(EFORBIDDEN, "Only administrators and the organisation's own editors can disconnect its accounts.")
	}
	res := &DisconnectResult{Account: a}
	if a.Secret == "" {
		return res, nil // nothing to drop
	}
	// Hold the token lease: a refresh must not store new credentials
	// after they were dropped (nor be undone by it).
	holder := NewToken(9)
	now := s.now()
	if err := s.store.AcquireTokenLease(ctx, a.ID, holder, now.UTC(), now.Add(tokenLease).UTC()); IsCode(err, ECONFLICT) {
		return nil, Errorf(ECONFLICT, "The account's token is being renewed right now. Try again in a minute.")
	} else if err != nil {
		return nil, err
	}
	defer s.releaseLease(ctx, a.ID, holder)
	if a, err = s.store.GetAccount(ctx, a.ID); err != nil {
		return nil, err
	}
	if r, ok := s.connectors[a.Platform].(Revoker); ok {
		if cred, err := s.keyring.OpenCredentials(a.ID, a.Secret); err == nil {
			rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err = r.Revoke(rctx, a, cred)
			cancel()
			if err != nil {
				pe := AsPlatformError(err)
				res.RevokeError = fmt.Sprintf("%s could not revoke Prasar's access (%s); remove Prasar in the account's app settings on %s.",
					a.Platform.Title(), clip(pe.Message, 200), a.Platform.Title())
				s.log.WarnContext(ctx, "revoking a grant failed", "account_id", a.ID, "platform", string(a.Platform), "class", string(pe.Class))
			} else {
				res.Revoked = true
			}
		}
	}
	na, err := s.store.UpdateAccountCredentials(ctx, a.ID, CredentialsUpdate{OldSecret: a.Secret, Secret: "", Status: AccountDisconnected,
		StatusReason: "Disconnected in Prasar; connect it again to publish to it.", At: s.now().UTC()})
	if err != nil {
		return nil, err
	}
	res.Account = na
	s.audit(ctx, "account.disconnect", "account", na.ID, na.OrgID, map[string]string{"platform": string(na.Platform), "handle": na.Handle,
		"revoked": fmt.Sprint(res.Revoked)})
	return res, nil
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
