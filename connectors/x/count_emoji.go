package x

import (
	"fmt"
	"slices"
	"strconv"
)

// Emoji recognition: a matcher for twitter-text's VALID_EMOJI_PATTERN (emojiPattern, copied from the Java
// library). The pattern uses a small regular-expression subset: literals, character classes with ranges,
// groups, alternation, "?" and a one-character negative lookahead. It has no repetition, so it is
// flattened once, at package initialisation, into the ordered list of fixed sequences a backtracking
// matcher would try, which gives exactly the backtracking (leftmost-first) result. The tables are never
// modified afterwards.

// emojiTable is the compiled emojiPattern.
var emojiTable = mustCompileEmoji(emojiPattern)

// runeRange is an inclusive range of code points.
type runeRange struct{ lo, hi rune }

// runeSet is a sorted list of disjoint ranges.
type runeSet []runeRange

func (s runeSet) contains(r rune) bool {
	_, found := slices.BinarySearchFunc(s, r, func(rr runeRange, r rune) int {
		switch {
		case rr.hi < r:
			return -1
		case rr.lo > r:
			return 1
		}
		return 0
	})
	return found
}

// emojiStep is one step of a flattened alternative: consume one code point in set, or (lookahead) assert
// that the next code point, if any, is not in set.
type emojiStep struct {
	set       runeSet
	lookahead bool
}

// emojiFirst maps the code points lo..hi to the alternatives that can start with them, in pattern order.
type emojiFirst struct {
	lo, hi rune
	alts   []int
}

type emojiMatcher struct {
	alts  [][]emojiStep
	first []emojiFirst // sorted, disjoint
	// lowStart marks the code points below lowLimit that can start an emoji, so that most text (Latin,
	// Indic, Arabic, …) is rejected without a search.
	lowStart [lowLimit / 64]uint64
}

const lowLimit = 0x3000

// findEmoji returns the spans of the emoji sequences in u, as Java's Matcher.find loop over
// VALID_EMOJI_PATTERN reports them.
func findEmoji(u []uint16) []span {
	var out []span
	for i := 0; i < len(u); {
		r, w := decodeUTF16(u, i)
		if end := emojiTable.matchAt(u, i, r); end > i {
			out = append(out, span{i, end})
			i = end
			continue
		}
		i += w
	}
	return out
}

// matchAt returns the end of the emoji sequence starting at u[i] (whose code point is r), or 0.
func (m *emojiMatcher) matchAt(u []uint16, i int, r rune) int {
	if r < lowLimit && m.lowStart[r/64]&(1<<(r%64)) == 0 {
		return 0
	}
	j, found := slices.BinarySearchFunc(m.first, r, func(f emojiFirst, r rune) int {
		switch {
		case f.hi < r:
			return -1
		case f.lo > r:
			return 1
		}
		return 0
	})
	if !found {
		return 0
	}
	for _, a := range m.first[j].alts {
		if end, ok := matchSteps(m.alts[a], u, i); ok {
			return end
		}
	}
	return 0
}

func matchSteps(steps []emojiStep, u []uint16, i int) (int, bool) {
	for _, st := range steps {
		if i >= len(u) {
			if st.lookahead {
				continue
			}
			return 0, false
		}
		r, w := decodeUTF16(u, i)
		in := st.set.contains(r)
		if st.lookahead {
			if in {
				return 0, false
			}
			continue
		}
		if !in {
			return 0, false
		}
		i += w
	}
	return i, true
}

// The pattern compiler.

// emojiNode is a node of the parsed pattern.
type emojiNode struct {
	kind emojiNodeKind
	set  runeSet      // kind nodeSet
	subs []*emojiNode // kind nodeAlt, nodeSeq; one element for nodeOpt, nodeNotAhead
}

type emojiNodeKind int

const (
	nodeSet emojiNodeKind = iota
	nodeSeq
	nodeAlt
	nodeOpt
	nodeNotAhead
)

// patToken is a pattern character; lit marks one written as an escape, which is never a metacharacter.
type patToken struct {
	r   rune
	lit bool
}

func mustCompileEmoji(pattern string) *emojiMatcher {
	m, err := compileEmoji(pattern)
	if err != nil {
		panic(err)
	}
	return m
}

func compileEmoji(pattern string) (*emojiMatcher, error) {
	toks, err := tokenizePattern(pattern)
	if err != nil {
		return nil, err
	}
	p := &patParser{toks: toks}
	root, err := p.parseAlt()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("x: emoji pattern: unexpected %q at token %d", p.toks[p.pos].r, p.pos)
	}
	alts, err := flatten(root)
	if err != nil {
		return nil, err
	}
	for i, a := range alts {
		if len(a) == 0 || a[0].lookahead {
			return nil, fmt.Errorf("x: emoji pattern: alternative %d does not start by consuming a character", i)
		}
	}
	m := &emojiMatcher{alts: alts, first: buildFirst(alts)}
	for _, f := range m.first {
		for r := f.lo; r <= f.hi && r < lowLimit; r++ {
			m.lowStart[r/64] |= 1 << (r % 64)
		}
	}
	return m, nil
}

// tokenizePattern decodes the \uXXXX escapes of a Java pattern source, joining surrogate pairs into code
// points.
func tokenizePattern(s string) ([]patToken, error) {
	rs := []rune(s)
	var toks []patToken
	for i := 0; i < len(rs); {
		if rs[i] != '\\' {
			toks = append(toks, patToken{r: rs[i]})
			i++
			continue
		}
		hi, err := parseUEscape(rs, i)
		if err != nil {
			return nil, err
		}
		i += 6
		if hi >= 0xD800 && hi <= 0xDBFF {
			lo, err := parseUEscape(rs, i)
			if err != nil || lo < 0xDC00 || lo > 0xDFFF {
				return nil, fmt.Errorf("x: emoji pattern: unpaired high surrogate at %d", i-6)
			}
			i += 6
			hi = 0x10000 + (hi-0xD800)<<10 + (lo - 0xDC00)
		} else if hi >= 0xDC00 && hi <= 0xDFFF {
			return nil, fmt.Errorf("x: emoji pattern: unpaired low surrogate at %d", i-6)
		}
		toks = append(toks, patToken{r: hi, lit: true})
	}
	return toks, nil
}

func parseUEscape(rs []rune, i int) (rune, error) {
	if i+6 > len(rs) || rs[i] != '\\' || rs[i+1] != 'u' {
		return 0, fmt.Errorf("x: emoji pattern: unsupported escape at %d", i)
	}
	v, err := strconv.ParseUint(string(rs[i+2:i+6]), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("x: emoji pattern: bad \\u escape at %d: %w", i, err)
	}
	return rune(v), nil
}

type patParser struct {
	toks []patToken
	pos  int
}

func (p *patParser) peek(r rune) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].lit && p.toks[p.pos].r == r
}

func (p *patParser) parseAlt() (*emojiNode, error) {
	alt := &emojiNode{kind: nodeAlt}
	for {
		seq, err := p.parseSeq()
		if err != nil {
			return nil, err
		}
		alt.subs = append(alt.subs, seq)
		if !p.peek('|') {
			return alt, nil
		}
		p.pos++
	}
}

func (p *patParser) parseSeq() (*emojiNode, error) {
	seq := &emojiNode{kind: nodeSeq}
	for p.pos < len(p.toks) && !p.peek('|') && !p.peek(')') {
		atom, err := p.parseAtom()
		if err != nil {
			return nil, err
		}
		if p.peek('?') {
			p.pos++
			atom = &emojiNode{kind: nodeOpt, subs: []*emojiNode{atom}}
		}
		seq.subs = append(seq.subs, atom)
	}
	return seq, nil
}

func (p *patParser) parseAtom() (*emojiNode, error) {
	t := p.toks[p.pos]
	switch {
	case !t.lit && t.r == '(':
		p.pos++
		kind := nodeAlt
		if p.peek('?') {
			p.pos++
			switch {
			case p.peek(':'):
			case p.peek('!'):
				kind = nodeNotAhead
			default:
				return nil, fmt.Errorf("x: emoji pattern: unsupported group at token %d", p.pos)
			}
			p.pos++
		}
		inner, err := p.parseAlt()
		if err != nil {
			return nil, err
		}
		if !p.peek(')') {
			return nil, fmt.Errorf("x: emoji pattern: missing ) at token %d", p.pos)
		}
		p.pos++
		if kind == nodeNotAhead {
			return &emojiNode{kind: nodeNotAhead, subs: []*emojiNode{inner}}, nil
		}
		return inner, nil
	case !t.lit && t.r == '[':
		return p.parseClass()
	case !t.lit && (t.r == ')' || t.r == '|' || t.r == '?' || t.r == ']' || t.r == '*' || t.r == '+' ||
		t.r == '{' || t.r == '.' || t.r == '^' || t.r == '$'):
		return nil, fmt.Errorf("x: emoji pattern: unsupported %q at token %d", t.r, p.pos)
	}
	p.pos++
	return &emojiNode{kind: nodeSet, set: runeSet{{t.r, t.r}}}, nil
}

func (p *patParser) parseClass() (*emojiNode, error) {
	p.pos++ // [
	if p.peek('^') {
		return nil, fmt.Errorf("x: emoji pattern: negated class at token %d", p.pos)
	}
	var ranges []runeRange
	for {
		if p.pos >= len(p.toks) {
			return nil, fmt.Errorf("x: emoji pattern: unterminated class")
		}
		if p.peek(']') {
			p.pos++
			break
		}
		lo := p.toks[p.pos].r
		p.pos++
		hi := lo
		if p.peek('-') && p.pos+1 < len(p.toks) && !(p.toks[p.pos+1].r == ']' && !p.toks[p.pos+1].lit) {
			hi = p.toks[p.pos+1].r
			p.pos += 2
			if hi < lo {
				return nil, fmt.Errorf("x: emoji pattern: reversed range %U-%U", lo, hi)
			}
		}
		ranges = append(ranges, runeRange{lo, hi})
	}
	return &emojiNode{kind: nodeSet, set: normalizeSet(ranges)}, nil
}

// normalizeSet sorts and merges ranges.
func normalizeSet(rs []runeRange) runeSet {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b runeRange) int { return int(a.lo - b.lo) })
	var out runeSet
	for _, r := range rs {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// flatten expands a node into the ordered list of step sequences a backtracking matcher tries: the
// alternatives of (P|Q)R are PR, QR; X? is X, then nothing.
func flatten(n *emojiNode) ([][]emojiStep, error) {
	switch n.kind {
	case nodeSet:
		return [][]emojiStep{{{set: n.set}}}, nil
	case nodeAlt:
		var out [][]emojiStep
		for _, s := range n.subs {
			f, err := flatten(s)
			if err != nil {
				return nil, err
			}
			out = append(out, f...)
		}
		return out, nil
	case nodeOpt:
		f, err := flatten(n.subs[0])
		if err != nil {
			return nil, err
		}
		return append(f, nil), nil
	case nodeNotAhead:
		f, err := flatten(n.subs[0])
		if err != nil {
			return nil, err
		}
		var ranges []runeRange
		for _, seq := range f {
			if len(seq) != 1 || seq[0].lookahead {
				return nil, fmt.Errorf("x: emoji pattern: lookahead must be of single characters")
			}
			ranges = append(ranges, seq[0].set...)
		}
		return [][]emojiStep{{{set: normalizeSet(ranges), lookahead: true}}}, nil
	case nodeSeq:
		out := [][]emojiStep{nil}
		for _, s := range n.subs {
			f, err := flatten(s)
			if err != nil {
				return nil, err
			}
			next := make([][]emojiStep, 0, len(out)*len(f))
			for _, prefix := range out {
				for _, suffix := range f {
					seq := make([]emojiStep, 0, len(prefix)+len(suffix))
					next = append(next, append(append(seq, prefix...), suffix...))
				}
			}
			out = next
		}
		return out, nil
	}
	return nil, fmt.Errorf("x: emoji pattern: unknown node kind %d", n.kind)
}

// buildFirst indexes the alternatives by the code points they can start with.
func buildFirst(alts [][]emojiStep) []emojiFirst {
	var bounds []rune
	for _, a := range alts {
		for _, r := range a[0].set {
			bounds = append(bounds, r.lo, r.hi+1)
		}
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	var out []emojiFirst
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]-1
		var list []int
		for j, a := range alts {
			if a[0].set.contains(lo) {
				list = append(list, j)
			}
		}
		if len(list) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].hi+1 == lo && slices.Equal(out[n-1].alts, list) {
			out[n-1].hi = hi
			continue
		}
		out = append(out, emojiFirst{lo: lo, hi: hi, alts: list})
	}
	return out
}
