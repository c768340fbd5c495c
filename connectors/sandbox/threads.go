package sandbox

import (
	"net/url"
	"unicode/utf8"
)

// Threads (platform-apis.md §5.1): graph.threads.net (the code exchange, the
// long-lived token exchange and refresh, publishing, insights, deletion) and
// threads.net (the consent page, profiles and posts). Connectors use
// GraphURL = BaseURL+ThreadsGraphPath and WebURL = BaseURL+ThreadsWebPath.
//
// It shares Instagram's container engine (instagram.go): containers with a
// "status" field (not Instagram's "status_code") and "error_message", TEXT,
// IMAGE (JPEG or PNG) and CAROUSEL posts, 250 posts per rolling 24 h,
// settings per account (SetMetaAccount, POST /sandbox/threads/_settings).
const (
	ThreadsGraphPath = "/sandbox/threads/graph"
	ThreadsWebPath   = "/sandbox/threads/www"
)

// Limits of the fake Threads.
const (
	threadsMaxText     = 500
	threadsMaxCarousel = 20
	threadsQuotaTotal  = 250
	threadsIDDigits    = 17
)

func init() {
	th := &metaPlatform{
		name: "threads", title: "Threads",
		graphPath: ThreadsGraphPath, webPath: ThreadsWebPath,
		containerEdge: "threads", publishEdge: "threads_publish", limitEdge: "threads_publishing_limit",
		textParam: "text", statusField: "status",
		quotaTotal: threadsQuotaTotal, maxCarousel: threadsMaxCarousel, maxText: threadsMaxText, countText: threadsLength,
		imageTypes: []string{"image/jpeg", "image/png"},
		metrics: map[string]metricSpec{
			"views":   {"Views", "The number of times the post was viewed.", 1},
			"likes":   {"Likes", "The number of likes on the post.", 0.06},
			"replies": {"Replies", "The number of replies on the post.", 0.01},
			"reposts": {"Reposts", "The number of times the post was reposted.", 0.005},
			"quotes":  {"Quotes", "The number of times the post was quoted.", 0.002},
			"shares":  {"Shares", "The number of times the post was shared.", 0.003},
		},
		removedMetrics: map[string]string{},
		exchangeGrant:  "th_exchange_token", refreshGrant: "th_refresh_token", canDelete: true,
		idPrefix: "2", idDigits: threadsIDDigits, redirectFragment: "_",
		permalink: func(base string, p *Post) string {
			return base + ThreadsWebPath + "/" + url.PathEscape(p.AccountID) + "/post/" + shortcode(p.ID)
		},
		defaultScopes: []string{"threads_basic", "threads_content_publish", "threads_manage_insights", "threads_delete"},
	}
	metaPlatforms[th.name] = th
	register(&platform{
		name: th.name, title: th.title, order: 40,
		mount:    th.mount,
		pagePath: func(id string) string { return ThreadsWebPath + "/" + url.PathEscape(id) },
		postPath: func(p *Post) string {
			return ThreadsWebPath + "/" + url.PathEscape(p.AccountID) + "/post/" + shortcode(p.ID)
		},
	})
}

// threadsLength counts text as Threads documents it: characters, except
// that an emoji counts as many as its UTF-8 bytes. This is the fake's own,
// deliberately simple reading of "emoji": a run that starts with a
// pictograph (the emoji blocks of the Supplementary Multilingual Plane, the
// BMP's miscellaneous symbols, dingbats and technical symbols) or a keycap
// base followed by a keycap mark, and continues with variation selectors,
// skin tones, keycap marks, tags, a second regional indicator (flags) and
// zero-width joiners with the pictograph after them.
func threadsLength(s string) int {
	rs := []rune(s)
	n := 0
	for i := 0; i < len(rs); {
		start := i
		switch {
		case isPictograph(rs[i]):
			i++
		case isKeycapBase(rs[i]) && keycapFollows(rs, i+1):
			i++
		default:
			n++
			i++
			continue
		}
		flag := isRegional(rs[start])
		for i < len(rs) {
			r := rs[i]
			switch {
			case r == 0xFE0F || r == 0xFE0E || r == 0x20E3 || (r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0020 && r <= 0xE007F):
				i++
				continue
			case flag && isRegional(r) && i == start+1:
				i++
				continue
			case r == 0x200D && i+1 < len(rs) && isPictograph(rs[i+1]):
				i += 2
				continue
			}
			break
		}
		for _, r := range rs[start:i] {
			n += utf8.RuneLen(r)
		}
	}
	return n
}

func isPictograph(r rune) bool {
	return (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) || (r >= 0x2300 && r <= 0x23FF) || (r >= 0x2B00 && r <= 0x2BFF)
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

func isKeycapBase(r rune) bool { return r == '#' || r == '*' || (r >= '0' && r <= '9') }

// keycapFollows reports whether a keycap mark (optionally after VS16)
// starts at rs[i].
func keycapFollows(rs []rune, i int) bool {
	if i < len(rs) && rs[i] == 0xFE0F {
		i++
	}
	return i < len(rs) && rs[i] == 0x20E3
}
