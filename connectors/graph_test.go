package connectors_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors"
	"github.com/prasar/prasar/publisher"
)

func graphBody(code, subcode int, extra string) string {
	sub := ""
	if subcode != 0 {
		sub = fmt.Sprintf(`,"error_subcode":%d`, subcode)
	}
	return fmt.Sprintf(`{"error":{"message":"(#%d) something","type":"OAuthException","code":%d%s%s,"fbtrace_id":"x"}}`, code, code, sub, extra)
}

func TestGraphClassifier(t *testing.T) {
	now := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	file := func(name string) string {
		b, err := os.ReadFile("testdata/graph/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	buc := func(minutes ...int) http.Header {
		var parts []string
		for i, m := range minutes {
			parts = append(parts, fmt.Sprintf(`"10%d":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":%d}]`, i, m))
		}
		return http.Header{"X-Business-Use-Case-Usage": {"{" + strings.Join(parts, ",") + "}"}}
	}
	cases := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryIn   time.Duration
		message   string
	}{
		{"expired token (doc body)", 400, nil, file("expired_token.json"), publisher.ClassAuth, "190/463", false, 0, "Session has expired"},
		{"full envelope keeps error_user_msg", 400, nil, file("envelope_full.json"), publisher.ClassAuth, "190/460", false, 0, "Message describing the error — A message"},
		{"duplicate", 400, nil, file("duplicate.json"), publisher.ClassRejected, "506/1455006", false, 0, "(#506) Duplicate status message — This status update is identical"},
		{"app limit with BUC header", 400, buc(19), file("app_limit.json"), publisher.ClassRateLimited, "4", false, 19 * time.Minute, "Application request limit"},
		{"BUC header, largest of several objects", 400, buc(3, 42), graphBody(80001, 0, ""), publisher.ClassRateLimited, "80001", false, 42 * time.Minute, ""},
		{"page limit with X-Page-Usage", 400, http.Header{"X-Page-Usage": {`{"call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":7}`}}, graphBody(32, 0, ""), publisher.ClassRateLimited, "32", false, 7 * time.Minute, ""},
		{"user limit, X-App-Usage without a time", 400, http.Header{"X-App-Usage": {`{"call_count":100,"total_cputime":25,"total_time":25}`}}, graphBody(17, 0, ""), publisher.ClassRateLimited, "17", false, 15 * time.Minute, ""},
		{"custom limit, no headers", 400, nil, graphBody(613, 0, ""), publisher.ClassRateLimited, "613", false, 15 * time.Minute, ""},
		{"application limit 341", 400, nil, graphBody(341, 0, ""), publisher.ClassRateLimited, "341", false, 15 * time.Minute, ""},
		{"unknown error 1", 400, nil, graphBody(1, 0, ""), publisher.ClassRetryable, "1", true, 0, ""},
		{"service error 2 with 500", 500, nil, file("transient.json"), publisher.ClassRetryable, "2", true, 0, "retry your request later"},
		{"unknown code marked transient", 400, nil, graphBody(9999, 0, `,"is_transient":true`), publisher.ClassRetryable, "9999", true, 0, ""},
		{"permission 10", 400, nil, graphBody(10, 0, ""), publisher.ClassAuth, "10", false, 0, "(#10) something — The account must be reconnected with the permissions"},
		{"permission 200", 403, nil, graphBody(200, 0, ""), publisher.ClassAuth, "200", false, 0, "(#200) something — The account must be reconnected"},
		{"permission 299", 400, nil, graphBody(299, 0, ""), publisher.ClassAuth, "299", false, 0, "must be reconnected"},
		{"method 3", 400, nil, graphBody(3, 0, ""), publisher.ClassAuth, "3", false, 0, "must be reconnected"},
		{"300 is not a permission code", 400, nil, graphBody(300, 0, ""), publisher.ClassRejected, "300", false, 0, ""},
		{"IG server error -1/2207001", 400, nil, graphBody(-1, 2207001, ""), publisher.ClassRetryable, "-1/2207001", true, 0, ""},
		{"IG create failed -1/2207032", 400, nil, graphBody(-1, 2207032, ""), publisher.ClassRetryable, "-1/2207032", true, 0, ""},
		{"IG upload error -1/2207053", 400, nil, graphBody(-1, 2207053, ""), publisher.ClassRetryable, "-1/2207053", true, 0, ""},
		{"IG download timeout -2/2207003", 400, nil, graphBody(-2, 2207003, ""), publisher.ClassRetryable, "-2/2207003", true, 0, ""},
		{"IG container expired -2/2207020", 400, nil, graphBody(-2, 2207020, ""), publisher.ClassRetryable, "-2/2207020", true, 0, ""},
		{"IG daily limit 9/2207042", 400, nil, file("ig_daily_limit.json"), publisher.ClassRateLimited, "9/2207042", false, 15 * time.Minute, "maximum number of posts"},
		{"IG daily limit, is_transient ignored", 400, nil, graphBody(9, 2207042, `,"is_transient":true`), publisher.ClassRateLimited, "9/2207042", false, 15 * time.Minute, ""},
		{"IG spam restriction 4/2207051: the subcode beats code 4", 400, nil, graphBody(4, 2207051, ""), publisher.ClassRejected, "4/2207051", false, 0, ""},
		{"IG image too large 36000/2207004 (doc body)", 400, nil, file("ig_image_too_large.json"), publisher.ClassRejected, "36000/2207004", false, 0, "The image size is too large. — The image is too large to download"},
		{"IG image format 36001/2207005", 400, nil, graphBody(36001, 2207005, ""), publisher.ClassRejected, "36001/2207005", false, 0, ""},
		{"IG aspect ratio 36003/2207009", 400, nil, graphBody(36003, 2207009, ""), publisher.ClassRejected, "36003/2207009", false, 0, ""},
		{"IG media fetch failed 9004/2207052", 400, nil, graphBody(9004, 2207052, ""), publisher.ClassRetryable, "9004/2207052", true, 0, ""},
		{"IG media fetch failed 9004 without subcode", 400, nil, graphBody(9004, 0, ""), publisher.ClassRetryable, "9004", true, 0, ""},
		{"IG media not ready 9007/2207027", 400, nil, graphBody(9007, 2207027, ""), publisher.ClassRetryable, "9007/2207027", true, 0, ""},
		{"IG business-use-case limit 80002", 400, buc(33), graphBody(80002, 0, ""), publisher.ClassRateLimited, "80002", false, 33 * time.Minute, ""},
		{"IG no such container 24/2207008", 400, nil, graphBody(24, 2207008, ""), publisher.ClassRejected, "24/2207008", false, 0, ""},
		{"session 102", 400, nil, graphBody(102, 0, ""), publisher.ClassAuth, "102", false, 0, ""},
		{"token 190/460 password changed", 401, nil, graphBody(190, 460, ""), publisher.ClassAuth, "190/460", false, 0, ""},
		{"token 190/492 lost the Page role", 400, nil, graphBody(190, 492, ""), publisher.ClassAuth, "190/492", false, 0, ""},
		{"no token 104", 400, nil, graphBody(104, 0, ""), publisher.ClassAuth, "104", false, 0, ""},
		{"blocked 368", 400, nil, graphBody(368, 0, ""), publisher.ClassRejected, "368", false, 0, ""},
		{"invalid metric 100", 400, nil, file("invalid_metric.json"), publisher.ClassRejected, "100", false, 0, "valid insights metric"},
		{"link 1609005", 400, nil, graphBody(1609005, 0, ""), publisher.ClassRejected, "1609005", false, 0, ""},
		{"unknown code on 400", 400, nil, graphBody(12345, 0, ""), publisher.ClassRejected, "12345", false, 0, ""},
		{"unknown code on 503", 503, nil, graphBody(12345, 0, ""), publisher.ClassRetryable, "12345", true, 0, ""},
		{"no envelope, 502 HTML", 502, http.Header{"Content-Type": {"text/html"}}, "<html>Bad Gateway</html>", publisher.ClassRetryable, "502", true, 0, "HTTP 502"},
	}
	g := connectors.GraphClassifier{Now: func() time.Time { return now }}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.header == nil {
				c.header = http.Header{}
			}
			pe := g.Classify(&connectors.Response{StatusCode: c.status, Header: c.header, Body: []byte(c.body)})
			if pe.Class != c.class || pe.Code != c.code || pe.Ambiguous != c.ambiguous || !strings.Contains(pe.Message, c.message) {
				t.Errorf("got %s %q ambiguous=%v %q; want %s %q ambiguous=%v containing %q", pe.Class, pe.Code, pe.Ambiguous, pe.Message, c.class, c.code, c.ambiguous, c.message)
			}
			wantAt := time.Time{}
			if c.retryIn > 0 {
				wantAt = now.Add(c.retryIn)
			}
			if !pe.RetryAt.Equal(wantAt) {
				t.Errorf("RetryAt %s, want %s", pe.RetryAt, wantAt)
			}
			var ge *connectors.GraphError
			if c.status < 500 && !errors.As(pe, &ge) {
				t.Error("the *GraphError is not kept in Err")
			}
		})
	}
}

func TestGraphClassifierOverrides(t *testing.T) {
	g := connectors.GraphClassifier{
		DefaultBackoff: time.Hour,
		Codes:          map[int]publisher.ErrorClass{9: publisher.ClassRateLimited},
		Subcodes:       map[int]publisher.ErrorClass{2207051: publisher.ClassRejected},
	}
	before := time.Now()
	pe := g.Classify(&connectors.Response{StatusCode: 400, Header: http.Header{}, Body: []byte(graphBody(9, 0, ""))})
	if pe.Class != publisher.ClassRateLimited || pe.RetryAt.Before(before.Add(time.Hour)) {
		t.Errorf("code override: %s %s", pe.Class, pe.RetryAt)
	}
	pe = g.Classify(&connectors.Response{StatusCode: 400, Header: http.Header{}, Body: []byte(graphBody(9, 2207051, ""))})
	if pe.Class != publisher.ClassRejected {
		t.Errorf("subcode override: %s", pe.Class)
	}
}

func TestGraphUsageReset(t *testing.T) {
	cases := []struct {
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{http.Header{}, 0, false},
		{http.Header{"X-Business-Use-Case-Usage": {`not json`}}, 0, false},
		{http.Header{"X-Business-Use-Case-Usage": {`{"1":[{"type":"pages","estimated_time_to_regain_access":0}]}`}}, 0, false},
		{http.Header{"X-Business-Use-Case-Usage": {`{"1":[{"type":"pages","estimated_time_to_regain_access":5},{"type":"instagram","estimated_time_to_regain_access":9}]}`}}, 9 * time.Minute, true},
		{http.Header{"X-App-Usage": {`{"call_count":100,"estimated_time_to_regain_access":2}`}}, 2 * time.Minute, true},
	}
	for _, c := range cases {
		got, ok := connectors.GraphUsageReset(c.header)
		if got != c.want || ok != c.ok {
			t.Errorf("%v: got %s %v, want %s %v", c.header, got, ok, c.want, c.ok)
		}
	}
}
