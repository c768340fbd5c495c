package api

import (
	"github.com/gin-gonic/gin"

	"github.com/prasar/prasar/publisher"
)

// handleListPlatforms serves GET /api/v1/platforms: each configured
// platform's composing limits.
func (h *handler) handleListPlatforms(c *gin.Context) {
	ok(c, nonNil(h.svc.PlatformRules()))
}

// handleListOrgs serves GET /api/v1/orgs.
func (h *handler) handleListOrgs(c *gin.Context) {
	os, err := h.svc.ListOrgs(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(os))
}

// handleGetOrg serves GET /api/v1/orgs/:id.
func (h *handler) handleGetOrg(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	o, err := h.svc.GetOrg(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, o)
}

// handleCreateOrg serves POST /api/v1/orgs.
func (h *handler) handleCreateOrg(c *gin.Context) {
	var in publisher.OrgInput
	if !h.bind(c, &in) {
		return
	}
	o, err := h.svc.CreateOrg(c.Request.Context(), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	created(c, o)
}

// handleListOfficers serves GET /api/v1/orgs/:id/officers.
func (h *handler) handleListOfficers(c *gin.Context) {
	id, valid := h.pathID(c)
	if !valid {
		return
	}
	ctx := c.Request.Context()
	// GetOrg answers 404 for organisations that do not exist or are not
	// visible; ListOfficers alone would answer an empty list.
	if _, err := h.svc.GetOrg(ctx, id); err != nil {
		h.fail(c, err)
		return
	}
	os, err := h.svc.ListOfficers(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(os))
}

// handleListAccounts serves GET /api/v1/accounts?orgId=.
func (h *handler) handleListAccounts(c *gin.Context) {
	q := newQuery(c)
	orgID := q.id("orgId")
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	as, err := h.svc.ListAccounts(c.Request.Context(), orgID)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(as))
}

// handleListUsers serves GET /api/v1/users.
func (h *handler) handleListUsers(c *gin.Context) {
	us, err := h.svc.ListUsers(c.Request.Context(), publisher.UserFilter{})
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(us))
}

// handleCreateUser serves POST /api/v1/users.
func (h *handler) handleCreateUser(c *gin.Context) {
	var in publisher.UserInput
	if !h.bind(c, &in) {
		return
	}
	u, err := h.svc.CreateUser(c.Request.Context(), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	created(c, u)
}

// handleListAudit serves GET /api/v1/audit?orgId=&objectId=&limit=&offset=.
func (h *handler) handleListAudit(c *gin.Context) {
	q := newQuery(c)
	f := publisher.AuditFilter{
		OrgID:    q.id("orgId"),
		ObjectID: q.id("objectId"),
		Limit:    q.intIn("limit", 100, 1, 500),
		Offset:   q.intIn("offset", 0, 0, 1<<30),
	}
	if err := q.err(); err != nil {
		h.fail(c, err)
		return
	}
	es, err := h.svc.ListAudit(c.Request.Context(), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	ok(c, nonNil(es))
}
