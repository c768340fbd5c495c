package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// composeFile is the part of docker-compose.yml this test reads.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Volumes []string `yaml:"volumes"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// TestComposeFileMatchesConfiguration parses docker-compose.yml (no Docker
// engine runs here) and checks that its services, commands and PRASAR_*
// variables match the real configuration: the api and worker start with
// the settings LoadConfig requires, every variable it sets is one prasar
// reads, and the services wait for healthy dependencies.
func TestComposeFileMatchesConfiguration(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	for _, name := range []string{"mongo", "redis", "api", "worker"} {
		s, ok := c.Services[name]
		if !ok {
			t.Fatalf("no %s service", name)
		}
		if s.Healthcheck == nil || len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
	}
	known := map[string]bool{}
	for _, e := range envVars {
		known[e.Name] = true
	}
	interp := regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::?[-?]([^}]*))?\}`)
	for _, name := range []string{"api", "worker"} {
		s := c.Services[name]
		if want := []string{name}; !slices.Equal(s.Command, want) {
			t.Errorf("%s command = %v, want %v", name, s.Command, want)
		}
		for _, dep := range []string{"mongo", "redis"} {
			if s.DependsOn[dep].Condition != "service_healthy" {
				t.Errorf("%s does not wait for a healthy %s", name, dep)
			}
		}
		env := map[string]string{}
		for k, v := range s.Environment {
			if !known[k] {
				t.Errorf("%s sets %s, which prasar does not read", name, k)
			}
			// Resolve ${VAR:-default} with its default, ${VAR:?msg} with a
			// value an operator would set.
			v = interp.ReplaceAllStringFunc(v, func(m string) string {
				g := interp.FindStringSubmatch(m)
				if strings.Contains(m, ":?") {
					if g[1] == "PRASAR_SECRET_KEY" {
						return newKeySpec()
					}
					return "set"
				}
				return g[2]
			})
			env[k] = v
		}
		cfg, err := LoadConfig(name, func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("prasar %s would not start with the compose environment: %v", name, err)
			continue
		}
		if cfg.MongoURI == "" || cfg.RedisURL == "" || cfg.LogFormat != "json" {
			t.Errorf("%s config = mongo %q redis %q log %q", name, cfg.MongoURI, cfg.RedisURL, cfg.LogFormat)
		}
	}
	if c.Services["api"].Build == nil {
		t.Error("the api service does not build the image")
	}
	if _, err := os.Stat("../../Dockerfile"); err != nil {
		t.Errorf("no Dockerfile: %v", err)
	}
	df, _ := os.ReadFile("../../Dockerfile")
	for _, want := range []string{"npm ci", "npm run build", "-tags embedui", "./cmd/prasar"} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile does not %q", want)
		}
	}
}
