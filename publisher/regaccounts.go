package publisher

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// Accounts as the registry sees them: handle, profile URL, verification,
// two-factor status, the official recovery e-mail, the connection status,
// and whether the platform is defunct.

// KooDefunct is why Koo accounts cannot be used.
const KooDefunct = "Koo shut down on 3 July 2024."

// platformDefunct says why p cannot be used at all ("" if it can): its
// connector's word, or for Koo the fact even without a connector.
func (s *Service) platformDefunct(p Platform) string {
	if c := s.connectors[p]; c != nil && c.Rules().Defunct != "" {
		return c.Rules().Defunct
	}
	if p == Koo {
		return KooDefunct
	}
	return ""
}

// RegistryAccount is an account with its registry details.
type RegistryAccount struct {
	*Account
	Profile *AccountProfile `json:"profile"`
	// Defunct says why the platform cannot be used, if it cannot.
	Defunct string `json:"defunct,omitempty"`
	// Required is set for platforms every organisation must be on.
	Required bool `json:"required"`
	// Working is set when the account can be published to now: connected,
	// with a token that has not expired, on a platform that is not defunct.
	Working bool `json:"working"`
}

// working reports whether a can be published to at now.
func (s *Service) working(a *Account, now time.Time) bool {
	return a.Status == AccountConnected && (a.TokenExpiresAt == nil || a.TokenExpiresAt.After(now)) && s.platformDefunct(a.Platform) == ""
}

// registryAccounts adds the registry details to accounts.
func (s *Service) registryAccounts(ctx context.Context, as []*Account) ([]*RegistryAccount, error) {
	out := make([]*RegistryAccount, 0, len(as))
	if len(as) == 0 {
		return out, nil
	}
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	ps, err := s.store.ListAccountProfiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]*AccountProfile{}
	for _, p := range ps {
		byID[p.AccountID] = p
	}
	now := s.now()
	for _, a := range as {
		p := byID[a.ID]
		if p == nil {
			p = &AccountProfile{AccountID: a.ID, Verification: VerificationUnknown, TwoFactor: TwoFactorUnknown}
		}
		out = append(out, &RegistryAccount{Account: a, Profile: p, Defunct: s.platformDefunct(a.Platform),
			Required: s.requiredPlatform(a.Platform), Working: s.working(a, now)})
	}
	return out, nil
}

func (s *Service) requiredPlatform(p Platform) bool {
	for _, r := range s.cfg.RequiredPlatforms {
		if r == p {
			return true
		}
	}
	return false
}

// RequiredPlatforms returns the platforms every organisation must be on.
func (s *Service) RequiredPlatforms() []Platform {
	return append([]Platform(nil), s.cfg.RequiredPlatforms...)
}

// AccountProfileInput changes an account's registry details.
type AccountProfileInput struct {
	Verification  Verification `json:"verification"`
	Badge         string       `json:"badge"`
	TwoFactor     TwoFactor    `json:"twoFactor"`
	RecoveryEmail string       `json:"recoveryEmail"`
	Notes         string       `json:"notes"`
}

func validateProfile(in *AccountProfileInput, fe *fieldErrors) {
	in.Badge = strings.ToLower(strings.TrimSpace(in.Badge))
	in.RecoveryEmail = strings.ToLower(strings.TrimSpace(in.RecoveryEmail))
	in.Notes = strings.TrimSpace(in.Notes)
	if in.Verification == "" {
		in.Verification = VerificationUnknown
	}
	if in.TwoFactor == "" {
		in.TwoFactor = TwoFactorUnknown
	}
	switch in.Verification {
	case VerificationUnknown, VerificationUnverified, VerificationRequested, VerificationVerified:
	default:
		fe.add("verification", "invalid_choice", "Choose unknown, unverified, requested or verified.")
	}
	switch in.Badge {
	case "", "blue", "grey", "gold":
	default:
		fe.add("badge", "invalid_choice", "Choose blue, grey or gold, or leave it empty.")
	}
	switch in.TwoFactor {
	case TwoFactorUnknown, TwoFactorEnabled, TwoFactorDisabled:
	default:
		fe.add("twoFactor", "invalid_choice", "Choose unknown, enabled or disabled.")
	}
	if in.RecoveryEmail != "" && !ValidEmail(in.RecoveryEmail) {
		fe.add("recoveryEmail", "invalid_email", "Enter a valid e-mail address.")
	}
	if len(in.Notes) > 2000 {
		fe.add("notes", "too_long", "This is longer than 2000 characters.", "limit", "2000")
	}
}

// SaveAccountProfile changes an account's registry details. Admins, and
// editors for their own organisation's accounts.
func (s *Service) SaveAccountProfile(ctx context.Context, accountID string, in AccountProfileInput) (*RegistryAccount, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.GetAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if !canWriteFor(u, a.OrgID) {
		return nil, Errorf(EFORBIDDEN, "Only administrators and the organisation's own editors change its accounts.")
	}
	var fe fieldErrors
	validateProfile(&in, &fe)
	if err := fe.err("The account's details need correcting."); err != nil {
		return nil, err
	}
	p := &AccountProfile{AccountID: a.ID, Verification: in.Verification, Badge: in.Badge, TwoFactor: in.TwoFactor,
		RecoveryEmail: in.RecoveryEmail, Notes: in.Notes, UpdatedBy: u.ID, UpdatedAt: s.now().UTC()}
	if err := s.store.PutAccountProfile(ctx, p); err != nil {
		return nil, err
	}
	s.audit(ctx, "account.profile", "account", a.ID, a.OrgID, map[string]string{"verification": string(p.Verification), "two_factor": string(p.TwoFactor)})
	ras, err := s.registryAccounts(ctx, []*Account{a})
	if err != nil {
		return nil, err
	}
	return ras[0], nil
}

// RegisterAccountInput records an account in the registry before (or
// without) connecting it for publishing.
type RegisterAccountInput struct {
	OrgID       string   `json:"orgId"`
	Platform    Platform `json:"platform"`
	Handle      string   `json:"handle"`
	ProfileURL  string   `json:"profileUrl"`
	DisplayName string   `json:"displayName"`
	AccountProfileInput
}

// RegistryExternalID is the external id a registered account has until it
// is connected: the platform's real id is learnt when it is.
func RegistryExternalID(handle string) string {
	return "handle:" + strings.ToLower(strings.TrimSpace(handle))
}

// validateHandle checks a handle and profile URL.
func validateAccountFields(p Platform, handle, profileURL string, fe *fieldErrors) {
	if !p.Valid() {
		fe.add("platform", "invalid_choice", "Choose a platform.")
	}
	if handle == "" {
		fe.add("handle", "required", "Enter the account's handle.")
	} else if len(handle) > 200 || strings.ContainsAny(handle, " \t\r\n") {
		fe.add("handle", "invalid_handle", "Enter the handle without spaces, such as @AgricultureHry.")
	}
	if profileURL != "" {
		if u, err := url.Parse(profileURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			fe.add("profileUrl", "invalid_url", "Enter the profile's address, starting with https://.")
		}
	}
}

// RegisterAccount records an organisation's account on a platform in the
// registry, or updates the registry details of the one it has there with
// the same handle. A new account is not connected (it cannot be published
// to until someone connects it); a Koo account is marked defunct. Admins,
// and editors for their own organisation.
func (s *Service) RegisterAccount(ctx context.Context, in RegisterAccountInput) (*RegistryAccount, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !canWriteFor(u, in.OrgID) {
		return nil, Errorf(ENOTFOUND, "No such organisation.")
	}
	in.Handle, in.ProfileURL, in.DisplayName = strings.TrimSpace(in.Handle), strings.TrimSpace(in.ProfileURL), strings.TrimSpace(in.DisplayName)
	var fe fieldErrors
	validateAccountFields(in.Platform, in.Handle, in.ProfileURL, &fe)
	validateProfile(&in.AccountProfileInput, &fe)
	org, err := s.store.GetOrg(ctx, in.OrgID)
	if err != nil {
		fe.add("orgId", "unknown_org", "No such organisation.")
	}
	if err := fe.err("The account's details need correcting."); err != nil {
		return nil, err
	}
	a, err := s.findAccount(ctx, in.Platform, in.Handle)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	create := a == nil
	if create {
		a = &Account{ID: NewID(), OrgID: in.OrgID, Platform: in.Platform, ExternalID: RegistryExternalID(in.Handle), Status: AccountDisconnected,
			CreatedAt: now}
		if d := s.platformDefunct(in.Platform); d != "" {
			a.Status, a.StatusReason = AccountDefunct, d
		}
	} else if a.OrgID != in.OrgID {
		return nil, &Error{Code: EINVALID, Message: "This account is registered to another organisation.",
			Fields: []FieldError{{Field: "handle", Code: "taken", Message: "This account is registered to another organisation."}}}
	}
	a.Handle, a.ProfileURL, a.UpdatedAt = in.Handle, in.ProfileURL, now
	if in.DisplayName != "" {
		a.DisplayName = in.DisplayName
	} else if a.DisplayName == "" {
		a.DisplayName = org.NameEN
	}
	if create {
		err = s.store.CreateAccount(ctx, a)
	} else {
		err = s.store.UpdateAccount(ctx, a)
	}
	if err != nil {
		return nil, err
	}
	action := "account.register"
	if !create {
		action = "account.update_registry"
	}
	s.audit(ctx, action, "account", a.ID, a.OrgID, map[string]string{"platform": string(a.Platform), "handle": a.Handle})
	return s.SaveAccountProfile(ctx, a.ID, in.AccountProfileInput)
}

// findAccount returns the account on p with the given handle (compared
// without case and a leading @), or nil.
func (s *Service) findAccount(ctx context.Context, p Platform, handle string) (*Account, error) {
	as, err := s.store.ListAccounts(ctx, AccountFilter{Platform: p})
	if err != nil {
		return nil, err
	}
	key := handleKey(handle)
	for _, a := range as {
		if handleKey(a.Handle) == key {
			return a, nil
		}
	}
	return nil, nil
}

func handleKey(h string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
}
