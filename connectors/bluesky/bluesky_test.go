package bluesky_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/bluesky"
	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/publisher"
)

const handle = "agriharyana.bsky.social"

func TestPublishAgainstSandbox(t *testing.T) {
	e := newEnv(t, bluesky.Config{})
	acct, cred := e.connect(handle)
	ctx := context.Background()
	// Devanagari before the link: its facet must be in UTF-8 bytes, which
	// the sandbox checks against the text the facet covers.
	msg := publisher.Message{DeliveryID: "d1", Text: "हरियाणा सरकार की नई योजना #किसान", Link: "https://haryana.gov.in/scheme", Languages: []string{"hi"}}
	pub, err := e.c.Publish(ctx, acct, cred, msg)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	posts := e.posts(acct.ExternalID)
	if len(posts) != 1 || posts[0].ID != pub.ExternalID || posts[0].Text != msg.Text+"\n\n"+msg.Link || posts[0].Link != msg.Link ||
		!strings.HasSuffix(pub.ExternalID, "/app.bsky.feed.post/"+bluesky.RecordKey("d1")) {
		t.Fatalf("sandbox received %+v; published %+v", posts, pub)
	}
	if pub.URL != e.cfg.WebURL+"/profile/"+handle+"/post/"+bluesky.RecordKey("d1") {
		t.Errorf("URL %s", pub.URL)
	}
	resp, err := http.Get(pub.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "हरियाणा सरकार की नई योजना") {
		t.Errorf("the post's URL %s does not show it: %d", pub.URL, resp.StatusCode)
	}
	// The record as stored: facets over the right bytes.
	resp, err = http.Get(e.cfg.ServiceURL + "/xrpc/com.atproto.repo.getRecord?" + url.Values{"repo": {handle}, "collection": {"app.bsky.feed.post"}, "rkey": {bluesky.RecordKey("d1")}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Value struct {
			Text   string
			Langs  []string
			Facets []struct {
				Index    struct{ ByteStart, ByteEnd int }
				Features []map[string]string
			}
		}
	}
	json.NewDecoder(resp.Body).Decode(&rec)
	resp.Body.Close()
	if len(rec.Value.Facets) != 2 || strings.Join(rec.Value.Langs, ",") != "hi" {
		t.Fatalf("record %+v", rec)
	}
	for _, f := range rec.Value.Facets {
		covered := rec.Value.Text[f.Index.ByteStart:f.Index.ByteEnd]
		if ft := f.Features[0]; (ft["uri"] != "" && covered != ft["uri"]) || (ft["tag"] != "" && covered != "#"+ft["tag"]) {
			t.Errorf("facet %+v covers %q", f, covered)
		}
	}
	// Every post reuses the session: one createSession in all.
	for i := range 5 {
		if _, err := e.c.Publish(ctx, acct, cred, publisher.Message{DeliveryID: "d-more-" + strconv.Itoa(i), Text: "more " + strconv.Itoa(i)}); e.check(err) != nil {
			t.Fatal(err)
		}
	}
	if n := e.calls("com.atproto.server.createSession"); n != 1 {
		t.Errorf("%d createSession calls, want 1", n)
	}
}

// TestFacetsCharacterOffsetsWouldBeRefused proves the sandbox check the
// facet test above relies on: a facet at character offsets is refused.
func TestFacetsCharacterOffsetsWouldBeRefused(t *testing.T) {
	e := newEnv(t, bluesky.Config{})
	acct, cred := e.connect(handle)
	text := "हरियाणा https://a.in"
	rec := map[string]any{"repo": acct.ExternalID, "collection": "app.bsky.feed.post", "record": map[string]any{
		"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-08-01T04:30:00.000Z",
		"facets": []any{map[string]any{"index": map[string]int{"byteStart": 8, "byteEnd": 20}, // runes, not bytes
			"features": []any{map[string]string{"$type": "app.bsky.richtext.facet#link", "uri": "https://a.in"}}}}}}
	b, _ := json.Marshal(rec)
	req, _ := http.NewRequest("POST", e.cfg.ServiceURL+"/xrpc/com.atproto.repo.createRecord", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+cred.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("a facet at rune offsets: %d, want 400", resp.StatusCode)
	}
}

func TestPublishImagesAgainstSandbox(t *testing.T) {
	e := newEnv(t, bluesky.Config{})
	acct, cred := e.connect(handle)
	msg := publisher.Message{DeliveryID: "d1", Text: "फोटो", Media: []publisher.MediaRef{image("a", png1), image("b", png1)}}
	if _, err := e.c.Publish(context.Background(), acct, cred, msg); e.check(err) != nil {
		t.Fatal(err)
	}
	posts := e.posts(acct.ExternalID)
	if len(posts) != 1 || len(posts[0].Images) != 2 || posts[0].Images[1].AltText != "alt b" || posts[0].Images[0].ContentType != "image/png" {
		t.Fatalf("sandbox received %+v", posts)
	}
}

func TestRulesAndMeasure(t *testing.T) {
	c := bluesky.New(bluesky.Config{})
	r := c.Rules()
	if r.Platform != publisher.Bluesky || r.MaxChars != 300 || r.CountUnit != "graphemes" || r.MaxImages != 4 || r.MaxImageBytes != 1000000 ||
		strings.Join(r.ImageTypes, ",") != "image/jpeg,image/png,image/webp" || !r.Enabled || c.Platform() != publisher.Bluesky {
		t.Errorf("rules %+v", r)
	}
	cases := []struct {
		msg  publisher.Message
		want int
	}{
		{publisher.Message{Text: "hello"}, 5},
		{publisher.Message{Text: "नमस्ते"}, 4},
		{publisher.Message{Text: "🇮🇳 👍🏽"}, 3},
		{publisher.Message{Text: "hi", Link: "https://a.in"}, 2 + 2 + 12},
	}
	for _, tc := range cases {
		if m := c.Measure(tc.msg); m.Count != tc.want || m.Limit != 300 {
			t.Errorf("Measure(%q) = %+v, want %d", tc.msg.Text, m, tc.want)
		}
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	e := newEnv(t, bluesky.Config{MaxImageBytes: 100})
	acct, cred := e.connect(handle)
	big := image("big", bytes.Repeat([]byte{1}, 200))
	big.Size = 50
	cases := []struct {
		name  string
		acct  *publisher.Account
		cred  publisher.Credentials
		msg   publisher.Message
		class publisher.ErrorClass
	}{
		{"too many graphemes", acct, cred, publisher.Message{Text: strings.Repeat("क", 301)}, publisher.ClassRejected},
		{"too many bytes", acct, cred, publisher.Message{Text: strings.Repeat("क्ष", 250)}, publisher.ClassRejected},
		{"too many images", acct, cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{image("1", png1), image("2", png1), image("3", png1), image("4", png1), image("5", png1)}}, publisher.ClassRejected},
		{"wrong type", acct, cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{{ID: "g", ContentType: "image/gif", Size: 1}}}, publisher.ClassRejected},
		{"image too big", acct, cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{big}}, publisher.ClassRejected},
		{"empty", acct, cred, publisher.Message{}, publisher.ClassRejected},
		{"no DID", &publisher.Account{ExternalID: handle}, cred, publisher.Message{Text: "x"}, publisher.ClassAuth},
		{"no session", acct, publisher.Credentials{}, publisher.Message{Text: "x"}, publisher.ClassAuth},
	}
	for _, c := range cases {
		_, err := e.c.Publish(context.Background(), c.acct, c.cred, c.msg)
		if pe := asPlatformError(t, e.check(err)); pe.Class != c.class || pe.Ambiguous {
			t.Errorf("%s: %s ambiguous=%v %q", c.name, pe.Class, pe.Ambiguous, pe.Message)
		}
	}
	if n := e.calls("com.atproto.repo.createRecord") + e.calls("com.atproto.repo.uploadBlob"); n != 0 {
		t.Errorf("%d calls reached the sandbox", n)
	}
}

func TestPublishErrorClasses(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(e *env, did string, cred *publisher.Credentials)
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryIn   time.Duration
	}{
		{"access token expired", func(e *env, did string, cred *publisher.Credentials) { e.clock.Advance(3 * time.Hour) },
			publisher.ClassAuth, "ExpiredToken", false, 0},
		{"expired (fault)", func(e *env, did string, cred *publisher.Credentials) {
			e.fault(did, sandbox.Fault{Kind: sandbox.FaultExpiredToken})
		}, publisher.ClassAuth, "ExpiredToken", false, 0},
		{"a refresh token used as access token", func(e *env, did string, cred *publisher.Credentials) { cred.AccessToken = cred.RefreshToken },
			publisher.ClassAuth, "InvalidToken", false, 0},
		{"a forged token", func(e *env, did string, cred *publisher.Credentials) { cred.AccessToken = "a.b.c" },
			publisher.ClassAuth, "InvalidToken", false, 0},
		{"rate limit (fault)", func(e *env, did string, cred *publisher.Credentials) {
			e.fault(did, sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 11 * time.Minute})
		}, publisher.ClassRateLimited, "RateLimitExceeded", false, 11 * time.Minute},
		{"write points for the hour", func(e *env, did string, cred *publisher.Credentials) {
			// 5000 points, 3 a create: 1666 creates fit.
			acct := &publisher.Account{ExternalID: did}
			for i := range 1666 {
				if _, err := e.c.Publish(context.Background(), acct, *cred, publisher.Message{Text: "n" + strconv.Itoa(i)}); err != nil {
					e.t.Fatalf("create %d: %v", i, err)
				}
			}
			e.clock.Advance(20 * time.Minute) // 04:50; the window ends at 05:00
		}, publisher.ClassRateLimited, "RateLimitExceeded", false, 10 * time.Minute},
		{"500", func(e *env, did string, cred *publisher.Credentials) {
			e.fault(did, sandbox.Fault{Kind: sandbox.FaultServerError})
		},
			publisher.ClassRetryable, "InternalServerError", true, 0},
		{"timeout after the server accepted", func(e *env, did string, cred *publisher.Credentials) {
			e.fault(did, sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second})
		}, publisher.ClassRetryable, "", true, 0},
		{"connection dropped after commit", func(e *env, did string, cred *publisher.Credentials) {
			e.fault(did, sandbox.Fault{Kind: sandbox.FaultDropAfterCommit})
		}, publisher.ClassRetryable, "", true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, bluesky.Config{})
			acct, cred := e.connect(handle)
			c.setup(e, acct.ExternalID, &cred)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := e.c.Publish(ctx, acct, cred, publisher.Message{DeliveryID: "d-err", Text: "the text"})
			pe := asPlatformError(t, e.check(err))
			if pe.Class != c.class || pe.Code != c.code || pe.Ambiguous != c.ambiguous || pe.Message == "" {
				t.Errorf("got %s %q ambiguous=%v (%s); want %s %q ambiguous=%v", pe.Class, pe.Code, pe.Ambiguous, pe.Message, c.class, c.code, c.ambiguous)
			}
			if c.retryIn > 0 && !pe.RetryAt.Equal(e.clock.Now().Add(c.retryIn)) {
				t.Errorf("RetryAt %s, want now+%s", pe.RetryAt, c.retryIn)
			}
		})
	}
}

func TestConnectionRefusedIsNotAmbiguous(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c := bluesky.New(bluesky.Config{ServiceURL: "http://" + addr})
	_, err := c.Publish(context.Background(), goldenAcct, goldenCred, publisher.Message{Text: "x"})
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("got %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
}

// TestExactlyOnceAfterAmbiguousFailure follows Service.Deliver's protocol:
// an ambiguous failure is followed by Lookup (getRecord of the delivery's
// key), and Publish only if Lookup says the post is not there. It also
// shows that publishing again regardless cannot make a second post.
func TestExactlyOnceAfterAmbiguousFailure(t *testing.T) {
	cases := []struct {
		name      string
		fault     sandbox.Fault
		committed bool
	}{
		{"connection dropped after commit", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1}, true},
		{"timeout, then the PDS finished", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second, Times: 1}, true},
		{"500 after committing", sandbox.Fault{Kind: sandbox.FaultServerError, Commit: true, Times: 1}, true},
		{"connection dropped before acting", sandbox.Fault{Kind: sandbox.FaultDrop, Times: 1}, false},
		{"500 without acting", sandbox.Fault{Kind: sandbox.FaultServerError, Times: 1}, false},
	}
	for _, c := range cases {
		for _, media := range []int{0, 2} {
			t.Run(c.name+"/"+strconv.Itoa(media)+" images", func(t *testing.T) {
				e := newEnv(t, bluesky.Config{})
				acct, cred := e.connect(handle)
				msg := publisher.Message{DeliveryID: "d1", Text: "परिणाम घोषित", Link: "https://haryana.gov.in/r"}
				for i := range media {
					msg.Media = append(msg.Media, image("m"+strconv.Itoa(i), png1))
				}
				e.fault(acct.ExternalID, c.fault)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_, err := e.c.Publish(ctx, acct, cred, msg)
				if pe := asPlatformError(t, e.check(err)); !pe.Ambiguous || pe.Class != publisher.ClassRetryable {
					t.Fatalf("first attempt: %s ambiguous=%v, want retryable and ambiguous", pe.Class, pe.Ambiguous)
				}
				if c.committed {
					deadline := time.Now().Add(5 * time.Second)
					for len(e.posts(acct.ExternalID)) == 0 && time.Now().Before(deadline) {
						time.Sleep(10 * time.Millisecond)
					}
				}
				pub, err := e.c.Lookup(context.Background(), acct, cred, msg, e.clock.Now().Add(-time.Minute))
				switch {
				case c.committed && e.check(err) != nil:
					t.Fatalf("Lookup: %v, want the committed post", err)
				case c.committed:
					if pub.ExternalID != e.posts(acct.ExternalID)[0].ID {
						t.Errorf("Lookup found %s", pub.ExternalID)
					}
					// Publishing again anyway cannot duplicate it: the
					// key is taken (the PDS answers 500, ambiguous).
					_, err := e.c.Publish(context.Background(), acct, cred, msg)
					if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassRetryable || !pe.Ambiguous {
						t.Errorf("a repeat: %s ambiguous=%v", pe.Class, pe.Ambiguous)
					}
				case !errors.Is(err, publisher.ErrNotPublished):
					t.Fatalf("Lookup: %v, want ErrNotPublished", err)
				default:
					if _, err := e.c.Publish(context.Background(), acct, cred, msg); e.check(err) != nil {
						t.Fatalf("second attempt: %v", err)
					}
				}
				visible := 0
				for _, p := range e.posts(acct.ExternalID) {
					if p.Visible(e.clock.Now()) {
						visible++
					}
				}
				if visible != 1 {
					t.Errorf("%d posts on the account, want exactly 1", visible)
				}
			})
		}
	}
}

// TestDuplicateKeyExplicitError: a PDS that names the conflict (the
// sandbox's FaultDuplicate) gets the existing post back.
func TestDuplicateKeyExplicitError(t *testing.T) {
	e := newEnv(t, bluesky.Config{})
	acct, cred := e.connect(handle)
	msg := publisher.Message{DeliveryID: "d1", Text: "एक बार"}
	first, err := e.c.Publish(context.Background(), acct, cred, msg)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	e.fault(acct.ExternalID, sandbox.Fault{Kind: sandbox.FaultDuplicate, Times: 1})
	again, err := e.c.Publish(context.Background(), acct, cred, msg)
	if e.check(err) != nil || *again != *first || len(e.posts(acct.ExternalID)) != 1 {
		t.Errorf("repeat: %+v, %v; first %+v", again, err, first)
	}
}

func TestSessionsAgainstSandbox(t *testing.T) {
	e := newEnv(t, bluesky.Config{})
	acct, cred := e.connect(handle)
	ctx := context.Background()
	if cred.ExpiresAt == nil || !cred.ExpiresAt.Equal(e.clock.Now().Add(2*time.Hour)) || cred.Extra["handle"] != handle || cred.Extra["did"] != acct.ExternalID {
		t.Fatalf("credentials %+v", cred)
	}
	if e.c.RefreshDue(cred, e.clock.Now()) {
		t.Error("due at once")
	}
	e.clock.Advance(106 * time.Minute)
	if !e.c.RefreshDue(cred, e.clock.Now()) {
		t.Error("not due 14 minutes before expiry")
	}
	fresh, err := e.c.Refresh(ctx, acct, cred)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	e.secret(fresh.AccessToken, fresh.RefreshToken)
	if fresh.AccessToken == cred.AccessToken || fresh.RefreshToken == cred.RefreshToken || !fresh.ExpiresAt.After(*cred.ExpiresAt) {
		t.Errorf("refreshed %+v", fresh)
	}
	// The old access token still works until it expires; after that only
	// the new one does.
	e.clock.Advance(20 * time.Minute)
	if _, err := e.c.Publish(ctx, acct, cred, publisher.Message{DeliveryID: "d-old", Text: "old"}); asPlatformError(t, e.check(err)).Code != "ExpiredToken" {
		t.Errorf("an expired access token: %v", err)
	}
	if _, err := e.c.Publish(ctx, acct, fresh, publisher.Message{DeliveryID: "d-new", Text: "new"}); e.check(err) != nil {
		t.Errorf("the refreshed session: %v", err)
	}
	// Refresh tokens are single-use.
	_, err = e.c.Refresh(ctx, acct, cred)
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassAuth || pe.Code != "ExpiredToken" {
		t.Errorf("a spent refresh token: %s %s %q", pe.Class, pe.Code, pe.Message)
	}
	if n := e.calls("com.atproto.server.createSession"); n != 1 {
		t.Errorf("%d createSession calls, want 1", n)
	}
}

func TestVerifyCredentialsAgainstSandbox(t *testing.T) {
	e := newEnv(t, bluesky.Config{})
	ctx := context.Background()
	_, err := e.c.VerifyCredentials(ctx, map[string]string{"handle": handle, "app_password": "aaaa-bbbb-cccc-dddd"})
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassAuth || !strings.Contains(pe.Message, "did not accept") {
		t.Errorf("a wrong app password: %s %q", pe.Class, pe.Message)
	}
	// createSession is limited to 30 in 5 minutes per account (the failed
	// one above counted).
	pw := e.sb.BlueskyAppPassword(handle)
	e.secret(pw)
	for i := range 29 {
		g, err := e.c.VerifyCredentials(ctx, map[string]string{"handle": handle, "app_password": pw})
		if e.check(err) != nil {
			t.Fatalf("sign-in %d: %v", i, err)
		}
		e.secret(g.Credentials.AccessToken, g.Credentials.RefreshToken)
	}
	_, err = e.c.VerifyCredentials(ctx, map[string]string{"handle": handle, "app_password": pw})
	if pe := asPlatformError(t, e.check(err)); pe.Class != publisher.ClassRateLimited || !pe.RetryAt.Equal(time.Date(2026, 8, 1, 4, 35, 0, 0, time.UTC)) {
		t.Errorf("31st sign-in: %s %s", pe.Class, pe.RetryAt)
	}
	fields := e.c.CredentialFields()
	if len(fields) != 2 || fields[0].Name != "handle" || fields[1].Name != "app_password" || !fields[1].Secret || fields[0].Secret {
		t.Errorf("fields %+v", fields)
	}
}

func TestDeleteAndMetricsAgainstSandbox(t *testing.T) {
	e := newEnv(t, bluesky.Config{})
	acct, cred := e.connect(handle)
	ctx := context.Background()
	pub, err := e.c.Publish(ctx, acct, cred, publisher.Message{DeliveryID: "d1", Text: "counted"})
	if e.check(err) != nil {
		t.Fatal(err)
	}
	first, err := e.c.FetchMetrics(ctx, acct, cred, pub.ExternalID)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	e.clock.Advance(36 * time.Hour)
	// The access token expired meanwhile: refresh as the domain would.
	cred, err = e.c.Refresh(ctx, acct, cred)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	e.secret(cred.AccessToken, cred.RefreshToken)
	later, err := e.c.FetchMetrics(ctx, acct, cred, pub.ExternalID)
	if e.check(err) != nil {
		t.Fatal(err)
	}
	if len(later.Values) != 4 || later.Values["likeCount"] <= first.Values["likeCount"] {
		t.Errorf("metrics did not grow: %v → %v", first.Values, later.Values)
	}
	if err := e.check(e.c.Delete(ctx, acct, cred, pub.ExternalID)); err != nil {
		t.Fatal(err)
	}
	if p := e.posts(acct.ExternalID)[0]; p.DeletedAt == nil {
		t.Error("not deleted")
	}
	if err := e.check(e.c.Delete(ctx, acct, cred, pub.ExternalID)); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	if _, err := e.c.Lookup(ctx, acct, cred, publisher.Message{DeliveryID: "d1"}, time.Time{}); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("Lookup after delete: %v", err)
	}
}

// TestSeededTokens: the demo seeds sandbox tokens minted with MintToken
// (no refresh token, no handle); they publish, by DID.
func TestSeededTokens(t *testing.T) {
	e := newEnv(t, bluesky.Config{})
	tok := e.sb.MintToken("bluesky", "did:plc:hry0001", "कृषि विभाग", 24*time.Hour)
	e.secret(tok)
	acct := &publisher.Account{ExternalID: "did:plc:hry0001", Handle: "@agri"}
	cred := publisher.Credentials{AccessToken: tok}
	pub, err := e.c.Publish(context.Background(), acct, cred, publisher.Message{DeliveryID: "d1", Text: "seeded"})
	if e.check(err) != nil {
		t.Fatal(err)
	}
	if pub.URL != e.cfg.WebURL+"/profile/did:plc:hry0001/post/"+bluesky.RecordKey("d1") || e.c.RefreshDue(cred, e.clock.Now()) {
		t.Errorf("published %+v", pub)
	}
	if status, _ := get(t, pub.URL); status != 200 {
		t.Errorf("post page %d", status)
	}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestNoSecretInLogsOrErrors(t *testing.T) {
	e := newEnv(t, bluesky.Config{})
	acct, cred := e.connect(handle)
	ctx := context.Background()
	for _, k := range []sandbox.FaultKind{sandbox.FaultDropAfterCommit, sandbox.FaultServerError, sandbox.FaultRateLimit, sandbox.FaultExpiredToken} {
		e.fault(acct.ExternalID, sandbox.Fault{Kind: k, Times: 1, Ops: []sandbox.Op{sandbox.OpAll}})
		_, err := e.c.Publish(ctx, acct, cred, publisher.Message{DeliveryID: "d" + string(k), Text: "x", Media: []publisher.MediaRef{image("m", png1)}})
		e.check(err)
		_, err = e.c.Refresh(ctx, acct, cred)
		e.check(err)
	}
	_, err := e.c.VerifyCredentials(ctx, map[string]string{"handle": handle, "app_password": "wrong-pass-word-oops"})
	e.check(err)
	e.secret("wrong-pass-word-oops")
	if !strings.Contains(e.logs.String(), "bluesky: xrpc call") || !strings.Contains(e.logs.String(), "sandbox: bluesky") {
		t.Error("nothing was logged; the check would prove nothing")
	}
}
