package publisher

import "time"

// DeliveryStatus is where one post revision's delivery to one account is.
//
//	queued ─claim─▶ sending ─▶ published
//	  ▲               │  ├───▶ retrying ─(due)─▶ sending …
//	  │               │  ├───▶ failed            (rejected, or out of retries)
//	  │               │  ├───▶ needs_reconnect   (the account's token broke)
//	  │               │  └───▶ unconfirmed       (the platform may have posted; a person checks)
//	  └──── manual retry / reconnection ◀─┘
//
//	published ─(post retracted, deleted on the platform)─▶ retracted
//	queued, retrying, failed, needs_reconnect, unconfirmed ─(post retracted)─▶ cancelled
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryQueued         DeliveryStatus = "queued"
	DeliverySending        DeliveryStatus = "sending"
	DeliveryRetrying       DeliveryStatus = "retrying"
	DeliveryPublished      DeliveryStatus = "published"
	DeliveryFailed         DeliveryStatus = "failed"
	DeliveryNeedsReconnect DeliveryStatus = "needs_reconnect"
	DeliveryUnconfirmed    DeliveryStatus = "unconfirmed"
	DeliveryCancelled      DeliveryStatus = "cancelled"
	// DeliveryRetracted deliveries were published and then deleted from
	// the platform when their post was retracted (retract.go).
	DeliveryRetracted DeliveryStatus = "retracted"
)

// DeliveryStatuses lists every status, for filters and validation.
var DeliveryStatuses = []DeliveryStatus{DeliveryQueued, DeliverySending, DeliveryRetrying, DeliveryPublished,
	DeliveryFailed, DeliveryNeedsReconnect, DeliveryUnconfirmed, DeliveryCancelled, DeliveryRetracted}

// Valid reports whether s is a known delivery status.
func (s DeliveryStatus) Valid() bool {
	for _, k := range DeliveryStatuses {
		if k == s {
			return true
		}
	}
	return false
}

// Final reports whether no worker will act on a delivery in this status
// without a person's action.
func (s DeliveryStatus) Final() bool {
	switch s {
	case DeliveryPublished, DeliveryFailed, DeliveryUnconfirmed, DeliveryCancelled, DeliveryNeedsReconnect, DeliveryRetracted:
		return true
	}
	return false
}

// ErrorClass is how a connector's error is handled.
type ErrorClass string

// Error classes.
const (
	ClassRetryable   ErrorClass = "retryable"    // network trouble, platform 5xx: try again later
	ClassRateLimited ErrorClass = "rate_limited" // wait until the platform's reset time
	ClassAuth        ErrorClass = "auth"         // the account must be reconnected
	ClassRejected    ErrorClass = "rejected"     // the platform refused the content: no retry
)

// Delivery is one approved post revision on its way to one account.
type Delivery struct {
	ID        string         `json:"id"` // DeliveryID(PostID, Revision, AccountID)
	PostID    string         `json:"postId"`
	Revision  int            `json:"revision"`
	AccountID string         `json:"accountId"`
	OrgID     string         `json:"orgId"`
	Platform  Platform       `json:"platform"`
	Status    DeliveryStatus `json:"status"`

	// Attempts counts claims (calls to the platform or look-ups);
	// Failures counts retryable failures, which are bounded.
	Attempts int `json:"attempts"`
	Failures int `json:"failures"`

	// ClaimToken and LeaseUntil identify the worker holding the delivery
	// while it is "sending"; an expired lease lets another worker take over.
	ClaimToken string     `json:"-"`
	LeaseUntil *time.Time `json:"-"`
	// SendingSince is when the current (or last interrupted) call started.
	SendingSince *time.Time `json:"sendingSince,omitempty"`
	// NeedsLookup is set when an earlier call may have reached the platform
	// without its result being stored: the next attempt looks the post up on
	// the account before it posts again.
	NeedsLookup   bool       `json:"needsLookup,omitempty"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`

	ExternalID  string     `json:"externalId,omitempty"`
	ExternalURL string     `json:"externalUrl,omitempty"`
	PublishedAt *time.Time `json:"publishedAt,omitempty"`

	ErrorClass      ErrorClass `json:"errorClass,omitempty"`
	ErrorMessage    string     `json:"errorMessage,omitempty"`    // plain words, for people
	PlatformMessage string     `json:"platformMessage,omitempty"` // the platform's own message

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Attempt is one try at a delivery, kept for the history.
type Attempt struct {
	DeliveryID string     `json:"deliveryId"`
	N          int        `json:"n"`
	StartedAt  time.Time  `json:"startedAt"`
	EndedAt    time.Time  `json:"endedAt"`
	Outcome    string     `json:"outcome"` // published, found, not_found, retrying, failed, …
	ErrorClass ErrorClass `json:"errorClass,omitempty"`
	Message    string     `json:"message,omitempty"`
}

// DeliveryFilter selects deliveries, newest first. Zero fields do not filter.
type DeliveryFilter struct {
	OrgID     string
	PostID    string
	AccountID string
	Platform  Platform
	Statuses  []DeliveryStatus
	From, To  time.Time // on CreatedAt; To is exclusive
	Limit     int
	Offset    int
}

// Claim is a worker's request to take a delivery for one attempt.
type Claim struct {
	Token      string    // unique per attempt
	Now        time.Time // the claim succeeds only for deliveries due at Now
	LeaseUntil time.Time
}

// DeliveryResult is what a worker stores when an attempt ends.
type DeliveryResult struct {
	Status          DeliveryStatus
	Failures        int
	NeedsLookup     bool
	NextAttemptAt   *time.Time
	ExternalID      string
	ExternalURL     string
	PublishedAt     *time.Time
	ErrorClass      ErrorClass
	ErrorMessage    string
	PlatformMessage string
	At              time.Time
	// Attempt, when set, is appended to the delivery's attempts in the
	// same write as the result (one write instead of two per attempt).
	Attempt *Attempt
}

// DeliveryChange is a person's (or the reconciler's) conditional change of
// a delivery's status, for example a manual retry.
type DeliveryChange struct {
	From            []DeliveryStatus // the change applies only from these
	To              DeliveryStatus
	ResetFailures   bool
	NeedsLookup     *bool
	NextAttemptAt   *time.Time
	ExternalID      string
	ExternalURL     string
	PublishedAt     *time.Time
	ErrorClass      ErrorClass
	ErrorMessage    string
	PlatformMessage string
	At              time.Time
}

// DeliveryCounts counts deliveries by status.
type DeliveryCounts map[DeliveryStatus]int
