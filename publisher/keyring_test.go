package publisher_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prasar/prasar/publisher"
)

func TestKeyring(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, err := publisher.NewKeyring("k1", map[string][]byte{"k1": k1})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.SealCredentials("acct1", publisher.Credentials{AccessToken: "EAAB-secret-token", RefreshToken: "refresh-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "secret") || !strings.HasPrefix(sealed, "k1:") {
		t.Fatalf("sealed value %q leaks or lacks its key id", sealed)
	}
	// After rotation the new key seals, the old one still opens.
	rotated, err := publisher.NewKeyring("k2", map[string][]byte{"k1": k1, "k2": k2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := rotated.OpenCredentials("acct1", sealed)
	if err != nil || c.AccessToken != "EAAB-secret-token" || c.RefreshToken != "refresh-secret" {
		t.Fatalf("open after rotation = %+v, %v", c, err)
	}
	resealed, _ := rotated.SealCredentials("acct1", c)
	if !strings.HasPrefix(resealed, "k2:") {
		t.Fatalf("resealed with %q", resealed[:3])
	}
	tests := []struct {
		name, account, sealed string
		ring                  *publisher.Keyring
	}{
		{"another account's secret", "acct2", sealed, rotated},
		{"tampered", "acct1", sealed[:len(sealed)-4] + "AAAA", rotated},
		{"unknown key", "acct1", resealed, old},
		{"malformed", "acct1", "no-colon", rotated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.ring.OpenCredentials(tt.account, tt.sealed); err == nil {
				t.Fatal("opened")
			}
		})
	}
	if s := (publisher.Credentials{AccessToken: "EAAB-secret-token"}).String(); strings.Contains(s, "secret") {
		t.Fatalf("Credentials.String leaks: %s", s)
	}
	if _, err := publisher.NewKeyring("k1", map[string][]byte{"k1": k1[:16]}); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}
