//go:build embedui

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestFrontendLiveTests runs the frontend's live tests — the API client and
// the app's screens in a DOM, against a running server — which `npm test`
// alone skips for want of a server: here the whole product runs with the
// demo, and vitest gets its address (PRASAR_URL) and the demo password. A
// skipped or failed live test fails this test.
func TestFrontendLiveTests(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs vitest against a running server")
	}
	npx, err := exec.LookPath("npx")
	if err != nil {
		t.Fatalf("the frontend's live tests need Node.js with npx: %v", err)
	}
	dir, err := filepath.Abs("../../frontend")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".bin", "vitest")); err != nil {
		t.Fatalf("run `npm ci` in frontend/ first (`make test` does): %v", err)
	}
	m := startMain(t, "serve", testEnv(t, "PRASAR_DEMO", "on", "PRASAR_DEMO_PASSWORD", e2ePassword))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npx, "vitest", "run", "src/test/live.test.ts", "src/test/live-dom.test.ts")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PRASAR_URL="+m.URL(), "PRASAR_DEMO_PASSWORD="+e2ePassword, "NO_COLOR=1", "FORCE_COLOR=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("vitest: %v\n%s", err, out.String())
	}
	// Two files, two tests, none skipped.
	if !regexp.MustCompile(`Tests\s+2 passed \(2\)`).Match(out.Bytes()) {
		t.Fatalf("want both live tests run and passed:\n%s", out.String())
	}
}
