package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// The periodic token job: every Config.TokenRefreshEvery each Server asks
// for the job of the current period, and the task id
// ("token_refresh:<bucket>") makes the servers of a deployment run one job
// per period between them, as with reconcile. The job itself
// (publisher.Service.RefreshTokens) refreshes each account under a lease
// in the store, so two jobs that overlap (a slow one, or one per process
// after a Redis flush) never refresh one account at once.

// TypeTokenRefresh runs publisher.Service.RefreshTokens.
const TypeTokenRefresh = "token_refresh"

// DefaultTokenRefreshEvery is how often the token job runs by default: well
// inside the shortest refresh margin (X refreshes 10 minutes before its
// two-hour tokens expire).
const DefaultTokenRefreshEvery = 5 * time.Minute

// tokenRefreshTaskID is the TaskID of the job of the period (of length
// every) that holds now.
func tokenRefreshTaskID(now time.Time, every time.Duration) string {
	return TypeTokenRefresh + ":" + strconv.FormatInt(now.UnixNano()/int64(every), 10)
}

// enqueueTokenRefresh queues the token job of the period that holds now,
// unless it is queued, running or has run: its id stays taken to the end
// of the period. A failed job is not retried; the next period's runs.
func (c *Client) enqueueTokenRefresh(ctx context.Context, now time.Time, every time.Duration) error {
	retention := every.Truncate(time.Second) + 2*time.Second
	return c.enqueue(ctx, asynq.NewTask(TypeTokenRefresh, nil), tokenRefreshTaskID(now, every), QueueCritical, time.Time{},
		asynq.MaxRetry(0), asynq.Retention(retention))
}

// startTokenLoop starts the periodic token job unless it is disabled;
// Shutdown waits for it through s.loops.
func (s *Server) startTokenLoop(ctx context.Context) {
	if s.cfg.TokenRefreshEvery <= 0 {
		return
	}
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		t := time.NewTicker(s.cfg.TokenRefreshEvery)
		defer t.Stop()
		for {
			ectx, cancel := context.WithTimeout(ctx, reconcileEnqueueTimeout)
			if err := s.client.enqueueTokenRefresh(ectx, time.Now(), s.cfg.TokenRefreshEvery); err != nil && ectx.Err() == nil {
				s.log.WarnContext(ectx, "enqueueing the periodic token job failed", "err", err)
			}
			cancel()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// handleTokenRefresh runs a token job. It is enqueued with MaxRetry 0: an
// error archives it and the next period's job runs instead.
func (s *Server) handleTokenRefresh(ctx context.Context, _ *asynq.Task) error {
	rep, err := s.h.RefreshTokens(ctx)
	if err != nil {
		return fmt.Errorf("queue: token job: %w", err)
	}
	s.log.DebugContext(ctx, "token job done", "accounts", rep.Accounts, "refreshed", rep.Refreshed, "failed", rep.Failed,
		"broken", rep.Broken, "alerts", rep.Alerts)
	return nil
}
