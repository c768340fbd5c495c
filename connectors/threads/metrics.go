package threads

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/prasar/prasar/connectors"
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

func (c *Connector) insights(ctx context.Context, token, id string, metrics []string) ([]connectors.GraphInsight, error) {
	var out struct {
		Data []connectors.GraphInsight `json:"data"`
	}
	err := c.call(ctx, http.MethodGet, "/"+url.PathEscape(id)+"/insights", url.Values{"metric": {strings.Join(metrics, ",")}}, token, nil, &out)
	if err != nil {
		return nil, notAmbiguous(err)
	}
	return out.Data, nil
}

func invalidRequest(err error) bool {
	ge := graphError(err)
	return ge != nil && ge.Code == 100
}

// fill records the wanted metrics from data.
func fill(res *publisher.MetricsResult, wanted []string, data []connectors.GraphInsight) {
	connectors.FillInsights(res, wanted, data, "Threads", noDataYet)
}
