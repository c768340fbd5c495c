package publisher_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/passhash"
	"github.com/prasar/prasar/publisher/sqlitestore"
)

// clock is a controllable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// enqueued records what the service queued.
type enqueued struct {
	mu         sync.Mutex
	fanouts    []string
	deliveries []string
	at         map[string]time.Time
	fail       error
}

func (e *enqueued) EnqueueFanout(_ context.Context, postID string, rev int, at time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail != nil {
		return e.fail
	}
	id := fmt.Sprintf("%s:%d", postID, rev)
	e.fanouts = append(e.fanouts, id)
	if e.at == nil {
		e.at = map[string]time.Time{}
	}
	e.at[id] = at
	return nil
}

func (e *enqueued) EnqueueDelivery(_ context.Context, id string, _ publisher.Platform, _ time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail != nil {
		return e.fail
	}
	e.deliveries = append(e.deliveries, id)
	return nil
}

func (e *enqueued) counts() (int, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.fanouts), len(e.deliveries)
}

// fakeConnector is a platform whose behaviour each test scripts.
type fakeConnector struct {
	platform publisher.Platform
	rules    publisher.PlatformRules

	mu        sync.Mutex
	published []publisher.Message // what the "platform" has
	calls     int
	lookups   int
	// next errors returned by Publish, in order; when it is ambiguousCommit
	// the post is recorded and the error returned (answered, connection dropped).
	errs      []error
	lookupErr error
}

// ambiguousCommit makes Publish create the post and then fail ambiguously.
var ambiguousCommit = &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "connection reset after request was sent", Ambiguous: true}

func newFake(p publisher.Platform, maxChars int) *fakeConnector {
	return &fakeConnector{platform: p, rules: publisher.PlatformRules{Platform: p, MaxChars: maxChars, CountUnit: "characters", MaxImages: 4, Enabled: true, ImageTypes: []string{"image/jpeg", "image/png"}}}
}

func (f *fakeConnector) Platform() publisher.Platform   { return f.platform }
func (f *fakeConnector) Rules() publisher.PlatformRules { return f.rules }
func (f *fakeConnector) Measure(m publisher.Message) publisher.Measure {
	n := utf8.RuneCountInString(m.Text)
	if m.Link != "" {
		n += 1 + 23
	}
	return publisher.Measure{Count: n, Limit: f.rules.MaxChars}
}

func (f *fakeConnector) Publish(_ context.Context, a *publisher.Account, c publisher.Credentials, m publisher.Message) (*publisher.Published, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if c.AccessToken == "" {
		return nil, &publisher.PlatformError{Class: publisher.ClassAuth, Message: "no token"}
	}
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err == ambiguousCommit {
			f.published = append(f.published, m)
		}
		return nil, err
	}
	f.published = append(f.published, m)
	n := len(f.published)
	return &publisher.Published{ExternalID: fmt.Sprintf("%s_%d", a.ExternalID, n), URL: fmt.Sprintf("https://%s.example/%s/posts/%d", f.platform, a.ExternalID, n)}, nil
}

func (f *fakeConnector) Lookup(_ context.Context, a *publisher.Account, _ publisher.Credentials, m publisher.Message, _ time.Time) (*publisher.Published, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if f.lookupErr != nil {
		return nil, f.lookupErr
	}
	for i, p := range f.published {
		if p.Text == m.Text {
			return &publisher.Published{ExternalID: fmt.Sprintf("%s_%d", a.ExternalID, i+1), URL: "https://found.example/" + a.ExternalID}, nil
		}
	}
	return nil, publisher.ErrNotPublished
}

func (f *fakeConnector) stats() (posts, calls, lookups int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.published), f.calls, f.lookups
}

// env is a service on a real SQLite store with fakes around it.
type env struct {
	t       *testing.T
	svc     *publisher.Service
	store   publisher.Store
	clock   *clock
	queue   *enqueued
	fb, x   *fakeConnector
	ig, koo *fakeConnector
	keyring *publisher.Keyring

	org, otherOrg           *publisher.Organisation
	admin, approver, editor *publisher.User
	otherEditor, approver2  *publisher.User
	fbAcct, xAcct, igAcct   *publisher.Account
	kooAcct, otherAcct      *publisher.Account
}

const testPassword = "correct horse battery"

func newEnv(t *testing.T) *env {
	t.Helper()
	store, err := sqlitestore.Open(filepath.Join(t.TempDir(), "prasar.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	kr, err := publisher.NewKeyring("k1", map[string][]byte{"k1": key})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: store, clock: &clock{t: time.Date(2026, 11, 28, 4, 30, 0, 0, time.UTC)}, queue: &enqueued{}, keyring: kr,
		fb: newFake(publisher.Facebook, 63206), x: newFake(publisher.X, 280), ig: newFake(publisher.Instagram, 2200), koo: newFake(publisher.Koo, 400)}
	e.ig.rules.RequiresMedia = true
	e.ig.rules.ImageTypes = []string{"image/jpeg"}
	e.koo.rules.Enabled = false
	e.koo.rules.Defunct = "Koo shut down on 3 July 2024"
	e.svc, err = publisher.New(publisher.Config{RetryBase: time.Second, RetryMax: time.Minute, MaxFailures: 3}, publisher.Deps{
		Store: store, Enqueuer: e.queue, Keyring: kr, Hasher: passhashCheap(),
		Connectors: []publisher.Connector{e.fb, e.x, e.ig, e.koo}, Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	sys := publisher.SystemContext(context.Background())
	e.org = e.mustOrg(sys, "AGRI", "Agriculture and Farmers Welfare Department", "कृषि एवं किसान कल्याण विभाग")
	e.otherOrg = e.mustOrg(sys, "HEALTH", "Health Department", "स्वास्थ्य विभाग")
	e.admin = e.mustUser(sys, "admin@example.gov.in", publisher.RoleAdmin, "")
	e.approver = e.mustUser(sys, "approver@example.gov.in", publisher.RoleApprover, "")
	e.approver2 = e.mustUser(sys, "approver2@example.gov.in", publisher.RoleApprover, "")
	e.editor = e.mustUser(sys, "editor.agri@example.gov.in", publisher.RoleEditor, e.org.ID)
	e.otherEditor = e.mustUser(sys, "editor.health@example.gov.in", publisher.RoleEditor, e.otherOrg.ID)
	e.fbAcct = e.mustAccount(sys, e.org.ID, publisher.Facebook, "1001", "tok-fb")
	e.xAcct = e.mustAccount(sys, e.org.ID, publisher.X, "2001", "tok-x")
	e.igAcct = e.mustAccount(sys, e.org.ID, publisher.Instagram, "3001", "tok-ig")
	e.kooAcct = e.mustAccount(sys, e.org.ID, publisher.Koo, "4001", "")
	e.otherAcct = e.mustAccount(sys, e.otherOrg.ID, publisher.Facebook, "5001", "tok-other")
	return e
}

func passhashCheap() passhash.Hasher {
	return passhash.Hasher{P: passhash.Params{Memory: 1024, Time: 1, Threads: 1}}
}

func (e *env) mustOrg(ctx context.Context, code, en, hi string) *publisher.Organisation {
	o, err := e.svc.CreateOrg(ctx, publisher.OrgInput{Code: code, Type: publisher.OrgDepartment, NameEN: en, NameHI: hi})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) mustUser(ctx context.Context, email string, r publisher.Role, org string) *publisher.User {
	u, err := e.svc.CreateUser(ctx, publisher.UserInput{Email: email, Name: strings.Split(email, "@")[0], Role: r, OrgID: org, Password: testPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) mustAccount(ctx context.Context, org string, p publisher.Platform, ext, token string) *publisher.Account {
	in := publisher.AccountInput{OrgID: org, Platform: p, Handle: "@" + string(p) + ext, ExternalID: ext}
	if token != "" {
		in.Credentials = &publisher.Credentials{AccessToken: token}
	}
	a, err := e.svc.SaveAccount(ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func as(u *publisher.User) context.Context {
	return publisher.NewContextWithUser(context.Background(), u)
}

// approvedPost writes, submits and approves a post to the given accounts.
func (e *env) approvedPost(text string, targets ...*publisher.Account) *publisher.Post {
	e.t.Helper()
	var ids []string
	for _, a := range targets {
		ids = append(ids, a.ID)
	}
	p, err := e.svc.CreatePost(as(e.editor), publisher.PostInput{Content: publisher.Content{BodyHI: text}, Targets: ids})
	if err != nil {
		e.t.Fatal(err)
	}
	if p, err = e.svc.SubmitPost(as(e.editor), p.ID, p.Revision); err != nil {
		e.t.Fatal(err)
	}
	if p, err = e.svc.ApprovePost(as(e.approver), p.ID, p.Revision, ""); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// fanout runs the fan-out of an approved post and returns its deliveries.
func (e *env) fanout(p *publisher.Post) []*publisher.Delivery {
	e.t.Helper()
	if err := e.svc.Fanout(context.Background(), p.ID, p.Revision); err != nil {
		e.t.Fatal(err)
	}
	ds, _, err := e.store.ListDeliveries(context.Background(), publisher.DeliveryFilter{PostID: p.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

func (e *env) delivery(id string) *publisher.Delivery {
	e.t.Helper()
	d, err := e.store.GetDelivery(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := publisher.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func wantField(t *testing.T, err error, field, code string) publisher.FieldError {
	t.Helper()
	for _, f := range publisher.ErrorFields(err) {
		if f.Field == field && f.Code == code {
			return f
		}
	}
	t.Fatalf("no field error %s/%s in %v", field, code, err)
	return publisher.FieldError{}
}
