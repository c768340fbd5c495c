// Package passhash hashes passwords with Argon2id (RFC 9106), a memory-hard
// function, in the PHC string format:
//
//	$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>
//
// Hashes made with other parameters still verify, so the parameters can be
// raised later without invalidating stored passwords.
package passhash

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/prasar/prasar/publisher"
)

// Params are Argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// Default follows RFC 9106's second recommended option, scaled to a
// server that signs in tens of users a minute: 64 MiB, 3 passes, 2 lanes.
var Default = Params{Memory: 64 * 1024, Time: 3, Threads: 2}

// Hasher implements publisher.PasswordHasher.
type Hasher struct{ P Params }

var _ publisher.PasswordHasher = Hasher{}

// New returns a Hasher with the Default parameters.
func New() Hasher { return Hasher{P: Default} }

const (
	saltLen = 16
	keyLen  = 32
)

// Hash returns the PHC string of password.
func (h Hasher) Hash(password string) (string, error) {
	p := h.P
	if p.Memory == 0 {
		p = Default
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("passhash: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformed is returned for a hash that is not an Argon2id PHC string.
var ErrMalformed = errors.New("passhash: malformed hash")

// Verify reports whether password matches the PHC string hash, in
// constant time.
func (h Hasher) Verify(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return false, ErrMalformed
	}
	if p.Memory > 1<<22 || p.Time > 16 { // refuse absurd costs from a tampered store
		return false, ErrMalformed
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrMalformed
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
