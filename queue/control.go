package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

// The publishing-control tasks (publisher/control.go, retract.go): a
// retraction task per post, and re-queues of deliveries and fan-outs under
// task ids of their own.

// TypeRetract carries a post's retraction forward (delete its posts where
// the platforms allow it, record what could not be deleted).
const TypeRetract = "retract"

var (
	_ publisher.RetractEnqueuer  = (*Client)(nil)
	_ publisher.DeliveryRequeuer = (*Client)(nil)
	_ publisher.FanoutRequeuer   = (*Client)(nil)
)

// retractPayload is the payload of a retraction task.
type retractPayload struct {
	PostID string `json:"postId"`
}

func (p retractPayload) validate() error {
	if !publisher.ValidID(p.PostID) {
		return fmt.Errorf("invalid post id %q", p.PostID)
	}
	return nil
}

// retractTaskID is the TaskID of a post's retraction.
func retractTaskID(postID string) string { return "retract:" + postID }

// requeueTaskID is the TaskID of a re-queue of the task with id under key.
func requeueTaskID(id, key string) string { return id + "~" + key }

// validKey reports whether key can be part of a task id: 1–40 letters,
// digits, '.', '-' or '_'.
func validKey(key string) bool {
	if key == "" || len(key) > 40 {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// EnqueueRetract queues a post's retraction on the critical queue at at
// (zero or past: now), with TaskID "retract:<post>": a retraction that is
// queued, waiting or running already is left as it is. It returns EINVALID
// for an id that is not an id and EUNAVAILABLE if Redis fails.
func (c *Client) EnqueueRetract(ctx context.Context, postID string, at time.Time) error {
	p := retractPayload{PostID: postID}
	if err := p.validate(); err != nil {
		return publisher.Errorf(publisher.EINVALID, "queue: retract task: %s", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("queue: encoding retract payload: %w", err)
	}
	return c.enqueue(ctx, asynq.NewTask(TypeRetract, b), retractTaskID(postID), QueueCritical, at, asynq.MaxRetry(maxRetry))
}

// RequeueDelivery queues one delivery on its platform's queue, at at (zero
// or past: now), under TaskID "<delivery id>~<key>": beside a task of the
// delivery that may still be held by a worker that died (asynq gives such
// a task back only after its lease and a recovery pass, one to two
// minutes). The same key twice is one task. Duplicate tasks are harmless:
// only one claim of a delivery succeeds.
func (c *Client) RequeueDelivery(ctx context.Context, deliveryID string, platform publisher.Platform, key string, at time.Time) error {
	if !platform.Valid() {
		return publisher.Errorf(publisher.EINVALID, "queue: deliver task: unknown platform %q", platform)
	}
	if !validKey(key) {
		return publisher.Errorf(publisher.EINVALID, "queue: deliver task: invalid re-queue key %q", key)
	}
	t, err := newDeliverTask(deliveryID)
	if err != nil {
		return err
	}
	return c.enqueue(ctx, t, requeueTaskID(deliveryID, key), DeliverQueue(platform), at, asynq.MaxRetry(maxRetry))
}

// RequeueFanout queues a post revision's fan-out under TaskID
// "fanout:<post>:<revision>~<key>" (see RequeueDelivery).
func (c *Client) RequeueFanout(ctx context.Context, postID string, revision int, key string, at time.Time) error {
	if !validKey(key) {
		return publisher.Errorf(publisher.EINVALID, "queue: fan-out task: invalid re-queue key %q", key)
	}
	t, err := newFanoutTask(postID, revision)
	if err != nil {
		return err
	}
	return c.enqueue(ctx, t, requeueTaskID(fanoutTaskID(postID, revision), key), QueueCritical, at, asynq.MaxRetry(maxRetry))
}

// handleRetract runs a retraction task.
func (s *Server) handleRetract(ctx context.Context, t *asynq.Task) error {
	var p retractPayload
	if err := decodePayload(t.Payload(), &p); err != nil {
		return err
	}
	if err := s.h.Retract(ctx, p.PostID); err != nil {
		return fmt.Errorf("queue: retraction of post %s: %w", p.PostID, err)
	}
	return nil
}

// ParsePlatformConcurrency reads PRASAR_PLATFORM_CONCURRENCY: a number for
// every platform, per-platform numbers ("x=2,instagram=3"), or both
// ("4,x=2"); "" or "0" is Concurrency for every platform, and "shared"
// turns the pools off (PlatformConcurrency -1).
func ParsePlatformConcurrency(s string) (int, map[publisher.Platform]int, error) {
	if strings.TrimSpace(s) == "shared" {
		return -1, nil, nil
	}
	all := 0
	var limits map[publisher.Platform]int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, named := strings.Cut(part, "=")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if !named {
			val = name
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 || (named && n < 1) {
			return 0, nil, fmt.Errorf("%q: want a whole number of workers (at least 1 for a platform)", part)
		}
		if !named {
			all = n
			continue
		}
		p := publisher.Platform(name)
		if !p.Valid() {
			return 0, nil, fmt.Errorf("%q: there is no platform %q", part, name)
		}
		if limits == nil {
			limits = map[publisher.Platform]int{}
		}
		limits[p] = n
	}
	return all, limits, nil
}
