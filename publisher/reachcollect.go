package publisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Collection: a periodic sweep (SweepMetrics, run by the queue on the
// reconcile period) starts a track for every newly published delivery and
// queues a reading for every track that is due; each reading
// (CollectMetrics) asks the platform's connector, stores the raw reading
// and applies its figures to the roll-ups.

// MetricsEnqueuer is implemented by Enqueuers that can queue metrics
// readings (the queue's Client). Without it, sweeps read due metrics
// themselves, one after another.
type MetricsEnqueuer interface {
	// EnqueueMetrics queues one reading of a delivery's metrics at at
	// (zero: now). key tells readings of one delivery apart: queueing the
	// same delivery and key again while it is queued, running or retrying
	// is a no-op. manual readings are read whether or not they are due.
	EnqueueMetrics(ctx context.Context, deliveryID string, platform Platform, key string, manual bool, at time.Time) error
}

// MetricsSweepReport says what one sweep did.
type MetricsSweepReport struct {
	Tracked    int  `json:"tracked"`    // newly published deliveries now tracked
	Queued     int  `json:"queued"`     // readings queued
	Read       int  `json:"read"`       // readings made in the sweep itself (no MetricsEnqueuer)
	DigestSent bool `json:"digestSent"` // the weekly digest went out
}

// reachState is the service's in-process state of collection: accounts a
// platform rate-limited, and until when. A reading of such an account
// waits for the reset instead of calling the platform again.
type reachState struct {
	mu      sync.Mutex
	blocked map[string]time.Time // account id → reset
	// digestDone is the last week whose digest this process knows was
	// claimed, so that sweeps stop asking the store.
	digestDone string
}

func (r *reachState) digestClaimed(week string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.digestDone == week
}

func (r *reachState) setDigestClaimed(week string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.digestDone = week
}

func (r *reachState) blockedUntil(accountID string, now time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.blocked[accountID]
	if !ok || !t.After(now) {
		delete(r.blocked, accountID)
		return time.Time{}, false
	}
	return t, true
}

func (r *reachState) block(accountID string, until time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.blocked == nil {
		r.blocked = map[string]time.Time{}
	}
	if until.After(r.blocked[accountID]) {
		r.blocked[accountID] = until
	}
}

// trackSlack is how far back of the latest tracked publication a sweep
// looks for newly published deliveries: a delivery's result is stored up
// to a lease after its PublishedAt.
const trackSlack = 15 * time.Minute

// SweepMetrics starts tracks for newly published deliveries, queues the
// readings that are due, and sends the weekly digest once its time has
// come. The queue runs it periodically; running it again at once is
// harmless.
func (s *Service) SweepMetrics(ctx context.Context) (MetricsSweepReport, error) {
	ctx = SystemContext(ctx)
	cfg := s.metricsConfig()
	var rep MetricsSweepReport
	if cfg.Disabled {
		return rep, nil
	}
	now := s.now()
	n, err := s.trackNewlyPublished(ctx, cfg, now)
	if err != nil {
		return rep, err
	}
	rep.Tracked = n
	if _, err := s.store.RepairRollups(ctx, time.Minute); err != nil {
		return rep, err
	}
	due, err := s.store.ListDueTracks(ctx, now.UTC(), cfg.TrackBatch)
	if err != nil {
		return rep, err
	}
	me, queued := s.enqueuer.(MetricsEnqueuer)
	for _, t := range due {
		if queued {
			if err := me.EnqueueMetrics(ctx, t.DeliveryID, t.Platform, strconv.FormatInt(t.NextAt.Unix(), 10), false, time.Time{}); err != nil {
				return rep, err
			}
			rep.Queued++
			continue
		}
		if err := s.CollectMetrics(ctx, t.DeliveryID, false); err != nil {
			var re *RetryError
			if !errors.As(err, &re) {
				return rep, err
			}
		}
		rep.Read++
	}
	if rep.DigestSent, err = s.maybeSendDigest(ctx, cfg, now); err != nil {
		s.log.ErrorContext(ctx, "weekly reach digest failed", "err", err)
	}
	if rep.Tracked+rep.Queued+rep.Read > 0 {
		s.log.InfoContext(ctx, "metrics sweep", "tracked", rep.Tracked, "queued", rep.Queued, "read", rep.Read)
	}
	return rep, nil
}

// trackNewlyPublished starts tracks for deliveries published since the
// latest tracked one (or, the first time, within the schedule).
func (s *Service) trackNewlyPublished(ctx context.Context, cfg MetricsConfig, now time.Time) (int, error) {
	latest, err := s.store.LatestTrackedPublish(ctx)
	if err != nil {
		return 0, err
	}
	since := latest.Add(-trackSlack)
	if latest.IsZero() {
		since = now.Add(-cfg.Schedule[len(cfg.Schedule)-1] - 24*time.Hour)
	}
	return s.store.TrackPublished(ctx, since.UTC(), cfg.Schedule[0], now.UTC())
}

// CollectMetrics reads one published delivery's metrics, if its track is
// due (or manual is set), stores the raw reading, applies its figures to
// the roll-ups and schedules the next reading. It returns a *RetryError
// when the platform's rate limit makes it wait, nil when the task needs no
// more work (failures are recorded on the track), and other errors when
// the store failed.
func (s *Service) CollectMetrics(ctx context.Context, deliveryID string, manual bool) error {
	ctx = SystemContext(ctx)
	cfg := s.metricsConfig()
	ts, err := s.store.GetTracks(ctx, []string{deliveryID})
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return nil
	}
	t := ts[0]
	now := s.now()
	due := t.NextAt != nil && !t.NextAt.After(now)
	if !due && !manual {
		return nil // read already, or rescheduled since this task was queued
	}
	// finish ends the track (nothing more to read), skip moves to the
	// next point of the schedule; both record why.
	save := func(why string) error {
		t.LastError, t.UpdatedAt = why, s.now().UTC()
		return s.store.UpdateTrack(context.WithoutCancel(ctx), t)
	}
	finish := func(why string) error { t.NextAt = nil; return save(why) }
	skip := func(why string) error {
		if due {
			t.NextAt = nextReading(cfg.Schedule, t.PublishedAt, now)
		}
		return save(why)
	}

	d, err := s.store.GetDelivery(ctx, deliveryID)
	if IsCode(err, ENOTFOUND) {
		return finish("The delivery no longer exists.")
	} else if err != nil {
		return err
	}
	if d.Status != DeliveryPublished || d.ExternalID == "" {
		return finish("The delivery is no longer published.")
	}
	conn := s.connectors[d.Platform]
	if conn == nil {
		return finish(fmt.Sprintf("%s is not configured in this deployment.", d.Platform.Title()))
	}
	mf, ok := conn.(MetricsFetcher)
	if !ok {
		// A platform that has no metrics at all ends here; one whose
		// connector in this build does not read them yet keeps its
		// schedule, so that a later build reads it.
		def := DefinitionFor(d.Platform, "")
		if def == nil || (!def.Reach.Available() && !def.Views.Available() && !def.Engagements.Available()) {
			why := fmt.Sprintf("%s gives no metrics for posts.", d.Platform.Title())
			if def != nil {
				why = def.Views.Text
			}
			return finish(why)
		}
		return skip(fmt.Sprintf("Prasar's %s connector does not read metrics in this version.", d.Platform.Title()))
	}
	if until, blocked := s.reach.blockedUntil(d.AccountID, now); blocked {
		return &RetryError{At: until, Reason: "the platform's rate limit"}
	}
	acct, err := s.store.GetAccount(ctx, d.AccountID)
	if IsCode(err, ENOTFOUND) {
		return finish("The account was removed from the registry.")
	} else if err != nil {
		return err
	}
	if acct.Status != AccountConnected {
		return skip(fmt.Sprintf("The %s account %s is not connected, so its metrics could not be read.", d.Platform.Title(), acct.Handle))
	}
	cred, err := s.keyring.OpenCredentials(acct.ID, acct.Secret)
	if err != nil {
		s.log.ErrorContext(ctx, "metrics: cannot open the account's credentials", "account_id", acct.ID, "err", err)
		return skip("The account's stored credentials cannot be read; reconnect the account.")
	}

	res, err := mf.FetchMetrics(ctx, acct, cred, d.ExternalID)
	fetchedAt := s.now().UTC()
	ctx = context.WithoutCancel(ctx) // keep what the platform answered
	if err != nil {
		pe := AsPlatformError(err)
		s.log.WarnContext(ctx, "metrics reading failed", slog.String("delivery_id", d.ID), slog.String("platform", string(d.Platform)),
			slog.String("class", string(pe.Class)), slog.String("platform_message", pe.Message))
		switch pe.Class {
		case ClassRateLimited:
			at := pe.RetryAt
			if at.IsZero() || !at.After(fetchedAt) {
				at = fetchedAt.Add(15 * time.Minute)
			}
			s.reach.block(acct.ID, at)
			// The track stays due, so that a sweep does not queue a second
			// reading beside this one, which waits for the reset.
			if err := save(fmt.Sprintf("%s limits how often metrics may be read; waiting until the limit resets.", d.Platform.Title())); err != nil {
				return err
			}
			return &RetryError{At: at, Reason: "the platform's rate limit"}
		case ClassRetryable:
			// Try again a little later, but not past the next point of the
			// schedule.
			if due {
				next := nextReading(cfg.Schedule, t.PublishedAt, now)
				retry := fetchedAt.Add(15 * time.Minute)
				if next == nil || retry.Before(*next) {
					next = &retry
				}
				t.NextAt = next
			}
			return save(fmt.Sprintf("%s could not be reached to read metrics: %s", d.Platform.Title(), pe.Message))
		case ClassAuth:
			return skip(fmt.Sprintf("%s refused the account's access to metrics: %s", d.Platform.Title(), pe.Message))
		}
		return finish(fmt.Sprintf("%s no longer gives metrics for the post: %s", d.Platform.Title(), pe.Message))
	}

	version := s.metricsConfig().APIVersions[d.Platform]
	published := fetchedAt
	if d.PublishedAt != nil {
		published = d.PublishedAt.UTC()
	}
	r := &MetricReading{ID: NewID(), DeliveryID: d.ID, PostID: d.PostID, OrgID: d.OrgID, AccountID: d.AccountID, Platform: d.Platform,
		APIVersion: version, PublishedAt: published, FetchedAt: fetchedAt, Values: res.Values, Unavailable: res.Unavailable}
	if r.Values == nil {
		r.Values = map[string]int64{}
	}
	c := &Contribution{DeliveryID: d.ID, PostID: d.PostID, OrgID: d.OrgID, AccountID: d.AccountID, Platform: d.Platform,
		Day: ReachDay(published), Figures: ComputeFigures(DefinitionFor(d.Platform, version), r.Values), AsOf: fetchedAt}
	changed, err := s.store.RecordReading(ctx, r, c)
	if err != nil {
		return err
	}
	t.Fetches++
	t.LastFetchedAt = &fetchedAt
	if due {
		t.NextAt = nextReading(cfg.Schedule, t.PublishedAt, now)
	}
	why := ""
	if len(res.Unavailable) > 0 {
		why = fmt.Sprintf("%d of the metrics asked for were not available (see the raw reading).", len(res.Unavailable))
	}
	if err := save(why); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "metrics read", slog.String("delivery_id", d.ID), slog.String("platform", string(d.Platform)),
		slog.Int("values", len(r.Values)), slog.Int("unavailable", len(res.Unavailable)), slog.Bool("rollups_changed", changed), slog.Bool("manual", manual))
	s.events.Publish(Event{Kind: "metrics", PostID: d.PostID, DeliveryID: d.ID, OrgID: d.OrgID, Status: string(d.Status)})
	return nil
}

// CollectMetricsNow reads, at once, the metrics of every delivery still
// on its collection schedule (of one organisation, or all for ""),
// outside the schedule. Administrators and approvers for any
// organisation, editors for their own. It returns how many readings it
// queued (or made).
func (s *Service) CollectMetricsNow(ctx context.Context, orgID string) (int, error) {
	u, err := actor(ctx)
	if err != nil {
		return 0, err
	}
	switch {
	case u.Role == RoleEditor && orgID == "":
		orgID = u.OrgID
	case orgID != "" && !canSeeOrg(u, orgID):
		return 0, Errorf(ENOTFOUND, "No such organisation.")
	}
	if !canReview(u) && !canWriteFor(u, orgID) {
		return 0, Errorf(EFORBIDDEN, "Only administrators, approvers and the organisation's editors can read metrics now.")
	}
	cfg := s.metricsConfig()
	if cfg.Disabled {
		return 0, Errorf(EUNAVAILABLE, "Metrics collection is switched off in this deployment (PRASAR_METRICS_SCHEDULE=off).")
	}
	sys := SystemContext(ctx)
	now := s.now()
	if _, err := s.trackNewlyPublished(sys, cfg, now); err != nil {
		return 0, err
	}
	ts, err := s.store.ListActiveTracks(sys, orgID, 2000)
	if err != nil {
		return 0, err
	}
	me, queued := s.enqueuer.(MetricsEnqueuer)
	key := "manual-" + strconv.FormatInt(now.Unix(), 10)
	n := 0
	for _, t := range ts {
		if queued {
			if err := me.EnqueueMetrics(sys, t.DeliveryID, t.Platform, key, true, time.Time{}); err != nil {
				return n, err
			}
		} else if err := s.CollectMetrics(sys, t.DeliveryID, true); err != nil {
			var re *RetryError
			if !errors.As(err, &re) {
				return n, err
			}
		}
		n++
	}
	s.audit(ctx, "reach.collect_now", "organisation", orgID, orgID, map[string]string{"readings": strconv.Itoa(n)})
	return n, nil
}

// RebuildReport says what a rebuild of the roll-ups did.
type RebuildReport struct {
	Readings      int `json:"readings"`
	Contributions int `json:"contributions"`
}

// RebuildRollups recomputes every delivery's contribution from its raw
// readings with the current definitions, and every roll-up from the
// contributions. Administrators only (and the command line). On the
// embedded store it runs in one transaction, so readings recorded
// meanwhile wait and count exactly once; on MongoDB, stop the workers
// while it runs (a reading recorded during the rebuild may be missed
// until the delivery's next reading).
func (s *Service) RebuildRollups(ctx context.Context) (RebuildReport, error) {
	u, err := actor(ctx)
	if err != nil {
		return RebuildReport{}, err
	}
	if u.Role != RoleAdmin {
		return RebuildReport{}, Errorf(EFORBIDDEN, "Only administrators can rebuild the roll-ups.")
	}
	var rep RebuildReport
	// The readings are scanned only once the store asks for the first
	// contribution, that is once it holds its write lock (SQLite): no
	// reading can be recorded between the scan and the replacement.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		out     chan *Contribution
		scanErr chan error
	)
	start := func() {
		out, scanErr = make(chan *Contribution, 256), make(chan error, 1)
		go func() {
			defer close(out)
			var cur *Contribution
			flush := func() bool {
				if cur == nil {
					return true
				}
				select {
				case out <- cur:
					return true
				case <-ctx.Done():
					return false
				}
			}
			err := s.store.ScanReadings(ctx, func(r *MetricReading) error {
				rep.Readings++
				c := &Contribution{DeliveryID: r.DeliveryID, PostID: r.PostID, OrgID: r.OrgID, AccountID: r.AccountID, Platform: r.Platform,
					Day: ReachDay(r.PublishedAt), Figures: ComputeFigures(DefinitionFor(r.Platform, r.APIVersion), r.Values), AsOf: r.FetchedAt}
				if cur != nil && cur.DeliveryID == r.DeliveryID {
					merged, _, _ := MergeContribution(cur, c)
					cur = &merged
					return nil
				}
				if !flush() {
					return ctx.Err()
				}
				merged, _, _ := MergeContribution(nil, c)
				cur = &merged
				return nil
			})
			if err == nil && !flush() {
				err = ctx.Err()
			}
			scanErr <- err
		}()
	}
	n, err := s.store.ReplaceContributions(ctx, func() (*Contribution, error) {
		if out == nil {
			start()
		}
		c, ok := <-out
		if ok {
			return c, nil
		}
		if err := <-scanErr; err != nil {
			scanErr <- err // keep it for a repeated call
			return nil, err
		}
		scanErr <- nil
		return nil, nil
	})
	if err != nil {
		return RebuildReport{}, err
	}
	rep.Contributions = n
	s.audit(ctx, "reach.rebuild", "rollups", "", "", map[string]string{"readings": strconv.Itoa(rep.Readings), "contributions": strconv.Itoa(n)})
	s.log.InfoContext(ctx, "reach roll-ups rebuilt", "readings", rep.Readings, "contributions", n)
	return rep, nil
}
