package publisher

import "context"

// DeliveryRow is a delivery with what people read beside it in the publish
// history and on a post's page: the post's title, the account's handle and
// display name, and the organisation's code. The names are looked up in
// batches (one query each for the posts, accounts and organisations of a
// page), never one by one.
type DeliveryRow struct {
	*Delivery
	PostTitle          string `json:"postTitle"`
	AccountHandle      string `json:"accountHandle"`
	AccountDisplayName string `json:"accountDisplayName"`
	OrgCode            string `json:"orgCode"`
}

// ListDeliveryRows is ListDeliveries (scoped the same way: editors see
// their own organisation's only) with the names of each delivery's post,
// account and organisation.
func (s *Service) ListDeliveryRows(ctx context.Context, f DeliveryFilter) ([]*DeliveryRow, int, error) {
	ds, total, err := s.ListDeliveries(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.deliveryRows(ctx, ds)
	if err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

// PostDeliveryRows is PostDeliveries with the names of each delivery's
// account and organisation (and the post's title).
func (s *Service) PostDeliveryRows(ctx context.Context, postID string) ([]*DeliveryRow, DeliveryCounts, error) {
	ds, counts, err := s.PostDeliveries(ctx, postID)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.deliveryRows(ctx, ds)
	if err != nil {
		return nil, nil, err
	}
	return rows, counts, nil
}

// deliveryRows adds the names to deliveries the caller has already scoped
// to the signed-in user. A post, account or organisation that is gone
// leaves its names empty.
func (s *Service) deliveryRows(ctx context.Context, ds []*Delivery) ([]*DeliveryRow, error) {
	rows := make([]*DeliveryRow, len(ds))
	if len(ds) == 0 {
		return rows, nil
	}
	var postIDs, accountIDs, orgIDs []string
	seen := map[string]bool{}
	add := func(list *[]string, kind, id string) {
		if id != "" && !seen[kind+id] {
			seen[kind+id] = true
			*list = append(*list, id)
		}
	}
	for _, d := range ds {
		add(&postIDs, "p", d.PostID)
		add(&accountIDs, "a", d.AccountID)
		add(&orgIDs, "o", d.OrgID)
	}
	titles := map[string]string{}
	if len(postIDs) > 0 {
		ps, _, err := s.store.ListPosts(ctx, PostFilter{IDs: postIDs})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			titles[p.ID] = p.Title
		}
	}
	accounts := map[string]*Account{}
	if len(accountIDs) > 0 {
		as, err := s.store.ListAccounts(ctx, AccountFilter{IDs: accountIDs})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			accounts[a.ID] = a
		}
	}
	codes := map[string]string{}
	if len(orgIDs) > 0 {
		os, err := s.store.ListOrgs(ctx, OrgFilter{IDs: orgIDs})
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			codes[o.ID] = o.Code
		}
	}
	for i, d := range ds {
		r := &DeliveryRow{Delivery: d, PostTitle: titles[d.PostID], OrgCode: codes[d.OrgID]}
		if a := accounts[d.AccountID]; a != nil {
			r.AccountHandle, r.AccountDisplayName = a.Handle, a.DisplayName
		}
		rows[i] = r
	}
	return rows, nil
}
