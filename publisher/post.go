package publisher

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// PostStatus is where a post is in its review and publishing workflow.
//
//	draft ──submit──▶ in_review ──approve──▶ approved ──fan-out──▶ publishing
//	  ▲                │    │                   │
//	  └─changes_requested◀┘  └─▶ rejected        └─edit──▶ in_review (review reopens)
//
//	publishing ──retract──▶ retracted (deleted where the platforms allow it)
//	in_review ──expire──▶ changes_requested (its scheduled time passed, plus the missed window, unapproved)
//	approved ──cancel──▶ cancelled (before its fan-out)
type PostStatus string

// Post statuses.
const (
	PostDraft            PostStatus = "draft"
	PostInReview         PostStatus = "in_review"
	PostChangesRequested PostStatus = "changes_requested"
	PostRejected         PostStatus = "rejected"
	PostApproved         PostStatus = "approved"   // approved, waiting for its time or for fan-out
	PostPublishing       PostStatus = "publishing" // fanned out: see its deliveries
	PostCancelled        PostStatus = "cancelled"
	// PostRetracted posts were published and then withdrawn: deleted on
	// every platform that allows it (retract.go).
	PostRetracted PostStatus = "retracted"
)

// PostStatuses lists every post status, for filters and validation.
var PostStatuses = []PostStatus{PostDraft, PostInReview, PostChangesRequested, PostRejected, PostApproved, PostPublishing, PostCancelled, PostRetracted}

// Valid reports whether s is a known post status.
func (s PostStatus) Valid() bool {
	for _, k := range PostStatuses {
		if k == s {
			return true
		}
	}
	return false
}

// Editable reports whether a post in this status may still be edited.
func (s PostStatus) Editable() bool {
	switch s {
	case PostDraft, PostInReview, PostChangesRequested, PostRejected, PostApproved:
		return true
	}
	return false
}

// PostKind tells ordinary posts from rebuttal clarifications.
type PostKind string

// Post kinds.
const (
	KindPost          PostKind = "post"
	KindClarification PostKind = "clarification"
)

// Variant is a per-platform override of a post's text.
type Variant struct {
	Text string `json:"text"`
}

// Content is what a post says: Hindi and/or English text, an optional link,
// images, and optional per-platform variants of the text.
type Content struct {
	BodyHI   string               `json:"bodyHi"`
	BodyEN   string               `json:"bodyEn"`
	Link     string               `json:"link,omitempty"`
	MediaIDs []string             `json:"mediaIds,omitempty"`
	AltText  string               `json:"altText,omitempty"`
	Variants map[Platform]Variant `json:"variants,omitempty"`
}

// TextFor returns the text to publish on platform p: its variant if one is
// set, otherwise the Hindi and English bodies, Hindi first, separated by a
// blank line.
func (c *Content) TextFor(p Platform) string {
	if v, ok := c.Variants[p]; ok && strings.TrimSpace(v.Text) != "" {
		return strings.TrimSpace(v.Text)
	}
	var parts []string
	if t := strings.TrimSpace(c.BodyHI); t != "" {
		parts = append(parts, t)
	}
	if t := strings.TrimSpace(c.BodyEN); t != "" {
		parts = append(parts, t)
	}
	return strings.Join(parts, "\n\n")
}

// Languages returns the BCP-47 codes of the languages the content has.
func (c *Content) Languages() []string {
	var l []string
	if strings.TrimSpace(c.BodyHI) != "" {
		l = append(l, "hi")
	}
	if strings.TrimSpace(c.BodyEN) != "" {
		l = append(l, "en")
	}
	return l
}

// Hash returns a stable hash of the content and targets.
func (c *Content) Hash(targets []string) string {
	b, _ := json.Marshal(struct {
		C *Content
		T []string
	}{c, targets})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// ReviewEntry is one step of a post's review trail.
type ReviewEntry struct {
	At       time.Time `json:"at"`
	UserID   string    `json:"userId"`
	UserName string    `json:"userName,omitempty"`
	Action   string    `json:"action"` // create, edit, submit, approve, reject, request_changes, reopen, cancel, publish, expire, retract
	Revision int       `json:"revision"`
	Comment  string    `json:"comment,omitempty"`
}

// Post is written once by an organisation and published to its accounts.
type Post struct {
	ID          string     `json:"id"`
	OrgID       string     `json:"orgId"`
	AuthorID    string     `json:"authorId"`
	Kind        PostKind   `json:"kind"`
	CaseID      string     `json:"caseId,omitempty"`
	Title       string     `json:"title"`
	Status      PostStatus `json:"status"`
	Revision    int        `json:"revision"` // increments with every edit of content or targets
	Content     Content    `json:"content"`
	Targets     []string   `json:"targets"` // account ids
	ContentHash string     `json:"contentHash"`
	ScheduledAt *time.Time `json:"scheduledAt,omitempty"`

	SubmittedAt      *time.Time `json:"submittedAt,omitempty"`
	ApprovedRevision int        `json:"approvedRevision,omitempty"`
	ApprovedBy       string     `json:"approvedBy,omitempty"`
	ApprovedAt       *time.Time `json:"approvedAt,omitempty"`
	// FanoutRevision is the revision whose deliveries exist (0: none yet).
	FanoutRevision int           `json:"fanoutRevision,omitempty"`
	Review         []ReviewEntry `json:"review"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Version increments with every write; stores refuse a write whose
	// expected version is stale (optimistic concurrency).
	Version int64 `json:"version"`
}

// PostRevision is a snapshot of a post's content at one revision. Deliveries
// publish the approved revision's snapshot, whatever the post says later.
type PostRevision struct {
	PostID      string    `json:"postId"`
	Revision    int       `json:"revision"`
	Content     Content   `json:"content"`
	Targets     []string  `json:"targets"`
	ContentHash string    `json:"contentHash"`
	EditedBy    string    `json:"editedBy"`
	EditedAt    time.Time `json:"editedAt"`
}

// PostFilter selects posts, most recently updated first (or, with
// OldestFirst, longest waiting first).
type PostFilter struct {
	// IDs keeps the posts with these ids (an empty list: no filter), for
	// batch look-ups.
	IDs      []string
	OrgID    string
	Statuses []PostStatus
	AuthorID string
	Kind     PostKind
	// OldestFirst orders by SubmittedAt, then CreatedAt, then ID, each
	// ascending; posts never submitted (no SubmittedAt) come first. It is
	// the review queue's order: the post waiting longest since it was
	// (last) submitted comes first.
	OldestFirst bool
	// UpdatedAfter keeps posts changed after it (zero: no limit).
	UpdatedAfter time.Time
	Limit        int
	Offset       int
}
