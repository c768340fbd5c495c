package x

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/prasar/prasar/publisher"
)

// Delete removes a post with DELETE /2/tweets/{id}. A post that is already
// gone (404) is not an error.
func (c *Connector) Delete(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) error {
	tok, err := token(acct, cred)
	if err != nil {
		return err
	}
	if !isID(externalID) {
		return rejected("%q is not an X post id.", externalID)
	}
	resp, err := c.send(ctx, http.MethodDelete, "/2/tweets/"+externalID, nil, tok, "", nil)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	if !resp.OK() {
		return c.classify(resp)
	}
	var out struct {
		Data struct {
			Deleted bool `json:"deleted"`
		} `json:"data"`
	}
	if err := c.decode(resp, http.MethodDelete, &out); err != nil {
		return err
	}
	if !out.Data.Deleted {
		return &publisher.PlatformError{Class: publisher.ClassRetryable, Message: "X answered that the post was not deleted."}
	}
	return nil
}

// knownMetrics are the metrics X documents in each metrics field
// (platform-apis.md §3.7). They name what a refused field leaves
// unavailable and what a returned field is expected to hold.
var knownMetrics = map[string][]string{
	"public_metrics":     {"impression_count", "like_count", "retweet_count", "reply_count", "quote_count", "bookmark_count"},
	"non_public_metrics": {"impression_count", "url_link_clicks", "user_profile_clicks", "engagements"},
	"organic_metrics":    {"impression_count", "like_count", "reply_count", "retweet_count", "url_link_clicks", "user_profile_clicks"},
	"promoted_metrics":   {"impression_count", "like_count", "reply_count", "retweet_count", "url_link_clicks", "user_profile_clicks"},
}

// FetchMetrics reads GET /2/tweets/{id}?tweet.fields=<MetricFields> and
// returns every number by its field-qualified name
// ("public_metrics.impression_count", "non_public_metrics.engagements", …).
//
// One field never fails the reading:
//   - a field X reports in errors[] of a 200 answer (non_public_metrics
//     and organic_metrics of a post older than 30 days, or of another
//     account's post) puts its metrics in Unavailable with X's words;
//   - a field X refuses as an invalid tweet.fields value (deprecated or
//     removed) is dropped, reported in Unavailable, and the call repeated
//     without it;
//   - a field, or a documented metric, that X silently leaves out is
//     reported in Unavailable too.
//
// A post X no longer has is a ClassRejected error.
func (c *Connector) FetchMetrics(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) (*publisher.MetricsResult, error) {
	tok, err := token(acct, cred)
	if err != nil {
		return nil, err
	}
	if !isID(externalID) {
		return nil, rejected("%q is not an X post id.", externalID)
	}
	res := &publisher.MetricsResult{Values: map[string]int64{}, Unavailable: map[string]string{}}
	fields := slices.Clone(c.cfg.MetricFields)
	for len(fields) > 0 {
		q := url.Values{"tweet.fields": {strings.Join(fields, ",")}}
		resp, err := c.send(ctx, http.MethodGet, "/2/tweets/"+externalID, q, tok, "", nil)
		if err != nil {
			pe := *publisher.AsPlatformError(err)
			pe.Ambiguous = false
			return nil, &pe
		}
		if resp.StatusCode == http.StatusBadRequest {
			if bad := refusedFields(resp.Body, fields); len(bad) > 0 {
				msg := parseProblem(resp.Body).message()
				for _, f := range bad {
					unavailable(res, f, msg)
				}
				fields = slices.DeleteFunc(fields, func(f string) bool { return slices.Contains(bad, f) })
				continue
			}
		}
		if !resp.OK() {
			pe := c.classify(resp)
			pe.Ambiguous = false
			return nil, pe
		}
		var out struct {
			Data   map[string]json.RawMessage `json:"data"`
			Errors []problemEntry             `json:"errors"`
		}
		if err := c.decode(resp, http.MethodGet, &out); err != nil {
			return nil, err
		}
		if out.Data == nil {
			msg := "X answered without the post."
			if len(out.Errors) > 0 {
				msg = "X no longer has the post: " + out.Errors[0].text()
			}
			return nil, rejected("%s", msg)
		}
		for _, f := range fields {
			if raw, ok := out.Data[f]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
				collect(res, f, raw)
				continue
			}
			reason := "X returned no " + f + " for this post."
			for _, e := range out.Errors {
				if e.Field == f || e.Parameter == f || strings.Contains(e.text(), f) {
					reason = e.text()
					break
				}
			}
			unavailable(res, f, reason)
		}
		break
	}
	if len(res.Unavailable) == 0 {
		res.Unavailable = nil
	}
	return res, nil
}

// collect adds the numbers of one metrics field, named "field.metric"
// (nested objects add further dots), and reports documented metrics that
// are missing.
func collect(res *publisher.MetricsResult, field string, raw json.RawMessage) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		unavailable(res, field, "X returned "+field+" in an unexpected shape.")
		return
	}
	for k, v := range m {
		name := field + "." + k
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if dec.Decode(&n) == nil {
			if i, err := n.Int64(); err == nil {
				res.Values[name] = i
				continue
			}
		}
		if bytes.HasPrefix(bytes.TrimSpace(v), []byte("{")) {
			collect(res, name, v)
			continue
		}
		res.Unavailable[name] = "X returned a value that is not a whole number."
	}
	for _, k := range knownMetrics[field] {
		if _, ok := m[k]; !ok {
			res.Unavailable[field+"."+k] = "X returned no " + k + " in " + field + " for this post."
		}
	}
}

// unavailable reports a whole field: each of its documented metrics, or
// the field itself when none are known.
func unavailable(res *publisher.MetricsResult, field, reason string) {
	known := knownMetrics[field]
	if len(known) == 0 {
		res.Unavailable[field] = reason
		return
	}
	for _, k := range known {
		res.Unavailable[field+"."+k] = reason
	}
}

// refusedFields returns the fields of a 400 invalid-request answer that X
// named as invalid tweet.fields values: from errors[].parameters, or from
// its message "The `tweet.fields` query parameter value [a,b] is not one
// of […]".
func refusedFields(body []byte, asked []string) []string {
	p := parseProblem(body)
	if kind(p.Type) != "invalid-request" {
		return nil
	}
	var bad []string
	add := func(v string) {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); slices.Contains(asked, f) && !slices.Contains(bad, f) {
				bad = append(bad, f)
			}
		}
	}
	for _, e := range p.Errors {
		for _, v := range e.Parameters["tweet.fields"] {
			add(v)
		}
		if _, rest, ok := strings.Cut(e.Message, "`tweet.fields` query parameter value ["); ok {
			if v, _, ok := strings.Cut(rest, "]"); ok {
				add(v)
			}
		}
	}
	return bad
}
