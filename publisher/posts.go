package publisher

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// defaultTitle derives a title from the text when the editor gave none.
func defaultTitle(c *Content) string {
	t := c.TextFor("")
	if i := strings.IndexAny(t, "\n"); i >= 0 {
		t = t[:i]
	}
	if utf8.RuneCountInString(t) > 80 {
		r := []rune(t)
		t = string(r[:80]) + "…"
	}
	return t
}

// loadPost returns a post the user may see, or ENOTFOUND.
func (s *Service) loadPost(ctx context.Context, u *User, id string) (*Post, error) {
	if !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "No such post.")
	}
	p, err := s.store.GetPost(ctx, id)
	if IsCode(err, ENOTFOUND) || (err == nil && !canSeeOrg(u, p.OrgID)) {
		return nil, Errorf(ENOTFOUND, "No such post.")
	}
	return p, err
}

// GetPost returns a post the signed-in user may see; ENOTFOUND otherwise.
func (s *Service) GetPost(ctx context.Context, id string) (*Post, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	return s.loadPost(ctx, u, id)
}

// ListPosts returns posts the signed-in user may see, and the number of
// matches. Editors see their own organisation's only.
func (s *Service) ListPosts(ctx context.Context, f PostFilter) ([]*Post, int, error) {
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
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.store.ListPosts(ctx, f)
}

// ListRevisions returns a post's revisions, oldest first.
func (s *Service) ListRevisions(ctx context.Context, postID string) ([]*PostRevision, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadPost(ctx, u, postID); err != nil {
		return nil, err
	}
	return s.store.ListRevisions(ctx, postID)
}

// CreatePost saves a new draft. Editors write for their own organisation;
// admins for any.
func (s *Service) CreatePost(ctx context.Context, in PostInput) (*Post, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if in.OrgID == "" {
		in.OrgID = u.OrgID
	}
	if u.Role != RoleAdmin && u.Role != RoleEditor {
		return nil, Errorf(EFORBIDDEN, "Only editors and administrators write posts.")
	}
	if !canWriteFor(u, in.OrgID) {
		return nil, &Error{Code: EINVALID, Message: "The post needs correcting before it can be saved.", Fields: []FieldError{{Field: "orgId", Code: "unknown_org", Message: "Choose your organisation."}}}
	}
	if _, err := s.store.GetOrg(ctx, in.OrgID); err != nil {
		if IsCode(err, ENOTFOUND) {
			return nil, &Error{Code: EINVALID, Message: "The post needs correcting before it can be saved.", Fields: []FieldError{{Field: "orgId", Code: "unknown_org", Message: "No such organisation."}}}
		}
		return nil, err
	}
	if _, err := s.checkPost(ctx, in.OrgID, &in, false); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	p := &Post{
		ID: NewID(), OrgID: in.OrgID, AuthorID: u.ID, Kind: in.Kind, CaseID: in.CaseID, Title: in.Title,
		Status: PostDraft, Revision: 1, Content: in.Content, Targets: in.Targets, ScheduledAt: in.ScheduledAt,
		CreatedAt: now, UpdatedAt: now,
		Review: []ReviewEntry{{At: now, UserID: u.ID, UserName: u.Name, Action: "create", Revision: 1}},
	}
	if p.Title == "" {
		p.Title = defaultTitle(&p.Content)
	}
	p.ContentHash = revisionHash(&p.Content, p.Targets, p.ScheduledAt)
	rev := &PostRevision{PostID: p.ID, Revision: 1, Content: p.Content, Targets: p.Targets, ContentHash: p.ContentHash, EditedBy: u.ID, EditedAt: now}
	if err := s.store.CreatePost(ctx, p, rev); err != nil {
		return nil, err
	}
	s.audit(ctx, "post.create", "post", p.ID, p.OrgID, map[string]string{"revision": "1"})
	s.events.Publish(Event{Kind: "post", PostID: p.ID, OrgID: p.OrgID, Status: string(p.Status)})
	return p, nil
}

// UpdatePost changes a post's content, targets or schedule. expectRevision
// is the revision the editor started from: if the post changed since, the
// update is refused (ECONFLICT) rather than silently overwriting. Editing
// an approved post reopens its review. A post being published cannot be
// edited.
func (s *Service) UpdatePost(ctx context.Context, id string, expectRevision int, in PostInput) (*Post, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.loadPost(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if !canWriteFor(u, p.OrgID) {
		return nil, Errorf(EFORBIDDEN, "You cannot edit this organisation's posts.")
	}
	if !p.Status.Editable() {
		return nil, Errorf(ECONFLICT, "This post is already being published and cannot be edited; retract it instead.")
	}
	if expectRevision != p.Revision {
		return nil, Errorf(ECONFLICT, "Somebody changed this post since you opened it (now revision %d). Reload it and make your change again.", p.Revision)
	}
	in.OrgID = p.OrgID
	if in.Kind == "" {
		in.Kind = p.Kind
	}
	if _, err := s.checkPost(ctx, p.OrgID, &in, p.Status != PostDraft); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	hash := revisionHash(&in.Content, in.Targets, in.ScheduledAt)
	changed := hash != p.ContentHash || in.Title != p.Title
	if !changed {
		return p, nil
	}
	var rev *PostRevision
	if hash != p.ContentHash {
		p.Revision++
		rev = &PostRevision{PostID: p.ID, Revision: p.Revision, Content: in.Content, Targets: in.Targets, ContentHash: hash, EditedBy: u.ID, EditedAt: now}
	}
	p.Title, p.Content, p.Targets, p.ContentHash, p.ScheduledAt = in.Title, in.Content, in.Targets, hash, in.ScheduledAt
	if p.Title == "" {
		p.Title = defaultTitle(&p.Content)
	}
	p.Review = append(p.Review, ReviewEntry{At: now, UserID: u.ID, UserName: u.Name, Action: "edit", Revision: p.Revision})
	if p.Status == PostApproved {
		// Any edit after approval reopens review.
		p.Status = PostInReview
		p.ApprovedRevision, p.ApprovedBy, p.ApprovedAt = 0, "", nil
		p.Review = append(p.Review, ReviewEntry{At: now, UserID: u.ID, UserName: u.Name, Action: "reopen", Revision: p.Revision, Comment: "Edited after approval: review reopened."})
	}
	p.UpdatedAt = now
	if err := s.store.UpdatePost(ctx, p, rev); err != nil {
		if IsCode(err, ECONFLICT) {
			return nil, Errorf(ECONFLICT, "Somebody changed this post at the same time. Reload it and make your change again.")
		}
		return nil, err
	}
	s.audit(ctx, "post.edit", "post", p.ID, p.OrgID, map[string]string{"revision": itoa(p.Revision), "status": string(p.Status)})
	s.events.Publish(Event{Kind: "post", PostID: p.ID, OrgID: p.OrgID, Status: string(p.Status)})
	return p, nil
}

// revisionHash identifies what a revision publishes: content, targets and
// the scheduled time. A change of any of them makes a new revision, so an
// approval (and its queued fan-out, whose task id names the revision)
// always refers to exactly what was reviewed.
func revisionHash(c *Content, targets []string, at *time.Time) string {
	h := c.Hash(targets)
	if at != nil {
		h += "@" + at.UTC().Format(time.RFC3339)
	}
	return h
}

// transition applies a review step to a post after checking who may take it.
func (s *Service) transition(ctx context.Context, id string, revision int, action, comment string) (*Post, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.loadPost(ctx, u, id)
	if err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > 2000 {
		return nil, &Error{Code: EINVALID, Message: "The comment is too long.", Fields: []FieldError{{Field: "comment", Code: "too_long", Message: "The comment is longer than 2000 characters.", Params: map[string]string{"limit": "2000"}}}}
	}
	if revision != p.Revision {
		return nil, Errorf(ECONFLICT, "The post changed since you opened it (now revision %d). Reload it and review it again.", p.Revision)
	}
	now := s.now().UTC()
	from := p.Status
	switch action {
	case "submit":
		if !canWriteFor(u, p.OrgID) {
			return nil, Errorf(EFORBIDDEN, "You cannot submit this organisation's posts.")
		}
		if from != PostDraft && from != PostChangesRequested && from != PostRejected {
			return nil, Errorf(ECONFLICT, "Only drafts and posts sent back for changes can be submitted (this one is %s).", from)
		}
		in := PostInput{OrgID: p.OrgID, Kind: p.Kind, Title: p.Title, Content: p.Content, Targets: p.Targets, ScheduledAt: p.ScheduledAt}
		if _, err := s.checkPost(ctx, p.OrgID, &in, true); err != nil {
			return nil, err
		}
		p.Status, p.SubmittedAt = PostInReview, &now
	case "approve", "reject", "request_changes":
		if !canReview(u) {
			return nil, Errorf(EFORBIDDEN, "Only the PR section's approvers can review posts.")
		}
		if from != PostInReview {
			return nil, Errorf(ECONFLICT, "This post is not waiting for review (it is %s).", from)
		}
		if action != "approve" && comment == "" {
			return nil, &Error{Code: EINVALID, Message: "Say what must change.", Fields: []FieldError{{Field: "comment", Code: "required", Message: "Write a comment for the author."}}}
		}
		if action == "approve" {
			if err := s.checkNotOwnPost(ctx, u, p); err != nil {
				return nil, err
			}
			in := PostInput{OrgID: p.OrgID, Kind: p.Kind, Title: p.Title, Content: p.Content, Targets: p.Targets}
			if _, err := s.checkPost(ctx, p.OrgID, &in, true); err != nil {
				return nil, err
			}
			// Late approval publishes at once, but only within the missed
			// window (schedule.go).
			if err := s.checkApprovalTime(p, now); err != nil {
				return nil, err
			}
			p.Status, p.ApprovedRevision, p.ApprovedBy, p.ApprovedAt = PostApproved, p.Revision, u.ID, &now
		} else if action == "reject" {
			p.Status = PostRejected
		} else {
			p.Status = PostChangesRequested
		}
	case "cancel":
		// Authors withdraw their posts; the PR section may also stop an
		// approved post before it fans out (a scheduled one, say).
		if !canWriteFor(u, p.OrgID) && !(canReview(u) && from == PostApproved) {
			return nil, Errorf(EFORBIDDEN, "You cannot cancel this organisation's posts.")
		}
		if !from.Editable() {
			return nil, Errorf(ECONFLICT, "This post is already being published; retract it instead.")
		}
		p.Status = PostCancelled
	default:
		return nil, Errorf(EINVALID, "Unknown action %q.", action)
	}
	p.Review = append(p.Review, ReviewEntry{At: now, UserID: u.ID, UserName: u.Name, Action: action, Revision: p.Revision, Comment: comment})
	p.UpdatedAt = now
	if err := s.store.UpdatePost(ctx, p, nil); err != nil {
		if IsCode(err, ECONFLICT) {
			return nil, Errorf(ECONFLICT, "Somebody changed this post at the same time. Reload it and try again.")
		}
		return nil, err
	}
	s.audit(ctx, "post."+action, "post", p.ID, p.OrgID, map[string]string{"revision": itoa(p.Revision), "from": string(from), "to": string(p.Status)})
	s.events.Publish(Event{Kind: "post", PostID: p.ID, OrgID: p.OrgID, Status: string(p.Status)})
	if p.Status == PostApproved {
		at := time.Time{}
		if p.ScheduledAt != nil {
			at = *p.ScheduledAt
		}
		if err := s.enqueuer.EnqueueFanout(ctx, p.ID, p.Revision, at); err != nil {
			// The approval stands; the reconciler enqueues the fan-out later.
			s.log.WarnContext(ctx, "enqueue fan-out failed; the reconciler will retry", "post_id", p.ID, "err", err)
		}
	}
	return p, nil
}

// checkNotOwnPost refuses approval by anyone who wrote any revision.
func (s *Service) checkNotOwnPost(ctx context.Context, u *User, p *Post) error {
	if p.AuthorID == u.ID {
		return Errorf(EFORBIDDEN, "You cannot approve your own post.")
	}
	revs, err := s.store.ListRevisions(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, r := range revs {
		if r.EditedBy == u.ID {
			return Errorf(EFORBIDDEN, "You edited this post, so somebody else must approve it.")
		}
	}
	return nil
}

// SubmitPost sends a draft (or a post sent back) for review.
func (s *Service) SubmitPost(ctx context.Context, id string, revision int) (*Post, error) {
	return s.transition(ctx, id, revision, "submit", "")
}

// ApprovePost approves the revision the approver reviewed and queues its
// fan-out (at its scheduled time, if any). Nobody approves their own post.
func (s *Service) ApprovePost(ctx context.Context, id string, revision int, comment string) (*Post, error) {
	return s.transition(ctx, id, revision, "approve", comment)
}

// RejectPost rejects a post under review; the comment says why.
func (s *Service) RejectPost(ctx context.Context, id string, revision int, comment string) (*Post, error) {
	return s.transition(ctx, id, revision, "reject", comment)
}

// RequestChanges sends a post back to its author with a comment.
func (s *Service) RequestChanges(ctx context.Context, id string, revision int, comment string) (*Post, error) {
	return s.transition(ctx, id, revision, "request_changes", comment)
}

// CancelPost withdraws a post that has not started publishing: its author's
// organisation (editors, administrators) at any step before the fan-out,
// and the PR section's approvers once it is approved (a scheduled post
// waiting for its time). A published post is retracted instead
// (RetractPost).
func (s *Service) CancelPost(ctx context.Context, id string, revision int, comment string) (*Post, error) {
	return s.transition(ctx, id, revision, "cancel", comment)
}

func itoa(n int) string { return strconv.Itoa(n) }
