package queue

import (
	"context"
	"fmt"
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
