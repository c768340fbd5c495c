// Package pdfdoc writes simple, printable PDF documents — headings,
// paragraphs and tables on A4 pages with page numbers — whose text may be
// Hindi (Devanagari) and English together. It is the only importer of
// github.com/go-text/typesetting (a test in cmd/prasar keeps it so).
//
// Devanagari needs shaping: the vowel sign ि is drawn before the
// consonant it follows, conjuncts such as क्ष and र्य are single glyphs
// or half forms, and marks sit above and below their letters. PDF
// libraries that map characters to glyphs one by one (github.com/go-pdf/fpdf
// among them) print such text wrongly. This package shapes every run of
// text with HarfBuzz (the pure-Go port in go-text/typesetting) and draws
// the resulting glyphs where the shaper puts them, with a font embedded
// whole as a CID font (Identity-H, so the content streams carry glyph
// ids) and a ToUnicode map so that the text can be searched and copied.
//
// The font is Noto Sans Devanagari (Regular and Bold; SIL Open Font
// License 1.1, fonts/OFL.txt), which also has the Latin letters, digits
// and punctuation the reports use. The files come from the npm package
// @expo-google-fonts/noto-sans-devanagari 0.4.1 and are embedded in the
// binary (about 440 kB), so a fresh machine needs no installed fonts.
package pdfdoc

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
)

var (
	//go:embed fonts/NotoSansDevanagari-Regular.ttf
	regularTTF []byte
	//go:embed fonts/NotoSansDevanagari-Bold.ttf
	boldTTF []byte
)

// Page geometry, in points (A4 portrait).
const (
	pageW   = 595.28
	pageH   = 841.89
	margin  = 42.0
	footerY = 24.0
)

// face is one embedded font.
type face struct {
	name string // PDF resource name: F1, F2
	base string // PostScript-like name
	ttf  []byte
	f    *font.Face
	upem float64
	asc  float64 // in 1/1000 em
	desc float64
}

var (
	facesOnce sync.Once
	faces     [2]*face // regular, bold
	facesErr  error
)

func loadFaces() ([2]*face, error) {
	facesOnce.Do(func() {
		for i, spec := range []struct {
			name, base string
			ttf        []byte
		}{{"F1", "NotoSansDevanagari-Regular", regularTTF}, {"F2", "NotoSansDevanagari-Bold", boldTTF}} {
			f, err := font.ParseTTF(bytes.NewReader(spec.ttf))
			if err != nil {
				facesErr = fmt.Errorf("pdfdoc: parsing %s: %w", spec.base, err)
				return
			}
			fc := &face{name: spec.name, base: spec.base, ttf: spec.ttf, f: f, upem: float64(f.Upem()), asc: 1069, desc: -293}
			if ext, ok := f.FontHExtents(); ok {
				fc.asc, fc.desc = float64(ext.Ascender)*1000/fc.upem, float64(ext.Descender)*1000/fc.upem
			}
			faces[i] = fc
		}
	})
	return faces, facesErr
}

// glyph is one shaped glyph: its id, and where it goes relative to the
// run's start, in 1/1000 em.
type glyph struct {
	gid   uint16
	x, y  float64
	text  string // what the glyph reads as (ToUnicode)
	first bool   // the cluster's first glyph
}

// run is shaped text.
type run struct {
	glyphs  []glyph
	advance float64 // in 1/1000 em
}

var shaperPool = sync.Pool{New: func() any { return &shaping.HarfbuzzShaper{} }}

// isDevanagari reports whether r belongs with Devanagari text for
// shaping (the block, its extension, and the joiners).
func isDevanagari(r rune) bool {
	return (r >= 0x0900 && r <= 0x097F) || (r >= 0xA8E0 && r <= 0xA8FF) || r == 0x200C || r == 0x200D
}

// shape shapes s, splitting it into Devanagari and other runs.
func (fc *face) shape(s string) run {
	rs := []rune(s)
	var out run
	start := 0
	for start < len(rs) {
		dev := isDevanagari(rs[start])
		end := start + 1
		for end < len(rs) {
			r := rs[end]
			if isDevanagari(r) != dev && !(unicode.IsSpace(r) || unicode.IsPunct(r)) {
				break
			}
			end++
		}
		script := language.Latin
		lang := language.NewLanguage("en")
		if dev {
			script, lang = language.Devanagari, language.NewLanguage("hi")
		}
		sh := shaperPool.Get().(*shaping.HarfbuzzShaper)
		o := sh.Shape(shaping.Input{Text: rs, RunStart: start, RunEnd: end, Direction: di.DirectionLTR, Face: fc.f,
			Size: fixed.I(int(fc.upem)), Script: script, Language: lang})
		shaperPool.Put(sh)
		scale := 1000 / fc.upem
		pen := out.advance
		first := len(out.glyphs)
		for i, g := range o.Glyphs {
			gl := glyph{gid: uint16(g.GlyphID), x: pen + fromFixed(g.XOffset)*scale, y: fromFixed(g.YOffset) * scale,
				first: i == 0 || o.Glyphs[i-1].ClusterIndex != g.ClusterIndex}
			out.glyphs = append(out.glyphs, gl)
			pen += fromFixed(g.Advance) * scale
		}
		// What each glyph reads as: the letter the font maps to it, if one
		// of its cluster's is; the cluster's other letters go to its first
		// glyph that maps to none (a conjunct, a half form, a variant).
		for i := 0; i < len(o.Glyphs); {
			j := i
			for j < len(o.Glyphs) && o.Glyphs[j].ClusterIndex == o.Glyphs[i].ClusterIndex {
				j++
			}
			ci, n := o.Glyphs[i].ClusterIndex, o.Glyphs[i].RuneCount
			var runes []rune
			if ci >= 0 && ci+n <= len(rs) {
				runes = append(runes, rs[ci:ci+n]...)
			}
			taken := make([]bool, len(runes))
			cluster := out.glyphs[first+i : first+j]
			for k := range cluster {
				for ri, r := range runes {
					if gid, ok := fc.f.NominalGlyph(r); ok && !taken[ri] && uint16(gid) == cluster[k].gid {
						cluster[k].text, taken[ri] = string(r), true
						break
					}
				}
			}
			var rest []rune
			for ri, r := range runes {
				if !taken[ri] {
					rest = append(rest, r)
				}
			}
			for k := range cluster {
				if cluster[k].text == "" && len(rest) > 0 {
					cluster[k].text, rest = string(rest), nil
				}
			}
			i = j
		}
		out.advance = pen
		start = end
	}
	return out
}

func fromFixed(v fixed.Int26_6) float64 { return float64(v) / 64 }

// Align is a cell's horizontal alignment.
type Align int

// Alignments.
const (
	Left Align = iota
	Right
)

// Column is a table column: its title and its share of the page width.
type Column struct {
	Title string
	Width float64 // a share: the widths of a table's columns are scaled to fill the line
	Align Align
}

// Doc is a document being written.
type Doc struct {
	title, subject, lang string
	faces                [2]*face
	pages                []*bytes.Buffer
	y                    float64 // the cursor: the top of the next block, from the page's bottom
	used                 [2]map[uint16]string
	footer               string
	created              time.Time
}

// New starts an A4 document. lang is the document's main language
// ("hi" or "en"), for the PDF's Lang entry.
func New(title, subject, lang string) (*Doc, error) {
	fs, err := loadFaces()
	if err != nil {
		return nil, err
	}
	d := &Doc{title: title, subject: subject, lang: lang, faces: fs, created: time.Now().UTC()}
	d.used[0], d.used[1] = map[uint16]string{}, map[uint16]string{}
	d.newPage()
	return d, nil
}

// SetCreated sets the document's creation time (default now).
func (d *Doc) SetCreated(t time.Time) { d.created = t.UTC() }

// SetFooter sets the text printed at the foot of every page, left of the
// page number.
func (d *Doc) SetFooter(s string) { d.footer = s }

func (d *Doc) newPage() {
	d.pages = append(d.pages, &bytes.Buffer{})
	d.y = pageH - margin
}

func (d *Doc) page() *bytes.Buffer { return d.pages[len(d.pages)-1] }

// ensure starts a new page unless h points fit above the bottom margin.
func (d *Doc) ensure(h float64) {
	if d.y-h < margin+footerY {
		d.newPage()
	}
}

// width returns the width of s in points at size.
func (d *Doc) width(s string, size float64, bold bool) float64 {
	return d.faces[b2i(bold)].shape(s).advance * size / 1000
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// text draws s with its baseline at (x, y) on the current page.
func (d *Doc) text(x, y, size float64, bold bool, s string) { d.textOn(d.page(), x, y, size, bold, s) }

// textOn draws s with its baseline at (x, y) on page w.
func (d *Doc) textOn(w *bytes.Buffer, x, y, size float64, bold bool, s string) {
	if s == "" {
		return
	}
	fc := d.faces[b2i(bold)]
	r := fc.shape(s)
	used := d.used[b2i(bold)]
	fmt.Fprintf(w, "BT /%s %s Tf\n", fc.name, num(size))
	for _, g := range r.glyphs {
		if _, ok := used[g.gid]; !ok {
			used[g.gid] = g.text
		}
		fmt.Fprintf(w, "1 0 0 1 %s %s Tm <%04X> Tj\n", num(x+g.x*size/1000), num(y+g.y*size/1000), g.gid)
	}
	w.WriteString("ET\n")
}

// wrap breaks s into lines no wider than max points.
func (d *Doc) wrap(s string, size float64, bold bool, max float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			lines = append(lines, "")
			continue
		}
		line := words[0]
		for _, w := range words[1:] {
			if d.width(line+" "+w, size, bold) <= max {
				line += " " + w
				continue
			}
			lines = append(lines, line)
			line = w
		}
		lines = append(lines, line)
	}
	return lines
}

func lineHeight(size float64) float64 { return size * 1.5 }

// Heading writes a bold heading of the given size.
func (d *Doc) Heading(s string, size float64) {
	lines := d.wrap(s, size, true, pageW-2*margin)
	d.ensure(lineHeight(size)*float64(len(lines)) + size)
	d.y -= size * 0.4
	for _, l := range lines {
		d.y -= lineHeight(size)
		d.text(margin, d.y+size*0.3, size, true, l)
	}
	d.y -= size * 0.3
}

// Paragraph writes wrapped text.
func (d *Doc) Paragraph(s string, size float64) {
	for _, l := range d.wrap(s, size, false, pageW-2*margin) {
		d.ensure(lineHeight(size))
		d.y -= lineHeight(size)
		d.text(margin, d.y+size*0.3, size, false, l)
	}
	d.y -= size * 0.5
}

// Space moves the cursor down by h points.
func (d *Doc) Space(h float64) { d.y -= h }

// Table writes a table whose header repeats on every page it spans.
func (d *Doc) Table(cols []Column, rows [][]string, size float64) {
	total := 0.0
	for _, c := range cols {
		total += c.Width
	}
	widths := make([]float64, len(cols))
	for i, c := range cols {
		widths[i] = c.Width / total * (pageW - 2*margin)
	}
	const pad = 4.0
	lh := lineHeight(size)
	cellLines := func(cells []string, bold bool) ([][]string, float64) {
		out := make([][]string, len(cols))
		n := 1
		for i := range cols {
			v := ""
			if i < len(cells) {
				v = cells[i]
			}
			out[i] = d.wrap(v, size, bold, widths[i]-2*pad)
			n = max(n, len(out[i]))
		}
		return out, float64(n)*lh + 2*pad
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Title
	}
	drawRow := func(cells [][]string, h float64, bold, shade bool) {
		w := d.page()
		top := d.y
		if shade {
			fmt.Fprintf(w, "0.87 0.91 0.95 rg %s %s %s %s re f 0 g\n", num(margin), num(top-h), num(pageW-2*margin), num(h))
		}
		x := margin
		for i, lines := range cells {
			for j, l := range lines {
				tx := x + pad
				if cols[i].Align == Right {
					tx = x + widths[i] - pad - d.width(l, size, bold)
				}
				d.text(tx, top-pad-float64(j+1)*lh+size*0.45, size, bold, l)
			}
			x += widths[i]
		}
		fmt.Fprintf(w, "0.6 G 0.5 w %s %s m %s %s l S\n", num(margin), num(top-h), num(pageW-margin), num(top-h))
		d.y -= h
	}
	hc, hh := cellLines(header, true)
	startTable := func() {
		fmt.Fprintf(d.page(), "0.6 G 0.5 w %s %s m %s %s l S\n", num(margin), num(d.y), num(pageW-margin), num(d.y))
		drawRow(hc, hh, true, true)
	}
	d.ensure(hh + lh + 2*pad)
	startTable()
	for _, r := range rows {
		rc, h := cellLines(r, false)
		if d.y-h < margin+footerY {
			d.newPage()
			startTable()
		}
		drawRow(rc, h, false, false)
	}
	d.y -= lh / 2
}

// Bytes finishes the document and returns the PDF.
func (d *Doc) Bytes() ([]byte, error) {
	for i, p := range d.pages {
		label := fmt.Sprintf("%d / %d", i+1, len(d.pages))
		fmt.Fprintf(p, "0.6 G 0.5 w %s %s m %s %s l S\n", num(margin), num(footerY+12), num(pageW-margin), num(footerY+12))
		d.textOn(p, margin, footerY, 8, false, d.footer)
		d.textOn(p, pageW-margin-d.width(label, 8, false), footerY, 8, false, label)
	}
	return d.assemble()
}

// pdfWriter numbers objects and records their offsets.
type pdfWriter struct {
	buf     bytes.Buffer
	offsets []int
}

func (w *pdfWriter) reserve() int {
	w.offsets = append(w.offsets, 0)
	return len(w.offsets)
}

func (w *pdfWriter) obj(n int, body string) {
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

func (w *pdfWriter) stream(n int, dict string, data []byte, compress bool) error {
	if compress {
		var z bytes.Buffer
		zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
		if err != nil {
			return err
		}
		if _, err := zw.Write(data); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		data = z.Bytes()
		dict += " /Filter /FlateDecode"
	}
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
	return nil
}

func (d *Doc) assemble() ([]byte, error) {
	w := &pdfWriter{}
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	catalog, pages, info := w.reserve(), w.reserve(), w.reserve()
	fontRefs := make([]int, 2)
	for i, fc := range d.faces {
		if len(d.used[i]) == 0 {
			continue
		}
		type0, cid, desc, file, tounicode := w.reserve(), w.reserve(), w.reserve(), w.reserve(), w.reserve()
		fontRefs[i] = type0
		w.obj(type0, fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>",
			fc.base, cid, tounicode))
		w.obj(cid, fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 /W %s /CIDToGIDMap /Identity >>",
			fc.base, desc, d.widths(i)))
		w.obj(desc, fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [-1000 -400 2200 1300] /ItalicAngle 0 /Ascent %s /Descent %s /CapHeight 714 /StemV %d /FontFile2 %d 0 R >>",
			fc.base, num(fc.asc), num(fc.desc), 80+60*i, file))
		if err := w.stream(file, fmt.Sprintf("/Length1 %d", len(fc.ttf)), fc.ttf, true); err != nil {
			return nil, fmt.Errorf("pdfdoc: %w", err)
		}
		if err := w.stream(tounicode, "", d.toUnicode(i), true); err != nil {
			return nil, fmt.Errorf("pdfdoc: %w", err)
		}
	}
	var fontDict strings.Builder
	for i, fc := range d.faces {
		if fontRefs[i] != 0 {
			fmt.Fprintf(&fontDict, "/%s %d 0 R ", fc.name, fontRefs[i])
		}
	}
	var kids []string
	for _, p := range d.pages {
		pg, content := w.reserve(), w.reserve()
		kids = append(kids, fmt.Sprintf("%d 0 R", pg))
		w.obj(pg, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources << /Font << %s>> >> /Contents %d 0 R >>",
			pages, num(pageW), num(pageH), fontDict.String(), content))
		if err := w.stream(content, "", p.Bytes(), true); err != nil {
			return nil, fmt.Errorf("pdfdoc: %w", err)
		}
	}
	w.obj(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(d.pages)))
	lang := "en-IN"
	if d.lang == "hi" {
		lang = "hi-IN"
	}
	w.obj(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /Lang (%s) /ViewerPreferences << /DisplayDocTitle true >> >>", pages, lang))
	w.obj(info, fmt.Sprintf("<< /Title %s /Subject %s /Producer (Prasar) /Creator (Prasar) /CreationDate (D:%s) >>",
		utf16Hex(d.title), utf16Hex(d.subject), d.created.Format("20060102150405Z")))
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets)+1)
	for _, off := range w.offsets {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.offsets)+1, catalog, info, xref)
	return w.buf.Bytes(), nil
}

// widths is the /W array of the glyphs used from face i.
func (d *Doc) widths(i int) string {
	fc := d.faces[i]
	gids := sortedGIDs(d.used[i])
	var b strings.Builder
	b.WriteString("[")
	for _, g := range gids {
		adv := float64(fc.f.HorizontalAdvance(font.GID(g))) * 1000 / fc.upem
		fmt.Fprintf(&b, " %d [%s]", g, num(adv))
	}
	b.WriteString(" ]")
	return b.String()
}

func sortedGIDs(m map[uint16]string) []uint16 {
	gids := make([]uint16, 0, len(m))
	for g := range m {
		gids = append(gids, g)
	}
	sort.Slice(gids, func(a, b int) bool { return gids[a] < gids[b] })
	return gids
}

// toUnicode is the ToUnicode CMap of face i: each glyph to the text it
// shows (a conjunct to all its letters; the later glyphs of a cluster to
// nothing).
func (d *Doc) toUnicode(i int) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	var entries []string
	for _, g := range sortedGIDs(d.used[i]) {
		t := d.used[i][g]
		if t == "" {
			continue
		}
		var hex strings.Builder
		for _, u := range utf16.Encode([]rune(t)) {
			fmt.Fprintf(&hex, "%04X", u)
		}
		entries = append(entries, fmt.Sprintf("<%04X> <%s>", g, hex.String()))
	}
	for len(entries) > 0 {
		n := min(100, len(entries))
		fmt.Fprintf(&b, "%d beginbfchar\n%s\nendbfchar\n", n, strings.Join(entries[:n], "\n"))
		entries = entries[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

// num writes a number for PDF: at most two decimals, no exponent.
func num(f float64) string {
	if math.Abs(f) < 0.005 {
		return "0"
	}
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// utf16Hex writes s as a PDF text string in UTF-16BE with a byte-order
// mark.
func utf16Hex(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}
