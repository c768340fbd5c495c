package passhash

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := Hasher{P: Params{Memory: 1024, Time: 1, Threads: 1}}
	hash, err := h.Hash("सुरक्षित पासवर्ड 2026")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("unexpected PHC string %q", hash)
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"same", "सुरक्षित पासवर्ड 2026", true},
		{"different", "सुरक्षित पासवर्ड 2025", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(hash, tt.password)
			if err != nil || ok != tt.want {
				t.Fatalf("Verify = %v, %v; want %v", ok, err, tt.want)
			}
		})
	}
	// A hash made with other parameters still verifies.
	if ok, err := New().Verify(hash, "सुरक्षित पासवर्ड 2026"); !ok || err != nil {
		t.Fatalf("verify with other default params = %v, %v", ok, err)
	}
	// Two hashes of one password differ (random salt).
	if h2, _ := h.Hash("सुरक्षित पासवर्ड 2026"); h2 == hash {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, hash := range []string{"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=1024,t=1,p=1$!!$aGFzaA"} {
		if ok, err := New().Verify(hash, "x"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", hash, ok, err)
		}
	}
}
