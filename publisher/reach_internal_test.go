package publisher

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestSegmentsFor(t *testing.T) {
	d := func(s string) time.Time {
		v, err := time.Parse(reachDayLayout, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct {
		from, to string
		want     []string
	}{
		{"2026-03-05", "2026-03-20", []string{"day 2026-03-05..2026-03-20"}},
		{"2026-03-01", "2026-03-31", []string{"month 2026-03-01..2026-03-01"}},
		{"2026-03-01", "2026-03-30", []string{"day 2026-03-01..2026-03-30"}},
		{"2026-02-15", "2026-03-14", []string{"day 2026-02-15..2026-03-14"}},
		{"2026-02-15", "2026-04-10", []string{"day 2026-02-15..2026-02-28", "month 2026-03-01..2026-03-01", "day 2026-04-01..2026-04-10"}},
		{"2025-03-15", "2026-03-14", []string{"day 2025-03-15..2025-03-31", "month 2025-04-01..2026-02-01", "day 2026-03-01..2026-03-14"}},
		{"2024-01-01", "2024-12-31", []string{"month 2024-01-01..2024-12-01"}},
		{"2024-02-01", "2024-02-29", []string{"month 2024-02-01..2024-02-01"}}, // a leap February is whole
	} {
		var got []string
		for _, s := range segmentsFor(d(tt.from), d(tt.to)) {
			got = append(got, fmt.Sprintf("%s %s..%s", s.Period, s.From, s.To))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("segmentsFor(%s, %s) = %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestNextReading(t *testing.T) {
	pub := time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		age  time.Duration
		want time.Duration // after publishing; -1: none
	}{
		{0, time.Hour},
		{59 * time.Minute, time.Hour},
		{time.Hour, 6 * time.Hour}, // the 1 h reading is being made now
		{5 * time.Hour, 6 * time.Hour},
		{30 * time.Hour, 72 * time.Hour}, // a reading missed while down is not made twice
		{29 * 24 * time.Hour, 30 * 24 * time.Hour},
		{30 * 24 * time.Hour, -1},
		{400 * 24 * time.Hour, -1},
	} {
		got := nextReading(DefaultMetricsSchedule, pub, pub.Add(tt.age))
		switch {
		case tt.want < 0 && got != nil:
			t.Errorf("age %s: next reading at %s, want none", tt.age, got.Sub(pub))
		case tt.want >= 0 && (got == nil || !got.Equal(pub.Add(tt.want))):
			t.Errorf("age %s: next reading %v, want %s after publishing", tt.age, got, tt.want)
		}
	}
}

func TestParseMetricsSchedule(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []time.Duration
		off  bool
		bad  bool
	}{
		{in: "1h,6h,24h,72h,168h,720h", want: DefaultMetricsSchedule},
		{in: "1h, 6h, 1d, 3d, 7d, 30d", want: DefaultMetricsSchedule},
		{in: "30m,2h", want: []time.Duration{30 * time.Minute, 2 * time.Hour}},
		{in: "OFF", off: true},
		{in: "", bad: true},
		{in: "6h,1h", bad: true},
		{in: "1h,1h", bad: true},
		{in: "-1h", bad: true},
		{in: "1x", bad: true},
		{in: "1.5d", bad: true},
	} {
		got, off, err := ParseMetricsSchedule(tt.in)
		if (err != nil) != tt.bad || off != tt.off || !slices.Equal(got, tt.want) {
			t.Errorf("ParseMetricsSchedule(%q) = %v, %v, %v; want %v, off %v, error %v", tt.in, got, off, err, tt.want, tt.off, tt.bad)
		}
	}
}

func TestWeekStartAndDigits(t *testing.T) {
	// Sunday 2026-03-08 20:00 UTC is Monday 01:30 IST: the new week.
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 8, 18, 29, 0, 0, time.UTC), "2026-03-02"},
		{time.Date(2026, 3, 8, 18, 30, 0, 0, time.UTC), "2026-03-09"},
		{time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC), "2026-03-09"},
		{time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC), "2026-03-09"},
	} {
		if got := weekStart(tt.at).Format(reachDayLayout); got != tt.want {
			t.Errorf("weekStart(%v) = %s, want %s", tt.at, got, tt.want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 123456: "1,23,456", 12345678: "1,23,45,678", -4500: "-4,500"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMergeContribution(t *testing.T) {
	p := func(v int64) *int64 { return &v }
	t0 := time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)
	base := Contribution{DeliveryID: "d", OrgID: "o", Platform: Facebook, Day: "2026-03-02"}
	with := func(asOf time.Duration, f PostFigures) *Contribution {
		c := base
		c.AsOf, c.Figures = t0.Add(asOf), f
		return &c
	}
	// The first reading counts the post and each figure it has.
	_, d, ok := MergeContribution(nil, with(time.Hour, PostFigures{Reach: p(10), Engagements: p(2)}))
	if !ok || d != (Totals{Posts: 1, Reach: 10, ReachPosts: 1, Engagements: 2, EngagementPosts: 1}) {
		t.Errorf("first reading: %+v %v", d, ok)
	}
	old := with(time.Hour, PostFigures{Reach: p(10), Views: p(40), Engagements: p(2)})
	// A newer one changes by the difference; a figure it lacks stays; a
	// figure it adds is counted.
	m, d, ok := MergeContribution(old, with(2*time.Hour, PostFigures{Reach: p(15), Engagements: p(1)}))
	if !ok || d != (Totals{Reach: 5, Engagements: -1}) || *m.Figures.Views != 40 {
		t.Errorf("newer reading: %+v %+v %v", m, d, ok)
	}
	_, d, _ = MergeContribution(with(time.Hour, PostFigures{}), with(2*time.Hour, PostFigures{Views: p(3)}))
	if d != (Totals{Views: 3, ViewsPosts: 1}) {
		t.Errorf("a figure that appears: %+v", d)
	}
	// Not newer: nothing.
	for _, at := range []time.Duration{time.Hour, 0} {
		if _, d, ok := MergeContribution(old, with(at, PostFigures{Reach: p(99)})); ok || !d.IsZero() {
			t.Errorf("reading as of %s after one as of 1h: %+v %v, want nothing", at, d, ok)
		}
	}
}
