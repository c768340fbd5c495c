package publisher

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"
)

// Exporting the registry. The organisations, officers and accounts tables
// have the import's columns (and a few the import reads past), so an
// export imports back unchanged; the history tables are for reading.

// DataTable is a table of text, for CSV and Excel files.
type DataTable struct {
	Name   string     `json:"name"` // organisations, officers, …: the file or sheet name
	Header []string   `json:"header"`
	Rows   [][]string `json:"rows"`
}

// WriteCSV writes t as UTF-8 CSV with a byte-order mark (so that Excel
// opens Hindi text correctly; the import reads past it).
func (t *DataTable) WriteCSV() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.Write(t.Header); err != nil {
		return nil, fmt.Errorf("publisher: writing CSV: %w", err)
	}
	if err := w.WriteAll(t.Rows); err != nil {
		return nil, fmt.Errorf("publisher: writing CSV: %w", err)
	}
	return b.Bytes(), nil
}

// RegistryExport is the whole registry as tables.
type RegistryExport struct {
	GeneratedAt time.Time    `json:"generatedAt"`
	Tables      []*DataTable `json:"tables"`
}

// Table returns the table of that name, or nil.
func (e *RegistryExport) Table(name string) *DataTable {
	for _, t := range e.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// day writes t as a date in India ("" for nil).
func day(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(istZone).Format("2006-01-02")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(istZone).Format("2006-01-02 15:04") + " IST"
}

// ExportRegistry returns the whole registry as tables: organisations,
// current officers, accounts, every officer's term, the lineage and the
// handovers. Officers' e-mail and phone are included only for users who
// may see them (admins, approvers; editors for their own organisation,
// which is all they export), and the export is logged. Editors export
// their own organisation; everyone else everything.
func (s *Service) ExportRegistry(ctx context.Context) (*RegistryExport, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	orgs, err := s.ListOrgs(ctx)
	if err != nil {
		return nil, err
	}
	codeOf := map[string]string{}
	all, err := s.store.ListOrgs(ctx, OrgFilter{})
	if err != nil {
		return nil, err
	}
	for _, o := range all {
		codeOf[o.ID] = o.Code
	}
	ex := &RegistryExport{GeneratedAt: now}
	ot := &DataTable{Name: string(ImportOrganisations), Header: ImportColumns(ImportOrganisations)}
	ft := &DataTable{Name: string(ImportOfficers), Header: append(ImportColumns(ImportOfficers), "end_date")}
	at := &DataTable{Name: string(ImportAccounts), Header: append(ImportColumns(ImportAccounts), "status", "working", "external_id")}
	ht := &DataTable{Name: "officer_terms", Header: []string{"org_code", "kind", "name", "designation", "posting", "rank", "email", "phone",
		"order_ref", "start_date", "end_date", "current"}}
	lt := &DataTable{Name: "lineage", Header: []string{"effective_date", "event", "org_code", "merged_codes", "before", "after", "order_ref", "note", "moved"}}
	hot := &DataTable{Name: "handovers", Header: []string{"date", "org_code", "kind", "from_officer", "to_officer", "access_revoked",
		"accounts_to_rotate", "rotated", "status"}}
	contacts := 0
	var ids []string
	for _, o := range orgs {
		ids = append(ids, o.ID)
		ot.Rows = append(ot.Rows, []string{o.Code, string(o.Type), codeOf[o.ParentID], o.NameEN, o.NameHI, o.District, day(o.ActiveFrom), day(o.ActiveTo)})
		officers, err := s.store.ListOfficers(ctx, OfficerFilter{OrgID: o.ID})
		if err != nil {
			return nil, err
		}
		names := map[string]string{}
		for _, x := range officers {
			names[x.ID] = x.Name
			if scopeOfficer(u, x) {
				contacts++
			}
			cur := x.Current(now)
			ht.Rows = append(ht.Rows, []string{o.Code, string(x.Kind), x.Name, x.Designation, x.Posting, x.Rank, x.Email, x.Phone, x.OrderRef,
				day(&x.StartDate), day(x.EndDate), yesNo(cur)})
			if cur {
				userEmail := ""
				if x.UserID != "" {
					if us, err := s.store.GetUser(ctx, x.UserID); err == nil {
						userEmail = us.Email
					}
				}
				ft.Rows = append(ft.Rows, []string{o.Code, string(x.Kind), x.Name, x.Designation, x.Posting, x.Email, x.Phone, x.Rank,
					x.AccountDetails, x.OrderRef, day(&x.StartDate), userEmail, day(x.EndDate)})
			}
		}
		as, err := s.store.ListAccounts(ctx, AccountFilter{OrgID: o.ID})
		if err != nil {
			return nil, err
		}
		ras, err := s.registryAccounts(ctx, as)
		if err != nil {
			return nil, err
		}
		for _, a := range ras {
			ext := a.ExternalID
			if strings.HasPrefix(ext, "handle:") {
				ext = ""
			}
			at.Rows = append(at.Rows, []string{o.Code, string(a.Platform), a.Handle, a.ProfileURL, a.DisplayName, string(a.Profile.Verification),
				a.Profile.Badge, string(a.Profile.TwoFactor), a.Profile.RecoveryEmail, a.Profile.Notes, string(a.Status), yesNo(a.Working), ext})
		}
		hs, err := s.store.ListHandovers(ctx, HandoverFilter{OrgID: o.ID})
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			rotated := 0
			for _, r := range h.Accounts {
				if r.RotatedAt != nil {
					rotated++
				}
			}
			to := names[h.ToOfficerID]
			if to == "" && h.Appointed != nil {
				to = h.Appointed.Name
			}
			hot.Rows = append(hot.Rows, []string{day(&h.EffectiveAt), o.Code, string(h.Kind), names[h.FromOfficerID], to, yesNo(h.AccessRevoked),
				fmt.Sprint(len(h.Accounts)), fmt.Sprint(rotated), string(h.Status)})
		}
	}
	events, err := s.store.ListOrgEvents(ctx, OrgEventFilter{OrgIDs: ids})
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		var merged []string
		for _, id := range e.FromOrgIDs {
			merged = append(merged, codeOf[id])
		}
		moved := ""
		if e.Moved != nil {
			moved = fmt.Sprintf("%d accounts, %d users, %d units, %d officer terms ended", len(e.Moved.Accounts), len(e.Moved.Users), len(e.Moved.Children), len(e.Moved.OfficersEnded))
		}
		lt.Rows = append(lt.Rows, []string{day(&e.EffectiveAt), string(e.Kind), codeOf[e.OrgID], strings.Join(merged, ", "), snapshotText(e.Before),
			snapshotText(e.After), e.OrderRef, e.Note, moved})
	}
	ex.Tables = []*DataTable{ot, ft, at, ht, lt, hot}
	s.audit(ctx, "registry.export", "registry", "", u.OrgID, map[string]string{"organisations": fmt.Sprint(len(orgs))})
	if contacts > 0 {
		s.audit(ctx, "officer.view_contacts", "registry", "", u.OrgID, map[string]string{"via": "export", "officers": fmt.Sprint(contacts)})
	}
	return ex, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func snapshotText(s *OrgSnapshot) string {
	if s == nil {
		return ""
	}
	return s.Code + " — " + s.NameEN + " / " + s.NameHI
}
