package publisher

import (
	"context"
	"fmt"
	"time"
)

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

// HistoryExportMax bounds the rows of one export of the publish history.
const HistoryExportMax = 200000

// historyExportPage is how many rows an export reads at a time.
var historyExportPage = 500

// ExportHistory returns the publish history matching f that the signed-in
// user may see (scoped as ListDeliveries), every row, newest first, as a
// table for a file: RTI replies and audits take it whole. Deliveries made
// after the export began are left out, so that the pages it reads do not
// shift. More than HistoryExportMax rows is EINVALID (narrow the dates).
func (s *Service) ExportHistory(ctx context.Context, f DeliveryFilter) (Table, error) {
	t := Table{Name: "Publish history", Columns: []string{"delivery id", "post id", "post title", "organisation", "platform", "account",
		"status", "attempts", "queued at (IST)", "published at (IST)", "published at (UTC)", "link on the platform", "problem", "the platform's words"}}
	if end := s.now().UTC().Add(time.Millisecond); f.To.IsZero() || f.To.After(end) {
		f.To = end // To is exclusive; times are kept to the millisecond
	}
	ist := func(t *time.Time) any {
		if t == nil {
			return ""
		}
		return t.In(reachZone).Format("2006-01-02 15:04:05")
	}
	f.Limit = historyExportPage
	for {
		f.Offset = len(t.Rows)
		rows, total, err := s.ListDeliveryRows(ctx, f)
		if err != nil {
			return Table{}, err
		}
		if total > HistoryExportMax {
			return Table{}, &Error{Code: EINVALID, Message: fmt.Sprintf("The history has %d deliveries in this selection; an export takes at most %d. Choose fewer days.", total, HistoryExportMax),
				Fields: []FieldError{{Field: "from", Code: "too_many", Message: "Choose a later start date or an earlier end date."}}}
		}
		for _, r := range rows {
			published := ""
			if r.PublishedAt != nil {
				published = r.PublishedAt.UTC().Format(time.RFC3339)
			}
			t.Rows = append(t.Rows, []any{r.ID, r.PostID, r.PostTitle, r.OrgCode, r.Platform.Title(), r.AccountHandle, string(r.Status), int64(r.Attempts),
				ist(&r.CreatedAt), ist(r.PublishedAt), published, r.ExternalURL, r.ErrorMessage, r.PlatformMessage})
		}
		if len(rows) == 0 || len(t.Rows) >= total {
			return t, nil
		}
	}
}
