package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/prasar/prasar/publisher"
)

func TestRequiredPlatformsConfiguration(t *testing.T) {
	cases := []struct {
		value string
		want  []publisher.Platform
		err   string
	}{
		{"", []publisher.Platform{publisher.Facebook, publisher.X, publisher.Instagram}, ""},
		{"facebook, X ,x", []publisher.Platform{publisher.Facebook, publisher.X}, ""},
		{"linkedin,threads", []publisher.Platform{publisher.LinkedIn, publisher.Threads}, ""},
		{"facebook,koo", nil, "Koo shut down"},
		{"facebook,orkut", nil, `unknown platform "orkut"`},
		{",", nil, "name at least one platform"},
	}
	for _, c := range cases {
		cfg, err := LoadConfig("serve", testEnv(t, "PRASAR_REQUIRED_PLATFORMS", c.value))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), "PRASAR_REQUIRED_PLATFORMS") || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one naming PRASAR_REQUIRED_PLATFORMS and %q", c.value, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.value, err)
			continue
		}
		if !slices.Equal(cfg.RequiredPlatforms, c.want) {
			t.Errorf("%q: required platforms %v, want %v", c.value, cfg.RequiredPlatforms, c.want)
		}
	}
}
