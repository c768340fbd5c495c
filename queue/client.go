package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

// Client enqueues the pipeline's tasks. It implements publisher.Enqueuer.
// It is safe for concurrent use and has nothing to close of its own: close
// the Redis it was made from.
type Client struct {
	c   *asynq.Client
	cfg Config
}

var _ publisher.Enqueuer = (*Client)(nil)

// NewClient returns a Client on r. It returns an error if cfg is invalid.
func NewClient(r *Redis, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{c: asynq.NewClientFromRedisClient(r.rdb), cfg: cfg.withDefaults()}, nil
}

// EnqueueFanout queues the fan-out of a post revision on the critical
// queue, at at (zero or past: now), with TaskID "fanout:<post>:<revision>".
// A fan-out of the same revision that is already queued, scheduled,
// retrying or running is left as it is, and nil is returned. It returns
// EINVALID for ids that are not ids and EUNAVAILABLE if Redis fails.
func (c *Client) EnqueueFanout(ctx context.Context, postID string, revision int, at time.Time) error {
	t, err := newFanoutTask(postID, revision)
	if err != nil {
		return err
	}
	return c.enqueue(ctx, t, fanoutTaskID(postID, revision), QueueCritical, at, asynq.MaxRetry(maxRetry))
}

// EnqueueDelivery queues one delivery on its platform's queue, at at (zero
// or past: now), with the delivery id as TaskID. A task of the same
// delivery that is already queued, scheduled, retrying or running is left
// as it is, and nil is returned. It returns EINVALID for an id that is not
// an id or an unknown platform, and EUNAVAILABLE if Redis fails.
func (c *Client) EnqueueDelivery(ctx context.Context, deliveryID string, platform publisher.Platform, at time.Time) error {
	if !platform.Valid() {
		return publisher.Errorf(publisher.EINVALID, "queue: deliver task: unknown platform %q", platform)
	}
	t, err := newDeliverTask(deliveryID)
	if err != nil {
		return err
	}
	return c.enqueue(ctx, t, deliveryID, DeliverQueue(platform), at, asynq.MaxRetry(maxRetry))
}

// enqueue enqueues t with the given id on queue q at at, with the Client's
// timeout and the given options. A taken id is not an error.
func (c *Client) enqueue(ctx context.Context, t *asynq.Task, id, q string, at time.Time, opts ...asynq.Option) error {
	opts = append(opts, asynq.TaskID(id), asynq.Queue(q), asynq.Timeout(c.cfg.TaskTimeout))
	if !at.IsZero() {
		opts = append(opts, asynq.ProcessAt(at))
	}
	_, err := c.c.EnqueueContext(ctx, t, opts...)
	switch {
	case err == nil, errors.Is(err, asynq.ErrTaskIDConflict):
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("queue: enqueueing %s task %s: %w", t.Type(), id, ctx.Err())
	}
	return publisher.WrapError(publisher.EUNAVAILABLE, fmt.Errorf("queue: enqueueing %s task %s: %w", t.Type(), id, err),
		"The publishing queue cannot be reached.")
}
