package queue

import (
	"context"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// Periodic jobs (reconcile, the case deadline check, the metrics sweep,
// the token job): every Server asks, each period, for the job of the
// current period, whose task id ("<type>:<period number>") stays taken to
// the end of the period. The Servers of a deployment (one Redis) so run one
// job per period between them, however their tickers are out of phase. A
// failed job is not retried; the next period's runs instead.

// periodicTaskID is the TaskID of the job of type typ for the period (of
// length every) that holds now.
func periodicTaskID(typ string, now time.Time, every time.Duration) string {
	return typ + ":" + strconv.FormatInt(now.UnixNano()/int64(every), 10)
}

// enqueuePeriodic queues the job of type typ for the period that holds
// now, unless it is queued, running or has run in the period.
func (c *Client) enqueuePeriodic(ctx context.Context, typ string, now time.Time, every time.Duration) error {
	// Retention is kept in whole seconds: round down and add two so that
	// the id stays taken to the end of the period.
	retention := every.Truncate(time.Second) + 2*time.Second
	return c.enqueue(ctx, asynq.NewTask(typ, nil), periodicTaskID(typ, now, every), QueueCritical, time.Time{},
		asynq.MaxRetry(0), asynq.Retention(retention))
}

// askPeriodic asks once for the current period's job of type typ; what
// names it in the log when Redis cannot be reached.
func (s *Server) askPeriodic(ctx context.Context, typ string, every time.Duration, what string) {
	ctx, cancel := context.WithTimeout(ctx, reconcileEnqueueTimeout)
	defer cancel()
	if err := s.client.enqueuePeriodic(ctx, typ, time.Now(), every); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "enqueueing the periodic "+what+" failed", "err", err)
	}
}

// startPeriodic asks for the job of type typ at once and then every period
// until ctx ends, unless every is not positive; Shutdown waits for it
// through s.loops.
func (s *Server) startPeriodic(ctx context.Context, typ string, every time.Duration, what string) {
	if every <= 0 {
		return
	}
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.askPeriodic(ctx, typ, every, what)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
