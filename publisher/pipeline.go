package publisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// RetryError asks the queue to run the task again at At. It is how the
// domain, not the queue library, decides retry timing: back-off with jitter
// after a retryable failure, the platform's reset time after a rate limit,
// the scheduled time of a post.
type RetryError struct {
	At     time.Time
	Reason string
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("retry at %s: %s", e.At.UTC().Format(time.RFC3339), e.Reason)
}

// Fanout creates one delivery per target account of an approved post
// revision and queues each. It is idempotent: deliveries have deterministic
// ids and a unique (post, revision, account) key, and queueing a queued
// delivery is a no-op. A stale task (the post was edited, cancelled or
// approved again since) does nothing. While a pause holds the post's
// organisation, a fan-out that comes due leaves the post approved; resuming
// queues it again.
func (s *Service) Fanout(ctx context.Context, postID string, revision int) error {
	ctx = SystemContext(ctx)
	var p *Post
	for try := 0; ; try++ {
		var err error
		if p, err = s.store.GetPost(ctx, postID); IsCode(err, ENOTFOUND) {
			return nil
		} else if err != nil {
			return err
		}
		if p.Status == PostPublishing && p.FanoutRevision == revision {
			break // started before; finish the job
		}
		if p.Status != PostApproved || p.ApprovedRevision != revision {
			s.log.InfoContext(ctx, "stale fan-out ignored", "post_id", postID, "revision", revision, "status", string(p.Status))
			return nil
		}
		now := s.now()
		if p.ScheduledAt != nil && p.ScheduledAt.After(now.Add(time.Second)) {
			return &RetryError{At: *p.ScheduledAt, Reason: "scheduled"}
		}
		if ps, err := s.settings(ctx); err != nil {
			return err
		} else if ps.Holds(p.OrgID) {
			s.log.InfoContext(ctx, "fan-out held: publishing is paused", "post_id", postID, "org_id", p.OrgID)
			return nil
		}
		// Mark the post as publishing first, with a version check: an edit
		// racing with this fan-out either lands before (and this task turns
		// stale) or is refused after.
		p.Status, p.FanoutRevision, p.UpdatedAt = PostPublishing, revision, now.UTC()
		p.Review = append(p.Review, ReviewEntry{At: now.UTC(), UserID: SystemUser.ID, UserName: SystemUser.Name, Action: "publish", Revision: revision})
		err = s.store.UpdatePost(ctx, p, nil)
		if err == nil {
			s.events.Publish(Event{Kind: "post", PostID: p.ID, OrgID: p.OrgID, Status: string(p.Status)})
			break
		}
		if !IsCode(err, ECONFLICT) || try >= 3 {
			return err
		}
	}
	rev, err := s.store.GetRevision(ctx, p.ID, revision)
	if err != nil {
		return err
	}
	if len(rev.Targets) == 0 { // validation forbids it; an empty IDs filter would match every account
		return nil
	}
	accts, err := s.store.ListAccounts(ctx, AccountFilter{IDs: rev.Targets})
	if err != nil {
		return err
	}
	byID := map[string]*Account{}
	for _, a := range accts {
		byID[a.ID] = a
	}
	now := s.now().UTC()
	ds := make([]*Delivery, 0, len(rev.Targets))
	for _, id := range rev.Targets {
		a := byID[id]
		if a == nil {
			s.log.WarnContext(ctx, "fan-out target account no longer exists", "post_id", p.ID, "account_id", id)
			continue
		}
		ds = append(ds, &Delivery{ID: DeliveryID(p.ID, revision, a.ID), PostID: p.ID, Revision: revision, AccountID: a.ID,
			OrgID: p.OrgID, Platform: a.Platform, Status: DeliveryQueued, CreatedAt: now, UpdatedAt: now})
	}
	n, err := s.store.CreateDeliveries(ctx, ds)
	if err != nil {
		return err
	}
	// A retraction can land while the deliveries are being created, and
	// its task may have finished before they existed: look again, and
	// cancel them rather than queue them.
	if cur, err := s.store.GetPost(ctx, p.ID); err != nil {
		return err
	} else if cur.Status != PostPublishing {
		_, err := s.store.CancelDeliveries(ctx, DeliveryCancel{PostID: p.ID, From: retractCancelFrom, Message: retractCancelMessage, At: s.now().UTC()})
		return err
	}
	firstErr := s.enqueueAll(ctx, ds)
	if n > 0 {
		s.audit(ctx, "post.fanout", "post", p.ID, p.OrgID, map[string]string{"revision": itoa(revision), "deliveries": itoa(n)})
	}
	s.events.Publish(Event{Kind: "delivery", PostID: p.ID, OrgID: p.OrgID, Status: string(DeliveryQueued)})
	return firstErr
}

// Deliver makes one attempt at a delivery, following the exactly-once
// protocol: claim it atomically, record "sending" before calling the
// platform, store the outcome at once. An attempt that finds an earlier
// call's outcome unknown looks the post up on the account first. Deliver
// returns nil when the delivery needs no more work from this task, a
// *RetryError when the task should run again at a given time, and other
// errors when the store failed (the task is retried).
//
// What a worker killed at each instant leaves behind, and who finishes:
//   - before the claim: the delivery is still queued; the task (recovered
//     by the queue) or the reconciler's re-queue runs it;
//   - after the claim, before or during the platform call, or after the
//     platform answered but before the result was stored: the delivery is
//     "sending" under a lease; once the lease lapses the reconciler
//     re-queues it, and the next claim sets NeedsLookup, so the next
//     attempt looks the post up on the account before posting (and becomes
//     "unconfirmed" where the platform cannot tell);
//   - after the result was stored, before the task was acknowledged: the
//     task runs again, finds the delivery final and does nothing.
//
// The platform call is bounded to end before the lease does, so that no
// call is still in flight when another worker may take the delivery over.
// A pause (control.go) holds the delivery without claiming it.
func (s *Service) Deliver(ctx context.Context, id string) error {
	ctx = SystemContext(ctx)
	if held, err := s.deliveryHeld(ctx, id); err != nil {
		return err
	} else if held {
		s.log.DebugContext(ctx, "deliver: publishing is paused; the delivery waits", "delivery_id", id)
		return nil
	}
	now := s.now()
	// The call's deadline is taken from the real clock: the lease is a
	// duration, and the service's clock may be a test's.
	callBy := time.Now().Add(s.cfg.Lease - leaseMargin(s.cfg.Lease))
	token := NewToken(12)
	d, err := s.store.ClaimDelivery(ctx, id, Claim{Token: token, Now: now.UTC(), LeaseUntil: now.Add(s.cfg.Lease).UTC()})
	if IsCode(err, ENOTFOUND) {
		s.log.WarnContext(ctx, "deliver: no such delivery", "delivery_id", id)
		return nil
	} else if IsCode(err, ECONFLICT) {
		// Not claimable now: find out why, and whether this task should
		// come back.
		d, err := s.store.GetDelivery(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case d.Status == DeliverySending && d.LeaseUntil != nil && d.LeaseUntil.After(now):
			// Another worker holds it. Come back when its lease lapses: if
			// that worker died, this task takes over (and looks the post
			// up first).
			return &RetryError{At: *d.LeaseUntil, Reason: "held by another worker"}
		case d.Status == DeliveryRetrying && d.NextAttemptAt != nil && d.NextAttemptAt.After(now):
			return &RetryError{At: *d.NextAttemptAt, Reason: "not due yet"}
		}
		return nil // final, or claimed and finished meanwhile
	} else if err != nil {
		return err
	}
	started := s.now().UTC()
	actx, cancel := context.WithDeadline(ctx, callBy)
	res, outcome := s.attempt(actx, d)
	cancel()
	res.At = s.now().UTC()
	// Store the outcome even if the task's context was cancelled (timeout,
	// shutdown) after the platform answered: a lost result costs a lease
	// and a look-up.
	ctx = context.WithoutCancel(ctx)
	res.Attempt = &Attempt{DeliveryID: id, N: d.Attempts, StartedAt: started, EndedAt: res.At, Outcome: outcome, ErrorClass: res.ErrorClass, Message: firstNonEmpty(res.PlatformMessage, res.ErrorMessage)}
	fin, err := s.finishDelivery(ctx, id, token, res)
	if IsCode(err, ECONFLICT) {
		// The lease lapsed and another worker took over; it will look the
		// post up before posting again.
		s.log.WarnContext(ctx, "deliver: lost the claim before storing the result", "delivery_id", id, "outcome", outcome)
		return nil
	} else if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "delivery attempt", slog.String("delivery_id", id), slog.String("platform", string(fin.Platform)),
		slog.Int("attempt", fin.Attempts), slog.String("outcome", outcome), slog.String("status", string(fin.Status)))
	s.events.Publish(Event{Kind: "delivery", PostID: fin.PostID, DeliveryID: fin.ID, OrgID: fin.OrgID, Status: string(fin.Status)})
	if fin.Status == DeliveryRetrying && fin.NextAttemptAt != nil {
		return &RetryError{At: *fin.NextAttemptAt, Reason: outcome}
	}
	return nil
}

// leaseMargin is how long before its lease ends a delivery's platform call
// is abandoned: a quarter of the lease, at most 15 s.
func leaseMargin(lease time.Duration) time.Duration { return min(lease/4, 15*time.Second) }

// finishDelivery stores an attempt's result, trying a few times more when
// the store fails for another reason than a lost claim: the platform has
// answered, and a result lost now costs a lease and a look-up.
func (s *Service) finishDelivery(ctx context.Context, id, token string, res DeliveryResult) (*Delivery, error) {
	var err error
	for try := 0; ; try++ {
		var fin *Delivery
		fin, err = s.store.FinishDelivery(ctx, id, token, res)
		if err == nil || IsCode(err, ECONFLICT) || IsCode(err, ENOTFOUND) || try >= 3 {
			return fin, err
		}
		s.log.WarnContext(ctx, "deliver: storing the result failed; trying again", "delivery_id", id, "err", err)
		time.Sleep(time.Duration(250<<try) * time.Millisecond)
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// attempt does the platform work of one claimed delivery and returns the
// result to store and a one-word outcome for the attempt history.
func (s *Service) attempt(ctx context.Context, d *Delivery) (DeliveryResult, string) {
	fail := func(class ErrorClass, msg string) (DeliveryResult, string) {
		return DeliveryResult{Status: DeliveryFailed, Failures: d.Failures, ErrorClass: class, ErrorMessage: msg}, "failed"
	}
	acct, err := s.store.GetAccount(ctx, d.AccountID)
	if IsCode(err, ENOTFOUND) {
		return fail(ClassRejected, "The account was removed from the registry before the post could be published.")
	} else if err != nil {
		return s.retryable(d, &PlatformError{Class: ClassRetryable, Message: "Prasar could not read the account: " + err.Error()}, false)
	}
	conn := s.connectors[d.Platform]
	if conn == nil {
		return fail(ClassRejected, fmt.Sprintf("%s is not configured in this deployment.", d.Platform.Title()))
	}
	if r := conn.Rules(); r.Defunct != "" || !r.Enabled {
		reason := "it is switched off in this deployment"
		if r.Defunct != "" {
			reason = r.Defunct
		}
		return fail(ClassRejected, fmt.Sprintf("%s cannot be published to: %s.", d.Platform.Title(), reason))
	}
	if acct.Status != AccountConnected {
		return DeliveryResult{Status: DeliveryNeedsReconnect, Failures: d.Failures, NeedsLookup: d.NeedsLookup, ErrorClass: ClassAuth,
			ErrorMessage: fmt.Sprintf("The %s account %s is not connected; the organisation's nodal officer must reconnect it. The post goes out as soon as it is.", d.Platform.Title(), acct.Handle)}, "waiting_for_account"
	}
	cred, err := s.keyring.OpenCredentials(acct.ID, acct.Secret)
	if err != nil {
		s.log.ErrorContext(ctx, "deliver: cannot open the account's credentials", "account_id", acct.ID, "err", err)
		return DeliveryResult{Status: DeliveryNeedsReconnect, Failures: d.Failures, NeedsLookup: d.NeedsLookup, ErrorClass: ClassAuth,
			ErrorMessage: "The account's stored credentials cannot be read (was the encryption key changed?); reconnect the account."}, "waiting_for_account"
	}
	// A token that is due is refreshed first, and an old-key secret sealed
	// again (tokens.go).
	if acct, cred, err = s.freshCredentials(ctx, conn, acct, cred); err != nil {
		return s.classified(ctx, d, acct, AsPlatformError(err), d.NeedsLookup)
	}
	rev, err := s.revision(ctx, d.PostID, d.Revision)
	if err != nil {
		return s.retryable(d, &PlatformError{Class: ClassRetryable, Message: "Prasar could not read the post: " + err.Error()}, d.NeedsLookup)
	}
	msg, err := s.message(ctx, d, rev)
	if err != nil {
		return s.retryable(d, &PlatformError{Class: ClassRetryable, Message: "Prasar could not prepare the post: " + err.Error()}, d.NeedsLookup)
	}
	if d.NeedsLookup {
		pub, err := conn.Lookup(ctx, acct, cred, msg, d.CreatedAt.Add(-time.Minute))
		switch {
		case err == nil:
			now := s.now().UTC()
			return DeliveryResult{Status: DeliveryPublished, Failures: d.Failures, ExternalID: pub.ExternalID, ExternalURL: pub.URL, PublishedAt: &now,
				ErrorMessage: "An earlier attempt was interrupted; the post was found on the account, so it was not posted again."}, "found"
		case errors.Is(err, ErrNotPublished):
			// Safe to post.
		case errors.Is(err, ErrLookupUnsupported):
			return DeliveryResult{Status: DeliveryUnconfirmed, Failures: d.Failures, NeedsLookup: true, ErrorClass: ClassRetryable,
				ErrorMessage: fmt.Sprintf("An earlier attempt was interrupted after the post was sent, and %s cannot tell whether it was published. Check the account, then mark the delivery as published or post it again.", d.Platform.Title())}, "unconfirmed"
		default:
			return s.classified(ctx, d, acct, AsPlatformError(err), true)
		}
	}
	// Within the platform's posting limits, or wait for the window to free
	// up (budgets.go).
	if res, outcome, wait := s.checkBudgets(ctx, d); wait {
		return res, outcome
	}
	pub, err := conn.Publish(ctx, acct, cred, msg)
	if err != nil {
		return s.classified(ctx, d, acct, AsPlatformError(err), false)
	}
	now := s.now().UTC()
	return DeliveryResult{Status: DeliveryPublished, Failures: d.Failures, ExternalID: pub.ExternalID, ExternalURL: pub.URL, PublishedAt: &now}, "published"
}

// classified turns a connector failure into the delivery's next state.
// stillUnknown is set when an earlier call's outcome is still unknown.
func (s *Service) classified(ctx context.Context, d *Delivery, acct *Account, pe *PlatformError, stillUnknown bool) (DeliveryResult, string) {
	name := d.Platform.Title()
	switch pe.Class {
	case ClassRejected:
		if pe.Duplicate && (stillUnknown || d.NeedsLookup) {
			return DeliveryResult{Status: DeliveryUnconfirmed, Failures: d.Failures, NeedsLookup: true, ErrorClass: ClassRejected, PlatformMessage: pe.Message,
				ErrorMessage: fmt.Sprintf("An earlier attempt was interrupted, and %s now refuses the post as a duplicate: it was most likely published then, but could not be found. Check the account, then mark the delivery as published.", name)}, "unconfirmed"
		}
		return DeliveryResult{Status: DeliveryFailed, Failures: d.Failures, ErrorClass: ClassRejected, PlatformMessage: pe.Message,
			ErrorMessage: fmt.Sprintf("%s refused the post; it will not be retried. Correct it and post again.", name)}, "rejected"
	case ClassAuth:
		if !s.markNeedsReconnect(ctx, acct, pe.Message) {
			// The account's credentials were replaced since this attempt
			// read them (refreshed or reconnected): try again with those.
			return s.retryable(d, pe, stillUnknown)
		}
		return DeliveryResult{Status: DeliveryNeedsReconnect, Failures: d.Failures, NeedsLookup: stillUnknown, ErrorClass: ClassAuth, PlatformMessage: pe.Message,
			ErrorMessage: fmt.Sprintf("%s no longer accepts this account's access; the organisation's nodal officer must reconnect it. The post goes out as soon as it is.", name)}, "auth"
	case ClassRateLimited:
		at := pe.RetryAt
		now := s.now()
		if at.IsZero() || at.Before(now) {
			at = now.Add(time.Minute)
		}
		at = at.UTC()
		return DeliveryResult{Status: DeliveryRetrying, Failures: d.Failures, NeedsLookup: stillUnknown, NextAttemptAt: &at, ErrorClass: ClassRateLimited, PlatformMessage: pe.Message,
			ErrorMessage: fmt.Sprintf("%s limits how often this account may post; waiting until the limit resets.", name)}, "rate_limited"
	}
	return s.retryable(d, pe, stillUnknown || pe.Ambiguous)
}

// retryable schedules another attempt with exponential back-off and
// jitter, or gives up after MaxFailures: as "unconfirmed" if the platform
// may have posted, as "failed" otherwise.
func (s *Service) retryable(d *Delivery, pe *PlatformError, unknown bool) (DeliveryResult, string) {
	failures := d.Failures + 1
	name := d.Platform.Title()
	if failures >= s.cfg.MaxFailures {
		if unknown {
			return DeliveryResult{Status: DeliveryUnconfirmed, Failures: failures, NeedsLookup: true, ErrorClass: ClassRetryable, PlatformMessage: pe.Message,
				ErrorMessage: fmt.Sprintf("Gave up after %d failed attempts, and %s may have published the post during one of them. Check the account, then mark the delivery as published or post it again.", failures, name)}, "unconfirmed"
		}
		return DeliveryResult{Status: DeliveryFailed, Failures: failures, ErrorClass: ClassRetryable, PlatformMessage: pe.Message,
			ErrorMessage: fmt.Sprintf("Gave up after %d failed attempts: %s could not be reached or kept failing. Retry it when the platform is back.", failures, name)}, "failed"
	}
	at := s.now().Add(s.backoff(failures)).UTC()
	return DeliveryResult{Status: DeliveryRetrying, Failures: failures, NeedsLookup: unknown, NextAttemptAt: &at, ErrorClass: ClassRetryable, PlatformMessage: pe.Message,
		ErrorMessage: fmt.Sprintf("%s could not be reached or had a temporary fault; trying again automatically (attempt %d of %d).", name, failures+1, s.cfg.MaxFailures)}, "retrying"
}

// backoff returns the delay before retry n (1-based): RetryBase·2^(n-1),
// capped at RetryMax, with "equal jitter" (half fixed, half random).
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < n && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	if d > s.cfg.RetryMax {
		d = s.cfg.RetryMax
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// markNeedsReconnect flags an account whose token the platform refused,
// unless its credentials were replaced since acct was read (tokens.go,
// markBroken). It reports whether the account still holds the refused
// credentials.
func (s *Service) markNeedsReconnect(ctx context.Context, acct *Account, reason string) bool {
	if acct.Status == AccountNeedsReconnect {
		return true
	}
	return s.markBroken(ctx, acct, reason)
}

// message builds the connector's message for a delivery from the revision
// it publishes.
func (s *Service) message(ctx context.Context, d *Delivery, rev *PostRevision) (Message, error) {
	msg := Message{DeliveryID: d.ID, Text: rev.Content.TextFor(d.Platform), Link: rev.Content.Link, Languages: rev.Content.Languages()}
	for _, id := range rev.Content.MediaIDs {
		m, err := s.store.GetMedia(ctx, id)
		if err != nil {
			return msg, err
		}
		mid := m.ID
		msg.Media = append(msg.Media, MediaRef{
			ID: m.ID, ContentType: m.ContentType, Size: m.Size, Width: m.Width, Height: m.Height, AltText: rev.Content.AltText,
			URL:  s.MediaURL(m.ID),
			Open: func(ctx context.Context) ([]byte, error) { return s.store.GetMediaData(ctx, mid) },
		})
	}
	return msg, nil
}

// ReconcileReport says what a reconciliation pass re-queued or changed.
type ReconcileReport struct {
	Fanouts    int `json:"fanouts"`
	Deliveries int `json:"deliveries"`
	// Expired counts posts sent back to their authors because their
	// scheduled time passed unapproved (schedule.go).
	Expired int `json:"expired"`
	// Retractions counts retractions queued again (retract.go).
	Retractions int `json:"retractions"`
}

// Reconcile re-queues work whose queue task may have been lost (Redis
// restarted or flushed, the embedded broker restarted, an enqueue failed
// after the store was written, a worker died holding the task): approved
// posts without their fan-out, publishing posts with missing deliveries,
// deliveries that should be moving but have not changed for
// ReconcileGrace, and sending deliveries whose lease lapsed. The store is
// the source of truth. Deliveries are re-queued under a task id of their
// own (DeliveryRequeuer), so that a task still held by a dead worker does
// not keep them waiting; a duplicate task is harmless, because claims are
// atomic. Work that a pause holds is left alone. Reconcile also expires the
// approval of posts whose scheduled time passed unapproved, and carries
// unfinished retractions forward.
func (s *Service) Reconcile(ctx context.Context) (ReconcileReport, error) {
	ctx = SystemContext(ctx)
	var rep ReconcileReport
	now := s.now()
	stale := now.Add(-s.cfg.ReconcileGrace)
	// One key per grace period: re-queues of one pass share their task
	// ids, and the next period's pass gets fresh ones.
	key := fmt.Sprintf("rc%d", now.UnixMilli()/max(s.cfg.ReconcileGrace.Milliseconds(), 1))
	ps, err := s.loadSettings(ctx)
	if err != nil {
		return rep, err
	}
	posts, _, err := s.store.ListPosts(ctx, PostFilter{Statuses: []PostStatus{PostApproved}, Limit: 1000})
	if err != nil {
		return rep, err
	}
	for _, p := range posts {
		if ps.Holds(p.OrgID) {
			continue // resuming queues it
		}
		if p.ScheduledAt != nil && p.ScheduledAt.After(now) {
			// Re-create a scheduled task the broker may have lost, under
			// its own id: a task that exists stays as it is.
			if err := s.enqueuer.EnqueueFanout(ctx, p.ID, p.ApprovedRevision, *p.ScheduledAt); err != nil {
				return rep, err
			}
			rep.Fanouts++
			continue
		}
		if p.ApprovedAt != nil && p.ApprovedAt.After(stale) {
			continue // just approved; its task is on its way
		}
		if err := s.requeueFanout(ctx, p.ID, p.ApprovedRevision, key, time.Time{}); err != nil {
			return rep, err
		}
		rep.Fanouts++
	}
	// Fan-outs interrupted between marking the post and creating its
	// deliveries.
	posts, _, err = s.store.ListPosts(ctx, PostFilter{Statuses: []PostStatus{PostPublishing}, UpdatedAfter: now.Add(-72 * time.Hour), Limit: 1000})
	if err != nil {
		return rep, err
	}
	for _, p := range posts {
		if p.UpdatedAt.After(stale) {
			continue
		}
		counts, err := s.store.CountDeliveries(ctx, DeliveryFilter{PostID: p.ID})
		if err != nil {
			return rep, err
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		rev, err := s.store.GetRevision(ctx, p.ID, p.FanoutRevision)
		if err != nil {
			return rep, err
		}
		if len(rev.Targets) == 0 {
			continue
		}
		accts, err := s.store.ListAccounts(ctx, AccountFilter{IDs: rev.Targets})
		if err != nil {
			return rep, err
		}
		if total < len(accts) {
			if err := s.requeueFanout(ctx, p.ID, p.FanoutRevision, key, time.Time{}); err != nil {
				return rep, err
			}
			rep.Fanouts++
		}
	}
	ds, err := s.store.ListDueDeliveries(ctx, now.UTC(), stale.UTC(), 1000)
	if err != nil {
		return rep, err
	}
	for _, d := range ds {
		if ps.Holds(d.OrgID) {
			continue // resuming queues it
		}
		if err := s.requeue(ctx, d, key, time.Time{}); err != nil {
			return rep, err
		}
		rep.Deliveries++
	}
	if rep.Expired, err = s.expireApprovals(ctx, now); err != nil {
		return rep, err
	}
	if rep.Retractions, err = s.reconcileRetractions(ctx, now); err != nil {
		return rep, err
	}
	if rep.Fanouts+rep.Deliveries+rep.Expired+rep.Retractions > 0 {
		s.log.InfoContext(ctx, "reconciler re-queued work", "fanouts", rep.Fanouts, "deliveries", rep.Deliveries,
			"expired", rep.Expired, "retractions", rep.Retractions)
	}
	return rep, nil
}

// FanoutRequeuer is implemented by enqueuers that can queue a fan-out
// under a task id of its own (see DeliveryRequeuer).
type FanoutRequeuer interface {
	RequeueFanout(ctx context.Context, postID string, revision int, key string, at time.Time) error
}

// requeueFanout queues a fan-out again under key if the enqueuer can, as
// an ordinary fan-out task otherwise.
func (s *Service) requeueFanout(ctx context.Context, postID string, revision int, key string, at time.Time) error {
	if rq, ok := s.enqueuer.(FanoutRequeuer); ok {
		return rq.RequeueFanout(ctx, postID, revision, key, at)
	}
	return s.enqueuer.EnqueueFanout(ctx, postID, revision, at)
}

// revision returns a post revision, from a small in-process cache:
// revisions never change once written, and every delivery of a fan-out
// reads the same one.
func (s *Service) revision(ctx context.Context, postID string, rev int) (*PostRevision, error) {
	key := revisionKey{postID, rev}
	s.revMu.Lock()
	r, ok := s.revCache[key]
	s.revMu.Unlock()
	if ok {
		return r, nil
	}
	r, err := s.store.GetRevision(ctx, postID, rev)
	if err != nil {
		return nil, err
	}
	s.revMu.Lock()
	if len(s.revCache) >= revisionCacheSize {
		clear(s.revCache) // simple and rare: a cache of the few posts publishing now
	}
	s.revCache[key] = r
	s.revMu.Unlock()
	return r, nil
}

type revisionKey struct {
	postID string
	rev    int
}

const revisionCacheSize = 256

// enqueueAll queues deliveries with a few enqueues in flight at once (each
// is a round trip to Redis), and returns the first error.
func (s *Service) enqueueAll(ctx context.Context, ds []*Delivery) error {
	const inFlight = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan *Delivery)
	for w := 0; w < min(inFlight, len(ds)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range next {
				if err := s.enqueuer.EnqueueDelivery(ctx, d.ID, d.Platform, time.Time{}); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, d := range ds {
		next <- d
	}
	close(next)
	wg.Wait()
	return firstErr
}
