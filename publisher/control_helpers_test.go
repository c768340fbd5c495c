package publisher_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prasar/prasar/publisher"
)

// This file extends the shared test helpers (helpers_test.go) for the
// publishing-control tests: the fake enqueuer learns re-queues and
// retraction tasks, and an env can be rebuilt with another configuration,
// store or connectors.

// RequeueDelivery records a re-queue like an ordinary enqueue.
func (e *enqueued) RequeueDelivery(ctx context.Context, id string, p publisher.Platform, key string, at time.Time) error {
	return e.EnqueueDelivery(ctx, id, p, at)
}

// RequeueFanout records a re-queue like an ordinary enqueue.
func (e *enqueued) RequeueFanout(ctx context.Context, postID string, rev int, key string, at time.Time) error {
	return e.EnqueueFanout(ctx, postID, rev, at)
}

// EnqueueRetract records a retraction task (in retractsByQueue).
func (e *enqueued) EnqueueRetract(_ context.Context, postID string, _ time.Time) error {
	e.mu.Lock()
	fail := e.fail
	e.mu.Unlock()
	if fail != nil {
		return fail
	}
	v, _ := retractsByQueue.LoadOrStore(e, &retractLog{})
	l := v.(*retractLog)
	l.mu.Lock()
	l.posts = append(l.posts, postID)
	l.mu.Unlock()
	return nil
}

type retractLog struct {
	mu    sync.Mutex
	posts []string
}

var retractsByQueue sync.Map

// retracts returns the retraction tasks queued.
func (e *enqueued) retracts() []string {
	v, ok := retractsByQueue.Load(e)
	if !ok {
		return nil
	}
	l := v.(*retractLog)
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.posts...)
}

// rebuild replaces e.svc with a service on the same store, clock, queue and
// keyring, with cfg changed by change, and with the store and connectors
// given (nil: e's).
func (e *env) rebuild(change func(*publisher.Config), store publisher.Store, conns ...publisher.Connector) {
	e.t.Helper()
	cfg := publisher.Config{RetryBase: time.Second, RetryMax: time.Minute, MaxFailures: 3}
	if change != nil {
		change(&cfg)
	}
	if store == nil {
		store = e.store
	}
	if len(conns) == 0 {
		conns = []publisher.Connector{e.fb, e.x, e.ig, e.koo}
	}
	svc, err := publisher.New(cfg, publisher.Deps{Store: store, Enqueuer: e.queue, Keyring: e.keyring, Hasher: passhashCheap(), Connectors: conns, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
}

// deletingConnector is a fake platform that also deletes posts.
type deletingConnector struct {
	*fakeConnector
	dmu     sync.Mutex
	deleted map[string]int // external id → deletions asked
	delErrs []error        // next errors of Delete, in order
}

func newDeleting(f *fakeConnector) *deletingConnector {
	return &deletingConnector{fakeConnector: f, deleted: map[string]int{}}
}

func (d *deletingConnector) Delete(_ context.Context, _ *publisher.Account, _ publisher.Credentials, externalID string) error {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	if len(d.delErrs) > 0 {
		err := d.delErrs[0]
		d.delErrs = d.delErrs[1:]
		if err != nil {
			return err
		}
	}
	d.deleted[externalID]++
	return nil
}

func (d *deletingConnector) deletions() map[string]int {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	out := map[string]int{}
	for k, v := range d.deleted {
		out[k] = v
	}
	return out
}

// hookStore is a store whose chosen methods can fail or run a hook first.
type hookStore struct {
	publisher.Store
	mu           sync.Mutex
	finishFails  int    // FinishDelivery fails this many times (without writing)
	retractFails int    // UpdateRetraction fails this many times (without writing)
	afterCreate  func() // runs after CreateDeliveries
}

func (h *hookStore) FinishDelivery(ctx context.Context, id, token string, r publisher.DeliveryResult) (*publisher.Delivery, error) {
	h.mu.Lock()
	fail := h.finishFails > 0
	if fail {
		h.finishFails--
	}
	h.mu.Unlock()
	if fail {
		return nil, publisher.Errorf(publisher.EINTERNAL, "database is locked")
	}
	return h.Store.FinishDelivery(ctx, id, token, r)
}

func (h *hookStore) UpdateRetraction(ctx context.Context, r *publisher.Retraction) error {
	h.mu.Lock()
	fail := h.retractFails > 0
	if fail {
		h.retractFails--
	}
	h.mu.Unlock()
	if fail {
		return publisher.Errorf(publisher.EINTERNAL, "the worker died before the retraction was saved")
	}
	return h.Store.UpdateRetraction(ctx, r)
}

func (h *hookStore) CreateDeliveries(ctx context.Context, ds []*publisher.Delivery) (int, error) {
	n, err := h.Store.CreateDeliveries(ctx, ds)
	h.mu.Lock()
	f := h.afterCreate
	h.afterCreate = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return n, err
}

// claimAsDeadWorker claims a delivery for a worker that then dies.
func (e *env) claimAsDeadWorker(id string) *publisher.Delivery {
	e.t.Helper()
	now := e.clock.Now()
	d, err := e.store.ClaimDelivery(context.Background(), id, publisher.Claim{Token: "dead-worker-" + publisher.NewToken(4), Now: now, LeaseUntil: now.Add(2 * time.Minute)})
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// published counts the fake platform's posts with the text.
func (f *fakeConnector) postsWith(text string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.published {
		if m.Text == text {
			n++
		}
	}
	return n
}

// audited reports whether the audit log has an event with the action for
// the object.
func (e *env) audited(action, objectID string) bool {
	e.t.Helper()
	evs, err := e.store.ListAudit(context.Background(), publisher.AuditFilter{ObjectID: objectID, Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Action == action {
			return true
		}
	}
	return false
}

// notified returns the kinds of the user's notifications.
func (e *env) notified(u *publisher.User) []string {
	e.t.Helper()
	ns, _, err := e.store.ListNotifications(context.Background(), publisher.NotificationFilter{UserID: u.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	var kinds []string
	for _, n := range ns {
		kinds = append(kinds, n.Kind)
	}
	return kinds
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

var _ = fmt.Sprint
