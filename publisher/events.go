package publisher

import "sync"

// Event reports that a post or delivery changed.
type Event struct {
	Kind       string `json:"kind"` // "post" or "delivery"
	PostID     string `json:"postId"`
	DeliveryID string `json:"deliveryId,omitempty"`
	OrgID      string `json:"orgId"`
	Status     string `json:"status"`
}

// Broker fans events out to subscribers in this process (live pages). A slow
// subscriber misses events rather than blocking publishers; subscribers
// re-read state from the store, so a missed event only delays an update.
type Broker struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Event
}

// NewBroker returns an empty broker.
func NewBroker() *Broker { return &Broker{subs: map[int]chan Event{}} }

// Subscribe returns a channel of events and a function that ends the
// subscription.
func (b *Broker) Subscribe() (<-chan Event, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	ch := make(chan Event, 64)
	b.subs[id] = ch
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if c, ok := b.subs[id]; ok {
			delete(b.subs, id)
			close(c)
		}
	}
}

// Publish sends e to every subscriber without blocking.
func (b *Broker) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}
