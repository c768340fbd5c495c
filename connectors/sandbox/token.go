package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Tokens are stateless: "sbx1.<payload>.<signature>", where the payload is
// base64url JSON naming the platform, the account, its display name, the
// issue and expiry times and a random nonce, and the signature is
// HMAC-SHA256 over the payload with Options.Secret. A sandbox restarted with
// the same secret accepts every token it minted before.

const tokenPrefix = "sbx1."

type tokenClaims struct {
	Platform string `json:"p"`
	Account  string `json:"a"`
	Name     string `json:"n,omitempty"`
	Issued   int64  `json:"i"`
	Expires  int64  `json:"e,omitempty"` // unix seconds; 0: never
	Nonce    string `json:"r"`
}

// expired reports whether the token has expired at now.
func (c tokenClaims) expired(now time.Time) bool {
	return c.Expires != 0 && now.Unix() >= c.Expires
}

// expiresAt is the expiry time, zero for tokens that never expire.
func (c tokenClaims) expiresAt() time.Time {
	if c.Expires == 0 {
		return time.Time{}
	}
	return time.Unix(c.Expires, 0).UTC()
}

var (
	errTokenMalformed = errors.New("sandbox: malformed token")
	errTokenPlatform  = errors.New("sandbox: token for another platform")
)

// MintToken returns an access token for an account on a fake platform and
// records the account. ttl <= 0 makes a token that never expires (like a
// Facebook Page token taken from a long-lived user token). The token is
// valid on any Server that has the same Secret.
func (s *Server) MintToken(platform, accountExternalID, displayName string, ttl time.Duration) string {
	now := s.now()
	c := tokenClaims{Platform: platform, Account: accountExternalID, Name: displayName, Issued: now.Unix()}
	if ttl > 0 {
		c.Expires = now.Add(ttl).Unix()
	}
	nonce := make([]byte, 9)
	rand.Read(nonce)
	c.Nonce = base64.RawURLEncoding.EncodeToString(nonce)
	s.mu.Lock()
	s.ensureAccountLocked(platform, accountExternalID, displayName)
	s.mu.Unlock()
	return s.signToken(c)
}

func (s *Server) signToken(c tokenClaims) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return tokenPrefix + p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p))
}

func (s *Server) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("prasar-sandbox-token\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// parseToken checks a token's signature and platform; it does not check
// expiry (callers answer expired tokens with the platform's own error).
// A valid token brings its account into existence.
func (s *Server) parseToken(platform, tok string) (tokenClaims, error) {
	var c tokenClaims
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return c, errTokenMalformed
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return c, errTokenMalformed
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return c, errTokenMalformed
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(payload, &c) != nil || c.Account == "" {
		return c, errTokenMalformed
	}
	if c.Platform != platform {
		return c, errTokenPlatform
	}
	s.mu.Lock()
	s.ensureAccountLocked(c.Platform, c.Account, c.Name)
	s.mu.Unlock()
	return c, nil
}
