package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// T0 is the suite's reference time: a whole millisecond, in UTC. Builders
// date what they make from it.
var T0 = time.Date(2025, time.March, 3, 9, 30, 0, 0, time.UTC)

// ist is India Standard Time: values written in it must come back as the
// same instant.
var ist = time.FixedZone("IST", 5*3600+1800)

func ptr[T any](v T) *T { return &v }

// at returns T0 moved by d.
func at(d time.Duration) time.Time { return T0.Add(d) }

// atp returns a pointer to T0 moved by d.
func atp(d time.Duration) *time.Time { return ptr(T0.Add(d)) }

// uniq returns a short random lower-case suffix for codes, e-mails and
// external ids.
func uniq() string { return publisher.NewToken(5) }

// NewOrg stores and returns a new department with every field set and a
// unique code; opts change it before it is stored.
func NewOrg(t testing.TB, s publisher.OrgStore, opts ...func(*publisher.Organisation)) *publisher.Organisation {
	t.Helper()
	o := &publisher.Organisation{
		ID: publisher.NewID(), Code: "ORG-" + strings.ToUpper(uniq()), Type: publisher.OrgDepartment,
		ParentID: "parent-" + uniq(), NameEN: "Department of Agriculture", NameHI: "कृषि विभाग", District: "Jaipur",
		ActiveFrom: atp(-365 * 24 * time.Hour), ActiveTo: atp(365 * 24 * time.Hour),
		CreatedAt: T0, UpdatedAt: T0.Add(time.Minute),
	}
	for _, f := range opts {
		f(o)
	}
	Must(t, "CreateOrg", s.CreateOrg(t.Context(), o))
	return o
}

// NewOfficer stores and returns a nodal officer of orgID with every field
// set; opts change it before it is stored.
func NewOfficer(t testing.TB, s publisher.OfficerStore, orgID string, opts ...func(*publisher.Officer)) *publisher.Officer {
	t.Helper()
	o := &publisher.Officer{
		ID: publisher.NewID(), OrgID: orgID, Kind: publisher.OfficerNodal, Name: "Meena Sharma", Designation: "Joint Director",
		Posting: "Secretariat, Jaipur", Rank: "RAS", Email: "meena." + uniq() + "@rajasthan.gov.in", Phone: "+91 141 222 3333",
		AccountDetails: "@AgriRaj (X), AgriRajasthan (Facebook)", OrderRef: "F.1(2)DIPR/2025", UserID: "user-" + uniq(),
		StartDate: at(-30 * 24 * time.Hour), EndDate: atp(335 * 24 * time.Hour), CreatedAt: T0, UpdatedAt: T0.Add(time.Second),
	}
	for _, f := range opts {
		f(o)
	}
	Must(t, "CreateOfficer", s.CreateOfficer(t.Context(), o))
	return o
}

// NewAccount stores and returns a connected account of orgID on platform p
// with every field set and a unique external id; opts change it before it
// is stored.
func NewAccount(t testing.TB, s publisher.AccountStore, orgID string, p publisher.Platform, opts ...func(*publisher.Account)) *publisher.Account {
	t.Helper()
	h := uniq()
	a := &publisher.Account{
		ID: publisher.NewID(), OrgID: orgID, Platform: p, Handle: "@agri_" + h, DisplayName: "Agriculture Department " + h,
		ExternalID: "ext-" + h, ProfileURL: "https://example.net/agri_" + h, Status: publisher.AccountConnected,
		StatusReason: "connected by the nodal officer", Sandbox: true, Secret: "v1.sealed." + h,
		TokenExpiresAt: atp(60 * 24 * time.Hour), Scopes: []string{"publish", "read"}, CreatedAt: T0, UpdatedAt: T0.Add(time.Hour),
	}
	for _, f := range opts {
		f(a)
	}
	Must(t, "CreateAccount", s.CreateAccount(t.Context(), a))
	return a
}

// NewUser stores and returns an editor of orgID with every field set and a
// unique lower-case e-mail; opts change it before it is stored.
func NewUser(t testing.TB, s publisher.UserStore, orgID string, opts ...func(*publisher.User)) *publisher.User {
	t.Helper()
	u := &publisher.User{
		ID: publisher.NewID(), Email: "editor." + uniq() + "@rajasthan.gov.in", Name: "Ravi Kumar", Role: publisher.RoleEditor,
		OrgID: orgID, Lang: "hi", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$" + uniq(), Disabled: false,
		CreatedAt: T0, UpdatedAt: T0.Add(time.Minute), LastLoginAt: atp(2 * time.Hour),
	}
	for _, f := range opts {
		f(u)
	}
	Must(t, "CreateUser", s.CreateUser(t.Context(), u))
	return u
}

// NewSession stores and returns a session of userID that expires at
// expires.
func NewSession(t testing.TB, s publisher.SessionStore, userID string, expires time.Time) *publisher.Session {
	t.Helper()
	tok := publisher.NewToken(32)
	ss := &publisher.Session{ID: publisher.HashToken(tok), UserID: userID, CSRFToken: publisher.NewToken(20),
		CreatedAt: expires.Add(-12 * time.Hour), ExpiresAt: expires}
	Must(t, "CreateSession", s.CreateSession(t.Context(), ss))
	return ss
}

// PostValue returns an unsaved post of orgID by authorID, at revision 1,
// with every field set, and its first revision.
func PostValue(orgID, authorID string) (*publisher.Post, *publisher.PostRevision) {
	c := publisher.Content{
		BodyHI: "किसानों के लिए नई योजना", BodyEN: "A new scheme for farmers", Link: "https://agriculture.rajasthan.gov.in/scheme",
		MediaIDs: []string{"media-1", "media-2"}, AltText: "Farmers in a field",
		Variants: map[publisher.Platform]publisher.Variant{publisher.X: {Text: "New scheme for farmers #Rajasthan"}},
	}
	targets := []string{"acct-1", "acct-2"}
	p := &publisher.Post{
		ID: publisher.NewID(), OrgID: orgID, AuthorID: authorID, Kind: publisher.KindPost, CaseID: "case-7", Title: "New scheme",
		Status: publisher.PostDraft, Revision: 1, Content: c, Targets: targets, ContentHash: c.Hash(targets),
		ScheduledAt: atp(48 * time.Hour), SubmittedAt: atp(time.Hour), ApprovedRevision: 1, ApprovedBy: "approver-1",
		ApprovedAt: atp(2 * time.Hour), FanoutRevision: 1,
		Review: []publisher.ReviewEntry{
			{At: T0, UserID: authorID, UserName: "Ravi Kumar", Action: "create", Revision: 1},
			{At: T0.Add(time.Hour), UserID: authorID, UserName: "Ravi Kumar", Action: "submit", Revision: 1, Comment: "Please approve"},
		},
		CreatedAt: T0, UpdatedAt: T0.Add(2 * time.Hour),
	}
	rev := &publisher.PostRevision{PostID: p.ID, Revision: 1, Content: c, Targets: targets, ContentHash: p.ContentHash,
		EditedBy: authorID, EditedAt: T0}
	return p, rev
}

// NewPost stores and returns a post of orgID by authorID (see PostValue)
// with its first revision; opts change the post before it is stored, and
// the revision is then taken from the post's content and targets.
func NewPost(t testing.TB, s publisher.PostStore, orgID, authorID string, opts ...func(*publisher.Post)) *publisher.Post {
	t.Helper()
	p, rev := PostValue(orgID, authorID)
	for _, f := range opts {
		f(p)
	}
	rev.PostID, rev.Revision, rev.Content, rev.Targets, rev.ContentHash = p.ID, p.Revision, p.Content, p.Targets, p.ContentHash
	Must(t, "CreatePost", s.CreatePost(t.Context(), p, rev))
	return p
}

// DeliveryValue returns an unsaved queued delivery of revision rev of post
// p to account a, created at created, as a fan-out makes it.
func DeliveryValue(p *publisher.Post, rev int, a *publisher.Account, created time.Time) *publisher.Delivery {
	return &publisher.Delivery{
		ID: publisher.DeliveryID(p.ID, rev, a.ID), PostID: p.ID, Revision: rev, AccountID: a.ID, OrgID: p.OrgID,
		Platform: a.Platform, Status: publisher.DeliveryQueued, CreatedAt: created, UpdatedAt: created,
	}
}

// NewDeliveries stores and returns the queued deliveries of post p's
// current revision to accounts, created at created.
func NewDeliveries(t testing.TB, s publisher.DeliveryStore, p *publisher.Post, created time.Time, accounts ...*publisher.Account) []*publisher.Delivery {
	t.Helper()
	ds := make([]*publisher.Delivery, len(accounts))
	for i, a := range accounts {
		ds[i] = DeliveryValue(p, p.Revision, a, created)
	}
	n, err := s.CreateDeliveries(t.Context(), ds)
	Must(t, "CreateDeliveries", err)
	if n != len(ds) {
		t.Fatalf("CreateDeliveries inserted %d of %d new deliveries", n, len(ds))
	}
	return ds
}

// NewMedia stores data as a PNG image of orgID and returns its metadata.
func NewMedia(t testing.TB, s publisher.MediaStore, orgID string, data []byte) *publisher.Media {
	t.Helper()
	sum := sha256.Sum256(data)
	m := &publisher.Media{ID: publisher.NewID(), OrgID: orgID, Filename: "scheme-poster.png", ContentType: "image/png",
		Size: int64(len(data)), Width: 1080, Height: 1350, SHA256: hex.EncodeToString(sum[:]), UploadedBy: "user-" + uniq(), CreatedAt: T0}
	Must(t, "PutMedia", s.PutMedia(t.Context(), m, data))
	return m
}

// RandomBytes returns n random bytes.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Fixture is a small registry most cases start from: an organisation, an
// author and one account on each of three platforms.
type Fixture struct {
	Org      *publisher.Organisation
	Author   *publisher.User
	Accounts []*publisher.Account // X, Facebook, Mastodon
}

// NewFixture stores a Fixture in s.
func NewFixture(t testing.TB, s publisher.Store) *Fixture {
	t.Helper()
	o := NewOrg(t, s)
	f := &Fixture{Org: o, Author: NewUser(t, s, o.ID)}
	for _, p := range []publisher.Platform{publisher.X, publisher.Facebook, publisher.Mastodon} {
		f.Accounts = append(f.Accounts, NewAccount(t, s, o.ID, p))
	}
	return f
}
