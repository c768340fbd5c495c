//go:build embedui

package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
)

// testClock is a clock that tests move forward; it starts at the real time.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// TestE2EReachChartGrows publishes a post of the agriculture department to
// every account the demo gives it that reads metrics, then, in Chromium as
// the PR section's approver: the reach page shows the department's figures;
// time moves on (the service's and the sandbox platforms' clock, so the
// sandbox's posts gain views and reactions), "Collect now" reads the
// metrics, and the chart's figures grow; time moves on past the 6-hour
// point and the worker's own sweep reads them again, and the chart grows
// again. The post page's panel shows each platform's figures, with
// "not available" where a platform has no reach.
func TestE2EReachChartGrows(t *testing.T) {
	chromiumPath(t)
	clk := &testClock{}
	cfg, err := LoadConfig("serve", testEnv(t, "PRASAR_DEMO", "on", "PRASAR_DEMO_PASSWORD", e2ePassword, "PRASAR_METRICS_EVERY", "1s"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.clock = clk.Now
	m := NewMain(cfg, io.Discard, testLogWriter{t})
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	ctx := context.Background()
	store, svc := m.Store(), m.Service()
	agri, err := store.GetOrgByCode(ctx, "AGRI")
	if err != nil {
		t.Fatal(err)
	}

	// The accounts whose connectors read metrics and take a text-only post.
	_, selectable := selectableAccounts(t, m, agri.ID)
	var targets []string
	withReach := map[publisher.Platform]bool{}
	for _, a := range selectable {
		c := svc.Connector(a.Platform)
		if _, ok := c.(publisher.MetricsFetcher); !ok || c.Rules().RequiresMedia {
			continue
		}
		targets = append(targets, a.ID)
		if def := publisher.DefinitionFor(a.Platform, ""); def != nil && def.Reach.Available() {
			withReach[a.Platform] = true
		}
	}
	if len(targets) == 0 {
		t.Fatalf("the demo gives AGRI no account on a platform whose connector reads metrics (accounts: %v)", slices.Collect(maps.Keys(selectable)))
	}
	as := func(email string) context.Context {
		u, err := store.GetUserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return publisher.NewContextWithUser(ctx, u)
	}
	ref := fmt.Sprintf("e2e-reach-%d", time.Now().UnixNano()%1_000_000_000)
	p, err := svc.CreatePost(as(e2eEditor), publisher.PostInput{OrgID: agri.ID, Kind: publisher.KindPost, Title: "Reach " + ref,
		Content: publisher.Content{BodyHI: "मेरी फसल मेरा ब्यौरा पर पंजीकरण करवाएं। " + ref, BodyEN: "Register on Meri Fasal Mera Byora. " + ref}, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = svc.SubmitPost(as(e2eEditor), p.ID, p.Revision); err != nil {
		t.Fatal(err)
	}
	if _, err = svc.ApprovePost(as(e2eApprover), p.ID, p.Revision, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e2ePublish, "the post published on every target", func() (bool, string) {
		ds, _, err := store.ListDeliveries(ctx, publisher.DeliveryFilter{PostID: p.ID})
		if err != nil {
			return false, err.Error()
		}
		n := 0
		for _, d := range ds {
			if d.Status == publisher.DeliveryPublished {
				n++
			}
		}
		return n == len(targets), fmt.Sprintf("%d of %d published", n, len(targets))
	})

	// ---- The reach page ----
	b := startBrowser(t, m.URL())
	b.open("/reach?orgId=" + agri.ID)
	b.signIn(e2eApprover, e2ePassword)
	b.waitJS("the reach page with its chart", e2eStep, `location.pathname === '/reach' && !!document.querySelector('[data-testid="reach-chart"]')`)
	total := func(figure string) int {
		v := b.attr("reach-chart", "data-total-"+figure)
		n, _ := strconv.Atoi(v)
		return n
	}
	eng0 := total("engagements") // published seconds ago: not read yet

	// The readings of every delivery of the post, from the store: the
	// chart is checked once they are all in, not on the first that lands.
	ds, _, err := store.ListDeliveries(ctx, publisher.DeliveryFilter{PostID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	readAll := func(fetches int) func() (bool, string) {
		return func() (bool, string) {
			ts, err := store.GetTracks(ctx, ids)
			if err != nil {
				return false, err.Error()
			}
			n := 0
			for _, tr := range ts {
				if tr.Fetches >= fetches {
					n++
				}
			}
			return n == len(ids), fmt.Sprintf("%d of %d deliveries read %d times or more", n, len(ids), fetches)
		}
	}

	// Two hours on: collect now.
	clk.advance(2 * time.Hour)
	b.click("reach-collect")
	b.waitJS("collect now's answer", e2eStep, `!!document.querySelector('[data-testid="reach-collect-done"]')`)
	waitFor(t, 2*e2ePublish, "every delivery read once", readAll(1))
	var eng1, reach1 int
	b.waitFor("the chart grown after the readings", 2*e2ePublish, func() (bool, string) {
		b.click("reach-refresh")
		time.Sleep(300 * time.Millisecond)
		eng1, reach1 = total("engagements"), total("reach")
		return eng1 > eng0 && (len(withReach) == 0 || reach1 > 0), fmt.Sprintf("engagements %d (before %d), reach %d", eng1, eng0, reach1)
	})
	if n := eval[int](b, `document.querySelectorAll('[data-testid^="reach-point-engagements-"]').length`); n != 30 {
		t.Errorf("the chart has %d engagement points, want one per day of the last 30", n)
	}
	// The figures' definitions are next to them, and the same figures are in the table.
	if title := eval[string](b, `document.querySelector('[data-testid="reach-def-tip-reach"] summary')?.getAttribute('title') ?? ''`); title == "" {
		t.Error("the reach figure has no definition to hover")
	}
	today := eval[string](b, `[...document.querySelectorAll('tr[data-testid^="reach-series-"]')].pop()?.textContent ?? ''`)
	if today == "" {
		t.Error("the chart's data table is empty")
	}

	// Past the 6-hour point: the worker's sweep reads again by itself.
	clk.advance(5 * time.Hour)
	waitFor(t, 2*e2ePublish, "every delivery read by the sweep", readAll(2))
	b.waitFor("the chart grown after the 6-hour readings", 2*e2ePublish, func() (bool, string) {
		b.click("reach-refresh")
		time.Sleep(500 * time.Millisecond)
		e := total("engagements")
		return e > eng1, fmt.Sprintf("engagements %d (at 2 h: %d)", e, eng1)
	})
	ts, err := store.GetTracks(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if tr.Fetches < 2 || tr.NextAt == nil || !tr.NextAt.Equal(tr.PublishedAt.Add(24*time.Hour)) {
			t.Errorf("delivery %s (%s): %d readings, next at %v; want two or more and the next 24 h after publishing (%v)", tr.DeliveryID, tr.Platform,
				tr.Fetches, tr.NextAt, tr.PublishedAt.Add(24*time.Hour))
		}
	}

	// ---- The post page's panel ----
	b.open("/posts/" + p.ID)
	b.waitJS("the post's metrics panel", e2eStep, `document.querySelectorAll('tr[data-testid^="post-reach-"][data-platform]').length === `+strconv.Itoa(len(targets)))
	type row struct {
		Platform string `json:"platform"`
		Reach    string `json:"reach"`
		Eng      string `json:"eng"`
		Text     string `json:"text"`
	}
	rows := eval[[]row](b, `[...document.querySelectorAll('tr[data-testid^="post-reach-"][data-platform]')].map((r) => ({
		platform: r.dataset.platform, reach: r.dataset.reach, eng: r.dataset.engagements, text: r.textContent }))`)
	for _, r := range rows {
		if r.Eng == "na" || r.Eng == "0" {
			t.Errorf("%s shows engagements %q after 7 hours", r.Platform, r.Eng)
		}
		switch {
		case withReach[publisher.Platform(r.Platform)] && (r.Reach == "na" || r.Reach == "0"):
			t.Errorf("%s reports reach, the panel shows %q", r.Platform, r.Reach)
		case !withReach[publisher.Platform(r.Platform)] && r.Reach != "na":
			t.Errorf("%s has no reach, the panel shows %q instead of not available", r.Platform, r.Reach)
		}
	}
	t.Logf("platforms measured: %d (with reach: %v); engagements on the chart: %d → %d → more", len(rows), slices.Collect(maps.Keys(withReach)), eng0, eng1)
}
