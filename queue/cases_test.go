package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

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

func TestCasesCheckTaskID(t *testing.T) {
	every := time.Minute
	base := time.Date(2026, 11, 28, 18, 29, 0, 0, time.UTC) // 23:59 IST
	for _, tt := range []struct {
		a, b time.Time
		same bool
	}{
		{base, base.Add(59 * time.Second), true},
		{base.Add(59 * time.Second), base.Add(60 * time.Second), false}, // IST midnight is a bucket edge like any other
		{base, base.Add(-time.Nanosecond), false},
	} {
		if got := periodicTaskID(TypeCasesCheck, tt.a, every) == periodicTaskID(TypeCasesCheck, tt.b, every); got != tt.same {
			t.Errorf("%v and %v in one bucket: %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	if got, want := periodicTaskID(TypeCasesCheck, time.Unix(1_700_000_010, 0), every), "cases_check:28333333"; got != want {
		t.Errorf("periodicTaskID = %q, want %q", got, want)
	}
	if c := (Config{}).withDefaults(); c.CasesCheckEvery != time.Minute {
		t.Errorf("default CasesCheckEvery = %s, want 1m", c.CasesCheckEvery)
	}
}

// TestServerCasesCheckOncePerBucket: two servers ticking out of phase run
// one deadline check per period between them.
func TestServerCasesCheckOncePerBucket(t *testing.T) {
	r := testRedis(t)
	h := &fakeHandlers{}
	cfg := testConfig()
	cfg.CasesCheckEvery = time.Second
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
	ids := h.checkCalls()
	buckets := int(end.Unix()-start.Unix()) + 1
	if len(ids) < 3 || len(ids) > buckets {
		t.Errorf("%d checks in %d periods: %v", len(ids), buckets, ids)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("period %s checked twice: %v", id, ids)
		}
		seen[id] = true
	}
	if _, _, rec := h.calls(); len(rec) != 0 {
		t.Errorf("reconciles ran with reconcile disabled: %v", rec)
	}
}

// TestServerCasesCheckFailureNotRetried: a failed check is archived, not
// retried; the next period's runs.
func TestServerCasesCheckFailureNotRetried(t *testing.T) {
	r := testRedis(t)
	h := &fakeHandlers{check: func(context.Context) (publisher.CaseCheckReport, error) {
		return publisher.CaseCheckReport{}, errors.New("store down")
	}}
	cfg := testConfig()
	cfg.CasesCheckEvery = time.Hour
	startServer(t, r, cfg, h)
	var archived []*asynq.TaskInfo
	eventually(t, 10*time.Second, "check archived", func() bool {
		var err error
		archived, err = asynq.NewInspectorFromRedisClient(r.rdb).ListArchivedTasks(QueueCritical)
		return err == nil && len(archived) == 1
	})
	if archived[0].Type != TypeCasesCheck || archived[0].Retried != 0 {
		t.Errorf("archived %s retried %d, want a cases_check retried 0 times", archived[0].Type, archived[0].Retried)
	}
	if ids := h.checkCalls(); len(ids) != 1 {
		t.Errorf("%d checks, want 1", len(ids))
	}
}
