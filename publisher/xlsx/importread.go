package xlsx

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/prasar/prasar/publisher"
)

// Reading workbooks for the registry's import: the domain reads CSV
// itself and takes spreadsheets as publisher.ImportTable values, so that
// it stays free of the dependency; the API calls ReadImport.

// sheetKinds maps sheet names (lower case, spaces as underscores) to what
// they hold.
var sheetKinds = map[string]publisher.ImportKind{
	"organisations": publisher.ImportOrganisations, "organizations": publisher.ImportOrganisations, "orgs": publisher.ImportOrganisations,
	"officers": publisher.ImportOfficers, "nodal_officers": publisher.ImportOfficers,
	"accounts": publisher.ImportAccounts, "social_media_accounts": publisher.ImportAccounts,
}

func sheetKey(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), " ", "_")
}

// ReadImport reads a workbook for an import: each sheet named
// organisations, officers or accounts becomes a table of that kind (other
// sheets, such as an export's history sheets, are passed over). A
// workbook without such sheets is read from its first sheet as a table of
// kind def, if def is set. Cells are read as stored (dates as Excel
// serials, numbers without their display format); cells in merged ranges
// are marked, and the import refuses them. A file that is not a workbook
// is an import error, not a failure.
func ReadImport(name string, data []byte, def publisher.ImportKind) (*publisher.ImportSource, error) {
	src := &publisher.ImportSource{Filename: name, Format: "xlsx"}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		src.Errors = append(src.Errors, publisher.ImportError{Table: name, Line: 1, Code: "bad_xlsx",
			Message: "The file cannot be read as an Excel workbook (.xlsx). Save it as \"Excel Workbook\" and try again."})
		return src, nil
	}
	defer f.Close()
	sheets := f.GetSheetList()
	type pick struct {
		sheet string
		kind  publisher.ImportKind
	}
	var picks []pick
	for _, sh := range sheets {
		if k, ok := sheetKinds[sheetKey(sh)]; ok {
			picks = append(picks, pick{sh, k})
		}
	}
	if len(picks) == 0 {
		if def == "" || len(sheets) == 0 {
			src.Errors = append(src.Errors, publisher.ImportError{Table: name, Line: 1, Code: "unknown_kind",
				Message: "Name the sheets organisations, officers and accounts, or choose what the file holds."})
			return src, nil
		}
		picks = append(picks, pick{sheets[0], def})
	}
	for _, p := range picks {
		t, err := readSheet(f, name, p.sheet, p.kind)
		if err != nil {
			return nil, err
		}
		src.Tables = append(src.Tables, t)
	}
	return src, nil
}

func readSheet(f *excelize.File, file, sheet string, kind publisher.ImportKind) (*publisher.ImportTable, error) {
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("xlsx: reading sheet %q of %s: %w", sheet, file, err)
	}
	t := &publisher.ImportTable{Kind: kind, Name: file + " › " + sheet, Sheet: true}
	for i, cells := range rows {
		for j, c := range cells {
			if !utf8.ValidString(c) {
				cells[j] = strings.ToValidUTF8(c, "\uFFFD")
			}
		}
		t.Rows = append(t.Rows, publisher.ImportRow{Line: i + 1, Cells: cells})
	}
	merged, err := f.GetMergeCells(sheet, true)
	if err != nil {
		return nil, fmt.Errorf("xlsx: reading the merged cells of sheet %q of %s: %w", sheet, file, err)
	}
	for _, m := range merged {
		c1, r1, err1 := excelize.CellNameToCoordinates(m.GetStartAxis())
		c2, r2, err2 := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err1 != nil || err2 != nil {
			continue
		}
		rng := m.GetStartAxis() + ":" + m.GetEndAxis()
		for r := r1; r <= r2; r++ {
			for len(t.Rows) < r {
				t.Rows = append(t.Rows, publisher.ImportRow{Line: len(t.Rows) + 1})
			}
			row := &t.Rows[r-1]
			if row.Merged == nil {
				row.Merged = map[int]string{}
			}
			for c := c1; c <= c2; c++ {
				row.Merged[c-1] = rng
			}
		}
	}
	return t, nil
}
