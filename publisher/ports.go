package publisher

import (
	"context"
	"errors"
	"time"
)

// This file declares what the domain needs from the outside world. Each
// interface is implemented by one adapter package; publisher/storetest holds
// the behaviour every Store must show.

// Store is everything the services keep. Implementations: sqlitestore
// (embedded default) and mongostore (production).
type Store interface {
	OrgStore
	OfficerStore
	AccountStore
	UserStore
	SessionStore
	PostStore
	DeliveryStore
	AuditStore
	MediaStore
	NotificationStore
	CaseStore
	ControlStore
	ConnectionStore
	ReachStore
	RegistryStore
	// Ping reports whether the store answers (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// OrgStore keeps organisations.
type OrgStore interface {
	// CreateOrg inserts o. Returns ECONFLICT if o.ID or o.Code exists.
	CreateOrg(ctx context.Context, o *Organisation) error
	// UpdateOrg replaces o. Returns ENOTFOUND if it does not exist and
	// ECONFLICT if the new code belongs to another organisation.
	UpdateOrg(ctx context.Context, o *Organisation) error
	// GetOrg returns ENOTFOUND if there is no such organisation.
	GetOrg(ctx context.Context, id string) (*Organisation, error)
	// GetOrgByCode returns ENOTFOUND if there is no such organisation.
	GetOrgByCode(ctx context.Context, code string) (*Organisation, error)
	// ListOrgs returns the organisations matching f, ordered by code.
	ListOrgs(ctx context.Context, f OrgFilter) ([]*Organisation, error)
}

// OfficerStore keeps nodal and alternate officers.
type OfficerStore interface {
	// CreateOfficer inserts o. Returns ECONFLICT if o.ID exists.
	CreateOfficer(ctx context.Context, o *Officer) error
	// UpdateOfficer replaces o. Returns ENOTFOUND if it does not exist.
	UpdateOfficer(ctx context.Context, o *Officer) error
	// GetOfficer returns ENOTFOUND if there is no such officer.
	GetOfficer(ctx context.Context, id string) (*Officer, error)
	// ListOfficers returns officers matching f, newest start date first.
	ListOfficers(ctx context.Context, f OfficerFilter) ([]*Officer, error)
}

// AccountStore keeps platform accounts and their sealed credentials.
type AccountStore interface {
	// CreateAccount inserts a. Returns ECONFLICT if a.ID exists or another
	// account has the same platform and external id.
	CreateAccount(ctx context.Context, a *Account) error
	// UpdateAccount replaces a. Returns ENOTFOUND if it does not exist and
	// ECONFLICT if it would duplicate another's platform and external id.
	UpdateAccount(ctx context.Context, a *Account) error
	// GetAccount returns ENOTFOUND if there is no such account.
	GetAccount(ctx context.Context, id string) (*Account, error)
	// ListAccounts returns accounts matching f, by organisation then platform.
	ListAccounts(ctx context.Context, f AccountFilter) ([]*Account, error)
}

// UserStore keeps users.
type UserStore interface {
	// CreateUser inserts u. Returns ECONFLICT if u.ID or u.Email (compared
	// case-insensitively) exists.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser replaces u. Returns ENOTFOUND if it does not exist and
	// ECONFLICT if the new e-mail belongs to another user.
	UpdateUser(ctx context.Context, u *User) error
	// GetUser returns ENOTFOUND if there is no such user.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByEmail matches case-insensitively; ENOTFOUND if none.
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// ListUsers returns users matching f, by e-mail.
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)
}

// SessionStore keeps signed-in sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns ENOTFOUND if there is no such session (expired
	// sessions may still be returned; the caller checks ExpiresAt).
	GetSession(ctx context.Context, id string) (*Session, error)
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions signs a user out everywhere.
	DeleteUserSessions(ctx context.Context, userID string) error
	// DeleteExpiredSessions removes sessions that expired before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// PostStore keeps posts and their revisions.
type PostStore interface {
	// CreatePost inserts p (Version 1) and its first revision together.
	// Returns ECONFLICT if p.ID exists.
	CreatePost(ctx context.Context, p *Post, rev *PostRevision) error
	// UpdatePost replaces p if its stored Version equals p.Version, and
	// stores rev if it is not nil; on success p.Version is incremented.
	// Returns ENOTFOUND if p does not exist and ECONFLICT if the version is
	// stale (somebody else changed the post) or rev's revision exists.
	UpdatePost(ctx context.Context, p *Post, rev *PostRevision) error
	// GetPost returns ENOTFOUND if there is no such post.
	GetPost(ctx context.Context, id string) (*Post, error)
	// ListPosts returns posts matching f, most recently updated first (with
	// f.OldestFirst: by submission, then creation, then id, ascending), and
	// the number of matches without Limit/Offset.
	ListPosts(ctx context.Context, f PostFilter) ([]*Post, int, error)
	// GetRevision returns ENOTFOUND if there is no such revision.
	GetRevision(ctx context.Context, postID string, revision int) (*PostRevision, error)
	// ListRevisions returns a post's revisions, oldest first.
	ListRevisions(ctx context.Context, postID string) ([]*PostRevision, error)
}

// DeliveryStore keeps deliveries and their attempts. It is the source of
// truth of the publishing pipeline: the queue only carries ids.
type DeliveryStore interface {
	// CreateDeliveries inserts the deliveries that do not exist yet (by id,
	// and by post, revision and account) and returns how many it inserted.
	// Re-running it with the same deliveries is harmless.
	CreateDeliveries(ctx context.Context, ds []*Delivery) (int, error)
	// GetDelivery returns ENOTFOUND if there is no such delivery.
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
	// ListDeliveries returns deliveries matching f, newest first, and the
	// number of matches without Limit/Offset.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, int, error)
	// CountDeliveries counts deliveries matching f by status.
	CountDeliveries(ctx context.Context, f DeliveryFilter) (DeliveryCounts, error)
	// ClaimDelivery atomically takes a delivery for one attempt: it succeeds
	// when the delivery is queued, or retrying with NextAttemptAt at or
	// before c.Now, or sending with a lease that expired before c.Now. It
	// sets status sending, Attempts+1, ClaimToken, LeaseUntil and
	// SendingSince=c.Now; when it takes over an expired "sending" it also
	// sets NeedsLookup. Of concurrent claims exactly one succeeds; the others
	// get ECONFLICT. Returns ENOTFOUND if there is no such delivery.
	ClaimDelivery(ctx context.Context, id string, c Claim) (*Delivery, error)
	// FinishDelivery stores the result of an attempt if the delivery is
	// still sending under the given claim token, clears the claim, and
	// returns the updated delivery. Every field of r is written (an empty
	// external id, URL or published time clears the old one); r.Attempt,
	// if set, is appended to the attempts atomically with the result (its
	// DeliveryID must be id). Returns ECONFLICT if the claim was lost (and
	// then stores no attempt).
	FinishDelivery(ctx context.Context, id, claimToken string, r DeliveryResult) (*Delivery, error)
	// ChangeDelivery applies c if the delivery's status is in c.From, and
	// returns the updated delivery; ECONFLICT otherwise. ErrorClass,
	// ErrorMessage, PlatformMessage, NextAttemptAt are always written (empty
	// clears); ExternalID, ExternalURL and PublishedAt only when set.
	ChangeDelivery(ctx context.Context, id string, c DeliveryChange) (*Delivery, error)
	// ListDueDeliveries returns up to limit deliveries that a worker should
	// be working on at now: queued or retrying ones that are due and have
	// not changed since staleBefore, and sending ones whose lease expired
	// (however recently they changed). The reconciler re-enqueues them.
	ListDueDeliveries(ctx context.Context, now, staleBefore time.Time, limit int) ([]*Delivery, error)
	// AddAttempt appends an attempt to a delivery's history. Returns
	// ENOTFOUND if there is no such delivery.
	AddAttempt(ctx context.Context, a *Attempt) error
	// ListAttempts returns a delivery's attempts, oldest first: by number,
	// then start time, then the order they were added.
	ListAttempts(ctx context.Context, deliveryID string) ([]*Attempt, error)
}

// AuditStore keeps the append-only audit log.
type AuditStore interface {
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// ListAudit returns events matching f, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)
}

// MediaStore keeps uploaded images and their bytes.
type MediaStore interface {
	// PutMedia stores m and its bytes. Returns ECONFLICT if m.ID exists.
	PutMedia(ctx context.Context, m *Media, data []byte) error
	// GetMedia returns ENOTFOUND if there is no such media.
	GetMedia(ctx context.Context, id string) (*Media, error)
	// GetMediaData returns the bytes; ENOTFOUND if there is no such media.
	GetMediaData(ctx context.Context, id string) ([]byte, error)
}

// Enqueuer hands work to the queue. Enqueueing work that is already queued
// (same post revision, same delivery) is not an error.
type Enqueuer interface {
	// EnqueueFanout queues the fan-out of a post revision at the given time
	// (zero: now).
	EnqueueFanout(ctx context.Context, postID string, revision int, at time.Time) error
	// EnqueueDelivery queues one delivery at the given time (zero: now).
	EnqueueDelivery(ctx context.Context, deliveryID string, platform Platform, at time.Time) error
}

// PasswordHasher hashes passwords with a memory-hard function.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches hash.
	Verify(hash, password string) (bool, error)
}

// Connector publishes to one platform on behalf of accounts. Connectors
// classify every failure as a *PlatformError.
type Connector interface {
	Platform() Platform
	// Rules are the platform's composing limits, as configured.
	Rules() PlatformRules
	// Measure counts text the way the platform does.
	Measure(msg Message) Measure
	// Publish creates the post. On failure it returns a *PlatformError.
	Publish(ctx context.Context, acct *Account, cred Credentials, msg Message) (*Published, error)
	// Lookup looks for a post made from msg on the account at or after
	// since. It returns ErrNotPublished if there is none, and
	// ErrLookupUnsupported if the platform cannot tell.
	Lookup(ctx context.Context, acct *Account, cred Credentials, msg Message, since time.Time) (*Published, error)
}

// Lookup outcomes that are not failures.
var (
	ErrNotPublished      = errors.New("publisher: no such post on the account")
	ErrLookupUnsupported = errors.New("publisher: the platform cannot look posts up")
	ErrPlatformDisabled  = errors.New("publisher: the platform is disabled in this deployment")
)

// PlatformRules are a platform's limits for composing.
type PlatformRules struct {
	Platform      Platform `json:"platform"`
	MaxChars      int      `json:"maxChars"`
	CountUnit     string   `json:"countUnit"` // how Measure counts: "weighted", "characters", "graphemes", "bytes"
	RequiresMedia bool     `json:"requiresMedia"`
	MaxImages     int      `json:"maxImages"`
	MaxImageBytes int64    `json:"maxImageBytes"`
	ImageTypes    []string `json:"imageTypes"`            // accepted MIME types
	MaxHashtags   int      `json:"maxHashtags,omitempty"` // 0: no limit
	MaxMentions   int      `json:"maxMentions,omitempty"` // 0: no limit
	// Enabled is false for platforms switched off in this deployment
	// (Koo by default); Defunct says why a platform cannot be used at all.
	Enabled bool   `json:"enabled"`
	Defunct string `json:"defunct,omitempty"`
}

// Measure is a text's length as a platform counts it.
type Measure struct {
	Count int `json:"count"`
	Limit int `json:"limit"`
}

// Message is one delivery's content, ready for a connector.
type Message struct {
	DeliveryID string // stable across attempts; an idempotency key where the platform takes one
	Text       string
	Link       string
	Languages  []string
	Media      []MediaRef
}

// MediaRef is an image attached to a message.
type MediaRef struct {
	ID          string
	ContentType string
	Size        int64
	Width       int
	Height      int
	AltText     string
	// URL is a public, signed, expiring URL of the image, for platforms
	// that fetch media themselves (Instagram, Threads).
	URL string
	// Open returns the bytes, for platforms that take uploads.
	Open func(ctx context.Context) ([]byte, error) `json:"-"`
}

// Published identifies a post on its platform.
type Published struct {
	ExternalID string
	URL        string
}

// PlatformError is a classified connector failure.
type PlatformError struct {
	Class ErrorClass
	// Message is the platform's own message, kept for the user.
	Message string
	// Code is the platform's error code, if any (e.g. "190/463").
	Code string
	// RetryAt is when a rate limit resets (ClassRateLimited).
	RetryAt time.Time
	// Ambiguous is set when the request may have reached the platform and
	// taken effect although no answer came back (a timeout, a dropped
	// connection): the next attempt must look the post up first.
	Ambiguous bool
	// Duplicate is set when the platform refused the post as a duplicate of
	// one already on the account (Facebook #506, X's duplicate content,
	// LinkedIn's DUPLICATE_POST). After an interrupted attempt that means
	// the earlier attempt most likely published it.
	Duplicate bool
	Err       error
}

func (e *PlatformError) Error() string {
	s := string(e.Class) + ": " + e.Message
	if e.Code != "" {
		s += " (code " + e.Code + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *PlatformError) Unwrap() error { return e.Err }

// AsPlatformError returns err as a *PlatformError; errors of other types
// are treated as retryable and ambiguous, the safe assumption.
func AsPlatformError(err error) *PlatformError {
	var pe *PlatformError
	if errors.As(err, &pe) {
		return pe
	}
	return &PlatformError{Class: ClassRetryable, Message: err.Error(), Ambiguous: true, Err: err}
}
