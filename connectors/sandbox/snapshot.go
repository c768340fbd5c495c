package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// snapshot is the sandbox's state as saved to a file. Faults are not saved:
// a restarted sandbox starts healthy.
type snapshot struct {
	Version  int                   `json:"version"`
	LastID   int64                 `json:"lastId"`
	Accounts []*Account            `json:"accounts"`
	Posts    []*Post               `json:"posts"`
	Uploads  []*Upload             `json:"uploads"`
	Media    map[string]*mediaBlob `json:"media"`
}

// Snapshot writes the sandbox's accounts, posts, uploads and image bytes as
// JSON, so that a demo's feeds can survive a restart (see Restore).
func (s *Server) Snapshot(w io.Writer) error {
	s.mu.Lock()
	snap := snapshot{Version: 1, LastID: s.lastID, Posts: s.posts, Media: s.media}
	for _, a := range s.accounts {
		snap.Accounts = append(snap.Accounts, a)
	}
	for _, u := range s.uploads {
		snap.Uploads = append(snap.Uploads, u)
	}
	b, err := json.Marshal(snap)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sandbox: encoding the snapshot: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("sandbox: writing the snapshot: %w", err)
	}
	return nil
}

// Restore replaces the sandbox's accounts, posts, uploads and images with a
// snapshot's. Faults in force are kept.
func (s *Server) Restore(r io.Reader) error {
	var snap snapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("sandbox: reading the snapshot: %w", err)
	}
	if snap.Version != 1 {
		return fmt.Errorf("sandbox: snapshot version %d is not supported", snap.Version)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.accounts)
	clear(s.byID)
	clear(s.byAccount)
	clear(s.uploads)
	s.media = map[string]*mediaBlob{}
	s.posts = nil
	for _, a := range snap.Accounts {
		if a != nil {
			s.accounts[accountKey{a.Platform, a.ID}] = a
		}
	}
	for _, p := range snap.Posts {
		if p != nil {
			s.addPostLocked(p)
		}
	}
	for _, u := range snap.Uploads {
		if u != nil {
			s.addUploadLocked(u)
		}
	}
	for id, m := range snap.Media {
		if m != nil {
			s.media[id] = m
		}
	}
	s.lastID = max(s.lastID, snap.LastID)
	return nil
}

// SaveFile writes a snapshot to name atomically (a temporary file in the
// same directory, then a rename).
func (s *Server) SaveFile(name string) error {
	f, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sandbox: saving the snapshot: %w", err)
	}
	defer os.Remove(f.Name())
	if err := s.Snapshot(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sandbox: saving the snapshot: %w", err)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return fmt.Errorf("sandbox: saving the snapshot: %w", err)
	}
	return nil
}

// LoadFile restores a snapshot saved by SaveFile. A missing file is an
// error that matches fs.ErrNotExist, which callers starting afresh ignore.
func (s *Server) LoadFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("sandbox: loading the snapshot: %w", err)
	}
	defer f.Close()
	return s.Restore(f)
}
