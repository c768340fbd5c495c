package frontend

import (
	"io/fs"
	"strings"
	"testing"
)

// TestFSHasIndex checks that whichever FS this build embeds (the built SPA
// with -tags embedui, the placeholder without) serves an index.html at its
// root, as the API's SPA handler expects.
func TestFSHasIndex(t *testing.T) {
	b, err := fs.ReadFile(FS, "index.html")
	if err != nil {
		t.Fatalf("read index.html: %v", err)
	}
	s := string(b)
	if !strings.Contains(s, "<html") {
		t.Fatalf("index.html does not look like HTML: %.200q", s)
	}
	if built {
		if !strings.Contains(s, "<script") {
			t.Errorf("built index.html has no script tag: %.200q", s)
		}
	} else if !strings.Contains(s, "make run") {
		t.Errorf("placeholder does not say how to build the frontend: %.200q", s)
	}
}
