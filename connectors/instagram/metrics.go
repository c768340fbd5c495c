package instagram

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

// noDataYet is the Unavailable reason for a metric Instagram answered
// without: its documented "empty data set rather than 0".
const noDataYet = "Instagram has no data for this metric yet (insights can lag up to 48 hours)."

// FetchMetrics reads the media's insights for the configured Metrics (their
// names as the configured API version knows them; platform-apis.md §2.6).
// It asks for all of them at once; if Instagram refuses the request as
// invalid (one deprecated metric — impressions, plays… — fails the whole
// request with #100), it asks for each metric on its own, so that only the
// refused ones land in Unavailable, with Instagram's words. A metric
// Instagram answers without (an empty data set) is "not available", never
// zero; so are all of them when the media has too few viewers for insights
// (#10). Auth, rate-limit and transport failures fail the whole reading.
func (c *Connector) FetchMetrics(ctx context.Context, acct *publisher.Account, cred publisher.Credentials, externalID string) (*publisher.MetricsResult, error) {
	_, token, err := target(acct, cred)
	if err != nil {
		return nil, err
	}
	if externalID == "" || strings.ContainsAny(externalID, "/?#&% ") {
		return nil, rejected("%q is not an Instagram media id.", externalID)
	}
	res := &publisher.MetricsResult{Values: map[string]int64{}, Unavailable: map[string]string{}}
	data, err := c.insights(ctx, token, externalID, c.cfg.Metrics)
	switch {
	case err == nil:
		fill(res, c.cfg.Metrics, data)
	case fewViewers(err):
		for _, m := range c.cfg.Metrics {
			res.Unavailable[m] = publisher.AsPlatformError(err).Message
		}
	case invalidRequest(err) && len(c.cfg.Metrics) > 1:
		for _, m := range c.cfg.Metrics {
			data, err := c.insights(ctx, token, externalID, []string{m})
			switch {
			case err == nil:
				fill(res, []string{m}, data)
			case invalidRequest(err) || fewViewers(err):
				res.Unavailable[m] = publisher.AsPlatformError(err).Message
			default:
				return nil, err
			}
		}
	case invalidRequest(err):
		res.Unavailable[c.cfg.Metrics[0]] = publisher.AsPlatformError(err).Message
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

// graphError returns the Graph error behind err, if any.
func graphError(err error) *connectors.GraphError {
	var ge *connectors.GraphError
	if errors.As(err, &ge) {
		return ge
	}
	return nil
}

// invalidRequest reports a #100: a metric the version does not know.
func invalidRequest(err error) bool {
	ge := graphError(err)
	return ge != nil && ge.Code == 100
}

// fewViewers reports Instagram's "(#10) Not enough viewers for the media to
// show insights": no data, not a missing permission.
func fewViewers(err error) bool {
	ge := graphError(err)
	return ge != nil && ge.Code == 10 && strings.Contains(strings.ToLower(ge.Message), "not enough viewers")
}

// fill records the wanted metrics from data.
func fill(res *publisher.MetricsResult, wanted []string, data []connectors.GraphInsight) {
	connectors.FillInsights(res, wanted, data, "Instagram", noDataYet)
}
