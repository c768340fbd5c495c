package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/prasar/prasar/publisher"
)

// Handlers does the work of the tasks; *publisher.Service implements it.
// Fanout and Deliver return nil when the task needs no more work, a
// *publisher.RetryError when it should run again at the error's At (not
// counted as a failure), and any other error when it failed and should be
// retried with back-off. Reconcile's errors are logged and not retried: the
// next period's reconcile runs instead.
type Handlers interface {
	Fanout(ctx context.Context, postID string, revision int) error
	Deliver(ctx context.Context, deliveryID string) error
	Reconcile(ctx context.Context) (publisher.ReconcileReport, error)
	// CheckCases is the rebuttal desk's periodic deadline check (cases.go);
	// like Reconcile its errors are logged and not retried.
	CheckCases(ctx context.Context) (publisher.CaseCheckReport, error)
	// SweepMetrics and CollectMetrics collect published posts' metrics
	// (metrics.go): the periodic sweep, like Reconcile, is not retried; a
	// reading returns nil, a *publisher.RetryError, or a store failure.
	SweepMetrics(ctx context.Context) (publisher.MetricsSweepReport, error)
	CollectMetrics(ctx context.Context, deliveryID string, manual bool) error
	// RefreshTokens is the periodic token job (tokens.go); like Reconcile
	// its errors are logged and not retried.
	RefreshTokens(ctx context.Context) (publisher.RefreshReport, error)
	// Retract carries a post's retraction forward (control.go); like
	// Deliver, it returns a *publisher.RetryError while work remains.
	Retract(ctx context.Context, postID string) error
}

var _ Handlers = (*publisher.Service)(nil)

// Retry back-off for failures other than a *publisher.RetryError:
// retryBase·2^n capped at retryMax, half fixed and half random.
const (
	retryBase = 5 * time.Second
	retryMax  = 10 * time.Minute
)

// reconcileEnqueueTimeout bounds one periodic enqueue of a reconcile task.
const reconcileEnqueueTimeout = 10 * time.Second

// Server runs the queue's workers: it takes tasks from the critical queue
// and the per-platform deliver queues and hands them to Handlers, and it
// enqueues a reconcile task every Config.ReconcileEvery. Each platform's
// queue has a pool of workers of its own (Config.PlatformConcurrency): one
// asynq server per pool, all on the one Redis pool.
type Server struct {
	srvs   []*asynq.Server
	client *Client
	h      Handlers
	log    *slog.Logger
	cfg    Config

	mu      sync.Mutex
	started bool
	closed  bool
	stop    context.CancelFunc // stops the reconcile ticker
	done    chan struct{}      // closed when the reconcile ticker has stopped
	loops   sync.WaitGroup     // the other periodic loops (cases.go)
}

// NewServer returns a Server on r that runs h's methods; it does not start
// it. A nil logger discards the logs. It returns an error if cfg is invalid.
func NewServer(r *Redis, cfg Config, h Handlers, logger *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("queue: new server: nil handlers")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	client, err := NewClient(r, cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{client: client, h: h, log: logger, cfg: cfg, done: make(chan struct{})}
	pool := func(concurrency int, queues map[string]int) *asynq.Server {
		return asynq.NewServerFromRedisClient(r.rdb, asynq.Config{
			Concurrency:              concurrency,
			Queues:                   queues,
			RetryDelayFunc:           retryDelayFunc,
			IsFailure:                isFailure,
			ErrorHandler:             asynq.ErrorHandlerFunc(s.handleError),
			Logger:                   newLogger(logger),
			LogLevel:                 asynq.DebugLevel, // the slog handler filters
			ShutdownTimeout:          cfg.ShutdownTimeout,
			TaskCheckInterval:        cfg.TaskCheckInterval,
			DelayedTaskCheckInterval: cfg.DelayedTaskCheckInterval,
		})
	}
	if cfg.PlatformConcurrency < 0 {
		s.srvs = []*asynq.Server{pool(cfg.Concurrency, cfg.QueueWeights())}
		return s, nil
	}
	// One pool for every queue but the deliver queues (fan-outs, reconciles,
	// retractions, and whatever other jobs the Server carries), by weight.
	general := cfg.QueueWeights()
	for _, p := range publisher.Platforms {
		delete(general, DeliverQueue(p))
	}
	s.srvs = append(s.srvs, pool(cfg.Concurrency, general))
	for _, p := range publisher.Platforms {
		s.srvs = append(s.srvs, pool(cfg.platformConcurrency(p), map[string]int{DeliverQueue(p): 1}))
	}
	return s, nil
}

// Start starts the workers and the periodic reconcile, and returns. It
// returns an error if the server was started before or cannot start.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return errors.New("queue: server already started or shut down")
	}
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeFanout, s.handleFanout)
	mux.HandleFunc(TypeDeliver, s.handleDeliver)
	mux.HandleFunc(TypeReconcile, s.handleReconcile)
	mux.HandleFunc(TypeCasesCheck, s.handleCasesCheck)
	mux.HandleFunc(TypeMetrics, s.handleMetrics)
	mux.HandleFunc(TypeMetricsSweep, s.handleMetricsSweep)
	mux.HandleFunc(TypeTokenRefresh, s.handleTokenRefresh)
	mux.HandleFunc(TypeRetract, s.handleRetract)
	for i, srv := range s.srvs {
		if err := srv.Start(mux); err != nil {
			shutdownAll(s.srvs[:i])
			return fmt.Errorf("queue: starting server: %w", err)
		}
	}
	s.started = true
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	if s.cfg.ReconcileEvery > 0 {
		go s.reconcileLoop(ctx)
	} else {
		close(s.done)
	}
	s.startPeriodic(ctx, TypeCasesCheck, s.cfg.CasesCheckEvery, "case deadline check")
	s.startPeriodic(ctx, TypeMetricsSweep, s.cfg.MetricsEvery, "metrics sweep")
	s.startPeriodic(ctx, TypeTokenRefresh, s.cfg.TokenRefreshEvery, "token job")
	return nil
}

// Shutdown stops the periodic reconcile, stops taking tasks, lets running
// tasks finish for up to Config.ShutdownTimeout (then cancels them; they go
// back to their queue), and returns when every goroutine of the Server has
// ended. It is safe to call more than once, and before Start.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if !s.started {
		return
	}
	s.stop()
	<-s.done
	s.loops.Wait()
	shutdownAll(s.srvs)
}

// shutdownAll shuts the asynq servers down at once, so that shutting down
// takes one ShutdownTimeout however many pools there are.
func shutdownAll(srvs []*asynq.Server) {
	var wg sync.WaitGroup
	for _, srv := range srvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.Shutdown()
		}()
	}
	wg.Wait()
}

// reconcileLoop enqueues a reconcile task at once and then every
// ReconcileEvery, until Shutdown.
func (s *Server) reconcileLoop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.cfg.ReconcileEvery)
	defer t.Stop()
	for {
		s.askPeriodic(ctx, TypeReconcile, s.cfg.ReconcileEvery, "reconcile")
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// handleFanout runs a fan-out task.
func (s *Server) handleFanout(ctx context.Context, t *asynq.Task) error {
	var p fanoutPayload
	if err := decodePayload(t.Payload(), &p); err != nil {
		return err
	}
	if err := s.h.Fanout(ctx, p.PostID, p.Revision); err != nil {
		return fmt.Errorf("queue: fan-out of post %s revision %d: %w", p.PostID, p.Revision, err)
	}
	return nil
}

// handleDeliver runs a deliver task.
func (s *Server) handleDeliver(ctx context.Context, t *asynq.Task) error {
	var p deliverPayload
	if err := decodePayload(t.Payload(), &p); err != nil {
		return err
	}
	if err := s.h.Deliver(ctx, p.DeliveryID); err != nil {
		return fmt.Errorf("queue: delivery %s: %w", p.DeliveryID, err)
	}
	return nil
}

// handleReconcile runs a reconcile task. Reconcile tasks are enqueued with
// MaxRetry 0, so an error archives the task (where the operations page
// shows it) and the next period's reconcile runs instead.
func (s *Server) handleReconcile(ctx context.Context, _ *asynq.Task) error {
	rep, err := s.h.Reconcile(ctx)
	if err != nil {
		return fmt.Errorf("queue: reconcile: %w", err)
	}
	s.log.DebugContext(ctx, "reconcile done", "fanouts", rep.Fanouts, "deliveries", rep.Deliveries, "expired", rep.Expired, "retractions", rep.Retractions)
	return nil
}

// handleError logs a task's error: a domain reschedule at debug level, a
// failure that will be retried as a warning, and a task given up as an
// error.
func (s *Server) handleError(ctx context.Context, t *asynq.Task, err error) {
	id, _ := asynq.GetTaskID(ctx)
	q, _ := asynq.GetQueueName(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	attrs := []any{"task_type", t.Type(), "task_id", id, "queue", q, "retried", retried, "err", err}
	var re *publisher.RetryError
	switch {
	case errors.Is(err, asynq.SkipRetry) || retried >= maxRetry:
		s.log.ErrorContext(ctx, "task archived without further retries", attrs...)
	case errors.As(err, &re):
		s.log.DebugContext(ctx, "task rescheduled", append(attrs, "retry_at", re.At)...)
	default:
		s.log.WarnContext(ctx, "task failed; it will be retried", attrs...)
	}
}

// isFailure tells asynq whether err counts as a failure (in its statistics
// and against MaxRetry): a *publisher.RetryError does not.
func isFailure(err error) bool {
	var re *publisher.RetryError
	return !errors.As(err, &re)
}

// retryDelayFunc is the asynq.RetryDelayFunc of the Server.
func retryDelayFunc(n int, err error, _ *asynq.Task) time.Duration {
	return retryDelay(time.Now(), n, err, rand.Int64N)
}

// retryDelay returns how long after now a task that failed with err, after
// n earlier failures, runs again. For a *publisher.RetryError it is the
// time to its At, and at least a second; asynq keeps retry times in whole
// seconds, so the delay is rounded up to make now+delay a whole second at
// or after At. Otherwise it is retryBase·2^n capped at retryMax, with
// "equal jitter" (half fixed, half random; randN(k) returns [0, k)).
func retryDelay(now time.Time, n int, err error, randN func(int64) int64) time.Duration {
	var re *publisher.RetryError
	if errors.As(err, &re) {
		at := re.At
		if earliest := now.Add(time.Second); at.Before(earliest) {
			at = earliest
		}
		if t := at.Truncate(time.Second); t.Before(at) {
			at = t.Add(time.Second)
		}
		return at.Sub(now)
	}
	d := retryBase
	for i := 0; i < n && d < retryMax; i++ {
		d *= 2
	}
	d = min(d, retryMax)
	half := d / 2
	return half + time.Duration(randN(int64(half)+1))
}
