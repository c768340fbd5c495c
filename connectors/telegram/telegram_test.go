package telegram_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/telegram"
	"github.com/prasar/prasar/publisher"
)

func TestPublishTextAgainstSandbox(t *testing.T) {
	cases := []struct {
		channel, urlPath string
	}{
		{publicChannel, "/agri_haryana/1"},
		{privateChannel, "/c/1900000001/1"},
	}
	for _, c := range cases {
		t.Run(c.channel, func(t *testing.T) {
			e := newEnv(t, telegram.Config{})
			cred := e.token(c.channel, 0)
			msg := publisher.Message{DeliveryID: "d1", Text: "हरियाणा में नई योजना\nA new scheme", Link: "https://haryana.gov.in/scheme"}
			pub, err := e.tg.Publish(context.Background(), account(c.channel), cred, msg)
			if e.check(err) != nil {
				t.Fatal(err)
			}
			posts := e.posts(c.channel)
			if len(posts) != 1 || posts[0].Text != msg.Text+"\n\n"+msg.Link || posts[0].Link != msg.Link {
				t.Fatalf("sandbox received %+v", posts)
			}
			if pub.ExternalID != "1" || pub.URL != e.srv.URL+sandbox.TelegramWebPath+c.urlPath {
				t.Errorf("published %+v", pub)
			}
			status, body := get(t, pub.URL)
			if status != 200 || !strings.Contains(body, "हरियाणा में नई योजना") {
				t.Errorf("the post's URL %s does not show it: %d", pub.URL, status)
			}
			// The next message gets the next id.
			pub, err = e.tg.Publish(context.Background(), account(c.channel), cred, publisher.Message{Text: "second"})
			if e.check(err) != nil || pub.ExternalID != "2" {
				t.Errorf("second message: %+v, %v", pub, err)
			}
		})
	}
}

func TestPublishPhotosAgainstSandbox(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(strconv.Itoa(n)+" images", func(t *testing.T) {
			e := newEnv(t, telegram.Config{})
			cred := e.token(publicChannel, 0)
			var media []publisher.MediaRef
			for i := range n {
				media = append(media, image("m"+strconv.Itoa(i), png1))
			}
			pub, err := e.tg.Publish(context.Background(), account(publicChannel), cred, publisher.Message{Text: "फोटो", Link: "https://haryana.gov.in", Media: media})
			if e.check(err) != nil {
				t.Fatal(err)
			}
			want := "1"
			for i := 2; i <= n; i++ {
				want += "," + strconv.Itoa(i)
			}
			if pub.ExternalID != want {
				t.Errorf("external id %q, want %q", pub.ExternalID, want)
			}
			posts := e.posts(publicChannel)
			if len(posts) != 1 || len(posts[0].Images) != n || posts[0].Text != "फोटो\n\nhttps://haryana.gov.in" {
				t.Fatalf("sandbox received %+v", posts)
			}
			sum := sha256.Sum256(png1)
			for i, im := range posts[0].Images {
				if im.SHA256 != hex.EncodeToString(sum[:]) || im.ContentType != "image/png" {
					t.Errorf("image %d: %+v", i, im)
				}
			}
			// The next message id follows the album.
			pub, err = e.tg.Publish(context.Background(), account(publicChannel), cred, publisher.Message{Text: "next"})
			if e.check(err) != nil || pub.ExternalID != strconv.Itoa(n+1) {
				t.Errorf("after the album: %+v, %v", pub, err)
			}
		})
	}
}

func TestRulesAndMeasure(t *testing.T) {
	c := telegram.New(telegram.Config{})
	r := c.Rules()
	if r.Platform != publisher.Telegram || r.MaxChars != 4096 || r.CountUnit != "characters" || r.MaxImages != 10 || r.MaxImageBytes != 10<<20 ||
		strings.Join(r.ImageTypes, ",") != "image/jpeg,image/png" || !r.Enabled || r.Defunct != "" || c.Platform() != publisher.Telegram {
		t.Errorf("rules %+v", r)
	}
	if r := telegram.New(telegram.Config{MaxChars: 100, MaxImages: 2}).Rules(); r.MaxChars != 100 || r.MaxImages != 2 {
		t.Errorf("configured rules %+v", r)
	}
	cases := []struct {
		msg          publisher.Message
		count, limit int
	}{
		{publisher.Message{Text: "hello"}, 5, 4096},
		{publisher.Message{Text: "नमस्ते"}, 6, 4096}, // six code points, all in the BMP
		{publisher.Message{Text: "🙏"}, 2, 4096},      // a surrogate pair
		{publisher.Message{Text: "hi", Link: "https://a.in"}, 2 + 2 + 12, 4096},
		{publisher.Message{Text: "see https://a.in", Link: "https://a.in"}, 16, 4096},
		{publisher.Message{Text: "caption", Media: []publisher.MediaRef{{}}}, 7, 1024},
	}
	for _, tc := range cases {
		if m := c.Measure(tc.msg); m.Count != tc.count || m.Limit != tc.limit {
			t.Errorf("Measure(%+v) = %+v, want %d/%d", tc.msg, m, tc.count, tc.limit)
		}
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	e := newEnv(t, telegram.Config{MaxImages: 2, MaxImageBytes: 100})
	cred := e.token(publicChannel, 0)
	big := image("big", bytes.Repeat([]byte{1}, 200))
	big.Size = 50 // the metadata lies; the bytes are checked too
	cases := []struct {
		name  string
		acct  *publisher.Account
		cred  publisher.Credentials
		msg   publisher.Message
		class publisher.ErrorClass
	}{
		{"text too long", account(publicChannel), cred, publisher.Message{Text: strings.Repeat("क", 4097)}, publisher.ClassRejected},
		{"caption too long", account(publicChannel), cred, publisher.Message{Text: strings.Repeat("a", 1025), Media: []publisher.MediaRef{image("a", png1)}}, publisher.ClassRejected},
		{"too many images", account(publicChannel), cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{image("a", png1), image("b", png1), image("c", png1)}}, publisher.ClassRejected},
		{"wrong type", account(publicChannel), cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{{ID: "w", ContentType: "image/webp", Size: 10}}}, publisher.ClassRejected},
		{"image too big", account(publicChannel), cred, publisher.Message{Text: "x", Media: []publisher.MediaRef{big}}, publisher.ClassRejected},
		{"empty", account(publicChannel), cred, publisher.Message{Text: "  "}, publisher.ClassRejected},
		{"no channel", &publisher.Account{Platform: publisher.Telegram}, cred, publisher.Message{Text: "x"}, publisher.ClassAuth},
		{"a channel that is no channel", account("agri"), cred, publisher.Message{Text: "x"}, publisher.ClassAuth},
		{"no token", account(publicChannel), publisher.Credentials{}, publisher.Message{Text: "x"}, publisher.ClassAuth},
		{"a token that cannot be in a path", account(publicChannel), publisher.Credentials{AccessToken: "a/b"}, publisher.Message{Text: "x"}, publisher.ClassAuth},
	}
	for _, c := range cases {
		_, err := e.tg.Publish(context.Background(), c.acct, c.cred, c.msg)
		if pe := asPlatformError(t, e.check(err)); pe.Class != c.class || pe.Ambiguous {
			t.Errorf("%s: %s ambiguous=%v %q", c.name, pe.Class, pe.Ambiguous, pe.Message)
		}
	}
	if n := len(e.posts(publicChannel)); n != 0 {
		t.Errorf("%d posts reached the sandbox", n)
	}
}

func TestPublishErrorClasses(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(e *env) (*publisher.Account, publisher.Credentials)
		cfg       telegram.Config
		class     publisher.ErrorClass
		code      string
		ambiguous bool
		retryIn   time.Duration
		message   string // a part of the message
	}{
		{"revoked token", func(e *env) (*publisher.Account, publisher.Credentials) {
			cred := e.token(publicChannel, time.Hour)
			e.clock.Advance(2 * time.Hour)
			return account(publicChannel), cred
		}, telegram.Config{}, publisher.ClassAuth, "401", false, 0, "Reconnect"},
		{"unknown token", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.token(publicChannel, 0)
			return account(publicChannel), publisher.Credentials{AccessToken: "123:not-a-sandbox-token"}
		}, telegram.Config{}, publisher.ClassAuth, "401", false, 0, "Unauthorized"},
		{"expired token (fault)", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(publicChannel, sandbox.Fault{Kind: sandbox.FaultExpiredToken})
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassAuth, "401", false, 0, ""},
		{"the bot may no longer post", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.setRights(publicChannel, "administrator", false)
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassAuth, "400", false, 0, "need administrator rights"},
		{"the bot was removed", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.setRights(publicChannel, "left", false)
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassAuth, "403", false, 0, "not a member"},
		{"the bot was banned", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.setRights(publicChannel, "kicked", false)
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassAuth, "403", false, 0, "was kicked"},
		{"another bot's channel", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.token("@health_haryana", 0)
			return account("@health_haryana"), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassAuth, "403", false, 0, "not a member"},
		{"chat not found", func(e *env) (*publisher.Account, publisher.Credentials) {
			return account("-1009999999999"), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassAuth, "400", false, 0, "chat not found"},
		{"too long for Telegram", func(e *env) (*publisher.Account, publisher.Credentials) {
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{MaxChars: 10000}, publisher.ClassRejected, "400", false, 0, "message is too long"},
		{"duplicate (fault)", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(publicChannel, sandbox.Fault{Kind: sandbox.FaultDuplicate})
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassRejected, "400", false, 0, ""},
		{"rate limit (fault)", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(publicChannel, sandbox.Fault{Kind: sandbox.FaultRateLimit, RetryAfter: 37 * time.Second})
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassRateLimited, "429", false, 37 * time.Second, "retry after 37"},
		{"20 messages a minute", func(e *env) (*publisher.Account, publisher.Credentials) {
			cred := e.token(publicChannel, 0)
			for i := range 20 {
				if _, err := e.tg.Publish(context.Background(), account(publicChannel), cred, publisher.Message{Text: "m" + strconv.Itoa(i)}); err != nil {
					e.t.Fatal(err)
				}
				e.clock.Advance(time.Second)
			}
			return account(publicChannel), cred
		}, telegram.Config{}, publisher.ClassRateLimited, "429", false, 40 * time.Second, ""},
		{"500", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(publicChannel, sandbox.Fault{Kind: sandbox.FaultServerError})
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassRetryable, "500", true, 0, ""},
		{"timeout after the server accepted", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(publicChannel, sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 10 * time.Second})
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassRetryable, "", true, 0, ""},
		{"connection dropped after commit", func(e *env) (*publisher.Account, publisher.Credentials) {
			e.fault(publicChannel, sandbox.Fault{Kind: sandbox.FaultDropAfterCommit})
			return account(publicChannel), e.token(publicChannel, 0)
		}, telegram.Config{}, publisher.ClassRetryable, "", true, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.cfg)
			acct, cred := c.setup(e)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			text := "the text"
			if c.cfg.MaxChars > 4096 {
				text = strings.Repeat("क", 4097) // more than Telegram allows, less than the connector was told
			}
			_, err := e.tg.Publish(ctx, acct, cred, publisher.Message{Text: text})
			pe := asPlatformError(t, e.check(err))
			if pe.Class != c.class || pe.Code != c.code || pe.Ambiguous != c.ambiguous {
				t.Errorf("got %s %q ambiguous=%v (%s); want %s %q ambiguous=%v", pe.Class, pe.Code, pe.Ambiguous, pe.Message, c.class, c.code, c.ambiguous)
			}
			if c.retryIn > 0 && !pe.RetryAt.Equal(e.clock.Now().Add(c.retryIn)) {
				t.Errorf("RetryAt %s, want now+%s", pe.RetryAt, c.retryIn)
			}
			if pe.Message == "" || !strings.Contains(pe.Message, c.message) {
				t.Errorf("message %q, want it to contain %q", pe.Message, c.message)
			}
		})
	}
}

func TestConnectionRefusedIsNotAmbiguousAndHidesTheToken(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c := telegram.New(telegram.Config{APIURL: "http://" + addr})
	_, err := c.Publish(context.Background(), account(publicChannel), goldenCred, publisher.Message{Text: "x"})
	pe := asPlatformError(t, err)
	if pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("got %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
	if strings.Contains(err.Error(), botToken) || !strings.Contains(err.Error(), "<bot-token>") {
		t.Errorf("the error does not hide the token: %s", strings.ReplaceAll(err.Error(), botToken, "<SECRET>"))
	}
}

// TestExactlyOnceAfterAmbiguousFailure follows Service.Deliver's protocol:
// an ambiguous failure is followed by Lookup, and Publish only if Lookup
// says the post is not there. Telegram cannot look posts up, so the domain
// stops at "unconfirmed" and nothing is posted twice.
func TestExactlyOnceAfterAmbiguousFailure(t *testing.T) {
	cases := []struct {
		name      string
		fault     sandbox.Fault
		committed bool
	}{
		{"connection dropped after commit", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1}, true},
		{"500 after committing", sandbox.Fault{Kind: sandbox.FaultServerError, Commit: true, Times: 1}, true},
		{"connection dropped before acting", sandbox.Fault{Kind: sandbox.FaultDrop, Times: 1}, false},
	}
	for _, c := range cases {
		for _, media := range []int{0, 1, 2} {
			t.Run(c.name+"/"+strconv.Itoa(media)+" images", func(t *testing.T) {
				e := newEnv(t, telegram.Config{})
				cred := e.token(publicChannel, 0)
				msg := publisher.Message{DeliveryID: "d1", Text: "परिणाम घोषित", Link: "https://haryana.gov.in/r"}
				for i := range media {
					msg.Media = append(msg.Media, image("m"+strconv.Itoa(i), png1))
				}
				e.fault(publicChannel, c.fault)
				_, err := e.tg.Publish(context.Background(), account(publicChannel), cred, msg)
				if pe := asPlatformError(t, e.check(err)); !pe.Ambiguous || pe.Class != publisher.ClassRetryable {
					t.Fatalf("first attempt: %s ambiguous=%v, want retryable and ambiguous", pe.Class, pe.Ambiguous)
				}
				_, err = e.tg.Lookup(context.Background(), account(publicChannel), cred, msg, e.clock.Now().Add(-time.Minute))
				if !errors.Is(err, publisher.ErrLookupUnsupported) {
					t.Fatalf("Lookup: %v, want ErrLookupUnsupported", err)
				}
				// The domain stops here ("unconfirmed"): the channel has the
				// post once if Telegram acted, and never twice.
				want := 0
				if c.committed {
					want = 1
				}
				if n := len(e.posts(publicChannel)); n != want {
					t.Errorf("%d posts in the channel, want %d", n, want)
				}
			})
		}
	}
}

func TestVerifyCredentialsAgainstSandbox(t *testing.T) {
	t.Run("public channel", func(t *testing.T) {
		e := newEnv(t, telegram.Config{})
		cred := e.token(publicChannel, 0)
		g, err := e.tg.VerifyCredentials(context.Background(), map[string]string{"bot_token": cred.AccessToken, "channel": "agri_haryana"})
		if e.check(err) != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(g.ExternalID, "-100") || g.Handle != "@agri_haryana" || g.DisplayName != "कृषि विभाग Agriculture" ||
			g.Credentials.AccessToken != cred.AccessToken || g.ProfileURL != e.cfg.WebURL+"/agri_haryana" {
			t.Errorf("granted %+v", g)
		}
		// The numeric id it returns publishes to the same channel.
		pub, err := e.tg.Publish(context.Background(), account(g.ExternalID), g.Credentials, publisher.Message{Text: "via the numeric id"})
		if e.check(err) != nil || len(e.posts(publicChannel)) != 1 || pub.URL != e.cfg.WebURL+"/agri_haryana/1" {
			t.Errorf("publishing by numeric id: %+v %v", pub, err)
		}
	})
	t.Run("private channel", func(t *testing.T) {
		e := newEnv(t, telegram.Config{})
		cred := e.token(privateChannel, 0)
		g, err := e.tg.VerifyCredentials(context.Background(), map[string]string{"bot_token": cred.AccessToken, "channel": privateChannel})
		if e.check(err) != nil || g.ExternalID != privateChannel || g.ProfileURL != "" {
			t.Fatalf("granted %+v, %v", g, err)
		}
	})
	cases := []struct {
		name    string
		setup   func(e *env) map[string]string
		class   publisher.ErrorClass
		message string
	}{
		{"wrong token", func(e *env) map[string]string {
			return map[string]string{"bot_token": "123:wrong", "channel": publicChannel}
		}, publisher.ClassAuth, "did not accept the bot token"},
		{"no token", func(e *env) map[string]string { return map[string]string{"channel": publicChannel} }, publisher.ClassAuth, "bot token"},
		{"not a channel name", func(e *env) map[string]string {
			return map[string]string{"bot_token": e.token(publicChannel, 0).AccessToken, "channel": "-42"}
		}, publisher.ClassRejected, "is not a channel"},
		{"a private channel the bot is not in", func(e *env) map[string]string {
			return map[string]string{"bot_token": e.token(publicChannel, 0).AccessToken, "channel": "-1009999999999"}
		}, publisher.ClassRejected, "cannot find the channel"},
		{"a public channel the bot is not in", func(e *env) map[string]string {
			e.token("@health_haryana", 0)
			return map[string]string{"bot_token": e.token(publicChannel, 0).AccessToken, "channel": "@health_haryana"}
		}, publisher.ClassRejected, "is not an administrator"},
		{"an administrator that may not post", func(e *env) map[string]string {
			e.setRights(publicChannel, "administrator", false)
			return map[string]string{"bot_token": e.token(publicChannel, 0).AccessToken, "channel": publicChannel}
		}, publisher.ClassRejected, "may not post messages"},
		{"a bot that left", func(e *env) map[string]string {
			e.setRights(publicChannel, "left", false)
			return map[string]string{"bot_token": e.token(publicChannel, 0).AccessToken, "channel": publicChannel}
		}, publisher.ClassRejected, "is not an administrator"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, telegram.Config{})
			_, err := e.tg.VerifyCredentials(context.Background(), c.setup(e))
			pe := asPlatformError(t, e.check(err))
			if pe.Class != c.class || !strings.Contains(pe.Message, c.message) {
				t.Errorf("got %s %q; want %s containing %q", pe.Class, pe.Message, c.class, c.message)
			}
		})
	}
	fields := telegram.New(telegram.Config{}).CredentialFields()
	if len(fields) != 2 || fields[0].Name != "bot_token" || !fields[0].Secret || !fields[0].Required || fields[1].Name != "channel" || fields[1].Secret {
		t.Errorf("fields %+v", fields)
	}
}

func TestDeleteAgainstSandbox(t *testing.T) {
	e := newEnv(t, telegram.Config{})
	cred := e.token(publicChannel, 0)
	ctx := context.Background()
	one, err := e.tg.Publish(ctx, account(publicChannel), cred, publisher.Message{Text: "to retract"})
	if e.check(err) != nil {
		t.Fatal(err)
	}
	album, err := e.tg.Publish(ctx, account(publicChannel), cred, publisher.Message{Text: "album", Media: []publisher.MediaRef{image("a", png1), image("b", png1)}})
	if e.check(err) != nil {
		t.Fatal(err)
	}
	for _, id := range []string{one.ExternalID, album.ExternalID} {
		if err := e.check(e.tg.Delete(ctx, account(publicChannel), cred, id)); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
	for _, p := range e.posts(publicChannel) {
		if p.DeletedAt == nil {
			t.Errorf("post %s not deleted", p.ID)
		}
	}
	if err := e.check(e.tg.Delete(ctx, account(publicChannel), cred, one.ExternalID)); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	e.fault(publicChannel, sandbox.Fault{Kind: sandbox.FaultServerError, Ops: []sandbox.Op{sandbox.OpDelete}})
	if pe := asPlatformError(t, e.check(e.tg.Delete(ctx, account(publicChannel), cred, "9"))); pe.Class != publisher.ClassRetryable || pe.Ambiguous {
		t.Errorf("a failed delete: %s ambiguous=%v", pe.Class, pe.Ambiguous)
	}
}

// TestNoSecretInLogsOrErrors runs calls that fail in every way with
// logging on; env's cleanup checks that the bot token appears in no log
// line and no error.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	e := newEnv(t, telegram.Config{})
	cred := e.token(publicChannel, 0)
	ctx := context.Background()
	for _, f := range []sandbox.Fault{{Kind: sandbox.FaultDropAfterCommit}, {Kind: sandbox.FaultServerError}, {Kind: sandbox.FaultRateLimit}, {Kind: sandbox.FaultExpiredToken}} {
		e.fault(publicChannel, sandbox.Fault{Kind: f.Kind, Times: 1, Ops: []sandbox.Op{sandbox.OpAll}})
		_, err := e.tg.Publish(ctx, account(publicChannel), cred, publisher.Message{Text: "x"})
		e.check(err)
		_, err = e.tg.VerifyCredentials(ctx, map[string]string{"bot_token": cred.AccessToken, "channel": publicChannel})
		e.check(err)
	}
	_, err := e.tg.Publish(ctx, account(publicChannel), cred, publisher.Message{Text: "ok"})
	if e.check(err) != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.logs.String(), "telegram: bot api call") {
		t.Error("the connector logged nothing; the check would prove nothing")
	}
	// A transport failure after the connection was made.
	slow := telegram.New(telegram.Config{APIURL: e.cfg.APIURL, Logger: e.cfg.Logger})
	e.fault(publicChannel, sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 5 * time.Second, Times: 1})
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = slow.Publish(tctx, account(publicChannel), cred, publisher.Message{Text: "slow"})
	if pe := asPlatformError(t, e.check(err)); !pe.Ambiguous {
		t.Errorf("timeout: ambiguous=%v", pe.Ambiguous)
	}
}
