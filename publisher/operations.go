package publisher

import (
	"context"
	"time"
)

// OperationsWindow is how far back the operations report counts
// deliveries (by creation time).
const OperationsWindow = 7 * 24 * time.Hour

// OperationsReport is the state of publishing for the operations page:
// deliveries by status over OperationsWindow, what the pauses hold, and the
// latest deliveries that need a person.
type OperationsReport struct {
	At     time.Time      `json:"at"`
	Since  time.Time      `json:"since"`
	Counts DeliveryCounts `json:"counts"`
	// Held counts the queued, retrying and interrupted deliveries that the
	// pauses hold (they go out on resume).
	Held     int                 `json:"held"`
	Settings *PublishingSettings `json:"settings"`
	// Attention are the latest deliveries that need a person: failed,
	// unconfirmed or waiting for a reconnection, newest first.
	Attention []*Delivery `json:"attention"`
	// Retracting are the retracted posts whose retraction is not done.
	Retracting int `json:"retracting"`
}

// attentionStatuses are the statuses the operations page lists.
var attentionStatuses = []DeliveryStatus{DeliveryFailed, DeliveryUnconfirmed, DeliveryNeedsReconnect}

// Operations returns the operations report: administrators and approvers.
func (s *Service) Operations(ctx context.Context) (*OperationsReport, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !canReview(u) {
		return nil, Errorf(EFORBIDDEN, "Only administrators and the PR section's approvers can see the operations page.")
	}
	now := s.now().UTC()
	rep := &OperationsReport{At: now, Since: now.Add(-OperationsWindow)}
	if rep.Counts, err = s.store.CountDeliveries(ctx, DeliveryFilter{From: rep.Since}); err != nil {
		return nil, err
	}
	if rep.Counts == nil {
		rep.Counts = DeliveryCounts{}
	}
	ps, err := s.loadSettings(ctx)
	if err != nil {
		return nil, err
	}
	rep.Settings = ps.clone()
	waiting := []DeliveryStatus{DeliveryQueued, DeliveryRetrying, DeliverySending}
	switch {
	case ps.Paused != nil:
		for _, st := range waiting {
			rep.Held += rep.Counts[st]
		}
	default:
		for org := range ps.PausedOrgs {
			c, err := s.store.CountDeliveries(ctx, DeliveryFilter{OrgID: org, Statuses: waiting, From: rep.Since})
			if err != nil {
				return nil, err
			}
			for _, n := range c {
				rep.Held += n
			}
		}
	}
	if rep.Attention, _, err = s.store.ListDeliveries(ctx, DeliveryFilter{Statuses: attentionStatuses, From: rep.Since, Limit: 20}); err != nil {
		return nil, err
	}
	if rep.Attention == nil {
		rep.Attention = []*Delivery{}
	}
	posts, _, err := s.store.ListPosts(ctx, PostFilter{Statuses: []PostStatus{PostRetracted}, UpdatedAfter: now.Add(-72 * time.Hour), Limit: 200})
	if err != nil {
		return nil, err
	}
	for _, p := range posts {
		if r, err := s.store.GetRetraction(ctx, p.ID); err != nil || !r.Done {
			rep.Retracting++
		}
	}
	return rep, nil
}
