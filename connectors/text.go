package connectors

import "strings"

// WithLink is the text a platform without a separate link field gets: text
// with link appended on a paragraph of its own, unless text contains it
// already; link alone when text is blank; text when there is no link.
func WithLink(text, link string) string {
	if link == "" || strings.Contains(text, link) {
		return text
	}
	if strings.TrimSpace(text) == "" {
		return link
	}
	return text + "\n\n" + link
}
