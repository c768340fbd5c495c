package publisher

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Importing the registry from CSV and Excel files. An import is checked
// whole before anything is written (a dry run shows every row's errors by
// line, column and reason); with any error nothing is written. A clean
// import becomes an ImportBatch whose plan fixes the id of everything it
// will create, and is then written step by step; every step is idempotent,
// so an import interrupted by a store failure is finished by ResumeImport
// without creating anything twice — nothing stays half-imported.
//
// The columns are those of the export (Export), so an exported registry
// imports back unchanged. Excel workbooks are read into ImportTables by
// the adapter (publisher/xlsx); CSV is read here (ParseCSV).

// ImportKind is what a table holds.
type ImportKind string

// Import kinds.
const (
	ImportOrganisations ImportKind = "organisations"
	ImportOfficers      ImportKind = "officers"
	ImportAccounts      ImportKind = "accounts"
)

// ImportKinds lists the kinds in the order they are imported.
var ImportKinds = []ImportKind{ImportOrganisations, ImportOfficers, ImportAccounts}

// Valid reports whether k is a known kind.
func (k ImportKind) Valid() bool { return slices.Contains(ImportKinds, k) }

// importColumn is one column of an import table.
type importColumn struct {
	name     string
	required bool
}

// importColumns are each kind's columns, in export order; importIgnored
// are columns the export adds that an import reads past.
var (
	importColumns = map[ImportKind][]importColumn{
		ImportOrganisations: {{"code", true}, {"type", true}, {"parent_code", false}, {"name_en", true}, {"name_hi", true},
			{"district", false}, {"active_from", false}, {"active_to", false}},
		ImportOfficers: {{"org_code", true}, {"kind", false}, {"name", true}, {"designation", true}, {"posting", true},
			{"email", true}, {"phone", true}, {"rank", false}, {"account_details", false}, {"order_ref", false}, {"start_date", false},
			{"user_email", false}},
		ImportAccounts: {{"org_code", true}, {"platform", true}, {"handle", true}, {"profile_url", false}, {"display_name", false},
			{"verification", false}, {"badge", false}, {"two_factor", false}, {"recovery_email", false}, {"notes", false}},
	}
	importIgnored = map[ImportKind][]string{
		ImportOfficers: {"end_date"},
		ImportAccounts: {"status", "working", "external_id"},
	}
)

// ImportColumns returns a kind's column names, in order.
func ImportColumns(k ImportKind) []string {
	var out []string
	for _, c := range importColumns[k] {
		out = append(out, c.name)
	}
	return out
}

// ImportRow is one row of a table as read from the file.
type ImportRow struct {
	Line  int      `json:"line"` // 1-based line (CSV) or row number (sheet)
	Cells []string `json:"cells"`
	// Merged names, by column index, the merged range a cell belongs to
	// (Excel); such cells are refused.
	Merged map[int]string `json:"merged,omitempty"`
}

// ImportTable is one table of an import: a CSV file or a sheet. Its first
// row is the header.
type ImportTable struct {
	Kind  ImportKind  `json:"kind"`
	Name  string      `json:"name"`  // the file or sheet, for messages
	Sheet bool        `json:"sheet"` // a spreadsheet: errors name cells (C5)
	Rows  []ImportRow `json:"rows"`
}

// ImportError is one problem of an import, where it is.
type ImportError struct {
	Table   string `json:"table"`
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"` // the column's header
	Cell    string `json:"cell,omitempty"`   // the cell, in spreadsheets (C5)
	Code    string `json:"code"`             // stable, for translation
	Message string `json:"message"`          // English
	Value   string `json:"value,omitempty"`
}

func (e ImportError) Error() string {
	where := fmt.Sprintf("%s line %d", e.Table, e.Line)
	if e.Cell != "" {
		where += " (" + e.Cell + ")"
	}
	if e.Column != "" {
		where += ", column " + e.Column
	}
	return where + ": " + e.Message
}

// ImportSource is a file to import, read into tables. Errors are the
// reader's (a file that is not UTF-8, broken quoting).
type ImportSource struct {
	Filename string         `json:"filename"`
	Format   string         `json:"format"` // csv or xlsx
	Tables   []*ImportTable `json:"tables"`
	Errors   []ImportError  `json:"errors"`
}

// ImportCounts counts what an import does to one kind of record.
type ImportCounts struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Unchanged int `json:"unchanged"`
}

// ImportSummary is what an import does.
type ImportSummary struct {
	Rows          int          `json:"rows"`
	Organisations ImportCounts `json:"organisations"`
	Officers      ImportCounts `json:"officers"` // Create: appointments (each with a handover)
	Accounts      ImportCounts `json:"accounts"`
}

// PlannedOrg is one organisation an import creates or changes.
type PlannedOrg struct {
	Line    int          `json:"line"`
	Create  bool         `json:"create"`
	Org     Organisation `json:"org"`               // the whole new state
	EventID string       `json:"eventId,omitempty"` // the lineage event of a change
}

// PlannedOfficer is one officer an import appoints or changes.
type PlannedOfficer struct {
	Line       int     `json:"line"`
	Appoint    bool    `json:"appoint"`
	Officer    Officer `json:"officer"` // the whole new state
	HandoverID string  `json:"handoverId,omitempty"`
	RevisionID string  `json:"revisionId,omitempty"`
}

// PlannedAccount is one account an import registers or changes.
type PlannedAccount struct {
	Line        int            `json:"line"`
	Create      bool           `json:"create"`
	AccountID   string         `json:"accountId"`
	OrgID       string         `json:"orgId"`
	Platform    Platform       `json:"platform"`
	Handle      string         `json:"handle"`
	ProfileURL  string         `json:"profileUrl,omitempty"`
	DisplayName string         `json:"displayName,omitempty"`
	Profile     AccountProfile `json:"profile"`
}

// ImportPlan is every write of an import, in order.
type ImportPlan struct {
	Orgs     []PlannedOrg     `json:"orgs"`
	Officers []PlannedOfficer `json:"officers"`
	Accounts []PlannedAccount `json:"accounts"`
}

// Steps is how many writes the plan has.
func (p *ImportPlan) Steps() int { return len(p.Orgs) + len(p.Officers) + len(p.Accounts) }

// ImportResult is the outcome of an import or a dry run.
type ImportResult struct {
	DryRun  bool          `json:"dryRun"`
	Valid   bool          `json:"valid"`
	Errors  []ImportError `json:"errors"`
	Summary ImportSummary `json:"summary"`
	// Batch is the written import (not for dry runs or invalid files).
	Batch *ImportBatch `json:"batch,omitempty"`
}

// ParseCSV reads a CSV file (UTF-8, with or without a byte-order mark) as
// a table of the given kind. A file that is not UTF-8 or has broken
// quoting gives no table and an error with its line.
func ParseCSV(kind ImportKind, name string, data []byte) (*ImportTable, []ImportError) {
	t := &ImportTable{Kind: kind, Name: name}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		return nil, []ImportError{{Table: name, Line: line, Code: "not_utf8",
			Message: "The file is not in UTF-8. Save it as \"CSV UTF-8\" (Excel) or UTF-8 text and try again."}}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, []ImportError{{Table: name, Line: pe.Line, Code: "bad_csv", Message: "The CSV cannot be read here: " + pe.Err.Error() + "."}}
			}
			return nil, []ImportError{{Table: name, Line: 1, Code: "bad_csv", Message: "The CSV cannot be read: " + err.Error() + "."}}
		}
		line, _ := r.FieldPos(0)
		t.Rows = append(t.Rows, ImportRow{Line: line, Cells: rec})
	}
	return t, nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// CellName returns a spreadsheet cell's name, e.g. C5 for column index 2
// of row 5.
func CellName(col, row int) string {
	name := ""
	for col++; col > 0; col = (col - 1) / 26 {
		name = string(rune('A'+(col-1)%26)) + name
	}
	return name + strconv.Itoa(row)
}

// normalizeHeader turns a header cell into a column name: lower case, with
// spaces and hyphens as underscores ("Name (EN)" → name_en).
func normalizeHeader(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF")))
	var b strings.Builder
	last := '_'
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			last = r
		} else if last != '_' {
			b.WriteRune('_')
			last = '_'
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// tableReader reads a table's rows by column name and collects errors.
type tableReader struct {
	t    *ImportTable
	cols map[string]int
	errs *[]ImportError
	row  ImportRow
}

func (tr *tableReader) bad(col, code, msg, value string) {
	e := ImportError{Table: tr.t.Name, Line: tr.row.Line, Column: col, Code: code, Message: msg, Value: value}
	if i, ok := tr.cols[col]; ok && tr.t.Sheet {
		e.Cell = CellName(i, tr.row.Line)
	}
	*tr.errs = append(*tr.errs, e)
}

// get returns a cell's value, trimmed ("" for absent columns).
func (tr *tableReader) get(col string) string {
	i, ok := tr.cols[col]
	if !ok || i >= len(tr.row.Cells) {
		return ""
	}
	return strings.TrimSpace(tr.row.Cells[i])
}

// header maps the header row to columns and reports wrong columns; it
// returns false if the table cannot be read.
func (tr *tableReader) header() bool {
	t := tr.t
	if len(t.Rows) == 0 {
		*tr.errs = append(*tr.errs, ImportError{Table: t.Name, Line: 1, Code: "empty", Message: "The table is empty: it needs a header row and at least one row."})
		return false
	}
	h := t.Rows[0]
	tr.row = h
	tr.cols = map[string]int{}
	known := map[string]bool{}
	for _, c := range importColumns[t.Kind] {
		known[c.name] = true
	}
	for _, c := range importIgnored[t.Kind] {
		known[c] = true
	}
	ok := true
	for i, cell := range h.Cells {
		name := normalizeHeader(cell)
		e := ImportError{Table: t.Name, Line: h.Line, Column: strings.TrimSpace(cell), Value: strings.TrimSpace(cell)}
		if t.Sheet {
			e.Cell = CellName(i, h.Line)
		}
		switch {
		case name == "" && strings.TrimSpace(cell) == "":
			continue
		case !known[name]:
			e.Code, e.Message = "unknown_column", fmt.Sprintf("Unknown column %q. The columns of %s are: %s.", strings.TrimSpace(cell), t.Kind, strings.Join(ImportColumns(t.Kind), ", "))
			ok = false
		case tr.cols[name] != 0 || (len(tr.cols) > 0 && hasIndex(tr.cols, name)):
			e.Code, e.Message, e.Column = "duplicate_column", fmt.Sprintf("The column %s appears twice.", name), name
			ok = false
		default:
			tr.cols[name] = i
			continue
		}
		*tr.errs = append(*tr.errs, e)
	}
	for _, c := range importColumns[t.Kind] {
		if _, has := tr.cols[c.name]; c.required && !has {
			*tr.errs = append(*tr.errs, ImportError{Table: t.Name, Line: h.Line, Column: c.name, Code: "missing_column",
				Message: fmt.Sprintf("The required column %s is missing.", c.name)})
			ok = false
		}
	}
	if ok && len(t.Rows) == 1 {
		*tr.errs = append(*tr.errs, ImportError{Table: t.Name, Line: h.Line, Code: "empty", Message: "The table has a header but no rows."})
		ok = false
	}
	return ok
}

func hasIndex(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// rows calls f for every data row that is not blank, after refusing
// merged cells and cells beyond the header.
func (tr *tableReader) rows(f func()) {
	width := len(tr.t.Rows[0].Cells)
	for _, r := range tr.t.Rows[1:] {
		tr.row = r
		blank := true
		for _, c := range r.Cells {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		if blank && len(r.Merged) == 0 {
			continue
		}
		bad := false
		for i := range r.Cells {
			if rng, ok := r.Merged[i]; ok {
				e := ImportError{Table: tr.t.Name, Line: r.Line, Column: tr.colName(i), Cell: CellName(i, r.Line), Code: "merged_cell",
					Message: fmt.Sprintf("The cell is part of the merged range %s. Unmerge it and fill in the value on every row.", rng)}
				*tr.errs = append(*tr.errs, e)
				bad = true
			}
		}
		for i := range r.Merged {
			if i >= len(r.Cells) {
				*tr.errs = append(*tr.errs, ImportError{Table: tr.t.Name, Line: r.Line, Column: tr.colName(i), Cell: CellName(i, r.Line), Code: "merged_cell",
					Message: fmt.Sprintf("The cell is part of the merged range %s. Unmerge it and fill in the value on every row.", r.Merged[i])})
				bad = true
			}
		}
		for i := width; i < len(r.Cells); i++ {
			if strings.TrimSpace(r.Cells[i]) != "" {
				e := ImportError{Table: tr.t.Name, Line: r.Line, Code: "extra_cell", Message: "The row has a value beyond the last column.", Value: r.Cells[i]}
				if tr.t.Sheet {
					e.Cell = CellName(i, r.Line)
				}
				*tr.errs = append(*tr.errs, e)
				bad = true
				break
			}
		}
		if !bad {
			f()
		}
	}
}

func (tr *tableReader) colName(i int) string {
	for n, j := range tr.cols {
		if j == i {
			return n
		}
	}
	return ""
}

// parseImportDate reads a date as YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY or an
// Excel date serial, at the start of that day in India.
func parseImportDate(s string) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	for _, layout := range []string{"2006-01-02", "02-01-2006", "02/01/2006", "2-1-2006", "2/1/2006", "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.ParseInLocation(layout, s, istZone); err == nil {
			t = t.UTC()
			return &t, true
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 20000 && f < 80000 {
		days := math.Floor(f)
		t := time.Date(1899, 12, 30, 0, 0, 0, 0, istZone).AddDate(0, 0, int(days)).UTC()
		return &t, true
	}
	return nil, false
}

// istZone is India Standard Time (no daylight saving).
var istZone = time.FixedZone("IST", 5*3600+1800)

// importState is the registry as an import sees it.
type importState struct {
	orgsByCode map[string]*Organisation
	orgsByID   map[string]*Organisation
	accounts   []*Account
}

// ImportRegistry checks an import and, unless dryRun or it has errors,
// writes it. Admins only. With errors nothing is written; the result
// lists them all.
func (s *Service) ImportRegistry(ctx context.Context, src ImportSource, dryRun bool) (*ImportResult, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators import the registry.")
	}
	res := &ImportResult{DryRun: dryRun, Errors: append([]ImportError{}, src.Errors...)}
	if len(src.Tables) == 0 && len(res.Errors) == 0 {
		res.Errors = append(res.Errors, ImportError{Table: src.Filename, Line: 1, Code: "empty", Message: "The file has no table to import."})
	}
	plan, summary, errs, err := s.planImport(ctx, src.Tables)
	if err != nil {
		return nil, err
	}
	res.Errors = append(res.Errors, errs...)
	res.Summary, res.Valid = summary, len(res.Errors) == 0
	if dryRun || !res.Valid {
		s.audit(ctx, "registry.import_check", "import", "", "", map[string]string{"file": src.Filename, "errors": strconv.Itoa(len(res.Errors))})
		return res, nil
	}
	now := s.now().UTC()
	b := &ImportBatch{ID: NewID(), Filename: src.Filename, Format: src.Format, Status: ImportWriting, Plan: *plan, Summary: summary,
		ActorID: u.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateImportBatch(ctx, b); err != nil {
		return nil, err
	}
	res.Batch = b
	err = s.writeImport(ctx, b)
	s.audit(ctx, "registry.import", "import", b.ID, "", map[string]string{"file": src.Filename, "status": string(b.Status), "written": strconv.Itoa(b.Written)})
	return res, err
}

// planImport checks the tables against each other and the registry and
// plans the writes.
func (s *Service) planImport(ctx context.Context, tables []*ImportTable) (*ImportPlan, ImportSummary, []ImportError, error) {
	plan := &ImportPlan{}
	var sum ImportSummary
	var errs []ImportError
	st := &importState{orgsByCode: map[string]*Organisation{}, orgsByID: map[string]*Organisation{}}
	orgs, err := s.store.ListOrgs(ctx, OrgFilter{})
	if err != nil {
		return nil, sum, nil, err
	}
	for _, o := range orgs {
		st.orgsByCode[o.Code], st.orgsByID[o.ID] = o, o
	}
	if st.accounts, err = s.store.ListAccounts(ctx, AccountFilter{}); err != nil {
		return nil, sum, nil, err
	}
	byKind := map[ImportKind][]*ImportTable{}
	for _, t := range tables {
		if !t.Kind.Valid() {
			errs = append(errs, ImportError{Table: t.Name, Line: 1, Code: "unknown_kind",
				Message: "Say what the table holds: organisations, officers or accounts (name Excel sheets so)."})
			continue
		}
		byKind[t.Kind] = append(byKind[t.Kind], t)
		sum.Rows += max(len(t.Rows)-1, 0)
	}
	// Organisations first: officers and accounts may name new ones.
	fileOrgs := map[string]*Organisation{} // code → the organisation as it will be
	for _, t := range byKind[ImportOrganisations] {
		s.planOrgs(t, st, plan, &sum, fileOrgs, &errs)
	}
	orgOf := func(code string) *Organisation {
		code = strings.ToUpper(code)
		if o := fileOrgs[code]; o != nil {
			return o
		}
		return st.orgsByCode[code]
	}
	now := s.now().UTC()
	for _, t := range byKind[ImportOfficers] {
		if err := s.planOfficers(ctx, t, orgOf, now, plan, &sum, &errs); err != nil {
			return nil, sum, nil, err
		}
	}
	for _, t := range byKind[ImportAccounts] {
		if err := s.planAccounts(ctx, t, st, orgOf, now, plan, &sum, &errs); err != nil {
			return nil, sum, nil, err
		}
	}
	return plan, sum, errs, nil
}

type orgRow struct {
	line       int
	snap       OrgSnapshot
	parentCode string
	tr         tableReader
}

func (s *Service) planOrgs(t *ImportTable, st *importState, plan *ImportPlan, sum *ImportSummary, fileOrgs map[string]*Organisation, errs *[]ImportError) {
	tr := &tableReader{t: t, errs: errs}
	if !tr.header() {
		return
	}
	var rows []*orgRow
	lineOf := map[string]int{}
	tr.rows(func() {
		r := &orgRow{line: tr.row.Line, tr: *tr}
		r.snap = OrgSnapshot{Code: strings.ToUpper(tr.get("code")), Type: OrgType(strings.ToLower(tr.get("type"))), NameEN: tr.get("name_en"),
			NameHI: NormalizeHindi(tr.get("name_hi")), District: tr.get("district")}
		r.parentCode = strings.ToUpper(tr.get("parent_code"))
		ok := true
		switch code := r.snap.Code; {
		case code == "":
			tr.bad("code", "required", "Enter the organisation's code.", "")
			ok = false
		case len(code) > 32 || !ValidID(code):
			tr.bad("code", "invalid_code", "Use 1–32 letters, digits, - or _.", code)
			ok = false
		case lineOf[code] != 0:
			tr.bad("code", "duplicate_code", fmt.Sprintf("The code %s is also on line %d.", code, lineOf[code]), code)
			ok = false
		default:
			lineOf[code] = tr.row.Line
		}
		if !r.snap.Type.Valid() {
			tr.bad("type", "invalid_type", "Use department, board, corporation, authority, commission or district.", tr.get("type"))
		}
		if r.snap.NameEN == "" {
			tr.bad("name_en", "required", "Enter the English name.", "")
		}
		if r.snap.NameHI == "" {
			tr.bad("name_hi", "required", "Enter the Hindi name.", "")
		} else if !hasDevanagari(r.snap.NameHI) {
			tr.bad("name_hi", "not_devanagari", "Write the Hindi name in Devanagari.", r.snap.NameHI)
		}
		var good bool
		if r.snap.ActiveFrom, good = parseImportDate(tr.get("active_from")); !good {
			tr.bad("active_from", "invalid_date", "Write the date as YYYY-MM-DD (or DD-MM-YYYY).", tr.get("active_from"))
		}
		if r.snap.ActiveTo, good = parseImportDate(tr.get("active_to")); !good {
			tr.bad("active_to", "invalid_date", "Write the date as YYYY-MM-DD (or DD-MM-YYYY).", tr.get("active_to"))
		}
		if r.snap.ActiveFrom != nil && r.snap.ActiveTo != nil && !r.snap.ActiveTo.After(*r.snap.ActiveFrom) {
			tr.bad("active_to", "before_from", "The end date must be after the start date.", tr.get("active_to"))
		}
		if r.parentCode == r.snap.Code && r.parentCode != "" {
			tr.bad("parent_code", "self_parent", "An organisation cannot be its own parent.", r.parentCode)
		}
		if ok {
			rows = append(rows, r)
		}
	})
	// Parents: in the file or in the registry.
	inFile := map[string]*orgRow{}
	for _, r := range rows {
		inFile[r.snap.Code] = r
	}
	for _, r := range rows {
		if r.parentCode != "" && inFile[r.parentCode] == nil && st.orgsByCode[r.parentCode] == nil {
			r.tr.row = ImportRow{Line: r.line}
			r.tr.bad("parent_code", "unknown_parent", fmt.Sprintf("There is no organisation %s in the file or the registry.", r.parentCode), r.parentCode)
		}
	}
	// Cycles, with the file's parents over the registry's.
	parentOf := func(code string) string {
		if r := inFile[code]; r != nil {
			return r.parentCode
		}
		if o := st.orgsByCode[code]; o != nil && o.ParentID != "" {
			if p := st.orgsByID[o.ParentID]; p != nil {
				return p.Code
			}
		}
		return ""
	}
	for _, r := range rows {
		seen := map[string]bool{r.snap.Code: true}
		for p := r.parentCode; p != ""; p = parentOf(p) {
			if seen[p] {
				r.tr.row = ImportRow{Line: r.line}
				r.tr.bad("parent_code", "parent_cycle", "The parents go round in a circle: "+r.snap.Code+" ends up under itself.", r.parentCode)
				break
			}
			seen[p] = true
		}
	}
	// Plan, parents before their units.
	now := s.now().UTC()
	done := map[string]bool{}
	var visit func(r *orgRow)
	visit = func(r *orgRow) {
		if done[r.snap.Code] {
			return
		}
		done[r.snap.Code] = true
		if p := inFile[r.parentCode]; p != nil {
			visit(p)
		}
		o := &Organisation{}
		existing := st.orgsByCode[r.snap.Code]
		if existing != nil {
			*o = *existing
		} else {
			o.ID, o.CreatedAt = NewID(), now
		}
		parentID := ""
		if p := fileOrgs[r.parentCode]; p != nil {
			parentID = p.ID
		} else if p := st.orgsByCode[r.parentCode]; p != nil {
			parentID = p.ID
		}
		after := r.snap
		after.ParentID = parentID
		fileOrgs[r.snap.Code] = o
		if existing != nil && sameSnapshot(SnapshotOf(existing), &after) {
			sum.Organisations.Unchanged++
			return
		}
		o.Code, o.Type, o.ParentID, o.NameEN, o.NameHI, o.District = after.Code, after.Type, after.ParentID, after.NameEN, after.NameHI, after.District
		o.ActiveFrom, o.ActiveTo, o.UpdatedAt = after.ActiveFrom, after.ActiveTo, now
		po := PlannedOrg{Line: r.line, Create: existing == nil, Org: *o}
		if existing != nil {
			po.EventID = NewID()
			sum.Organisations.Update++
		} else {
			sum.Organisations.Create++
		}
		plan.Orgs = append(plan.Orgs, po)
	}
	for _, r := range rows {
		visit(r)
	}
}

func (s *Service) planOfficers(ctx context.Context, t *ImportTable, orgOf func(string) *Organisation, now time.Time, plan *ImportPlan, sum *ImportSummary, errs *[]ImportError) error {
	tr := &tableReader{t: t, errs: errs}
	if !tr.header() {
		return nil
	}
	seen := map[string]int{} // org code/kind → line
	var ferr error
	tr.rows(func() {
		if ferr != nil {
			return
		}
		code := strings.ToUpper(tr.get("org_code"))
		org := orgOf(code)
		switch {
		case code == "":
			tr.bad("org_code", "required", "Enter the organisation's code.", "")
		case org == nil:
			tr.bad("org_code", "unknown_org", fmt.Sprintf("There is no organisation %s in the file or the registry.", code), code)
		case !activeAt(org, now):
			tr.bad("org_code", "closed", fmt.Sprintf("%s is closed (merged or dissolved).", code), code)
			org = nil
		}
		kind := OfficerKind(strings.ToLower(tr.get("kind")))
		if kind == "" {
			kind = OfficerNodal
		}
		if !validOfficerKind(kind) {
			tr.bad("kind", "invalid_kind", "Use nodal, alternate or head.", tr.get("kind"))
		} else if code != "" {
			key := code + "/" + string(kind)
			if l := seen[key]; l != 0 {
				tr.bad("org_code", "duplicate_officer", fmt.Sprintf("%s has another %s officer on line %d; an organisation has one at a time.", code, kind, l), code)
			} else {
				seen[key] = tr.row.Line
			}
		}
		edit := OfficerEdit{Name: tr.get("name"), Designation: tr.get("designation"), Posting: tr.get("posting"), Rank: tr.get("rank"),
			Email: tr.get("email"), Phone: tr.get("phone"), AccountDetails: tr.get("account_details"), OrderRef: tr.get("order_ref")}
		var fe fieldErrors
		validateOfficerEdit(&edit, kind, &fe)
		for _, f := range fe {
			col := map[string]string{"accountDetails": "account_details", "orderRef": "order_ref"}[f.Field]
			if col == "" {
				col = f.Field
			}
			raw := tr.get(col)
			tr.bad(col, f.Code, f.Message, raw)
		}
		start, ok := parseImportDate(tr.get("start_date"))
		if !ok {
			tr.bad("start_date", "invalid_date", "Write the date as YYYY-MM-DD (or DD-MM-YYYY).", tr.get("start_date"))
		}
		userID := ""
		if ue := strings.ToLower(tr.get("user_email")); ue != "" {
			x, err := s.store.GetUserByEmail(ctx, ue)
			switch {
			case IsCode(err, ENOTFOUND):
				tr.bad("user_email", "unknown_user", "No user has this e-mail; add the user first or leave the cell empty.", ue)
			case err != nil:
				ferr = err
				return
			case x.Role == RoleEditor && org != nil && x.OrgID != org.ID:
				tr.bad("user_email", "other_org", "This user is an editor of another organisation.", ue)
			default:
				userID = x.ID
			}
		}
		if org == nil || len(fe) > 0 || !ok || !validOfficerKind(kind) {
			return
		}
		cur, err := s.currentOfficer(ctx, org.ID, kind, now)
		if err != nil {
			ferr = err
			return
		}
		if cur != nil && sameOfficer(cur, edit) {
			if EditOf(cur) == edit && (userID == "" || userID == cur.UserID) {
				sum.Officers.Unchanged++
				return
			}
			o := *cur
			edit.apply(&o)
			if userID != "" {
				o.UserID = userID
			}
			o.UpdatedAt = now
			plan.Officers = append(plan.Officers, PlannedOfficer{Line: tr.row.Line, Officer: o, RevisionID: NewID()})
			sum.Officers.Update++
			return
		}
		o := Officer{ID: NewID(), OrgID: org.ID, Kind: kind, UserID: userID, StartDate: now, CreatedAt: now, UpdatedAt: now}
		if start != nil {
			o.StartDate = *start
		}
		edit.apply(&o)
		plan.Officers = append(plan.Officers, PlannedOfficer{Line: tr.row.Line, Appoint: true, Officer: o, HandoverID: NewID()})
		sum.Officers.Create++
	})
	return ferr
}

// sameOfficer reports whether an import row is the current officer: the
// same e-mail, or, for a head of department recorded without one, the
// same name and still no e-mail.
func sameOfficer(cur *Officer, edit OfficerEdit) bool {
	if edit.Email != "" || cur.Email != "" {
		return strings.EqualFold(cur.Email, edit.Email)
	}
	return strings.EqualFold(strings.TrimSpace(cur.Name), edit.Name)
}

func (s *Service) planAccounts(ctx context.Context, t *ImportTable, st *importState, orgOf func(string) *Organisation, now time.Time, plan *ImportPlan, sum *ImportSummary, errs *[]ImportError) error {
	tr := &tableReader{t: t, errs: errs}
	if !tr.header() {
		return nil
	}
	seen := map[string]int{}
	ids := make([]string, len(st.accounts))
	for i, a := range st.accounts {
		ids[i] = a.ID
	}
	profiles := map[string]*AccountProfile{}
	if len(ids) > 0 {
		ps, err := s.store.ListAccountProfiles(ctx, ids)
		if err != nil {
			return err
		}
		for _, p := range ps {
			profiles[p.AccountID] = p
		}
	}
	tr.rows(func() {
		code := strings.ToUpper(tr.get("org_code"))
		org := orgOf(code)
		switch {
		case code == "":
			tr.bad("org_code", "required", "Enter the organisation's code.", "")
		case org == nil:
			tr.bad("org_code", "unknown_org", fmt.Sprintf("There is no organisation %s in the file or the registry.", code), code)
		case !activeAt(org, now):
			tr.bad("org_code", "closed", fmt.Sprintf("%s is closed (merged or dissolved).", code), code)
			org = nil
		}
		p := Platform(strings.ToLower(tr.get("platform")))
		handle, profileURL := tr.get("handle"), tr.get("profile_url")
		var fe fieldErrors
		validateAccountFields(p, handle, profileURL, &fe)
		in := AccountProfileInput{Verification: Verification(strings.ToLower(tr.get("verification"))), Badge: tr.get("badge"),
			TwoFactor: TwoFactor(strings.ToLower(tr.get("two_factor"))), RecoveryEmail: tr.get("recovery_email"), Notes: tr.get("notes")}
		validateProfile(&in, &fe)
		cols := map[string]string{"platform": "platform", "handle": "handle", "profileUrl": "profile_url", "verification": "verification",
			"badge": "badge", "twoFactor": "two_factor", "recoveryEmail": "recovery_email", "notes": "notes"}
		for _, f := range fe {
			tr.bad(cols[f.Field], f.Code, f.Message, tr.get(cols[f.Field]))
		}
		if len(fe) > 0 || org == nil {
			return
		}
		key := string(p) + "/" + handleKey(handle)
		if l := seen[key]; l != 0 {
			tr.bad("handle", "duplicate_account", fmt.Sprintf("This %s account is also on line %d.", p.Title(), l), handle)
			return
		}
		seen[key] = tr.row.Line
		var existing *Account
		for _, a := range st.accounts {
			if a.Platform == p && handleKey(a.Handle) == handleKey(handle) {
				existing = a
				break
			}
		}
		if existing != nil && existing.OrgID != org.ID {
			owner := st.orgsByID[existing.OrgID]
			name := existing.OrgID
			if owner != nil {
				name = owner.Code
			}
			tr.bad("handle", "account_taken", fmt.Sprintf("This %s account is registered to %s.", p.Title(), name), handle)
			return
		}
		pa := PlannedAccount{Line: tr.row.Line, OrgID: org.ID, Platform: p, Handle: handle, ProfileURL: profileURL, DisplayName: tr.get("display_name"),
			Profile: AccountProfile{Verification: in.Verification, Badge: in.Badge, TwoFactor: in.TwoFactor, RecoveryEmail: in.RecoveryEmail, Notes: in.Notes}}
		if existing == nil {
			pa.Create, pa.AccountID = true, NewID()
			pa.Profile.AccountID = pa.AccountID
			plan.Accounts = append(plan.Accounts, pa)
			sum.Accounts.Create++
			return
		}
		pa.AccountID, pa.Profile.AccountID = existing.ID, existing.ID
		old := profiles[existing.ID]
		sameProfile := old != nil && old.Verification == in.Verification && old.Badge == in.Badge && old.TwoFactor == in.TwoFactor &&
			old.RecoveryEmail == in.RecoveryEmail && old.Notes == in.Notes
		if old == nil && in == (AccountProfileInput{Verification: VerificationUnknown, TwoFactor: TwoFactorUnknown}) {
			sameProfile = true
		}
		if existing.Handle == handle && existing.ProfileURL == profileURL && (pa.DisplayName == "" || pa.DisplayName == existing.DisplayName) && sameProfile {
			sum.Accounts.Unchanged++
			return
		}
		plan.Accounts = append(plan.Accounts, pa)
		sum.Accounts.Update++
	})
	return nil
}

// writeImport writes a batch's plan from its first unwritten step. Steps
// are idempotent: an organisation, account, officer, handover, event or
// revision whose planned id exists is not written again.
func (s *Service) writeImport(ctx context.Context, b *ImportBatch) error {
	steps := b.Plan.Steps()
	for b.Written < steps {
		if err := s.importStep(ctx, b, b.Written); err != nil {
			b.Status, b.Error, b.UpdatedAt = ImportFailed, ErrorMessage(err), s.now().UTC()
			if uerr := s.store.UpdateImportBatch(ctx, b); uerr != nil {
				s.log.ErrorContext(ctx, "recording a failed import failed", "batch_id", b.ID, "err", uerr)
			}
			s.log.ErrorContext(ctx, "import stopped", "batch_id", b.ID, "step", b.Written, "steps", steps, "err", err)
			return WrapError(EUNAVAILABLE, err, "The import stopped after %d of %d changes because the database failed. Nothing is lost: resume it from the import page.", b.Written, steps)
		}
		b.Written++
		if b.Written%25 == 0 && b.Written < steps {
			b.UpdatedAt = s.now().UTC()
			if err := s.store.UpdateImportBatch(ctx, b); err != nil {
				s.log.WarnContext(ctx, "recording import progress failed; resuming repeats a few idempotent steps", "batch_id", b.ID, "err", err)
			}
		}
	}
	b.Status, b.Error, b.UpdatedAt = ImportDone, "", s.now().UTC()
	return s.store.UpdateImportBatch(ctx, b)
}

// importStep writes step i of b's plan.
func (s *Service) importStep(ctx context.Context, b *ImportBatch, i int) error {
	p := &b.Plan
	switch {
	case i < len(p.Orgs):
		po := p.Orgs[i]
		if po.Create {
			if _, err := s.store.GetOrg(ctx, po.Org.ID); err == nil {
				return nil
			} else if !IsCode(err, ENOTFOUND) {
				return err
			}
			o := po.Org
			return s.store.CreateOrg(ctx, &o)
		}
		cur, err := s.store.GetOrg(ctx, po.Org.ID)
		if err != nil {
			return err
		}
		before := SnapshotOf(cur)
		o := po.Org
		if err := s.store.UpdateOrg(ctx, &o); err != nil {
			return err
		}
		kind := OrgEventUpdate
		if before.Code != o.Code || before.NameEN != o.NameEN || before.NameHI != o.NameHI {
			kind = OrgEventRename
		}
		e := &OrgEvent{ID: po.EventID, Kind: kind, OrgID: o.ID, EffectiveAt: b.CreatedAt, Note: "Imported from " + b.Filename, Before: before,
			After: SnapshotOf(&o), Status: OrgEventDone, ActorID: b.ActorID, CreatedAt: b.CreatedAt, UpdatedAt: b.CreatedAt}
		if err := s.store.CreateOrgEvent(ctx, e); err != nil && !IsCode(err, ECONFLICT) {
			return err
		}
		return nil
	case i < len(p.Orgs)+len(p.Officers):
		po := p.Officers[i-len(p.Orgs)]
		o := po.Officer
		if !po.Appoint {
			if err := s.store.UpdateOfficer(ctx, &o); err != nil {
				return err
			}
			r := &OfficerRevision{ID: po.RevisionID, OfficerID: o.ID, OrgID: o.OrgID, Officer: o, Reason: "imported", ActorID: b.ActorID, At: b.CreatedAt}
			if err := s.store.AddOfficerRevision(ctx, r); err != nil && !IsCode(err, ECONFLICT) {
				return err
			}
			return nil
		}
		h, err := s.store.GetHandover(ctx, po.HandoverID)
		if IsCode(err, ENOTFOUND) {
			if h, err = s.planHandover(ctx, &o, po.HandoverID, "Imported from "+b.Filename, true); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if h.Status != HandoverRunning {
			return nil
		}
		return s.runHandover(ctx, h)
	default:
		pa := p.Accounts[i-len(p.Orgs)-len(p.Officers)]
		now := s.now().UTC()
		a, err := s.store.GetAccount(ctx, pa.AccountID)
		switch {
		case IsCode(err, ENOTFOUND) && pa.Create:
			a = &Account{ID: pa.AccountID, OrgID: pa.OrgID, Platform: pa.Platform, Handle: pa.Handle, ProfileURL: pa.ProfileURL,
				DisplayName: pa.DisplayName, ExternalID: RegistryExternalID(pa.Handle), Status: AccountDisconnected, CreatedAt: now, UpdatedAt: now}
			if d := s.platformDefunct(pa.Platform); d != "" {
				a.Status, a.StatusReason = AccountDefunct, d
			}
			if a.DisplayName == "" {
				if org, err := s.store.GetOrg(ctx, pa.OrgID); err == nil {
					a.DisplayName = org.NameEN
				}
			}
			if err := s.store.CreateAccount(ctx, a); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			a.Handle, a.ProfileURL, a.UpdatedAt = pa.Handle, pa.ProfileURL, now
			if pa.DisplayName != "" {
				a.DisplayName = pa.DisplayName
			}
			if err := s.store.UpdateAccount(ctx, a); err != nil {
				return err
			}
		}
		prof := pa.Profile
		prof.UpdatedBy, prof.UpdatedAt = b.ActorID, b.CreatedAt
		return s.store.PutAccountProfile(ctx, &prof)
	}
}

// ResumeImport finishes an import that stopped. Admins only.
func (s *Service) ResumeImport(ctx context.Context, id string) (*ImportBatch, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators import the registry.")
	}
	b, err := s.store.GetImportBatch(ctx, id)
	if IsCode(err, ENOTFOUND) || !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "No such import.")
	} else if err != nil {
		return nil, err
	}
	if b.Status == ImportDone {
		return b, nil
	}
	b.Status = ImportWriting
	err = s.writeImport(ctx, b)
	s.audit(ctx, "registry.import_resume", "import", b.ID, "", map[string]string{"status": string(b.Status), "written": strconv.Itoa(b.Written)})
	return b, err
}

// ListImports returns the latest imports, without their plans (which
// hold officers' contact details). Admins only.
func (s *Service) ListImports(ctx context.Context) ([]*ImportBatch, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "Only administrators import the registry.")
	}
	bs, err := s.store.ListImportBatches(ctx, 50)
	for _, b := range bs {
		b.Plan = ImportPlan{}
	}
	return bs, err
}
