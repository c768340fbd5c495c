package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

func TestRetryDelay(t *testing.T) {
	now := time.Unix(1000, 250_000_000) // 1000.25 s
	low := func(int64) int64 { return 0 }
	high := func(k int64) int64 { return k - 1 }
	tests := []struct {
		name  string
		n     int
		err   error
		randN func(int64) int64
		want  time.Duration
	}{
		{"retry error: rounded up to the next whole second", 0, &publisher.RetryError{At: now.Add(10300 * time.Millisecond)}, low, 10750 * time.Millisecond},
		{"retry error on a whole second", 0, &publisher.RetryError{At: time.Unix(1005, 0)}, low, 4750 * time.Millisecond},
		{"retry error ignores the failure count", 7, &publisher.RetryError{At: time.Unix(1005, 0)}, high, 4750 * time.Millisecond},
		{"retry error wrapped", 0, fmt.Errorf("queue: delivery d1: %w", &publisher.RetryError{At: time.Unix(1005, 0)}), low, 4750 * time.Millisecond},
		{"retry error in the past: at least a second", 0, &publisher.RetryError{At: now.Add(-time.Hour)}, low, 1750 * time.Millisecond},
		{"retry error just due: at least a second", 0, &publisher.RetryError{At: now}, low, 1750 * time.Millisecond},
		{"first failure, low jitter", 0, errors.New("store down"), low, retryBase / 2},
		{"first failure, high jitter", 0, errors.New("store down"), high, retryBase},
		{"fourth failure doubles three times", 3, errors.New("store down"), low, 4 * retryBase},
		{"many failures are capped", 40, errors.New("store down"), high, retryMax},
		{"many failures are capped, low jitter", 40, errors.New("store down"), low, retryMax / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := retryDelay(now, tt.n, tt.err, tt.randN)
			if got != tt.want {
				t.Errorf("retryDelay = %s, want %s", got, tt.want)
			}
			var re *publisher.RetryError
			if errors.As(tt.err, &re) {
				if at := now.Add(got); at.Before(re.At) || at.Nanosecond() != 0 {
					t.Errorf("now+delay = %s: not a whole second at or after %s", at, re.At)
				}
			}
		})
	}
}

func TestRetryDelayJitterVaries(t *testing.T) {
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		d := retryDelayFunc(2, errors.New("x"), nil)
		if d < 2*retryBase || d > 4*retryBase {
			t.Fatalf("delay %s outside [%s, %s]", d, 2*retryBase, 4*retryBase)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Errorf("50 delays were all %v: no jitter", seen)
	}
}

func TestIsFailure(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&publisher.RetryError{At: time.Now()}, false},
		{fmt.Errorf("queue: delivery d1: %w", &publisher.RetryError{At: time.Now()}), false},
		{errors.New("store down"), true},
		{publisher.Errorf(publisher.EUNAVAILABLE, "down"), true},
		{fmt.Errorf("x: %w", asynq.SkipRetry), true},
	}
	for _, tt := range tests {
		if got := isFailure(tt.err); got != tt.want {
			t.Errorf("isFailure(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestDecodePayload(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		into    func() interface{ validate() error }
		wantErr bool
	}{
		{"fanout ok", `{"postId":"p1","revision":2}`, func() interface{ validate() error } { return &fanoutPayload{} }, false},
		{"fanout revision 0", `{"postId":"p1","revision":0}`, func() interface{ validate() error } { return &fanoutPayload{} }, true},
		{"fanout no revision", `{"postId":"p1"}`, func() interface{ validate() error } { return &fanoutPayload{} }, true},
		{"fanout bad post id", `{"postId":"a:b","revision":1}`, func() interface{ validate() error } { return &fanoutPayload{} }, true},
		{"deliver ok", `{"deliveryId":"d1"}`, func() interface{ validate() error } { return &deliverPayload{} }, false},
		{"deliver empty id", `{"deliveryId":""}`, func() interface{ validate() error } { return &deliverPayload{} }, true},
		{"deliver unknown field", `{"deliveryId":"d1","text":"hello"}`, func() interface{ validate() error } { return &deliverPayload{} }, true},
		{"deliver trailing data", `{"deliveryId":"d1"}{"deliveryId":"d2"}`, func() interface{ validate() error } { return &deliverPayload{} }, true},
		{"not json", `not json`, func() interface{ validate() error } { return &deliverPayload{} }, true},
		{"null", `null`, func() interface{ validate() error } { return &deliverPayload{} }, true},
		{"empty", ``, func() interface{ validate() error } { return &deliverPayload{} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decodePayload([]byte(tt.payload), tt.into())
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodePayload(%q) = %v, want error: %v", tt.payload, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, asynq.SkipRetry) {
				t.Errorf("error %v does not wrap asynq.SkipRetry", err)
			}
		})
	}
}

func TestTaskIDs(t *testing.T) {
	if got, want := fanoutTaskID("p1", 3), "fanout:p1:3"; got != want {
		t.Errorf("fanoutTaskID = %q, want %q", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"zero is valid", Config{}, ""},
		{"timeout at the limit", Config{TaskTimeout: MaxTaskTimeout}, ""},
		{"timeout reaching the lease", Config{TaskTimeout: 2 * time.Minute}, "task timeout"},
		{"negative concurrency", Config{Concurrency: -1}, "concurrency"},
		{"negative shutdown timeout", Config{ShutdownTimeout: -time.Second}, "shutdown timeout"},
		{"reconcile disabled", Config{ReconcileEvery: -1}, ""},
		{"weights", Config{Weights: map[string]int{QueueCritical: 10, DeliverQueue(publisher.X): 3}}, ""},
		{"weight of unknown queue", Config{Weights: map[string]int{"deliver_myspace": 1}}, "unknown queue"},
		{"negative weight", Config{Weights: map[string]int{QueueCritical: -1}}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate() = %v, want an error about %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.Concurrency != 10 || c.TaskTimeout != 90*time.Second || c.ReconcileEvery != 30*time.Second {
		t.Errorf("defaults = %+v", c)
	}
	ws := Config{Weights: map[string]int{DeliverQueue(publisher.Facebook): 3}}.QueueWeights()
	if len(ws) != 2+len(publisher.Platforms) {
		t.Errorf("%d queues, want critical, one per platform and metrics: %v", len(ws), ws)
	}
	for q, w := range ws {
		switch {
		case q == QueueCritical:
			if w != DefaultCriticalWeight {
				t.Errorf("critical weight %d", w)
			}
		case q == QueueMetrics:
			if w != DefaultMetricsWeight || w >= ws[QueueCritical] {
				t.Errorf("metrics weight %d, want %d (below critical)", w, DefaultMetricsWeight)
			}
		case q == DeliverQueue(publisher.Facebook):
			if w != 3 {
				t.Errorf("overridden weight of %s = %d, want 3", q, w)
			}
		default:
			if w != DefaultPlatformWeight || w >= ws[QueueCritical] {
				t.Errorf("weight of %s = %d, want %d (below critical)", q, w, DefaultPlatformWeight)
			}
		}
	}
}

func TestRedisFromURL(t *testing.T) {
	tests := []struct {
		url     string
		addr    string
		db      int
		tls     bool
		wantErr bool
	}{
		{url: "redis://127.0.0.1:6379", addr: "127.0.0.1:6379"},
		{url: "redis://:secret@redis.internal:6380/13", addr: "redis.internal:6380", db: 13},
		{url: "rediss://cache.example:6379/2", addr: "cache.example:6379", db: 2, tls: true},
		{url: "redis://localhost", addr: "localhost:6379"},
		{url: "http://localhost:6379", wantErr: true},
		{url: "redis://localhost:6379/notanumber", wantErr: true},
		{url: "::", wantErr: true},
		{url: "redis://:s3cret@host:63x79/0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			r, err := RedisFromURL(tt.url)
			if tt.wantErr {
				if err == nil {
					r.Close()
					t.Fatal("no error")
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			o := r.rdb.Options()
			if o.Addr != tt.addr || o.DB != tt.db || (o.TLSConfig != nil) != tt.tls {
				t.Errorf("addr %q db %d tls %v; want %q %d %v", o.Addr, o.DB, o.TLSConfig != nil, tt.addr, tt.db, tt.tls)
			}
		})
	}
}

// recordHandler is a slog.Handler that keeps its records.
type recordHandler struct {
	level   slog.Level
	records *[]slog.Record
}

func (h recordHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	*h.records = append(*h.records, r)
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

func TestLogger(t *testing.T) {
	var recs []slog.Record
	l := newLogger(slog.New(recordHandler{level: slog.LevelInfo, records: &recs}))
	l.Debug("hidden")
	l.Info("starting ", "processing")
	l.Warn("warned")
	l.Error("failed: ", 3)
	want := []struct {
		level slog.Level
		msg   string
	}{{slog.LevelInfo, "starting processing"}, {slog.LevelWarn, "warned"}, {slog.LevelError, "failed: 3"}}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %v", len(recs), len(want), recs)
	}
	for i, w := range want {
		if recs[i].Level != w.level || recs[i].Message != w.msg {
			t.Errorf("record %d = %s %q, want %s %q", i, recs[i].Level, recs[i].Message, w.level, w.msg)
		}
	}
}
