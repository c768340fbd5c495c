package queue

import (
	"fmt"
	"time"

	"github.com/prasar/prasar/publisher"
)

// Defaults of Config.
const (
	DefaultConcurrency     = 10
	DefaultTaskTimeout     = 90 * time.Second
	DefaultShutdownTimeout = 8 * time.Second
	DefaultReconcileEvery  = 30 * time.Second
	// DefaultCriticalWeight and DefaultPlatformWeight are the queue
	// weights: fan-outs and reconciles are short and create the other work,
	// so they come first; every platform gets the same share.
	DefaultCriticalWeight = 6
	DefaultPlatformWeight = 1
	// DefaultTaskCheckInterval is how long an idle worker waits before
	// looking at empty queues again (asynq's default).
	DefaultTaskCheckInterval = time.Second
	// DefaultDelayedTaskCheckInterval is how often scheduled and retrying
	// tasks that are due are moved to their queue, so how late they may
	// run (asynq's default is 5 s).
	DefaultDelayedTaskCheckInterval = time.Second
)

// MaxTaskTimeout bounds Config.TaskTimeout. A deliver task must end before
// the domain's delivery lease (publisher.Config.Lease, 2 minutes by default)
// lapses, or a second worker could take the delivery over while the first
// is still calling the platform. If the lease is shortened, shorten
// TaskTimeout with it.
const MaxTaskTimeout = 2*time.Minute - time.Second

// Config configures a Client and a Server. Zero values mean "use the
// default".
type Config struct {
	// Concurrency is how many tasks of the critical queue (fan-outs,
	// reconciles, retractions) a Server runs at once, and how many
	// deliveries of each platform unless PlatformConcurrency says
	// otherwise. Default 10.
	Concurrency int
	// PlatformConcurrency bounds how many deliveries of one platform a
	// Server works on at once. Each platform's queue has a pool of workers
	// of its own, so that a slow or stalled platform holds only its own
	// workers and never starves the others. 0: Concurrency. Negative: no
	// pools; every queue shares one pool of Concurrency workers by Weights
	// (a slow platform can then take every worker).
	PlatformConcurrency int
	// PlatformLimits overrides PlatformConcurrency for single platforms
	// (with pools only).
	PlatformLimits map[publisher.Platform]int
	// TaskTimeout bounds each task's run: the handler's context is
	// cancelled when it passes, and the task is retried. Default 90 s; at
	// most MaxTaskTimeout.
	TaskTimeout time.Duration
	// ShutdownTimeout is how long Server.Shutdown lets running tasks
	// finish before cancelling them (they go back to their queue).
	// Default 8 s.
	ShutdownTimeout time.Duration
	// ReconcileEvery is how often a Server enqueues a reconcile task
	// (one per period across all servers). Default 30 s; negative disables
	// the periodic reconcile.
	ReconcileEvery time.Duration
	// CasesCheckEvery is how often a Server enqueues the rebuttal desk's
	// deadline check (one per period across all servers). Default 1 min;
	// negative disables it.
	CasesCheckEvery time.Duration
	// TokenRefreshEvery is how often a Server enqueues the token job (one
	// per period across all servers; tokens.go). Default 5 min; negative
	// disables it.
	TokenRefreshEvery time.Duration
	// MetricsEvery is how often a Server enqueues the metrics sweep (one
	// per period across all servers; metrics.go). Default 1 min; negative
	// disables it.
	MetricsEvery time.Duration
	// Weights overrides queue weights by queue name (QueueCritical,
	// DeliverQueue(p)); a queue not listed, or listed with 0, gets its
	// default: DefaultCriticalWeight or DefaultPlatformWeight. Weights are
	// relative: a non-empty queue is served in proportion to its weight.
	// They matter only for the shared pool (PlatformConcurrency < 0).
	Weights map[string]int
	// TaskCheckInterval is how long an idle worker waits before polling
	// empty queues again. Default 1 s.
	TaskCheckInterval time.Duration
	// DelayedTaskCheckInterval is how often due scheduled and retrying
	// tasks are moved to their queue. Default 1 s.
	DelayedTaskCheckInterval time.Duration
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.TaskTimeout == 0 {
		c.TaskTimeout = DefaultTaskTimeout
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.ReconcileEvery == 0 {
		c.ReconcileEvery = DefaultReconcileEvery
	}
	if c.CasesCheckEvery == 0 {
		c.CasesCheckEvery = DefaultCasesCheckEvery
	}
	if c.TokenRefreshEvery == 0 {
		c.TokenRefreshEvery = DefaultTokenRefreshEvery
	}
	if c.MetricsEvery == 0 {
		c.MetricsEvery = DefaultMetricsEvery
	}
	if c.TaskCheckInterval == 0 {
		c.TaskCheckInterval = DefaultTaskCheckInterval
	}
	if c.DelayedTaskCheckInterval == 0 {
		c.DelayedTaskCheckInterval = DefaultDelayedTaskCheckInterval
	}
	return c
}

// Validate reports the first invalid field of c (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Concurrency < 0:
		return fmt.Errorf("queue: concurrency %d is negative", c.Concurrency)
	case c.TaskTimeout < 0 || c.TaskTimeout > MaxTaskTimeout:
		return fmt.Errorf("queue: task timeout %s is not between 0 and %s (the delivery lease)", c.TaskTimeout, MaxTaskTimeout)
	case c.ShutdownTimeout < 0:
		return fmt.Errorf("queue: shutdown timeout %s is negative", c.ShutdownTimeout)
	case c.TaskCheckInterval < 0:
		return fmt.Errorf("queue: task check interval %s is negative", c.TaskCheckInterval)
	case c.DelayedTaskCheckInterval < 0:
		return fmt.Errorf("queue: delayed task check interval %s is negative", c.DelayedTaskCheckInterval)
	}
	for p, n := range c.PlatformLimits {
		if !p.Valid() {
			return fmt.Errorf("queue: concurrency for unknown platform %q", p)
		}
		if n < 1 {
			return fmt.Errorf("queue: concurrency %d of platform %s is not positive", n, p)
		}
	}
	known := c.QueueWeights()
	for q, w := range c.Weights {
		if _, ok := known[q]; !ok {
			return fmt.Errorf("queue: weight for unknown queue %q (queues: %s and %s<platform>)", q, QueueCritical, deliverQueuePrefix)
		}
		if w < 0 {
			return fmt.Errorf("queue: weight %d of queue %q is negative", w, q)
		}
	}
	return nil
}

// QueueWeights returns the weight of every queue a Server serves: the
// critical queue, one deliver queue per platform, and the metrics queue.
func (c Config) QueueWeights() map[string]int {
	ws := map[string]int{QueueCritical: DefaultCriticalWeight, QueueMetrics: DefaultMetricsWeight}
	for _, p := range publisher.Platforms {
		ws[DeliverQueue(p)] = DefaultPlatformWeight
	}
	for q, w := range c.Weights {
		if _, ok := ws[q]; ok && w > 0 {
			ws[q] = w
		}
	}
	return ws
}

// platformConcurrency returns the size of a platform's pool of workers.
func (c Config) platformConcurrency(p publisher.Platform) int {
	if n := c.PlatformLimits[p]; n > 0 {
		return n
	}
	if c.PlatformConcurrency > 0 {
		return c.PlatformConcurrency
	}
	return c.Concurrency
}

// queueOrder returns the queues a Server serves in display order: critical
// first, then the platforms in publisher.Platforms order, then metrics.
func queueOrder() []string {
	qs := []string{QueueCritical}
	for _, p := range publisher.Platforms {
		qs = append(qs, DeliverQueue(p))
	}
	return append(qs, QueueMetrics)
}
