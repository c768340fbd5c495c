package queue

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"slices"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis is a connection pool to the Redis that holds the queue. Clients,
// Servers and Stats share it; Close it after shutting them down.
type Redis struct {
	rdb *redis.Client
}

// RedisFromURL returns a pool for a redis:// or rediss:// (TLS) URL, such
// as redis://:password@host:6379/0; query parameters set pool options
// (see go-redis's ParseURL). It does not connect: call Ping to check.
func RedisFromURL(url string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		// A *url.Error quotes the whole URL, password included: keep
		// only its cause.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("queue: parsing redis url: %w", err)
	}
	// Maintenance notifications are a Redis Cloud/Enterprise feature; the
	// "auto" default costs a failing command per connection elsewhere.
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return &Redis{rdb: redis.NewClient(opt)}, nil
}

// Ping reports whether Redis answers (for /readyz).
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("queue: pinging redis: %w", err)
	}
	return nil
}

// FlushDB empties the Redis database of the pool: every queue, task and
// task id in it. For tests that share one Redis between deployments (each
// test a deployment of its own); never called by the product.
func (r *Redis) FlushDB(ctx context.Context) error {
	if err := r.rdb.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("queue: flushing redis: %w", err)
	}
	return nil
}

// Close closes the pool. Shut Servers down first.
func (r *Redis) Close() error {
	if err := r.rdb.Close(); err != nil {
		return fmt.Errorf("queue: closing redis: %w", err)
	}
	return nil
}

// QueueStats is a snapshot of one queue, for the operations page.
type QueueStats struct {
	Queue string `json:"queue"`
	// Task counts by state.
	Pending   int `json:"pending"`
	Active    int `json:"active"`
	Scheduled int `json:"scheduled"`
	Retry     int `json:"retry"`
	Archived  int `json:"archived"`
	Completed int `json:"completed"`
	// ProcessedToday and FailedToday count tasks run today (UTC),
	// successful or not, and failed (a *publisher.RetryError is not a
	// failure).
	ProcessedToday int `json:"processedToday"`
	FailedToday    int `json:"failedToday"`
	// LatencyMS is the age of the oldest pending task, in milliseconds.
	LatencyMS int64 `json:"latencyMs"`
	Paused    bool  `json:"paused"`
}

// Stats returns a snapshot of every queue the Servers serve (critical
// first, then one per platform, zero when a queue has never been used) and
// of any other queue Redis knows, by name.
func (r *Redis) Stats(ctx context.Context) ([]QueueStats, error) {
	insp := asynq.NewInspectorFromRedisClient(r.rdb)
	known, err := insp.Queues()
	if err != nil {
		return nil, fmt.Errorf("queue: listing queues: %w", err)
	}
	slices.Sort(known)
	names := queueOrder()
	for _, q := range known {
		if !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	stats := make([]QueueStats, 0, len(names))
	for _, q := range names {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("queue: reading queue stats: %w", err)
		}
		s := QueueStats{Queue: q}
		if slices.Contains(known, q) {
			info, err := insp.GetQueueInfo(q)
			if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
				return nil, fmt.Errorf("queue: reading stats of queue %s: %w", q, err)
			}
			if info != nil {
				s = QueueStats{
					Queue: q, Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled, Retry: info.Retry,
					Archived: info.Archived, Completed: info.Completed, ProcessedToday: info.Processed, FailedToday: info.Failed,
					LatencyMS: info.Latency.Milliseconds(), Paused: info.Paused,
				}
			}
		}
		stats = append(stats, s)
	}
	return stats, nil
}
