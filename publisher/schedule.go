package publisher

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Scheduling rules (times are stored in UTC; people see and enter IST):
//
//   - A post scheduled for a time is approved before that time and fans out
//     at it.
//   - An approver who approves late, within Config.MissedWindow after the
//     scheduled time, still may: the post then publishes at once.
//   - Past the window, approval is refused, and the reconciler sends the
//     post back to its author: status changes_requested, with a review
//     entry "expire" that says the scheduled time passed unapproved and
//     asks for a new time. The author is notified. (changes_requested is
//     the status that already means "back with the author, to correct and
//     submit again", so no new status is needed.)

// checkApprovalTime refuses the approval of a post whose scheduled time
// passed more than the missed window ago.
func (s *Service) checkApprovalTime(p *Post, now time.Time) error {
	if p.ScheduledAt == nil || p.ScheduledAt.After(now) {
		return nil
	}
	if now.Sub(*p.ScheduledAt) <= s.cfg.MissedWindow {
		return nil // late, but within the window: publishes at once
	}
	mins := strconv.Itoa(int(s.cfg.MissedWindow / time.Minute))
	return &Error{Code: EINVALID, Message: "The scheduled time has passed.", Fields: []FieldError{{Field: "scheduledAt", Code: "missed",
		Message: fmt.Sprintf("The scheduled time (%s) passed more than %s minutes ago, so the post can no longer be approved for it; the author must choose a new time.", controlTime(*p.ScheduledAt), mins),
		Params:  map[string]string{"minutes": mins}}}}
}

// expireApprovals sends back to their authors the posts in review whose
// scheduled time passed, with the missed window, unapproved. It returns
// how many it sent back.
func (s *Service) expireApprovals(ctx context.Context, now time.Time) (int, error) {
	posts, _, err := s.store.ListPosts(ctx, PostFilter{Statuses: []PostStatus{PostInReview}, Limit: 1000})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range posts {
		if p.ScheduledAt == nil || !now.After(p.ScheduledAt.Add(s.cfg.MissedWindow)) {
			continue
		}
		if err := s.expire(ctx, p, now); err != nil {
			if IsCode(err, ECONFLICT) {
				continue // somebody acted on it meanwhile
			}
			return n, err
		}
		n++
	}
	return n, nil
}

// expire sends one post back to its author.
func (s *Service) expire(ctx context.Context, p *Post, now time.Time) error {
	now = now.UTC()
	note := fmt.Sprintf("The scheduled time, %s, passed before the post was approved, so it was not published. Choose a new time (or publish now) and submit it again.", controlTime(*p.ScheduledAt))
	p.Status, p.UpdatedAt = PostChangesRequested, now
	p.Review = append(p.Review, ReviewEntry{At: now, UserID: SystemUser.ID, UserName: SystemUser.Name, Action: "expire", Revision: p.Revision, Comment: note})
	if err := s.store.UpdatePost(ctx, p, nil); err != nil {
		return err
	}
	s.audit(ctx, "post.expire", "post", p.ID, p.OrgID, map[string]string{"revision": itoa(p.Revision), "scheduled_at": p.ScheduledAt.UTC().Format(time.RFC3339)})
	s.events.Publish(Event{Kind: "post", PostID: p.ID, OrgID: p.OrgID, Status: string(p.Status)})
	if _, err := s.Notify(ctx, Recipients{UserIDs: []string{p.AuthorID}}, p.OrgID, "post.expired", "Approval expired: "+p.Title, note, "/posts/"+p.ID); err != nil {
		s.log.WarnContext(ctx, "notifying an expired approval failed", "post_id", p.ID, "err", err)
	}
	return nil
}
