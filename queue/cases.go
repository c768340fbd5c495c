package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// The rebuttal desk's periodic deadline check: every Config.CasesCheckEvery
// each Server asks for the check of the current period, and the task id
// ("cases_check:<bucket>") makes the servers of a deployment run one check
// per period between them, as with reconcile. The check itself
// (publisher.Service.CheckCases) escalates each case once per level even if
// two checks overlap.

// TypeCasesCheck runs publisher.Service.CheckCases.
const TypeCasesCheck = "cases_check"

// DefaultCasesCheckEvery is how often the deadline check runs by default.
const DefaultCasesCheckEvery = time.Minute

// casesCheckTaskID is the TaskID of the check of the period (of length
// every) that holds now.
func casesCheckTaskID(now time.Time, every time.Duration) string {
	return TypeCasesCheck + ":" + strconv.FormatInt(now.UnixNano()/int64(every), 10)
}

// enqueueCasesCheck queues the deadline check of the period that holds now,
// unless it is queued, running or has run: its id stays taken to the end
// of the period. A failed check is not retried; the next period's runs.
func (c *Client) enqueueCasesCheck(ctx context.Context, now time.Time, every time.Duration) error {
	retention := every.Truncate(time.Second) + 2*time.Second
	return c.enqueue(ctx, asynq.NewTask(TypeCasesCheck, nil), casesCheckTaskID(now, every), QueueCritical, time.Time{},
		asynq.MaxRetry(0), asynq.Retention(retention))
}

// startCasesLoop starts the periodic deadline check unless it is disabled;
// Shutdown waits for it through s.loops.
func (s *Server) startCasesLoop(ctx context.Context) {
	if s.cfg.CasesCheckEvery <= 0 {
		return
	}
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		t := time.NewTicker(s.cfg.CasesCheckEvery)
		defer t.Stop()
		for {
			ectx, cancel := context.WithTimeout(ctx, reconcileEnqueueTimeout)
			if err := s.client.enqueueCasesCheck(ectx, time.Now(), s.cfg.CasesCheckEvery); err != nil && ectx.Err() == nil {
				s.log.WarnContext(ectx, "enqueueing the periodic case deadline check failed", "err", err)
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

// handleCasesCheck runs a deadline check. It is enqueued with MaxRetry 0:
// an error archives it and the next period's check runs instead.
func (s *Server) handleCasesCheck(ctx context.Context, _ *asynq.Task) error {
	rep, err := s.h.CheckCases(ctx)
	if err != nil {
		return fmt.Errorf("queue: case deadline check: %w", err)
	}
	s.log.DebugContext(ctx, "case deadline check done", "synced", rep.Synced, "escalated_hod", rep.EscalatedHoD, "escalated_dms", rep.EscalatedDMS)
	return nil
}
