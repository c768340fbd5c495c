package queue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

// Task types.
const (
	// TypeFanout creates and enqueues the deliveries of a post revision.
	TypeFanout = "fanout"
	// TypeDeliver makes one attempt at one delivery.
	TypeDeliver = "deliver"
	// TypeReconcile re-enqueues work whose task was lost.
	TypeReconcile = "reconcile"
)

// Queue names.
const (
	// QueueCritical holds fan-out and reconcile tasks: short tasks that
	// create the other work, so they get the highest weight.
	QueueCritical = "critical"
	// deliverQueuePrefix prefixes the per-platform delivery queues.
	deliverQueuePrefix = "deliver_"
)

// maxRetry is the MaxRetry of fan-out and deliver tasks. It is high because
// the domain bounds failures itself (publisher.Config.MaxFailures) and says
// when a delivery needs no more work by returning nil; a *publisher.RetryError
// does not count against it. It only stops a task whose handler keeps
// failing for another reason (the store is down) after a very long time.
const maxRetry = 10000

// DeliverQueue returns the name of the queue that carries p's deliveries.
func DeliverQueue(p publisher.Platform) string {
	return deliverQueuePrefix + string(p)
}

// fanoutPayload is the payload of a fan-out task.
type fanoutPayload struct {
	PostID   string `json:"postId"`
	Revision int    `json:"revision"`
}

// deliverPayload is the payload of a deliver task.
type deliverPayload struct {
	DeliveryID string `json:"deliveryId"`
}

// fanoutTaskID is the TaskID of the fan-out of a post revision.
func fanoutTaskID(postID string, revision int) string {
	return "fanout:" + postID + ":" + strconv.Itoa(revision)
}

// newFanoutTask returns the fan-out task of a post revision. It returns
// EINVALID if the ids are not ids.
func newFanoutTask(postID string, revision int) (*asynq.Task, error) {
	p := fanoutPayload{PostID: postID, Revision: revision}
	if err := p.validate(); err != nil {
		return nil, publisher.Errorf(publisher.EINVALID, "queue: fan-out task: %s", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("queue: encoding fan-out payload: %w", err)
	}
	return asynq.NewTask(TypeFanout, b), nil
}

// newDeliverTask returns the deliver task of a delivery. It returns
// EINVALID if the id is not an id.
func newDeliverTask(deliveryID string) (*asynq.Task, error) {
	p := deliverPayload{DeliveryID: deliveryID}
	if err := p.validate(); err != nil {
		return nil, publisher.Errorf(publisher.EINVALID, "queue: deliver task: %s", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("queue: encoding deliver payload: %w", err)
	}
	return asynq.NewTask(TypeDeliver, b), nil
}

func (p fanoutPayload) validate() error {
	if !publisher.ValidID(p.PostID) {
		return fmt.Errorf("invalid post id %q", p.PostID)
	}
	if p.Revision < 1 {
		return fmt.Errorf("invalid revision %d", p.Revision)
	}
	return nil
}

func (p deliverPayload) validate() error {
	if !publisher.ValidID(p.DeliveryID) {
		return fmt.Errorf("invalid delivery id %q", p.DeliveryID)
	}
	return nil
}

// decodePayload reads a task payload into v strictly (no unknown fields, no
// trailing data) and validates it. Its errors wrap asynq.SkipRetry: a
// payload that cannot be read now never will be.
func decodePayload(b []byte, v interface{ validate() error }) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("queue: malformed payload: %w: %w", asynq.SkipRetry, err)
	}
	if dec.More() {
		return fmt.Errorf("queue: malformed payload: %w: trailing data", asynq.SkipRetry)
	}
	if err := v.validate(); err != nil {
		return fmt.Errorf("queue: malformed payload: %w: %w", asynq.SkipRetry, err)
	}
	return nil
}
