package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

// Metrics collection (publisher/reachcollect.go). Every
// Config.MetricsEvery each Server asks for the sweep of the current period
// ("metrics_sweep:<bucket>", one per period across the servers, as with
// reconcile); the sweep queues one "metrics" task per reading that is due,
// with TaskID "metrics:<delivery>:<key>" (the key is the reading's due
// time, or "manual-<time>" for "collect now"), on the low-weight "metrics"
// queue, so that readings never hold up publishing. A reading that a
// platform rate-limits comes back as a *publisher.RetryError at the
// platform's reset time, and runs again then.

// Metrics task types and queue.
const (
	// TypeMetrics reads one delivery's metrics.
	TypeMetrics = "metrics"
	// TypeMetricsSweep starts tracks and queues the readings that are due.
	TypeMetricsSweep = "metrics_sweep"
	// QueueMetrics carries metrics readings.
	QueueMetrics = "metrics"
	// DefaultMetricsWeight is the metrics queue's weight: a platform's
	// deliveries and the metrics readings get the same share.
	DefaultMetricsWeight = 1
	// DefaultMetricsEvery is how often the metrics sweep runs.
	DefaultMetricsEvery = time.Minute
)

// metricsPayload is the payload of a metrics task.
type metricsPayload struct {
	DeliveryID string `json:"deliveryId"`
	Manual     bool   `json:"manual,omitempty"`
}

func (p metricsPayload) validate() error {
	if !publisher.ValidID(p.DeliveryID) {
		return fmt.Errorf("invalid delivery id %q", p.DeliveryID)
	}
	return nil
}

var _ publisher.MetricsEnqueuer = (*Client)(nil)

// EnqueueMetrics queues one reading of a delivery's metrics on the metrics
// queue at at (zero or past: now), with TaskID
// "metrics:<delivery>:<key>"; a reading of the same delivery and key that
// is already queued, scheduled, retrying or running is left as it is. It
// returns EINVALID for an id that is not an id or a key with a colon, and
// EUNAVAILABLE if Redis fails.
func (c *Client) EnqueueMetrics(ctx context.Context, deliveryID string, _ publisher.Platform, key string, manual bool, at time.Time) error {
	p := metricsPayload{DeliveryID: deliveryID, Manual: manual}
	if err := p.validate(); err != nil {
		return publisher.Errorf(publisher.EINVALID, "queue: metrics task: %s", err)
	}
	if !publisher.ValidID(key) {
		return publisher.Errorf(publisher.EINVALID, "queue: metrics task: invalid key %q", key)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("queue: encoding metrics payload: %w", err)
	}
	return c.enqueue(ctx, asynq.NewTask(TypeMetrics, b), "metrics:"+deliveryID+":"+key, QueueMetrics, at, asynq.MaxRetry(maxRetry))
}

// handleMetrics runs one metrics reading.
func (s *Server) handleMetrics(ctx context.Context, t *asynq.Task) error {
	var p metricsPayload
	if err := decodePayload(t.Payload(), &p); err != nil {
		return err
	}
	if err := s.h.CollectMetrics(ctx, p.DeliveryID, p.Manual); err != nil {
		return fmt.Errorf("queue: metrics of delivery %s: %w", p.DeliveryID, err)
	}
	return nil
}

// handleMetricsSweep runs a sweep. It is enqueued with MaxRetry 0: an error
// archives it and the next period's sweep runs instead.
func (s *Server) handleMetricsSweep(ctx context.Context, _ *asynq.Task) error {
	rep, err := s.h.SweepMetrics(ctx)
	if err != nil {
		return fmt.Errorf("queue: metrics sweep: %w", err)
	}
	s.log.DebugContext(ctx, "metrics sweep done", "tracked", rep.Tracked, "queued", rep.Queued, "read", rep.Read, "digest_sent", rep.DigestSent)
	return nil
}
