package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
)

// benchQueuePrefix prefixes the scratch queues of MeasureRawThroughput.
const benchQueuePrefix = "bench_raw_"

// BenchTaskCheckInterval is how often MeasureRawThroughput's idle workers
// poll the empty queue. asynq's default (1 s, with jitter) would add up to
// 1.5 s of idle wait at the start of a run, a large error on a run of a few
// seconds; give the product's Server the same Config.TaskCheckInterval when
// comparing the two.
const BenchTaskCheckInterval = 10 * time.Millisecond

// MeasureRawThroughput measures the raw asynq ceiling on r: it starts an
// asynq server with the given concurrency (polling every
// BenchTaskCheckInterval, asynq's defaults otherwise) on a scratch queue of
// its own, enqueues n no-op tasks one after another from
// one goroutine (as a fan-out does), and returns how many tasks per second
// were enqueued and processed, from the first enqueue to the last task's
// end. It removes the scratch queue afterwards, also when ctx is cancelled
// or an enqueue fails. `make bench` reports the product's fan-out rate as a
// ratio of this, measured in the same run.
func MeasureRawThroughput(ctx context.Context, r *Redis, n, concurrency int) (perSecond float64, err error) {
	if n < 1 || concurrency < 1 {
		return 0, fmt.Errorf("queue: measure raw throughput: n (%d) and concurrency (%d) must be positive", n, concurrency)
	}
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	q := benchQueuePrefix + hex.EncodeToString(suffix[:])

	var processed atomic.Int64
	finished := make(chan struct{})
	srv := asynq.NewServerFromRedisClient(r.rdb, asynq.Config{
		Concurrency:       concurrency,
		Queues:            map[string]int{q: 1},
		TaskCheckInterval: BenchTaskCheckInterval,
		Logger:            newLogger(slog.Default()),
		LogLevel:          asynq.WarnLevel,
	})
	if err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		if processed.Add(1) == int64(n) {
			close(finished)
		}
		return nil
	})); err != nil {
		return 0, fmt.Errorf("queue: measure raw throughput: starting server: %w", err)
	}
	defer func() {
		srv.Shutdown()
		if cerr := removeQueue(context.WithoutCancel(ctx), r, q); cerr != nil && err == nil {
			err = cerr
		}
	}()

	c := asynq.NewClientFromRedisClient(r.rdb)
	t := asynq.NewTask("bench_noop", nil)
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := c.EnqueueContext(ctx, t, asynq.Queue(q), asynq.MaxRetry(0), asynq.Timeout(DefaultTaskTimeout)); err != nil {
			return 0, fmt.Errorf("queue: measure raw throughput: enqueueing: %w", err)
		}
	}
	select {
	case <-finished:
	case <-ctx.Done():
		return 0, fmt.Errorf("queue: measure raw throughput: %w", ctx.Err())
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// removeQueue deletes queue q, its tasks and its statistics.
func removeQueue(ctx context.Context, r *Redis, q string) error {
	insp := asynq.NewInspectorFromRedisClient(r.rdb)
	if err := insp.DeleteQueue(q, true); err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		return fmt.Errorf("queue: removing queue %s: %w", q, err)
	}
	// DeleteQueue leaves the completed set and the daily counters.
	iter := r.rdb.Scan(ctx, 0, "asynq:{"+q+"}:*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("queue: removing queue %s: %w", q, err)
	}
	if len(keys) > 0 {
		if err := r.rdb.Del(ctx, keys...).Err(); err != nil {
			return fmt.Errorf("queue: removing queue %s: %w", q, err)
		}
	}
	return nil
}
