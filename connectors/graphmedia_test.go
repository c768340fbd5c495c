package connectors_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

func TestGraphQuotaUsedUp(t *testing.T) {
	tests := []struct {
		answer     string
		full       bool
		total, use int
		window     time.Duration
	}{
		{`{"data":[{"quota_usage":3,"config":{"quota_total":100,"quota_duration":86400}}]}`, false, 0, 0, 0},
		{`{"data":[{"quota_usage":100,"config":{"quota_total":100,"quota_duration":86400}}]}`, true, 100, 100, 24 * time.Hour},
		{`{"data":[{"quota_usage":251,"config":{"quota_total":250,"quota_duration":0}}]}`, true, 250, 251, 24 * time.Hour},
		{`{"data":[{"quota_usage":5,"config":{"quota_total":0}}]}`, false, 0, 0, 0},
		{`{"data":[]}`, false, 0, 0, 0},
	}
	for _, tt := range tests {
		var q connectors.GraphQuota
		if err := json.Unmarshal([]byte(tt.answer), &q); err != nil {
			t.Fatal(err)
		}
		total, used, window, full := q.UsedUp()
		if full != tt.full || total != tt.total || used != tt.use || window != tt.window {
			t.Errorf("%s: UsedUp = %d, %d, %s, %v; want %d, %d, %s, %v", tt.answer, total, used, window, full, tt.total, tt.use, tt.window, tt.full)
		}
	}
}

// pages serves media pages of two posts each, newest first, from posts.
func pages(posts []connectors.GraphMedia, calls *int) connectors.GraphMediaReader {
	return func(q url.Values) (*connectors.GraphMediaPage, error) {
		*calls++
		start := 0
		if a := q.Get("after"); a != "" {
			fmt.Sscan(a, &start)
		}
		p := &connectors.GraphMediaPage{}
		end := min(start+2, len(posts))
		p.Data = posts[start:end]
		if end < len(posts) {
			p.Paging.Next = "next"
			p.Paging.Cursors.After = fmt.Sprint(end)
		}
		return p, nil
	}
}

func TestGraphFindAndWindowReset(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	at := func(ago time.Duration) string { return now.Add(-ago).Format("2006-01-02T15:04:05-0700") }
	posts := []connectors.GraphMedia{
		{ID: "5", Caption: "e", Timestamp: at(time.Hour)},
		{ID: "4", Caption: "d", Timestamp: at(2 * time.Hour)},
		{ID: "3", Text: "c", Timestamp: at(3 * time.Hour), Permalink: "https://example/3"},
		{ID: "2", Caption: "b", Timestamp: at(20 * time.Hour)},
	}
	var calls int
	pub, err := connectors.GraphFind(pages(posts, &calls), "text", now.Add(-4*time.Hour), 2, 5, func(s string) bool { return s == "c" })
	if err != nil || pub.ExternalID != "3" || pub.URL != "https://example/3" {
		t.Fatalf("GraphFind = %+v, %v; want post 3", pub, err)
	}
	// Older than since: not taken for the post.
	if _, err := connectors.GraphFind(pages(posts, &calls), "caption", now.Add(-4*time.Hour), 2, 5, func(s string) bool { return s == "b" }); !errors.Is(err, publisher.ErrNotPublished) {
		t.Fatalf("a post before since was found: %v", err)
	}
	// More pages than it may read: cannot tell.
	if _, err := connectors.GraphFind(pages(posts, &calls), "caption", time.Time{}, 2, 1, func(string) bool { return false }); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Fatalf("past the page limit: %v, want ErrLookupUnsupported", err)
	}
	// The 24-hour window frees a place when its oldest post (20 h ago) leaves it.
	if got, want := connectors.GraphWindowReset(pages(posts, &calls), now, 24*time.Hour, time.Hour, 5), now.Add(4*time.Hour); !got.Equal(want) {
		t.Errorf("GraphWindowReset = %v, want %v", got, want)
	}
	failing := func(url.Values) (*connectors.GraphMediaPage, error) { return nil, errors.New("down") }
	if got, want := connectors.GraphWindowReset(failing, now, 24*time.Hour, time.Hour, 5), now.Add(time.Hour); !got.Equal(want) {
		t.Errorf("GraphWindowReset without a list = %v, want now + backoff %v", got, want)
	}
}

func TestFillInsights(t *testing.T) {
	var answer struct {
		Data []connectors.GraphInsight `json:"data"`
	}
	body := `{"data":[
		{"name":"views","values":[{"value":10},{"value":42}]},
		{"name":"likes","total_value":{"value":7}},
		{"name":"reach","values":[{"value":1.5e3}]},
		{"name":"follows","values":[{"value":{"IN":3,"US":1}}]},
		{"name":"shares","values":[{"value":"many"}]},
		{"name":"saved","values":[]}]}`
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		t.Fatal(err)
	}
	res := &publisher.MetricsResult{Values: map[string]int64{}, Unavailable: map[string]string{}}
	connectors.FillInsights(res, []string{"views", "likes", "reach", "follows", "shares", "saved", "replies"}, answer.Data, "Threads", "no data yet")
	want := map[string]int64{"views": 42, "likes": 7, "reach": 1500}
	for k, v := range want {
		if res.Values[k] != v {
			t.Errorf("%s = %d, want %d (values %v)", k, res.Values[k], v, res.Values)
		}
	}
	if len(res.Values) != len(want) {
		t.Errorf("values %v, want only %v", res.Values, want)
	}
	for k, msg := range map[string]string{"follows": "Threads reported this metric as a breakdown, not a single number.",
		"shares": "Threads reported this metric as a breakdown, not a single number.", "saved": "no data yet", "replies": "no data yet"} {
		if res.Unavailable[k] != msg {
			t.Errorf("unavailable %s = %q, want %q", k, res.Unavailable[k], msg)
		}
	}
}
