package connectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/prasar/prasar/publisher"
)

// What Instagram's and Threads' Graph APIs share about an account's posts:
// the publishing quota (GET /{user}/content_publishing_limit and
// /threads_publishing_limit answer alike), a cursor-paged list of the
// account's media (/{user}/media, /{user}/threads) with Meta's timestamps,
// and what is read from it: when a rolling quota window frees a place, and
// whether a post is already there.

// ParseGraphTime reads Meta's "2006-01-02T15:04:05-0700" (or RFC 3339).
func ParseGraphTime(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02T15:04:05-0700", s)
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	return t, err
}

// GraphQuota is the answer of a publishing-limit call (fields
// quota_usage,config).
type GraphQuota struct {
	Data []struct {
		QuotaUsage int `json:"quota_usage"`
		Config     struct {
			QuotaTotal    int `json:"quota_total"`
			QuotaDuration int `json:"quota_duration"` // seconds
		} `json:"config"`
	} `json:"data"`
}

// UsedUp reports whether the quota is used up, with its total, the posts
// used and its window (24 hours when the answer gives none).
func (q GraphQuota) UsedUp() (total, used int, window time.Duration, full bool) {
	if len(q.Data) == 0 || q.Data[0].Config.QuotaTotal <= 0 || q.Data[0].QuotaUsage < q.Data[0].Config.QuotaTotal {
		return 0, 0, 0, false
	}
	d := q.Data[0]
	window = time.Duration(d.Config.QuotaDuration) * time.Second
	if window <= 0 {
		window = 24 * time.Hour
	}
	return d.Config.QuotaTotal, d.QuotaUsage, window, true
}

// GraphMedia is one of an account's posts as the media list gives it:
// Instagram names its text caption, Threads text.
type GraphMedia struct {
	ID        string `json:"id"`
	Caption   string `json:"caption"`
	Text      string `json:"text"`
	Timestamp string `json:"timestamp"`
	Permalink string `json:"permalink"`
}

// GraphMediaPage is one page of an account's media, newest first.
type GraphMediaPage struct {
	Data   []GraphMedia `json:"data"`
	Paging struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// next sets q to ask for the page after p, and reports whether there is one.
func (p *GraphMediaPage) next(q url.Values) bool {
	if p.Paging.Next == "" || p.Paging.Cursors.After == "" {
		return false
	}
	q.Set("after", p.Paging.Cursors.After)
	return true
}

// GraphMediaReader reads one page of an account's media for a query.
type GraphMediaReader func(q url.Values) (*GraphMediaPage, error)

// GraphWindowReset is when a rolling quota window of length window frees a
// place: when the oldest of the account's posts in it (reading at most
// maxPages pages) leaves it; now+backoff when that cannot be read.
func GraphWindowReset(read GraphMediaReader, now time.Time, window, backoff time.Duration, maxPages int) time.Time {
	q := url.Values{"fields": {"id,timestamp"}, "since": {strconv.FormatInt(now.Add(-window).Unix(), 10)}, "limit": {"100"}}
	var oldest time.Time
	for range maxPages {
		page, err := read(q)
		if err != nil {
			break
		}
		for _, m := range page.Data {
			if t, err := ParseGraphTime(m.Timestamp); err == nil && (oldest.IsZero() || t.Before(oldest)) {
				oldest = t
			}
		}
		if !page.next(q) {
			break
		}
	}
	if oldest.IsZero() || !oldest.Add(window).After(now) {
		return now.Add(backoff)
	}
	return oldest.Add(window)
}

// GraphFind looks through the account's media at or after since, newest
// first (pageSize a page, at most maxPages pages; fields names the text
// field to read), for a post whose text is, by same, the one wanted. It
// returns publisher.ErrNotPublished when the list ends without one, and
// publisher.ErrLookupUnsupported when there are more posts since than it
// may read.
func GraphFind(read GraphMediaReader, textField string, since time.Time, pageSize, maxPages int, same func(text string) bool) (*publisher.Published, error) {
	q := url.Values{"fields": {"id," + textField + ",timestamp,permalink"}, "limit": {strconv.Itoa(pageSize)}}
	if !since.IsZero() {
		q.Set("since", strconv.FormatInt(since.Unix(), 10))
	}
	for range maxPages {
		page, err := read(q)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Data {
			if t, err := ParseGraphTime(m.Timestamp); err == nil && !since.IsZero() && t.Before(since.Truncate(time.Second)) {
				continue
			}
			if same(m.Caption + m.Text) {
				return &publisher.Published{ExternalID: m.ID, URL: m.Permalink}, nil
			}
		}
		if !page.next(q) {
			return nil, publisher.ErrNotPublished
		}
	}
	return nil, fmt.Errorf("more than %d posts since %s; cannot tell whether the post is among them: %w",
		pageSize*maxPages, since.UTC().Format(time.RFC3339), publisher.ErrLookupUnsupported)
}

// GraphInsight is one metric of an Instagram or Threads insights answer
// (GET /{media-id}/insights): lifetime "values", or "total_value" for
// metric_type=total_value.
type GraphInsight struct {
	Name   string `json:"name"`
	Values []struct {
		Value json.RawMessage `json:"value"`
	} `json:"values"`
	TotalValue *struct {
		Value json.RawMessage `json:"value"`
	} `json:"total_value"`
}

// FillInsights records in res the wanted metrics of an insights answer: a
// number under its name, or in res.Unavailable why not — noData when the
// answer lacks it, or the platform (title) gave a breakdown or something
// else than a number.
func FillInsights(res *publisher.MetricsResult, wanted []string, data []GraphInsight, title, noData string) {
	got := map[string]GraphInsight{}
	for _, e := range data {
		got[e.Name] = e
	}
	for _, m := range wanted {
		e, ok := got[m]
		var raw json.RawMessage
		switch {
		case !ok:
		case e.TotalValue != nil:
			raw = e.TotalValue.Value
		case len(e.Values) > 0:
			raw = e.Values[len(e.Values)-1].Value
		}
		if raw == nil {
			res.Unavailable[m] = noData
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var n json.Number
		if dec.Decode(&n) != nil {
			res.Unavailable[m] = title + " reported this metric as a breakdown, not a single number."
			continue
		}
		v, err := n.Int64()
		if err != nil {
			f, ferr := n.Float64()
			if ferr != nil {
				res.Unavailable[m] = title + " reported a value that is not a number."
				continue
			}
			v = int64(f)
		}
		res.Values[m] = v
	}
}
