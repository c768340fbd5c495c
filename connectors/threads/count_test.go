package threads_test

import (
	"strings"
	"testing"

	"github.com/prasar/prasar/connectors/threads"
)

func TestCount(t *testing.T) {
	cases := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"ASCII", "Hello, Haryana!", 15},
		{"Hindi counts code points", "नमस्ते", 6}, // न म स ् त े
		{"Hindi sentence", "हरियाणा सरकार", 13},
		{"a conjunct with a zero-width joiner", "क्\u200dष", 4},
		{"Gurmukhi", "ਪੰਜਾਬ", 5},
		{"Urdu", "ہریانہ", 6},
		{"a 4-byte emoji", "😀", 4},
		{"two emoji", "🙏🙏", 8},
		{"text and emoji", "नमस्ते 🙏", 6 + 1 + 4},
		{"heart with VS16", "❤️", 3 + 3},
		{"heart without VS16 is text", "❤", 1},
		{"copyright is text", "©", 1},
		{"copyright as emoji", "©️", 2 + 3},
		{"BMP emoji with emoji presentation", "⌚", 3},
		{"sun without VS16 is text", "☀", 1},
		{"sun with VS16", "☀️", 6},
		{"flag", "🇮🇳", 8},
		{"a lone regional indicator", "🇮", 4},
		{"two flags", "🇮🇳🇮🇳", 16},
		{"skin tone", "👍🏽", 8},
		{"family ZWJ sequence", "👨\u200d👩\u200d👧", 4 + 3 + 4 + 3 + 4},
		{"farmer with skin tone", "🧑🏽\u200d🌾", 4 + 4 + 3 + 4},
		{"keycap with VS16", "1️⃣", 1 + 3 + 3},
		{"keycap without VS16", "#⃣", 1 + 3},
		{"a digit before VS16 only is text", "1\ufe0f", 2},
		{"digits are text", "2026", 4},
		{"Scotland's flag (tag sequence)", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", 4 + 6*4},
		{"a joiner after text", "a\u200d😀", 1 + 1 + 4},
		{"a trailing joiner", "😀\u200d", 4 + 1},
		{"mixed", "Rain alert ☔ in 5 districts — stay safe 🙏🏽", 11 + 3 + 28 + 8},
	}
	for _, c := range cases {
		if got := threads.Count(c.text); got != c.want {
			t.Errorf("%s: Count(%q) = %d, want %d", c.name, c.text, got, c.want)
		}
	}
	// The limit, exactly: 496 letters and one 4-byte emoji are 500.
	if n := threads.Count(strings.Repeat("a", 496) + "😀"); n != 500 {
		t.Errorf("496 letters and 😀: %d", n)
	}
}
