package x

import (
	"slices"
	"unicode"
	"unicode/utf16"
)

// URL extraction: a port of twitter-text's JavaScript extractUrlsWithIndices (v3), which decides what
// counts as a URL for the 23-unit rule. twitter-text does this with one large backtracking regular
// expression (extractUrl) over UTF-16 code units, with the JavaScript "i" flag. Here the same expression
// is matched by hand over UTF-16 code units, reproducing what the backtracking engine returns:
//
//	extractUrl = (validUrlPrecedingChars)((https?://)?(validDomain)(?::(\d+))?(/validUrlPath*)?(\?query)?)
//	validDomain = validSubdomain* validDomainName (validGTLD | validCCTLD | validPunycode)
//
// Every part after the domain is optional, so the domain is the first one the backtracking order finds,
// and each later part is matched greedily on its own. The TLD lists are twitter-text's tld_lib.yml
// (count_tld.go). Case-insensitive comparisons use JavaScript's non-Unicode case canonicalisation (canon).

const (
	maxURLLength     = 4096 // MAX_URL_LENGTH
	maxTcoSlugLength = 40   // MAX_TCO_SLUG_LENGTH
	maxDomainLabel   = 63   // MAX_DOMAIN_LABEL_LENGTH in twitter-text's idna.js
	defaultProtoLen  = len("https://")
)

// URLEntity is a URL found by ExtractURLs.
type URLEntity struct {
	// URL is the URL as twitter-text reports it.
	URL string
	// Start and End are the UTF-16 code unit offsets of the URL in the text (End exclusive), as
	// twitter-text reports them.
	Start, End int
}

// ExtractURLs returns the URLs twitter-text's extractor finds in text: URLs with an http or https
// protocol, and URLs without protocol whose host ends in a known top-level domain (as listed in
// twitter-text's tld_lib.yml). Each of them counts transformedURLLength in ParseTweet. The text is used
// as given; ParseTweet extracts from the NFC-normalised text.
func ExtractURLs(text string) []URLEntity {
	ms := extractURLMatches(appendUTF16(nil, text))
	if len(ms) == 0 {
		return nil
	}
	out := make([]URLEntity, len(ms))
	for i, m := range ms {
		out[i] = URLEntity{URL: string(utf16.Decode(m.url)), Start: m.start, End: m.end}
	}
	return out
}

// urlMatch is an extracted URL: its indices and its text, as twitter-text reports them. For a URL without
// protocol that has a path and a non-ASCII prefix in its host, url is shorter than end-start.
type urlMatch struct {
	start, end int
	url        []uint16
}

// rawURL is one match of the extractUrl expression, before twitter-text's checks.
type rawURL struct {
	before           int // offset of the preceding character, or -1 when the match starts the text
	start, end       int // the URL group
	protoLen         int
	domStart, domEnd int
	hasPath          bool
}

type urlScanner struct {
	u []uint16
	// subEnd[i] is the first offset j >= i where u[j] is neither a domain character nor '_' or '-';
	// dnEnd[i] the same without '_'. They make each domain label an O(1) lookup.
	subEnd, dnEnd []int32
}

func extractURLMatches(u []uint16) []urlMatch {
	if !slices.Contains(u, '.') {
		return nil
	}
	s := newURLScanner(u)
	var out []urlMatch
	for pos := 0; pos < len(u); {
		m, ok := s.find(pos)
		if !ok {
			break
		}
		pos = m.end // extractUrl.lastIndex: matched text is never scanned again, even when rejected
		out = s.accept(m, out)
	}
	return out
}

func newURLScanner(u []uint16) *urlScanner {
	n := len(u)
	ends := make([]int32, 2*(n+1))
	s := &urlScanner{u: u, subEnd: ends[:n+1], dnEnd: ends[n+1:]}
	s.subEnd[n], s.dnEnd[n] = int32(n), int32(n)
	for i := n - 1; i >= 0; i-- {
		c := u[i]
		s.subEnd[i], s.dnEnd[i] = int32(i), int32(i)
		if isDomainChar(c) || c == '-' {
			s.subEnd[i], s.dnEnd[i] = s.subEnd[i+1], s.dnEnd[i+1]
		} else if c == '_' {
			s.subEnd[i] = s.subEnd[i+1]
		}
	}
	return s
}

// find returns the leftmost match of extractUrl starting at or after from.
func (s *urlScanner) find(from int) (rawURL, bool) {
	for p := from; p < len(s.u); p++ {
		// validUrlPrecedingChars: a preceding character, or the start of the text.
		if isPrecedingChar(s.u[p]) {
			if m, ok := s.matchURL(p + 1); ok {
				m.before = p
				return m, true
			}
		}
		if p == 0 {
			if m, ok := s.matchURL(0); ok {
				m.before = -1
				return m, true
			}
		}
	}
	return rawURL{}, false
}

// matchURL matches the URL group at q.
func (s *urlScanner) matchURL(q int) (rawURL, bool) {
	if n := protocolLen(s.u[q:]); n > 0 {
		if de, ok := s.matchDomain(q + n); ok {
			return s.matchTail(q, n, de), true
		}
	}
	if de, ok := s.matchDomain(q); ok {
		return s.matchTail(q, 0, de), true
	}
	return rawURL{}, false
}

// protocolLen returns the length of an "http://" or "https://" prefix of u (any case), or 0.
func protocolLen(u []uint16) int {
	if len(u) < 7 || !equalFoldASCII(u[:4], "http") {
		return 0
	}
	n := 4
	if u[n] == 's' || u[n] == 'S' {
		n++
	}
	if len(u) >= n+3 && u[n] == ':' && u[n+1] == '/' && u[n+2] == '/' {
		return n + 3
	}
	return 0
}

// matchDomain matches validDomain at q and returns its end.
func (s *urlScanner) matchDomain(q int) (int, bool) {
	n := len(s.u)
	// The labels validSubdomain* can take, greedily: each a run of domain characters, '_' and '-',
	// starting and ending with a domain character, followed by '.'.
	var buf [8][2]int32
	labels := buf[:0]
	for p := q; p < n; {
		r := int(s.subEnd[p])
		if r == p || r >= n || s.u[r] != '.' || !isDomainChar(s.u[p]) || !isDomainChar(s.u[r-1]) {
			break
		}
		labels = append(labels, [2]int32{int32(p), int32(r)})
		p = r + 1
	}
	// Backtracking gives labels back one at a time; the last one taken is validDomainName (no '_'), and
	// a TLD must follow it.
	for k := len(labels) - 1; k >= 0; k-- {
		p, r := int(labels[k][0]), int(labels[k][1])
		if int(s.dnEnd[p]) != r {
			continue
		}
		if e, ok := matchTLD(s.u, r+1); ok {
			return e, true
		}
	}
	return 0, false
}

// matchTail matches the optional port, path and query after the domain.
func (s *urlScanner) matchTail(start, protoLen, domEnd int) rawURL {
	u, n := s.u, len(s.u)
	m := rawURL{start: start, protoLen: protoLen, domStart: start + protoLen, domEnd: domEnd}
	e := domEnd
	if e < n && u[e] == ':' {
		j := e + 1
		for j < n && u[j] >= '0' && u[j] <= '9' {
			j++
		}
		if j > e+1 {
			e = j
		}
	}
	if e < n && u[e] == '/' {
		m.hasPath = true
		e = matchPath(u, e+1)
	}
	if e < n && u[e] == '?' {
		if qe, ok := matchQuery(u, e+1); ok {
			e = qe
		}
	}
	m.end = e
	return m
}

// matchPath matches validUrlPath* at p (just after the '/') and returns the end of the path.
func matchPath(u []uint16, p int) int {
	for {
		e, ok := matchPathSegment(u, p)
		if !ok {
			return p
		}
		p = e
	}
}

// matchPathSegment matches one validUrlPath at p. Because twitter-text splices validUrlPathEndingChars,
// which is itself an alternation, into validUrlPath without brackets, validUrlPath is in effect
//
//	G*(BG*)*E | B | @G+/
//
// (G: validGeneralUrlPathChars, B: validUrlBalancedParens, E: the character class of
// validUrlPathEndingChars). For the first alternative, greedy matching takes the longest run of G
// characters and balanced parentheses, and backtracking gives characters back to the last E character of
// that run outside parentheses. The third can never match where the first does not (its '/' is an E
// character), so it is left out.
func matchPathSegment(u []uint16, p int) (int, bool) {
	lastE := -1
	for i := p; ; {
		for i < len(u) && isPathChar(u[i]) {
			if isPathEndChar(u[i]) {
				lastE = i + 1
			}
			i++
		}
		if i < len(u) && u[i] == '(' {
			if be, ok := matchBalancedParens(u, i); ok {
				i = be
				continue
			}
		}
		break
	}
	if lastE > p {
		return lastE, true
	}
	if p < len(u) && u[p] == '(' {
		return matchBalancedParens(u, p)
	}
	return 0, false
}

// matchBalancedParens matches validUrlBalancedParens, \((?:G+|G*\(G+\)G*)\), at i.
func matchBalancedParens(u []uint16, i int) (int, bool) {
	run := func(j int) int {
		for j < len(u) && isPathChar(u[j]) {
			j++
		}
		return j
	}
	j := i + 1
	k := run(j)
	if k > j && k < len(u) && u[k] == ')' {
		return k + 1, true
	}
	if k < len(u) && u[k] == '(' {
		m := run(k + 1)
		if m > k+1 && m < len(u) && u[m] == ')' {
			m2 := run(m + 1)
			if m2 < len(u) && u[m2] == ')' {
				return m2 + 1, true
			}
		}
	}
	return 0, false
}

// matchQuery matches validUrlQueryChars*validUrlQueryEndingChars at p (just after the '?').
func matchQuery(u []uint16, p int) (int, bool) {
	end := -1
	for i := p; i < len(u) && isQueryChar(u[i]); i++ {
		if isQueryEndChar(u[i]) {
			end = i + 1
		}
	}
	return end, end > 0
}

// accept applies twitter-text's checks to a match and appends what it extracts to out.
func (s *urlScanner) accept(m rawURL, out []urlMatch) []urlMatch {
	u := s.u
	url := u[m.start:m.end]
	domain := u[m.domStart:m.domEnd]
	protoLen := m.protoLen
	if protoLen == 0 {
		protoLen = defaultProtoLen
	}
	if !isValidURL(url, protoLen, domain) {
		return out
	}
	if m.protoLen == 0 {
		// A URL without protocol is extracted only where its host has ASCII domains, and not after - _ . /
		if m.before >= 0 && isNoProtocolBadPreceding(u[m.before]) {
			return out
		}
		last := -1
		asciiEnd := 0
		for _, d := range asciiDomains(domain) {
			found := domain[d.start:d.end]
			asciiStart := indexUnits(domain, found, asciiEnd) // domain.indexOf(asciiDomain, asciiEndPosition)
			asciiEnd = asciiStart + len(found)
			out = append(out, urlMatch{start: m.start + asciiStart, end: m.start + asciiEnd, url: found})
			last = len(out) - 1
		}
		if last >= 0 && m.hasPath {
			// lastUrl.url = url.replace(domain, lastUrl.url); lastUrl.indices[1] = endPosition
			out[last].url = replaceFirstUnits(url, domain, out[last].url)
			out[last].end = m.end
		}
		return out
	}
	// A t.co URL keeps no extra path, and its slug is at most 40 characters.
	if slugLen, n, ok := matchTcoURL(url); ok {
		if slugLen > maxTcoSlugLength {
			return out
		}
		url = url[:n]
	}
	return append(out, urlMatch{start: m.start, end: m.start + len(url), url: url})
}

// isValidURL is twitter-text's isValidUrl: every label of the host must be 1 to 63 characters once
// punycode-encoded, and the URL with its protocol at most 4096 characters.
func isValidURL(url []uint16, protoLen int, domain []uint16) bool {
	// idna.toAscii: a host starting "xn--" must contain an ASCII domain.
	if len(domain) >= 4 && domain[0] == 'x' && domain[1] == 'n' && domain[2] == '-' && domain[3] == '-' &&
		len(asciiDomains(domain)) == 0 {
		return false
	}
	for label := range splitUnits(domain, '.') {
		n, ok := punycodeToASCIILen(label)
		if !ok || n < 1 || n > maxDomainLabel {
			return false
		}
	}
	// twitter-text adds the protocol length even when the URL already contains its protocol.
	return protoLen+len(url) <= maxURLLength
}

// asciiDomains returns the matches of twitter-text's validAsciiDomain in domain, in order:
// (?:[-a-z0-9 latin]+\.)+(?:gTLD|ccTLD|punycode), case-insensitive, where the TLD lookahead sees the end
// of domain as the end of the text.
func asciiDomains(d []uint16) []span {
	var out []span
	for pos := 0; pos < len(d); {
		found := false
		for p := pos; p < len(d); p++ {
			if end, ok := matchASCIIDomainAt(d, p); ok {
				out = append(out, span{p, end})
				pos, found = end, true
				break
			}
		}
		if !found {
			break
		}
	}
	return out
}

func matchASCIIDomainAt(d []uint16, p int) (int, bool) {
	var buf [8]int
	dots := buf[:0]
	for i := p; ; {
		j := i
		for j < len(d) && isASCIIDomainChar(d[j]) {
			j++
		}
		if j == i || j >= len(d) || d[j] != '.' {
			break
		}
		dots = append(dots, j)
		i = j + 1
	}
	for k := len(dots) - 1; k >= 0; k-- {
		if e, ok := matchTLD(d, dots[k]+1); ok {
			return e, true
		}
	}
	return 0, false
}

// matchTcoURL matches twitter-text's validTcoUrl, ^https?://t\.co/([a-z0-9]+)(?:\?query)?, against url
// and returns the slug length and the match length.
func matchTcoURL(url []uint16) (slugLen, n int, ok bool) {
	p := protocolLen(url)
	if p == 0 || len(url) < p+5 || !equalFoldASCII(url[p:p+5], "t.co/") {
		return 0, 0, false
	}
	i := p + 5
	for i < len(url) && isASCIIAlnum(url[i]) {
		i++
	}
	if i == p+5 {
		return 0, 0, false
	}
	slugLen = i - (p + 5)
	if i < len(url) && url[i] == '?' {
		if qe, ok := matchQuery(url, i+1); ok {
			i = qe
		}
	}
	return slugLen, i, true
}

// TLDs.

// tldEntry is a TLD as canonical (case-folded) UTF-16 code units.
type tldEntry []uint16

// tldIndex lists the TLDs by their first canonical code unit, each list in tld_lib.yml order (the order
// of twitter-text's alternation).
type tldIndex map[uint16][]tldEntry

var (
	genericTLDs = buildTLDIndex(tldGeneric)
	countryTLDs = buildTLDIndex(tldCountry)
)

func buildTLDIndex(tlds []string) tldIndex {
	idx := make(tldIndex)
	for _, t := range tlds {
		e := appendUTF16(nil, t)
		for i := range e {
			e[i] = canon(e[i])
		}
		idx[e[0]] = append(idx[e[0]], e)
	}
	return idx
}

// matchTLD matches (?:validGTLD|validCCTLD|validPunycode) at t. A gTLD or ccTLD must not be followed by
// [0-9a-zA-Z@+-]; the first TLD in list order that fits wins.
func matchTLD(u []uint16, t int) (int, bool) {
	if t >= len(u) {
		return 0, false
	}
	c := canon(u[t])
	for _, idx := range [...]tldIndex{genericTLDs, countryTLDs} {
		for _, tld := range idx[c] {
			if e := t + len(tld); e <= len(u) && canonEqual(u[t:e], tld) && tldBoundary(u, e) {
				return e, true
			}
		}
	}
	// validPunycode: xn--[-0-9a-z]+, with no lookahead.
	if t+5 <= len(u) && (u[t]|0x20) == 'x' && (u[t+1]|0x20) == 'n' && u[t+2] == '-' && u[t+3] == '-' &&
		isPunycodeChar(u[t+4]) {
		e := t + 5
		for e < len(u) && isPunycodeChar(u[e]) {
			e++
		}
		return e, true
	}
	return 0, false
}

func canonEqual(a []uint16, canonical tldEntry) bool {
	for i, c := range a {
		if canon(c) != canonical[i] {
			return false
		}
	}
	return true
}

// tldBoundary is the TLD lookahead (?=[^0-9a-zA-Z@+-]|$).
func tldBoundary(u []uint16, e int) bool {
	if e >= len(u) {
		return true
	}
	c := u[e]
	return !(isASCIIAlnum(c) || c == '@' || c == '+' || c == '-')
}

// Punycode (RFC 3492), as twitter-text's idna.js calls punycode.js's toASCII on each label.

// punycodeToASCIILen returns the length of punycode.toASCII(label): the label is split again at the
// separators punycode.js knows (. U+3002 U+FF0E U+FF61), each part holding a character above U+007E is
// encoded as "xn--" + punycode, and the parts are joined with ".". ok is false where punycode.js would
// throw (overflow).
func punycodeToASCIILen(label []uint16) (int, bool) {
	total := 0
	first := true
	for part := range splitUnitsFunc(label, func(c uint16) bool {
		return c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61
	}) {
		if !first {
			total++ // the "." joining the parts
		}
		first = false
		if !slices.ContainsFunc(part, func(c uint16) bool { return c > 0x7E }) {
			total += len(part)
			continue
		}
		enc, ok := punycodeEncode(ucs2Decode(part))
		if !ok {
			return 0, false
		}
		total += len("xn--") + len(enc)
	}
	return total, true
}

// ucs2Decode is punycode.js's ucs2.decode: surrogate pairs become code points, lone surrogates stay.
func ucs2Decode(u []uint16) []rune {
	out := make([]rune, 0, len(u))
	for i := 0; i < len(u); {
		r, w := decodeUTF16(u, i)
		out = append(out, r)
		i += w
	}
	return out
}

// punycodeEncode is punycode.js's encode (RFC 3492 with its overflow checks).
func punycodeEncode(input []rune) (string, bool) {
	const (
		base        = 36
		tMin        = 1
		tMax        = 26
		skew        = 38
		damp        = 700
		initialBias = 72
		initialN    = 128
		maxInt      = 2147483647
	)
	digit := func(d int64) byte {
		if d < 26 {
			return byte('a' + d)
		}
		return byte('0' + d - 26)
	}
	adapt := func(delta, numPoints int64, firstTime bool) int64 {
		if firstTime {
			delta /= damp
		} else {
			delta >>= 1
		}
		delta += delta / numPoints
		k := int64(0)
		for delta > ((base-tMin)*tMax)>>1 {
			delta /= base - tMin
			k += base
		}
		return k + (base-tMin+1)*delta/(delta+skew)
	}

	var out []byte
	for _, c := range input {
		if c < 0x80 {
			out = append(out, byte(c))
		}
	}
	basicLength := int64(len(out))
	handled := basicLength
	if basicLength > 0 {
		out = append(out, '-')
	}
	n, delta, bias := int64(initialN), int64(0), int64(initialBias)
	inputLength := int64(len(input))
	for handled < inputLength {
		m := int64(maxInt)
		for _, c := range input {
			if int64(c) >= n && int64(c) < m {
				m = int64(c)
			}
		}
		handledPlusOne := handled + 1
		if m-n > (maxInt-delta)/handledPlusOne {
			return "", false
		}
		delta += (m - n) * handledPlusOne
		n = m
		for _, c := range input {
			if int64(c) < n {
				delta++
				if delta > maxInt {
					return "", false
				}
			}
			if int64(c) == n {
				q := delta
				for k := int64(base); ; k += base {
					t := k - bias
					if k <= bias {
						t = tMin
					} else if k >= bias+tMax {
						t = tMax
					}
					if q < t {
						break
					}
					out = append(out, digit(t+(q-t)%(base-t)))
					q = (q - t) / (base - t)
				}
				out = append(out, digit(q))
				bias = adapt(delta, handledPlusOne, handled == basicLength)
				delta = 0
				handled++
			}
		}
		delta++
		n++
	}
	return string(out), true
}

// Character classes, as twitter-text's regular expressions define them.

// isDomainChar is validDomainChars: anything but ASCII punctuation other than " and `, spaces, the
// invalid characters and the directional marks.
func isDomainChar(c uint16) bool {
	if c < 0x80 {
		return asciiClass[c]&clsDomain != 0
	}
	switch {
	case c == 0x85, c == 0xA0, c == 0x1680, c == 0x180E, c >= 0x2000 && c <= 0x200A,
		c == 0x2028, c == 0x2029, c == 0x202F, c == 0x205F, c == 0x3000: // spaces
		return false
	case isInvalidChar(c):
		return false
	case isDirectionalMark(c):
		return false
	}
	return true
}

// isDirectionalMark is twitter-text's directionalMarkersGroup.
func isDirectionalMark(c uint16) bool {
	return c >= 0x202A && c <= 0x202E || c == 0x061C || c == 0x200E || c == 0x200F || c >= 0x2066 && c <= 0x2069
}

// isPrecedingChar is the first alternative of validUrlPrecedingChars, [^A-Za-z0-9@＠$#＃ invalid]; its
// second, the directional marks, is contained in the first.
func isPrecedingChar(c uint16) bool {
	if c < 0x80 {
		return asciiClass[c]&clsNotPreceding == 0
	}
	return c != 0xFF20 && c != 0xFF03 && !isInvalidChar(c)
}

// isNoProtocolBadPreceding is invalidUrlWithoutProtocolPrecedingChars, [-_./]$.
func isNoProtocolBadPreceding(c uint16) bool {
	return c == '-' || c == '_' || c == '.' || c == '/'
}

// isPathChar is validGeneralUrlPathChars.
func isPathChar(c uint16) bool {
	if c < 0x80 {
		return asciiClass[c]&clsPath != 0
	}
	return c == 0x2013 || foldIn(c, isCyrillicOrLatinAccent)
}

// isPathEndChar is the character class of validUrlPathEndingChars.
func isPathEndChar(c uint16) bool {
	if c < 0x80 {
		return asciiClass[c]&clsPathEnd != 0
	}
	return foldIn(c, isCyrillicOrLatinAccent)
}

// isQueryChar is validUrlQueryChars.
func isQueryChar(c uint16) bool { return c < 0x80 && asciiClass[c]&clsQuery != 0 }

// isQueryEndChar is validUrlQueryEndingChars.
func isQueryEndChar(c uint16) bool { return c < 0x80 && asciiClass[c]&clsQueryEnd != 0 }

// isASCIIDomainChar is the label class of validAsciiDomain, [-a-z0-9 latinAccentChars].
func isASCIIDomainChar(c uint16) bool {
	if c < 0x80 {
		return c == '-' || isASCIIAlnum(c)
	}
	return foldIn(c, isLatinAccent)
}

func isPunycodeChar(c uint16) bool { return c == '-' || isASCIIAlnum(c) }

func isASCIIAlnum(c uint16) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isLatinAccent is twitter-text's latinAccentChars.
func isLatinAccent(c uint16) bool {
	switch {
	case c >= 0xC0 && c <= 0xD6, c >= 0xD8 && c <= 0xF6, c >= 0xF8 && c <= 0xFF, c >= 0x100 && c <= 0x24F,
		c == 0x253, c == 0x254, c == 0x256, c == 0x257, c == 0x259, c == 0x25B, c == 0x263, c == 0x268,
		c == 0x26F, c == 0x272, c == 0x289, c == 0x28B, c == 0x2BB, c >= 0x300 && c <= 0x36F,
		c >= 0x1E00 && c <= 0x1EFF:
		return true
	}
	return false
}

func isCyrillicOrLatinAccent(c uint16) bool {
	return c >= 0x400 && c <= 0x4FF || isLatinAccent(c)
}

// canon is JavaScript's case canonicalisation for a regular expression with the "i" flag and without "u":
// the upper case of c, unless that is not one code unit or would turn a non-ASCII character into an
// ASCII one.
func canon(c uint16) uint16 {
	if c < 0x80 {
		if c >= 'a' && c <= 'z' {
			return c - ('a' - 'A')
		}
		return c
	}
	u := unicode.ToUpper(rune(c))
	if u > 0xFFFF || u < 0x80 {
		return c
	}
	return uint16(u)
}

// foldIn reports whether a case-insensitive JavaScript character class with members in reports c: some
// member canonicalises as c does. The candidates are c's case variants.
func foldIn(c uint16, in func(uint16) bool) bool {
	if in(c) {
		return true
	}
	cc := canon(c)
	for r := unicode.SimpleFold(rune(c)); r != rune(c); r = unicode.SimpleFold(r) {
		if r <= 0xFFFF && canon(uint16(r)) == cc && in(uint16(r)) {
			return true
		}
	}
	return false
}

// ASCII class table.
const (
	clsDomain = 1 << iota
	clsNotPreceding
	clsPath
	clsPathEnd
	clsQuery
	clsQueryEnd
)

var asciiClass = func() (t [128]uint8) {
	set := func(cls uint8, chars string) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= cls
		}
	}
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	// validDomainChars excludes twitter-text's punct (all ASCII punctuation but " and `) and the spaces
	// \t..\r and ' '; every other ASCII character, control characters included, is a domain character.
	for c := range t {
		t[c] |= clsDomain
	}
	for _, c := range []byte(`!'#%&()*+,\-./:;<=>?@[]^_{|}~$` + "\t\n\v\f\r ") {
		t[c] &^= clsDomain
	}
	set(clsNotPreceding, alnum+"@$#")
	set(clsPath, alnum+"!*';:=+,.$/%#[]-_~@|&")
	set(clsPathEnd, alnum+"+-=_#/")
	set(clsQuery, alnum+"!?*'@();:&=+$/%#[]-_.,~|")
	set(clsQueryEnd, alnum+"-_&=#/")
	return t
}()

// Small helpers on UTF-16 slices.

func equalFoldASCII(u []uint16, s string) bool {
	if len(u) != len(s) {
		return false
	}
	for i := range u {
		c := u[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != uint16(s[i]) {
			return false
		}
	}
	return true
}

// indexUnits is JavaScript's s.indexOf(sub, from).
func indexUnits(s, sub []uint16, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if slices.Equal(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// replaceFirstUnits is JavaScript's s.replace(old, repl) with a string pattern.
func replaceFirstUnits(s, old, repl []uint16) []uint16 {
	i := indexUnits(s, old, 0)
	if i < 0 {
		return s
	}
	out := make([]uint16, 0, len(s)-len(old)+len(repl))
	out = append(out, s[:i]...)
	out = append(out, repl...)
	return append(out, s[i+len(old):]...)
}

// splitUnits yields the parts of u between the separators sep, like JavaScript's split.
func splitUnits(u []uint16, sep uint16) func(func([]uint16) bool) {
	return splitUnitsFunc(u, func(c uint16) bool { return c == sep })
}

func splitUnitsFunc(u []uint16, isSep func(uint16) bool) func(func([]uint16) bool) {
	return func(yield func([]uint16) bool) {
		start := 0
		for i, c := range u {
			if isSep(c) {
				if !yield(u[start:i]) {
					return
				}
				start = i + 1
			}
		}
		yield(u[start:])
	}
}
