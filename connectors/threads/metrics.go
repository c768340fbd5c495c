package threads

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/prasar/prasar/publisher"
)

const noDataYet = "Threads has no data for this metric yet."

// FetchMetrics reads the post's insights for the configured Metrics. It
// asks for all at once; if Threads refuses the request as invalid (#100:
// one metric it does not know fails the whole request), it asks for each
// metric on its own, so that only the refused ones land in Unavailable,
// with Threads' words. A metric Threads answers without is "not
// available", never zero. Auth, rate-limit and transport failures fail the
// whole reading.
func (c *Connector) FetchMetrics(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) (*publisher.MetricsResult, error) {
	_, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	if !validID(externalID) {
		return nil, rejected("%q is not a Threads post id.", externalID)
	}
	res := &publisher.MetricsResult{Values: map[string]int64{}, Unavailable: map[string]string{}}
	data, err := c.insights(ctx, token, externalID, c.cfg.Metrics)
	switch {
	case err == nil:
		fill(res, c.cfg.Metrics, data)
	case invalidRequest(err):
		for _, m := range c.cfg.Metrics {
			data, err := c.insights(ctx, token, externalID, []string{m})
			switch {
			case err == nil:
				fill(res, []string{m}, data)
			case invalidRequest(err):
				res.Unavailable[m] = publisher.AsPlatformError(err).Message
			default:
				return nil, err
			}
		}
	default:
		return nil, err
	}
	if len(res.Unavailable) == 0 {
		res.Unavailable = nil
	}
	return res, nil
}

type insightEntry struct {
	Name   string `json:"name"`
	Values []struct {
		Value json.RawMessage `json:"value"`
	} `json:"values"`
	TotalValue *struct {
		Value json.RawMessage `json:"value"`
	} `json:"total_value"`
}

func (c *Connector) insights(ctx context.Context, token, id string, metrics []string) ([]insightEntry, error) {
	var out struct {
		Data []insightEntry `json:"data"`
	}
	err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(id)+"/insights", url.Values{"metric": {strings.Join(metrics, ",")}}, token, nil, &out)
	if err != nil {
		return nil, notAmbiguous(err)
	}
	return out.Data, nil
}

func fill(res *publisher.MetricsResult, wanted []string, data []insightEntry) {
	got := map[string]insightEntry{}
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
			res.Unavailable[m] = noDataYet
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var n json.Number
		if dec.Decode(&n) != nil {
			res.Unavailable[m] = "Threads reported this metric as a breakdown, not a single number."
			continue
		}
		v, err := n.Int64()
		if err != nil {
			f, ferr := n.Float64()
			if ferr != nil {
				res.Unavailable[m] = "Threads reported a value that is not a number."
				continue
			}
			v = int64(f)
		}
		res.Values[m] = v
	}
}

func invalidRequest(err error) bool {
	ge := graphError(err)
	return ge != nil && ge.Code == 100
}
