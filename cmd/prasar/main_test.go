package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/queue"
)

// testEnv returns a getenv for LoadConfig from pairs, isolated from the
// process environment except for REDIS_URL (CI's real Redis).
func testEnv(t testing.TB, pairs ...string) func(string) string {
	m := map[string]string{"PRASAR_DATA_DIR": t.TempDir(), "PRASAR_ADDR": "127.0.0.1:0", "PRASAR_DEMO": "off", "PRASAR_LOG_LEVEL": "warn",
		"PRASAR_DEMO_PASSWORD": "demo-password-123"}
	if r := os.Getenv("REDIS_URL"); r != "" {
		m["REDIS_URL"] = testRedisURL(t, r)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

// testRedisDB is the database of the real Redis that this package's tests
// use: not the queue package's (13), which go test may run at the same time.
const testRedisDB = "12"

// flushedFor records the tests that have flushed testRedisDB.
var flushedFor sync.Map

// testRedisURL returns raw (CI's real Redis) on database testRedisDB,
// flushed once per test: each test is a deployment of its own, so task ids
// of an earlier test (the periodic jobs' one-per-period ids) never stand in
// for this one's, and its tasks never reach an earlier test's workers.
// Processes started by one test share it, as one deployment's do.
func testRedisURL(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	u.Path = "/" + testRedisDB
	if _, done := flushedFor.LoadOrStore(t.Name(), true); !done {
		r, err := queue.RedisFromURL(u.String())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = r.FlushDB(ctx)
		r.Close()
		if err != nil {
			t.Fatalf("REDIS_URL is set but Redis cannot be flushed: %v", err)
		}
	}
	return u.String()
}

// startMain runs a prasar process in this test process.
func startMain(t testing.TB, mode string, getenv func(string) string) *Main {
	t.Helper()
	cfg, err := LoadConfig(mode, getenv)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, io.Discard, testLogWriter{t})
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s (last: %s)", timeout, what, last)
}

// countStatuses counts a post's deliveries by status.
func countStatuses(t testing.TB, s publisher.Store, postID string) (publisher.DeliveryCounts, string) {
	c, err := s.CountDeliveries(context.Background(), publisher.DeliveryFilter{PostID: postID})
	if err != nil {
		t.Fatal(err)
	}
	return c, fmt.Sprint(c)
}
