package publisher

import (
	"log/slog"
	"time"
)

// Platform names a social platform.
type Platform string

// The platforms Prasar knows.
const (
	Facebook  Platform = "facebook"
	Instagram Platform = "instagram"
	X         Platform = "x"
	Koo       Platform = "koo" // defunct since 3 July 2024
	Threads   Platform = "threads"
	Telegram  Platform = "telegram"
	Mastodon  Platform = "mastodon"
	Bluesky   Platform = "bluesky"
	LinkedIn  Platform = "linkedin"
)

// Platforms lists every platform in display order.
var Platforms = []Platform{Facebook, X, Instagram, Threads, Telegram, Mastodon, Bluesky, LinkedIn, Koo}

// Valid reports whether p is a known platform.
func (p Platform) Valid() bool {
	for _, k := range Platforms {
		if k == p {
			return true
		}
	}
	return false
}

// Title is the platform's display name.
func (p Platform) Title() string {
	switch p {
	case Facebook:
		return "Facebook"
	case Instagram:
		return "Instagram"
	case X:
		return "X"
	case Koo:
		return "Koo"
	case Threads:
		return "Threads"
	case Telegram:
		return "Telegram"
	case Mastodon:
		return "Mastodon"
	case Bluesky:
		return "Bluesky"
	case LinkedIn:
		return "LinkedIn"
	}
	return string(p)
}

// AccountStatus tells whether an account can be published to.
type AccountStatus string

// Account statuses.
const (
	AccountConnected      AccountStatus = "connected"       // token valid as far as we know
	AccountNeedsReconnect AccountStatus = "needs_reconnect" // token expired or revoked
	AccountDisconnected   AccountStatus = "disconnected"    // no token
	AccountDefunct        AccountStatus = "defunct"         // the platform itself is gone (Koo)
)

// Account is an organisation's account on one platform. Its credentials are
// sealed (encrypted) and never leave the service in clear except to a
// Connector; they are not serialised to JSON.
type Account struct {
	ID             string        `json:"id"`
	OrgID          string        `json:"orgId"`
	Platform       Platform      `json:"platform"`
	Handle         string        `json:"handle"`
	DisplayName    string        `json:"displayName"`
	ExternalID     string        `json:"externalId"`
	ProfileURL     string        `json:"profileUrl,omitempty"`
	Status         AccountStatus `json:"status"`
	StatusReason   string        `json:"statusReason,omitempty"`
	Sandbox        bool          `json:"sandbox"`
	Secret         string        `json:"-"` // sealed Credentials, see Keyring
	TokenExpiresAt *time.Time    `json:"tokenExpiresAt,omitempty"`
	Scopes         []string      `json:"scopes,omitempty"`
	CreatedAt      time.Time     `json:"createdAt"`
	UpdatedAt      time.Time     `json:"updatedAt"`
}

// AccountFilter selects accounts. Zero fields do not filter: an empty IDs
// matches every account, so callers with a list of ids check it is not
// empty first.
type AccountFilter struct {
	OrgID      string
	Platform   Platform
	ExternalID string
	IDs        []string
}

// Credentials are what a connector needs to act as an account. They are
// stored sealed in Account.Secret.
type Credentials struct {
	AccessToken  string            `json:"accessToken,omitempty"`
	RefreshToken string            `json:"refreshToken,omitempty"`
	ExpiresAt    *time.Time        `json:"expiresAt,omitempty"`
	Extra        map[string]string `json:"extra,omitempty"`
}

// String hides the secrets when credentials are printed or logged by mistake.
func (Credentials) String() string { return "publisher.Credentials{…}" }

// GoString hides the secrets from %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue keeps credentials out of structured logs.
func (Credentials) LogValue() slog.Value { return slog.StringValue("[redacted]") }
