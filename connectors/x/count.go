package x

// This file is a Go port of twitter-text v3's weighted character counter (parseTweet in twitter-text's
// JavaScript library, TwitterTextParser in its Java library; github.com/twitter/twitter-text, Apache
// License 2.0). It is what X's composer uses to decide whether a post fits: the text is NFC-normalised,
// every URL counts as transformedURLLength, every emoji sequence (when the configuration enables emoji
// parsing) counts defaultWeight once, and every other code point counts the weight of the first
// configured range it falls in, or defaultWeight.
//
// Where the JavaScript and Java libraries differ, this port follows the JavaScript one (which the X web
// composer runs), except in the two places noted on ParseTweet.
//
// All indices reported here are UTF-16 code unit offsets into the caller's text, as twitter-text reports
// them, not byte offsets.

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// Copies of twitter-text's config/v2.json and config/v3.json.
var (
	//go:embed testdata/twitter-text/config-v2.json
	configV2JSON []byte
	//go:embed testdata/twitter-text/config-v3.json
	configV3JSON []byte
)

// The parsed configurations. They are never modified after package initialisation; ConfigV2 and ConfigV3
// hand out copies.
var (
	configV2 = mustParseTextConfig(configV2JSON)
	configV3 = mustParseTextConfig(configV3JSON)
)

// WeightedRange gives every code point from Start to End (inclusive) the weight Weight.
type WeightedRange struct {
	Start  int `json:"start"`
	End    int `json:"end"`
	Weight int `json:"weight"`
}

// TextConfig is a twitter-text weighting configuration, in the shape of twitter-text's config/*.json.
// Weights are in units of 1/Scale of a character.
type TextConfig struct {
	Version                int             `json:"version"`
	MaxWeightedTweetLength int             `json:"maxWeightedTweetLength"`
	Scale                  int             `json:"scale"`
	DefaultWeight          int             `json:"defaultWeight"`
	EmojiParsingEnabled    bool            `json:"emojiParsingEnabled"`
	TransformedURLLength   int             `json:"transformedURLLength"`
	Ranges                 []WeightedRange `json:"ranges"`
}

// ConfigV3 returns twitter-text's v3 configuration, the one X uses today: 280 units, URLs count 23, code
// points below U+1100 (Latin, Devanagari, Gurmukhi and the other Indic scripts, Arabic, …) and some
// general punctuation count 1, everything else 2, and an emoji sequence counts 2 as a whole.
func ConfigV3() TextConfig { return configV3.clone() }

// ConfigV2 returns twitter-text's v2 configuration: as v3 but without emoji parsing, so every code point
// of an emoji sequence is weighed on its own.
func ConfigV2() TextConfig { return configV2.clone() }

// ParseTextConfig decodes a configuration in the JSON shape of twitter-text's config/*.json.
func ParseTextConfig(data []byte) (TextConfig, error) {
	var c TextConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return TextConfig{}, fmt.Errorf("x: parsing text config: %w", err)
	}
	if c.Scale <= 0 || c.MaxWeightedTweetLength <= 0 {
		return TextConfig{}, fmt.Errorf("x: parsing text config: scale %d and maxWeightedTweetLength %d must be positive",
			c.Scale, c.MaxWeightedTweetLength)
	}
	for _, r := range c.Ranges {
		if r.Start > r.End {
			return TextConfig{}, fmt.Errorf("x: parsing text config: range start %d is after end %d", r.Start, r.End)
		}
	}
	return c, nil
}

func mustParseTextConfig(data []byte) TextConfig {
	c, err := ParseTextConfig(data)
	if err != nil {
		panic(err)
	}
	return c
}

func (c TextConfig) clone() TextConfig {
	c.Ranges = append([]WeightedRange(nil), c.Ranges...)
	return c
}

// weight returns the scaled weight of code point r.
func (c *TextConfig) weight(r rune) int {
	for _, wr := range c.Ranges {
		if int(r) >= wr.Start && int(r) <= wr.End {
			return wr.Weight
		}
	}
	return c.DefaultWeight
}

// ParseResult is twitter-text's parse result. Ranges are inclusive UTF-16 code unit offsets into the text
// that was parsed (before normalisation), exactly as twitter-text reports them.
type ParseResult struct {
	// WeightedLength is the weighted length in characters (the number X shows against its limit).
	WeightedLength int
	// Permillage is WeightedLength as a proportion of the limit, in thousandths, rounded down.
	Permillage int
	// Valid reports whether the text may be posted: it is not blank, contains none of twitter-text's
	// invalid characters (U+FFFE, U+FEFF, U+FFFF), and WeightedLength is within the limit.
	Valid bool
	// DisplayRangeStart and DisplayRangeEnd span the whole text.
	DisplayRangeStart, DisplayRangeEnd int
	// ValidRangeStart and ValidRangeEnd span the longest prefix that is valid: the part a composer leaves
	// unhighlighted. ValidRangeEnd is the offset of the last code unit of that prefix.
	ValidRangeStart, ValidRangeEnd int
}

// ParseTweet weighs text as X does, with configuration cfg (normally ConfigV3()). It is a pure function.
//
// It follows twitter-text's JavaScript parseTweet, with two differences taken from twitter-text's Java
// library: a code point outside the Basic Multilingual Plane is weighed by its own value rather than by
// its low surrogate (no difference for the v2 and v3 configurations, whose ranges all lie below U+FFFF),
// and text that is empty after trimming the characters up to U+0020 (Java's String.trim) is never valid.
// Emoji sequences are recognised with twitter-text's own emoji pattern (VALID_EMOJI_PATTERN of the Java
// library); the JavaScript library uses twemoji-parser 11 instead, which agrees with it on every sequence up
// to Emoji 11 but does not know the Emoji 12 and 13 sequences the Java pattern has. URLs are found with
// twitter-text's URL extractor (see ExtractURLs).
func ParseTweet(text string, cfg TextConfig) ParseResult {
	textLen := utf16Len(text)
	normalized := norm.NFC.String(text)
	u := appendUTF16(make([]uint16, 0, len(normalized)), normalized)

	scale := max(cfg.Scale, 1)
	maxScaled := cfg.MaxWeightedTweetLength * scale
	urls := extractURLMatches(u)
	var emoji []span
	if cfg.EmojiParsingEnabled {
		emoji = findEmoji(u)
	}

	weighted := 0
	valid := true
	validIndex := 0
	nextURL, nextEmoji := 0, 0
	for i := 0; i < len(u); {
		// Entities are looked up by their start offset; one whose start was jumped over (because it lies
		// inside an earlier URL or emoji) is never used, as in twitter-text.
		for nextURL < len(urls) && urls[nextURL].start < i {
			nextURL++
		}
		for nextEmoji < len(emoji) && emoji[nextEmoji].start < i {
			nextEmoji++
		}
		var last int // offset of the last code unit of this unit
		switch {
		case nextURL < len(urls) && urls[nextURL].start == i:
			weighted += cfg.TransformedURLLength * scale
			// twitter-text advances by the length of the URL text it reports, which for a URL without
			// protocol can be shorter than its indices.
			last = min(i+len(urls[nextURL].url), len(u)) - 1
		case nextEmoji < len(emoji) && emoji[nextEmoji].start == i:
			weighted += cfg.DefaultWeight
			last = emoji[nextEmoji].end - 1
		default:
			r, w := decodeUTF16(u, i)
			weighted += cfg.weight(r)
			last = i + w - 1
		}
		if valid {
			valid = !isInvalidChar(u[last])
		}
		if valid && weighted <= maxScaled {
			validIndex = last
		}
		i = last + 1
	}

	valid = valid && weighted > 0 && weighted <= maxScaled && !isBlank(text)
	permillage := 0
	if cfg.MaxWeightedTweetLength > 0 {
		// The same floating-point arithmetic as twitter-text's JavaScript.
		permillage = int(math.Floor(float64(weighted) / float64(scale) / float64(cfg.MaxWeightedTweetLength) * 1000))
	}
	displayEnd := 0
	if textLen > 0 {
		displayEnd = textLen - 1
	}
	return ParseResult{
		WeightedLength:  weighted / scale,
		Permillage:      permillage,
		Valid:           valid,
		DisplayRangeEnd: displayEnd,
		ValidRangeEnd:   validIndex + textLen - len(u),
	}
}

// WeightedLength returns ParseTweet(text, cfg).WeightedLength.
func WeightedLength(text string, cfg TextConfig) int {
	return ParseTweet(text, cfg).WeightedLength
}

// isInvalidChar reports whether c is one of twitter-text's invalid characters.
func isInvalidChar(c uint16) bool {
	return c == 0xFFFE || c == 0xFEFF || c == 0xFFFF
}

// isBlank reports whether s is empty after Java's String.trim, which removes every character up to U+0020.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > ' ' {
			return false
		}
	}
	return true
}

// span is a half-open range of UTF-16 offsets.
type span struct{ start, end int }

// utf16Len returns the length of s in UTF-16 code units; each byte of an invalid UTF-8 sequence counts as
// one U+FFFD.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func appendUTF16(dst []uint16, s string) []uint16 {
	for _, r := range s {
		dst = utf16.AppendRune(dst, r)
	}
	return dst
}

// decodeUTF16 returns the code point at u[i] and its width in code units. A lone surrogate is returned as
// itself, as JavaScript and Java do.
func decodeUTF16(u []uint16, i int) (rune, int) {
	c := u[i]
	if utf16.IsSurrogate(rune(c)) && c < 0xDC00 && i+1 < len(u) && u[i+1] >= 0xDC00 && u[i+1] <= 0xDFFF {
		return utf16.DecodeRune(rune(c), rune(u[i+1])), 2
	}
	return rune(c), 1
}
