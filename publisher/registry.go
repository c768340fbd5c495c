package publisher

import "time"

// OrgType is the kind of a government body.
type OrgType string

// The kinds of organisation the registry knows.
const (
	OrgDepartment  OrgType = "department"
	OrgBoard       OrgType = "board"
	OrgCorporation OrgType = "corporation"
	OrgAuthority   OrgType = "authority"
	OrgCommission  OrgType = "commission"
	OrgDistrict    OrgType = "district"
)

// OrgTypes lists every OrgType in display order.
var OrgTypes = []OrgType{OrgDepartment, OrgBoard, OrgCorporation, OrgAuthority, OrgCommission, OrgDistrict}

// Valid reports whether t is a known organisation type.
func (t OrgType) Valid() bool {
	for _, k := range OrgTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Organisation is a department, board, corporation, authority, commission
// or district administration.
type Organisation struct {
	ID         string     `json:"id"`
	Code       string     `json:"code"` // short unique label, e.g. "AGRI"
	Type       OrgType    `json:"type"`
	ParentID   string     `json:"parentId,omitempty"`
	NameEN     string     `json:"nameEn"`
	NameHI     string     `json:"nameHi"`
	District   string     `json:"district,omitempty"`
	ActiveFrom *time.Time `json:"activeFrom,omitempty"`
	ActiveTo   *time.Time `json:"activeTo,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
}

// OrgFilter selects organisations. Zero fields do not filter.
type OrgFilter struct {
	IDs  []string
	Type OrgType
}

// OfficerKind tells a nodal officer from the alternate.
type OfficerKind string

// Officer kinds.
const (
	OfficerNodal     OfficerKind = "nodal"
	OfficerAlternate OfficerKind = "alternate"
)

// Officer is an organisation's nodal (or alternate) officer, with the fields
// the directive asks for. Email and Phone are personal data.
type Officer struct {
	ID             string      `json:"id"`
	OrgID          string      `json:"orgId"`
	Kind           OfficerKind `json:"kind"`
	Name           string      `json:"name"`
	Designation    string      `json:"designation"`
	Posting        string      `json:"posting"`
	Rank           string      `json:"rank,omitempty"`
	Email          string      `json:"email,omitempty"`
	Phone          string      `json:"phone,omitempty"`
	AccountDetails string      `json:"accountDetails,omitempty"`
	OrderRef       string      `json:"orderRef,omitempty"`
	UserID         string      `json:"userId,omitempty"`
	StartDate      time.Time   `json:"startDate"`
	EndDate        *time.Time  `json:"endDate,omitempty"`
	CreatedAt      time.Time   `json:"createdAt"`
	UpdatedAt      time.Time   `json:"updatedAt"`
}

// Current reports whether the officer's term covers t.
func (o *Officer) Current(t time.Time) bool {
	return !o.StartDate.After(t) && (o.EndDate == nil || o.EndDate.After(t))
}

// OfficerFilter selects officers. Zero fields do not filter.
type OfficerFilter struct {
	OrgID string
	// CurrentAt, when set, keeps only officers whose term covers it.
	CurrentAt time.Time
}

// Role is what a user may do.
type Role string

// The roles.
const (
	RoleAdmin    Role = "admin"    // Digital Media Section administrators
	RoleApprover Role = "approver" // PR section reviewers
	RoleEditor   Role = "editor"   // an organisation's nodal officer or staff
	RoleViewer   Role = "viewer"   // CM office, Chief Secretary, auditors: read-only
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleApprover, RoleEditor, RoleViewer:
		return true
	}
	return false
}

// User is a person who signs in. Editors belong to one organisation.
type User struct {
	ID           string     `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Role         Role       `json:"role"`
	OrgID        string     `json:"orgId,omitempty"`
	Lang         string     `json:"lang"` // "hi" or "en"
	PasswordHash string     `json:"-"`
	Disabled     bool       `json:"disabled"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	LastLoginAt  *time.Time `json:"lastLoginAt,omitempty"`
}

// UserFilter selects users. Zero fields do not filter.
type UserFilter struct {
	OrgID string
	Role  Role
}

// Session is a signed-in browser. ID is the SHA-256 of the cookie's token,
// so a leaked store does not leak live sessions.
type Session struct {
	ID        string    `json:"-"`
	UserID    string    `json:"userId"`
	CSRFToken string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// AuditEvent records one state change. The log is append-only.
type AuditEvent struct {
	ID         string            `json:"id"`
	At         time.Time         `json:"at"`
	ActorID    string            `json:"actorId,omitempty"` // empty for the system
	ActorRole  Role              `json:"actorRole,omitempty"`
	Action     string            `json:"action"` // e.g. "post.approve"
	ObjectType string            `json:"objectType"`
	ObjectID   string            `json:"objectId"`
	OrgID      string            `json:"orgId,omitempty"`
	Details    map[string]string `json:"details,omitempty"`
}

// AuditFilter selects audit events, newest first.
type AuditFilter struct {
	OrgID    string
	ObjectID string
	ActorID  string
	Limit    int
	Offset   int
}

// Media is an uploaded image. The bytes are kept by the MediaStore.
type Media struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"orgId"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	SHA256      string    `json:"sha256"`
	UploadedBy  string    `json:"uploadedBy"`
	CreatedAt   time.Time `json:"createdAt"`
}
