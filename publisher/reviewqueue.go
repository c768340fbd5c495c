package publisher

import "context"

// ReviewQueue returns the posts waiting for review, the one waiting
// longest first (by the time it was last submitted, then by creation; see
// PostFilter.OldestFirst), and how many wait in all. A limit outside 1–200
// becomes 50. Approvers and administrators only: they review every
// organisation's posts.
func (s *Service) ReviewQueue(ctx context.Context, limit, offset int) ([]*Post, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !canReview(u) {
		return nil, 0, Errorf(EFORBIDDEN, "Only the PR section's approvers review posts.")
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.ListPosts(ctx, PostFilter{Statuses: []PostStatus{PostInReview}, OldestFirst: true, Limit: limit, Offset: max(offset, 0)})
}
