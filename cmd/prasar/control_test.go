package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

func TestLoadConfigControl(t *testing.T) {
	c, err := LoadConfig("serve", env())
	if err != nil {
		t.Fatal(err)
	}
	if c.DeliveryLease != 2*time.Minute || c.TaskTimeout != 90*time.Second || c.MissedWindow != 15*time.Minute || c.SQLiteShared ||
		c.PlatformConcurrency != 0 || c.RetryBase != 30*time.Second || c.RetryMax != 30*time.Minute || c.ReconcileGrace != 2*time.Minute ||
		publisher.FormatBudgets(c.Budgets) != publisher.DefaultBudgetsString() {
		t.Fatalf("defaults = %+v", c)
	}
	c, err = LoadConfig("worker", env("PRASAR_SQLITE_SHARED", "true", "REDIS_URL", "redis://127.0.0.1:6390", "PRASAR_SECRET_KEY", testKey,
		"PRASAR_DELIVERY_LEASE", "8s", "PRASAR_PLATFORM_CONCURRENCY", "4,x=2", "PRASAR_PUBLISH_BUDGETS", "none", "PRASAR_MISSED_WINDOW", "30m"))
	if err != nil {
		t.Fatalf("a worker sharing the SQLite file: %v", err)
	}
	if c.TaskTimeout != 6*time.Second || c.PlatformConcurrency != 4 || c.PlatformLimits[publisher.X] != 2 || len(c.Budgets) != 0 || c.Budgets == nil || c.MissedWindow != 30*time.Minute {
		t.Fatalf("worker config = %+v", c)
	}
	tests := []struct {
		name string
		mode string
		env  func(string) string
		want []string
	}{
		{"the task timeout must end before the lease", "serve", env("PRASAR_DELIVERY_LEASE", "10s", "PRASAR_TASK_TIMEOUT", "10s"), []string{"PRASAR_TASK_TIMEOUT", "shorter than PRASAR_DELIVERY_LEASE"}},
		{"bad budgets, concurrency and switches", "serve", env("PRASAR_PUBLISH_BUDGETS", "x:user:1/1h", "PRASAR_PLATFORM_CONCURRENCY", "myspace=3", "PRASAR_SQLITE_SHARED", "perhaps"),
			[]string{"PRASAR_PUBLISH_BUDGETS", "PRASAR_PLATFORM_CONCURRENCY", "PRASAR_SQLITE_SHARED"}},
		{"a lease too short", "serve", env("PRASAR_DELIVERY_LEASE", "1s"), []string{"PRASAR_DELIVERY_LEASE"}},
		{"retry bounds the wrong way round", "serve", env("PRASAR_RETRY_BASE", "10m", "PRASAR_RETRY_MAX", "1m"), []string{"PRASAR_RETRY_MAX"}},
		{"the api still needs a store it can share", "api", env("REDIS_URL", "redis://r:6379", "PRASAR_SECRET_KEY", testKey), []string{"PRASAR_SQLITE_SHARED=true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(tt.mode, tt.env)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

// testKey is a valid PRASAR_SECRET_KEY for tests.
const testKey = "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// fixture is an organisation with an editor, an approver and sandbox
// accounts, made through the service.
type fixture struct {
	org              *publisher.Organisation
	editor, approver *publisher.User
	pages            []*publisher.Account
}

// newFixture makes an organisation with n sandbox Facebook pages.
func newFixture(t testing.TB, m *Main, code string, n int) *fixture {
	t.Helper()
	return newFixtureOn(t, m, code, n, publisher.Facebook)
}

// chaosPlatforms are the sandbox platforms a fixture may spread accounts
// over: those whose sandbox accounts connect with a minted token, as the
// demo's do, and that take text alone (Instagram needs an image).
var chaosPlatforms = []publisher.Platform{publisher.Facebook, publisher.X, publisher.Threads, publisher.Telegram, publisher.Mastodon,
	publisher.Bluesky, publisher.LinkedIn}

// newFixtureOn makes an organisation with n sandbox accounts on each of the
// platforms (those without a connector in this build are left out).
func newFixtureOn(t testing.TB, m *Main, code string, n int, platforms ...publisher.Platform) *fixture {
	t.Helper()
	ctx := publisher.SystemContext(context.Background())
	svc := m.Service()
	org, err := svc.CreateOrg(ctx, publisher.OrgInput{Code: code, Type: publisher.OrgDepartment, NameEN: code + " Department", NameHI: code + " विभाग"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{org: org}
	mk := func(email string, role publisher.Role) *publisher.User {
		u, err := svc.CreateUser(ctx, publisher.UserInput{Email: email, Name: email, Role: role, OrgID: org.ID, Password: "fixture-password-1"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.editor = mk("editor."+strings.ToLower(code)+"@example.gov.in", publisher.RoleEditor)
	f.approver = mk("approver."+strings.ToLower(code)+"@example.gov.in", publisher.RoleApprover)
	for _, p := range platforms {
		if c := svc.Connector(p); c == nil || !c.Rules().Enabled || c.Rules().RequiresMedia {
			continue
		}
		for i := 0; i < n; i++ {
			ext := fmt.Sprintf(demoPlatformIDs[p], 7000+i)
			tok := m.Sandbox().MintToken(string(p), ext, fmt.Sprintf("%s %s %d", code, p, i), 24*time.Hour)
			a, err := svc.SaveAccount(ctx, publisher.AccountInput{OrgID: org.ID, Platform: p, Handle: fmt.Sprintf("@%s_%s%d", strings.ToLower(code), p, i),
				ExternalID: ext, Sandbox: true, Credentials: &publisher.Credentials{AccessToken: tok}})
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != publisher.AccountConnected {
				t.Fatalf("the %s sandbox account %s is %s: %s", p, ext, a.Status, a.StatusReason)
			}
			f.pages = append(f.pages, a)
		}
	}
	if len(f.pages) == 0 {
		t.Fatal("no platform to make accounts on")
	}
	return f
}

// approve writes, submits and approves a post to every page.
func (f *fixture) approve(t testing.TB, m *Main, text string) *publisher.Post {
	t.Helper()
	var targets []string
	for _, a := range f.pages {
		targets = append(targets, a.ID)
	}
	ed, ap := publisher.NewContextWithUser(context.Background(), f.editor), publisher.NewContextWithUser(context.Background(), f.approver)
	p, err := m.Service().CreatePost(ed, publisher.PostInput{Content: publisher.Content{BodyHI: text}, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = m.Service().SubmitPost(ed, p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if p, err = m.Service().ApprovePost(ap, p.ID, p.Revision, ""); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEmbeddedBrokerRestartLosesNothing: `prasar serve` keeps its queue in
// an in-process Redis, which goes with the process. Deliveries waiting to
// be retried when it stops are found in the store by the next process's
// reconciler and published — once each.
func TestEmbeddedBrokerRestartLosesNothing(t *testing.T) {
	getenv := testEnv(t, "REDIS_URL", "", "PRASAR_RETRY_BASE", "3s", "PRASAR_RETRY_MAX", "5s", "PRASAR_RECONCILE_EVERY", "1s",
		"PRASAR_RECONCILE_GRACE", "1s", "PRASAR_SHUTDOWN_TIMEOUT", "2s")
	cfg, err := LoadConfig("serve", getenv)
	if err != nil {
		t.Fatal(err)
	}
	m1 := NewMain(cfg, io.Discard, testLogWriter{t})
	if err := m1.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, m1, "BROKER", 6)
	// Every page answers 503 for now: the deliveries wait to be retried.
	if err := m1.Sandbox().SetFault("facebook", "", sandbox.Fault{Kind: sandbox.FaultServerError, Status: 503}); err != nil {
		t.Fatal(err)
	}
	p := f.approve(t, m1, "प्रसारण रुका, काम नहीं")
	waitFor(t, 30*time.Second, "every delivery waiting to be retried", func() (bool, string) {
		c, s := countStatuses(t, m1.Store(), p.ID)
		return c[publisher.DeliveryRetrying] == len(f.pages), s
	})
	// The process stops; its in-process Redis and every scheduled retry in
	// it are gone.
	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}
	m2 := startMain(t, "serve", getenv) // same data directory, a new in-process Redis, no faults
	waitFor(t, 60*time.Second, "every delivery published after the restart", func() (bool, string) {
		c, s := countStatuses(t, m2.Store(), p.ID)
		return c[publisher.DeliveryPublished] == len(f.pages), s
	})
	for _, a := range f.pages {
		n := 0
		for _, sp := range m2.Sandbox().Posts(string(a.Platform), a.ExternalID) {
			if sp.Text == "प्रसारण रुका, काम नहीं" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("page %s has %d posts, want exactly 1", a.ExternalID, n)
		}
	}
}

// TestSlowPlatformDoesNotHoldUpOthers: X answers slowly (every call takes
// two seconds); Facebook answers at once. Each platform has its own pool of
// two workers, so at most two X calls run at a time and Facebook's
// deliveries go out meanwhile, without waiting behind X's.
func TestSlowPlatformDoesNotHoldUpOthers(t *testing.T) {
	m := startMain(t, "serve", testEnv(t, "REDIS_URL", "", "PRASAR_PLATFORM_CONCURRENCY", "2", "PRASAR_WORKER_CONCURRENCY", "2"))
	if m.Service().Connector(publisher.X) == nil {
		t.Skip("this build has no X connector; the pools are tested with fake handlers in queue/control_test.go")
	}
	f := newFixtureOn(t, m, "POOLS", 10, publisher.X, publisher.Facebook)
	if err := m.Sandbox().SetFault("x", "", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	p := f.approve(t, m, "धीमा और तेज़ प्लेटफ़ॉर्म — slow and fast platforms")
	byPlatform := func() (map[publisher.Platform]publisher.DeliveryCounts, string) {
		ds, _, err := m.Store().ListDeliveries(context.Background(), publisher.DeliveryFilter{PostID: p.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		c := map[publisher.Platform]publisher.DeliveryCounts{publisher.X: {}, publisher.Facebook: {}}
		for _, d := range ds {
			c[d.Platform][d.Status]++
		}
		return c, fmt.Sprint(c)
	}
	maxXSending := 0
	waitFor(t, 30*time.Second, "every Facebook delivery published", func() (bool, string) {
		c, s := byPlatform()
		maxXSending = max(maxXSending, c[publisher.X][publisher.DeliverySending])
		return c[publisher.Facebook][publisher.DeliveryPublished] == 10, s
	})
	c, s := byPlatform()
	if c[publisher.X][publisher.DeliveryPublished] > 4 {
		t.Fatalf("Facebook waited for X: when Facebook was done, X had published %d of 10 (%s)", c[publisher.X][publisher.DeliveryPublished], s)
	}
	waitFor(t, 60*time.Second, "every X delivery published", func() (bool, string) {
		c, s := byPlatform()
		maxXSending = max(maxXSending, c[publisher.X][publisher.DeliverySending])
		return c[publisher.X][publisher.DeliveryPublished] == 10, s
	})
	if maxXSending > 2 {
		t.Fatalf("up to %d X calls ran at once; its pool has 2 workers", maxXSending)
	}
}
