package facebook_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/facebook"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
	"github.com/prasar/prasar/publisher/benchcpu"
)

// BenchmarkPublish20 publishes text posts to the sandbox's Graph API over
// HTTP from 20 goroutines at once, on 1,000 Pages: the platform call of
// `make bench`'s fan-out on its own, the connector and the sandbox server
// both in this process. ns/op and cpu-µs/op are per post.
func BenchmarkPublish20(b *testing.B) {
	const workers, pages = 20, 1000
	sb := sandbox.New(sandbox.Options{Secret: []byte("bench secret")})
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	fb := facebook.New(facebook.Config{GraphURL: srv.URL + sandbox.FacebookGraphPath, WebURL: srv.URL + sandbox.FacebookWebPath})
	accts := make([]*publisher.Account, pages)
	creds := make([]publisher.Credentials, pages)
	for i := range accts {
		ext := fmt.Sprintf("9%08d", i)
		accts[i] = &publisher.Account{ID: "a" + ext, Platform: publisher.Facebook, ExternalID: ext, Handle: "@bench" + ext}
		creds[i] = publisher.Credentials{AccessToken: sb.MintToken("facebook", ext, "Bench Page", 24*time.Hour)}
	}
	b.ResetTimer()
	cpu := benchcpu.Now()
	benchcpu.Spread(b, workers, func(i int) error {
		msg := publisher.Message{DeliveryID: fmt.Sprintf("d%d", i), Text: fmt.Sprintf("बेंचमार्क पोस्ट %d — हरियाणा सरकार", i)}
		_, err := fb.Publish(b.Context(), accts[i%pages], creds[i%pages], msg)
		return err
	})
	benchcpu.Report(b, cpu)
}
