package api

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// Config holds the HTTP adapter's settings. Zero values mean "use the
// default".
type Config struct {
	// BaseURL is the deployment's public URL (scheme, host, port). The
	// Origin header of state-changing requests must match it, and session
	// cookies are Secure when it is https. Default: the service's BaseURL.
	BaseURL string
	// MaxBodyBytes caps a JSON request body. Default 1 MiB.
	MaxBodyBytes int64
	// MaxUploadBytes caps one uploaded image. Default: the service's
	// MaxUploadBytes (8 MiB unless configured).
	MaxUploadBytes int64
	// ReadyChecks are run by /readyz, by name ("store", "queue"). Default:
	// {"store": svc.Ping}.
	ReadyChecks map[string]func(context.Context) error
	// ReadyTimeout bounds the ready checks together. Default 2 s.
	ReadyTimeout time.Duration
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For is believed for the logged client address. Default:
	// none (the connection's address is logged).
	TrustedProxies []string
	// CookieName names the session cookie. Default "prasar_session".
	CookieName string
	// EventPoll is how often a live post page (SSE) re-reads the post when no
	// in-process event arrives: the worker may run in another process.
	// Default 2 s.
	EventPoll time.Duration
	// KeepAlive is how often a live post page gets a comment line that keeps
	// proxies from closing it, and re-checks the session. Default 15 s.
	KeepAlive time.Duration
	// ContentSecurityPolicy is sent with every response but media. Default
	// DefaultCSP.
	ContentSecurityPolicy string
	// QueueStats reads the queues' backlog for the operations page
	// (operations.go). Nil: the page shows none.
	QueueStats func(context.Context) ([]QueueDepth, error)
}

// DefaultCSP allows the SPA to load its own scripts, styles, images and
// API, and nothing from elsewhere. Inline styles are allowed because
// bundlers and components set style attributes; inline scripts are not.
const DefaultCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// mediaCSP is sent with image bytes: they are never documents.
const mediaCSP = "default-src 'none'; sandbox"

func (c *Config) setDefaults(svc *publisher.Service) {
	sc := svc.Config()
	if c.BaseURL == "" {
		c.BaseURL = sc.BaseURL
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = sc.MaxUploadBytes
	}
	if c.ReadyChecks == nil {
		c.ReadyChecks = map[string]func(context.Context) error{"store": svc.Ping}
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 2 * time.Second
	}
	if c.CookieName == "" {
		c.CookieName = "prasar_session"
	}
	if c.EventPoll <= 0 {
		c.EventPoll = 2 * time.Second
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 15 * time.Second
	}
	if c.ContentSecurityPolicy == "" {
		c.ContentSecurityPolicy = DefaultCSP
	}
}

// handler holds what the handlers share.
type handler struct {
	cfg    Config
	svc    *publisher.Service
	ui     fs.FS
	log    *slog.Logger
	origin string // scheme://host[:port] of BaseURL, for the Origin check
	secure bool   // BaseURL is https: Secure cookies and HSTS
}

// NewHandler returns the HTTP handler of the whole API, the public media
// URLs, the health endpoints and the SPA (served from ui; nil serves no
// files). logger may be nil.
//
// It panics if svc is nil, if cfg.BaseURL is not an absolute http(s) URL,
// or if a trusted proxy does not parse: configuration errors that cmd
// validates before it gets here (see ValidateConfig).
func NewHandler(cfg Config, svc *publisher.Service, ui fs.FS, logger *slog.Logger) http.Handler {
	if svc == nil {
		panic("api: NewHandler needs a service")
	}
	cfg.setDefaults(svc)
	if err := ValidateConfig(cfg); err != nil {
		panic(err.Error())
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	base, _ := url.Parse(cfg.BaseURL)
	h := &handler{
		cfg:    cfg,
		svc:    svc,
		ui:     ui,
		log:    logger,
		origin: normalOrigin(cfg.BaseURL),
		secure: base.Scheme == "https",
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		panic("api: trusted proxies: " + err.Error())
	}

	// Every response, matched or not.
	r.Use(h.requestID, h.accessLog, h.recoverPanic, h.securityHeaders)
	r.NoRoute(h.handleNoRoute)
	r.NoMethod(h.handleNoMethod)

	r.GET("/healthz", h.handleHealthz)
	r.GET("/readyz", h.handleReadyz)
	r.GET("/media/:id", h.handleGetSignedMedia)
	r.HEAD("/media/:id", h.handleGetSignedMedia)

	// The API: the session is read for every route; state-changing
	// requests are checked for CSRF, and bodies are limited and typed.
	api := r.Group("/api/v1", h.noStore, h.authenticate, h.checkCSRF, h.limitBody, h.checkContentType)
	api.POST("/session", h.handleCreateSession)

	// Everything else needs a signed-in user.
	a := api.Group("", h.requireUser)
	a.GET("/session", h.handleGetSession)
	a.DELETE("/session", h.handleDeleteSession)
	a.PATCH("/me", h.handleUpdateMe)
	a.POST("/me/password", h.handleChangePassword)

	a.GET("/platforms", h.handleListPlatforms)
	a.GET("/orgs", h.handleListOrgs)
	a.POST("/orgs", h.handleCreateOrg)
	a.GET("/orgs/:id", h.handleGetOrg)
	a.GET("/orgs/:id/officers", h.handleListOfficers)
	a.GET("/accounts", h.handleListAccounts)
	a.GET("/users", h.handleListUsers)
	a.POST("/users", h.handleCreateUser)

	a.POST("/media", h.handleUploadMedia)
	a.GET("/media/:id", h.handleGetMedia)

	a.GET("/posts", h.handleListPosts)
	a.POST("/posts", h.handleCreatePost)
	a.GET("/posts/:id", h.handleGetPost)
	a.PUT("/posts/:id", h.handleUpdatePost)
	a.POST("/posts/:id/submit", h.handleSubmitPost)
	a.POST("/posts/:id/approve", h.handleApprovePost)
	a.POST("/posts/:id/reject", h.handleRejectPost)
	a.POST("/posts/:id/request-changes", h.handleRequestChanges)
	a.POST("/posts/:id/cancel", h.handleCancelPost)
	a.GET("/posts/:id/revisions", h.handleListRevisions)
	a.GET("/posts/:id/events", h.handleStreamPostEvents)
	a.POST("/measure", h.handleMeasurePost)
	a.GET("/review-queue", h.handleListReviewQueue)

	a.GET("/deliveries", h.handleListDeliveries)
	a.GET("/deliveries/export", h.handleExportDeliveries)
	a.GET("/deliveries/:id", h.handleGetDelivery)
	a.POST("/deliveries/:id/retry", h.handleRetryDelivery)
	a.POST("/deliveries/:id/resolve", h.handleResolveDelivery)

	a.GET("/audit", h.handleListAudit)

	// Publishing control: the operations page, pause switches and
	// retraction (operations.go; docs/api.md, "Publishing control").
	a.GET("/operations", h.handleGetOperations)
	a.GET("/operations/events", h.handleStreamOperations)
	a.GET("/publishing", h.handleGetPublishing)
	a.PUT("/publishing/pause", h.handleSetPauseAll)
	a.PUT("/orgs/:id/pause", h.handleSetPauseOrg)
	a.POST("/posts/:id/retract", h.handleRetractPost)
	a.GET("/posts/:id/retraction", h.handleGetRetraction)

	a.GET("/notifications", h.handleListNotifications)
	a.POST("/notifications/read", h.handleMarkNotificationsRead)

	// Connecting accounts and keeping their tokens (connect.go; docs/api.md
	// "Connecting accounts"). The OAuth callback is a GET the platform sends
	// the browser to: it has the session cookie but no CSRF header, and is
	// protected by its state, which only the session that started the flow
	// can complete.
	a.GET("/connect", h.handleListConnectMethods)
	a.POST("/connect/:platform", h.handleConnectWithCredentials)
	a.POST("/oauth/:platform/start", h.handleStartOAuth)
	api.GET("/oauth/:platform/callback", h.handleOAuthCallback)
	a.GET("/oauth/selections/:id", h.handleGetSelection)
	a.POST("/oauth/selections/:id", h.handleCompleteSelection)
	a.POST("/accounts/:id/disconnect", h.handleDisconnectAccount)
	a.POST("/accounts/:id/refresh", h.handleRefreshAccount)

	// The fake-news rebuttal desk (cases.go; docs/api.md "Fake-news cases").
	a.GET("/cases", h.handleListCases)
	a.POST("/cases", h.handleCreateCase)
	a.GET("/cases/check-urls", h.handleCheckCaseURLs)
	a.GET("/cases/ageing", h.handleCaseAgeing)
	a.GET("/cases/report", h.handleCaseReport)
	a.GET("/cases/report/weekly", h.handleWeeklyCaseReport)
	a.GET("/cases/export", h.handleExportCases)
	a.GET("/cases/:id", h.handleGetCase)
	a.GET("/cases/:id/export", h.handleExportCase)
	a.POST("/cases/:id/triage", h.handleTriageCase)
	a.POST("/cases/:id/reassign", h.handleReassignCase)
	a.PUT("/cases/:id/facts", h.handleSetCaseFacts)
	a.POST("/cases/:id/clarification", h.handleDraftClarification)
	a.POST("/cases/:id/actions", h.handleAddCaseAction)
	a.POST("/cases/:id/close", h.handleCloseCase)
	a.PUT("/cases/heads/:id", h.handleSetOrgHead)

	// Reach: metrics dashboards, the per-post panel, exports, the weekly
	// digest, "collect now" (reach.go; docs/api.md "Reach").
	a.GET("/reach/dashboard", h.handleReachDashboard)
	a.GET("/reach/definitions", h.handleReachDefinitions)
	a.GET("/reach/export", h.handleReachExport)
	a.GET("/reach/posts/:id", h.handlePostReach)
	a.GET("/reach/digest", h.handleReachDigest)
	a.POST("/reach/digest/send", h.handleSendReachDigest)
	a.POST("/reach/collect", h.handleCollectMetrics)

	// The registry and the compliance review (issue 5; docs/api.md,
	// "Registry and compliance review"): orgregistry.go, compliance.go.
	a.GET("/registry/orgs/:id", h.handleRegistryOrg)
	a.PUT("/registry/orgs/:id", h.handleUpdateOrg)
	a.GET("/registry/orgs/:id/history", h.handleOrgHistory)
	a.POST("/registry/orgs/:id/merge", h.handleMergeOrgs)
	a.POST("/registry/orgs/:id/officers", h.handleAppointOfficer)
	a.POST("/registry/events/:id/resume", h.handleResumeOrgEvent)
	a.PUT("/registry/officers/:id", h.handleEditOfficer)
	a.POST("/registry/officers/:id/end", h.handleEndOfficerTerm)
	a.GET("/registry/officer-changes", h.handleListOfficerChanges)
	a.POST("/registry/officer-changes/:id/decide", h.handleDecideOfficerChange)
	a.GET("/registry/handovers", h.handleListHandovers)
	a.POST("/registry/handovers/:id/resume", h.handleResumeHandover)
	a.POST("/registry/handovers/:id/rotated", h.handleConfirmRotation)
	a.POST("/registry/accounts", h.handleRegisterAccount)
	a.PUT("/registry/accounts/:id/profile", h.handleSaveAccountProfile)
	a.POST("/registry/import", h.handleImportRegistry)
	a.GET("/registry/imports", h.handleListImports)
	a.POST("/registry/imports/:id/resume", h.handleResumeImport)
	a.GET("/registry/export", h.handleExportRegistry)
	a.GET("/compliance", h.handleCompliance)
	a.GET("/compliance/orgs/:id", h.handleOrgCompliance)
	a.GET("/compliance/report", h.handleComplianceReport)
	return r
}

// ValidateConfig reports what is wrong with cfg's BaseURL and
// TrustedProxies, so that cmd can refuse to start with a clear message
// (an empty BaseURL means the service's and is not checked here).
func ValidateConfig(cfg Config) error {
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("api: base URL %q is not an absolute http(s) URL", cfg.BaseURL)
		}
	}
	for _, p := range cfg.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err == nil {
			continue
		}
		if net.ParseIP(p) == nil {
			return fmt.Errorf("api: trusted proxy %q is neither an IP address nor a CIDR", p)
		}
	}
	return nil
}
