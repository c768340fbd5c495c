package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/instagram"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/threads"
	"github.com/prasar/prasar/connectors/x"
	"github.com/prasar/prasar/publisher"
)

// The metrics calls of every connector that reads metrics, against the
// sandbox platforms, wired as `prasar serve` wires them: a post is
// published, read at once and again six hours later (the sandbox's posts
// gain an audience as their clock moves), and the raw names each connector
// returns must turn into the figures docs/metrics.md promises for the
// platform — a figure the definition says the platform gives must come
// out, or the dashboards would show "not available" where there are
// numbers. Removed metric names are refused by the sandbox as by the
// platforms, and must leave the others standing.

// reachSandbox is the sandbox platforms on a test server with a clock the
// test moves, and the connectors built for them.
type reachSandbox struct {
	sb    *sandbox.Server
	clock *reachTestClock
	cfg   Config
	conns map[publisher.Platform]publisher.Connector
	img   string // an image URL the Instagram sandbox accepts
}

// reachTestClock runs with real time (the Instagram sandbox processes
// media as time passes) from an offset the test moves forward.
type reachTestClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *reachTestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *reachTestClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func newReachSandbox(t *testing.T) *reachSandbox {
	t.Helper()
	clk := &reachTestClock{}
	sb := sandbox.New(sandbox.Options{Secret: []byte("reach test secret"), Now: clk.Now})
	mux := http.NewServeMux()
	mux.Handle(sandbox.MountPath, sb.Handler())
	mux.HandleFunc("/img.jpg", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(reachJPEG(t))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg, err := LoadConfig("serve", testEnv(t, "PRASAR_SANDBOX_URL", srv.URL+"/sandbox", "PRASAR_BASE_URL", srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	cfg.clock = clk.Now
	conns, _, err := buildConnectors(cfg, sb, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r := &reachSandbox{sb: sb, clock: clk, cfg: cfg, conns: map[publisher.Platform]publisher.Connector{}, img: srv.URL + "/img.jpg"}
	for _, c := range conns {
		r.conns[c.Platform()] = c
	}
	return r
}

// account is an account of the demo's shape on platform p, with a sandbox
// token.
func (r *reachSandbox) account(p publisher.Platform) (*publisher.Account, publisher.Credentials) {
	ext := fmt.Sprintf(demoPlatformIDs[p], 1)
	a := &publisher.Account{ID: "acct-" + string(p), OrgID: "org-agri", Platform: p, Handle: "@AgricultureHry", DisplayName: "Agriculture", ExternalID: ext,
		Status: publisher.AccountConnected, Sandbox: true}
	return a, publisher.Credentials{AccessToken: r.sb.MintToken(string(p), ext, "Agriculture", 30*24*time.Hour)}
}

// publish posts a message (with an image where the platform needs one).
func (r *reachSandbox) publish(t *testing.T, c publisher.Connector, a *publisher.Account, cred publisher.Credentials) *publisher.Published {
	t.Helper()
	msg := publisher.Message{DeliveryID: "d-" + string(c.Platform()), Text: "किसान भाई ध्यान दें! Farmers: register your crops. " + string(c.Platform())}
	if c.Rules().RequiresMedia {
		data := reachJPEG(t)
		msg.Media = []publisher.MediaRef{{ID: "m1", ContentType: "image/jpeg", Size: int64(len(data)), Width: 320, Height: 320, AltText: "a field", URL: r.img,
			Open: func(context.Context) ([]byte, error) { return data, nil }}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pub, err := c.Publish(ctx, a, cred, msg)
	if err != nil {
		t.Fatalf("publishing to the %s sandbox: %v", c.Platform(), err)
	}
	return pub
}

func TestConnectorMetricsAgainstSandbox(t *testing.T) {
	r := newReachSandbox(t)
	var measured, without []string
	for _, p := range publisher.Platforms {
		c := r.conns[p]
		if c == nil {
			continue
		}
		mf, ok := c.(publisher.MetricsFetcher)
		def := publisher.DefinitionFor(p, r.cfg.metricsConfig().APIVersions[p])
		if !ok {
			without = append(without, string(p))
			if def != nil && (def.Reach.Available() || def.Views.Available() || def.Engagements.Available()) {
				t.Logf("%s: the definitions map its metrics, but its connector does not read metrics yet (publisher.MetricsFetcher)", p)
			}
			continue
		}
		measured = append(measured, string(p))
		t.Run(string(p), func(t *testing.T) {
			a, cred := r.account(p)
			pub := r.publish(t, c, a, cred)
			ctx := context.Background()
			r.clock.advance(time.Minute)
			first, err := mf.FetchMetrics(ctx, a, cred, pub.ExternalID)
			if err != nil {
				t.Fatalf("reading a post a minute old: %v", err)
			}
			r.clock.advance(6 * time.Hour)
			later, err := mf.FetchMetrics(ctx, a, cred, pub.ExternalID)
			if err != nil {
				t.Fatalf("reading it six hours later: %v", err)
			}
			if len(later.Values) == 0 {
				t.Fatalf("six hours later %s reports no metric (unavailable: %v)", p, later.Unavailable)
			}
			grew := false
			for k, v := range later.Values {
				if old, ok := first.Values[k]; ok && v < old {
					t.Errorf("%s fell from %d to %d", k, old, v)
				}
				if v > first.Values[k] {
					grew = true
				}
			}
			if !grew {
				t.Errorf("no metric grew in six hours: %v then %v", first.Values, later.Values)
			}
			// The connector's names are the definition's: every figure the
			// platform gives comes out, and those it does not stay nil.
			f := publisher.ComputeFigures(def, later.Values)
			for _, fig := range publisher.ReachFigures {
				rule, got := def.Rule(fig), f.Get(fig)
				switch {
				case rule.Available() && got == nil:
					t.Errorf("%s's %s (from %v) is not available in %v (unavailable: %v)", p, fig, rule.Metrics, later.Values, later.Unavailable)
				case rule.Available() && *got <= 0:
					t.Errorf("%s's %s is %d after six hours", p, fig, *got)
				case !rule.Available() && got != nil:
					t.Errorf("%s's %s is %d; the definition says the platform does not give it", p, fig, *got)
				}
			}
			t.Logf("%s (%s): %v → reach %s, views %s, engagements %s", p, def.ID, later.Values, reachVal(f.Reach), reachVal(f.Views), reachVal(f.Engagements))
		})
	}
	t.Logf("connectors that read metrics: %s; without (none to read, or not yet): %s", strings.Join(measured, ", "), strings.Join(without, ", "))
	for _, p := range []publisher.Platform{publisher.X, publisher.Instagram, publisher.Threads, publisher.Mastodon, publisher.Bluesky, publisher.LinkedIn} {
		if !slices.Contains(measured, string(p)) {
			t.Errorf("%s's connector no longer reads metrics", p)
		}
	}
}

// TestConnectorMetricsRemovedNames asks each platform whose metric names
// are configured for a name it removed, next to valid ones: the removed
// one is reported unavailable in the platform's words, and the rest are
// read.
func TestConnectorMetricsRemovedNames(t *testing.T) {
	r := newReachSandbox(t)
	sb := func(path string) string { return r.cfg.sandboxURL(path) }
	for _, tt := range []struct {
		name    string
		conn    publisher.Connector
		removed string
		words   string
		kept    []string
	}{
		{"instagram impressions", instagram.New(instagram.Config{AppID: sandboxClientID, AppSecret: "sandbox-app-secret", GraphURL: sb(sandbox.InstagramGraphPath),
			APIURL: sb(sandbox.InstagramAPIPath), WebURL: sb(sandbox.InstagramWebPath), FacebookWebURL: sb(sandbox.FacebookWebPath), Now: r.clock.Now,
			Metrics: []string{"reach", "impressions", "views", "likes"}}), "impressions", "no longer supported", []string{"reach", "views", "likes"}},
		{"threads unknown metric", threads.New(threads.Config{AppID: sandboxClientID, AppSecret: "sandbox-app-secret", GraphURL: sb(sandbox.ThreadsGraphPath),
			WebURL: sb(sandbox.ThreadsWebPath), Now: r.clock.Now, Metrics: []string{"views", "impressions", "likes"}}), "impressions", "", []string{"views", "likes"}},
		{"x unknown field", x.New(x.Config{ClientID: sandboxClientID, APIURL: sb(sandbox.XAPIPath), AuthURL: sb(sandbox.XAuthorizePath), TokenURL: sb(sandbox.XTokenPath),
			WebURL: sb(sandbox.XWebPath), Now: r.clock.Now, MetricFields: []string{"public_metrics", "view_metrics"}}), "view_metrics", "tweet.fields",
			[]string{"public_metrics.like_count", "public_metrics.impression_count"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, cred := r.account(tt.conn.Platform())
			pub := r.publish(t, tt.conn, a, cred)
			r.clock.advance(3 * time.Hour)
			res, err := tt.conn.(publisher.MetricsFetcher).FetchMetrics(context.Background(), a, cred, pub.ExternalID)
			if err != nil {
				t.Fatalf("one removed metric failed the whole reading: %v", err)
			}
			why, ok := res.Unavailable[tt.removed]
			if !ok || !strings.Contains(why, tt.words) {
				t.Errorf("unavailable = %v; want %s with the platform's words (%q)", res.Unavailable, tt.removed, tt.words)
			}
			for _, k := range tt.kept {
				if _, ok := res.Values[k]; !ok {
					t.Errorf("%s was not read beside the removed one: %v", k, res.Values)
				}
			}
		})
	}
}

// reachJPEG is a small JPEG image.
func reachJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 320))
	for y := range 320 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func reachVal(p *int64) string {
	if p == nil {
		return "not available"
	}
	return fmt.Sprint(*p)
}
