package publisher

import (
	"context"
	"slices"
	"time"
)

// The registry's organisation page and history.

// RegistryOrg is an organisation as its registry page shows it.
type RegistryOrg struct {
	Org      *Organisation      `json:"org"`
	Parent   *Organisation      `json:"parent,omitempty"`
	Children []*Organisation    `json:"children"`
	Officers []*Officer         `json:"officers"` // current and past, newest start first; contacts as the user may see them
	Accounts []*RegistryAccount `json:"accounts"`
	// Handovers still waiting for credential rotation (or running).
	OpenHandovers  []*Handover `json:"openHandovers"`
	PendingChanges int         `json:"pendingChanges"`
	Lineage        *Lineage    `json:"lineage"`
	// What the signed-in user may do here.
	CanAdmin        bool `json:"canAdmin"`        // change the registry, appoint officers
	CanEditAccounts bool `json:"canEditAccounts"` // register accounts, change their details
	CanEditOfficers bool `json:"canEditOfficers"` // change officers' details (perhaps subject to confirmation)
	EditsDirect     bool `json:"editsDirect"`     // officer changes apply at once (admins, the nodal officer)
	SeesContacts    bool `json:"seesContacts"`
}

// RegistryOrg returns an organisation's registry page.
func (s *Service) RegistryOrg(ctx context.Context, id string) (*RegistryOrg, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.GetOrg(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	r := &RegistryOrg{Org: o, Children: []*Organisation{}, CanAdmin: u.Role == RoleAdmin, CanEditAccounts: canWriteFor(u, o.ID),
		CanEditOfficers: canWriteFor(u, o.ID), SeesContacts: seesContacts(u, o.ID)}
	if r.EditsDirect = u.Role == RoleAdmin; !r.EditsDirect {
		if r.EditsDirect, err = s.isNodalOfficer(ctx, u, o.ID, now); err != nil {
			return nil, err
		}
	}
	if o.ParentID != "" && canSeeOrg(u, o.ParentID) {
		if p, err := s.store.GetOrg(ctx, o.ParentID); err == nil {
			r.Parent = p
		}
	}
	all, err := s.store.ListOrgs(ctx, OrgFilter{})
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if c.ParentID == o.ID && canSeeOrg(u, c.ID) {
			r.Children = append(r.Children, c)
		}
	}
	os, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: o.ID})
	if err != nil {
		return nil, err
	}
	r.Officers = s.scopedOfficers(ctx, u, nonNilSlice(os), "registry_org")
	as, err := s.store.ListAccounts(ctx, AccountFilter{OrgID: o.ID})
	if err != nil {
		return nil, err
	}
	if r.Accounts, err = s.registryAccounts(ctx, as); err != nil {
		return nil, err
	}
	hs, err := s.ListHandovers(ctx, o.ID, []HandoverStatus{HandoverRunning, HandoverRotation})
	if err != nil {
		return nil, err
	}
	r.OpenHandovers = nonNilSlice(hs)
	if u.Role != RoleViewer {
		cs, err := s.store.ListOfficerChanges(ctx, OfficerChangeFilter{OrgID: o.ID, Status: ChangePending})
		if err != nil {
			return nil, err
		}
		r.PendingChanges = len(cs)
	}
	if r.Lineage, err = s.lineage(ctx, o.ID); err != nil {
		return nil, err
	}
	return r, nil
}

// OrgHistory is everything that happened to an organisation and its
// predecessors: lineage events, every version of every officer, the
// handovers, the proposed changes, and the most recent deliveries.
type OrgHistory struct {
	Lineage    *Lineage           `json:"lineage"`
	Officers   []*Officer         `json:"officers"` // the predecessors' officers (the organisation's own are on its page)
	Revisions  []*OfficerRevision `json:"revisions"`
	Handovers  []*Handover        `json:"handovers"`
	Changes    []*OfficerChange   `json:"changes"`
	Deliveries []*Delivery        `json:"deliveries"` // the latest 100 of the lineage, newest first
	// DeliveriesByOrg counts the lineage's deliveries by organisation.
	DeliveriesByOrg map[string]int `json:"deliveriesByOrg"`
}

// RegistryOrgHistory returns an organisation's history, following merges
// back to its predecessors.
func (s *Service) RegistryOrgHistory(ctx context.Context, id string) (*OrgHistory, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.GetOrg(ctx, id); err != nil {
		return nil, err
	}
	l, err := s.lineage(ctx, id)
	if err != nil {
		return nil, err
	}
	h := &OrgHistory{Lineage: l, Officers: []*Officer{}, Handovers: []*Handover{}, Changes: []*OfficerChange{}, Deliveries: []*Delivery{},
		DeliveriesByOrg: map[string]int{}}
	ids := l.IDs()
	for _, p := range l.Predecessors {
		os, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: p.ID})
		if err != nil {
			return nil, err
		}
		h.Officers = append(h.Officers, os...)
	}
	h.Officers = s.scopedOfficers(ctx, u, h.Officers, "registry_history")
	if h.Revisions, err = s.officerRevisions(ctx, u, ids); err != nil {
		return nil, err
	}
	h.Revisions = nonNilSlice(h.Revisions)
	for _, orgID := range ids {
		hs, err := s.store.ListHandovers(ctx, HandoverFilter{OrgID: orgID, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, x := range hs {
			h.Handovers = append(h.Handovers, s.scopedHandover(ctx, u, x))
		}
		if u.Role != RoleViewer {
			cs, err := s.store.ListOfficerChanges(ctx, OfficerChangeFilter{OrgID: orgID})
			if err != nil {
				return nil, err
			}
			for _, c := range cs {
				h.Changes = append(h.Changes, s.scopedChange(ctx, u, c))
			}
		}
		ds, n, err := s.store.ListDeliveries(ctx, DeliveryFilter{OrgID: orgID, Limit: 100})
		if err != nil {
			return nil, err
		}
		h.Deliveries = append(h.Deliveries, ds...)
		h.DeliveriesByOrg[orgID] = n
	}
	slices.SortStableFunc(h.Deliveries, func(a, b *Delivery) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(h.Deliveries) > 100 {
		h.Deliveries = h.Deliveries[:100]
	}
	slices.SortStableFunc(h.Handovers, func(a, b *Handover) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return h, nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// currentOfficer returns orgID's current officer of a kind, or nil.
func (s *Service) currentOfficer(ctx context.Context, orgID string, kind OfficerKind, at time.Time) (*Officer, error) {
	os, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: orgID, CurrentAt: at})
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		if o.Kind == kind {
			return o, nil
		}
	}
	return nil, nil
}
