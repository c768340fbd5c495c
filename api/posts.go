package api

import (
	"context"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// postStatuses are the statuses a post list may be filtered by.
var postStatuses = []publisher.PostStatus{publisher.PostDraft, publisher.PostInReview, publisher.PostChangesRequested,
	publisher.PostRejected, publisher.PostApproved, publisher.PostPublishing, publisher.PostCancelled, publisher.PostRetracted}

// postView is a post with its deliveries (with their accounts' names) and
// their counts by status: the answer of GET /posts/:id and each event of
// its live stream.
type postView struct {
	Post       *publisher.Post          `json:"post"`
	Deliveries []*publisher.DeliveryRow `json:"deliveries"`
	Counts     publisher.DeliveryCounts `json:"counts"`
}

// loadPostView reads a post and its deliveries, scoped to the signed-in
// user.
func (h *handler) loadPostView(ctx context.Context, id string) (*postView, error) {
	p, err := h.svc.GetPost(ctx, id)
	if err != nil {
		return nil, err
	}
	ds, counts, err := h.svc.PostDeliveryRows(ctx, id)
	if err != nil {
		return nil, err
	}
	if counts == nil {
		counts = publisher.DeliveryCounts{}
	}
	return &postView{Post: p, Deliveries: nonNil(ds), Counts: counts}, nil
}

// handleListPosts serves GET /api/v1/posts?status=a,b&orgId=&kind=&limit=&offset=.
func (h *handler) handleListPosts(c *gin.Context) {
	q := newQuery(c)
	f := publisher.PostFilter{
		OrgID:  q.id("orgId"),
		Kind:   publisher.PostKind(q.str("kind")),
		Limit:  q.intIn("limit", 50, 1, 200),
		Offset: q.intIn("offset", 0, 0, 1<<30),
	}
	if f.Kind != "" && f.Kind != publisher.KindPost && f.Kind != publisher.KindClarification {
		q.bad("kind", "invalid_choice", "Choose post or clarification.")
	}
	for _, s := range q.list("status") {
		st := publisher.PostStatus(s)
		if !slices.Contains(postStatuses, st) {
			q.bad("status", "invalid_choice", "There is no such status.", "value", s)
			break
		}
		f.Statuses = append(f.Statuses, st)
	}
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	ps, total, err := h.svc.ListPosts(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	list(c, ps, total)
}

// handleCreatePost serves POST /api/v1/posts: a new draft.
func (h *handler) handleCreatePost(c *gin.Context) {
	var in publisher.PostInput
	if !h.bind(c, &in) {
		return
	}
	p, err := h.svc.CreatePost(c.Request.Context(), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	created(c, p)
}

// handleGetPost serves GET /api/v1/posts/:id: the post, its deliveries and
// their counts.
func (h *handler) handleGetPost(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	v, err := h.loadPostView(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, v)
}

// handleUpdatePost serves PUT /api/v1/posts/:id: PostInput plus the
// revision the editor started from.
func (h *handler) handleUpdatePost(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var req struct {
		publisher.PostInput
		Revision *int `json:"revision"`
	}
	if !h.bind(c, &req) {
		return
	}
	if req.Revision == nil {
		h.failCode(c, publisher.EINVALID, "Say which revision you edited.", required("revision"))
		return
	}
	p, err := h.svc.UpdatePost(c.Request.Context(), id, *req.Revision, req.PostInput)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, p)
}

// reviewRequest is the body of the review steps.
type reviewRequest struct {
	Revision *int   `json:"revision"`
	Comment  string `json:"comment"`
}

// reviewStep is a service method taking a post through one review step.
type reviewStep func(ctx context.Context, id string, revision int, comment string) (*publisher.Post, error)

// review binds a review step's body, takes the step and answers the post.
func (h *handler) review(c *gin.Context, step reviewStep) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var req reviewRequest
	if !h.bind(c, &req) {
		return
	}
	if req.Revision == nil {
		h.failCode(c, publisher.EINVALID, "Say which revision you reviewed.", required("revision"))
		return
	}
	p, err := step(c.Request.Context(), id, *req.Revision, req.Comment)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, p)
}

// handleSubmitPost serves POST /api/v1/posts/:id/submit {"revision"}.
func (h *handler) handleSubmitPost(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	var req struct {
		Revision *int `json:"revision"`
	}
	if !h.bind(c, &req) {
		return
	}
	if req.Revision == nil {
		h.failCode(c, publisher.EINVALID, "Say which revision you submit.", required("revision"))
		return
	}
	p, err := h.svc.SubmitPost(c.Request.Context(), id, *req.Revision)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, p)
}

// handleApprovePost serves POST /api/v1/posts/:id/approve {"revision","comment"}.
func (h *handler) handleApprovePost(c *gin.Context) { h.review(c, h.svc.ApprovePost) }

// handleRejectPost serves POST /api/v1/posts/:id/reject {"revision","comment"}.
func (h *handler) handleRejectPost(c *gin.Context) { h.review(c, h.svc.RejectPost) }

// handleRequestChanges serves POST /api/v1/posts/:id/request-changes {"revision","comment"}.
func (h *handler) handleRequestChanges(c *gin.Context) { h.review(c, h.svc.RequestChanges) }

// handleCancelPost serves POST /api/v1/posts/:id/cancel {"revision","comment"}.
func (h *handler) handleCancelPost(c *gin.Context) { h.review(c, h.svc.CancelPost) }

// handleListRevisions serves GET /api/v1/posts/:id/revisions, oldest first.
func (h *handler) handleListRevisions(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	rs, err := h.svc.ListRevisions(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(rs))
}

// handleMeasurePost serves POST /api/v1/measure: per target, the text as
// published, its length as the platform counts it, and any problems.
func (h *handler) handleMeasurePost(c *gin.Context) {
	var in publisher.PostInput
	if !h.bind(c, &in) {
		return
	}
	ms, err := h.svc.MeasurePost(c.Request.Context(), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(ms))
}

// handleListReviewQueue serves GET /api/v1/review-queue?limit=&offset=:
// posts waiting for review, the one waiting longest first, for approvers
// and admins.
func (h *handler) handleListReviewQueue(c *gin.Context) {
	q := newQuery(c)
	limit, offset := q.intIn("limit", 50, 1, 200), q.intIn("offset", 0, 0, 1<<30)
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	ps, total, err := h.svc.ReviewQueue(c.Request.Context(), limit, offset)
	if err != nil {
		h.fail(c, err)
		return
	}
	list(c, ps, total)
}
