package publisher

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Publish budgets keep Prasar inside the platforms' documented posting
// limits before it calls them (platform-apis.md): a delivery that would go
// over a budget waits, as "retrying" with the time the window frees up,
// instead of calling, failing with a rate limit and burning a retry. The
// use of a budget is counted from the store — published deliveries in the
// window plus calls in flight — so every worker process sees the same
// count and a restart forgets nothing.

// BudgetScope says what one budget counts.
type BudgetScope string

// Budget scopes.
const (
	// BudgetAccount counts one account's posts (Instagram's 100 per 24 h
	// per professional account, X's 100 per 15 minutes per user).
	BudgetAccount BudgetScope = "account"
	// BudgetPlatform counts every account's posts on the platform, that is
	// the app's (X's 10,000 per 24 h per app).
	BudgetPlatform BudgetScope = "platform"
)

// Budget is at most Limit posts per Window on Platform, per account or
// for the whole platform.
type Budget struct {
	Platform Platform
	Scope    BudgetScope
	Limit    int
	Window   time.Duration
}

// String returns the budget in ParseBudgets' form, e.g.
// "instagram:account:100/24h".
func (b Budget) String() string {
	return fmt.Sprintf("%s:%s:%d/%s", b.Platform, b.Scope, b.Limit, shortDuration(b.Window))
}

// DefaultBudgets are the platforms' documented publishing limits
// (platform-apis.md, November 2026).
var DefaultBudgets = []Budget{
	{Instagram, BudgetAccount, 100, 24 * time.Hour},
	{Threads, BudgetAccount, 250, 24 * time.Hour},
	{X, BudgetAccount, 100, 15 * time.Minute},
	{X, BudgetPlatform, 10000, 24 * time.Hour},
	{Telegram, BudgetAccount, 20, time.Minute},
	{Mastodon, BudgetAccount, 300, 3 * time.Hour},
}

// DefaultBudgetsString is DefaultBudgets in ParseBudgets' form.
func DefaultBudgetsString() string { return FormatBudgets(DefaultBudgets) }

// FormatBudgets returns bs in ParseBudgets' form ("none" for no budgets).
func FormatBudgets(bs []Budget) string {
	if len(bs) == 0 {
		return "none"
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.String()
	}
	return strings.Join(parts, ",")
}

// ParseBudgets reads a comma-separated list of budgets, each
// "<platform>:<account|platform>:<limit>/<window>" with a Go duration as
// the window ("24h", "15m"); "none" is no budgets at all.
func ParseBudgets(s string) ([]Budget, error) {
	s = strings.TrimSpace(s)
	if s == "none" {
		return []Budget{}, nil
	}
	var out []Budget
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, ":")
		if len(f) != 3 {
			return nil, fmt.Errorf("budget %q: want <platform>:<account|platform>:<limit>/<window>, such as instagram:account:100/24h", part)
		}
		b := Budget{Platform: Platform(strings.ToLower(f[0])), Scope: BudgetScope(strings.ToLower(f[1]))}
		if !b.Platform.Valid() {
			return nil, fmt.Errorf("budget %q: there is no platform %q", part, f[0])
		}
		if b.Scope != BudgetAccount && b.Scope != BudgetPlatform {
			return nil, fmt.Errorf("budget %q: the scope must be account or platform", part)
		}
		lim, win, ok := strings.Cut(f[2], "/")
		n, err := strconv.Atoi(lim)
		if !ok || err != nil || n < 1 {
			return nil, fmt.Errorf("budget %q: want a limit of at least 1 and a window, such as 100/24h", part)
		}
		d, err := time.ParseDuration(win)
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("budget %q: the window must be a duration of at least 1s, such as 15m or 24h", part)
		}
		b.Limit, b.Window = n, d
		out = append(out, b)
	}
	if out == nil {
		out = []Budget{}
	}
	return out, nil
}

// shortDuration prints whole hours and minutes without the zero parts
// ("24h", "15m", "1h30m").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// humanDuration says a budget window in words ("24 hours", "15 minutes").
func humanDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return plural(int64(d/time.Second), "second")
}

// checkBudgets reports whether publishing d now would go over a budget of
// its platform and, if so, the result that makes it wait: retrying until
// the window frees up, without counting a failure.
func (s *Service) checkBudgets(ctx context.Context, d *Delivery) (DeliveryResult, string, bool) {
	now := s.now()
	for _, b := range s.cfg.Budgets {
		if b.Platform != d.Platform {
			continue
		}
		w := PublishWindow{Platform: d.Platform, Since: now.Add(-b.Window).UTC(), Now: now.UTC(), ExcludeID: d.ID}
		if b.Scope == BudgetAccount {
			w.AccountID = d.AccountID
		}
		c, err := s.store.CountPublished(ctx, w)
		if err != nil {
			at := now.Add(time.Minute).UTC()
			return DeliveryResult{Status: DeliveryRetrying, Failures: d.Failures, NeedsLookup: d.NeedsLookup, NextAttemptAt: &at, ErrorClass: ClassRateLimited,
				ErrorMessage: "Prasar could not check the platform's posting limit; it tries again in a minute."}, "budget", true
		}
		if c.Published+c.InFlight < b.Limit {
			continue
		}
		// Wait for the oldest counted post to leave the window; if the calls
		// in flight fill the budget, for them to end.
		at := now.Add(min(s.cfg.Lease/4, 30*time.Second))
		if c.Published >= b.Limit && c.Oldest != nil {
			at = c.Oldest.Add(b.Window + time.Second)
		}
		at = at.UTC()
		who := "This account has"
		if b.Scope == BudgetPlatform {
			who = "Prasar's accounts have together"
		}
		return DeliveryResult{Status: DeliveryRetrying, Failures: d.Failures, NeedsLookup: d.NeedsLookup, NextAttemptAt: &at, ErrorClass: ClassRateLimited,
			ErrorMessage: fmt.Sprintf("%s published %d posts on %s in the last %s, the most %s allows (%d per %s). The post waits until %s and then goes out.",
				who, c.Published+c.InFlight, d.Platform.Title(), humanDuration(b.Window), d.Platform.Title(), b.Limit, humanDuration(b.Window), controlTime(at))}, "budget", true
	}
	return DeliveryResult{}, "", false
}

// controlIST is India Standard Time, for times in messages to people.
var controlIST = time.FixedZone("IST", 5*3600+1800)

// controlTime shows an instant in IST, e.g. "28 Nov 2026, 10:00 IST".
func controlTime(t time.Time) string { return t.In(controlIST).Format("2 Jan 2006, 15:04 MST") }
