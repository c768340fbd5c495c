package threads

import (
	"slices"
	"unicode/utf8"
)

// Count measures text as Threads limits it (platform-apis.md §5.1; Meta's
// "Posts" page: "Text posts are limited to 500 characters. Emojis are
// counted as the number of UTF-8 bytes", linking the grapheme-splitter
// package): every code point counts one, except that an emoji counts as
// many as the UTF-8 bytes of its whole sequence — 😀 4, ❤️ (with its
// variation selector) 6, 🇮🇳 8, 👍🏽 8, 👨‍👩‍👧 18, 1️⃣ 7. Indian scripts count
// normally: every letter, vowel sign and virama is one, and a zero-width
// joiner inside a Devanagari conjunct is one too (it belongs to no emoji).
//
// An emoji is a sequence that starts with
//   - an Extended_Pictographic code point shown as emoji: one with
//     Emoji_Presentation, or followed by VS16 (U+FE0F), a skin-tone
//     modifier or a zero-width joiner and another pictograph (so "©" alone
//     is text and counts 1, "©️" is an emoji and counts 5);
//   - a regional indicator, taking a second one with it (a flag);
//   - a keycap base (0–9, #, *) followed by U+20E3, with or without VS16;
//
// and goes on over variation selectors, skin-tone modifiers, tag characters
// (subdivision flags), keycap marks, and zero-width joiners each followed by
// another pictograph.
func Count(text string) int {
	rs := []rune(text)
	n := 0
	for i := 0; i < len(rs); {
		end := emojiEnd(rs, i)
		if end == i {
			n++
			i++
			continue
		}
		for _, r := range rs[i:end] {
			n += utf8.RuneLen(r)
		}
		i = end
	}
	return n
}

// emojiEnd returns the end of the emoji sequence starting at rs[i], or i if
// none starts there.
func emojiEnd(rs []rune, i int) int {
	r := rs[i]
	next := func(j int) rune {
		if j < len(rs) {
			return rs[j]
		}
		return -1
	}
	j := i + 1
	switch {
	case isRegionalIndicator(r):
		if isRegionalIndicator(next(j)) {
			j++ // a flag; a lone indicator is an emoji too
		}
	case isKeycapBase(r):
		k := j
		if next(k) == vs16 {
			k++
		}
		if next(k) != keycap {
			return i
		}
		j = k + 1
	case extendedPictographic.contains(r):
		n := next(j)
		if !emojiPresentation.contains(r) && n != vs16 && !isSkinTone(n) && !(n == zwj && extendedPictographic.contains(next(j+1))) {
			return i // a pictograph shown as text
		}
	default:
		return i
	}
	for j < len(rs) {
		switch r := rs[j]; {
		case r == vs16 || r == vs15 || r == keycap || isSkinTone(r) || isTag(r):
			j++
		case r == zwj && extendedPictographic.contains(next(j+1)):
			j += 2
		default:
			return j
		}
	}
	return j
}

const (
	zwj    = '\u200D'
	vs15   = '\uFE0E'
	vs16   = '\uFE0F'
	keycap = '\u20E3'
)

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }
func isSkinTone(r rune) bool          { return r >= 0x1F3FB && r <= 0x1F3FF }
func isTag(r rune) bool               { return r >= 0xE0020 && r <= 0xE007F }
func isKeycapBase(r rune) bool        { return r == '#' || r == '*' || (r >= '0' && r <= '9') }

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
