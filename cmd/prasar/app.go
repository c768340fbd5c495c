package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prasar/prasar/api"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/frontend"
	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/mongostore"
	"github.com/prasar/prasar/publisher/passhash"
	"github.com/prasar/prasar/publisher/smtpmail"
	"github.com/prasar/prasar/publisher/sqlitestore"
	"github.com/prasar/prasar/queue"
)

// Main is one prasar process: it opens what its mode needs in Run and
// closes it, in the reverse order, in Close.
type Main struct {
	Config         Config
	stdout, stderr io.Writer
	log            *slog.Logger

	store    publisher.Store
	keyring  *publisher.Keyring
	svc      *publisher.Service
	embedded *queue.Embedded
	redis    *queue.Redis
	client   *queue.Client
	worker   *queue.Server
	sandbox  *sandbox.Server
	// demoClock is the clock of a demo deployment (demo_history.go), and
	// demoSeeded whether this start seeded the demo.
	demoClock  *shiftClock
	demoSeeded bool

	listener net.Listener
	http     *http.Server
	httpDone chan error
	// unstarted holds the connections that have not sent a request yet
	// (http.StateNew), for Close.
	unstarted sync.Map
	demoPass  string
}

// NewMain returns a Main for the configuration; nothing is opened yet.
func NewMain(cfg Config, stdout, stderr io.Writer) *Main {
	return &Main{Config: cfg, stdout: stdout, stderr: stderr}
}

func (m *Main) logger() *slog.Logger {
	if m.log == nil {
		opts := &slog.HandlerOptions{Level: m.Config.LogLevel}
		if m.Config.LogFormat == "json" {
			m.log = slog.New(slog.NewJSONHandler(m.stderr, opts))
		} else {
			m.log = slog.New(slog.NewTextHandler(m.stderr, opts))
		}
	}
	return m.log
}

// Service returns the domain service (after Run).
func (m *Main) Service() *publisher.Service { return m.svc }

// Store returns the store (after Run).
func (m *Main) Store() publisher.Store { return m.store }

// Sandbox returns the sandbox platforms, or nil when none is in use.
func (m *Main) Sandbox() *sandbox.Server { return m.sandbox }

// URL returns the base URL (after Run, with the real port).
func (m *Main) URL() string { return m.Config.BaseURL }

// DemoPassword returns the demo users' password (serve mode).
func (m *Main) DemoPassword() string { return m.demoPass }

// Run opens the store and the queue, wires the service, and starts the HTTP
// server and/or the workers for the mode. It returns once they run.
func (m *Main) Run(ctx context.Context) (err error) {
	c := &m.Config
	log := m.logger()
	serveHTTP := c.Mode == "serve" || c.Mode == "api"
	runWorker := c.Mode == "serve" || c.Mode == "worker"

	// Listen first: a taken port fails at once, and ":0" learns its port
	// before the URLs that depend on it are used.
	if serveHTTP {
		if m.listener, err = net.Listen("tcp", c.Addr); err != nil {
			return fmt.Errorf("listening on %s: %w", c.Addr, err)
		}
		c.setListenAddr(m.listener.Addr())
	}

	if m.store, err = openStore(ctx, *c, log); err != nil {
		return err
	}
	var keySource string
	if m.keyring, keySource, err = loadKeyring(*c); err != nil {
		return fmt.Errorf("secret key: %w", err)
	}

	// The queue's Redis: configured, or in-process for `serve`.
	redisURL := c.RedisURL
	if redisURL == "" {
		if m.embedded, err = queue.StartEmbedded(); err != nil {
			return err
		}
		redisURL = m.embedded.URL()
	}
	if m.redis, err = queue.RedisFromURL(redisURL); err != nil {
		return err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = m.redis.Ping(pingCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("redis at %s does not answer: %w", redactURL(redisURL), err)
	}
	qcfg := queue.Config{Concurrency: c.Concurrency, ShutdownTimeout: c.ShutdownTimeout, ReconcileEvery: c.ReconcileEvery, TaskCheckInterval: c.queuePoll,
		CasesCheckEvery: c.CaseCheckEvery, MetricsEvery: c.metricsEvery(), TokenRefreshEvery: c.TokenRefreshEvery,
		TaskTimeout: c.TaskTimeout, PlatformConcurrency: c.PlatformConcurrency, PlatformLimits: c.PlatformLimits}
	if m.client, err = queue.NewClient(m.redis, qcfg); err != nil {
		return err
	}

	// A demo's first start writes a past month (demo_history.go): its
	// service and sandbox get a clock that can be set back.
	if c.Mode == "serve" && c.Demo != "off" {
		m.demoClock = newShiftClock(c.clock)
		c.clock = m.demoClock.Now
	}

	// Platforms: connectors, and the sandbox for those without credentials.
	if serveHTTP && c.anySandbox() {
		m.sandbox = sandbox.New(sandbox.Options{Secret: []byte(m.keyring.Sign("prasar sandbox token secret")), BaseURL: c.SandboxURL, Logger: log, Now: c.clock})
		// The sandbox's feeds survive restarts in the data directory.
		if err := m.sandbox.LoadFile(m.sandboxFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("sandbox state not restored", "err", err)
		}
	}
	sb := m.sandbox
	if sb == nil && c.anySandbox() {
		// A worker talks to the sandbox the api process mounts; this copy,
		// with the same secret, only gives the sandbox apps' credentials.
		sb = sandbox.New(sandbox.Options{Secret: []byte(m.keyring.Sign("prasar sandbox token secret")), BaseURL: c.SandboxURL})
	}
	conns, sandboxedPlatforms, err := buildConnectors(*c, sb, log)
	if err != nil {
		return err
	}
	var sandboxed []string
	for _, p := range sandboxedPlatforms {
		sandboxed = append(sandboxed, string(p))
	}

	var mailer publisher.Mailer
	if c.SMTPURL != "" {
		if mailer, err = smtpmail.New(c.SMTPURL, c.SMTPFrom); err != nil {
			return err
		}
	}
	m.svc, err = publisher.New(publisher.Config{BaseURL: c.BaseURL, SessionTTL: c.SessionTTL, MaxUploadBytes: c.MaxUploadBytes,
		Cases: publisher.CaseConfig{DeadlineDigital: c.CaseDeadlineDigital, DeadlinePrint: c.CaseDeadlinePrint}, Metrics: c.metricsConfig(),
		SandboxPlatforms: sandboxedPlatforms, TokenAlertBefore: c.TokenAlertBefore, RequiredPlatforms: c.RequiredPlatforms,
		Lease: c.DeliveryLease, MissedWindow: c.MissedWindow, Budgets: c.Budgets, RetryBase: c.RetryBase, RetryMax: c.RetryMax, ReconcileGrace: c.ReconcileGrace},
		publisher.Deps{Store: m.store, Enqueuer: m.client, Connectors: conns, Keyring: m.keyring, Hasher: passhash.New(), Mailer: mailer, Logger: log, Now: c.clock})
	if err != nil {
		return err
	}

	storeKind := "sqlite " + filepath.Join(c.DataDir, "prasar.db")
	if c.MongoURI != "" {
		storeKind = "mongodb " + redactURL(c.MongoURI) + " db " + c.MongoDatabase
	}
	redisKind := "redis " + redactURL(redisURL)
	if m.embedded != nil {
		redisKind = "in-process redis (embedded; the store re-queues lost work on restart)"
	}
	log.Info("prasar starting", "mode", c.Mode, "version", version, "base_url", c.BaseURL, "store", storeKind, "queue", redisKind,
		"secret_key", keySource, "sandbox_platforms", strings.Join(sandboxed, ","), "koo_enabled", c.KooEnabled)

	if c.Mode == "serve" && m.sandbox != nil {
		if m.demoPass, m.demoSeeded, err = seedDemo(ctx, *c, m.store, m.svc, m.sandbox); err != nil {
			return fmt.Errorf("seeding the demo: %w", err)
		}
		if m.demoSeeded {
			log.Info("demo seeded", "organisations", "70", "credentials", filepath.Join(c.DataDir, "demo-credentials.txt"))
		}
	}

	if serveHTTP {
		checks := map[string]func(context.Context) error{"store": m.store.Ping, "queue": m.redis.Ping}
		acfg := api.Config{BaseURL: c.BaseURL, MaxUploadBytes: c.MaxUploadBytes, ReadyChecks: checks, QueueStats: queueDepths(m.redis)}
		if err := api.ValidateConfig(acfg); err != nil {
			return err
		}
		h := api.NewHandler(acfg, m.svc, frontend.FS, log)
		mux := http.NewServeMux()
		if m.sandbox != nil {
			mux.Handle(sandbox.MountPath, m.sandbox.Handler())
		}
		mux.Handle("/", h)
		m.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
			ConnState: m.trackUnstarted}
		m.httpDone = make(chan error, 1)
		go func() { m.httpDone <- m.http.Serve(m.listener) }()
		log.Info("http listening", "addr", m.listener.Addr().String(), "url", c.BaseURL)
	}

	// The demo's past month, through the sandbox the HTTP server now
	// serves, before any worker reads the clock.
	// It is a nicety: if the sandbox cannot be reached at
	// PRASAR_SANDBOX_URL from here, the demo starts without it.
	if m.demoSeeded && m.demoClock != nil {
		if err := seedDemoHistory(ctx, m.store, m.svc, m.demoClock); err != nil {
			log.Warn("the demo's past month was not written; the demo runs without it", "err", err)
		} else {
			log.Info("demo history seeded", "posts", len(demoHistory))
		}
	}

	if runWorker {
		if m.worker, err = queue.NewServer(m.redis, qcfg, m.svc, log); err != nil {
			return err
		}
		if err := m.worker.Start(); err != nil {
			return fmt.Errorf("starting the queue workers: %w", err)
		}
	}
	if c.Mode == "serve" && m.demoPass != "" {
		printDemo(m.stdout, c.BaseURL, m.demoPass)
	}
	return nil
}

// Close shuts down in order: stop taking requests, let the workers finish
// (or hand their tasks back to the queue), then close the queue and the
// store. It is safe to call after a failed Run.
func (m *Main) Close() error {
	var errs []error
	timeout := m.Config.ShutdownTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		if err := m.shutdownHTTP(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		cancel()
		if err := <-m.httpDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		m.http = nil
	} else if m.listener != nil {
		m.listener.Close()
	}
	if m.worker != nil {
		m.worker.Shutdown()
		m.worker = nil
	}
	if m.sandbox != nil {
		if err := m.sandbox.SaveFile(m.sandboxFile()); err != nil {
			errs = append(errs, fmt.Errorf("saving the sandbox state: %w", err))
		}
		m.sandbox = nil
	}
	m.client = nil // it shares the Redis pool closed next
	if m.redis != nil {
		if err := m.redis.Close(); err != nil {
			errs = append(errs, err)
		}
		m.redis = nil
	}
	if m.embedded != nil {
		m.embedded.Close()
		m.embedded = nil
	}
	if m.store != nil {
		if err := m.store.Close(); err != nil {
			errs = append(errs, err)
		}
		m.store = nil
	}
	if m.log != nil {
		m.log.Info("prasar stopped")
	}
	return errors.Join(errs...)
}

// trackUnstarted is the HTTP server's ConnState hook: it keeps the
// connections that have not sent a request yet.
func (m *Main) trackUnstarted(c net.Conn, st http.ConnState) {
	if st == http.StateNew {
		m.unstarted.Store(c, struct{}{})
	} else {
		m.unstarted.Delete(c)
	}
}

// shutdownHTTP stops the HTTP server gracefully: no new connections, and
// the requests in progress run to their end (or to ctx's). A connection
// opened but not yet used for a request (an HTTP client's spare one, such
// as the workers' to the in-process sandbox) is closed at once, as the
// closed listener would have refused it: net/http would wait five seconds
// for its first request.
func (m *Main) shutdownHTTP(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- m.http.Shutdown(ctx) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			// Shutdown has closed the listener by the first tick or soon
			// after; closing an unused connection before that only makes
			// its client dial again.
			m.unstarted.Range(func(k, _ any) bool {
				k.(net.Conn).Close()
				m.unstarted.Delete(k)
				return true
			})
		}
	}
}

// sandboxFile is where the sandbox platforms keep their feeds.
func (m *Main) sandboxFile() string { return filepath.Join(m.Config.DataDir, "sandbox.json") }

// openStore opens MongoDB when MONGODB_URI is set, SQLite otherwise.
func openStore(ctx context.Context, c Config, log *slog.Logger) (publisher.Store, error) {
	if c.MongoURI != "" {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := mongostore.Open(ctx, c.MongoURI, c.MongoDatabase, mongostore.WithAppName("prasar-"+c.Mode))
		if err != nil {
			return nil, fmt.Errorf("opening MongoDB at %s: %w", redactURL(c.MongoURI), err)
		}
		return s, nil
	}
	if (c.Mode == "api" || c.Mode == "worker") && !c.SQLiteShared {
		return nil, errors.New("MONGODB_URI is required (or PRASAR_SQLITE_SHARED=true on one machine)")
	}
	s, err := sqlitestore.Open(filepath.Join(c.DataDir, "prasar.db"), sqlitestore.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("opening the SQLite store in %s: %w", c.DataDir, err)
	}
	return s, nil
}

// queueDepths reads the queues' backlog for the operations page.
func queueDepths(r *queue.Redis) func(context.Context) ([]api.QueueDepth, error) {
	return func(ctx context.Context) ([]api.QueueDepth, error) {
		stats, err := r.Stats(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]api.QueueDepth, 0, len(stats))
		for _, s := range stats {
			d := api.QueueDepth{Queue: s.Queue, Pending: s.Pending, Active: s.Active, Scheduled: s.Scheduled, Retry: s.Retry, Archived: s.Archived, LatencyMS: s.LatencyMS}
			for _, p := range publisher.Platforms {
				if s.Queue == queue.DeliverQueue(p) {
					d.Platform = p
				}
			}
			out = append(out, d)
		}
		return out, nil
	}
}

// checkWorkerHealth reports whether a worker's store and Redis answer.
func checkWorkerHealth(ctx context.Context, c Config) error {
	s, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		return err
	}
	r, err := queue.RedisFromURL(c.RedisURL)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Ping(ctx)
}

// redactURL hides a URL's password for logs.
func redactURL(s string) string {
	i := strings.Index(s, "://")
	at := strings.LastIndex(s, "@")
	if i < 0 || at < i {
		return s
	}
	cred := s[i+3 : at]
	if u, _, ok := strings.Cut(cred, ":"); ok {
		return s[:i+3] + u + ":***" + s[at:]
	}
	return s
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"
