package queue

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

func TestClientEnqueueDedupe(t *testing.T) {
	ctx := context.Background()
	later := time.Now().Add(time.Hour)
	type want struct {
		queue, id string
		state     asynq.TaskState
	}
	tests := []struct {
		name    string
		enqueue func(c *Client) []error
		want    []want // every task in every queue
	}{
		{
			name: "fanout twice",
			enqueue: func(c *Client) []error {
				return []error{c.EnqueueFanout(ctx, "p1", 2, time.Time{}), c.EnqueueFanout(ctx, "p1", 2, time.Time{})}
			},
			want: []want{{QueueCritical, "fanout:p1:2", asynq.TaskStatePending}},
		},
		{
			name: "fanout of two revisions",
			enqueue: func(c *Client) []error {
				return []error{c.EnqueueFanout(ctx, "p1", 2, time.Time{}), c.EnqueueFanout(ctx, "p1", 3, time.Time{})}
			},
			want: []want{{QueueCritical, "fanout:p1:2", asynq.TaskStatePending}, {QueueCritical, "fanout:p1:3", asynq.TaskStatePending}},
		},
		{
			name: "scheduled fanout then now",
			enqueue: func(c *Client) []error {
				return []error{c.EnqueueFanout(ctx, "p1", 1, later), c.EnqueueFanout(ctx, "p1", 1, time.Time{})}
			},
			want: []want{{QueueCritical, "fanout:p1:1", asynq.TaskStateScheduled}},
		},
		{
			name: "deliver twice",
			enqueue: func(c *Client) []error {
				return []error{c.EnqueueDelivery(ctx, "d1", publisher.Facebook, time.Time{}), c.EnqueueDelivery(ctx, "d1", publisher.Facebook, time.Time{})}
			},
			want: []want{{DeliverQueue(publisher.Facebook), "d1", asynq.TaskStatePending}},
		},
		{
			name: "deliver now then scheduled",
			enqueue: func(c *Client) []error {
				return []error{c.EnqueueDelivery(ctx, "d1", publisher.X, time.Time{}), c.EnqueueDelivery(ctx, "d1", publisher.X, later)}
			},
			want: []want{{DeliverQueue(publisher.X), "d1", asynq.TaskStatePending}},
		},
		{
			name: "two deliveries",
			enqueue: func(c *Client) []error {
				return []error{c.EnqueueDelivery(ctx, "d1", publisher.X, time.Time{}), c.EnqueueDelivery(ctx, "d2", publisher.X, time.Time{})}
			},
			want: []want{{DeliverQueue(publisher.X), "d1", asynq.TaskStatePending}, {DeliverQueue(publisher.X), "d2", asynq.TaskStatePending}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRedis(t)
			c := newTestClient(t, r)
			for i, err := range tt.enqueue(c) {
				if err != nil {
					t.Fatalf("enqueue %d: %v", i+1, err)
				}
			}
			stats, err := r.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, s := range stats {
				total += s.Pending + s.Scheduled + s.Active + s.Retry + s.Archived
			}
			if total != len(tt.want) {
				t.Errorf("%d tasks in all queues, want %d: %+v", total, len(tt.want), stats)
			}
			for _, w := range tt.want {
				info := taskInfo(t, r, w.queue, w.id)
				if info == nil {
					t.Errorf("no task %s in queue %s", w.id, w.queue)
					continue
				}
				if info.State != w.state {
					t.Errorf("task %s is %s, want %s", w.id, info.State, w.state)
				}
			}
		})
	}
}

func TestClientRouting(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	c := newTestClient(t, r)
	at := time.Now().Add(time.Hour)
	tests := []struct {
		name        string
		enqueue     func() error
		queue, id   string
		typ         string
		payload     string
		scheduledAt time.Time
	}{
		{"facebook", func() error { return c.EnqueueDelivery(ctx, "dfb", publisher.Facebook, time.Time{}) }, "deliver_facebook", "dfb", TypeDeliver, `{"deliveryId":"dfb"}`, time.Time{}},
		{"x", func() error { return c.EnqueueDelivery(ctx, "dx", publisher.X, time.Time{}) }, "deliver_x", "dx", TypeDeliver, `{"deliveryId":"dx"}`, time.Time{}},
		{"mastodon scheduled", func() error { return c.EnqueueDelivery(ctx, "dm", publisher.Mastodon, at) }, "deliver_mastodon", "dm", TypeDeliver, `{"deliveryId":"dm"}`, at},
		{"telegram past time means now", func() error { return c.EnqueueDelivery(ctx, "dt", publisher.Telegram, time.Now().Add(-time.Hour)) }, "deliver_telegram", "dt", TypeDeliver, `{"deliveryId":"dt"}`, time.Time{}},
		{"fanout", func() error { return c.EnqueueFanout(ctx, "p9", 4, time.Time{}) }, QueueCritical, "fanout:p9:4", TypeFanout, `{"postId":"p9","revision":4}`, time.Time{}},
		{"fanout scheduled", func() error { return c.EnqueueFanout(ctx, "p8", 1, at) }, QueueCritical, "fanout:p8:1", TypeFanout, `{"postId":"p8","revision":1}`, at},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.enqueue(); err != nil {
				t.Fatal(err)
			}
			info := taskInfo(t, r, tt.queue, tt.id)
			if info == nil {
				t.Fatalf("no task %s in queue %s", tt.id, tt.queue)
			}
			if info.Type != tt.typ || string(info.Payload) != tt.payload {
				t.Errorf("task %s %s, want %s %s", info.Type, info.Payload, tt.typ, tt.payload)
			}
			if info.MaxRetry != maxRetry || info.Timeout != DefaultTaskTimeout || info.Retention != 0 {
				t.Errorf("max retry %d, timeout %s, retention %s; want %d, %s, none", info.MaxRetry, info.Timeout, info.Retention, maxRetry, DefaultTaskTimeout)
			}
			wantState := asynq.TaskStatePending
			if !tt.scheduledAt.IsZero() {
				wantState = asynq.TaskStateScheduled
				if info.NextProcessAt.Unix() != tt.scheduledAt.Unix() {
					t.Errorf("runs at %s, want %s", info.NextProcessAt, tt.scheduledAt)
				}
			}
			if info.State != wantState {
				t.Errorf("state %s, want %s", info.State, wantState)
			}
			// In no other queue.
			for _, q := range queueOrder() {
				if q != tt.queue && taskInfo(t, r, q, tt.id) != nil {
					t.Errorf("task %s also in queue %s", tt.id, q)
				}
			}
		})
	}
}

func TestClientInvalid(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	c := newTestClient(t, r)
	tests := []struct {
		name string
		err  error
	}{
		{"unknown platform", c.EnqueueDelivery(ctx, "d1", publisher.Platform("myspace"), time.Time{})},
		{"empty platform", c.EnqueueDelivery(ctx, "d1", "", time.Time{})},
		{"empty delivery id", c.EnqueueDelivery(ctx, "", publisher.X, time.Time{})},
		{"delivery id with a colon", c.EnqueueDelivery(ctx, "a:b", publisher.X, time.Time{})},
		{"empty post id", c.EnqueueFanout(ctx, "", 1, time.Time{})},
		{"revision 0", c.EnqueueFanout(ctx, "p1", 0, time.Time{})},
	}
	for _, tt := range tests {
		if publisher.ErrorCode(tt.err) != publisher.EINVALID {
			t.Errorf("%s: error %v, want EINVALID", tt.name, tt.err)
		}
	}
	stats, err := r.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		if s.Pending+s.Scheduled != 0 {
			t.Errorf("queue %s has tasks: %+v", s.Queue, s)
		}
	}
}

func TestClientRedisDown(t *testing.T) {
	r, closeRedis := openTestRedis(t)
	c := newTestClient(t, r)
	closeRedis()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.EnqueueDelivery(ctx, "d1", publisher.X, time.Time{})
	if publisher.ErrorCode(err) != publisher.EUNAVAILABLE {
		t.Errorf("enqueue with Redis closed: %v, want EUNAVAILABLE", err)
	}
	if err := r.Ping(ctx); err == nil {
		t.Error("Ping with Redis closed: nil error")
	}
}

func TestStats(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, r)
	later := time.Now().Add(time.Hour)
	for _, err := range []error{
		c.EnqueueFanout(ctx, "p1", 1, time.Time{}),
		c.EnqueueDelivery(ctx, "d1", publisher.Facebook, time.Time{}),
		c.EnqueueDelivery(ctx, "d2", publisher.Facebook, time.Time{}),
		c.EnqueueDelivery(ctx, "d3", publisher.X, later),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	stats, err := r.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	order := queueOrder()
	if len(stats) != len(order) {
		t.Fatalf("%d queues, want %d", len(stats), len(order))
	}
	want := map[string][2]int{ // pending, scheduled
		QueueCritical:                     {1, 0},
		DeliverQueue(publisher.Facebook):  {2, 0},
		DeliverQueue(publisher.X):         {0, 1},
		DeliverQueue(publisher.Instagram): {0, 0},
		DeliverQueue(publisher.Koo):       {0, 0},
	}
	for i, s := range stats {
		if s.Queue != order[i] {
			t.Errorf("queue %d is %s, want %s", i, s.Queue, order[i])
		}
		if w, ok := want[s.Queue]; ok && (s.Pending != w[0] || s.Scheduled != w[1]) {
			t.Errorf("%s: pending %d scheduled %d, want %d %d", s.Queue, s.Pending, s.Scheduled, w[0], w[1])
		}
	}
	if _, err := json.Marshal(stats); err != nil {
		t.Error(err)
	}
}
