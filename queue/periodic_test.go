package queue

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

// periodicJob is one of the jobs periodic.go runs once per period across
// every server: how to switch it on, what its handler recorded, and how to
// make it fail.
type periodicJob struct {
	typ   string
	def   time.Duration // the default period
	every func(*Config) *time.Duration
	calls func(*fakeHandlers) []string // the task ids its handler saw
	fail  func(*fakeHandlers)
}

var errStoreDown = errors.New("store down")

var periodicJobs = []periodicJob{
	{TypeReconcile, DefaultReconcileEvery, func(c *Config) *time.Duration { return &c.ReconcileEvery },
		func(h *fakeHandlers) []string { _, _, ids := h.calls(); return ids },
		func(h *fakeHandlers) {
			h.reconcile = func(context.Context) (publisher.ReconcileReport, error) {
				return publisher.ReconcileReport{}, errStoreDown
			}
		}},
	{TypeCasesCheck, DefaultCasesCheckEvery, func(c *Config) *time.Duration { return &c.CasesCheckEvery },
		(*fakeHandlers).checkCalls,
		func(h *fakeHandlers) {
			h.check = func(context.Context) (publisher.CaseCheckReport, error) {
				return publisher.CaseCheckReport{}, errStoreDown
			}
		}},
	{TypeMetricsSweep, DefaultMetricsEvery, func(c *Config) *time.Duration { return &c.MetricsEvery },
		func(h *fakeHandlers) []string { ids, _ := h.metricsCalls(); return ids },
		func(h *fakeHandlers) {
			h.sweep = func(context.Context) (publisher.MetricsSweepReport, error) {
				return publisher.MetricsSweepReport{}, errStoreDown
			}
		}},
	{TypeTokenRefresh, DefaultTokenRefreshEvery, func(c *Config) *time.Duration { return &c.TokenRefreshEvery },
		(*fakeHandlers).refreshCalls,
		func(h *fakeHandlers) {
			h.refresh = func(context.Context) (publisher.RefreshReport, error) { return publisher.RefreshReport{}, errStoreDown }
		}},
}

// TestPeriodicTaskID: one task id per job and period (unix time / period),
// periods cut at multiples of the period whatever the day (IST midnight
// included), and each job's default period.
func TestPeriodicTaskID(t *testing.T) {
	minute := time.Minute
	istMidnight := time.Date(2026, 11, 28, 18, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		a, b  time.Time
		every time.Duration
		same  bool
	}{
		{time.Unix(60, 0), time.Unix(89, 999_999_999), 30 * time.Second, true},
		{time.Unix(89, 0), time.Unix(90, 0), 30 * time.Second, false},
		{istMidnight.Add(-time.Minute), istMidnight.Add(-time.Nanosecond), minute, true},
		{istMidnight.Add(-time.Nanosecond), istMidnight, minute, false},
	} {
		for _, j := range periodicJobs {
			if got := periodicTaskID(j.typ, tt.a, tt.every) == periodicTaskID(j.typ, tt.b, tt.every); got != tt.same {
				t.Errorf("%s: %v and %v in one period of %s: %v, want %v", j.typ, tt.a, tt.b, tt.every, got, tt.same)
			}
		}
	}
	for _, j := range periodicJobs {
		if got, want := periodicTaskID(j.typ, time.Unix(1_700_000_010, 0), minute), fmt.Sprintf("%s:28333333", j.typ); got != want {
			t.Errorf("periodicTaskID = %q, want %q", got, want)
		}
		if got := *j.every(new(Config)); got != 0 {
			t.Fatalf("%s: a zero Config has period %s", j.typ, got)
		}
		c := Config{}.withDefaults()
		if got := *j.every(&c); got != j.def {
			t.Errorf("%s: default period %s, want %s", j.typ, got, j.def)
		}
	}
}

// TestServerPeriodicJobsOncePerPeriod: two servers ticking out of phase
// run each job once per period between them, and no job that is off.
func TestServerPeriodicJobsOncePerPeriod(t *testing.T) {
	for _, j := range periodicJobs {
		t.Run(j.typ, func(t *testing.T) {
			r := testRedis(t)
			h := &fakeHandlers{}
			cfg := testConfig() // every job off
			*j.every(&cfg) = time.Second
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
			// Out of phase, so that b asks for each period after a's job of
			// it has finished.
			time.Sleep(500 * time.Millisecond)
			if err := b.Start(); err != nil {
				t.Fatal(err)
			}
			defer b.Shutdown()
			time.Sleep(3200 * time.Millisecond)
			a.Shutdown()
			b.Shutdown()
			periods := int(time.Now().Unix()-start.Unix()) + 1
			ids := j.calls(h)
			if len(ids) < 3 || len(ids) > periods {
				t.Errorf("%d runs in %d periods: %v", len(ids), periods, ids)
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Errorf("period %s ran twice: %v", id, ids)
				}
				seen[id] = true
			}
			for _, other := range periodicJobs {
				if other.typ != j.typ && len(other.calls(h)) != 0 {
					t.Errorf("%s ran while it is off: %v", other.typ, other.calls(h))
				}
			}
		})
	}
}

// TestServerPeriodicJobFailureNotRetried: a failed run is archived, not
// retried; the next period's runs instead.
func TestServerPeriodicJobFailureNotRetried(t *testing.T) {
	for _, j := range periodicJobs {
		t.Run(j.typ, func(t *testing.T) {
			r := testRedis(t)
			h := &fakeHandlers{}
			j.fail(h)
			cfg := testConfig()
			*j.every(&cfg) = time.Hour
			startServer(t, r, cfg, h)
			var archived []*asynq.TaskInfo
			eventually(t, 10*time.Second, j.typ+" archived", func() bool {
				var err error
				archived, err = asynq.NewInspectorFromRedisClient(r.rdb).ListArchivedTasks(QueueCritical)
				return err == nil && len(archived) == 1
			})
			if archived[0].Type != j.typ || archived[0].Retried != 0 {
				t.Errorf("archived %s retried %d, want a %s retried 0 times", archived[0].Type, archived[0].Retried, j.typ)
			}
			if ids := j.calls(h); len(ids) != 1 {
				t.Errorf("%d runs, want 1", len(ids))
			}
		})
	}
}
