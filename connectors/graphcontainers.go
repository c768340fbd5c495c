package connectors

import (
	"context"
	"sync"
	"time"
)

// Instagram and Threads publish in two steps: a media container, then
// media_publish. GraphContainers remembers each delivery's container for a
// while, so that a retry after media_publish failed publishes the same
// container instead of making another; see the connectors' Publish.

// maxGraphContainers bounds a GraphContainers; the oldest entry goes first.
const maxGraphContainers = 1000

// GraphContainers remembers containers by delivery key. The zero value is
// ready to use; it is safe for concurrent use and lives in one process.
type GraphContainers struct {
	mu sync.Mutex
	m  map[string]graphContainer
}

type graphContainer struct {
	id, fingerprint string
	created         time.Time
}

// Get returns the container remembered for key, if it was made for the
// same content (fingerprint) less than ttl before now.
func (gc *GraphContainers) Get(key, fingerprint string, now time.Time, ttl time.Duration) (string, bool) {
	if key == "" || ttl <= 0 {
		return "", false
	}
	gc.mu.Lock()
	defer gc.mu.Unlock()
	e, ok := gc.m[key]
	if !ok || e.fingerprint != fingerprint || now.Sub(e.created) >= ttl {
		delete(gc.m, key)
		return "", false
	}
	return e.id, true
}

// Put remembers container id, made for fingerprint at created, for key.
func (gc *GraphContainers) Put(key, id, fingerprint string, created time.Time) {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if gc.m == nil {
		gc.m = map[string]graphContainer{}
	}
	if len(gc.m) >= maxGraphContainers {
		oldest := ""
		for k, v := range gc.m {
			if oldest == "" || v.created.Before(gc.m[oldest].created) {
				oldest = k
			}
		}
		delete(gc.m, oldest)
	}
	gc.m[key] = graphContainer{id: id, fingerprint: fingerprint, created: created}
}

// Forget drops what is remembered for key.
func (gc *GraphContainers) Forget(key string) {
	if key == "" {
		return
	}
	gc.mu.Lock()
	defer gc.mu.Unlock()
	delete(gc.m, key)
}

// SleepContext waits for d or until ctx is done (a connector's default
// Config.Sleep between status polls).
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
