package queue

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

// Retract makes fakeHandlers a Handlers: it records the post and calls the
// hook set with onRetract, if any.
func (f *fakeHandlers) Retract(ctx context.Context, postID string) error {
	h := retractHooksOf(f)
	h.mu.Lock()
	h.posts = append(h.posts, postID)
	fn := h.fn
	h.mu.Unlock()
	if fn != nil {
		return fn(ctx, postID)
	}
	return nil
}

// retractHooks are fakeHandlers' retraction hooks and calls, by handler
// (kept beside the type, with the feature that needs them).
type retractHooks struct {
	mu    sync.Mutex
	fn    func(ctx context.Context, postID string) error
	posts []string
}

var retractHooksByHandler sync.Map

func retractHooksOf(f *fakeHandlers) *retractHooks {
	v, _ := retractHooksByHandler.LoadOrStore(f, &retractHooks{})
	return v.(*retractHooks)
}

func (f *fakeHandlers) onRetract(fn func(ctx context.Context, postID string) error) {
	h := retractHooksOf(f)
	h.mu.Lock()
	h.fn = fn
	h.mu.Unlock()
}

func (f *fakeHandlers) retracted() []string {
	h := retractHooksOf(f)
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.posts...)
}

func TestRetractTask(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	c := newTestClient(t, r)
	// Queued twice: one task; a later time does not move it.
	if err := c.EnqueueRetract(ctx, "post-1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnqueueRetract(ctx, "post-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	info := taskInfo(t, r, QueueCritical, "retract:post-1")
	if info == nil || info.Type != TypeRetract || string(info.Payload) != `{"postId":"post-1"}` || info.State != asynq.TaskStatePending {
		t.Fatalf("retract task = %+v", info)
	}
	if err := c.EnqueueRetract(ctx, "not an id!", time.Time{}); publisher.ErrorCode(err) != publisher.EINVALID {
		t.Fatalf("invalid id: %v, want EINVALID", err)
	}
	// The handler gets the post; a RetryError brings the task back.
	var runs atomic.Int32
	h := &fakeHandlers{}
	h.onRetract(func(_ context.Context, postID string) error {
		if runs.Add(1) == 1 {
			return &publisher.RetryError{At: time.Now().Add(500 * time.Millisecond), Reason: "a call in flight"}
		}
		return nil
	})
	startServer(t, r, testConfig(), h)
	eventually(t, 15*time.Second, "the retraction ran twice (once rescheduled)", func() bool { return runs.Load() == 2 })
	if got := h.retracted(); !slices.Equal(got, []string{"post-1", "post-1"}) {
		t.Fatalf("Retract calls %v", got)
	}
}

func TestRequeueRunsBesideAHeldTask(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	c := newTestClient(t, r)
	release := make(chan struct{})
	var calls atomic.Int32
	h := &fakeHandlers{deliver: func(ctx context.Context, id string) error {
		if calls.Add(1) == 1 {
			// The first task is held, as by a worker that hangs (or died:
			// its task stays active until asynq recovers it).
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return nil
	}}
	startServer(t, r, testConfig(), h)
	if err := c.EnqueueDelivery(ctx, "dHeld", publisher.X, time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the first task runs", func() bool { return calls.Load() == 1 })
	// The ordinary id is taken while the task is held: nothing new runs.
	if err := c.EnqueueDelivery(ctx, "dHeld", publisher.X, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// A re-queue under a key runs at once, and the same key twice is one
	// task.
	if err := c.RequeueDelivery(ctx, "dHeld", publisher.X, "rc42", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := c.RequeueDelivery(ctx, "dHeld", publisher.X, "rc42", time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the re-queue runs beside the held task", func() bool { return calls.Load() == 2 })
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d runs, want 2 (held task, one re-queue)", n)
	}
	close(release)
	_, ds, _ := h.calls()
	if !slices.Equal(ds, []string{"dHeld", "dHeld"}) {
		t.Fatalf("deliveries %v", ds)
	}
	// Fan-outs too.
	if err := c.RequeueFanout(ctx, "post-9", 2, "rc7", time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the fan-out re-queue runs", func() bool { f, _, _ := h.calls(); return len(f) == 1 })
	if f, _, _ := h.calls(); f[0] != (fanoutPayload{PostID: "post-9", Revision: 2}) {
		t.Fatalf("fan-out %+v", f[0])
	}
	for _, key := range []string{"", "has space", "semi;colon", string(make([]byte, 41))} {
		if err := c.RequeueDelivery(ctx, "dX", publisher.X, key, time.Time{}); publisher.ErrorCode(err) != publisher.EINVALID {
			t.Errorf("key %q: %v, want EINVALID", key, err)
		}
	}
}

// TestPlatformPoolsKeepASlowPlatformFromStarvingOthers: a platform whose
// calls hang holds only its own pool; the other platform's deliveries go
// through meanwhile.
func TestPlatformPoolsKeepASlowPlatformFromStarvingOthers(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	release := make(chan struct{})
	var slowNow, slowMax, fastDone atomic.Int32
	h := &fakeHandlers{deliver: func(ctx context.Context, id string) error {
		if id[0] == 's' {
			n := slowNow.Add(1)
			for {
				m := slowMax.Load()
				if n <= m || slowMax.CompareAndSwap(m, n) {
					break
				}
			}
			defer slowNow.Add(-1)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		}
		time.Sleep(5 * time.Millisecond) // a quick platform
		fastDone.Add(1)
		return nil
	}}
	cfg := testConfig()
	cfg.Concurrency = 4
	cfg.PlatformConcurrency = 4
	cfg.PlatformLimits = map[publisher.Platform]int{publisher.Instagram: 2}
	startServer(t, r, cfg, h)
	c := newTestClient(t, r)
	// The slow platform's backlog is queued first.
	for i := 0; i < 10; i++ {
		if err := c.EnqueueDelivery(ctx, fmt.Sprintf("slow%02d", i), publisher.Instagram, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "the slow platform fills its pool", func() bool { return slowNow.Load() == 2 })
	for i := 0; i < 30; i++ {
		if err := c.EnqueueDelivery(ctx, fmt.Sprintf("fast%02d", i), publisher.Facebook, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 15*time.Second, "every fast delivery done while the slow platform hangs", func() bool { return fastDone.Load() == 30 })
	if n := slowNow.Load(); n != 2 {
		t.Fatalf("%d slow calls running, want its limit of 2", n)
	}
	close(release)
	eventually(t, 15*time.Second, "the slow backlog drains", func() bool {
		_, ds, _ := h.calls()
		return len(ds) == 40 && slowNow.Load() == 0
	})
	if m := slowMax.Load(); m > 2 {
		t.Fatalf("up to %d slow calls at once, over the platform's limit of 2", m)
	}
}

func TestParsePlatformConcurrency(t *testing.T) {
	tests := []struct {
		in     string
		all    int
		limits map[publisher.Platform]int
		bad    bool
	}{
		{"", 0, nil, false},
		{"0", 0, nil, false},
		{"4", 4, nil, false},
		{"shared", -1, nil, false},
		{"x=2, instagram=3", 0, map[publisher.Platform]int{publisher.X: 2, publisher.Instagram: 3}, false},
		{"6,x=2", 6, map[publisher.Platform]int{publisher.X: 2}, false},
		{"x=0", 0, nil, true},
		{"myspace=2", 0, nil, true},
		{"-1", 0, nil, true},
		{"lots", 0, nil, true},
	}
	for _, tt := range tests {
		all, limits, err := ParsePlatformConcurrency(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("%q: error %v, want error %v", tt.in, err, tt.bad)
			continue
		}
		if err == nil && (all != tt.all || fmt.Sprint(limits) != fmt.Sprint(tt.limits)) {
			t.Errorf("%q = %d, %v; want %d, %v", tt.in, all, limits, tt.all, tt.limits)
		}
	}
	cfg := Config{PlatformLimits: map[publisher.Platform]int{publisher.X: 0}}
	if err := cfg.Validate(); err == nil {
		t.Error("a platform limit of 0 validated")
	}
	cfg = Config{PlatformLimits: map[publisher.Platform]int{"myspace": 2}}
	if err := cfg.Validate(); err == nil {
		t.Error("a limit for an unknown platform validated")
	}
	cfg = Config{Concurrency: 7, PlatformLimits: map[publisher.Platform]int{publisher.X: 2}}.withDefaults()
	if cfg.platformConcurrency(publisher.X) != 2 || cfg.platformConcurrency(publisher.Facebook) != 7 {
		t.Error("platform pools: want X 2 and the others Concurrency")
	}
}
