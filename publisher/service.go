package publisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Config holds the services' settings. Zero values mean "use the default".
type Config struct {
	// BaseURL is the public URL of the deployment, for signed media URLs
	// that platforms fetch (Instagram, Threads). Default http://localhost:8080.
	BaseURL string
	// SessionTTL is how long a sign-in lasts. Default 12 h.
	SessionTTL time.Duration
	// MaxUploadBytes caps one image upload. Default 8 MiB.
	MaxUploadBytes int64
	// Lease is how long a worker holds a delivery while calling the
	// platform; it must exceed the connector's longest call. Default 2 min.
	Lease time.Duration
	// MaxFailures is how many retryable failures a delivery may have
	// before it fails for good. Default 8.
	MaxFailures int
	// RetryBase and RetryMax bound the exponential back-off (with jitter)
	// after retryable failures. Defaults 30 s and 30 min.
	RetryBase, RetryMax time.Duration
	// ReconcileGrace is how long queued work may sit unchanged before the
	// reconciler assumes its queue task was lost. Default 2 min.
	ReconcileGrace time.Duration
	// MediaURLTTL is how long a signed media URL stays valid. Default 24 h.
	MediaURLTTL time.Duration
	// Cases holds the fake-news rebuttal desk's settings (deadlines).
	Cases CaseConfig
	// MissedWindow is how late after its scheduled time a post may still
	// be approved (it then publishes at once); once it has passed, an
	// unapproved post's approval expires and the post goes back to its
	// author (schedule.go). Default 15 min.
	MissedWindow time.Duration
	// Budgets are the publish budgets checked before every platform call
	// (budgets.go). Nil: DefaultBudgets; an empty, non-nil slice: none.
	Budgets []Budget
	// SettingsTTL is how long a process trusts its copy of the publishing
	// switches (pauses) before reading them again. Default 2 s.
	SettingsTTL time.Duration
	// SandboxPlatforms are the platforms whose connectors talk to the
	// sandbox; accounts connected on them are marked Sandbox (connect.go).
	SandboxPlatforms []Platform
	// TokenAlertBefore is how long before an account's token expires,
	// when no refresh can renew it, its officers are told. Default
	// DefaultTokenAlertBefore (7 days).
	TokenAlertBefore time.Duration
	// Metrics configures the collection of published posts' metrics.
	Metrics MetricsConfig
	// RequiredPlatforms are the platforms every organisation must have an
	// account on, for the compliance review. Default Facebook, X, Instagram.
	RequiredPlatforms []Platform
	// ActivityWindow is the posting cadence norm of the compliance review:
	// an organisation is active if it published within it. Default 15 days.
	ActivityWindow time.Duration
}

func (c *Config) setDefaults() {
	if c.BaseURL == "" {
		c.BaseURL = "http://localhost:8080"
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 8 << 20
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 8
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 30 * time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 30 * time.Minute
	}
	if c.ReconcileGrace <= 0 {
		c.ReconcileGrace = 2 * time.Minute
	}
	if c.MediaURLTTL <= 0 {
		c.MediaURLTTL = 24 * time.Hour
	}
	if len(c.RequiredPlatforms) == 0 {
		c.RequiredPlatforms = []Platform{Facebook, X, Instagram}
	}
	if c.ActivityWindow <= 0 {
		c.ActivityWindow = 15 * 24 * time.Hour
	}
	c.Cases.setDefaults()
	if c.MissedWindow <= 0 {
		c.MissedWindow = 15 * time.Minute
	}
	if c.Budgets == nil {
		c.Budgets = DefaultBudgets
	}
	if c.SettingsTTL <= 0 {
		c.SettingsTTL = 2 * time.Second
	}
}

// Deps are the adapters the services use.
type Deps struct {
	Store      Store
	Enqueuer   Enqueuer
	Connectors []Connector
	Keyring    *Keyring
	Hasher     PasswordHasher
	// Mailer sends notification e-mail; nil: notifications are in-app only.
	Mailer Mailer
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Service implements Prasar's workflows. Its methods take the acting user
// from the context (NewContextWithUser) and enforce roles and organisation
// scoping: an editor acting on another organisation's objects gets
// ENOTFOUND, as if they did not exist.
type Service struct {
	cfg        Config
	store      Store
	enqueuer   Enqueuer
	connectors map[Platform]Connector
	keyring    *Keyring
	hasher     PasswordHasher
	mailer     Mailer
	log        *slog.Logger
	now        func() time.Time
	events     *Broker
	logins     *loginLimiter
	revMu      sync.Mutex
	revCache   map[revisionKey]*PostRevision
	reach      reachState    // metrics collection (reachcollect.go)
	settingsC  settingsCache // the publishing switches, cached (control.go)
	// dummyHash is verified when a sign-in names an unknown e-mail, so that
	// a wrong e-mail takes as long as a wrong password.
	dummyHash string
}

// New returns a Service. Store, Enqueuer, Keyring and Hasher are required.
func New(cfg Config, d Deps) (*Service, error) {
	cfg.setDefaults()
	if d.Store == nil || d.Enqueuer == nil || d.Keyring == nil || d.Hasher == nil {
		return nil, errors.New("publisher: New needs a Store, an Enqueuer, a Keyring and a Hasher")
	}
	s := &Service{
		cfg:        cfg,
		store:      d.Store,
		enqueuer:   d.Enqueuer,
		connectors: map[Platform]Connector{},
		keyring:    d.Keyring,
		hasher:     d.Hasher,
		mailer:     d.Mailer,
		log:        d.Logger,
		now:        d.Now,
		events:     NewBroker(),
		logins:     newLoginLimiter(),
		revCache:   map[revisionKey]*PostRevision{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.dummyHash, err = s.hasher.Hash(NewToken(16)); err != nil {
		return nil, fmt.Errorf("publisher: hashing: %w", err)
	}
	for _, c := range d.Connectors {
		if _, dup := s.connectors[c.Platform()]; dup {
			return nil, fmt.Errorf("publisher: two connectors for %s", c.Platform())
		}
		s.connectors[c.Platform()] = c
	}
	return s, nil
}

// Config returns the service's settings with defaults applied.
func (s *Service) Config() Config { return s.cfg }

// Events returns the broker that reports post and delivery changes made by
// this process.
func (s *Service) Events() *Broker { return s.events }

// Connector returns the connector of a platform, or nil.
func (s *Service) Connector(p Platform) Connector { return s.connectors[p] }

// PlatformRules returns the rules of every configured platform, in
// display order.
func (s *Service) PlatformRules() []PlatformRules {
	var out []PlatformRules
	for _, p := range Platforms {
		if c := s.connectors[p]; c != nil {
			out = append(out, c.Rules())
		}
	}
	return out
}

// Ping reports whether the store answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// audit appends an audit event; a failure is logged, not returned, because
// the change it records has already happened.
func (s *Service) audit(ctx context.Context, action, objType, objID, orgID string, details map[string]string) {
	e := &AuditEvent{ID: NewID(), At: s.now().UTC(), Action: action, ObjectType: objType, ObjectID: objID, OrgID: orgID, Details: details}
	if u := UserFromContext(ctx); u != nil {
		e.ActorID, e.ActorRole = u.ID, u.Role
	}
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit append failed", slog.String("action", action), slog.String("object_id", objID), slog.Any("err", err))
	}
}

// ListAudit returns audit events; admins see all, others nothing.
func (s *Service) ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEvent, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators can read the audit log.")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return s.store.ListAudit(ctx, f)
}

// SystemUser acts for the command line, the seed and background jobs.
var SystemUser = &User{ID: "system", Name: "Prasar", Role: RoleAdmin, Lang: "en"}

// SystemContext returns ctx acting as SystemUser.
func SystemContext(ctx context.Context) context.Context { return NewContextWithUser(ctx, SystemUser) }

// loginLimiter slows password guessing: after loginMaxFailures failures for
// one e-mail from one address (or loginMaxFailuresAll from anywhere) within
// 15 minutes, further attempts are refused until the window passes.
type loginLimiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

func newLoginLimiter() *loginLimiter { return &loginLimiter{failures: map[string][]time.Time{}} }

const (
	loginWindow         = 15 * time.Minute
	loginMaxFailures    = 5
	loginMaxFailuresAll = 50
)

func (l *loginLimiter) blocked(key string, now time.Time, max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) >= max
}

func (l *loginLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures[key] = append(l.recent(key, now), now)
}

func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

func (l *loginLimiter) recent(key string, now time.Time) []time.Time {
	ts := l.failures[key]
	i := 0
	for _, t := range ts {
		if now.Sub(t) < loginWindow {
			ts[i] = t
			i++
		}
	}
	ts = ts[:i]
	if len(ts) == 0 {
		delete(l.failures, key)
	}
	return ts
}
