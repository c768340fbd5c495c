package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/prasar/prasar/connectors/bluesky"
	"github.com/prasar/prasar/connectors/facebook"
	"github.com/prasar/prasar/connectors/instagram"
	"github.com/prasar/prasar/connectors/koo"
	"github.com/prasar/prasar/connectors/linkedin"
	"github.com/prasar/prasar/connectors/mastodon"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/telegram"
	"github.com/prasar/prasar/connectors/threads"
	"github.com/prasar/prasar/connectors/x"
	"github.com/prasar/prasar/publisher"
)

// The platforms' configuration blocks (PRASAR_<PLATFORM>_…, documented in
// envVars) and the connectors built from them. A platform whose app
// credentials (or, for Telegram and Bluesky, whose service URL) are not
// configured runs against the built-in sandbox at PRASAR_SANDBOX_URL, with
// sandbox app credentials: the sandbox accepts any client id, and derives
// the client secrets LinkedIn and Mastodon check from its own secret.

// sandboxClientID is the client id Prasar's sandbox apps use.
const sandboxClientID = "prasar-sandbox"

// XConfig is the X app (OAuth 2.0 client). Without a client id X runs
// against the sandbox.
type XConfig struct {
	ClientID, ClientSecret string
	Scopes                 []string
	MaxWeighted            int
}

// Sandbox reports whether X runs against the sandbox.
func (c XConfig) Sandbox() bool { return c.ClientID == "" }

// InstagramConfig is the Instagram app: the Instagram app's id and secret
// with Instagram Login, the Meta app's with Facebook Login.
type InstagramConfig struct {
	AppID, AppSecret string
	Login            string // "instagram" or "facebook"
	APIVersion       string
	MaxHashtags      int
}

// Sandbox reports whether Instagram runs against the sandbox.
func (c InstagramConfig) Sandbox() bool { return c.AppID == "" }

// ThreadsConfig is the Threads app (its own id and secret, not the main
// Meta app's).
type ThreadsConfig struct {
	AppID, AppSecret, APIVersion string
}

// Sandbox reports whether Threads runs against the sandbox.
func (c ThreadsConfig) Sandbox() bool { return c.AppID == "" }

// LinkedInConfig is the LinkedIn app.
type LinkedInConfig struct {
	ClientID, ClientSecret, Version string
}

// Sandbox reports whether LinkedIn runs against the sandbox.
func (c LinkedInConfig) Sandbox() bool { return c.ClientID == "" }

// MastodonConfig is Prasar's app on one Mastodon instance.
type MastodonConfig struct {
	Instance, ClientID, ClientSecret string
}

// Sandbox reports whether Mastodon runs against the sandbox.
func (c MastodonConfig) Sandbox() bool { return c.ClientID == "" }

// TelegramConfig is the Bot API host. Telegram has no app credentials
// (each channel's bot token is its account's credential): without an API
// URL it runs against the sandbox.
type TelegramConfig struct {
	APIURL string
}

// Sandbox reports whether Telegram runs against the sandbox.
func (c TelegramConfig) Sandbox() bool { return c.APIURL == "" }

// BlueskyConfig is the PDS accounts sign in to (app passwords, no app
// credentials): without a service URL Bluesky runs against the sandbox.
type BlueskyConfig struct {
	ServiceURL, WebURL string
}

// Sandbox reports whether Bluesky runs against the sandbox.
func (c BlueskyConfig) Sandbox() bool { return c.ServiceURL == "" }

// KooConfig is Koo's last known partner API (defunct; PRASAR_KOO_ENABLED
// switches it on).
type KooConfig struct {
	URL string
}

// Sandbox reports whether Koo runs against the sandbox.
func (c KooConfig) Sandbox() bool { return c.URL == "" }

// platformEnvVars document the platform blocks; envVars includes them.
var platformEnvVars = []envVar{
	{"PRASAR_X_CLIENT_ID", "", "all", "X app's OAuth 2.0 client id. Empty: X runs against the sandbox."},
	{"PRASAR_X_CLIENT_SECRET", "", "all", "X app's client secret (a confidential client, authenticated with HTTP Basic); empty for a public client."},
	{"PRASAR_X_SCOPES", "tweet.read tweet.write users.read offline.access media.write", "all", "OAuth scopes asked for (offline.access gives the rotating refresh token; media.write the v2 media upload)."},
	{"PRASAR_X_MAX_WEIGHTED", "280", "all", "Longest post in twitter-text weighted characters."},
	{"PRASAR_INSTAGRAM_APP_ID", "", "all", "Instagram app id (Instagram Login) or Meta app id (Facebook Login). Empty: Instagram runs against the sandbox."},
	{"PRASAR_INSTAGRAM_APP_SECRET", "", "all", "Instagram app secret (or the Meta app's, with Facebook Login)."},
	{"PRASAR_INSTAGRAM_LOGIN", "instagram", "all", "instagram (Business Login for Instagram, graph.instagram.com) or facebook (Facebook Login; the account must be linked to a Page)."},
	{"PRASAR_INSTAGRAM_API_VERSION", "v25.0", "all", "Graph API version."},
	{"PRASAR_INSTAGRAM_MAX_HASHTAGS", "5", "all", "Most hashtags in a caption."},
	{"PRASAR_THREADS_APP_ID", "", "all", "Threads app id (not the main Meta app's). Empty: Threads runs against the sandbox."},
	{"PRASAR_THREADS_APP_SECRET", "", "all", "Threads app secret."},
	{"PRASAR_THREADS_API_VERSION", "v1.0", "all", "Threads API version."},
	{"PRASAR_LINKEDIN_CLIENT_ID", "", "all", "LinkedIn app client id (Community Management API). Empty: LinkedIn runs against the sandbox."},
	{"PRASAR_LINKEDIN_CLIENT_SECRET", "", "all", "LinkedIn app client secret."},
	{"PRASAR_LINKEDIN_VERSION", "202605", "all", "Linkedin-Version header (YYYYMM); LinkedIn retires versions after about a year."},
	{"PRASAR_MASTODON_INSTANCE", "", "all", "Mastodon instance the accounts are on, e.g. https://mastodon.social."},
	{"PRASAR_MASTODON_CLIENT_ID", "", "all", "Client id of Prasar's app on that instance (POST /api/v1/apps). Empty: Mastodon runs against the sandbox."},
	{"PRASAR_MASTODON_CLIENT_SECRET", "", "all", "Client secret of that app."},
	{"PRASAR_TELEGRAM_API_URL", "", "all", "Bot API host, https://api.telegram.org for real channels. Empty: Telegram runs against the sandbox (each channel's bot token is entered when it is connected)."},
	{"PRASAR_BLUESKY_SERVICE_URL", "", "all", "The PDS accounts sign in to with app passwords, https://bsky.social for bsky.social accounts. Empty: Bluesky runs against the sandbox."},
	{"PRASAR_BLUESKY_WEB_URL", "https://bsky.app", "all", "Where published Bluesky posts are linked."},
	{"PRASAR_KOO_URL", "", "all", "Koo's last known partner API (https://api.kooapp.com/api/post/koo), used only with PRASAR_KOO_ENABLED. Empty: the sandbox."},
	{"PRASAR_TOKEN_REFRESH_EVERY", "5m", "serve, worker", "How often the token job renews tokens due for renewal and alerts nodal officers of accounts to reconnect (one job per period across all workers)."},
	{"PRASAR_TOKEN_ALERT_BEFORE", "168h", "all", "How long before a token that cannot be renewed expires the organisation's nodal officer is told to reconnect the account."},
}

// loadPlatforms reads the platform blocks (LoadConfig calls it with its
// helpers).
func loadPlatforms(c *Config, get func(string) string, bad func(name, why string)) {
	positive := func(name string) int {
		n, err := strconv.Atoi(get(name))
		if err != nil || n < 1 {
			bad(name, "want a whole number of at least 1")
		}
		return n
	}
	absURL := func(name string) string {
		v := strings.TrimRight(get(name), "/")
		if v == "" {
			return ""
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(name, "want an absolute http(s) URL")
		}
		return v
	}
	pair := func(idName, id, secretName, secret string) {
		if id != "" && secret == "" {
			bad(secretName, "required when "+idName+" is set")
		}
	}
	c.X = XConfig{ClientID: get("PRASAR_X_CLIENT_ID"), ClientSecret: get("PRASAR_X_CLIENT_SECRET"), Scopes: strings.Fields(get("PRASAR_X_SCOPES")),
		MaxWeighted: positive("PRASAR_X_MAX_WEIGHTED")}
	c.Instagram = InstagramConfig{AppID: get("PRASAR_INSTAGRAM_APP_ID"), AppSecret: get("PRASAR_INSTAGRAM_APP_SECRET"), Login: get("PRASAR_INSTAGRAM_LOGIN"),
		APIVersion: get("PRASAR_INSTAGRAM_API_VERSION"), MaxHashtags: positive("PRASAR_INSTAGRAM_MAX_HASHTAGS")}
	pair("PRASAR_INSTAGRAM_APP_ID", c.Instagram.AppID, "PRASAR_INSTAGRAM_APP_SECRET", c.Instagram.AppSecret)
	if c.Instagram.Login != string(instagram.InstagramLogin) && c.Instagram.Login != string(instagram.FacebookLogin) {
		bad("PRASAR_INSTAGRAM_LOGIN", "want instagram or facebook")
	}
	c.Threads = ThreadsConfig{AppID: get("PRASAR_THREADS_APP_ID"), AppSecret: get("PRASAR_THREADS_APP_SECRET"), APIVersion: get("PRASAR_THREADS_API_VERSION")}
	pair("PRASAR_THREADS_APP_ID", c.Threads.AppID, "PRASAR_THREADS_APP_SECRET", c.Threads.AppSecret)
	c.LinkedIn = LinkedInConfig{ClientID: get("PRASAR_LINKEDIN_CLIENT_ID"), ClientSecret: get("PRASAR_LINKEDIN_CLIENT_SECRET"), Version: get("PRASAR_LINKEDIN_VERSION")}
	pair("PRASAR_LINKEDIN_CLIENT_ID", c.LinkedIn.ClientID, "PRASAR_LINKEDIN_CLIENT_SECRET", c.LinkedIn.ClientSecret)
	if v := c.LinkedIn.Version; len(v) != 6 || strings.Trim(v, "0123456789") != "" {
		bad("PRASAR_LINKEDIN_VERSION", "want YYYYMM, such as 202605")
	}
	c.Mastodon = MastodonConfig{Instance: absURL("PRASAR_MASTODON_INSTANCE"), ClientID: get("PRASAR_MASTODON_CLIENT_ID"), ClientSecret: get("PRASAR_MASTODON_CLIENT_SECRET")}
	pair("PRASAR_MASTODON_CLIENT_ID", c.Mastodon.ClientID, "PRASAR_MASTODON_CLIENT_SECRET", c.Mastodon.ClientSecret)
	if c.Mastodon.ClientID != "" && c.Mastodon.Instance == "" {
		bad("PRASAR_MASTODON_INSTANCE", "required when PRASAR_MASTODON_CLIENT_ID is set")
	}
	c.Telegram = TelegramConfig{APIURL: absURL("PRASAR_TELEGRAM_API_URL")}
	c.Bluesky = BlueskyConfig{ServiceURL: absURL("PRASAR_BLUESKY_SERVICE_URL"), WebURL: absURL("PRASAR_BLUESKY_WEB_URL")}
	c.Koo = KooConfig{URL: absURL("PRASAR_KOO_URL")}
}

// anySandbox reports whether any platform runs against the sandbox (so the
// sandbox server must be mounted).
func (c Config) anySandbox() bool {
	return c.Facebook.Sandbox() || c.X.Sandbox() || c.Instagram.Sandbox() || c.Threads.Sandbox() || c.LinkedIn.Sandbox() ||
		c.Mastodon.Sandbox() || c.Telegram.Sandbox() || c.Bluesky.Sandbox() || c.Koo.Sandbox()
}

// sandboxURL is where the server reaches a sandbox mount path
// (sandbox.XAPIPath, …): PRASAR_SANDBOX_URL in place of its "/sandbox"
// prefix.
func (c Config) sandboxURL(mountPath string) string {
	return strings.TrimRight(c.SandboxURL, "/") + strings.TrimPrefix(mountPath, strings.TrimSuffix(sandbox.MountPath, "/"))
}

// sandboxWebURL is where a browser reaches a sandbox mount path (consent
// pages, the feeds published posts link to): the api process mounts the
// sandbox under the deployment's base URL, which PRASAR_SANDBOX_URL (a
// server-side address, such as http://api:8080/sandbox in the compose
// file) need not be.
func (c Config) sandboxWebURL(mountPath string) string {
	return strings.TrimRight(c.BaseURL, "/") + mountPath
}

// buildConnectors makes one connector per platform from its configuration
// block; platforms without app credentials talk to the sandbox. sb derives
// the sandbox apps' client secrets (nil when no platform is sandboxed). It
// returns the connectors and the sandboxed platforms.
func buildConnectors(c Config, sb *sandbox.Server, log *slog.Logger) ([]publisher.Connector, []publisher.Platform, error) {
	if sb == nil && c.anySandbox() {
		return nil, nil, fmt.Errorf("platforms: a platform runs against the sandbox, but there is no sandbox to take its app credentials from")
	}
	var conns []publisher.Connector
	var sandboxed []publisher.Platform
	add := func(p publisher.Platform, isSandbox bool, conn publisher.Connector) {
		conns = append(conns, conn)
		if isSandbox {
			sandboxed = append(sandboxed, p)
		}
	}
	logger := func(p publisher.Platform) *slog.Logger { return log.With("platform", string(p)) }

	fb := facebook.Config{AppID: c.Facebook.AppID, AppSecret: c.Facebook.AppSecret, APIVersion: c.Facebook.APIVersion,
		GraphURL: c.Facebook.GraphURL, WebURL: c.Facebook.WebURL, Now: c.clock, Logger: logger(publisher.Facebook)}
	if c.Facebook.Sandbox() {
		fb.AppID, fb.AppSecret = sandboxClientID, "sandbox-app-secret"
		if fb.GraphURL == "" {
			fb.GraphURL = c.sandboxURL(sandbox.FacebookGraphPath)
		}
		if fb.WebURL == "" {
			fb.WebURL = c.sandboxWebURL(sandbox.FacebookWebPath)
		}
	}
	add(publisher.Facebook, c.Facebook.Sandbox(), facebook.New(fb))

	xc := x.Config{ClientID: c.X.ClientID, ClientSecret: c.X.ClientSecret, Scopes: c.X.Scopes, MaxWeighted: c.X.MaxWeighted, Now: c.clock,
		Logger: logger(publisher.X)}
	if c.X.Sandbox() {
		xc.ClientID = sandboxClientID
		xc.APIURL, xc.AuthURL, xc.TokenURL, xc.WebURL = c.sandboxURL(sandbox.XAPIPath), c.sandboxWebURL(sandbox.XAuthorizePath),
			c.sandboxURL(sandbox.XTokenPath), c.sandboxWebURL(sandbox.XWebPath)
	}
	add(publisher.X, c.X.Sandbox(), x.New(xc))

	ig := instagram.Config{Login: instagram.Login(c.Instagram.Login), AppID: c.Instagram.AppID, AppSecret: c.Instagram.AppSecret,
		APIVersion: c.Instagram.APIVersion, MaxHashtags: c.Instagram.MaxHashtags, Now: c.clock, Logger: logger(publisher.Instagram)}
	if c.Instagram.Sandbox() {
		ig.AppID, ig.AppSecret = sandboxClientID, "sandbox-app-secret"
		ig.GraphURL, ig.APIURL, ig.WebURL = c.sandboxURL(sandbox.InstagramGraphPath), c.sandboxURL(sandbox.InstagramAPIPath), c.sandboxWebURL(sandbox.InstagramWebPath)
		ig.FacebookWebURL = c.sandboxWebURL(sandbox.FacebookWebPath)
		if ig.Login == instagram.FacebookLogin {
			ig.GraphURL = c.sandboxURL(sandbox.FacebookGraphPath)
		}
	}
	add(publisher.Instagram, c.Instagram.Sandbox(), instagram.New(ig))

	th := threads.Config{AppID: c.Threads.AppID, AppSecret: c.Threads.AppSecret, APIVersion: c.Threads.APIVersion, Now: c.clock, Logger: logger(publisher.Threads)}
	if c.Threads.Sandbox() {
		th.AppID, th.AppSecret = sandboxClientID, "sandbox-app-secret"
		th.GraphURL, th.WebURL = c.sandboxURL(sandbox.ThreadsGraphPath), c.sandboxWebURL(sandbox.ThreadsWebPath)
	}
	add(publisher.Threads, c.Threads.Sandbox(), threads.New(th))

	tg := telegram.Config{APIURL: c.Telegram.APIURL, Now: c.clock, Logger: logger(publisher.Telegram)}
	if c.Telegram.Sandbox() {
		tg.APIURL, tg.WebURL = c.sandboxURL(sandbox.TelegramAPIPath), c.sandboxWebURL(sandbox.TelegramWebPath)
	}
	add(publisher.Telegram, c.Telegram.Sandbox(), telegram.New(tg))

	md := mastodon.Config{Instances: []mastodon.Instance{{URL: c.Mastodon.Instance, ClientID: c.Mastodon.ClientID, ClientSecret: c.Mastodon.ClientSecret}},
		Now: c.clock, Logger: logger(publisher.Mastodon)}
	if c.Mastodon.Sandbox() {
		md.Instances = []mastodon.Instance{{URL: c.sandboxURL(sandbox.MastodonPath), WebURL: c.sandboxWebURL(sandbox.MastodonPath), ClientID: sandboxClientID,
			ClientSecret: sb.MastodonClientSecret(sandboxClientID)}}
	}
	add(publisher.Mastodon, c.Mastodon.Sandbox(), mastodon.New(md))

	bs := bluesky.Config{ServiceURL: c.Bluesky.ServiceURL, WebURL: c.Bluesky.WebURL, Now: c.clock, Logger: logger(publisher.Bluesky)}
	if c.Bluesky.Sandbox() {
		bs.ServiceURL, bs.WebURL = c.sandboxURL(sandbox.BlueskyPath), c.sandboxWebURL(sandbox.BlueskyWebPath)
	}
	add(publisher.Bluesky, c.Bluesky.Sandbox(), bluesky.New(bs))

	li := linkedin.Config{ClientID: c.LinkedIn.ClientID, ClientSecret: c.LinkedIn.ClientSecret, Version: c.LinkedIn.Version, Now: c.clock,
		Logger: logger(publisher.LinkedIn)}
	if c.LinkedIn.Sandbox() {
		li.ClientID, li.ClientSecret = sandboxClientID, sb.LinkedInClientSecret(sandboxClientID)
		web := c.sandboxWebURL(sandbox.LinkedInWebPath)
		li.APIURL, li.WebURL, li.AuthURL, li.TokenURL = c.sandboxURL(sandbox.LinkedInAPIPath), web, web+"/oauth/v2/authorization",
			c.sandboxURL(sandbox.LinkedInWebPath)+"/oauth/v2/accessToken"
	}
	add(publisher.LinkedIn, c.LinkedIn.Sandbox(), linkedin.New(li))

	kc := koo.Config{Enabled: c.KooEnabled, URL: c.Koo.URL, Now: c.clock, Logger: logger(publisher.Koo)}
	if c.Koo.Sandbox() {
		kc.URL, kc.WebURL = c.sandboxURL(sandbox.KooPostPath), c.sandboxWebURL(sandbox.KooWebPath)
	}
	add(publisher.Koo, c.Koo.Sandbox(), koo.New(kc))
	return conns, sandboxed, nil
}
