package publisher

import (
	"context"
	"time"
)

// Optional connector capabilities. A Connector implements those its
// platform supports; the services check with a type assertion.

// Authorizer is implemented by connectors whose accounts connect through an
// OAuth 2.0 authorization-code redirect (Facebook, Instagram, X, Threads,
// LinkedIn, Mastodon).
type Authorizer interface {
	// AuthCodeURL returns the platform's consent page for state. verifier
	// is the PKCE code verifier (the connector sends its S256 challenge
	// where the platform supports PKCE, and ignores it otherwise).
	// redirectURL is Prasar's callback, exactly as registered with the app.
	AuthCodeURL(state, verifier, redirectURL string) string
	// Exchange trades an authorization code for credentials and returns
	// the accounts the grant covers: one for X or LinkedIn members, every
	// Page (with its Page token) for Facebook, every professional account
	// for Instagram. Errors are *PlatformError (ClassRejected for a
	// refused or expired code).
	Exchange(ctx context.Context, code, verifier, redirectURL string) ([]GrantedAccount, error)
}

// GrantedAccount is an account a login grants access to.
type GrantedAccount struct {
	ExternalID  string      `json:"externalId"`
	Handle      string      `json:"handle"`
	DisplayName string      `json:"displayName"`
	ProfileURL  string      `json:"profileUrl,omitempty"`
	Credentials Credentials `json:"-"`
	Scopes      []string    `json:"scopes,omitempty"`
	// Problem says why this account cannot be used (for example a Page
	// without the CREATE_CONTENT task); it is shown, not connected.
	Problem string `json:"problem,omitempty"`
}

// CredentialForm is implemented by connectors whose accounts connect with
// a form instead of OAuth: a Telegram bot token and channel, a Bluesky
// handle and app password.
type CredentialForm interface {
	// CredentialFields describes the form.
	CredentialFields() []CredentialField
	// VerifyCredentials checks the values with the platform and returns
	// the account they give access to. Errors are *PlatformError
	// (ClassAuth for wrong secrets, ClassRejected for, say, a bot that is
	// not an administrator of the channel).
	VerifyCredentials(ctx context.Context, values map[string]string) (*GrantedAccount, error)
}

// CredentialField is one field of a credential form.
type CredentialField struct {
	Name     string `json:"name"`
	Label    string `json:"label"` // English; the UI translates by Name
	Help     string `json:"help"`
	Secret   bool   `json:"secret"` // a password-like field: never shown again
	Required bool   `json:"required"`
}

// Refresher is implemented by connectors whose tokens expire and can be
// renewed without the user: X (rotating single-use refresh tokens),
// Instagram and Threads (long-lived token refresh after 24 h), Facebook
// (long-lived user token exchange), LinkedIn (approved partners), Bluesky
// (session refresh).
type Refresher interface {
	// RefreshDue reports whether cred should be refreshed at now (some
	// margin before expiry; never before the platform allows it).
	RefreshDue(cred Credentials, now time.Time) bool
	// Refresh returns new credentials. The caller stores them before they
	// are used and never refreshes one account concurrently; a connector
	// must keep the old refresh token when the platform returns none.
	// A revoked or expired grant is a *PlatformError of ClassAuth; anything
	// transient is ClassRetryable or ClassRateLimited.
	Refresh(ctx context.Context, acct *Account, cred Credentials) (Credentials, error)
}

// Deleter is implemented by connectors whose platform lets a post be
// deleted (used to retract a published post).
type Deleter interface {
	// Delete removes a post. A post that is already gone is not an error.
	Delete(ctx context.Context, acct *Account, cred Credentials, externalID string) error
}

// MetricsFetcher is implemented by connectors that can read a published
// post's metrics.
type MetricsFetcher interface {
	// FetchMetrics returns the post's raw metrics by the platform's own
	// names for the configured API version. A metric the platform refuses
	// (deprecated, removed, not available for this post) is reported in
	// Unavailable with the platform's words and never fails the others.
	FetchMetrics(ctx context.Context, acct *Account, cred Credentials, externalID string) (*MetricsResult, error)
}

// MetricsResult is one reading of a post's metrics.
type MetricsResult struct {
	Values      map[string]int64  `json:"values"`
	Unavailable map[string]string `json:"unavailable,omitempty"`
}
