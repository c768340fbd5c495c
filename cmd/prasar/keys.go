package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prasar/prasar/publisher"
)

// loadKeyring builds the token-sealing keyring from the configuration. In
// serve mode without PRASAR_SECRET_KEY it uses DataDir/secret.key, creating
// it (mode 0600) the first time.
func loadKeyring(c Config) (*publisher.Keyring, string, error) {
	spec, source := c.SecretKey, "PRASAR_SECRET_KEY"
	if spec == "" {
		path := filepath.Join(c.DataDir, "secret.key")
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			spec = strings.TrimSpace(string(b))
		case errors.Is(err, fs.ErrNotExist):
			spec = newKeySpec()
			if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
				return nil, "", fmt.Errorf("creating data directory: %w", err)
			}
			if err := writeFileExcl(path, []byte(spec+"\n"), 0o600); err != nil {
				return nil, "", fmt.Errorf("writing %s: %w", path, err)
			}
		default:
			return nil, "", fmt.Errorf("reading %s: %w", path, err)
		}
		source = path
	}
	id, key, err := parseKey(spec)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", source, err)
	}
	keys := map[string][]byte{id: key}
	for _, k := range splitList(c.PreviousKeys) {
		pid, pkey, err := parseKey(k)
		if err != nil {
			return nil, "", fmt.Errorf("PRASAR_PREVIOUS_SECRET_KEYS: %w", err)
		}
		if _, dup := keys[pid]; dup {
			return nil, "", fmt.Errorf("PRASAR_PREVIOUS_SECRET_KEYS: key id %q is used twice", pid)
		}
		keys[pid] = pkey
	}
	kr, err := publisher.NewKeyring(id, keys)
	return kr, source, err
}

// newKeySpec returns a fresh "kid:base64" key whose id is its creation date.
func newKeySpec() string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	return "k" + time.Now().UTC().Format("20060102") + ":" + base64.StdEncoding.EncodeToString(key)
}

// writeFileExcl writes a new file and fails if it exists.
func writeFileExcl(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
