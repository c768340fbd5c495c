package pdfdoc

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// ReadText returns the text lines of a PDF written by this package, top
// to bottom and page by page; pieces of text drawn separately on one line
// (table cells) are joined with " | ". It reads back what this package
// writes (for tests and checks), not PDF in general.
func ReadText(pdf []byte) ([]string, error) {
	objs := map[int][]byte{}
	streams := map[int][]byte{}
	re := regexp.MustCompile(`(?s)(\d+) 0 obj\n(.*?)\nendobj\n`)
	for _, m := range re.FindAllSubmatch(pdf, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		body := m[2]
		if i := bytes.Index(body, []byte("\nstream\n")); i >= 0 {
			data := bytes.TrimSuffix(body[i+len("\nstream\n"):], []byte("\nendstream"))
			if bytes.Contains(body[:i], []byte("/FlateDecode")) {
				zr, err := zlib.NewReader(bytes.NewReader(data))
				if err != nil {
					return nil, fmt.Errorf("pdfdoc: object %d: %w", n, err)
				}
				if data, err = io.ReadAll(zr); err != nil {
					return nil, fmt.Errorf("pdfdoc: object %d: %w", n, err)
				}
			}
			streams[n] = data
			body = body[:i]
		}
		objs[n] = body
	}
	ref := func(body []byte, key string) int {
		m := regexp.MustCompile(regexp.QuoteMeta(key) + ` (\d+) 0 R`).FindSubmatch(body)
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	var lines []string
	for n := 1; n <= len(objs); n++ {
		page := objs[n]
		if !bytes.Contains(page, []byte("/Type /Page ")) {
			continue
		}
		maps := map[string]map[string]string{}
		for _, fm := range regexp.MustCompile(`/(F\d) (\d+) 0 R`).FindAllSubmatch(page, -1) {
			fo, _ := strconv.Atoi(string(fm[2]))
			maps[string(fm[1])] = parseToUnicode(streams[ref(objs[fo], "/ToUnicode")])
		}
		type piece struct {
			x, y float64
			text string
		}
		var pieces []piece
		content := string(streams[ref(page, "/Contents")])
		for _, block := range strings.Split(content, "BT ")[1:] {
			block = block[:strings.Index(block, "ET\n")]
			fields := strings.Fields(block)
			cmap := maps[strings.TrimPrefix(fields[0], "/")]
			var p *piece
			var b strings.Builder
			for i := 0; i+6 < len(fields); i++ {
				if fields[i+5] != "Tm" || !strings.HasPrefix(fields[i+6], "<") {
					continue
				}
				if p == nil {
					x, _ := strconv.ParseFloat(fields[i+3], 64)
					y, _ := strconv.ParseFloat(fields[i+4], 64)
					p = &piece{x: x, y: y}
				}
				b.WriteString(cmap[strings.Trim(fields[i+6], "<>")])
			}
			if p != nil {
				p.text = b.String()
				pieces = append(pieces, *p)
			}
		}
		sort.SliceStable(pieces, func(a, b int) bool {
			ya, yb := math.Round(pieces[a].y), math.Round(pieces[b].y)
			if math.Abs(ya-yb) > 2 {
				return ya > yb
			}
			return pieces[a].x < pieces[b].x
		})
		var cur []string
		lastY := math.Inf(1)
		for _, p := range pieces {
			if math.Abs(p.y-lastY) > 2 && len(cur) > 0 {
				lines = append(lines, strings.Join(cur, " | "))
				cur = nil
			}
			cur, lastY = append(cur, p.text), p.y
		}
		if len(cur) > 0 {
			lines = append(lines, strings.Join(cur, " | "))
		}
	}
	return lines, nil
}

// parseToUnicode reads the bfchar entries of a ToUnicode CMap.
func parseToUnicode(b []byte) map[string]string {
	m := map[string]string{}
	for _, e := range regexp.MustCompile(`<([0-9A-F]{4})> <([0-9A-F]*)>`).FindAllSubmatch(b, -1) {
		var us []uint16
		for i := 0; i+4 <= len(e[2]); i += 4 {
			v, _ := strconv.ParseUint(string(e[2][i:i+4]), 16, 16)
			us = append(us, uint16(v))
		}
		m[string(e[1])] = string(utf16.Decode(us))
	}
	return m
}
