package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func env(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig("serve", env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.BaseURL != "http://localhost:8080" || c.SandboxURL != "http://localhost:8080/sandbox" ||
		c.Concurrency != 10 || c.SessionTTL != 12*time.Hour || c.MaxUploadBytes != 8<<20 || c.Demo != "auto" || c.KooEnabled ||
		!strings.HasSuffix(c.DataDir, "/data") || c.MongoDatabase != "prasar" || c.LogFormat != "text" {
		t.Fatalf("defaults = %+v", c)
	}
	if !c.Facebook.Sandbox() {
		t.Fatal("Facebook without an app id must run against the sandbox")
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		mode string
		env  func(string) string
		want []string
	}{
		{"bad values are all reported at once", "serve", env("PRASAR_ADDR", "8080", "PRASAR_SESSION_TTL", "forever", "PRASAR_WORKER_CONCURRENCY", "0",
			"PRASAR_LOG_LEVEL", "loud", "REDIS_URL", "localhost:6379", "PRASAR_BASE_URL", "prasar.example/path"),
			[]string{"PRASAR_ADDR=\"8080\"", "PRASAR_SESSION_TTL=\"forever\"", "PRASAR_WORKER_CONCURRENCY=\"0\"", "PRASAR_LOG_LEVEL=\"loud\"", "REDIS_URL=\"localhost:6379\"", "PRASAR_BASE_URL"}},
		{"a malformed secret key", "serve", env("PRASAR_SECRET_KEY", "k1:dG9vIHNob3J0"), []string{"PRASAR_SECRET_KEY", "32 bytes"}},
		{"the api refuses embedded services", "api", env(), []string{"MONGODB_URI is required for `prasar api`", "REDIS_URL is required", "PRASAR_SECRET_KEY is required"}},
		{"the worker refuses embedded services", "worker", env("MONGODB_URI", "mongodb://db:27017"), []string{"REDIS_URL is required for `prasar worker`"}},
		{"an app id without its secret", "serve", env("PRASAR_FACEBOOK_APP_ID", "123"), []string{"PRASAR_FACEBOOK_APP_SECRET"}},
		{"a wrong Koo switch", "serve", env("PRASAR_KOO_ENABLED", "maybe"), []string{"PRASAR_KOO_ENABLED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(tt.mode, tt.env)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestLoadConfigSplitProcesses(t *testing.T) {
	key := newKeySpec()
	c, err := LoadConfig("worker", env("MONGODB_URI", "mongodb://db:27017", "REDIS_URL", "redis://redis:6379/0", "PRASAR_SECRET_KEY", key,
		"PRASAR_BASE_URL", "https://prasar.example.gov.in"))
	if err != nil {
		t.Fatal(err)
	}
	if c.SandboxURL != "https://prasar.example.gov.in/sandbox" {
		t.Fatalf("sandbox URL = %s", c.SandboxURL)
	}
	if _, _, err := parseKey(key); err != nil {
		t.Fatalf("gen-key output does not parse: %v", err)
	}
}

func TestEnvTableIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range envVars {
		if seen[e.Name] {
			t.Errorf("%s listed twice", e.Name)
		}
		seen[e.Name] = true
		if e.Help == "" || e.Modes == "" {
			t.Errorf("%s lacks help or modes", e.Name)
		}
	}
	// Every variable LoadConfig reads is in the table: read them all through
	// a getenv that records the names.
	read := map[string]bool{}
	LoadConfig("serve", func(k string) string { read[k] = true; return "" })
	for k := range read {
		if !seen[k] {
			t.Errorf("LoadConfig reads %s, which the table (and README) does not document", k)
		}
	}
}

// TestReadmeDocumentsEveryVariable keeps the README's configuration table
// equal to `prasar env --markdown`.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	const start, end = "<!-- env-table:start -->\n", "<!-- env-table:end -->"
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("README.md has no env-table markers")
	}
	var b strings.Builder
	printEnv(&b, true)
	if got := s[i+len(start) : j]; got != b.String() {
		t.Fatalf("README's configuration table is out of date; regenerate it with `go run ./cmd/prasar env --markdown`.\nREADME:\n%s\nwant:\n%s", got, b.String())
	}
}
