package publisher

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Retracting a published post withdraws it everywhere Prasar can: every
// delivery that has not gone out is cancelled, every published one is
// deleted on platforms that let posts be deleted (connectors implementing
// Deleter), and what could not be deleted is recorded per delivery with the
// reason, for a person to remove by hand.
//
// RetractPost records the decision (the post becomes "retracted", audited)
// and cancels the deliveries that are still waiting in one write; the rest
// runs as a queue task (Retract), so that a worker that dies in the middle
// of it is followed by another that carries on: deleting a post that is
// already gone is not an error, and every change of a delivery is
// conditional. The reconciler re-queues retractions that did not finish.

// RetractOutcome is what retraction did with one delivery.
type RetractOutcome string

// Retraction outcomes.
const (
	RetractPending      RetractOutcome = "pending"       // still to do: a call in flight, or a deletion to retry
	RetractDeleted      RetractOutcome = "deleted"       // deleted on the platform
	RetractCancelled    RetractOutcome = "cancelled"     // it had not gone out, and will not
	RetractNotSupported RetractOutcome = "not_supported" // the platform (or its API) cannot delete posts: remove it by hand
	RetractFailed       RetractOutcome = "failed"        // the platform refused the deletion: remove it by hand
	RetractCheckByHand  RetractOutcome = "check_by_hand" // Prasar cannot tell whether it went out: check the account
)

// Final reports whether retraction is done with a delivery of this outcome.
func (o RetractOutcome) Final() bool { return o != RetractPending && o != "" }

// Retraction records the withdrawal of one published post.
type Retraction struct {
	PostID          string           `json:"postId"`
	OrgID           string           `json:"orgId"`
	Reason          string           `json:"reason"`
	RequestedBy     string           `json:"requestedBy"`
	RequestedByName string           `json:"requestedByName,omitempty"`
	RequestedAt     time.Time        `json:"requestedAt"`
	Done            bool             `json:"done"`
	CompletedAt     *time.Time       `json:"completedAt,omitempty"`
	Items           []RetractionItem `json:"items"`
	UpdatedAt       time.Time        `json:"updatedAt"`
	Version         int64            `json:"version"`
}

// RetractionItem is what retraction did with one delivery.
type RetractionItem struct {
	DeliveryID string         `json:"deliveryId"`
	AccountID  string         `json:"accountId"`
	Platform   Platform       `json:"platform"`
	Outcome    RetractOutcome `json:"outcome"`
	// Message says why, in plain words (and the platform's, where it
	// refused).
	Message string `json:"message,omitempty"`
	// URL is where the post is, for a person removing it by hand.
	URL   string    `json:"url,omitempty"`
	Tries int       `json:"tries,omitempty"`
	At    time.Time `json:"at"`
}

// item returns r's item for d, adding a pending one if there is none.
func (r *Retraction) item(d *Delivery) *RetractionItem {
	for i := range r.Items {
		if r.Items[i].DeliveryID == d.ID {
			return &r.Items[i]
		}
	}
	r.Items = append(r.Items, RetractionItem{DeliveryID: d.ID, AccountID: d.AccountID, Platform: d.Platform, Outcome: RetractPending})
	return &r.Items[len(r.Items)-1]
}

// RetractEnqueuer is implemented by enqueuers that run retractions as
// queue tasks (one per post; queueing one that is queued is a no-op).
type RetractEnqueuer interface {
	EnqueueRetract(ctx context.Context, postID string, at time.Time) error
}

// maxDeleteTries bounds the deletion attempts of one delivery that fail
// with a temporary error.
const maxDeleteTries = 5

// retractCancelFrom are the statuses whose deliveries a retraction cancels
// at once: none of them is being sent.
var retractCancelFrom = []DeliveryStatus{DeliveryQueued, DeliveryRetrying, DeliveryFailed, DeliveryNeedsReconnect, DeliveryUnconfirmed}

const retractCancelMessage = "Cancelled: the post was retracted before it went out here."

// RetractPost withdraws a published post (status publishing): the
// administrators and the PR section's approvers may, with a reason. The
// post becomes "retracted"; deliveries that have not gone out are
// cancelled at once, and published ones are deleted by a queue task
// (Retract). A post that is not published yet is cancelled instead
// (CancelPost).
func (s *Service) RetractPost(ctx context.Context, id string, revision int, reason string) (*Post, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.loadPost(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if !canReview(u) {
		return nil, Errorf(EFORBIDDEN, "Only administrators and the PR section's approvers can retract a published post.")
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, &Error{Code: EINVALID, Message: "Say why the post is retracted.", Fields: []FieldError{{Field: "comment", Code: "required", Message: "Say why the post is retracted; the organisation sees it."}}}
	case utf8.RuneCountInString(reason) > 2000:
		return nil, &Error{Code: EINVALID, Message: "The reason is too long.", Fields: []FieldError{{Field: "comment", Code: "too_long", Message: "The reason is longer than 2000 characters.", Params: map[string]string{"limit": "2000"}}}}
	case revision != p.Revision:
		return nil, Errorf(ECONFLICT, "The post changed since you opened it (now revision %d). Reload it and try again.", p.Revision)
	case p.Status == PostRetracted:
		return nil, Errorf(ECONFLICT, "This post has already been retracted.")
	case p.Status != PostPublishing:
		return nil, Errorf(ECONFLICT, "Only a published post can be retracted (this one is %s); cancel it instead.", p.Status)
	}
	now := s.now().UTC()
	from := p.Status
	p.Status, p.UpdatedAt = PostRetracted, now
	p.Review = append(p.Review, ReviewEntry{At: now, UserID: u.ID, UserName: u.Name, Action: "retract", Revision: p.Revision, Comment: reason})
	if err := s.store.UpdatePost(ctx, p, nil); err != nil {
		if IsCode(err, ECONFLICT) {
			return nil, Errorf(ECONFLICT, "Somebody changed this post at the same time. Reload it and try again.")
		}
		return nil, err
	}
	// From here on the decision stands: what follows is re-done by the
	// retraction task and the reconciler if it fails now.
	ctx = context.WithoutCancel(ctx)
	s.audit(ctx, "post.retract", "post", p.ID, p.OrgID, map[string]string{"revision": itoa(p.Revision), "from": string(from), "to": string(p.Status), "reason": reason})
	if _, err := s.store.CancelDeliveries(ctx, DeliveryCancel{PostID: p.ID, From: retractCancelFrom, Message: retractCancelMessage, At: now}); err != nil {
		s.log.WarnContext(ctx, "retract: cancelling waiting deliveries failed; the retraction task does it", "post_id", p.ID, "err", err)
	}
	r := &Retraction{PostID: p.ID, OrgID: p.OrgID, Reason: reason, RequestedBy: u.ID, RequestedByName: u.Name, RequestedAt: now, UpdatedAt: now}
	if err := s.store.CreateRetraction(ctx, r); err != nil && !IsCode(err, ECONFLICT) {
		s.log.WarnContext(ctx, "retract: recording the retraction failed; the reconciler records it", "post_id", p.ID, "err", err)
	}
	s.events.Publish(Event{Kind: "post", PostID: p.ID, OrgID: p.OrgID, Status: string(p.Status)})
	s.startRetract(ctx, p.ID, time.Time{})
	return p, nil
}

// startRetract queues a post's retraction task, or runs it here when the
// enqueuer cannot queue one.
func (s *Service) startRetract(ctx context.Context, postID string, at time.Time) {
	if re, ok := s.enqueuer.(RetractEnqueuer); ok {
		if err := re.EnqueueRetract(ctx, postID, at); err != nil {
			s.log.WarnContext(ctx, "queueing a retraction failed; the reconciler re-queues it", "post_id", postID, "err", err)
		}
		return
	}
	var re *RetryError
	if err := s.Retract(ctx, postID); err != nil && !errors.As(err, &re) {
		s.log.WarnContext(ctx, "retraction failed; the reconciler tries again", "post_id", postID, "err", err)
	}
}

// GetRetraction returns what retracting a post did, delivery by delivery;
// ENOTFOUND if the post is not visible or was not retracted.
func (s *Service) GetRetraction(ctx context.Context, postID string) (*Retraction, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadPost(ctx, u, postID); err != nil {
		return nil, err
	}
	r, err := s.store.GetRetraction(ctx, postID)
	if IsCode(err, ENOTFOUND) {
		return nil, Errorf(ENOTFOUND, "This post has not been retracted.")
	}
	return r, err
}

// Retract carries a post's retraction forward: it cancels what has not
// gone out, waits for calls in flight, deletes published posts where the
// platform allows it and records every outcome. It returns a *RetryError
// while something is still to do (a call in flight, a deletion to try
// again, or work left when the task's time runs short), and nil once the
// retraction is done (or there is none to do).
func (s *Service) Retract(ctx context.Context, postID string) error {
	ctx = SystemContext(ctx)
	p, err := s.store.GetPost(ctx, postID)
	if IsCode(err, ENOTFOUND) {
		return nil
	} else if err != nil {
		return err
	}
	if p.Status != PostRetracted {
		return nil
	}
	r, err := s.store.GetRetraction(ctx, postID)
	if IsCode(err, ENOTFOUND) {
		// RetractPost stopped between retracting the post and recording
		// the retraction: record it from the review trail.
		r = retractionFromTrail(p, s.now().UTC())
		if err := s.store.CreateRetraction(ctx, r); err != nil && !IsCode(err, ECONFLICT) {
			return err
		}
		if r, err = s.store.GetRetraction(ctx, postID); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if r.Done {
		return nil
	}
	now := s.now().UTC()
	// Cancel whatever waits (again: a delivery may have been put back by
	// hand, or the first cancellation may have failed).
	if _, err := s.store.CancelDeliveries(ctx, DeliveryCancel{PostID: p.ID, From: retractCancelFrom, Message: retractCancelMessage, At: now}); err != nil {
		return err
	}
	ds, _, err := s.store.ListDeliveries(ctx, DeliveryFilter{PostID: p.ID, Limit: 100000})
	if err != nil {
		return err
	}
	var next time.Time // when to come back; zero: done
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	deadline, hasDeadline := ctx.Deadline()
	for _, d := range ds {
		it := r.item(d)
		if it.Outcome.Final() {
			continue
		}
		if hasDeadline && time.Until(deadline) < 15*time.Second {
			later(now.Add(time.Second)) // carry on in a fresh task
			break
		}
		it.URL = d.ExternalURL
		switch d.Status {
		case DeliverySending:
			at := now.Add(s.cfg.Lease)
			if d.LeaseUntil != nil {
				at = d.LeaseUntil.Add(time.Second)
			}
			it.Message = "An attempt to publish it was under way; retraction waits for it to end."
			later(at)
			continue
		case DeliveryCancelled:
			if d.NeedsLookup {
				it.Outcome = RetractCheckByHand
				it.Message = fmt.Sprintf("An interrupted attempt may have published it on %s, and Prasar cannot tell. Check the account and delete the post there if it is.", d.Platform.Title())
			} else {
				it.Outcome = RetractCancelled
				it.Message = "It had not been published here, and will not be."
			}
		case DeliveryRetracted:
			it.Outcome, it.Message = RetractDeleted, fmt.Sprintf("Deleted from %s.", d.Platform.Title())
		case DeliveryPublished:
			if at, wait := s.deleteDelivery(ctx, d, it); wait {
				later(at)
			}
		default:
			// Put back by hand between the cancellation and the listing:
			// the next pass cancels it.
			later(now.Add(time.Second))
			continue
		}
		it.At = s.now().UTC()
	}
	r.UpdatedAt = s.now().UTC()
	if next.IsZero() {
		done := r.UpdatedAt
		r.Done, r.CompletedAt = true, &done
	}
	if err := s.store.UpdateRetraction(ctx, r); err != nil {
		return err // a concurrent task saved first: run again
	}
	s.events.Publish(Event{Kind: "delivery", PostID: p.ID, OrgID: p.OrgID, Status: string(PostRetracted)})
	if !next.IsZero() {
		return &RetryError{At: next, Reason: "retraction in progress"}
	}
	s.finishRetraction(ctx, p, r)
	return nil
}

// deleteDelivery deletes a published delivery's post on its platform and
// records the outcome in it. It reports whether to try again, and when.
func (s *Service) deleteDelivery(ctx context.Context, d *Delivery, it *RetractionItem) (time.Time, bool) {
	name := d.Platform.Title()
	conn := s.connectors[d.Platform]
	del, ok := conn.(Deleter)
	if conn == nil || !ok {
		it.Outcome = RetractNotSupported
		it.Message = fmt.Sprintf("%s does not let Prasar delete posts through its API. Delete it on the account by hand.", name)
		return time.Time{}, false
	}
	if d.ExternalID == "" {
		it.Outcome = RetractCheckByHand
		it.Message = fmt.Sprintf("Prasar has no %s id for this post (it was confirmed by hand). Delete it on the account by hand.", name)
		return time.Time{}, false
	}
	acct, err := s.store.GetAccount(ctx, d.AccountID)
	if IsCode(err, ENOTFOUND) {
		it.Outcome, it.Message = RetractFailed, "The account was removed from Prasar. Delete the post on the account by hand."
		return time.Time{}, false
	} else if err != nil {
		return s.deleteAgain(d, it, &PlatformError{Class: ClassRetryable, Message: "Prasar could not read the account: " + err.Error()})
	}
	cred, err := s.keyring.OpenCredentials(acct.ID, acct.Secret)
	if err != nil {
		it.Outcome, it.Message = RetractFailed, "The account's stored credentials cannot be read; delete the post on the account by hand (or reconnect the account first)."
		return time.Time{}, false
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = del.Delete(cctx, acct, cred, d.ExternalID)
	cancel()
	if err == nil {
		now := s.now().UTC()
		_, cerr := s.store.ChangeDelivery(ctx, d.ID, DeliveryChange{From: []DeliveryStatus{DeliveryPublished}, To: DeliveryRetracted,
			ErrorMessage: fmt.Sprintf("Deleted from %s when the post was retracted.", name), At: now})
		if cerr != nil && !IsCode(cerr, ECONFLICT) {
			return s.deleteAgain(d, it, &PlatformError{Class: ClassRetryable, Message: "Prasar could not record the deletion: " + cerr.Error()})
		}
		it.Outcome, it.Message = RetractDeleted, fmt.Sprintf("Deleted from %s.", name)
		return time.Time{}, false
	}
	pe := AsPlatformError(err)
	switch pe.Class {
	case ClassRetryable, ClassRateLimited:
		return s.deleteAgain(d, it, pe)
	case ClassAuth:
		it.Outcome = RetractFailed
		it.Message = fmt.Sprintf("%s no longer accepts this account's access, so the post could not be deleted. Delete it on the account by hand. %s said: %s", name, name, pe.Message)
	default:
		it.Outcome = RetractFailed
		it.Message = fmt.Sprintf("%s refused to delete the post. Delete it on the account by hand. %s said: %s", name, name, pe.Message)
	}
	return time.Time{}, false
}

// deleteAgain counts a temporary deletion failure and says when to try
// again, or gives up after maxDeleteTries.
func (s *Service) deleteAgain(d *Delivery, it *RetractionItem, pe *PlatformError) (time.Time, bool) {
	it.Tries++
	name := d.Platform.Title()
	if it.Tries >= maxDeleteTries {
		it.Outcome = RetractFailed
		it.Message = fmt.Sprintf("%s kept failing to delete the post (%d tries). Delete it on the account by hand. The last error: %s", name, it.Tries, pe.Message)
		return time.Time{}, false
	}
	it.Message = fmt.Sprintf("%s could not delete the post yet (%s); trying again.", name, pe.Message)
	at := s.now().Add(s.backoff(it.Tries))
	if pe.Class == ClassRateLimited && pe.RetryAt.After(at) {
		at = pe.RetryAt
	}
	return at.UTC(), true
}

// finishRetraction audits and announces a finished retraction.
func (s *Service) finishRetraction(ctx context.Context, p *Post, r *Retraction) {
	counts := map[RetractOutcome]int{}
	var byHand []string
	for _, it := range r.Items {
		counts[it.Outcome]++
		if it.Outcome == RetractNotSupported || it.Outcome == RetractFailed || it.Outcome == RetractCheckByHand {
			line := fmt.Sprintf("- %s (%s): %s", it.Platform.Title(), it.AccountID, it.Message)
			if it.URL != "" {
				line += " " + it.URL
			}
			byHand = append(byHand, line)
		}
	}
	s.audit(ctx, "post.retraction_done", "post", p.ID, p.OrgID, map[string]string{
		"deleted": itoa(counts[RetractDeleted]), "cancelled": itoa(counts[RetractCancelled]),
		"not_deleted": itoa(counts[RetractNotSupported] + counts[RetractFailed] + counts[RetractCheckByHand]),
	})
	subject := fmt.Sprintf("Retracted: %s", p.Title)
	body := fmt.Sprintf("The post was retracted. Deleted from %d account(s); %d delivery(ies) that had not gone out were cancelled.", counts[RetractDeleted], counts[RetractCancelled])
	if len(byHand) > 0 {
		body += "\n\nThese could not be deleted by Prasar; remove them by hand:\n" + strings.Join(byHand, "\n")
	}
	to := Recipients{UserIDs: []string{r.RequestedBy, p.AuthorID}, OrgOfficers: p.OrgID}
	if _, err := s.Notify(ctx, to, p.OrgID, "post.retracted", subject, body, "/posts/"+p.ID); err != nil {
		s.log.WarnContext(ctx, "notifying a retraction failed", "post_id", p.ID, "err", err)
	}
}

// retractionFromTrail rebuilds a retraction's request from the post's
// review trail (its last "retract" entry).
func retractionFromTrail(p *Post, now time.Time) *Retraction {
	r := &Retraction{PostID: p.ID, OrgID: p.OrgID, RequestedAt: now, UpdatedAt: now}
	for i := len(p.Review) - 1; i >= 0; i-- {
		if e := p.Review[i]; e.Action == "retract" {
			r.Reason, r.RequestedBy, r.RequestedByName, r.RequestedAt = e.Comment, e.UserID, e.UserName, e.At
			break
		}
	}
	return r
}

// reconcileRetractions re-queues the retractions of posts retracted in the
// last 72 hours that are not done, and returns how many.
func (s *Service) reconcileRetractions(ctx context.Context, now time.Time) (int, error) {
	posts, _, err := s.store.ListPosts(ctx, PostFilter{Statuses: []PostStatus{PostRetracted}, UpdatedAfter: now.Add(-72 * time.Hour), Limit: 1000})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range posts {
		if p.UpdatedAt.After(now.Add(-s.cfg.ReconcileGrace)) {
			continue // just retracted; its task is on its way
		}
		r, err := s.store.GetRetraction(ctx, p.ID)
		if err == nil && r.Done {
			continue
		} else if err != nil && !IsCode(err, ENOTFOUND) {
			return n, err
		}
		s.startRetract(ctx, p.ID, time.Time{})
		n++
	}
	return n, nil
}
