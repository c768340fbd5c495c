package publisher

import (
	"context"
	"time"
)

// This file declares the registry's own records — the lineage of
// organisations (renames, merges), nodal-officer handovers, officers'
// versions and proposed changes, accounts' registry details, and import
// batches — and the store that keeps them (RegistryStore).
//
// How merged organisations stay traceable: nothing of the publish history
// is rewritten. Posts and deliveries keep the organisation they were made
// by; a merge is an OrgEvent naming the organisations merged (FromOrgIDs)
// into the survivor (OrgID), and queries follow the events (OrgLineage):
// the survivor's history, compliance and reach include its predecessors'.
// What must keep working after a merge moves for real — the accounts, the
// editors' user accounts, child organisations — and the event lists every
// object it moved and from where (Moved), so that each one can be traced
// back. The predecessors stay in the registry, closed (ActiveTo).

// OrgEventKind is what happened to an organisation.
type OrgEventKind string

// Organisation event kinds.
const (
	OrgEventRename OrgEventKind = "rename" // names (or code) changed
	OrgEventUpdate OrgEventKind = "update" // other details changed (type, parent, district, dates)
	OrgEventMerge  OrgEventKind = "merge"  // FromOrgIDs merged into OrgID
)

// OrgEventStatus tells whether an event's steps have all run.
type OrgEventStatus string

// Organisation event statuses. A merge is written as "running" before its
// steps and "done" after them; a running one is resumed (its steps are
// idempotent) by ResumeOrgEvent.
const (
	OrgEventRunning OrgEventStatus = "running"
	OrgEventDone    OrgEventStatus = "done"
)

// OrgSnapshot is an organisation's details at one moment.
type OrgSnapshot struct {
	Code       string     `json:"code"`
	Type       OrgType    `json:"type"`
	ParentID   string     `json:"parentId,omitempty"`
	NameEN     string     `json:"nameEn"`
	NameHI     string     `json:"nameHi"`
	District   string     `json:"district,omitempty"`
	ActiveFrom *time.Time `json:"activeFrom,omitempty"`
	ActiveTo   *time.Time `json:"activeTo,omitempty"`
}

// SnapshotOf returns o's details.
func SnapshotOf(o *Organisation) *OrgSnapshot {
	return &OrgSnapshot{Code: o.Code, Type: o.Type, ParentID: o.ParentID, NameEN: o.NameEN, NameHI: o.NameHI, District: o.District,
		ActiveFrom: o.ActiveFrom, ActiveTo: o.ActiveTo}
}

// MovedObject is one object a merge moved, and where it came from.
type MovedObject struct {
	ID        string `json:"id"`
	FromOrgID string `json:"fromOrgId"`
	Label     string `json:"label,omitempty"` // a handle, an e-mail, a code: for people reading the history
}

// MergeMoves lists what a merge moved to the surviving organisation.
type MergeMoves struct {
	Accounts      []MovedObject `json:"accounts,omitempty"`
	Users         []MovedObject `json:"users,omitempty"`
	Children      []MovedObject `json:"children,omitempty"`      // organisations whose parent was a merged one
	OfficersEnded []MovedObject `json:"officersEnded,omitempty"` // terms ended by the merge
	// Posts not yet publishing (drafts, in review, sent back, approved and
	// waiting), which carry on under the survivor with their authors.
	// Clarifications stay with their fake-news cases.
	Posts []MovedObject `json:"posts,omitempty"`
}

// OrgEvent is one entry of an organisation's lineage.
type OrgEvent struct {
	ID   string       `json:"id"`
	Kind OrgEventKind `json:"kind"`
	// OrgID is the organisation renamed or updated, or the survivor of a
	// merge; FromOrgIDs are the organisations merged into it.
	OrgID       string         `json:"orgId"`
	FromOrgIDs  []string       `json:"fromOrgIds,omitempty"`
	EffectiveAt time.Time      `json:"effectiveAt"`
	OrderRef    string         `json:"orderRef,omitempty"` // the government order
	Note        string         `json:"note,omitempty"`
	Before      *OrgSnapshot   `json:"before,omitempty"`
	After       *OrgSnapshot   `json:"after,omitempty"`
	Moved       *MergeMoves    `json:"moved,omitempty"`
	Status      OrgEventStatus `json:"status"`
	ActorID     string         `json:"actorId,omitempty"`
	CreatedAt   time.Time      `json:"createdAt"`
	UpdatedAt   time.Time      `json:"updatedAt"`
}

// OrgIDs returns every organisation the event is about.
func (e *OrgEvent) OrgIDs() []string { return append([]string{e.OrgID}, e.FromOrgIDs...) }

// OrgEventFilter selects organisation events. Zero fields do not filter.
type OrgEventFilter struct {
	// OrgIDs keeps events about any of these organisations (as OrgID or
	// among FromOrgIDs).
	OrgIDs []string
	Kind   OrgEventKind
	Status OrgEventStatus
}

// HandoverStatus is where a nodal officer's handover is.
type HandoverStatus string

// Handover statuses.
const (
	// HandoverRunning: the old term is being ended, the new officer
	// appointed, access revoked and people notified (resumable).
	HandoverRunning HandoverStatus = "running"
	// HandoverRotation: done, but not every account's credentials have
	// been confirmed rotated.
	HandoverRotation HandoverStatus = "rotation_pending"
	// HandoverComplete: every account's credentials were rotated.
	HandoverComplete HandoverStatus = "complete"
)

// RotationItem is one account whose credentials must change after a
// handover (the old officer knew them).
type RotationItem struct {
	AccountID string     `json:"accountId"`
	Platform  Platform   `json:"platform"`
	Handle    string     `json:"handle"`
	RotatedAt *time.Time `json:"rotatedAt,omitempty"`
	RotatedBy string     `json:"rotatedBy,omitempty"`
}

// Handover records a change of an organisation's nodal (or alternate)
// officer: the old term ended, the new officer appointed, the old
// officer's access revoked, the accounts listed for credential rotation.
type Handover struct {
	ID            string      `json:"id"`
	OrgID         string      `json:"orgId"`
	Kind          OfficerKind `json:"kind"`
	FromOfficerID string      `json:"fromOfficerId,omitempty"`
	ToOfficerID   string      `json:"toOfficerId"`
	// Appointed is the new officer's record as planned, so that an
	// interrupted handover can be finished (ResumeHandover). Its contact
	// details are personal data, shown under the same rules as officers'.
	Appointed *Officer `json:"appointed,omitempty"`
	// FromUserID is the old officer's user account; AccessRevoked says
	// whether it was disabled (AccessNote says why not, if not).
	FromUserID    string         `json:"fromUserId,omitempty"`
	AccessRevoked bool           `json:"accessRevoked"`
	AccessNote    string         `json:"accessNote,omitempty"`
	EffectiveAt   time.Time      `json:"effectiveAt"`
	Note          string         `json:"note,omitempty"`
	Accounts      []RotationItem `json:"accounts,omitempty"`
	Status        HandoverStatus `json:"status"`
	ActorID       string         `json:"actorId,omitempty"`
	CreatedAt     time.Time      `json:"createdAt"`
	UpdatedAt     time.Time      `json:"updatedAt"`
	CompletedAt   *time.Time     `json:"completedAt,omitempty"`
}

// HandoverFilter selects handovers, newest first. Zero fields do not
// filter.
type HandoverFilter struct {
	OrgID    string
	Statuses []HandoverStatus
	Limit    int
}

// OfficerRevision is one version of an officer's record, kept whenever it
// changes, so that the history shows every version.
type OfficerRevision struct {
	ID        string    `json:"id"`
	OfficerID string    `json:"officerId"`
	OrgID     string    `json:"orgId"`
	Officer   Officer   `json:"officer"`
	Reason    string    `json:"reason"` // appointed, edited, change_approved, term_ended, imported, merged
	ChangeID  string    `json:"changeId,omitempty"`
	ActorID   string    `json:"actorId,omitempty"`
	At        time.Time `json:"at"`
}

// OfficerRevisionFilter selects revisions, oldest first.
type OfficerRevisionFilter struct {
	OfficerID string
	OrgID     string
}

// OfficerChangeStatus is where a proposed change of officer details is.
type OfficerChangeStatus string

// Officer change statuses.
const (
	ChangePending  OfficerChangeStatus = "pending"
	ChangeApproved OfficerChangeStatus = "approved"
	ChangeRejected OfficerChangeStatus = "rejected"
)

// OfficerEdit is the editable part of an officer's record.
type OfficerEdit struct {
	Name           string `json:"name"`
	Designation    string `json:"designation"`
	Posting        string `json:"posting"`
	Rank           string `json:"rank"`
	Email          string `json:"email"`
	Phone          string `json:"phone"`
	AccountDetails string `json:"accountDetails"`
	OrderRef       string `json:"orderRef"`
}

// OfficerChange is an editor's change of officer details, waiting for an
// administrator's confirmation. Before and the proposal both stay.
type OfficerChange struct {
	ID          string              `json:"id"`
	OfficerID   string              `json:"officerId"`
	OrgID       string              `json:"orgId"`
	Before      Officer             `json:"before"`
	Proposed    OfficerEdit         `json:"proposed"`
	Comment     string              `json:"comment,omitempty"`
	Status      OfficerChangeStatus `json:"status"`
	RequestedBy string              `json:"requestedBy"`
	RequestedAt time.Time           `json:"requestedAt"`
	DecidedBy   string              `json:"decidedBy,omitempty"`
	DecidedAt   *time.Time          `json:"decidedAt,omitempty"`
	Decision    string              `json:"decision,omitempty"` // the administrator's comment
}

// OfficerChangeFilter selects proposed changes, newest first.
type OfficerChangeFilter struct {
	OrgID     string
	OfficerID string
	Status    OfficerChangeStatus
}

// Verification is an account's verification with its platform.
type Verification string

// Verification states.
const (
	VerificationUnknown    Verification = "unknown"
	VerificationUnverified Verification = "unverified"
	VerificationRequested  Verification = "requested"
	VerificationVerified   Verification = "verified"
)

// TwoFactor is whether an account's login has a second factor.
type TwoFactor string

// Two-factor states.
const (
	TwoFactorUnknown  TwoFactor = "unknown"
	TwoFactorEnabled  TwoFactor = "enabled"
	TwoFactorDisabled TwoFactor = "disabled"
)

// AccountProfile is what the registry knows about an account beyond what
// publishing needs: its verification, whether its login has a second
// factor, and the official recovery e-mail. No passwords are kept.
type AccountProfile struct {
	AccountID    string       `json:"accountId"`
	Verification Verification `json:"verification"`
	// Badge is the verification mark where the platform has several
	// (X: blue, grey for government, gold for organisations).
	Badge         string    `json:"badge,omitempty"`
	TwoFactor     TwoFactor `json:"twoFactor"`
	RecoveryEmail string    `json:"recoveryEmail,omitempty"`
	Notes         string    `json:"notes,omitempty"`
	UpdatedBy     string    `json:"updatedBy,omitempty"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// ImportStatus is where an import batch is.
type ImportStatus string

// Import statuses.
const (
	ImportWriting ImportStatus = "writing" // validated; writes in progress (or interrupted: resume it)
	ImportDone    ImportStatus = "done"
	ImportFailed  ImportStatus = "failed" // a write failed; resuming finishes it
)

// ImportBatch is a validated import and how far its writes got. Every
// object it creates has its id fixed in Plan before the first write, so
// writing it again after an interruption creates nothing twice.
type ImportBatch struct {
	ID        string        `json:"id"`
	Filename  string        `json:"filename"`
	Format    string        `json:"format"`
	Status    ImportStatus  `json:"status"`
	Plan      ImportPlan    `json:"plan"`
	Summary   ImportSummary `json:"summary"`
	Written   int           `json:"written"` // steps of Plan done
	Error     string        `json:"error,omitempty"`
	ActorID   string        `json:"actorId,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
}

// OrgActivity is what an organisation published in a period.
type OrgActivity struct {
	OrgID           string    `json:"orgId"`
	Posts           int       `json:"posts"`      // distinct posts with a published delivery
	Deliveries      int       `json:"deliveries"` // published deliveries
	LastPublishedAt time.Time `json:"lastPublishedAt"`
}

// RegistryStore keeps the registry's own records.
type RegistryStore interface {
	// CreateOrgEvent inserts e. Returns ECONFLICT if e.ID exists.
	CreateOrgEvent(ctx context.Context, e *OrgEvent) error
	// UpdateOrgEvent replaces e. Returns ENOTFOUND if it does not exist.
	UpdateOrgEvent(ctx context.Context, e *OrgEvent) error
	// ListOrgEvents returns the events matching f, by EffectiveAt, then
	// CreatedAt, then ID.
	ListOrgEvents(ctx context.Context, f OrgEventFilter) ([]*OrgEvent, error)

	// CreateHandover inserts h. Returns ECONFLICT if h.ID exists, or if h
	// is running while another handover of the same organisation and kind
	// is running (of concurrent appointments, one wins).
	CreateHandover(ctx context.Context, h *Handover) error
	// UpdateHandover replaces h. Returns ENOTFOUND if it does not exist.
	UpdateHandover(ctx context.Context, h *Handover) error
	// GetHandover returns ENOTFOUND if there is no such handover.
	GetHandover(ctx context.Context, id string) (*Handover, error)
	// ListHandovers returns handovers matching f, newest (CreatedAt) first.
	ListHandovers(ctx context.Context, f HandoverFilter) ([]*Handover, error)

	// AddOfficerRevision inserts r. Returns ECONFLICT if r.ID exists.
	AddOfficerRevision(ctx context.Context, r *OfficerRevision) error
	// ListOfficerRevisions returns revisions matching f, oldest (At) first.
	ListOfficerRevisions(ctx context.Context, f OfficerRevisionFilter) ([]*OfficerRevision, error)

	// CreateOfficerChange inserts c. Returns ECONFLICT if c.ID exists.
	CreateOfficerChange(ctx context.Context, c *OfficerChange) error
	// GetOfficerChange returns ENOTFOUND if there is no such change.
	GetOfficerChange(ctx context.Context, id string) (*OfficerChange, error)
	// DecideOfficerChange replaces c if the stored change is still
	// pending. Returns ENOTFOUND if it does not exist and ECONFLICT if it
	// was decided already.
	DecideOfficerChange(ctx context.Context, c *OfficerChange) error
	// ListOfficerChanges returns changes matching f, newest (RequestedAt)
	// first.
	ListOfficerChanges(ctx context.Context, f OfficerChangeFilter) ([]*OfficerChange, error)

	// PutAccountProfile creates or replaces the profile of p.AccountID.
	PutAccountProfile(ctx context.Context, p *AccountProfile) error
	// ListAccountProfiles returns the profiles of the given accounts (all
	// profiles for an empty list), by account id. Accounts without a
	// profile are left out.
	ListAccountProfiles(ctx context.Context, accountIDs []string) ([]*AccountProfile, error)

	// CreateImportBatch inserts b. Returns ECONFLICT if b.ID exists.
	CreateImportBatch(ctx context.Context, b *ImportBatch) error
	// UpdateImportBatch replaces b. Returns ENOTFOUND if it does not exist.
	UpdateImportBatch(ctx context.Context, b *ImportBatch) error
	// GetImportBatch returns ENOTFOUND if there is no such batch.
	GetImportBatch(ctx context.Context, id string) (*ImportBatch, error)
	// ListImportBatches returns the newest batches (CreatedAt), at most
	// limit (0: all).
	ListImportBatches(ctx context.Context, limit int) ([]*ImportBatch, error)

	// PublishedActivity returns, per organisation, the deliveries
	// published (status published) at or after since: how many, of how
	// many distinct posts, and the latest PublishedAt. Organisations with
	// none are left out; the result is ordered by OrgID.
	PublishedActivity(ctx context.Context, since time.Time) ([]*OrgActivity, error)
}
