package queue

import (
	"context"
	"errors"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/goleak"

	"github.com/prasar/prasar/publisher"
)

// testDB is the Redis database the tests use on a real Redis; only it is
// flushed.
const testDB = "13"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openTestRedis returns a Redis for one test and a function that closes it:
// the real Redis at REDIS_URL (database 13, flushed first and on close) when
// REDIS_URL is set, as in CI, and a fresh embedded one otherwise.
func openTestRedis(t testing.TB) (*Redis, func()) {
	t.Helper()
	raw := os.Getenv("REDIS_URL")
	if raw == "" {
		e, err := StartEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		r, err := RedisFromURL(e.URL())
		if err != nil {
			e.Close()
			t.Fatal(err)
		}
		var once sync.Once
		return r, func() {
			once.Do(func() {
				if err := r.Close(); err != nil {
					t.Error(err)
				}
				e.Close()
			})
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	u.Path = "/" + testDB
	r, err := RedisFromURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Ping(ctx); err != nil {
		t.Fatalf("REDIS_URL is set but Redis does not answer: %v", err)
	}
	if err := r.rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	return r, func() {
		once.Do(func() {
			if err := r.rdb.FlushDB(context.Background()).Err(); err != nil {
				t.Error(err)
			}
			if err := r.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// testRedis returns a Redis for one test, closed when the test ends.
func testRedis(t testing.TB) *Redis {
	t.Helper()
	r, closeFn := openTestRedis(t)
	t.Cleanup(closeFn)
	return r
}

// testConfig is a Config that reacts quickly, without periodic reconcile.
func testConfig() Config {
	return Config{
		Concurrency:              4,
		ShutdownTimeout:          2 * time.Second,
		ReconcileEvery:           -1,
		CasesCheckEvery:          -1,
		MetricsEvery:             -1,
		TokenRefreshEvery:        -1,
		TaskCheckInterval:        20 * time.Millisecond,
		DelayedTaskCheckInterval: 100 * time.Millisecond,
	}
}

// fakeHandlers is a Handlers whose methods call the given functions (nil:
// return nil) and record their calls.
type fakeHandlers struct {
	fanout    func(ctx context.Context, postID string, revision int) error
	deliver   func(ctx context.Context, deliveryID string) error
	reconcile func(ctx context.Context) (publisher.ReconcileReport, error)
	check     func(ctx context.Context) (publisher.CaseCheckReport, error)
	sweep     func(ctx context.Context) (publisher.MetricsSweepReport, error) // metrics_test.go
	collect   func(ctx context.Context, deliveryID string, manual bool) error
	refresh   func(ctx context.Context) (publisher.RefreshReport, error) // tokens_test.go

	mu         sync.Mutex
	fanouts    []fanoutPayload
	deliveries []string
	reconciles []string // task ids
	checks     []string // cases_check task ids
	sweeps     []string // metrics_sweep task ids
	collects   []string // "<task id> <delivery> <manual>"
	refreshes  []string // token_refresh task ids
}

func (f *fakeHandlers) Fanout(ctx context.Context, postID string, revision int) error {
	f.mu.Lock()
	f.fanouts = append(f.fanouts, fanoutPayload{PostID: postID, Revision: revision})
	f.mu.Unlock()
	if f.fanout != nil {
		return f.fanout(ctx, postID, revision)
	}
	return nil
}

func (f *fakeHandlers) Deliver(ctx context.Context, deliveryID string) error {
	f.mu.Lock()
	f.deliveries = append(f.deliveries, deliveryID)
	f.mu.Unlock()
	if f.deliver != nil {
		return f.deliver(ctx, deliveryID)
	}
	return nil
}

func (f *fakeHandlers) Reconcile(ctx context.Context) (publisher.ReconcileReport, error) {
	id, _ := asynq.GetTaskID(ctx)
	f.mu.Lock()
	f.reconciles = append(f.reconciles, id)
	f.mu.Unlock()
	if f.reconcile != nil {
		return f.reconcile(ctx)
	}
	return publisher.ReconcileReport{}, nil
}

func (f *fakeHandlers) CheckCases(ctx context.Context) (publisher.CaseCheckReport, error) {
	id, _ := asynq.GetTaskID(ctx)
	f.mu.Lock()
	f.checks = append(f.checks, id)
	f.mu.Unlock()
	if f.check != nil {
		return f.check(ctx)
	}
	return publisher.CaseCheckReport{}, nil
}

func (f *fakeHandlers) checkCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.checks...)
}

func (f *fakeHandlers) RefreshTokens(ctx context.Context) (publisher.RefreshReport, error) {
	id, _ := asynq.GetTaskID(ctx)
	f.mu.Lock()
	f.refreshes = append(f.refreshes, id)
	f.mu.Unlock()
	if f.refresh != nil {
		return f.refresh(ctx)
	}
	return publisher.RefreshReport{}, nil
}

func (f *fakeHandlers) refreshCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.refreshes...)
}

// calls returns copies of the recorded calls.
func (f *fakeHandlers) calls() (fanouts []fanoutPayload, deliveries, reconciles []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fanoutPayload(nil), f.fanouts...), append([]string(nil), f.deliveries...), append([]string(nil), f.reconciles...)
}

// startServer starts a Server on r with h, shut down when the test ends.
func startServer(t testing.TB, r *Redis, cfg Config, h Handlers) *Server {
	t.Helper()
	s, err := NewServer(r, cfg, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// newTestClient returns a Client on r with testConfig.
func newTestClient(t testing.TB, r *Redis) *Client {
	t.Helper()
	c, err := NewClient(r, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventually fails the test if cond does not hold within timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// taskInfo returns the task id in queue q, or nil if there is none.
func taskInfo(t testing.TB, r *Redis, q, id string) *asynq.TaskInfo {
	t.Helper()
	info, err := asynq.NewInspectorFromRedisClient(r.rdb).GetTaskInfo(q, id)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	} else if err != nil {
		t.Fatalf("task %s in queue %s: %v", id, q, err)
	}
	return info
}
