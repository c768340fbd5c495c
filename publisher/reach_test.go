package publisher_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/sqlitestore"
)

// metricsConn is a fake platform that also reads metrics: values grow with
// the post's age, and the test scripts failures.
type metricsConn struct {
	*fakeConnector
	now func() time.Time

	mu      sync.Mutex
	calls   int
	fail    []error           // next errors, in order
	refused map[string]string // metric → the platform's words (deprecated)
	metrics func(age time.Duration) map[string]int64
	pubAt   map[string]time.Time // external id → when it was posted
}

func (m *metricsConn) Publish(ctx context.Context, a *publisher.Account, c publisher.Credentials, msg publisher.Message) (*publisher.Published, error) {
	p, err := m.fakeConnector.Publish(ctx, a, c, msg)
	if err == nil {
		m.mu.Lock()
		m.pubAt[p.ExternalID] = m.now()
		m.mu.Unlock()
	}
	return p, err
}

func (m *metricsConn) FetchMetrics(_ context.Context, _ *publisher.Account, _ publisher.Credentials, ext string) (*publisher.MetricsResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if len(m.fail) > 0 {
		err := m.fail[0]
		m.fail = m.fail[1:]
		return nil, err
	}
	at, ok := m.pubAt[ext]
	if !ok {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "no such post " + ext}
	}
	res := &publisher.MetricsResult{Values: m.metrics(m.now().Sub(at))}
	for k, why := range m.refused {
		delete(res.Values, k)
		if res.Unavailable == nil {
			res.Unavailable = map[string]string{}
		}
		res.Unavailable[k] = why
	}
	return res, nil
}

func (m *metricsConn) callCount() int { m.mu.Lock(); defer m.mu.Unlock(); return m.calls }

// metricsQueue is an Enqueuer that can queue metrics readings.
type metricsQueue struct {
	*enqueued
	mu      sync.Mutex
	metrics []string // "delivery key manual"
}

func (q *metricsQueue) EnqueueMetrics(_ context.Context, id string, _ publisher.Platform, key string, manual bool, _ time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.metrics = append(q.metrics, fmt.Sprintf("%s %s %v", id, key, manual))
	return nil
}

// hours turns a post's age into a growing figure.
func hours(age time.Duration, per int64) int64 { return int64(age/time.Hour) * per }

// reachEnv is a service on a real SQLite store whose Facebook, X and
// Mastodon fakes report metrics, and whose Telegram fake cannot.
type reachEnv struct {
	*env
	fbm, xm, mm          *metricsConn
	tg                   *fakeConnector
	fb2, x2, mast, tele  *publisher.Account
	otherFB              *publisher.Account
	viewer, otherEditorU *publisher.User
	queueMetrics         *metricsQueue
	admin, approver      context.Context
	editor, otherEditor  context.Context
	viewerCtx, sys       context.Context
	mailer               *recordingMailer
}

type recordingMailer struct {
	mu   sync.Mutex
	sent []string // subjects
}

func (m *recordingMailer) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.sent) }

func (m *recordingMailer) Send(_ context.Context, to []string, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, subject+" → "+strings.Join(to, ","))
	return nil
}

func newReachEnv(t *testing.T, withQueue bool) *reachEnv {
	t.Helper()
	store, err := sqlitestore.Open(filepath.Join(t.TempDir(), "prasar.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key := make([]byte, 32)
	kr, err := publisher.NewKeyring("k1", map[string][]byte{"k1": key})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 3, 2, 4, 30, 0, 0, time.UTC)} // Monday 10:00 IST
	e := &reachEnv{env: &env{t: t, store: store, clock: clk, queue: &enqueued{}, keyring: kr}, mailer: &recordingMailer{}}
	mk := func(p publisher.Platform, metrics func(time.Duration) map[string]int64) *metricsConn {
		return &metricsConn{fakeConnector: newFake(p, 5000), now: clk.Now, metrics: metrics, pubAt: map[string]time.Time{}}
	}
	e.fbm = mk(publisher.Facebook, func(age time.Duration) map[string]int64 {
		return map[string]int64{"post_total_media_view_unique": hours(age, 100), "post_media_view": hours(age, 160), "post_reactions_like_total": hours(age, 7),
			"post_reactions_love_total": hours(age, 1), "post_clicks": hours(age, 4)}
	})
	e.xm = mk(publisher.X, func(age time.Duration) map[string]int64 {
		return map[string]int64{"public_metrics.impression_count": hours(age, 300), "public_metrics.like_count": hours(age, 5),
			"public_metrics.retweet_count": hours(age, 2), "public_metrics.reply_count": hours(age, 1)}
	})
	e.mm = mk(publisher.Mastodon, func(age time.Duration) map[string]int64 {
		return map[string]int64{"favourites_count": hours(age, 3), "reblogs_count": hours(age, 1), "replies_count": 0}
	})
	e.tg = newFake(publisher.Telegram, 4096)
	var enq publisher.Enqueuer = e.queue
	if withQueue {
		e.queueMetrics = &metricsQueue{enqueued: e.queue}
		enq = e.queueMetrics
	}
	e.svc, err = publisher.New(publisher.Config{Metrics: publisher.MetricsConfig{APIVersions: map[publisher.Platform]string{publisher.Facebook: "v25.0", publisher.X: "2"}}},
		publisher.Deps{Store: store, Enqueuer: enq, Keyring: kr, Hasher: passhashCheap(), Mailer: e.mailer,
			Connectors: []publisher.Connector{e.fbm, e.xm, e.mm, e.tg}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.sys = publisher.SystemContext(context.Background())
	e.org = e.mustOrg(e.sys, "AGRI", "Agriculture and Farmers Welfare Department", "कृषि एवं किसान कल्याण विभाग")
	e.otherOrg = e.mustOrg(e.sys, "HEALTH", "Health Department", "स्वास्थ्य विभाग")
	e.env.admin = e.mustUser(e.sys, "admin@example.gov.in", publisher.RoleAdmin, "")
	e.env.approver = e.mustUser(e.sys, "approver@example.gov.in", publisher.RoleApprover, "")
	e.env.editor = e.mustUser(e.sys, "editor.agri@example.gov.in", publisher.RoleEditor, e.org.ID)
	e.otherEditorU = e.mustUser(e.sys, "editor.health@example.gov.in", publisher.RoleEditor, e.otherOrg.ID)
	e.viewer = e.mustUser(e.sys, "viewer@example.gov.in", publisher.RoleViewer, "")
	e.admin, e.approver, e.editor = as(e.env.admin), as(e.env.approver), as(e.env.editor)
	e.otherEditor, e.viewerCtx = as(e.otherEditorU), as(e.viewer)
	e.fb2 = e.mustAccount(e.sys, e.org.ID, publisher.Facebook, "1001", "tok-fb")
	e.x2 = e.mustAccount(e.sys, e.org.ID, publisher.X, "2001", "tok-x")
	e.mast = e.mustAccount(e.sys, e.org.ID, publisher.Mastodon, "3001", "tok-m")
	e.tele = e.mustAccount(e.sys, e.org.ID, publisher.Telegram, "-1004001", "tok-t")
	e.otherFB = e.mustAccount(e.sys, e.otherOrg.ID, publisher.Facebook, "5001", "tok-other")
	return e
}

// publish publishes a post of the organisation to its four accounts.
func (e *reachEnv) publish(text string) (*publisher.Post, map[publisher.Platform]*publisher.Delivery) {
	e.t.Helper()
	p := e.approvedPost(text, e.fb2, e.x2, e.mast, e.tele)
	out := map[publisher.Platform]*publisher.Delivery{}
	for _, d := range e.fanout(p) {
		if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
			e.t.Fatal(err)
		}
		out[d.Platform] = e.delivery(d.ID)
		if out[d.Platform].Status != publisher.DeliveryPublished {
			e.t.Fatalf("delivery to %s: %s", d.Platform, out[d.Platform].Status)
		}
	}
	return p, out
}

func (e *reachEnv) sweep() publisher.MetricsSweepReport {
	e.t.Helper()
	rep, err := e.svc.SweepMetrics(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

func (e *reachEnv) track(id string) *publisher.MetricsTrack {
	e.t.Helper()
	ts, err := e.store.GetTracks(context.Background(), []string{id})
	if err != nil || len(ts) != 1 {
		e.t.Fatalf("track of %s: %v %v", id, ts, err)
	}
	return ts[0]
}

func (e *reachEnv) dashboard(ctx context.Context, f publisher.ReachFilter) *publisher.ReachDashboard {
	e.t.Helper()
	d, err := e.svc.ReachDashboard(ctx, f)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func val(p *int64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprint(*p)
}

func TestComputeFiguresByDefinition(t *testing.T) {
	for _, tt := range []struct {
		platform publisher.Platform
		version  string
		values   map[string]int64
		def      string
		want     string // reach views engagements
	}{
		{publisher.Facebook, "v25.0", map[string]int64{"post_total_media_view_unique": 210, "post_media_view": 330, "post_reactions_like_total": 7,
			"post_reactions_anger_total": 1, "post_activity_by_action_type.share": 2, "post_clicks": 40}, "facebook", "210 330 10"},
		// Readings from before Meta's change still count, by the old names.
		{publisher.Facebook, "v21.0", map[string]int64{"post_impressions_unique": 90, "post_impressions": 140}, "facebook", "90 140 n/a"},
		{publisher.Instagram, "v25.0", map[string]int64{"reach": 12, "views": 30, "likes": 3, "comments": 1, "saved": 2, "total_interactions": 6}, "instagram-v22", "12 30 6"},
		{publisher.Instagram, "v21.0", map[string]int64{"reach": 12, "impressions": 25, "likes": 3}, "instagram-v21", "12 25 3"},
		{publisher.Instagram, "", map[string]int64{"reach": 12, "impressions": 25}, "instagram-v22", "12 n/a n/a"},
		{publisher.X, "2", map[string]int64{"public_metrics.impression_count": 5432, "public_metrics.like_count": 234, "public_metrics.retweet_count": 50,
			"public_metrics.reply_count": 12, "public_metrics.quote_count": 5, "public_metrics.bookmark_count": 8, "non_public_metrics.engagements": 345}, "x-v2", "n/a 5432 309"},
		{publisher.X, "2", map[string]int64{"non_public_metrics.impression_count": 70}, "x-v2", "n/a 70 n/a"},
		{publisher.Threads, "v1.0", map[string]int64{"views": 80, "likes": 4, "replies": 1, "shares": 2}, "threads-v1", "n/a 80 7"},
		{publisher.Mastodon, "", map[string]int64{"favourites_count": 9, "reblogs_count": 3, "replies_count": 0}, "mastodon", "n/a n/a 12"},
		{publisher.Bluesky, "", map[string]int64{"likeCount": 9, "repostCount": 3, "replyCount": 1, "quoteCount": 1}, "bluesky", "n/a n/a 14"},
		{publisher.LinkedIn, "202605", map[string]int64{"uniqueImpressionsCount": 60, "impressionCount": 90, "likeCount": 4, "commentCount": 1, "shareCount": 1, "clickCount": 9}, "linkedin", "60 90 6"},
		{publisher.Telegram, "", map[string]int64{}, "telegram", "n/a n/a n/a"},
	} {
		def := publisher.DefinitionFor(tt.platform, tt.version)
		if def == nil || def.ID != tt.def {
			t.Errorf("%s %s: definition %v, want %s", tt.platform, tt.version, def, tt.def)
			continue
		}
		f := publisher.ComputeFigures(def, tt.values)
		if got := val(f.Reach) + " " + val(f.Views) + " " + val(f.Engagements); got != tt.want {
			t.Errorf("%s %s: figures %s, want %s", tt.platform, tt.version, got, tt.want)
		}
	}
	// Every platform has a definition whose unavailable figures say why.
	for _, p := range publisher.Platforms {
		def := publisher.DefinitionFor(p, "")
		if def == nil {
			t.Errorf("%s has no definition", p)
			continue
		}
		for _, f := range publisher.ReachFigures {
			if r := def.Rule(f); r.Text == "" {
				t.Errorf("%s's %s has no text", p, f)
			}
		}
	}
}

// TestMetricsCollectionSchedule follows one post from publishing through
// the decaying schedule: tracked at once, read at 1 h, 6 h, …, 30 d, and
// then no more; the roll-ups follow each reading.
func TestMetricsCollectionSchedule(t *testing.T) {
	e := newReachEnv(t, false)
	p, ds := e.publish("मेरी फसल मेरा ब्यौरा")
	pub := *ds[publisher.Facebook].PublishedAt
	rep := e.sweep()
	if rep.Tracked != 4 || rep.Read != 0 {
		t.Fatalf("first sweep = %+v, want 4 tracked, none read (nothing is due before 1 h)", rep)
	}
	if tr := e.track(ds[publisher.Facebook].ID); tr.NextAt == nil || !tr.NextAt.Equal(pub.Add(time.Hour)) {
		t.Fatalf("track = %+v, want the first reading 1 h after publishing", tr)
	}
	// At 1 h every delivery is read; Telegram cannot be and is done.
	e.clock.Add(time.Hour)
	if rep = e.sweep(); rep.Read != 4 {
		t.Fatalf("sweep at 1 h = %+v, want 4 read", rep)
	}
	if tr := e.track(ds[publisher.Telegram].ID); tr.NextAt != nil || !strings.Contains(tr.LastError, "Bot API") {
		t.Errorf("Telegram's track = %+v, want it finished, saying the Bot API gives no counts", tr)
	}
	fb := e.track(ds[publisher.Facebook].ID)
	if fb.Fetches != 1 || fb.NextAt == nil || !fb.NextAt.Equal(pub.Add(6*time.Hour)) || fb.LastError != "" {
		t.Fatalf("Facebook's track after 1 h = %+v, want 1 reading and the next at 6 h", fb)
	}
	d := e.dashboard(e.approver, publisher.ReachFilter{})
	if d.Totals != (publisher.Totals{Posts: 3, Reach: 100, ReachPosts: 1, Views: 460, ViewsPosts: 2, Engagements: 8 + 8 + 4, EngagementPosts: 3}) {
		t.Fatalf("totals after 1 h = %+v", d.Totals)
	}
	// Nothing more until 6 h; a sweep in between reads nothing.
	e.clock.Add(3 * time.Hour)
	if rep = e.sweep(); rep.Read != 0 {
		t.Errorf("sweep at 4 h read %d", rep.Read)
	}
	// A worker that was down over the 6 h and 24 h points reads once, late,
	// and goes on from there.
	e.clock.Add(26 * time.Hour) // 30 h
	if rep = e.sweep(); rep.Read != 3 {
		t.Fatalf("sweep at 30 h = %+v, want 3 read", rep)
	}
	fb = e.track(ds[publisher.Facebook].ID)
	if fb.Fetches != 2 || !fb.NextAt.Equal(pub.Add(72*time.Hour)) {
		t.Errorf("Facebook's track at 30 h = %+v, want 2 readings and the next at 3 d", fb)
	}
	d = e.dashboard(e.approver, publisher.ReachFilter{})
	if d.Totals.Reach != 3000 || d.Totals.Posts != 3 {
		t.Errorf("totals at 30 h = %+v, want the 30 h reach (3000) of the one Facebook post", d.Totals)
	}
	// To the end of the schedule.
	for _, at := range []time.Duration{72 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour} {
		e.clock.Add(pub.Add(at).Sub(e.clock.Now()))
		if rep = e.sweep(); rep.Read != 3 {
			t.Fatalf("sweep at %s = %+v, want 3 read", at, rep)
		}
	}
	fb = e.track(ds[publisher.Facebook].ID)
	if fb.NextAt != nil || fb.Fetches != 5 {
		t.Errorf("Facebook's track at 30 d = %+v, want 5 readings and no more", fb)
	}
	e.clock.Add(60 * 24 * time.Hour)
	if rep = e.sweep(); rep.Read != 0 {
		t.Errorf("sweep after the schedule read %d", rep.Read)
	}
	// The post's panel: one row per delivery, raw and defined figures,
	// "not available" where the platform has none.
	pr, err := e.svc.PostReach(e.editor, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, dr := range pr.Deliveries {
		switch dr.Platform {
		case publisher.Facebook:
			if val(dr.Figures.Reach) != "72000" || dr.DefinitionID != "facebook" || dr.Raw["post_clicks"] != 2880 || len(dr.History) != 5 {
				t.Errorf("Facebook row = %+v", dr)
			}
		case publisher.X:
			if dr.Figures.Reach != nil || val(dr.Figures.Views) != "216000" || dr.DefinitionID != "x-v2" {
				t.Errorf("X row = %+v, want reach not available", dr)
			}
		case publisher.Mastodon:
			if dr.Figures.Reach != nil || dr.Figures.Views != nil || val(dr.Figures.Engagements) != "2880" {
				t.Errorf("Mastodon row = %+v", dr)
			}
		case publisher.Telegram:
			if dr.Figures != (publisher.PostFigures{}) || dr.LastError == "" || dr.Fetches != 0 {
				t.Errorf("Telegram row = %+v", dr)
			}
		}
	}
	if len(pr.Definitions) != 4 {
		t.Errorf("the panel shows %d definitions, want the 4 platforms'", len(pr.Definitions))
	}
	if _, err := e.svc.PostReach(e.otherEditor, p.ID); publisher.ErrorCode(err) != publisher.ENOTFOUND {
		t.Errorf("another organisation's editor reading the panel: %v, want not found", err)
	}
}

// TestMetricsQueuedAndManual checks the queue path: a sweep queues due
// readings with a key per scheduled time, and "collect now" queues a
// manual reading of every delivery still on its schedule.
func TestMetricsQueuedAndManual(t *testing.T) {
	e := newReachEnv(t, true)
	_, ds := e.publish("आयुष्मान भारत")
	e.sweep()
	n, err := e.svc.CollectMetricsNow(e.approver, "")
	if err != nil || n != 4 {
		t.Fatalf("CollectMetricsNow = %d, %v; want 4", n, err)
	}
	e.clock.Add(time.Hour)
	if rep := e.sweep(); rep.Queued != 4 || rep.Read != 0 {
		t.Fatalf("sweep at 1 h = %+v, want 4 queued", rep)
	}
	key := fmt.Sprint(ds[publisher.X].PublishedAt.Add(time.Hour).Unix())
	var manual, scheduled int
	for _, m := range e.queueMetrics.metrics {
		switch {
		case strings.HasSuffix(m, " true") && strings.Contains(m, " manual-"):
			manual++
		case m == ds[publisher.X].ID+" "+key+" false":
			scheduled++
		}
	}
	if manual != 4 || scheduled != 1 {
		t.Errorf("queued %q; want 4 manual readings and X's scheduled one keyed by its due time", e.queueMetrics.metrics)
	}
	// A manual reading is made when not due, and leaves the schedule.
	e.clock.Add(30 * time.Minute)
	if err := e.svc.CollectMetrics(context.Background(), ds[publisher.X].ID, false); err != nil {
		t.Fatal(err)
	}
	tr := e.track(ds[publisher.X].ID)
	if tr.Fetches != 1 {
		t.Fatalf("X's track after its due reading = %+v", tr)
	}
	next := *tr.NextAt
	if err := e.svc.CollectMetrics(context.Background(), ds[publisher.X].ID, false); err != nil || e.track(ds[publisher.X].ID).Fetches != 1 {
		t.Errorf("a scheduled reading that is not due read anyway (%v)", err)
	}
	if err := e.svc.CollectMetrics(context.Background(), ds[publisher.X].ID, true); err != nil {
		t.Fatal(err)
	}
	if tr = e.track(ds[publisher.X].ID); tr.Fetches != 2 || !tr.NextAt.Equal(next) {
		t.Errorf("after a manual reading: %+v, want 2 readings and the schedule unchanged (%v)", tr, next)
	}
	// Who may collect now.
	if _, err := e.svc.CollectMetricsNow(e.viewerCtx, ""); publisher.ErrorCode(err) != publisher.EFORBIDDEN {
		t.Errorf("a viewer collecting now: %v, want forbidden", err)
	}
	if _, err := e.svc.CollectMetricsNow(e.otherEditor, e.org.ID); publisher.ErrorCode(err) != publisher.ENOTFOUND {
		t.Errorf("another organisation's editor collecting now: %v, want not found", err)
	}
	if n, err := e.svc.CollectMetricsNow(e.otherEditor, ""); err != nil || n != 0 {
		t.Errorf("an editor collecting now for their own organisation: %d, %v; want 0 (it has no posts)", n, err)
	}
}

// TestMetricsFailures: a deprecated metric never breaks the rest; a rate
// limit makes the account's readings wait for the reset without calling
// the platform; a temporary fault retries before the next point; a
// deleted post ends its schedule.
func TestMetricsFailures(t *testing.T) {
	e := newReachEnv(t, false)
	_, ds := e.publish("हरियाणा")
	fb := ds[publisher.Facebook]
	e.sweep()
	e.clock.Add(time.Hour)

	// Meta refuses the views metric: reach and engagements still count.
	e.fbm.refused = map[string]string{"post_media_view": "(#100) The value must be a valid insights metric"}
	if err := e.svc.CollectMetrics(context.Background(), fb.ID, false); err != nil {
		t.Fatal(err)
	}
	pr, err := e.svc.PostReach(e.approver, fb.PostID)
	if err != nil {
		t.Fatal(err)
	}
	for _, dr := range pr.Deliveries {
		if dr.Platform == publisher.Facebook {
			if val(dr.Figures.Reach) != "100" || dr.Figures.Views != nil || dr.Unavailable["post_media_view"] == "" {
				t.Errorf("Facebook with a refused metric = %+v", dr)
			}
		}
	}
	if tr := e.track(fb.ID); !strings.Contains(tr.LastError, "1 of the metrics") {
		t.Errorf("track = %+v, want it to say one metric was not available", tr)
	}
	e.fbm.refused = nil

	// A rate limit: the reading waits for the reset, and so does the next
	// one of the same account, without calling the platform.
	reset := e.clock.Now().Add(20 * time.Minute)
	e.xm.fail = []error{&publisher.PlatformError{Class: publisher.ClassRateLimited, Message: "Too Many Requests", RetryAt: reset}}
	err = e.svc.CollectMetrics(context.Background(), ds[publisher.X].ID, false)
	var re *publisher.RetryError
	if !errors.As(err, &re) || !re.At.Equal(reset) {
		t.Fatalf("rate-limited reading: %v, want a retry at the reset %v", err, reset)
	}
	if tr := e.track(ds[publisher.X].ID); tr.NextAt == nil || tr.NextAt.After(e.clock.Now()) {
		t.Errorf("the rate-limited track = %+v, want it still due (so that a sweep does not queue a second reading)", tr)
	}
	calls := e.xm.callCount()
	if err := e.svc.CollectMetrics(context.Background(), ds[publisher.X].ID, true); !errors.As(err, &re) || e.xm.callCount() != calls {
		t.Errorf("a reading of the rate-limited account before the reset: %v, %d calls (was %d); want a wait and no call", err, e.xm.callCount(), calls)
	}
	e.clock.Add(21 * time.Minute)
	if err := e.svc.CollectMetrics(context.Background(), ds[publisher.X].ID, false); err != nil || e.xm.callCount() != calls+1 {
		t.Errorf("after the reset: %v, %d calls; want one reading", err, e.xm.callCount())
	}

	// A temporary fault: retried in 15 minutes.
	e.mm.fail = []error{&publisher.PlatformError{Class: publisher.ClassRetryable, Message: "502 Bad Gateway"}}
	if err := e.svc.CollectMetrics(context.Background(), ds[publisher.Mastodon].ID, false); err != nil {
		t.Fatal(err)
	}
	if tr := e.track(ds[publisher.Mastodon].ID); tr.NextAt == nil || !tr.NextAt.Equal(e.clock.Now().Add(15*time.Minute)) || !strings.Contains(tr.LastError, "502") {
		t.Errorf("after a temporary fault: %+v, want a retry in 15 minutes", tr)
	}

	// The post was deleted on the platform: the schedule ends.
	e.clock.Add(6 * time.Hour)
	e.fbm.fail = []error{&publisher.PlatformError{Class: publisher.ClassRejected, Message: "Unsupported get request. Object does not exist"}}
	if err := e.svc.CollectMetrics(context.Background(), fb.ID, false); err != nil {
		t.Fatal(err)
	}
	if tr := e.track(fb.ID); tr.NextAt != nil || !strings.Contains(tr.LastError, "does not exist") {
		t.Errorf("after the post was deleted: %+v, want the schedule ended with the platform's words", tr)
	}
}

// TestReachDashboardAndScoping checks the dashboard's figures, ranking,
// top posts and filters, and that editors see their own organisation only.
func TestReachDashboardAndScoping(t *testing.T) {
	e := newReachEnv(t, false)
	_, ds := e.publish("पहला")
	// The other organisation's post, on Facebook only.
	other, err := e.svc.CreatePost(e.otherEditor, publisher.PostInput{Content: publisher.Content{BodyHI: "स्वास्थ्य"}, Targets: []string{e.otherFB.ID}})
	if err != nil {
		t.Fatal(err)
	}
	other, _ = e.svc.SubmitPost(e.otherEditor, other.ID, other.Revision)
	if _, err := e.svc.ApprovePost(e.approver, other.ID, other.Revision, ""); err != nil {
		t.Fatal(err)
	}
	for _, d := range e.fanout(other) {
		if err := e.svc.Deliver(context.Background(), d.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(2 * time.Hour)
	e.sweep()
	e.clock.Add(5 * time.Hour) // 7 h: the 6 h readings
	e.sweep()

	d := e.dashboard(e.approver, publisher.ReachFilter{})
	if d.Granularity != publisher.PeriodDay || len(d.Series) != 30 || d.Series[29].Start != publisher.ReachDay(e.clock.Now()) {
		t.Fatalf("default series: %s, %d points ending %s; want 30 days to today", d.Granularity, len(d.Series), d.Series[len(d.Series)-1].Start)
	}
	if len(d.Orgs) != 2 || d.Orgs[0].Reach != 700 {
		t.Fatalf("organisations ranked = %+v", d.Orgs)
	}
	// Both posts have 700 reach on Facebook; AGRI has more posts.
	if d.Orgs[0].Reach != d.Orgs[1].Reach || d.Orgs[0].Code != "AGRI" {
		t.Errorf("ranking = %s %d, %s %d; want a tie in reach broken by posts", d.Orgs[0].Code, d.Orgs[0].Reach, d.Orgs[1].Code, d.Orgs[1].Reach)
	}
	if len(d.TopPosts) != 2 || d.TopPosts[0].Platform != publisher.Facebook || d.TopPosts[0].Title == "" || d.TopPosts[0].ExternalURL == "" {
		t.Errorf("top posts by reach = %+v, want the two Facebook deliveries (the only ones with reach)", d.TopPosts)
	}
	byEng := e.dashboard(e.approver, publisher.ReachFilter{By: publisher.FigureEngagements})
	var engs []string
	for _, tp := range byEng.TopPosts {
		engs = append(engs, string(tp.Platform)+" "+val(tp.Figures.Engagements))
	}
	// X and the two Facebook posts tie at 56; ties go by delivery id.
	if len(engs) != 4 || engs[3] != "mastodon 28" || !strings.HasSuffix(engs[0], " 56") || !strings.HasSuffix(engs[2], " 56") ||
		byEng.TopPosts[0].DeliveryID > byEng.TopPosts[1].DeliveryID {
		t.Errorf("top posts by engagements = %q", engs)
	}
	onX := e.dashboard(e.approver, publisher.ReachFilter{Platform: publisher.X})
	if onX.Totals.ReachPosts != 0 || onX.Totals.Views != 2100 || len(onX.Definitions) != 1 || onX.Definitions[0].ID != "x-v2" {
		t.Errorf("X only: totals %+v, definitions %v; want reach not available, views 2100, X's definition", onX.Totals, onX.Definitions)
	}
	// An editor sees their own organisation only.
	mine := e.dashboard(e.otherEditor, publisher.ReachFilter{})
	if mine.Filter.OrgID != e.otherOrg.ID || len(mine.Orgs) != 1 || mine.Totals.Posts != 1 {
		t.Errorf("the health editor's dashboard: filter %+v, %d organisations, totals %+v", mine.Filter, len(mine.Orgs), mine.Totals)
	}
	if _, err := e.svc.ReachDashboard(e.otherEditor, publisher.ReachFilter{OrgID: e.org.ID}); publisher.ErrorCode(err) != publisher.ENOTFOUND {
		t.Errorf("an editor asking for another organisation: %v", err)
	}
	// A year is shown by month, and sums the same.
	year := e.dashboard(e.approver, publisher.ReachFilter{From: "2025-04-01", To: "2026-03-31"})
	if year.Granularity != publisher.PeriodMonth || len(year.Series) != 12 || year.Totals != d.Totals {
		t.Errorf("a year: %s, %d points, totals %+v; want 12 months summing to %+v", year.Granularity, len(year.Series), year.Totals, d.Totals)
	}
	// Filters are checked.
	for _, f := range []publisher.ReachFilter{{From: "2026-13-01"}, {From: "2026-03-10", To: "2026-03-01"}, {From: "2020-01-01", To: "2026-01-01"},
		{Platform: "myspace"}, {By: "likes"}} {
		if _, err := e.svc.ReachDashboard(e.approver, f); publisher.ErrorCode(err) != publisher.EINVALID {
			t.Errorf("filter %+v: %v, want invalid", f, err)
		}
	}
	// The export holds the same figures; "not available" is nil, not 0.
	tables, err := e.svc.ReachExport(e.approver, publisher.ReachFilter{Platform: publisher.X})
	if err != nil {
		t.Fatal(err)
	}
	if tables[0].Name != "Summary" || tables[0].Rows[0][5] != nil || tables[0].Rows[0][7] != int64(2100) {
		t.Errorf("export summary = %v", tables[0].Rows)
	}
	_ = ds
}

// TestRebuildRollupsFromReadings breaks the roll-ups and rebuilds them from
// the raw readings.
func TestRebuildRollupsFromReadings(t *testing.T) {
	e := newReachEnv(t, false)
	e.publish("पुनर्निर्माण")
	e.clock.Add(time.Hour)
	e.sweep()
	e.clock.Add(6 * time.Hour)
	e.sweep()
	want := e.dashboard(e.approver, publisher.ReachFilter{})
	// Damage: a contribution recorded with wrong figures (as an old
	// definition would have computed them).
	cs, err := e.store.TopContributions(context.Background(), publisher.TopQuery{From: "2026-01-01", To: "2026-12-31", By: publisher.FigureEngagements, Limit: 10})
	if err != nil || len(cs) == 0 {
		t.Fatal(cs, err)
	}
	bad := *cs[0]
	bad.AsOf = bad.AsOf.Add(time.Minute)
	bad.Figures.Engagements = ptr(int64(999999))
	if _, err := e.store.RecordReading(context.Background(), nil, &bad); err != nil {
		t.Fatal(err)
	}
	if got := e.dashboard(e.approver, publisher.ReachFilter{}); got.Totals == want.Totals {
		t.Fatal("the damage did not change the totals")
	}
	if _, err := e.svc.RebuildRollups(e.approver); publisher.ErrorCode(err) != publisher.EFORBIDDEN {
		t.Errorf("an approver rebuilding: %v, want forbidden", err)
	}
	rep, err := e.svc.RebuildRollups(e.admin)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Readings != 6 || rep.Contributions != 3 {
		t.Errorf("rebuild = %+v, want 6 readings of 3 deliveries", rep)
	}
	got := e.dashboard(e.approver, publisher.ReachFilter{})
	if got.Totals != want.Totals || len(got.Orgs) != 1 || got.Orgs[0].Totals != want.Orgs[0].Totals {
		t.Errorf("after the rebuild: %+v, want %+v", got.Totals, want.Totals)
	}
	// Readings go on after a rebuild.
	e.clock.Add(24 * time.Hour)
	if rep := e.sweep(); rep.Read != 3 {
		t.Errorf("sweep after the rebuild = %+v", rep)
	}
}

// TestWeeklyDigest: the digest page's figures, and the e-mail sent once,
// on Monday from 9:00 IST, to approvers and administrators.
func TestWeeklyDigest(t *testing.T) {
	e := newReachEnv(t, false)
	// Monday 2 March 2026, 10:00 IST: claim last week's (empty) digest so
	// that the test starts from a clean week.
	e.sweep()
	sent := e.mailer.count()
	e.publish("साप्ताहिक")
	e.clock.Add(7 * time.Hour)
	e.sweep() // the 1 h reading
	e.sweep()
	d, err := e.svc.WeeklyDigest(e.approver, "2026-03-04") // any day of the week
	if err != nil {
		t.Fatal(err)
	}
	if d.Week != "2026-03-02" || d.To != "2026-03-08" || d.Totals.Posts != 3 || len(d.TopOrgs) != 1 || len(d.Silent) != 1 || d.Silent[0].Code != "HEALTH" {
		t.Errorf("digest = week %s..%s, totals %+v, top %v, silent %v", d.Week, d.To, d.Totals, d.TopOrgs, d.Silent)
	}
	text := publisher.DigestText(d)
	for _, want := range []string{"Reach: 700", "not available", "HEALTH", "Facebook", "Mastodon has no reach"} {
		if !strings.Contains(text, want) {
			t.Errorf("the digest's text lacks %q:\n%s", want, text)
		}
	}
	// Sunday 23:00 IST: not yet. Monday 8:59 IST: not yet. 9:00: sent, once.
	for _, tt := range []struct {
		at   time.Time
		sent bool
	}{
		{time.Date(2026, 3, 8, 17, 30, 0, 0, time.UTC), false},
		{time.Date(2026, 3, 9, 3, 29, 0, 0, time.UTC), false},
		{time.Date(2026, 3, 9, 3, 30, 0, 0, time.UTC), true},
		{time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC), false},
	} {
		e.clock.Add(tt.at.Sub(e.clock.Now()))
		if rep := e.sweep(); rep.DigestSent != tt.sent {
			t.Errorf("sweep at %v: digest sent %v, want %v", tt.at, rep.DigestSent, tt.sent)
		}
	}
	ns, _, err := e.store.ListNotifications(context.Background(), publisher.NotificationFilter{UserID: e.env.approver.ID})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range ns {
		if n.Kind == "reach.digest" && n.Link == "/reach/digest?week=2026-03-02" {
			found = true
		}
	}
	if !found {
		t.Errorf("the approver has no digest notification for the week of 2 March: %+v", ns)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := e.mailer.count()
		if n >= sent+1 || time.Now().After(deadline) {
			if n < sent+1 {
				t.Errorf("no digest e-mail was sent")
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := e.svc.SendWeeklyDigest(e.approver, ""); publisher.ErrorCode(err) != publisher.EFORBIDDEN {
		t.Errorf("an approver sending the digest: %v", err)
	}
	if n, err := e.svc.SendWeeklyDigest(e.admin, "2026-03-02"); err != nil || n != 2 {
		t.Errorf("an admin sending the digest: %d, %v; want 2 (the approver and the admin)", n, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestMetricDefinitionsInBothLanguages: the definitions are shown next to
// every figure in the user's language, so each text has its Hindi, and the
// Hindi names the same raw metrics as the English.
func TestMetricDefinitionsInBothLanguages(t *testing.T) {
	devanagari := func(s string) bool {
		for _, r := range s {
			if r >= 0x0900 && r <= 0x097F {
				return true
			}
		}
		return false
	}
	for _, d := range publisher.MetricDefinitions() {
		if d.Versions == "" || d.VersionsHI == "" {
			t.Errorf("%s: versions %q / %q, want both", d.ID, d.Versions, d.VersionsHI)
		}
		if (d.Notes == "") != (d.NotesHI == "") || (d.NotesHI != "" && !devanagari(d.NotesHI)) {
			t.Errorf("%s: notes %q / %q, want both or neither, the second in Hindi", d.ID, d.Notes, d.NotesHI)
		}
		for _, f := range publisher.ReachFigures {
			r := d.Rule(f)
			if r.Text == "" || !devanagari(r.TextHI) {
				t.Errorf("%s %s: %q / %q, want an English and a Hindi text", d.ID, f, r.Text, r.TextHI)
			}
			for _, m := range r.Metrics {
				if strings.Contains(r.Text, m) && !strings.Contains(r.TextHI, m) {
					t.Errorf("%s %s: the English names %s, the Hindi does not: %q", d.ID, f, m, r.TextHI)
				}
			}
		}
	}
}
