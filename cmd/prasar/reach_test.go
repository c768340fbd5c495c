package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/sqlitestore"
)

func TestMetricsConfiguration(t *testing.T) {
	cfg, err := LoadConfig("serve", testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.MetricsSchedule, publisher.DefaultMetricsSchedule) || cfg.MetricsOff || cfg.metricsEvery() != time.Minute {
		t.Errorf("defaults: schedule %v, off %v, every %s", cfg.MetricsSchedule, cfg.MetricsOff, cfg.metricsEvery())
	}
	if v := cfg.metricsConfig().APIVersions[publisher.Facebook]; v != "v25.0" {
		t.Errorf("Facebook's API version for the definitions = %q, want the configured v25.0", v)
	}
	cfg, err = LoadConfig("serve", testEnv(t, "PRASAR_METRICS_SCHEDULE", "30m,2h,1d", "PRASAR_METRICS_EVERY", "10s"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.MetricsSchedule, []time.Duration{30 * time.Minute, 2 * time.Hour, 24 * time.Hour}) || cfg.metricsEvery() != 10*time.Second {
		t.Errorf("schedule %v every %s", cfg.MetricsSchedule, cfg.metricsEvery())
	}
	cfg, err = LoadConfig("serve", testEnv(t, "PRASAR_METRICS_SCHEDULE", "off"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.MetricsOff || !cfg.metricsConfig().Disabled || cfg.metricsEvery() >= 0 {
		t.Errorf("off: %+v, every %s", cfg.metricsConfig(), cfg.metricsEvery())
	}
	for _, bad := range []string{"6h,1h", "soon", "0s"} {
		_, err := LoadConfig("serve", testEnv(t, "PRASAR_METRICS_SCHEDULE", bad))
		if err == nil || !strings.Contains(err.Error(), "PRASAR_METRICS_SCHEDULE") {
			t.Errorf("PRASAR_METRICS_SCHEDULE=%s: %v, want an error naming the variable", bad, err)
		}
	}
}

// TestAdminRebuildRollups damages a delivery's figures in the store and
// runs `prasar admin rebuild-rollups`, which recomputes them from the raw
// reading.
func TestAdminRebuildRollups(t *testing.T) {
	getenv := testEnv(t)
	dir := getenv("PRASAR_DATA_DIR")
	st, err := sqlitestore.Open(filepath.Join(dir, "prasar.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pub := time.Date(2026, 3, 2, 4, 30, 0, 0, time.UTC)
	r := &publisher.MetricReading{ID: publisher.NewID(), DeliveryID: "d1", PostID: "p1", OrgID: "o1", AccountID: "a1", Platform: publisher.Instagram,
		APIVersion: "v25.0", PublishedAt: pub, FetchedAt: pub.Add(time.Hour), Values: map[string]int64{"reach": 40, "views": 90, "likes": 3, "saved": 1}}
	wrong := int64(7)
	c := &publisher.Contribution{DeliveryID: "d1", PostID: "p1", OrgID: "o1", AccountID: "a1", Platform: publisher.Instagram, Day: publisher.ReachDay(pub),
		Figures: publisher.PostFigures{Reach: &wrong}, AsOf: r.FetchedAt}
	if _, err := st.RecordReading(ctx, r, c); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out bytes.Buffer
	if err := run(ctx, []string{"admin", "rebuild-rollups"}, getenv, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("rebuild-rollups: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "from 1 raw readings of 1 deliveries") {
		t.Errorf("output = %q", out.String())
	}
	st, err = sqlitestore.Open(filepath.Join(dir, "prasar.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.ListRollups(ctx, publisher.RollupQuery{Segments: []publisher.RollupSegment{{Period: publisher.PeriodMonth, From: "2026-03-01", To: "2026-03-01"}},
		OrgID: publisher.AllOrgs, Platform: publisher.AllPlatforms})
	if err != nil {
		t.Fatal(err)
	}
	want := publisher.Totals{Posts: 1, Reach: 40, ReachPosts: 1, Views: 90, ViewsPosts: 1, Engagements: 4, EngagementPosts: 1}
	if len(rows) != 1 || rows[0].Totals != want {
		t.Errorf("March after the rebuild = %+v, want %+v", rows, want)
	}
}
