package facebook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// DefaultMetrics are the post insights known to work after Meta's
// 2025–26 removals (platform-apis.md §1.7): reach and views by their new
// names, clicks, reactions by type, and activity (comments, shares).
var DefaultMetrics = []string{
	"post_total_media_view_unique", "post_media_view", "post_clicks",
	"post_reactions_like_total", "post_reactions_love_total", "post_reactions_wow_total",
	"post_reactions_haha_total", "post_reactions_sorry_total", "post_reactions_anger_total",
	"post_activity_by_action_type",
}

var _ publisher.MetricsFetcher = (*Connector)(nil)

// noData is the Unavailable reason for a metric Facebook answered without.
const noData = "Facebook has no data for this metric yet (Page insights update about once a day, and exist only for Pages with 100 or more likes)."

// FetchMetrics reads the post's lifetime insights for the configured
// Metrics. One removed metric fails a whole Graph insights request with
// #100 ("The value must be a valid insights metric"), so on such a refusal
// it asks for each metric on its own and reports only the refused ones in
// Unavailable, with Facebook's words. A breakdown metric (an object of
// counts, such as post_activity_by_action_type) is flattened into
// "<metric>.<key>" values. Auth, rate-limit and transport failures fail the
// whole reading.
func (c *Connector) FetchMetrics(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) (*publisher.MetricsResult, error) {
	_, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	if externalID == "" || strings.ContainsAny(externalID, "/?#&% ") {
		return nil, &publisher.PlatformError{Class: publisher.ClassRejected, Message: "\"" + externalID + "\" is not a Facebook post id."}
	}
	res := &publisher.MetricsResult{Values: map[string]int64{}, Unavailable: map[string]string{}}
	data, err := c.insights(ctx, token, externalID, c.cfg.Metrics)
	switch {
	case err == nil:
		fill(res, c.cfg.Metrics, data)
	case invalidMetric(err) && len(c.cfg.Metrics) > 1:
		for _, m := range c.cfg.Metrics {
			data, err := c.insights(ctx, token, externalID, []string{m})
			switch {
			case err == nil:
				fill(res, []string{m}, data)
			case invalidMetric(err):
				res.Unavailable[m] = publisher.AsPlatformError(err).Message
			default:
				return nil, err
			}
		}
	case invalidMetric(err):
		res.Unavailable[c.cfg.Metrics[0]] = publisher.AsPlatformError(err).Message
	default:
		return nil, err
	}
	if len(res.Unavailable) == 0 {
		res.Unavailable = nil
	}
	return res, nil
}

type insight struct {
	Name   string `json:"name"`
	Values []struct {
		Value json.RawMessage `json:"value"`
	} `json:"values"`
}

func (c *Connector) insights(ctx context.Context, token, postID string, metrics []string) ([]insight, error) {
	var out struct {
		Data []insight `json:"data"`
	}
	q := url.Values{"metric": {strings.Join(metrics, ",")}, "period": {"lifetime"}}
	c.proof(q, token)
	if err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(postID)+"/insights", q, token, "", nil, &out); err != nil {
		// A failed read never published anything.
		var pe *publisher.PlatformError
		if errors.As(err, &pe) {
			pe.Ambiguous = false
		}
		return nil, err
	}
	return out.Data, nil
}

// invalidMetric reports whether err is Graph's #100 refusal of a metric.
func invalidMetric(err error) bool {
	var ge *connectors.GraphError
	return errors.As(err, &ge) && ge.Code == 100
}

// fill records the wanted metrics from data: numbers as they are, and
// breakdowns flattened into "<metric>.<key>".
func fill(res *publisher.MetricsResult, wanted []string, data []insight) {
	got := map[string]insight{}
	for _, e := range data {
		got[e.Name] = e
	}
	for _, m := range wanted {
		e, ok := got[m]
		if !ok || len(e.Values) == 0 {
			res.Unavailable[m] = noData
			continue
		}
		raw := e.Values[len(e.Values)-1].Value
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			res.Unavailable[m] = "Facebook reported a value that cannot be read."
			continue
		}
		switch x := v.(type) {
		case json.Number:
			if n, ok := number(x); ok {
				res.Values[m] = n
			} else {
				res.Unavailable[m] = "Facebook reported a value that is not a number."
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if jn, ok := x[k].(json.Number); ok {
					if n, ok := number(jn); ok {
						res.Values[m+"."+k] = n
					}
				}
			}
		default:
			res.Unavailable[m] = "Facebook reported a value that is not a number."
		}
	}
}

func number(n json.Number) (int64, bool) {
	if v, err := n.Int64(); err == nil {
		return v, true
	}
	f, err := n.Float64()
	return int64(f), err == nil
}
