package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"

	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
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

	Facebook FacebookConfig

	// derivedBaseURL and derivedSandboxURL are set when the URLs were not
	// configured but derived from PRASAR_ADDR; they follow the real port
	// when the address asks for any free port (":0", in tests).
	derivedBaseURL, derivedSandboxURL bool
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
var envVars = []envVar{
	{"PRASAR_ADDR", ":8080", "serve, api", "Address the HTTP server listens on."},
	{"PRASAR_BASE_URL", "http://localhost:<port>", "all", "Public URL of the deployment: links, cookies (Secure when https), the Origin check, and signed media URLs that platforms fetch."},
	{"PRASAR_DATA_DIR", "./data", "all", "Directory for the SQLite store, the generated secret key and the demo credentials."},
	{"MONGODB_URI", "", "all", "MongoDB connection string. Empty: the embedded SQLite store in PRASAR_DATA_DIR (serve only)."},
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
	{"PRASAR_DEMO", "auto", "serve", "auto: seed the demo (organisations, officers, users, sandbox accounts) into an empty store; on; off."},
	{"PRASAR_DEMO_PASSWORD", "", "serve", "Password of the demo users. Empty: generated once into PRASAR_DATA_DIR/demo-credentials.txt."},
	{"PRASAR_SANDBOX_URL", "<base URL>/sandbox", "all", "Where connectors reach the built-in sandbox platforms (platforms without app credentials run there)."},
	{"PRASAR_KOO_ENABLED", "false", "all", "Koo shut down on 3 July 2024; its connector to the last known API stays off unless this is true."},
	{"PRASAR_FACEBOOK_APP_ID", "", "all", "Facebook app id. Empty: Facebook runs against the sandbox."},
	{"PRASAR_FACEBOOK_APP_SECRET", "", "all", "Facebook app secret."},
	{"PRASAR_FACEBOOK_API_VERSION", "v25.0", "all", "Graph API version."},
	{"PRASAR_FACEBOOK_GRAPH_URL", "<https://graph.facebook.com or the sandbox>", "all", "Graph API host. Default: the real one with an app id, <sandbox URL>/facebook/graph without."},
	{"PRASAR_FACEBOOK_WEB_URL", "<https://www.facebook.com or the sandbox>", "all", "Where published posts are linked. Default: the real site with an app id, <sandbox URL>/facebook/www without."},
}

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
	// The split processes share their stores; the embedded ones cannot be
	// shared between processes.
	if mode == "api" || mode == "worker" {
		if c.MongoURI == "" {
			errs = append(errs, fmt.Sprintf("MONGODB_URI is required for `prasar %s`: the embedded SQLite store is for `prasar serve` on one machine; split api and worker processes share a MongoDB", mode))
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
