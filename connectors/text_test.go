package connectors_test

import (
	"testing"

	"github.com/prasar/prasar/connectors"
)

func TestWithLink(t *testing.T) {
	const link = "https://agriharyana.gov.in/mfmb"
	tests := []struct{ text, link, want string }{
		{"पंजीकरण करें", link, "पंजीकरण करें\n\n" + link},
		{"Register at " + link + " today", link, "Register at " + link + " today"},
		{"  \n", link, link},
		{"", link, link},
		{"No link", "", "No link"},
	}
	for _, tt := range tests {
		if got := connectors.WithLink(tt.text, tt.link); got != tt.want {
			t.Errorf("WithLink(%q, %q) = %q, want %q", tt.text, tt.link, got, tt.want)
		}
	}
}
