package x

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"

	"github.com/prasar/prasar/publisher"
)

// Lookup looks for a post made from msg on the account at or after since:
// it reads GET /2/users/{id}/tweets?start_time=…&max_results=…&tweet.fields=
// created_at,text newest first (LookupPageSize a page, at most
// LookupMaxPages pages) and matches the text Publish would send.
//
// X does not return the text exactly as sent, so the comparison is made
// robust (see sameText): X replaces every URL by a t.co link, appends a
// t.co link to the pictures of a post with media, escapes &, < and > as
// HTML entities, and keeps text in NFC; white space is compared loosely.
// A limitation follows: the same words with a different link cannot be
// told apart, as X shows both links as t.co links.
//
// It returns publisher.ErrNotPublished when the timeline has no such post,
// and publisher.ErrLookupUnsupported when it cannot tell (a post without
// text, or more posts since than it may read).
func (c *Connector) Lookup(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, msg publisher.Message, since time.Time) (*publisher.Published, error) {
	tok, err := token(acct, cred)
	if err != nil {
		return nil, err
	}
	uid, err := userID(acct)
	if err != nil {
		return nil, err
	}
	text := c.text(msg)
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("x: a post without text cannot be recognised: %w", publisher.ErrLookupUnsupported)
	}
	want := canonical(text, false)
	q := url.Values{
		"max_results":  {strconv.Itoa(min(max(c.cfg.LookupPageSize, 5), 100))},
		"tweet.fields": {"created_at,text"},
	}
	if !since.IsZero() {
		q.Set("start_time", since.UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	for range c.cfg.LookupMaxPages {
		var page struct {
			Data []struct {
				ID        string `json:"id"`
				Text      string `json:"text"`
				CreatedAt string `json:"created_at"`
			} `json:"data"`
			Meta struct {
				ResultCount int    `json:"result_count"`
				NextToken   string `json:"next_token"`
			} `json:"meta"`
			Errors []problemEntry `json:"errors"`
		}
		if err := c.call(ctx, http.MethodGet, "/2/users/"+uid+"/tweets", q, tok, "", nil, &page); err != nil {
			pe := *publisher.AsPlatformError(err)
			pe.Ambiguous = false // reading the timeline creates nothing
			return nil, &pe
		}
		if len(page.Data) == 0 && len(page.Errors) > 0 {
			e := page.Errors[0]
			if kind(e.Type) == "resource-not-found" {
				return nil, authError("X cannot find the account: " + e.text() + " Reconnect it.")
			}
			return nil, rejected("X refused to list the account's posts: %s", e.text())
		}
		for _, p := range page.Data {
			if t, err := time.Parse(time.RFC3339, p.CreatedAt); err == nil && !since.IsZero() && t.Before(since.Truncate(time.Second)) {
				continue
			}
			if isID(p.ID) && sameText(want, canonical(p.Text, true), len(msg.Media)) {
				return c.published(acct, p.ID), nil
			}
		}
		if page.Meta.NextToken == "" {
			return nil, publisher.ErrNotPublished
		}
		q.Set("pagination_token", page.Meta.NextToken)
	}
	window := "on the account"
	if !since.IsZero() {
		window = "since " + since.UTC().Format(time.RFC3339)
	}
	return nil, fmt.Errorf("x: more than %d posts %s; cannot tell whether the post is among them: %w",
		c.cfg.LookupPageSize*c.cfg.LookupMaxPages, window, publisher.ErrLookupUnsupported)
}

// urlMark stands for a URL in a canonical text.
const urlMark = "\uFFFC"

// canonText is a text made comparable: its words with every URL replaced
// by urlMark, and the URLs in order.
type canonText struct {
	text string
	urls []string
}

// entities undoes X's escaping of &, < and > in returned text.
var entities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// canonical makes s comparable: HTML entities undone (for text returned by
// X), NFC, every run of white space (line breaks included) as one space,
// none around, URLs (as twitter-text's extractor finds them, the same rule
// X uses to shorten them) replaced by urlMark.
func canonical(s string, returned bool) canonText {
	if returned {
		s = entities.Replace(s)
	}
	s = strings.Join(strings.Fields(norm.NFC.String(s)), " ")
	u := utf16.Encode([]rune(s))
	var b strings.Builder
	var urls []string
	prev := 0
	for _, e := range ExtractURLs(s) {
		if e.Start < prev || e.End > len(u) {
			continue
		}
		b.WriteString(string(utf16.Decode(u[prev:e.Start])))
		b.WriteString(urlMark)
		urls = append(urls, string(utf16.Decode(u[e.Start:e.End])))
		prev = e.End
	}
	b.WriteString(string(utf16.Decode(u[prev:])))
	return canonText{text: b.String(), urls: urls}
}

// sameText reports whether got (a post's text as X returns it) is the text
// sent as want: the same words, and at each URL either the same URL or a
// t.co link standing for it. A post with media may end in extra t.co links
// to its pictures, which are ignored.
func sameText(want, got canonText, media int) bool {
	extra := len(got.urls) - len(want.urls)
	if extra < 0 || (extra > 0 && media == 0) {
		return false
	}
	text := got.text
	for range extra {
		t, ok := strings.CutSuffix(text, urlMark)
		if !ok || !isTco(got.urls[len(got.urls)-1]) {
			return false
		}
		text = strings.TrimRight(t, " ")
		got.urls = got.urls[:len(got.urls)-1]
	}
	if text != want.text {
		return false
	}
	for i, u := range want.urls {
		if got.urls[i] != u && !isTco(got.urls[i]) {
			return false
		}
	}
	return true
}

// isTco reports whether u is a t.co short link.
func isTco(u string) bool {
	rest := strings.ToLower(u)
	for _, p := range []string{"https://", "http://"} {
		rest = strings.TrimPrefix(rest, p)
	}
	return strings.HasPrefix(rest, "t.co/")
}
