package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

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

func TestTokenRefreshTaskID(t *testing.T) {
	every := 5 * time.Minute
	base := time.Date(2026, 11, 28, 4, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		a, b time.Time
		same bool
	}{
		{base, base.Add(every - time.Nanosecond), true},
		{base.Add(every - time.Nanosecond), base.Add(every), false},
		{base, base.Add(-time.Nanosecond), false},
	} {
		if got := periodicTaskID(TypeTokenRefresh, tt.a, every) == periodicTaskID(TypeTokenRefresh, tt.b, every); got != tt.same {
			t.Errorf("%v and %v in one bucket: %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	if got, want := periodicTaskID(TypeTokenRefresh, time.Unix(1_700_000_010, 0), every), "token_refresh:5666666"; got != want {
		t.Errorf("periodicTaskID = %q, want %q", got, want)
	}
	if c := (Config{}).withDefaults(); c.TokenRefreshEvery != 5*time.Minute {
		t.Errorf("default TokenRefreshEvery = %s, want 5m", c.TokenRefreshEvery)
	}
}

// TestServerTokenRefreshOncePerBucket: two servers ticking out of phase
// run one token job per period between them.
func TestServerTokenRefreshOncePerBucket(t *testing.T) {
	r := testRedis(t)
	h := &fakeHandlers{}
	cfg := testConfig()
	cfg.TokenRefreshEvery = time.Second
	a, err := NewServer(r, cfg, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewServer(r, cfg, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	time.Sleep(500 * time.Millisecond)
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown()
	time.Sleep(3200 * time.Millisecond)
	a.Shutdown()
	b.Shutdown()
	end := time.Now()
	ids := h.refreshCalls()
	buckets := int(end.Unix()-start.Unix()) + 1
	if len(ids) < 3 || len(ids) > buckets {
		t.Errorf("%d token jobs in %d buckets: %v", len(ids), buckets, ids)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("bucket %s ran the token job twice: %v", id, ids)
		}
		seen[id] = true
	}
}

// TestServerTokenRefreshFailureNotRetried: a failed job is archived, not
// retried; the next period's job runs instead.
func TestServerTokenRefreshFailureNotRetried(t *testing.T) {
	r := testRedis(t)
	h := &fakeHandlers{refresh: func(context.Context) (publisher.RefreshReport, error) {
		return publisher.RefreshReport{}, errors.New("store down")
	}}
	cfg := testConfig()
	cfg.TokenRefreshEvery = time.Hour
	startServer(t, r, cfg, h)
	var archived []*asynq.TaskInfo
	eventually(t, 10*time.Second, "token job archived", func() bool {
		var err error
		archived, err = asynq.NewInspectorFromRedisClient(r.rdb).ListArchivedTasks(QueueCritical)
		return err == nil && len(archived) == 1
	})
	if archived[0].Type != TypeTokenRefresh || archived[0].Retried != 0 {
		t.Errorf("archived %s retried %d, want a token job retried 0 times", archived[0].Type, archived[0].Retried)
	}
	if ids := h.refreshCalls(); len(ids) != 1 {
		t.Errorf("%d token jobs, want 1", len(ids))
	}
}
