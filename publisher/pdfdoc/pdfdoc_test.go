package pdfdoc

import (
	"os"
	"strings"
	"testing"
)

func TestDevanagariIsShaped(t *testing.T) {
	fs, err := loadFaces()
	if err != nil {
		t.Fatal(err)
	}
	fc := fs[0]
	gid := func(r rune) uint16 {
		g, ok := fc.f.NominalGlyph(r)
		if !ok {
			t.Fatalf("the font has no glyph for %q", r)
		}
		return uint16(g)
	}
	// कि: the vowel sign i is drawn before the consonant it follows.
	r := fc.shape("कि")
	// (The font has several widths of ि, to reach over the consonant.)
	if len(r.glyphs) != 2 || r.glyphs[1].gid != gid('क') || r.glyphs[0].text != "ि" || r.glyphs[0].x != 0 || r.glyphs[1].x <= 0 {
		t.Fatalf("कि shaped as %+v, want ि then क", r.glyphs)
	}
	// क्ष is one conjunct glyph, not क, virama and ष side by side.
	r = fc.shape("क्ष")
	if len(r.glyphs) != 1 || r.glyphs[0].gid == gid('क') || r.glyphs[0].gid == gid('ष') {
		t.Fatalf("क्ष shaped as %+v, want one conjunct glyph", r.glyphs)
	}
	if got := r.glyphs[0].text; got != "क्ष" {
		t.Fatalf("the conjunct reads back as %q", got)
	}
	// Nukta letters typed either way look the same.
	a, b := fc.shape("\u095Bिला"), fc.shape("\u091C\u093Cिला")
	if len(a.glyphs) != len(b.glyphs) || a.advance != b.advance {
		t.Fatalf("ज़िला precomposed %+v, decomposed %+v", a.glyphs, b.glyphs)
	}
}

func TestDocumentReadsBack(t *testing.T) {
	d, err := New("अनुपालन समीक्षा / Compliance review", "Prasar", "hi")
	if err != nil {
		t.Fatal(err)
	}
	d.SetFooter("Prasar · 28 Nov 2026")
	d.Heading("सोशल मीडिया अनुपालन समीक्षा — Social media compliance review", 16)
	d.Paragraph("Coverage of 70 organisations on 28 Nov 2026 (IST). क्षेत्रीय कार्यालय", 10)
	rows := [][]string{}
	for i := range 60 {
		rows = append(rows, []string{"AGRI", "कृषि एवं किसान कल्याण विभाग / Agriculture and Farmers Welfare Department", strings.Repeat("9", i%3+1)})
	}
	d.Table([]Column{{Title: "Code", Width: 1}, {Title: "संगठन / Organisation", Width: 4}, {Title: "Score", Width: 1, Align: Right}}, rows, 9)
	pdf, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(pdf), "%PDF-1.7") || !strings.HasSuffix(string(pdf), "%%EOF\n") {
		t.Fatal("not a PDF")
	}
	lines, err := ReadText(pdf)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"Coverage of 70 organisations on 28 Nov 2026 (IST).", "Code | संगठन / Organisation | Score", "AGRI |", "| 999", "Prasar · 28 Nov 2026 | 1 / 2", "Prasar · 28 Nov 2026 | 2 / 2"} {
		if !strings.Contains(all, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, all[:min(len(all), 2000)])
		}
	}
	if n := strings.Count(all, "Code | संगठन / Organisation | Score"); n != 2 {
		t.Errorf("the table's header is on %d pages, want 2 (it repeats)", n)
	}
	if p := os.Getenv("PDFDOC_SAVE"); p != "" {
		os.WriteFile(p, pdf, 0o644)
	}
}
