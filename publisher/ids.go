package publisher

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strconv"
	"strings"
	"sync"
	"time"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a new random identifier that sorts by creation time: 6 bytes
// of milliseconds since the epoch followed by 9 random bytes, base32-encoded
// (24 characters of [0-9a-z]). Within a process the ids are strictly
// increasing: one made in the same millisecond as the last (or while the
// clock steps back) follows it by a random step, so that records stored
// with the same timestamp still list in the order they were made.
func NewID() string {
	var b [15]byte
	ms := uint64(time.Now().UnixMilli())
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], ms)
	copy(b[:6], t[2:])
	if _, err := rand.Read(b[6:]); err != nil {
		panic("publisher: crypto/rand failed: " + err.Error())
	}
	idMu.Lock()
	if bytes.Compare(b[:6], lastID[:6]) <= 0 {
		b = lastID
		step := binary.BigEndian.Uint32(b[11:]) | 1 // reuse random bits for the step
		var r [4]byte
		if _, err := rand.Read(r[:]); err == nil {
			step = binary.BigEndian.Uint32(r[:])>>8 + 1
		}
		addTo(b[:], uint64(step))
	}
	lastID = b
	idMu.Unlock()
	return idEncoding.EncodeToString(b[:])
}

var (
	idMu   sync.Mutex
	lastID [15]byte
)

// addTo adds n to the big-endian number b.
func addTo(b []byte, n uint64) {
	for i := len(b) - 1; i >= 0 && n > 0; i-- {
		sum := uint64(b[i]) + n&0xff
		b[i] = byte(sum)
		n = n>>8 + sum>>8
	}
}

// NewToken returns n random bytes, base32-encoded; for session tokens, OAuth
// state and CSRF tokens.
func NewToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("publisher: crypto/rand failed: " + err.Error())
	}
	return idEncoding.EncodeToString(b)
}

// DeliveryID returns the deterministic id of the delivery of one post
// revision to one account, so that re-running a fan-out produces the same
// ids (and the same queue task ids).
func DeliveryID(postID string, revision int, accountID string) string {
	h := sha256.Sum256([]byte(postID + "\x00" + strconv.Itoa(revision) + "\x00" + accountID))
	return "d" + idEncoding.EncodeToString(h[:15])
}

// ValidID reports whether s looks like an id this package generates (or a
// seeded, human-readable id): 1–64 characters of [0-9a-zA-Z_-].
func ValidID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-')
	}) < 0
}

// HashToken returns the hex SHA-256 of a secret token; stores keep only
// the hash of session tokens.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	const hexdigits = "0123456789abcdef"
	out := make([]byte, 64)
	for i, c := range h {
		out[2*i] = hexdigits[c>>4]
		out[2*i+1] = hexdigits[c&15]
	}
	return string(out)
}
