package publisher

import (
	"context"
	"strings"
	"time"
)

// ListDeliveries returns the publish history the signed-in user may see,
// and the number of matches. Editors see their own organisation's only.
func (s *Service) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if u.Role == RoleEditor {
		if f.OrgID != "" && f.OrgID != u.OrgID {
			return nil, 0, nil
		}
		f.OrgID = u.OrgID
	}
	var fe fieldErrors
	if f.Platform != "" && !f.Platform.Valid() {
		fe.add("platform", "invalid_choice", "There is no such platform.")
	}
	for _, st := range f.Statuses {
		if !st.Valid() {
			fe.add("status", "invalid_choice", "There is no such status.")
			break
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		fe.add("to", "before_from", "The end date must be after the start date.")
	}
	if err := fe.err("The filter needs correcting."); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	return s.store.ListDeliveries(ctx, f)
}

// PostDeliveries returns a post's deliveries and their counts by status.
func (s *Service) PostDeliveries(ctx context.Context, postID string) ([]*Delivery, DeliveryCounts, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.loadPost(ctx, u, postID); err != nil {
		return nil, nil, err
	}
	ds, _, err := s.store.ListDeliveries(ctx, DeliveryFilter{PostID: postID, Limit: 5000})
	if err != nil {
		return nil, nil, err
	}
	counts := DeliveryCounts{}
	for _, d := range ds {
		counts[d.Status]++
	}
	return ds, counts, nil
}

// GetDelivery returns a delivery and its attempts; ENOTFOUND if it is not
// visible to the signed-in user.
func (s *Service) GetDelivery(ctx context.Context, id string) (*Delivery, []*Attempt, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, nil, err
	}
	d, err := s.loadDelivery(ctx, u, id)
	if err != nil {
		return nil, nil, err
	}
	as, err := s.store.ListAttempts(ctx, id)
	return d, as, err
}

func (s *Service) loadDelivery(ctx context.Context, u *User, id string) (*Delivery, error) {
	if !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "No such delivery.")
	}
	d, err := s.store.GetDelivery(ctx, id)
	if IsCode(err, ENOTFOUND) || (err == nil && !canSeeOrg(u, d.OrgID)) {
		return nil, Errorf(ENOTFOUND, "No such delivery.")
	}
	return d, err
}

// RetryDelivery puts a failed or unconfirmed delivery back in the queue at
// a person's request. An unconfirmed delivery keeps its look-up: the next
// attempt checks the account before posting. Approvers and admins, and
// editors for their own organisation.
func (s *Service) RetryDelivery(ctx context.Context, id string) (*Delivery, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.loadDelivery(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if !canWriteFor(u, d.OrgID) && !canReview(u) {
		return nil, Errorf(EFORBIDDEN, "You cannot retry this organisation's deliveries.")
	}
	d, err = s.store.ChangeDelivery(ctx, id, DeliveryChange{
		From: []DeliveryStatus{DeliveryFailed, DeliveryUnconfirmed, DeliveryNeedsReconnect}, To: DeliveryQueued, ResetFailures: true, At: s.now().UTC(),
	})
	if IsCode(err, ECONFLICT) {
		return nil, Errorf(ECONFLICT, "Only failed, unconfirmed or waiting deliveries can be retried.")
	} else if err != nil {
		return nil, err
	}
	s.audit(ctx, "delivery.retry", "delivery", d.ID, d.OrgID, map[string]string{"post_id": d.PostID})
	if err := s.enqueuer.EnqueueDelivery(ctx, d.ID, d.Platform, time.Time{}); err != nil {
		s.log.WarnContext(ctx, "enqueue of a retried delivery failed; the reconciler will retry", "delivery_id", d.ID, "err", err)
	}
	s.events.Publish(Event{Kind: "delivery", PostID: d.PostID, DeliveryID: d.ID, OrgID: d.OrgID, Status: string(d.Status)})
	return d, nil
}

// ResolveUnconfirmed records a person's finding for an unconfirmed
// delivery: published (with the post's URL, checked on the account) or not
// published (it is then queued again, without a look-up).
func (s *Service) ResolveUnconfirmed(ctx context.Context, id string, published bool, url string) (*Delivery, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.loadDelivery(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if !canWriteFor(u, d.OrgID) && !canReview(u) {
		return nil, Errorf(EFORBIDDEN, "You cannot resolve this organisation's deliveries.")
	}
	now := s.now().UTC()
	no := false
	var c DeliveryChange
	url = strings.TrimSpace(url)
	if published {
		if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
			return nil, &Error{Code: EINVALID, Message: "Give the post's address.", Fields: []FieldError{{Field: "url", Code: "invalid_url", Message: "Paste the address of the post as it appears on the account."}}}
		}
		c = DeliveryChange{From: []DeliveryStatus{DeliveryUnconfirmed}, To: DeliveryPublished, NeedsLookup: &no, ExternalURL: url, PublishedAt: &now,
			ErrorMessage: "Confirmed as published by " + u.Name + ".", At: now}
	} else {
		c = DeliveryChange{From: []DeliveryStatus{DeliveryUnconfirmed}, To: DeliveryQueued, NeedsLookup: &no, ResetFailures: true, At: now}
	}
	d, err = s.store.ChangeDelivery(ctx, id, c)
	if IsCode(err, ECONFLICT) {
		return nil, Errorf(ECONFLICT, "This delivery is no longer unconfirmed.")
	} else if err != nil {
		return nil, err
	}
	s.audit(ctx, "delivery.resolve", "delivery", d.ID, d.OrgID, map[string]string{"published": boolStr(published), "url": url})
	if !published {
		if err := s.enqueuer.EnqueueDelivery(ctx, d.ID, d.Platform, time.Time{}); err != nil {
			s.log.WarnContext(ctx, "enqueue of a resolved delivery failed; the reconciler will retry", "delivery_id", d.ID, "err", err)
		}
	}
	s.events.Publish(Event{Kind: "delivery", PostID: d.PostID, DeliveryID: d.ID, OrgID: d.OrgID, Status: string(d.Status)})
	return d, nil
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
