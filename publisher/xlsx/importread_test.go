package xlsx

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/prasar/prasar/publisher"
)

func TestReadImport(t *testing.T) {
	// A workbook as offices send it: sheets named by kind, a merged cell,
	// a blank row, a date typed as a date, Hindi with a nukta letter.
	f := excelize.NewFile()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Nodal Officers"))
	must(f.SetSheetRow("Nodal Officers", "A1", &[]any{"org_code", "name", "start_date"}))
	must(f.SetSheetRow("Nodal Officers", "A2", &[]any{"D-FARIDABAD", "ज़ुबैर ख़ान", 45992}))
	must(f.SetSheetRow("Nodal Officers", "A4", &[]any{"", "Ritu"}))
	must(f.MergeCell("Nodal Officers", "A2", "A4"))
	_, err := f.NewSheet("lineage")
	must(err)
	var buf bytes.Buffer
	must(f.Write(&buf))

	src, err := ReadImport("registry.xlsx", buf.Bytes(), "")
	must(err)
	if len(src.Errors) != 0 || len(src.Tables) != 1 {
		t.Fatalf("source = %+v", src)
	}
	tb := src.Tables[0]
	if tb.Kind != publisher.ImportOfficers || tb.Name != "registry.xlsx › Nodal Officers" || !tb.Sheet || len(tb.Rows) != 4 {
		t.Fatalf("table = %+v", tb)
	}
	if r := tb.Rows[1]; r.Line != 2 || r.Cells[1] != "ज़ुबैर ख़ान" || r.Cells[2] != "45992" || r.Merged[0] != "A2:A4" || r.Merged[1] != "" {
		t.Fatalf("row 2 = %+v", r)
	}
	if r := tb.Rows[2]; r.Line != 3 || r.Merged[0] != "A2:A4" {
		t.Fatalf("the blank row 3 inside the merge = %+v", r)
	}
	if r := tb.Rows[3]; r.Line != 4 || r.Cells[1] != "Ritu" || r.Merged[0] != "A2:A4" {
		t.Fatalf("row 4 = %+v", r)
	}

	// Not a workbook: an import error, not a failure; unnamed sheets need a kind.
	src, err = ReadImport("x.xlsx", []byte("PK\x03\x04 not really"), publisher.ImportAccounts)
	must(err)
	if len(src.Errors) != 1 || src.Errors[0].Code != "bad_xlsx" {
		t.Fatalf("broken workbook = %+v", src)
	}
	g := excelize.NewFile()
	must(g.SetSheetRow("Sheet1", "A1", &[]any{"org_code", "platform", "handle"}))
	buf.Reset()
	must(g.Write(&buf))
	src, err = ReadImport("x.xlsx", buf.Bytes(), "")
	must(err)
	if len(src.Errors) != 1 || src.Errors[0].Code != "unknown_kind" {
		t.Fatalf("unnamed sheet without a kind = %+v", src)
	}
	src, err = ReadImport("x.xlsx", buf.Bytes(), publisher.ImportAccounts)
	must(err)
	if len(src.Tables) != 1 || src.Tables[0].Kind != publisher.ImportAccounts {
		t.Fatalf("unnamed sheet with a kind = %+v", src)
	}
}
