// Package xlsx writes tables as Excel workbooks (Office Open XML,
// .xlsx). It is the only package that imports github.com/xuri/excelize, so
// that every spreadsheet Prasar writes goes through one place.
package xlsx

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// ContentType is the media type of a workbook.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Sheet is one worksheet: a bold header row of column names, then rows
// of cells. A cell is a string, an integer or a float (written as a
// number), a bool, or nil (an empty cell, or Empty when it is set).
type Sheet struct {
	Name    string
	Columns []string
	Rows    [][]any
	// Empty is written for nil cells (for example "not available"); ""
	// leaves them empty.
	Empty string
}

// maxNameLen is Excel's limit on a sheet name.
const maxNameLen = 31

// Write writes the sheets as one workbook to w, the first sheet active.
// Sheet names are cleaned of the characters Excel refuses and cut to 31
// characters; two sheets may not end with the same name.
func Write(w io.Writer, sheets []Sheet) (err error) {
	if len(sheets) == 0 {
		return errors.New("xlsx: a workbook needs a sheet")
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("xlsx: %w", cerr)
		}
	}()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	seen := map[string]bool{}
	for i, sh := range sheets {
		name := SheetName(sh.Name)
		if seen[strings.ToLower(name)] {
			return fmt.Errorf("xlsx: two sheets named %q", name)
		}
		seen[strings.ToLower(name)] = true
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("xlsx: sheet %q: %w", name, err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("xlsx: sheet %q: %w", name, err)
		}
		if err := writeSheet(f, name, sh, bold); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("xlsx: writing the workbook: %w", err)
	}
	return nil
}

func writeSheet(f *excelize.File, name string, sh Sheet, bold int) error {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("xlsx: sheet %q: %w", name, err)
	}
	// Columns wide enough for their header and (a sample of) their cells.
	widths := make([]int, len(sh.Columns))
	for c, h := range sh.Columns {
		widths[c] = utf8.RuneCountInString(h)
	}
	for r, row := range sh.Rows {
		if r >= 200 {
			break
		}
		for c, v := range row {
			if c < len(widths) {
				widths[c] = max(widths[c], utf8.RuneCountInString(fmt.Sprint(v)))
			}
		}
	}
	for c, wd := range widths {
		if err := sw.SetColWidth(c+1, c+1, float64(min(max(wd, 8), 60))+2); err != nil {
			return fmt.Errorf("xlsx: sheet %q: %w", name, err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("xlsx: sheet %q: %w", name, err)
	}
	header := make([]any, len(sh.Columns))
	for i, h := range sh.Columns {
		header[i] = h
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{StyleID: bold}); err != nil {
		return fmt.Errorf("xlsx: sheet %q: %w", name, err)
	}
	for r, row := range sh.Rows {
		cells := make([]any, len(row))
		for c, v := range row {
			switch x := v.(type) {
			case nil:
				if sh.Empty != "" {
					cells[c] = sh.Empty
				}
			case string, int, int64, float64, bool:
				cells[c] = x
			default:
				cells[c] = fmt.Sprint(x)
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, r+2)
		if err != nil {
			return fmt.Errorf("xlsx: sheet %q: %w", name, err)
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("xlsx: sheet %q row %d: %w", name, r+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: sheet %q: %w", name, err)
	}
	return nil
}

// SheetName returns name as Excel accepts it: without : \ / ? * [ ] and
// at most 31 characters ("Sheet" if nothing is left).
func SheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '-'
		}
		return r
	}, strings.TrimSpace(name))
	name = strings.Trim(name, "'")
	if r := []rune(name); len(r) > maxNameLen {
		name = string(r[:maxNameLen])
	}
	if name == "" {
		return "Sheet"
	}
	return name
}

// Read returns every sheet of a workbook as rows of text (for tests and
// imports): by sheet name, in the workbook's order.
func Read(r io.Reader) (names []string, rows map[string][][]string, err error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("xlsx: reading the workbook: %w", err)
	}
	defer f.Close()
	rows = map[string][][]string{}
	for _, name := range f.GetSheetList() {
		rs, err := f.GetRows(name)
		if err != nil {
			return nil, nil, fmt.Errorf("xlsx: sheet %q: %w", name, err)
		}
		names = append(names, name)
		rows[name] = rs
	}
	return names, rows, nil
}
