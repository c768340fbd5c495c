package queue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

func (f *fakeHandlers) SweepMetrics(ctx context.Context) (publisher.MetricsSweepReport, error) {
	id, _ := asynq.GetTaskID(ctx)
	f.mu.Lock()
	f.sweeps = append(f.sweeps, id)
	f.mu.Unlock()
	if f.sweep != nil {
		return f.sweep(ctx)
	}
	return publisher.MetricsSweepReport{}, nil
}

func (f *fakeHandlers) CollectMetrics(ctx context.Context, deliveryID string, manual bool) error {
	id, _ := asynq.GetTaskID(ctx)
	f.mu.Lock()
	f.collects = append(f.collects, fmt.Sprintf("%s %s %v", id, deliveryID, manual))
	f.mu.Unlock()
	if f.collect != nil {
		return f.collect(ctx, deliveryID, manual)
	}
	return nil
}

func (f *fakeHandlers) metricsCalls() (sweeps, collects []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sweeps...), append([]string(nil), f.collects...)
}

func TestEnqueueMetrics(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	c := newTestClient(t, r)
	later := time.Now().Add(time.Hour).Truncate(time.Second)
	for _, err := range []error{
		c.EnqueueMetrics(ctx, "d1", publisher.Facebook, "1772430000", false, time.Time{}),
		c.EnqueueMetrics(ctx, "d1", publisher.Facebook, "1772430000", false, time.Time{}), // the same reading: a no-op
		c.EnqueueMetrics(ctx, "d1", publisher.Facebook, "manual-1772430100", true, later),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	info := taskInfo(t, r, QueueMetrics, "metrics:d1:1772430000")
	if info == nil || info.Type != TypeMetrics || info.State != asynq.TaskStatePending || string(info.Payload) != `{"deliveryId":"d1"}` {
		t.Fatalf("scheduled reading = %+v", info)
	}
	manual := taskInfo(t, r, QueueMetrics, "metrics:d1:manual-1772430100")
	if manual == nil || manual.State != asynq.TaskStateScheduled || !manual.NextProcessAt.Equal(later) || string(manual.Payload) != `{"deliveryId":"d1","manual":true}` {
		t.Fatalf("manual reading = %+v", manual)
	}
	stats, err := r.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		if s.Queue == QueueMetrics && (s.Pending != 1 || s.Scheduled != 1) {
			t.Errorf("metrics queue: %d pending, %d scheduled; want one of each", s.Pending, s.Scheduled)
		}
		if s.Queue != QueueMetrics && s.Pending+s.Scheduled != 0 {
			t.Errorf("queue %s holds %d tasks, want none", s.Queue, s.Pending+s.Scheduled)
		}
	}
	for _, tt := range []struct{ id, key string }{{"", "k"}, {"d/1", "k"}, {"d1", "a:b"}, {"d1", ""}} {
		if err := c.EnqueueMetrics(ctx, tt.id, publisher.X, tt.key, false, time.Time{}); publisher.ErrorCode(err) != publisher.EINVALID {
			t.Errorf("EnqueueMetrics(%q, %q) = %v, want invalid", tt.id, tt.key, err)
		}
	}
}

// TestServerRunsMetricsReadings: readings reach the handler with their
// delivery and manual flag; a reading that must wait for a platform's rate
// limit runs again at the reset, and a failed sweep is not retried.
func TestServerRunsMetricsReadings(t *testing.T) {
	r := testRedis(t)
	var (
		mu     sync.Mutex
		waited bool
		at     time.Time
	)
	h := &fakeHandlers{
		collect: func(_ context.Context, id string, _ bool) error {
			mu.Lock()
			defer mu.Unlock()
			if id == "limited" && !waited {
				waited = true
				at = time.Now().Add(2 * time.Second)
				return &publisher.RetryError{At: at, Reason: "the platform's rate limit"}
			}
			return nil
		},
		sweep: func(context.Context) (publisher.MetricsSweepReport, error) {
			return publisher.MetricsSweepReport{}, fmt.Errorf("store down")
		},
	}
	cfg := testConfig()
	cfg.MetricsEvery = time.Hour // one sweep, at start
	startServer(t, r, cfg, h)
	c := newTestClient(t, r)
	ctx := context.Background()
	if err := c.EnqueueMetrics(ctx, "d1", publisher.X, "k1", false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnqueueMetrics(ctx, "d2", publisher.X, "manual-9", true, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnqueueMetrics(ctx, "limited", publisher.Facebook, "k2", false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var collects []string
	eventually(t, 15*time.Second, "the rate-limited reading run again", func() bool {
		_, collects = h.metricsCalls()
		return len(collects) == 4
	})
	end := time.Now()
	want := map[string]int{"metrics:d1:k1 d1 false": 1, "metrics:d2:manual-9 d2 true": 1, "metrics:limited:k2 limited false": 2}
	got := map[string]int{}
	for _, c := range collects {
		got[c]++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("readings = %v, want %v", got, want)
	}
	mu.Lock()
	if end.Before(at) {
		t.Errorf("the rate-limited reading ran again at %v, before the reset %v", end, at)
	}
	mu.Unlock()
	eventually(t, 10*time.Second, "the failed sweep archived", func() bool {
		archived, err := asynq.NewInspectorFromRedisClient(r.rdb).ListArchivedTasks(QueueCritical)
		return err == nil && len(archived) == 1 && archived[0].Type == TypeMetricsSweep && archived[0].Retried == 0
	})
	if sweeps, _ := h.metricsCalls(); len(sweeps) != 1 {
		t.Errorf("%d sweeps, want 1 (not retried)", len(sweeps))
	}
}
