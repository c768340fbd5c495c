package publisher

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// This file holds the PR section's controls over publishing: the pause
// switches (all publishing, one organisation), and the store port that the
// controls, the publish budgets (budgets.go) and retraction (retract.go)
// need.
//
// A pause holds work, it never drops it. While publishing is paused for an
// organisation (or for everyone), a fan-out that comes due leaves its post
// approved, and a delivery task that comes due leaves its delivery queued
// (or retrying) without calling the platform; the reconciler leaves held
// work alone instead of re-queueing it again and again. Resuming re-queues
// everything that was held (SetPaused). A delivery that was already being
// sent when the pause was switched on finishes.

// PublishingSettings are the publishing switches, one aggregate in the
// store, changed with optimistic versioning.
type PublishingSettings struct {
	// Paused, when set, holds all publishing (an administrator's switch).
	Paused *Pause `json:"paused,omitempty"`
	// PausedOrgs holds the publishing of single organisations, by id (an
	// administrator's or approver's switch).
	PausedOrgs map[string]*Pause `json:"pausedOrgs,omitempty"`
	UpdatedAt  time.Time         `json:"updatedAt"`
	// Version increments with every save; 0 means never saved.
	Version int64 `json:"version"`
}

// Pause says who held publishing, when and why.
type Pause struct {
	By     string    `json:"by"`
	ByName string    `json:"byName,omitempty"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Holds reports whether the settings hold the publishing of an
// organisation's posts.
func (ps *PublishingSettings) Holds(orgID string) bool {
	if ps == nil {
		return false
	}
	return ps.Paused != nil || ps.PausedOrgs[orgID] != nil
}

// any reports whether anything is paused.
func (ps *PublishingSettings) any() bool {
	return ps != nil && (ps.Paused != nil || len(ps.PausedOrgs) > 0)
}

// clone returns a deep copy of ps, for changing it.
func (ps *PublishingSettings) clone() *PublishingSettings {
	c := *ps
	if ps.Paused != nil {
		p := *ps.Paused
		c.Paused = &p
	}
	c.PausedOrgs = make(map[string]*Pause, len(ps.PausedOrgs))
	for k, v := range ps.PausedOrgs {
		p := *v
		c.PausedOrgs[k] = &p
	}
	return &c
}

// ControlStore keeps the publishing switches and retractions, and answers
// the questions the publish budgets ask of the deliveries.
type ControlStore interface {
	// GetSettings returns the publishing settings; a store that never saved
	// any returns empty settings with Version 0, not ENOTFOUND.
	GetSettings(ctx context.Context) (*PublishingSettings, error)
	// SaveSettings stores ps if the stored version equals ps.Version (0:
	// nothing stored yet) and then increments ps.Version. Returns
	// ECONFLICT if somebody saved in between.
	SaveSettings(ctx context.Context, ps *PublishingSettings) error
	// CountPublished counts the deliveries on w.Platform (and of
	// w.AccountID, unless it is empty) that are published with PublishedAt
	// at or after w.Since, and those, other than w.ExcludeID, that are
	// sending under a lease that runs past w.Now (calls in flight). Oldest
	// is the earliest PublishedAt counted (nil when none).
	CountPublished(ctx context.Context, w PublishWindow) (PublishCount, error)
	// CancelDeliveries changes every delivery of c.PostID whose status is
	// in c.From to cancelled at c.At, with c.Message as its error message
	// (error class and platform message cleared, NextAttemptAt cleared,
	// any claim dropped, NeedsLookup kept), and returns how many it
	// changed. Each delivery changes atomically against claims and other
	// conditional changes.
	CancelDeliveries(ctx context.Context, c DeliveryCancel) (int, error)
	// CreateRetraction inserts r (Version 1). Returns ECONFLICT if the post
	// has one already.
	CreateRetraction(ctx context.Context, r *Retraction) error
	// GetRetraction returns a post's retraction; ENOTFOUND if it has none.
	GetRetraction(ctx context.Context, postID string) (*Retraction, error)
	// UpdateRetraction replaces r if its stored Version equals r.Version
	// and then increments r.Version. Returns ENOTFOUND if there is none and
	// ECONFLICT if the version is stale.
	UpdateRetraction(ctx context.Context, r *Retraction) error
}

// PublishWindow asks how much of a publish budget is used.
type PublishWindow struct {
	Platform  Platform
	AccountID string // "": every account of the platform
	Since     time.Time
	Now       time.Time
	ExcludeID string
}

// PublishCount answers a PublishWindow.
type PublishCount struct {
	Published int
	InFlight  int
	Oldest    *time.Time
}

// DeliveryCancel is a bulk cancellation of a post's deliveries.
type DeliveryCancel struct {
	PostID  string
	From    []DeliveryStatus
	Message string
	At      time.Time
}

// settingsCache keeps this process's copy of the publishing settings.
type settingsCache struct {
	mu   sync.Mutex
	ps   *PublishingSettings
	read time.Time // when ps was read (real time)
}

// settings returns the publishing settings, from the cache if it is younger
// than SettingsTTL. The result must not be changed.
func (s *Service) settings(ctx context.Context) (*PublishingSettings, error) {
	c := &s.settingsC
	c.mu.Lock()
	if c.ps != nil && time.Since(c.read) < s.cfg.SettingsTTL {
		ps := c.ps
		c.mu.Unlock()
		return ps, nil
	}
	c.mu.Unlock()
	return s.loadSettings(ctx)
}

// loadSettings reads the publishing settings from the store and caches them.
func (s *Service) loadSettings(ctx context.Context) (*PublishingSettings, error) {
	ps, err := s.store.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	s.cacheSettings(ps)
	return ps, nil
}

func (s *Service) cacheSettings(ps *PublishingSettings) {
	c := &s.settingsC
	c.mu.Lock()
	c.ps, c.read = ps, time.Now()
	c.mu.Unlock()
}

// deliveryHeld reports whether a pause holds the delivery with the given id.
// It reads the delivery only when some organisation is paused.
func (s *Service) deliveryHeld(ctx context.Context, id string) (bool, error) {
	ps, err := s.settings(ctx)
	if err != nil {
		return false, err
	}
	if !ps.any() {
		return false, nil
	}
	if ps.Paused != nil {
		return true, nil
	}
	d, err := s.store.GetDelivery(ctx, id)
	if IsCode(err, ENOTFOUND) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return ps.Holds(d.OrgID), nil
}

// GetPublishingSettings returns the publishing switches. Everyone signed in
// may read them (the UI shows a banner while publishing is paused).
func (s *Service) GetPublishingSettings(ctx context.Context) (*PublishingSettings, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	ps, err := s.loadSettings(ctx)
	if err != nil {
		return nil, err
	}
	return ps.clone(), nil
}

// SetPaused pauses or resumes publishing: for everyone when orgID is empty
// (administrators only), or for one organisation (administrators and
// approvers). Pausing holds work without losing it; resuming re-queues
// everything the pause held. Both are audited and notified to the
// administrators and approvers (and, for an organisation, its officers).
// Setting the state it is already in changes nothing. It returns the
// settings and, on resume, how many fan-outs and deliveries were queued
// again.
func (s *Service) SetPaused(ctx context.Context, orgID string, paused bool, reason string) (*PublishingSettings, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var org *Organisation
	if orgID == "" {
		if u.Role != RoleAdmin {
			return nil, 0, Errorf(EFORBIDDEN, "Only administrators can pause or resume all publishing.")
		}
	} else {
		if !canReview(u) {
			return nil, 0, Errorf(EFORBIDDEN, "Only administrators and the PR section's approvers can pause an organisation's publishing.")
		}
		if !ValidID(orgID) {
			return nil, 0, Errorf(ENOTFOUND, "No such organisation.")
		}
		if org, err = s.store.GetOrg(ctx, orgID); IsCode(err, ENOTFOUND) {
			return nil, 0, Errorf(ENOTFOUND, "No such organisation.")
		} else if err != nil {
			return nil, 0, err
		}
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return nil, 0, &Error{Code: EINVALID, Message: "The reason is too long.", Fields: []FieldError{{Field: "reason", Code: "too_long", Message: "The reason is longer than 500 characters.", Params: map[string]string{"limit": "500"}}}}
	}
	now := s.now().UTC()
	var ps *PublishingSettings
	for try := 0; ; try++ {
		cur, err := s.store.GetSettings(ctx)
		if err != nil {
			return nil, 0, err
		}
		next := cur.clone()
		pause := &Pause{By: u.ID, ByName: u.Name, At: now, Reason: reason}
		changed := false
		switch {
		case orgID == "" && paused && next.Paused == nil:
			next.Paused, changed = pause, true
		case orgID == "" && !paused && next.Paused != nil:
			next.Paused, changed = nil, true
		case orgID != "" && paused && next.PausedOrgs[orgID] == nil:
			next.PausedOrgs[orgID], changed = pause, true
		case orgID != "" && !paused && next.PausedOrgs[orgID] != nil:
			delete(next.PausedOrgs, orgID)
			changed = true
		}
		if !changed {
			s.cacheSettings(cur)
			return cur.clone(), 0, nil
		}
		next.UpdatedAt = now
		err = s.store.SaveSettings(ctx, next)
		if err == nil {
			ps = next
			break
		}
		if !IsCode(err, ECONFLICT) || try >= 3 {
			return nil, 0, err
		}
	}
	s.cacheSettings(ps)

	scope, name, link := "all", "all publishing", "/operations"
	if org != nil {
		scope, name = org.ID, fmt.Sprintf("publishing for %s (%s)", org.NameEN, org.Code)
	}
	action, kind, verb := "publishing.pause", "publishing.paused", "paused"
	if !paused {
		action, kind, verb = "publishing.resume", "publishing.resumed", "resumed"
	}
	s.audit(ctx, action, "publishing", scope, orgID, map[string]string{"reason": reason})
	subject := fmt.Sprintf("%s %s %s", u.Name, verb, name)
	body := subject + "."
	if paused {
		body += " Approved posts and their deliveries wait; nothing is lost. They go out when publishing is resumed."
	} else {
		body += " Everything that waited is being published now."
	}
	if reason != "" {
		body += "\n\nReason: " + reason
	}
	to := Recipients{Roles: []Role{RoleAdmin, RoleApprover}, OrgOfficers: orgID}
	if _, err := s.Notify(ctx, to, orgID, kind, subject, body, link); err != nil {
		s.log.WarnContext(ctx, "notifying a pause change failed", "scope", scope, "err", err)
	}
	s.events.Publish(Event{Kind: "settings", OrgID: orgID, Status: verb})
	drained := 0
	if !paused {
		drained = s.drain(context.WithoutCancel(ctx), orgID, ps)
	}
	return ps.clone(), drained, nil
}

// drain re-queues the work a pause held: approved posts (their fan-out)
// and the deliveries that wait, of one organisation or of all that no
// other pause still holds. Tasks are queued SettingsTTL from now, when
// every process has seen the resume; anything not queued here (the queue
// failed) is re-queued by the reconciler. It returns how much it queued.
func (s *Service) drain(ctx context.Context, orgID string, ps *PublishingSettings) int {
	now := s.now()
	at := now.Add(s.cfg.SettingsTTL)
	key := fmt.Sprintf("resume%d", now.UnixMilli())
	n := 0
	posts, _, err := s.store.ListPosts(ctx, PostFilter{OrgID: orgID, Statuses: []PostStatus{PostApproved}, Limit: 5000})
	if err != nil {
		s.log.ErrorContext(ctx, "resume: listing approved posts failed; the reconciler re-queues them", "err", err)
	}
	for _, p := range posts {
		if ps.Holds(p.OrgID) {
			continue
		}
		when := at
		if p.ScheduledAt != nil && p.ScheduledAt.After(when) {
			when = *p.ScheduledAt
		}
		if err := s.enqueuer.EnqueueFanout(ctx, p.ID, p.ApprovedRevision, when); err != nil {
			s.log.WarnContext(ctx, "resume: queueing a fan-out failed; the reconciler re-queues it", "post_id", p.ID, "err", err)
			continue
		}
		n++
	}
	// Collect first, then queue: queueing changes what the listing
	// returns, and pages taken meanwhile would skip deliveries.
	var waiting []*Delivery
	const page = 1000
	for offset := 0; offset < 100*page; offset += page {
		ds, total, err := s.store.ListDeliveries(ctx, DeliveryFilter{OrgID: orgID, Statuses: []DeliveryStatus{DeliveryQueued, DeliveryRetrying, DeliverySending}, Limit: page, Offset: offset})
		if err != nil {
			s.log.ErrorContext(ctx, "resume: listing waiting deliveries failed; the reconciler re-queues them", "err", err)
			break
		}
		for _, d := range ds {
			if !ps.Holds(d.OrgID) {
				waiting = append(waiting, d)
			}
		}
		if offset+page >= total {
			break
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next = make(chan *Delivery)
	)
	for w := 0; w < min(8, len(waiting)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range next {
				when := at
				if d.Status == DeliveryRetrying && d.NextAttemptAt != nil && d.NextAttemptAt.After(when) {
					when = *d.NextAttemptAt
				}
				if err := s.requeue(ctx, d, key, when); err != nil {
					s.log.WarnContext(ctx, "resume: queueing a delivery failed; the reconciler re-queues it", "delivery_id", d.ID, "err", err)
					continue
				}
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	for _, d := range waiting {
		next <- d
	}
	close(next)
	wg.Wait()
	if n > 0 {
		s.log.InfoContext(ctx, "publishing resumed: re-queued the work that waited", "org_id", orgID, "queued", n)
	}
	return n
}

// DeliveryRequeuer is implemented by enqueuers that can queue a delivery
// under a task id of its own (the delivery id and key), beside any task of
// the delivery that may still be held by a worker that died: the
// reconciler and a resume use it so that work waiting for a lost or stuck
// task goes on at once. Duplicate tasks are harmless: claims are atomic.
type DeliveryRequeuer interface {
	RequeueDelivery(ctx context.Context, deliveryID string, platform Platform, key string, at time.Time) error
}

// requeue queues d again under key if the enqueuer can, as an ordinary
// delivery task otherwise.
func (s *Service) requeue(ctx context.Context, d *Delivery, key string, at time.Time) error {
	if rq, ok := s.enqueuer.(DeliveryRequeuer); ok {
		return rq.RequeueDelivery(ctx, d.ID, d.Platform, key, at)
	}
	return s.enqueuer.EnqueueDelivery(ctx, d.ID, d.Platform, at)
}
