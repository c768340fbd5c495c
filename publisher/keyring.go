package publisher

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Keyring seals secrets (OAuth tokens) with AES-256-GCM. Each sealed value
// carries the id of the key that sealed it, so keys can rotate: new values
// are sealed with the primary key, old ones open with whichever key they
// name. The account id is bound as additional data, so a sealed token
// copied onto another account does not open.
type Keyring struct {
	primary string
	keys    map[string]cipher.AEAD
	macKey  []byte
}

// NewKeyring returns a keyring whose primary key is primaryID; keys maps key
// ids to 32-byte keys and must contain primaryID.
func NewKeyring(primaryID string, keys map[string][]byte) (*Keyring, error) {
	if _, ok := keys[primaryID]; !ok {
		return nil, fmt.Errorf("publisher: keyring: primary key %q is not among the keys", primaryID)
	}
	k := &Keyring{primary: primaryID, keys: map[string]cipher.AEAD{}}
	for id, key := range keys {
		if id == "" || strings.ContainsAny(id, ":") {
			return nil, fmt.Errorf("publisher: keyring: key id %q must be non-empty and contain no colon", id)
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("publisher: keyring: key %q has %d bytes, want 32", id, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("publisher: keyring: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("publisher: keyring: %w", err)
		}
		k.keys[id] = aead
	}
	mac := hmac.New(sha256.New, keys[primaryID])
	mac.Write([]byte("prasar media url signing"))
	k.macKey = mac.Sum(nil)
	return k, nil
}

// PrimaryKeyID returns the id of the key new secrets are sealed with.
func (k *Keyring) PrimaryKeyID() string { return k.primary }

// Seal encrypts plaintext for the object id (bound as additional data).
// The result is "<key id>:<base64 nonce||ciphertext>".
func (k *Keyring) Seal(objectID string, plaintext []byte) (string, error) {
	aead := k.keys[k.primary]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("publisher: keyring: %w", err)
	}
	out := aead.Seal(nonce, nonce, plaintext, []byte(objectID))
	return k.primary + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed for the object id.
func (k *Keyring) Open(objectID, sealed string) ([]byte, error) {
	id, b64, ok := strings.Cut(sealed, ":")
	if !ok {
		return nil, fmt.Errorf("publisher: keyring: malformed sealed value")
	}
	aead, ok := k.keys[id]
	if !ok {
		return nil, fmt.Errorf("publisher: keyring: unknown key id %q", id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, fmt.Errorf("publisher: keyring: malformed sealed value")
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(objectID))
	if err != nil {
		return nil, fmt.Errorf("publisher: keyring: cannot open secret sealed with key %q: %w", id, err)
	}
	return pt, nil
}

// SealCredentials seals an account's credentials.
func (k *Keyring) SealCredentials(accountID string, c Credentials) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("publisher: keyring: %w", err)
	}
	return k.Seal(accountID, b)
}

// OpenCredentials opens an account's sealed credentials.
func (k *Keyring) OpenCredentials(accountID, sealed string) (Credentials, error) {
	var c Credentials
	if sealed == "" {
		return c, nil
	}
	b, err := k.Open(accountID, sealed)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("publisher: keyring: credentials: %w", err)
	}
	return c, nil
}

// Sign returns an HMAC-SHA256 of msg under a key derived from the primary
// key, base64url-encoded; used for signed media URLs.
func (k *Keyring) Sign(msg string) string {
	m := hmac.New(sha256.New, k.macKey)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig is Sign(msg).
func (k *Keyring) Verify(msg, sig string) bool {
	return hmac.Equal([]byte(k.Sign(msg)), []byte(sig))
}
