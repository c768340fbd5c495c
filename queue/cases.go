package queue

import (
	"context"
	"fmt"
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
