package bluesky_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/bluesky"
	"github.com/prasar/prasar/publisher"
)

const (
	goldenDID   = "did:plc:u5cwb2mwiv2bfq53cjufe6yn"
	goldenToken = "eyJ0eXAiOiJhdCtqd3QifQ.golden-access.sig"
)

var goldenAcct = &publisher.Account{ID: "a1", Platform: publisher.Bluesky, ExternalID: goldenDID, Handle: "@agriharyana.bsky.social"}
var goldenCred = publisher.Credentials{AccessToken: goldenToken, Extra: map[string]string{"did": goldenDID, "handle": "agriharyana.bsky.social"}}

var now = time.Date(2026, 8, 1, 10, 0, 0, 123e6, time.UTC)

func golden(s *stub, cfg bluesky.Config) *bluesky.Connector {
	cfg.ServiceURL = s.srv.URL
	cfg.Now = func() time.Time { return now }
	return bluesky.New(cfg)
}

func assertXRPC(t *testing.T, r recorded, method, nsid string) {
	t.Helper()
	if r.Method != method || r.Path != "/xrpc/"+nsid || r.Header.Get("Authorization") != "Bearer "+goldenToken || strings.Contains(r.RawQuery, goldenToken) {
		t.Errorf("request %s %s auth=%q, want %s /xrpc/%s with the token in the header", r.Method, r.Path, r.Header.Get("Authorization"), method, nsid)
	}
}

var tidRE = regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)

func TestRecordKey(t *testing.T) {
	a, b := bluesky.RecordKey("d0123456789abcdefghjkmnpqrst"), bluesky.RecordKey("d0123456789abcdefghjkmnpqrsv")
	if !tidRE.MatchString(a) || !tidRE.MatchString(b) || a == b || a != bluesky.RecordKey("d0123456789abcdefghjkmnpqrst") {
		t.Errorf("keys %q %q", a, b)
	}
	if bluesky.RecordKey("") != "" {
		t.Error("an empty delivery id has a key")
	}
	// Its timestamp is in the past, between 2023 and 2025.
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	for _, id := range []string{"d1", "d2", "dzzzzzzz", "d-" + strings.Repeat("x", 40)} {
		var v uint64
		for _, c := range bluesky.RecordKey(id) {
			v = v<<5 | uint64(strings.IndexRune(alphabet, c))
		}
		ts := time.UnixMicro(int64(v >> 10))
		if ts.Before(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)) || ts.After(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: the key's time is %s", id, ts)
		}
	}
}

// TestGoldenFacetsWithDevanagari: byte offsets, not character offsets —
// "हरियाणा" is 7 characters and 21 bytes.
func TestGoldenFacetsWithDevanagari(t *testing.T) {
	s := newStub(t, "create_record.json")
	c := golden(s, bluesky.Config{})
	msg := publisher.Message{DeliveryID: "dabc", Text: "हरियाणा #कृषि योजना: https://haryana.gov.in/kisan.", Link: "https://haryana.gov.in/kisan", Languages: []string{"hi", "en", "pa", "ur"}}
	pub, err := c.Publish(context.Background(), goldenAcct, goldenCred, msg)
	if err != nil {
		t.Fatal(err)
	}
	if pub.ExternalID != "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k4duaz5vfs2b" || pub.URL != "https://bsky.app/profile/agriharyana.bsky.social/post/3k4duaz5vfs2b" {
		t.Errorf("published %+v", pub)
	}
	r := s.requests()[0]
	assertXRPC(t, r, "POST", "com.atproto.repo.createRecord")
	var in struct {
		Repo, Collection, RKey string
		Record                 map[string]any
	}
	json.Unmarshal(r.Body, &in)
	if in.Repo != goldenDID || in.Collection != "app.bsky.feed.post" || in.RKey != bluesky.RecordKey("dabc") {
		t.Errorf("create %s", r.Body)
	}
	text := msg.Text
	if in.Record["text"] != text || in.Record["$type"] != "app.bsky.feed.post" || in.Record["createdAt"] != "2026-08-01T10:00:00.123Z" ||
		mustJSON(in.Record["langs"]) != `["hi","en","pa"]` || in.Record["embed"] != nil {
		t.Errorf("record %s", mustJSON(in.Record))
	}
	linkStart := strings.Index(text, "https://")
	tagStart := strings.Index(text, "#")
	want := `[{"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"कृषि"}],"index":{"byteEnd":` + itoa(tagStart+len("#कृषि")) + `,"byteStart":` + itoa(tagStart) + `}},` +
		`{"features":[{"$type":"app.bsky.richtext.facet#link","uri":"https://haryana.gov.in/kisan"}],"index":{"byteEnd":` + itoa(linkStart+len("https://haryana.gov.in/kisan")) + `,"byteStart":` + itoa(linkStart) + `}}]`
	if got := mustJSON(in.Record["facets"]); got != want {
		t.Errorf("facets\n%s\nwant\n%s", got, want)
	}
	// The offsets are bytes: 22 ("हरियाणा " is 7 characters but 22 bytes)
	// for the tag, and the link's text at those bytes is the link.
	if tagStart != 22 || text[linkStart:linkStart+len("https://haryana.gov.in/kisan")] != "https://haryana.gov.in/kisan" {
		t.Errorf("tag at %d", tagStart)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestGoldenImages(t *testing.T) {
	s := newStub(t, "upload_blob.json", "upload_blob.json", "create_record.json")
	c := golden(s, bluesky.Config{})
	_, err := c.Publish(context.Background(), goldenAcct, goldenCred, publisher.Message{DeliveryID: "d1", Text: "photos",
		Media: []publisher.MediaRef{image("m1", png1), image("m2", png1)}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	for _, r := range reqs[:2] {
		assertXRPC(t, r, "POST", "com.atproto.repo.uploadBlob")
		if r.Header.Get("Content-Type") != "image/png" || string(r.Body) != string(png1) {
			t.Errorf("upload: %q, %d bytes", r.Header.Get("Content-Type"), len(r.Body))
		}
	}
	rec := reqs[2].json()["record"].(map[string]any)
	want := `{"$type":"app.bsky.embed.images","images":[` +
		`{"alt":"alt m1","aspectRatio":{"height":760,"width":1280},"image":{"$type":"blob","mimeType":"image/png","ref":{"$link":"bafkreibabalobzn6cd366ukcsjycp4yymjymgfxcv6xczmlgpemzkz3cfa"},"size":760898}},` +
		`{"alt":"alt m2","aspectRatio":{"height":760,"width":1280},"image":{"$type":"blob","mimeType":"image/png","ref":{"$link":"bafkreibabalobzn6cd366ukcsjycp4yymjymgfxcv6xczmlgpemzkz3cfa"},"size":760898}}]}`
	if got := mustJSON(rec["embed"]); got != want {
		t.Errorf("embed\n%s\nwant\n%s", got, want)
	}
}

func TestGoldenErrors(t *testing.T) {
	cases := []struct {
		answer    string
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryAt   time.Time
	}{
		{"400:expired_token.json", publisher.ClassAuth, "ExpiredToken", false, time.Time{}},
		{"429:rate_limit.json|RateLimit-Reset: 1785580200", publisher.ClassRateLimited, "RateLimitExceeded", false, time.Unix(1785580200, 0)},
		{"429:rate_limit.json", publisher.ClassRateLimited, "RateLimitExceeded", false, now.Add(9 * time.Minute)},
		{"400:invalid_request.json", publisher.ClassRejected, "InvalidRequest", false, time.Time{}},
		{"500:internal.json", publisher.ClassRetryable, "InternalServerError", true, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.answer, func(t *testing.T) {
			s := newStub(t, tc.answer)
			c := golden(s, bluesky.Config{RateLimitBackoff: 9 * time.Minute})
			_, err := c.Publish(context.Background(), goldenAcct, goldenCred, publisher.Message{DeliveryID: "d", Text: "x"})
			pe := asPlatformError(t, err)
			if pe.Class != tc.class || pe.Code != tc.code || pe.Ambiguous != tc.ambiguous || !pe.RetryAt.Equal(tc.retryAt) {
				t.Errorf("got %s %s ambiguous=%v retry=%s %q", pe.Class, pe.Code, pe.Ambiguous, pe.RetryAt, pe.Message)
			}
		})
	}
}

// TestGoldenExistingRecord: an explicit "record exists" answer means an
// earlier attempt made the post; Publish returns it.
func TestGoldenExistingRecord(t *testing.T) {
	s := newStub(t, "409:record_exists.json", "get_record.json")
	c := golden(s, bluesky.Config{})
	pub, err := c.Publish(context.Background(), goldenAcct, goldenCred, publisher.Message{DeliveryID: "dabc", Text: "x"})
	if err != nil || pub.ExternalID != "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k4duaz5vfs2b" {
		t.Fatalf("%+v %v", pub, err)
	}
	r := s.requests()[1]
	q, _ := url.ParseQuery(r.RawQuery)
	assertXRPC(t, r, "GET", "com.atproto.repo.getRecord")
	if q.Get("repo") != goldenDID || q.Get("collection") != "app.bsky.feed.post" || q.Get("rkey") != bluesky.RecordKey("dabc") {
		t.Errorf("getRecord ?%s", r.RawQuery)
	}
}

func TestGoldenLookupDeleteMetrics(t *testing.T) {
	s := newStub(t, "get_record.json", "400:record_not_found.json", `{}`, "400:record_not_found.json", "get_posts.json", "get_posts_empty.json")
	c := golden(s, bluesky.Config{})
	ctx := context.Background()
	if pub, err := c.Lookup(ctx, goldenAcct, goldenCred, publisher.Message{DeliveryID: "dabc"}, time.Time{}); err != nil || pub.URL != "https://bsky.app/profile/agriharyana.bsky.social/post/3k4duaz5vfs2b" {
		t.Errorf("found: %+v %v", pub, err)
	}
	if _, err := c.Lookup(ctx, goldenAcct, goldenCred, publisher.Message{DeliveryID: "dabc"}, time.Time{}); !errors.Is(err, publisher.ErrNotPublished) {
		t.Errorf("absent: %v", err)
	}
	if _, err := c.Lookup(ctx, goldenAcct, goldenCred, publisher.Message{Text: "no delivery id"}, time.Time{}); !errors.Is(err, publisher.ErrLookupUnsupported) {
		t.Errorf("no delivery id: %v", err)
	}
	uri := "at://" + goldenDID + "/app.bsky.feed.post/3k4duaz5vfs2b"
	if err := c.Delete(ctx, goldenAcct, goldenCred, uri); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, goldenAcct, goldenCred, uri); err != nil {
		t.Errorf("already gone: %v", err)
	}
	reqs := s.requests()
	assertXRPC(t, reqs[2], "POST", "com.atproto.repo.deleteRecord")
	if string(reqs[2].Body) != `{"collection":"app.bsky.feed.post","repo":"`+goldenDID+`","rkey":"3k4duaz5vfs2b"}` {
		t.Errorf("delete body %s", reqs[2].Body)
	}
	if err := c.Delete(ctx, goldenAcct, goldenCred, "at://did:plc:other/app.bsky.feed.post/x"); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("another account's post: %v", err)
	}
	m, err := c.FetchMetrics(ctx, goldenAcct, goldenCred, uri)
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(m.Values) != `{"likeCount":41,"quoteCount":1,"replyCount":2,"repostCount":7}` || m.Unavailable != nil {
		t.Errorf("metrics %+v", m)
	}
	if q, _ := url.ParseQuery(s.requests()[4].RawQuery); q.Get("uris") != uri || s.requests()[4].Path != "/xrpc/app.bsky.feed.getPosts" {
		t.Errorf("getPosts ?%s", s.requests()[4].RawQuery)
	}
	if _, err := c.FetchMetrics(ctx, goldenAcct, goldenCred, uri); asPlatformError(t, err).Class != publisher.ClassRejected {
		t.Errorf("a post that is gone: %v", err)
	}
}

func jwt(exp time.Time) string {
	p, _ := json.Marshal(map[string]any{"scope": "com.atproto.appPass", "sub": goldenDID, "exp": exp.Unix()})
	return "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ." + base64.RawURLEncoding.EncodeToString(p) + ".c2ln"
}

func TestGoldenSessions(t *testing.T) {
	access, refresh := jwt(now.Add(2*time.Hour)), "eyJ0eXAiOiJyZWZyZXNoK2p3dCJ9.cmVmcmVzaA.c2ln"
	s := newStub(t, `{"did":"`+goldenDID+`","handle":"agriharyana.bsky.social","accessJwt":"`+access+`","refreshJwt":"`+refresh+`","active":true}`,
		`{"did":"`+goldenDID+`","handle":"agriharyana.bsky.social","accessJwt":"`+jwt(now.Add(4*time.Hour))+`","refreshJwt":"","active":true}`,
		"400:expired_token.json")
	c := golden(s, bluesky.Config{})
	g, err := c.VerifyCredentials(context.Background(), map[string]string{"handle": "@AgriHaryana.bsky.social ", "app_password": "abcd-efgh-ijkl-mnop"})
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(2 * time.Hour).Truncate(time.Second)
	if g.ExternalID != goldenDID || g.Handle != "@agriharyana.bsky.social" || g.ProfileURL != "https://bsky.app/profile/agriharyana.bsky.social" ||
		g.Credentials.AccessToken != access || g.Credentials.RefreshToken != refresh || !g.Credentials.ExpiresAt.Equal(exp) || g.Credentials.Extra["did"] != goldenDID {
		t.Errorf("granted %+v %+v", g, g.Credentials.Extra)
	}
	r := s.requests()[0]
	if r.Path != "/xrpc/com.atproto.server.createSession" || r.Header.Get("Authorization") != "" ||
		string(r.Body) != `{"identifier":"agriharyana.bsky.social","password":"abcd-efgh-ijkl-mnop"}` {
		t.Errorf("createSession %s %s", r.Path, r.Body)
	}
	// Refresh: due 15 minutes before expiry; the new pair is returned, the
	// old refresh token kept when none comes back.
	if c.RefreshDue(g.Credentials, exp.Add(-16*time.Minute)) || !c.RefreshDue(g.Credentials, exp.Add(-15*time.Minute)) {
		t.Error("RefreshDue margin")
	}
	if c.RefreshDue(publisher.Credentials{AccessToken: "x", ExpiresAt: &exp}, exp) {
		t.Error("due without a refresh token")
	}
	cred, err := c.Refresh(context.Background(), goldenAcct, g.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	if cred.RefreshToken != refresh || cred.AccessToken == access || !cred.ExpiresAt.Equal(now.Add(4*time.Hour).Truncate(time.Second)) || cred.Extra["handle"] != "agriharyana.bsky.social" {
		t.Errorf("refreshed %+v", cred)
	}
	if r := s.requests()[1]; r.Path != "/xrpc/com.atproto.server.refreshSession" || r.Header.Get("Authorization") != "Bearer "+refresh || len(r.Body) != 0 {
		t.Errorf("refreshSession %s %v", r.Path, r.Header)
	}
	_, err = c.Refresh(context.Background(), goldenAcct, g.Credentials)
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassAuth || !strings.Contains(pe.Message, "reconnect") {
		t.Errorf("expired refresh token: %s %q", pe.Class, pe.Message)
	}
	// Not an app password: refused before calling.
	_, err = c.VerifyCredentials(context.Background(), map[string]string{"handle": "a.bsky.social", "app_password": "my real password"})
	if pe := asPlatformError(t, err); pe.Class != publisher.ClassRejected || strings.Contains(err.Error(), "my real password") || len(s.requests()) != 3 {
		t.Errorf("main password: %s %q", pe.Class, pe.Message)
	}
}
