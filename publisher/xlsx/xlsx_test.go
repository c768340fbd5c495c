package xlsx

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestWriteAndRead(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, []Sheet{
		{Name: "Summary", Columns: []string{"organisation", "reach", "views"}, Empty: "not available",
			Rows: [][]any{{"कृषि एवं किसान कल्याण विभाग", int64(1234567), nil}, {"Health", 12, 3.5}}},
		{Name: "Top posts: by reach [all]", Columns: []string{"rank", "title"}, Rows: [][]any{{int64(1), "मेरी फसल मेरा ब्यौरा"}}},
		{Name: "Empty", Columns: []string{"a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("PK")) {
		t.Fatal("the workbook is not a zip file")
	}
	names, rows, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Summary", "Top posts- by reach -all-", "Empty"}; !slices.Equal(names, want) {
		t.Errorf("sheets = %q, want %q", names, want)
	}
	got := rows["Summary"]
	want := [][]string{{"organisation", "reach", "views"}, {"कृषि एवं किसान कल्याण विभाग", "1234567", "not available"}, {"Health", "12", "3.5"}}
	if len(got) != len(want) {
		t.Fatalf("Summary rows = %q", got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("Summary row %d = %q, want %q", i, got[i], want[i])
		}
	}
	if r := rows["Top posts- by reach -all-"]; len(r) != 2 || r[1][1] != "मेरी फसल मेरा ब्यौरा" {
		t.Errorf("Top posts rows = %q", r)
	}
	if r := rows["Empty"]; len(r) != 1 {
		t.Errorf("an empty sheet has rows %q, want only its header", r)
	}
}

func TestWriteRefuses(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, nil); err == nil {
		t.Error("a workbook without sheets was written")
	}
	err := Write(&buf, []Sheet{{Name: "Data"}, {Name: "data"}})
	if err == nil || !strings.Contains(err.Error(), "two sheets") {
		t.Errorf("two sheets of one name: %v", err)
	}
}

func TestSheetName(t *testing.T) {
	for in, want := range map[string]string{
		"By day":                             "By day",
		"a/b\\c?d*e[f]g:h":                   "a-b-c-d-e-f-g-h",
		"":                                   "Sheet",
		"'quoted'":                           "quoted",
		strings.Repeat("पहुँच", 10):          string([]rune(strings.Repeat("पहुँच", 10))[:31]),
		"Organisations ranked by engagement": "Organisations ranked by engagem",
	} {
		if got := SheetName(in); got != want {
			t.Errorf("SheetName(%q) = %q, want %q", in, got, want)
		}
	}
}
