package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"

	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/smtpmail"
	"github.com/prasar/prasar/queue"
)

// Config is everything prasar reads from its environment, read once at
// start and passed down as values. Every field has an environment variable
// in envVars, which is also the README's configuration table.
type Config struct {
	Mode string // serve, api, worker (set from the command, not the environment)

	Addr            string
	BaseURL         string
	DataDir         string
	MongoURI        string
	MongoDatabase   string
	RedisURL        string
	SecretKey       string // "kid:base64" (32 bytes); generated into DataDir in serve mode when empty
	PreviousKeys    string // "kid:base64,kid:base64" — keys that still open old secrets
	LogLevel        slog.Level
	LogFormat       string // text or json
	Concurrency     int
	SessionTTL      time.Duration
	MaxUploadBytes  int64
	ShutdownTimeout time.Duration
	ReconcileEvery  time.Duration
	Demo            string // auto, on, off
	DemoPassword    string
	SandboxURL      string // where connectors reach the sandbox platforms
	KooEnabled      bool
	SMTPURL         string
	SMTPFrom        string

	// RequiredPlatforms are the platforms the compliance review requires
	// of every organisation.
	RequiredPlatforms []publisher.Platform
	// Publishing control (issue 4).
	SQLiteShared        bool          // api/worker processes share the SQLite file in DataDir
	DeliveryLease       time.Duration // how long a worker holds a delivery
	TaskTimeout         time.Duration // bound of one task; below DeliveryLease
	PlatformConcurrency int           // deliveries per platform at once (0: Concurrency; -1: one shared pool)
	PlatformLimits      map[publisher.Platform]int
	MissedWindow        time.Duration
	Budgets             []publisher.Budget
	RetryBase           time.Duration
	RetryMax            time.Duration
	ReconcileGrace      time.Duration

	Facebook FacebookConfig
	// The other platforms' blocks (platforms.go).
	X         XConfig
	Instagram InstagramConfig
	Threads   ThreadsConfig
	LinkedIn  LinkedInConfig
	Mastodon  MastodonConfig
	Telegram  TelegramConfig
	Bluesky   BlueskyConfig
	Koo       KooConfig
	// The token job (publisher/tokens.go): how often it runs, and how long
	// before a token that cannot be renewed expires the officer is told.
	TokenRefreshEvery, TokenAlertBefore time.Duration

	// The rebuttal desk: response deadlines and how often they are checked.
	CaseDeadlineDigital, CaseDeadlinePrint, CaseCheckEvery time.Duration

	// Reach: when after publishing metrics are read (MetricsOff: never),
	// and how often the sweep that queues due readings runs.
	MetricsSchedule []time.Duration
	MetricsOff      bool
	MetricsEvery    time.Duration

	// derivedBaseURL and derivedSandboxURL are set when the URLs were not
	// configured but derived from PRASAR_ADDR; they follow the real port
	// when the address asks for any free port (":0", in tests).
	derivedBaseURL, derivedSandboxURL bool
	// clock replaces time.Now for the service and the sandbox (end-to-end
	// tests move time forward to grow metrics); nil: time.Now.
	clock func() time.Time
	// queuePoll overrides how often idle queue workers poll (benchmarks).
	queuePoll time.Duration
}

// setListenAddr updates derived URLs once the listener knows its port.
func (c *Config) setListenAddr(addr net.Addr) {
	if !c.derivedBaseURL {
		return
	}
	_, port, _ := net.SplitHostPort(addr.String())
	host, _, _ := net.SplitHostPort(c.Addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	c.BaseURL = "http://" + net.JoinHostPort(host, port)
	if c.derivedSandboxURL {
		c.SandboxURL = c.BaseURL + "/sandbox"
	}
}

// FacebookConfig is the Facebook Pages app. Without an app id the platform
// runs against the sandbox.
type FacebookConfig struct {
	AppID      string
	AppSecret  string
	APIVersion string
	GraphURL   string
	WebURL     string
}

// Sandbox reports whether Facebook runs against the sandbox.
func (c FacebookConfig) Sandbox() bool { return c.AppID == "" }

// envVar documents one environment variable.
type envVar struct {
	Name    string
	Default string
	Modes   string // which commands read it
	Help    string
}

// envVars is the single list of settings; LoadConfig reads exactly these,
// the README's table is generated from it (prasar env --markdown), and a
// test checks docker-compose.yml against it.
var envVars = append([]envVar{
	{"PRASAR_ADDR", ":8080", "serve, api", "Address the HTTP server listens on."},
	{"PRASAR_BASE_URL", "http://localhost:<port>", "all", "Public URL of the deployment: links, cookies (Secure when https), the Origin check, and signed media URLs that platforms fetch."},
	{"PRASAR_DATA_DIR", "./data", "all", "Directory for the SQLite store, the generated secret key and the demo credentials."},
	{"MONGODB_URI", "", "all", "MongoDB connection string. Empty: the embedded SQLite store in PRASAR_DATA_DIR (serve; api and worker only with PRASAR_SQLITE_SHARED)."},
	{"PRASAR_MONGODB_DATABASE", "prasar", "all", "MongoDB database name."},
	{"REDIS_URL", "", "all", "Redis for the asynq queue, e.g. redis://127.0.0.1:6379/0. Empty: an in-process Redis (serve only)."},
	{"PRASAR_SECRET_KEY", "", "all", "Key that encrypts OAuth tokens at rest: `<key-id>:<base64 of 32 bytes>`. Empty: generated once into PRASAR_DATA_DIR/secret.key (serve only). Make one with `prasar admin gen-key`."},
	{"PRASAR_PREVIOUS_SECRET_KEYS", "", "all", "Comma-separated older keys (same form) that still decrypt secrets sealed before a rotation."},
	{"PRASAR_LOG_LEVEL", "info", "all", "debug, info, warn or error."},
	{"PRASAR_LOG_FORMAT", "text", "all", "text or json."},
	{"PRASAR_WORKER_CONCURRENCY", "10", "serve, worker", "Deliveries worked on at once per process."},
	{"PRASAR_SESSION_TTL", "12h", "serve, api", "How long a sign-in lasts."},
	{"PRASAR_MAX_UPLOAD_BYTES", "8388608", "serve, api", "Largest image upload (Instagram's limit is 8 MiB)."},
	{"PRASAR_SHUTDOWN_TIMEOUT", "20s", "all", "How long shutdown waits for requests and deliveries in flight."},
	{"PRASAR_RECONCILE_EVERY", "30s", "serve, worker", "How often the reconciler re-queues work whose queue task was lost."},
	{"PRASAR_CASE_DEADLINE_DIGITAL", "2h", "all", "Fake-news rebuttal desk: how soon after intake the clarification of a digital or TV item must be live (Maharashtra's norm); missed, the case escalates to the head of department, and after as long again to the Digital Media Section."},
	{"PRASAR_CASE_DEADLINE_PRINT", "12h", "all", "The same for print items."},
	{"PRASAR_CASE_CHECK_EVERY", "1m", "serve, worker", "How often the case deadlines are checked (one check per period across all workers)."},
	{"PRASAR_METRICS_SCHEDULE", "1h,6h,24h,72h,168h,720h", "serve, worker", "When, after a post is published, its metrics (reach, views, engagements) are read: a comma-separated list of increasing durations (`d` for days is accepted, e.g. 1h,6h,1d,3d,7d,30d), or `off`."},
	{"PRASAR_METRICS_EVERY", "1m", "serve, worker", "How often due metrics readings are queued (one sweep per period across all workers); the weekly reach digest goes out with the first sweep after Monday 09:00 IST."},
	{"PRASAR_DEMO", "auto", "serve", "auto: seed the demo (organisations, officers, users, sandbox accounts, a past month of posts, posts and cases in progress) into an empty store; on: also into a store that has data (its posts and cases only once); off."},
	{"PRASAR_DEMO_PASSWORD", "", "serve", "Password of the demo users. Empty: generated once into PRASAR_DATA_DIR/demo-credentials.txt."},
	{"PRASAR_SANDBOX_URL", "<base URL>/sandbox", "all", "Where connectors reach the built-in sandbox platforms (platforms without app credentials run there)."},
	{"PRASAR_SMTP_URL", "", "all", "SMTP server for notification e-mail, e.g. smtp://user:password@smtp.example.gov.in:587 (STARTTLS) or smtps://…:465. Empty: notifications are in the app only."},
	{"PRASAR_SMTP_FROM", "Prasar <no-reply@localhost>", "all", "Sender of notification e-mail."},
	{"PRASAR_REQUIRED_PLATFORMS", "facebook,x,instagram", "serve, api", "Platforms every organisation must have an account on, for the compliance review (comma-separated: facebook, x, instagram, threads, telegram, mastodon, bluesky, linkedin). Koo is defunct and cannot be required."},
	{"PRASAR_SQLITE_SHARED", "false", "api, worker", "true: `prasar api` and `prasar worker` processes on ONE machine share the SQLite store in PRASAR_DATA_DIR instead of needing MongoDB (see \"One machine, several processes\" in the README for the limits). Never on a network file system."},
	{"PRASAR_DELIVERY_LEASE", "2m", "serve, worker", "How long a worker holds a delivery while it calls the platform. A worker that dies is taken over once it lapses (with a look-up first); the platform call is abandoned before it ends."},
	{"PRASAR_TASK_TIMEOUT", "<3/4 of PRASAR_DELIVERY_LEASE>", "serve, worker", "Time limit of one queue task (a delivery attempt, a fan-out, a retraction step); must be shorter than the lease."},
	{"PRASAR_PLATFORM_CONCURRENCY", "0", "serve, worker", "Deliveries of one platform worked on at once per process, each platform in a pool of its own so that a slow platform does not hold the others' workers: a number for all (0: PRASAR_WORKER_CONCURRENCY), per platform (`x=2,instagram=3`), or both (`4,x=2`); `shared` puts every platform in one pool."},
	{"PRASAR_MISSED_WINDOW", "15m", "serve, worker, api", "How late after its scheduled time a post may still be approved (it then publishes at once). Past it, approval is refused and the post goes back to its author."},
	{"PRASAR_PUBLISH_BUDGETS", publisher.DefaultBudgetsString(), "serve, worker", "Posting limits checked before every platform call: comma-separated `platform:scope:limit/window`, scope `account` or `platform` (the defaults are the platforms' documented caps); `none` for no budgets. A delivery over a budget waits for the window to free up."},
	{"PRASAR_RETRY_BASE", "30s", "serve, worker", "First back-off after a platform fault; it doubles per failure, with jitter."},
	{"PRASAR_RETRY_MAX", "30m", "serve, worker", "Longest back-off between retries."},
	{"PRASAR_RECONCILE_GRACE", "2m", "serve, worker", "How long queued work may sit unchanged before the reconciler assumes its queue task was lost and queues it again."},
	{"PRASAR_KOO_ENABLED", "false", "all", "Koo shut down on 3 July 2024; its connector to the last known API stays off unless this is true."},
	{"PRASAR_FACEBOOK_APP_ID", "", "all", "Facebook app id. Empty: Facebook runs against the sandbox."},
	{"PRASAR_FACEBOOK_APP_SECRET", "", "all", "Facebook app secret."},
	{"PRASAR_FACEBOOK_API_VERSION", "v25.0", "all", "Graph API version."},
	{"PRASAR_FACEBOOK_GRAPH_URL", "<https://graph.facebook.com or the sandbox>", "all", "Graph API host. Default: the real one with an app id, <sandbox URL>/facebook/graph without."},
	{"PRASAR_FACEBOOK_WEB_URL", "<https://www.facebook.com or the sandbox>", "all", "Where published posts are linked. Default: the real site with an app id, <sandbox URL>/facebook/www without."},
}, platformEnvVars...)

// LoadConfig reads the environment through getenv for the given mode and
// validates it, reporting every problem at once.
func LoadConfig(mode string, getenv func(string) string) (Config, error) {
	c := Config{Mode: mode}
	var errs []string
	get := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			for _, e := range envVars {
				if e.Name == name && !strings.Contains(e.Default, "<") {
					return e.Default
				}
			}
		}
		return v
	}
	bad := func(name, why string) { errs = append(errs, fmt.Sprintf("%s=%q: %s", name, getenv(name), why)) }
	duration := func(name string, min time.Duration) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d < min {
			bad(name, fmt.Sprintf("want a duration of at least %s, such as 30s or 12h", min))
		}
		return d
	}
	boolean := func(name string) bool {
		switch strings.ToLower(get(name)) {
		case "true", "1", "yes":
			return true
		case "false", "0", "no", "":
			return false
		}
		bad(name, "want true or false")
		return false
	}
	integer := func(name string, min int64) int64 {
		n, err := strconv.ParseInt(get(name), 10, 64)
		if err != nil || n < min {
			bad(name, fmt.Sprintf("want a whole number of at least %d", min))
		}
		return n
	}

	c.Addr = get("PRASAR_ADDR")
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		bad("PRASAR_ADDR", "want host:port, such as :8080 or 127.0.0.1:8080")
	}
	c.BaseURL = strings.TrimRight(get("PRASAR_BASE_URL"), "/")
	if c.BaseURL == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, port)
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
		bad("PRASAR_BASE_URL", "want an absolute http(s) URL without a path, such as https://prasar.haryana.gov.in")
	}
	c.DataDir = get("PRASAR_DATA_DIR")
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	c.MongoURI = get("MONGODB_URI")
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		bad("MONGODB_URI", "want a mongodb:// or mongodb+srv:// URI")
	}
	c.MongoDatabase = get("PRASAR_MONGODB_DATABASE")
	c.RedisURL = get("REDIS_URL")
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			bad("REDIS_URL", "want a redis:// or rediss:// URL, such as redis://127.0.0.1:6379/0")
		}
	}
	c.SecretKey = get("PRASAR_SECRET_KEY")
	if c.SecretKey != "" {
		if _, _, err := parseKey(c.SecretKey); err != nil {
			bad("PRASAR_SECRET_KEY", err.Error())
		}
	}
	c.PreviousKeys = get("PRASAR_PREVIOUS_SECRET_KEYS")
	for _, k := range splitList(c.PreviousKeys) {
		if _, _, err := parseKey(k); err != nil {
			bad("PRASAR_PREVIOUS_SECRET_KEYS", err.Error())
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("PRASAR_LOG_LEVEL"))); err != nil {
		bad("PRASAR_LOG_LEVEL", "want debug, info, warn or error")
	}
	c.LogFormat = get("PRASAR_LOG_FORMAT")
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("PRASAR_LOG_FORMAT", "want text or json")
	}
	c.Concurrency = int(integer("PRASAR_WORKER_CONCURRENCY", 1))
	c.SessionTTL = duration("PRASAR_SESSION_TTL", time.Minute)
	c.MaxUploadBytes = integer("PRASAR_MAX_UPLOAD_BYTES", 1024)
	c.ShutdownTimeout = duration("PRASAR_SHUTDOWN_TIMEOUT", time.Second)
	c.ReconcileEvery = duration("PRASAR_RECONCILE_EVERY", time.Second)
	c.CaseDeadlineDigital = duration("PRASAR_CASE_DEADLINE_DIGITAL", time.Minute)
	c.CaseDeadlinePrint = duration("PRASAR_CASE_DEADLINE_PRINT", time.Minute)
	c.CaseCheckEvery = duration("PRASAR_CASE_CHECK_EVERY", time.Second)
	if sched, off, err := publisher.ParseMetricsSchedule(get("PRASAR_METRICS_SCHEDULE")); err != nil {
		bad("PRASAR_METRICS_SCHEDULE", err.Error()+"; want increasing durations such as 1h,6h,24h,72h,168h,720h, or off")
	} else {
		c.MetricsSchedule, c.MetricsOff = sched, off
	}
	c.MetricsEvery = duration("PRASAR_METRICS_EVERY", time.Second)
	c.Demo = get("PRASAR_DEMO")
	if c.Demo != "auto" && c.Demo != "on" && c.Demo != "off" {
		bad("PRASAR_DEMO", "want auto, on or off")
	}
	c.DemoPassword = get("PRASAR_DEMO_PASSWORD")
	if c.DemoPassword != "" && len([]rune(c.DemoPassword)) < 10 {
		bad("PRASAR_DEMO_PASSWORD", "want at least 10 characters")
	}
	c.SandboxURL = strings.TrimRight(get("PRASAR_SANDBOX_URL"), "/")
	c.derivedBaseURL = strings.TrimSpace(getenv("PRASAR_BASE_URL")) == ""
	c.derivedSandboxURL = c.SandboxURL == ""
	if c.SandboxURL == "" {
		c.SandboxURL = c.BaseURL + "/sandbox"
	}
	c.SMTPURL, c.SMTPFrom = get("PRASAR_SMTP_URL"), get("PRASAR_SMTP_FROM")
	if c.SMTPURL != "" {
		if _, err := smtpmail.New(c.SMTPURL, c.SMTPFrom); err != nil {
			bad("PRASAR_SMTP_URL", strings.TrimPrefix(err.Error(), "smtpmail: "))
		}
	}
	for _, p := range splitList(strings.ToLower(get("PRASAR_REQUIRED_PLATFORMS"))) {
		switch pl := publisher.Platform(p); {
		case pl == publisher.Koo:
			bad("PRASAR_REQUIRED_PLATFORMS", "Koo shut down on 3 July 2024 and cannot be required")
		case !pl.Valid():
			bad("PRASAR_REQUIRED_PLATFORMS", fmt.Sprintf("unknown platform %q; want some of facebook, x, instagram, threads, telegram, mastodon, bluesky, linkedin", p))
		case !slices.Contains(c.RequiredPlatforms, pl):
			c.RequiredPlatforms = append(c.RequiredPlatforms, pl)
		}
	}
	if len(c.RequiredPlatforms) == 0 {
		bad("PRASAR_REQUIRED_PLATFORMS", "name at least one platform")
	}
	c.SQLiteShared = boolean("PRASAR_SQLITE_SHARED")
	c.DeliveryLease = duration("PRASAR_DELIVERY_LEASE", 5*time.Second)
	if v := get("PRASAR_TASK_TIMEOUT"); v != "" {
		c.TaskTimeout = duration("PRASAR_TASK_TIMEOUT", time.Second)
		if c.TaskTimeout >= c.DeliveryLease {
			bad("PRASAR_TASK_TIMEOUT", fmt.Sprintf("must be shorter than PRASAR_DELIVERY_LEASE (%s): a delivery task must end before another worker may take the delivery over", c.DeliveryLease))
		}
	} else {
		c.TaskTimeout = c.DeliveryLease * 3 / 4
	}
	if c.TaskTimeout > queue.MaxTaskTimeout {
		if get("PRASAR_TASK_TIMEOUT") != "" {
			bad("PRASAR_TASK_TIMEOUT", fmt.Sprintf("want at most %s", queue.MaxTaskTimeout))
		}
		c.TaskTimeout = queue.MaxTaskTimeout
	}
	var perr error
	if c.PlatformConcurrency, c.PlatformLimits, perr = queue.ParsePlatformConcurrency(get("PRASAR_PLATFORM_CONCURRENCY")); perr != nil {
		bad("PRASAR_PLATFORM_CONCURRENCY", perr.Error())
	}
	c.MissedWindow = duration("PRASAR_MISSED_WINDOW", time.Minute)
	if c.Budgets, perr = publisher.ParseBudgets(get("PRASAR_PUBLISH_BUDGETS")); perr != nil {
		bad("PRASAR_PUBLISH_BUDGETS", perr.Error())
	}
	c.RetryBase = duration("PRASAR_RETRY_BASE", 100*time.Millisecond)
	c.RetryMax = duration("PRASAR_RETRY_MAX", time.Second)
	if c.RetryMax < c.RetryBase {
		bad("PRASAR_RETRY_MAX", "must not be shorter than PRASAR_RETRY_BASE")
	}
	c.ReconcileGrace = duration("PRASAR_RECONCILE_GRACE", time.Second)
	switch v := strings.ToLower(get("PRASAR_KOO_ENABLED")); v {
	case "true", "1", "yes":
		c.KooEnabled = true
	case "false", "0", "no":
	default:
		bad("PRASAR_KOO_ENABLED", "want true or false")
	}

	c.Facebook = FacebookConfig{
		AppID: get("PRASAR_FACEBOOK_APP_ID"), AppSecret: get("PRASAR_FACEBOOK_APP_SECRET"),
		APIVersion: get("PRASAR_FACEBOOK_API_VERSION"), GraphURL: get("PRASAR_FACEBOOK_GRAPH_URL"), WebURL: get("PRASAR_FACEBOOK_WEB_URL"),
	}
	if c.Facebook.AppID != "" && c.Facebook.AppSecret == "" {
		bad("PRASAR_FACEBOOK_APP_SECRET", "required when PRASAR_FACEBOOK_APP_ID is set")
	}
	loadPlatforms(&c, get, bad)
	c.TokenRefreshEvery = duration("PRASAR_TOKEN_REFRESH_EVERY", time.Second)
	c.TokenAlertBefore = duration("PRASAR_TOKEN_ALERT_BEFORE", time.Hour)
	// The split processes share their stores; the embedded ones cannot be
	// shared between processes.
	if mode == "api" || mode == "worker" {
		if c.MongoURI == "" && !c.SQLiteShared {
			errs = append(errs, fmt.Sprintf("MONGODB_URI is required for `prasar %s`: the embedded SQLite store is for `prasar serve` on one machine; split api and worker processes share a MongoDB (or, on one machine only, set PRASAR_SQLITE_SHARED=true to share the SQLite file)", mode))
		}
		if c.RedisURL == "" {
			errs = append(errs, fmt.Sprintf("REDIS_URL is required for `prasar %s`: the in-process Redis lives inside one `prasar serve` process and cannot carry work between processes", mode))
		}
		if c.SecretKey == "" {
			errs = append(errs, fmt.Sprintf("PRASAR_SECRET_KEY is required for `prasar %s`: every process must seal and open tokens with the same key (make one with `prasar admin gen-key`)", mode))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return c, errors.New("configuration is not valid:\n  " + strings.Join(errs, "\n  "))
	}
	return c, nil
}

// parseKey parses "kid:base64" into its id and 32-byte key.
func parseKey(s string) (string, []byte, error) {
	id, b64, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || id == "" {
		return "", nil, errors.New("want <key-id>:<base64 of 32 bytes> (make one with `prasar admin gen-key`)")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) != 32 {
		return "", nil, errors.New("the key must be 32 bytes, base64-encoded (make one with `prasar admin gen-key`)")
	}
	return id, key, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// metricsConfig is the service's metrics configuration: the schedule, and
// the API versions the connectors are configured for (the definitions of
// the figures depend on them).
func (c Config) metricsConfig() publisher.MetricsConfig {
	return publisher.MetricsConfig{Schedule: c.MetricsSchedule, Disabled: c.MetricsOff,
		APIVersions: map[publisher.Platform]string{publisher.Facebook: c.Facebook.APIVersion, publisher.Instagram: c.Instagram.APIVersion,
			publisher.Threads: c.Threads.APIVersion, publisher.LinkedIn: c.LinkedIn.Version, publisher.X: "2"}}
}

// metricsEvery is the queue's sweep period: negative (no sweep) when
// collection is off.
func (c Config) metricsEvery() time.Duration {
	if c.MetricsOff {
		return -1
	}
	return c.MetricsEvery
}
