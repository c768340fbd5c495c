package queue

import (
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// embeddedTick is how often the embedded Redis's clock is advanced.
const embeddedTick = time.Second

// Embedded is an in-process Redis (miniredis) for single-machine mode. It
// keeps everything in memory: a restart loses the queue, which the
// reconciler makes good from the store. It suits one office's load, not a
// state's (miniredis slows down as lists grow).
//
// miniredis does not expire keys by itself; Embedded advances its clock
// every second by the time that passed, so that keys with a TTL (asynq's
// locks and statistics) expire as on a real Redis.
type Embedded struct {
	m    *miniredis.Miniredis
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// StartEmbedded starts an embedded Redis on a free port of 127.0.0.1.
func StartEmbedded() (*Embedded, error) {
	return startEmbedded(embeddedTick)
}

// startEmbedded starts an embedded Redis whose clock advances every tick.
func startEmbedded(tick time.Duration) (*Embedded, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("queue: starting embedded redis: %w", err)
	}
	e := &Embedded{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	go e.advance(tick)
	return e, nil
}

// advance moves miniredis's clock forward by the elapsed time every tick,
// until Close.
func (e *Embedded) advance(tick time.Duration) {
	defer close(e.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			now := time.Now()
			e.m.FastForward(now.Sub(last))
			last = now
		}
	}
}

// Addr returns the host:port the embedded Redis listens on.
func (e *Embedded) Addr() string { return e.m.Addr() }

// URL returns a redis:// URL of the embedded Redis, for RedisFromURL.
func (e *Embedded) URL() string { return "redis://" + e.m.Addr() }

// Close stops the embedded Redis; its data is lost. Shut down Servers and
// close Redis pools on it first. It is safe to call more than once.
func (e *Embedded) Close() {
	e.once.Do(func() {
		close(e.stop)
		<-e.done
		e.m.Close()
	})
}
