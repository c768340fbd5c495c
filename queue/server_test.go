package queue

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/goleak"

	"github.com/prasar/prasar/publisher"
)

func TestServerHandlersReceiveIDs(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	h := &fakeHandlers{}
	startServer(t, r, testConfig(), h)
	c := newTestClient(t, r)
	for _, err := range []error{
		c.EnqueueFanout(ctx, "post-1", 3, time.Time{}),
		c.EnqueueDelivery(ctx, "dAAA", publisher.Facebook, time.Time{}),
		c.EnqueueDelivery(ctx, "dBBB", publisher.Bluesky, time.Time{}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "all tasks handled", func() bool {
		f, d, _ := h.calls()
		return len(f) == 1 && len(d) == 2
	})
	f, d, _ := h.calls()
	if f[0] != (fanoutPayload{PostID: "post-1", Revision: 3}) {
		t.Errorf("Fanout(%+v), want post-1 revision 3", f[0])
	}
	slices.Sort(d)
	if !slices.Equal(d, []string{"dAAA", "dBBB"}) {
		t.Errorf("Deliver(%v), want dAAA and dBBB", d)
	}
	// Without retention, a finished task's id is free again: the same
	// delivery enqueued again runs again.
	eventually(t, 5*time.Second, "finished task removed", func() bool { return taskInfo(t, r, DeliverQueue(publisher.Facebook), "dAAA") == nil })
	if err := c.EnqueueDelivery(ctx, "dAAA", publisher.Facebook, time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "re-enqueued delivery handled", func() bool {
		_, d, _ := h.calls()
		return len(d) == 3
	})
	if _, d, _ := h.calls(); d[2] != "dAAA" {
		t.Errorf("third delivery %q, want dAAA", d[2])
	}
}

func TestServerRetry(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	inHour := time.Now().Add(time.Hour).Add(300 * time.Millisecond)
	failures := map[string]error{
		"dLater":  &publisher.RetryError{At: inHour, Reason: "rate_limited"},
		"dPast":   &publisher.RetryError{At: time.Now().Add(-time.Hour), Reason: "not due yet"},
		"dBroken": publisher.Errorf(publisher.EUNAVAILABLE, "the store is down"),
	}
	h := &fakeHandlers{deliver: func(_ context.Context, id string) error { return failures[id] }}
	cfg := testConfig()
	cfg.DelayedTaskCheckInterval = time.Hour // keep retry tasks where they are
	startServer(t, r, cfg, h)
	c := newTestClient(t, r)
	tests := []struct {
		id          string
		wantRetried int
		wantFailed  bool
		// bounds of NextProcessAt, relative to before and after the run
		earliest, latest func(before, after time.Time) time.Time
	}{
		{
			id: "dLater", wantRetried: 0,
			earliest: func(_, _ time.Time) time.Time { return inHour.Truncate(time.Second).Add(time.Second) },
			latest:   func(_, _ time.Time) time.Time { return inHour.Truncate(time.Second).Add(time.Second) },
		},
		{
			id: "dPast", wantRetried: 0,
			earliest: func(before, _ time.Time) time.Time { return before.Add(time.Second).Truncate(time.Second) },
			latest:   func(_, after time.Time) time.Time { return after.Add(2 * time.Second) },
		},
		{
			id: "dBroken", wantRetried: 1, wantFailed: true,
			earliest: func(before, _ time.Time) time.Time { return before.Add(retryBase / 2).Truncate(time.Second) },
			latest:   func(_, after time.Time) time.Time { return after.Add(retryBase) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			q := DeliverQueue(publisher.Threads)
			before := time.Now()
			if err := c.EnqueueDelivery(ctx, tt.id, publisher.Threads, time.Time{}); err != nil {
				t.Fatal(err)
			}
			var info *asynq.TaskInfo
			eventually(t, 10*time.Second, "task in the retry set", func() bool {
				info = taskInfo(t, r, q, tt.id)
				return info != nil && info.State == asynq.TaskStateRetry
			})
			after := time.Now()
			if info.Retried != tt.wantRetried {
				t.Errorf("retried %d, want %d", info.Retried, tt.wantRetried)
			}
			if lo, hi := tt.earliest(before, after), tt.latest(before, after); info.NextProcessAt.Before(lo) || info.NextProcessAt.After(hi) {
				t.Errorf("next run at %s, want between %s and %s", info.NextProcessAt, lo, hi)
			}
			if info.LastErr == "" {
				t.Error("no last error recorded")
			}
		})
	}
	// Only the real failure counts as one (asynq counts a task as
	// processed when it completes or fails, not when it is rescheduled).
	stats, err := r.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		if s.Queue == DeliverQueue(publisher.Threads) && (s.FailedToday != 1 || s.ProcessedToday != 1 || s.Retry != 3) {
			t.Errorf("stats %+v, want 1 processed, 1 failed, 3 retrying", s)
		}
	}
}

func TestServerRetryErrorRunsAgainAtItsTime(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	var at time.Time
	h := &fakeHandlers{}
	h.deliver = func(_ context.Context, id string) error {
		if _, d, _ := h.calls(); len(d) == 1 {
			at = time.Now().Add(1500 * time.Millisecond)
			return &publisher.RetryError{At: at, Reason: "rate_limited"}
		}
		return nil
	}
	startServer(t, r, testConfig(), h)
	if err := newTestClient(t, r).EnqueueDelivery(ctx, "dRate", publisher.LinkedIn, time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "delivery run twice", func() bool {
		_, d, _ := h.calls()
		return len(d) == 2
	})
	if now := time.Now(); now.Before(at) {
		t.Errorf("second run at %s, before the retry time %s", now, at)
	}
	time.Sleep(200 * time.Millisecond)
	if _, d, _ := h.calls(); len(d) != 2 {
		t.Errorf("%d runs, want 2", len(d))
	}
}

func TestServerMalformedPayloadArchived(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	h := &fakeHandlers{}
	startServer(t, r, testConfig(), h)
	raw := asynq.NewClientFromRedisClient(r.rdb)
	tests := []struct {
		name, typ, queue, payload string
	}{
		{"deliver not json", TypeDeliver, DeliverQueue(publisher.Facebook), "not json"},
		{"deliver empty id", TypeDeliver, DeliverQueue(publisher.Facebook), `{"deliveryId":""}`},
		{"deliver document instead of id", TypeDeliver, DeliverQueue(publisher.X), `{"deliveryId":"d1","text":"hello"}`},
		{"fanout without revision", TypeFanout, QueueCritical, `{"postId":"p1"}`},
		{"fanout bad post id", TypeFanout, QueueCritical, `{"postId":"../p1","revision":1}`},
	}
	for i, tt := range tests {
		id := "bad" + string(rune('a'+i))
		if _, err := raw.EnqueueContext(ctx, asynq.NewTask(tt.typ, []byte(tt.payload)), asynq.TaskID(id), asynq.Queue(tt.queue), asynq.MaxRetry(maxRetry)); err != nil {
			t.Fatal(err)
		}
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "bad" + string(rune('a'+i))
			var info *asynq.TaskInfo
			eventually(t, 10*time.Second, "task archived", func() bool {
				info = taskInfo(t, r, tt.queue, id)
				return info != nil && info.State == asynq.TaskStateArchived
			})
			if info.Retried != 0 {
				t.Errorf("retried %d times, want 0", info.Retried)
			}
		})
	}
	if f, d, _ := h.calls(); len(f)+len(d) != 0 {
		t.Errorf("handlers called with malformed payloads: %v %v", f, d)
	}
}

func TestServerShutdown(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	r, closeRedis := openTestRedis(t)
	defer closeRedis()
	started := make(chan struct{})
	h := &fakeHandlers{deliver: func(ctx context.Context, _ string) error {
		close(started)
		<-ctx.Done() // a platform call that does not end by itself
		return ctx.Err()
	}}
	cfg := testConfig()
	cfg.ShutdownTimeout = 500 * time.Millisecond
	cfg.ReconcileEvery = 100 * time.Millisecond
	s, err := NewServer(r, cfg, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		t.Error("second Start: nil error")
	}
	if err := newTestClient(t, r).EnqueueDelivery(context.Background(), "dSlow", publisher.X, time.Time{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("task not started")
	}
	t0 := time.Now()
	s.Shutdown()
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("Shutdown took %s with a 500ms shutdown timeout", d)
	}
	s.Shutdown() // again: no effect
	if info := taskInfo(t, r, DeliverQueue(publisher.X), "dSlow"); info == nil || info.State != asynq.TaskStatePending {
		t.Errorf("interrupted task: %+v, want it pending again", info)
	}
	closeRedis()
	goleak.VerifyNone(t, ignore)
}

func TestServerShutdownBeforeStart(t *testing.T) {
	r := testRedis(t)
	s, err := NewServer(r, testConfig(), &fakeHandlers{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Shutdown()
	if err := s.Start(); err == nil {
		t.Error("Start after Shutdown: nil error")
	}
}

func TestNewServerInvalid(t *testing.T) {
	r := testRedis(t)
	if _, err := NewServer(r, Config{TaskTimeout: 5 * time.Minute}, &fakeHandlers{}, nil); err == nil {
		t.Error("task timeout of 5 minutes: nil error")
	}
	if _, err := NewServer(r, Config{}, nil, nil); err == nil {
		t.Error("nil handlers: nil error")
	}
}
