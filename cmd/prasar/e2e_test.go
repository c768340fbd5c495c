//go:build embedui

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/prasar/prasar/connectors/sandbox"
	"github.com/prasar/prasar/connectors/x"
	"github.com/prasar/prasar/publisher"
)

// The end-to-end tests start the whole product in this process (`prasar
// serve` with the demo seeded: SQLite, in-process Redis, queue workers,
// sandbox platforms, the embedded web interface) and click through it in
// headless Chromium, as an editor, an approver and an admin would.

const (
	e2ePassword = "e2e-demo-password-42"
	e2eEditor   = "editor.agri@example.gov.in"
	e2eOther    = "editor.health@example.gov.in"
	e2eApprover = "approver@example.gov.in"
	e2eAdmin    = "admin@example.gov.in"
)

// startE2EServer runs `prasar serve` on 127.0.0.1 with the demo seeded.
func startE2EServer(t *testing.T) *Main {
	t.Helper()
	chromiumPath(t) // fail at once without a browser
	m := startMain(t, "serve", testEnv(t, "PRASAR_DEMO", "on", "PRASAR_DEMO_PASSWORD", e2ePassword))
	if m.Sandbox() == nil {
		t.Fatal("serve mode without platform credentials has no sandbox")
	}
	return m
}

// selectableAccounts are the accounts of org the composer must offer: on a
// platform with an enabled connector in this build, and not defunct.
func selectableAccounts(t *testing.T, m *Main, orgID string) (all []*publisher.Account, selectable map[string]*publisher.Account) {
	t.Helper()
	all, err := m.Store().ListAccounts(context.Background(), publisher.AccountFilter{OrgID: orgID})
	if err != nil {
		t.Fatal(err)
	}
	selectable = map[string]*publisher.Account{}
	for _, a := range all {
		if c := m.Service().Connector(a.Platform); c != nil && c.Rules().Enabled && a.Status != publisher.AccountDefunct {
			selectable[a.ID] = a
		}
	}
	if len(selectable) == 0 {
		t.Fatalf("the demo gives organisation %s no account that can be published to", orgID)
	}
	return all, selectable
}

// measureRow is one per-platform row of the composer's preview.
type measureRow struct {
	Platform  string `json:"platform"`
	Count     int    `json:"count"`
	Limit     int    `json:"limit"`
	Over      string `json:"over"`
	CountText string `json:"countText"`
	OverText  string `json:"overText"`
}

const measureRowsJS = `[...document.querySelectorAll('li[data-testid^="measure-"]')].map((el) => {
	const p = el.dataset.testid.slice('measure-'.length);
	const q = (s) => el.querySelector('[data-testid="measure-' + p + '-' + s + '"]');
	return { platform: p, count: Number(el.dataset.count), limit: Number(el.dataset.limit), over: el.dataset.over,
		countText: q('count')?.textContent ?? '', overText: q('over')?.textContent ?? '' };
})`

// deliveryRow is one row of a deliveries table (post page or history).
type deliveryRow struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Platform string `json:"platform"`
	Account  string `json:"account"`
	Href     string `json:"href"`
	Title    string `json:"title"`
}

const deliveryRowsJS = `[...document.querySelectorAll('tr[data-testid^="delivery-"]')].map((r) => ({
	id: r.dataset.testid.slice('delivery-'.length), status: r.dataset.status ?? '', platform: r.dataset.platform ?? '',
	account: r.dataset.account ?? '', href: r.querySelector('a[data-testid^="delivery-link-"]')?.href ?? '',
	title: r.querySelector('th a')?.textContent?.trim() ?? '' }))`

// TestE2EPostFromDraftToPublished takes a post from sign-in to the publish
// history through the web interface: an editor writes it in Hindi and
// English with an image for every account of the organisation, watching
// the exact per-platform counts; an approver approves it; the deliveries
// turn published live on the post page (server-sent events, no reload),
// each platform received the post exactly once, and the history lists it.
func TestE2EPostFromDraftToPublished(t *testing.T) {
	m := startE2EServer(t)
	ctx := context.Background()
	store, svc, sb := m.Store(), m.Service(), m.Sandbox()
	agri, err := store.GetOrgByCode(ctx, "AGRI")
	if err != nil {
		t.Fatal(err)
	}
	allAccounts, selectable := selectableAccounts(t, m, agri.ID)
	platforms := map[publisher.Platform]bool{}
	for _, a := range selectable {
		platforms[a.Platform] = true
	}

	ref := fmt.Sprintf("e2e-%d", time.Now().UnixNano()%1_000_000_000)
	title := "मृदा स्वास्थ्य कार्ड शिविर / Soil health card camps " + ref
	// Nukta letters both ways: ज़ precomposed (U+095B, which NFC
	// decomposes) in ज़मीन, and as ज + ◌़ in नज़दीकी and मुफ़्त.
	bodyHI := "किसान भाई ध्यान दें! \u095Bमीन की सेहत जाँचें: अपने न\u091C\u093Cदीकी कृषि विकास अधिकारी कार्यालय में मिट्टी की मु\u092B\u093C्त जाँच करवाएं।"
	bodyEN := "Farmers: get your soil tested free at the nearest Agriculture Development Officer's office. Ref " + ref + "."
	link := "https://agriharyana.gov.in/soil-health-card"
	altText := "A soil health card camp at a Krishi Vigyan Kendra"
	text := bodyHI + "\n\n" + bodyEN // the post's text: Hindi, a blank line, English

	b := startBrowser(t, m.URL())
	start := time.Now()
	phase := func(name string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), name) }

	// ---- 1. Sign in; Hindi and back, stored with the user ----
	phase("sign-in and language")
	b.open("/")
	b.waitJS("the sign-in page", e2eStep, `location.pathname === '/signin' && !!document.querySelector('[data-testid="lang-select"]')`)
	if lang := eval[string](b, `document.documentElement.lang`); lang != "en" {
		t.Errorf("<html lang> on the sign-in page of an English browser = %q, want en", lang)
	}
	b.signIn(e2eEditor, e2ePassword)
	// The demo editor's stored language is Hindi.
	b.waitJS("the posts list in Hindi", e2eStep, `location.pathname === '/posts' && document.documentElement.lang === 'hi'`)
	if got := b.text("signout"); got != "साइन आउट" {
		t.Errorf("sign-out button in Hindi = %q, want साइन आउट", got)
	}
	switchLang := func(lang, signOutText string) {
		t.Helper()
		b.choose("lang-select", lang)
		b.waitJS("<html lang="+lang+">", e2eStep, `document.documentElement.lang === `+js(lang)+
			` && document.querySelector('[data-testid="signout"]')?.textContent.trim() === `+js(signOutText))
		b.waitFor("the user's language stored as "+lang, e2eStep, func() (bool, string) {
			u, err := store.GetUserByEmail(ctx, e2eEditor)
			if err != nil {
				return false, err.Error()
			}
			return u.Lang == lang, "stored " + u.Lang
		})
	}
	switchLang("en", "Sign out")
	switchLang("hi", "साइन आउट")
	// The choice lives with the user, not (only) in this browser: without
	// the local copy, a reload still comes back in Hindi.
	eval[chromedp.Void](b, `localStorage.removeItem('prasar.lang')`)
	b.do("reloading", chromedp.Reload())
	b.waitJS("the reloaded page in the stored language (Hindi)", e2eStep,
		`!!document.querySelector('[data-testid="user-name"]') && document.documentElement.lang === 'hi'`)
	switchLang("en", "Sign out")

	// ---- 2. Compose ----
	phase("composing")
	if h := b.text("nav-new"); h != "New post" {
		t.Errorf("navigation after switching to English says %q, want New post", h)
	}
	b.click("nav-new")
	b.waitJS("the composer's accounts", e2eStep, `location.pathname === '/posts/new' && document.querySelectorAll('input[data-testid^="target-"]').length > 0`)
	b.typeInto("title", title)
	b.typeInto("body-hi", bodyHI)
	b.typeInto("body-en", bodyEN)
	b.typeInto("link", link)

	jpg := writeTestJPEG(t, t.TempDir())
	b.do("choosing the image", chromedp.SetUploadFiles(tid("file"), []string{jpg}))
	b.waitFor("the uploaded image", e2eStep, func() (bool, string) {
		s := eval[struct {
			Images int    `json:"images"`
			Error  string `json:"error"`
		}](b, `({ images: document.querySelectorAll('[data-testid="images"] li[data-testid^="image-"]').length,
			error: document.querySelector('[data-testid="upload-error"]')?.textContent ?? '' })`)
		if s.Error != "" {
			t.Fatalf("the upload failed: %s", s.Error)
		}
		return s.Images == 1, fmt.Sprintf("%d images", s.Images)
	})
	b.typeInto("alt-text", altText)

	// Every account of the organisation is listed; exactly the usable ones
	// can be chosen, and the others say why not.
	type targetBox struct {
		ID       string `json:"id"`
		Disabled bool   `json:"disabled"`
		Group    string `json:"group"`
		Status   string `json:"status"`
	}
	boxes := eval[[]targetBox](b, `[...document.querySelectorAll('input[data-testid^="target-"]')].map((el) => ({
		id: el.dataset.testid.slice('target-'.length), disabled: el.disabled,
		group: el.closest('[data-testid^="platform-group-"]')?.dataset.testid.slice('platform-group-'.length) ?? '',
		status: document.getElementById(el.dataset.testid + '-status')?.textContent.replace(/\s+/g, ' ').trim() ?? '' }))`)
	if len(boxes) != len(allAccounts) {
		t.Errorf("the composer lists %d accounts, the organisation has %d", len(boxes), len(allAccounts))
	}
	var chosen []string
	for _, bx := range boxes {
		a := selectable[bx.ID]
		switch {
		case a == nil && !bx.Disabled:
			t.Errorf("account %s (%s) can be chosen but cannot be published to", bx.ID, bx.Group)
		case a != nil && bx.Disabled:
			t.Errorf("account %s (%s) cannot be chosen: %s", bx.ID, bx.Group, bx.Status)
		case a == nil && !strings.Contains(strings.ToLower(bx.Status), "cannot be chosen"):
			t.Errorf("account %s (%s) is switched off without a reason: %q", bx.ID, bx.Group, bx.Status)
		case a != nil && bx.Group != string(a.Platform):
			t.Errorf("account %s is listed under %s, it is on %s", bx.ID, bx.Group, a.Platform)
		}
		if a != nil && !bx.Disabled {
			b.click("target-" + bx.ID)
			chosen = append(chosen, bx.ID)
		}
	}
	if !sameSet(chosen, slices.Collect(maps.Keys(selectable))) {
		t.Fatalf("chose %v, want every selectable account %v", chosen, slices.Collect(maps.Keys(selectable)))
	}
	b.waitJS("every usable account ticked", e2eStep, `[...document.querySelectorAll('input[data-testid^="target-"]:not(:disabled)')].every((el) => el.checked)`)

	// The live counts: one row per platform, the count and limit the
	// platform's connector computes for exactly this text, and for X the
	// twitter-text weighted length.
	media := []publisher.MediaRef{{ContentType: "image/jpeg"}}
	want := map[string]publisher.Measure{}
	for p := range platforms {
		ms := svc.Connector(p).Measure(publisher.Message{Text: text, Link: link, Media: media})
		if ms.Count <= 0 || ms.Limit <= 0 {
			t.Fatalf("%s measures the post as %d of %d", p, ms.Count, ms.Limit)
		}
		want[string(p)] = ms
	}
	if ms, ok := want[string(publisher.X)]; ok {
		if w := x.WeightedLength(text+"\n\n"+link, x.ConfigV3()); w != ms.Count {
			t.Fatalf("X's connector counts %d, twitter-text v3 counts %d", ms.Count, w)
		}
	} else {
		t.Logf("no X account can be published to in this build (platforms: %v), so the X row and its twitter-text count are not on the page; "+
			"they are checked here as soon as cmd/prasar wires an X connector", slices.Sorted(maps.Keys(want)))
	}
	rowsMatch := func(over string, want map[string]publisher.Measure) func() (bool, string) {
		return func() (bool, string) {
			if eval[string](b, `document.querySelector('[data-testid="measure-state"]')?.dataset.busy ?? ''`) != "false" {
				return false, "still counting"
			}
			rows := eval[[]measureRow](b, measureRowsJS)
			if len(rows) != len(want) {
				return false, fmt.Sprintf("rows %+v", rows)
			}
			for _, r := range rows {
				w, ok := want[r.Platform]
				overWant := "false"
				if r.Platform == over {
					overWant = "true"
				}
				if !ok || r.Count != w.Count || r.Limit != w.Limit || r.Over != overWant {
					return false, fmt.Sprintf("row %s: count %d limit %d over %s; want %d of %d, over %s", r.Platform, r.Count, r.Limit, r.Over, w.Count, w.Limit, overWant)
				}
			}
			return true, ""
		}
	}
	b.waitFor("the per-platform counts of the post", e2eStep, rowsMatch("", want))
	for _, r := range eval[[]measureRow](b, measureRowsJS) {
		if !strings.Contains(r.CountText, strconv.Itoa(r.Count)) || !strings.Contains(r.CountText, strconv.Itoa(r.Limit)) {
			t.Errorf("%s row says %q, want its count %d and limit %d", r.Platform, r.CountText, r.Count, r.Limit)
		}
	}
	for _, pt := range eval[[]string](b, `[...document.querySelectorAll('li[data-testid^="measure-"] .preview__text')].map((el) => el.textContent)`) {
		if pt != text {
			t.Errorf("preview text = %q, want %q", pt, text)
		}
	}

	// A text for one platform that is too long: X's (280), or where this
	// build has no X, the platform with the smallest limit.
	overP := string(publisher.X)
	if _, ok := want[overP]; !ok {
		overP = ""
		for p, ms := range want {
			if overP == "" || ms.Limit < want[overP].Limit {
				overP = p
			}
		}
		t.Logf("the over-long variant goes to %s (limit %d)", overP, want[overP].Limit)
	}
	// Hindi for X's 280; plain Latin for a limit in the tens of thousands,
	// which a browser without Devanagari fonts shapes much faster.
	word := "मिट्टी परीक्षण अवश्य कराएं। "
	if want[overP].Limit > 1000 {
		word = "Get your soil tested. "
	}
	long := strings.TrimSpace(strings.Repeat(word, want[overP].Limit/len([]rune(word))+5))
	overWant := maps.Clone(want)
	overWant[overP] = svc.Connector(publisher.Platform(overP)).Measure(publisher.Message{Text: long, Link: link, Media: media})
	if ms := overWant[overP]; ms.Count <= ms.Limit {
		t.Fatalf("the long variant counts %d of %d on %s", ms.Count, ms.Limit, overP)
	}
	if overP == string(publisher.X) {
		if w := x.WeightedLength(long+"\n\n"+link, x.ConfigV3()); w != overWant[overP].Count {
			t.Fatalf("X's connector counts the variant %d, twitter-text v3 %d", overWant[overP].Count, w)
		}
	}
	phase("over-long variant")
	b.do("opening the per-platform texts", chromedp.Click(chromedp.CSS("details.variants > summary"), chromedp.NodeVisible))
	b.typeInto("variant-"+overP, long)
	b.waitFor(overP+" marked over its limit", e2eStep, rowsMatch(overP, overWant))
	for _, r := range eval[[]measureRow](b, measureRowsJS) {
		if r.Platform != overP {
			continue
		}
		by := strconv.Itoa(r.Count - r.Limit)
		if !strings.Contains(r.OverText, "Too long by "+by) {
			t.Errorf("%s over-limit message = %q, want it to say it is too long by %s", overP, r.OverText, by)
		}
	}
	b.clearField("variant-" + overP)
	b.waitFor(overP+" back within its limit", e2eStep, rowsMatch("", want))
	if b.present("measure-" + overP + "-over") {
		t.Errorf("the over-limit message of %s stays after the variant was removed", overP)
	}

	// ---- 3. Save, submit ----
	phase("save and submit")
	b.click("save")
	b.waitJS("the saved draft", e2eStep, `/^\/posts\/[^/]+\/edit$/.test(location.pathname) && document.querySelector('[data-testid="save-status"]')?.textContent.trim() !== ''`)
	postID := strings.TrimSuffix(strings.TrimPrefix(eval[string](b, `location.pathname`), "/posts/"), "/edit")
	p, err := store.GetPost(ctx, postID)
	if err != nil {
		t.Fatalf("the saved post %s: %v", postID, err)
	}
	c := p.Content
	if p.Status != publisher.PostDraft || p.Title != title || c.BodyHI != bodyHI || c.BodyEN != bodyEN || c.Link != link ||
		len(c.MediaIDs) != 1 || c.AltText != altText || len(c.Variants) != 0 || !sameSet(p.Targets, chosen) {
		t.Fatalf("stored draft = status %s title %q content %+v targets %v; want what was typed, one image, no variant, targets %v",
			p.Status, p.Title, c, p.Targets, chosen)
	}
	b.click("submit")
	b.waitJS("the post in review", e2eStep, `location.pathname === `+js("/posts/"+postID)+
		` && document.querySelector('[data-testid="post-status"]')?.dataset.status === 'in_review'`)
	if s := b.text("post-status"); !strings.Contains(s, "In review") {
		t.Errorf("post status reads %q, want In review", s)
	}
	// The author cannot approve: no approve button, and the API refuses.
	if b.present("approve") {
		t.Error("the author is offered the approve button on their own post")
	}
	p, err = store.GetPost(ctx, postID)
	if err != nil {
		t.Fatal(err)
	}
	if r := b.fetch("POST", "/api/v1/posts/"+postID+"/approve", map[string]any{"revision": p.Revision, "comment": ""}); r.Status != 403 {
		t.Errorf("the author approving their own post: HTTP %d %s, want 403", r.Status, r.Body)
	}

	// ---- 4. The approver ----
	phase("review")
	b.signOut()
	b.signIn(e2eApprover, e2ePassword)
	b.waitJS("the review queue with the post", e2eStep, `location.pathname === '/review' && !!document.querySelector(`+js(string(tid("review-row-"+postID)))+`)`)
	b.do("opening the post from the review queue", chromedp.Click(chromedp.CSS(string(tid("review-row-"+postID))+" a"), chromedp.NodeVisible))
	b.waitJS("the post page with the review form", e2eStep, `location.pathname === `+js("/posts/"+postID)+
		` && !!document.querySelector('[data-testid="approve"]')`)
	if got := b.text("post-title"); got != title {
		t.Errorf("post title = %q, want %q", got, title)
	}
	if got := b.text("post-body-hi"); got != bodyHI {
		t.Errorf("Hindi text on the post page = %q, want %q", got, bodyHI)
	}
	if got := b.text("post-body-en"); got != bodyEN {
		t.Errorf("English text on the post page = %q, want %q", got, bodyEN)
	}
	if n := eval[int](b, `document.querySelectorAll('a[href=`+js(link)+`]').length`); n == 0 {
		t.Errorf("the post page does not link %s", link)
	}
	if n := eval[int](b, `[...document.querySelectorAll('.thumbs img')].filter((i) => i.complete && i.naturalWidth === 640).length`); n != 1 {
		t.Errorf("the post page shows %d loaded 640-pixel images, want the one uploaded", n)
	}
	if b.present("own-post-note") {
		t.Error("the approver, who did not write the post, is told it is their own")
	}

	// ---- 5. Approve; the deliveries turn published live ----
	// The sandbox holds each publish for 4 s, so the page shows the
	// deliveries under way before they are published: what it shows then
	// can only have come over its event stream.
	for p := range platforms {
		if err := sb.SetFault(string(p), "", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 4 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	phase("approve and publish")
	eval[chromedp.Void](b, `window.__prasarE2E = 'same page'`)
	b.typeInto("review-comment", "Approved for all accounts.")
	b.click("approve")
	b.waitJS("the approval", e2eStep, `!!document.querySelector('[data-testid="action-done"]')`)
	var rows []deliveryRow
	sawUnderWay := false
	b.waitFor("every delivery published", e2ePublish, func() (bool, string) {
		rows = eval[[]deliveryRow](b, deliveryRowsJS)
		published := 0
		for _, r := range rows {
			if r.Status == "published" {
				published++
			}
		}
		if len(rows) == len(chosen) && published < len(rows) {
			sawUnderWay = true
		}
		return len(rows) == len(chosen) && published == len(rows), fmt.Sprintf("%+v", rows)
	})
	for p := range platforms {
		sb.ClearFaults(string(p), "")
	}
	if !sawUnderWay {
		t.Error("the deliveries were never shown under way before they were published")
	}
	if mode := b.attr("live-state", "data-mode"); mode != "sse" {
		t.Errorf("live-state data-mode = %q, want sse (the page should update over server-sent events)", mode)
	}
	if v := eval[string](b, `window.__prasarE2E ?? 'reloaded'`); v != "same page" {
		t.Errorf("the post page was reloaded (%s) to show the published deliveries", v)
	}
	if got := eval[string](b, `document.querySelector('[data-testid="post-status"]')?.dataset.status`); got != "approved" && got != "publishing" {
		t.Errorf("post status after approval = %q", got)
	}

	// Each delivery: the account chosen, a link to the published post, and
	// the same in the store.
	stored, _, err := store.ListDeliveries(ctx, publisher.DeliveryFilter{PostID: postID})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*publisher.Delivery{}
	for _, d := range stored {
		byID[d.ID] = d
	}
	var accountsOnPage []string
	for _, r := range rows {
		accountsOnPage = append(accountsOnPage, r.Account)
		d := byID[r.ID]
		switch {
		case d == nil:
			t.Errorf("the page shows delivery %s, which the store does not have", r.ID)
		case d.Status != publisher.DeliveryPublished || d.ExternalURL == "" || d.ExternalURL != r.Href:
			t.Errorf("delivery %s: stored %s %q, page links %q", r.ID, d.Status, d.ExternalURL, r.Href)
		case !strings.HasPrefix(r.Href, m.URL()+"/sandbox/"):
			t.Errorf("delivery %s links %s, want the sandbox feed", r.ID, r.Href)
		}
	}
	if len(stored) != len(chosen) || !sameSet(accountsOnPage, chosen) {
		t.Errorf("deliveries for accounts %v (%d stored), want one for each of %v", accountsOnPage, len(stored), chosen)
	}

	// The sandbox received the post exactly once on every account.
	for _, id := range chosen {
		a := selectable[id]
		var got []sandbox.Post
		for _, sp := range sb.Posts(string(a.Platform), a.ExternalID) {
			if strings.Contains(sp.Text, ref) {
				got = append(got, sp)
			}
		}
		if len(got) != 1 {
			t.Errorf("%s account %s received the post %d times, want once: %+v", a.Platform, a.ExternalID, len(got), got)
			continue
		}
		if !strings.Contains(got[0].Text, bodyHI) || !strings.Contains(got[0].Text, bodyEN) || len(got[0].Images) != 1 {
			t.Errorf("%s account %s received %q with %d images", a.Platform, a.ExternalID, got[0].Text, len(got[0].Images))
		}
	}
	total := 0
	for _, sp := range sb.AllPosts() {
		if strings.Contains(sp.Text, ref) {
			total++
		}
	}
	if total != len(chosen) {
		t.Errorf("the sandbox holds the post %d times, want %d (once per account)", total, len(chosen))
	}

	// One link opens the sandbox's page of the published post.
	phase("published deliveries checked; the sandbox page")
	if len(rows) > 0 && rows[0].Href != "" {
		tab, closeTab := b.newTab()
		tab.open(rows[0].Href)
		tab.waitJS("the published post on the sandbox page", e2eStep, `document.body && document.body.innerText.includes(`+js(bodyEN)+`)`)
		if !eval[bool](tab, `document.body.innerText.includes(`+js(bodyHI)+`)`) {
			t.Errorf("the sandbox page %s does not show the Hindi text\n%s", rows[0].Href, tab.state())
		}
		closeTab()
	}

	// ---- 6. The publish history ----
	phase("history")
	b.click("nav-history")
	b.waitJS("the history filters with the organisations", e2eStep, `location.pathname === '/history' && document.querySelectorAll('[data-testid="filter-org"] option').length > 1`)
	b.choose("filter-org", agri.ID)
	b.choose("filter-status", "published")
	b.click("filter-apply")
	q := `location.pathname === '/history' && new URLSearchParams(location.search).get('orgId') === ` + js(agri.ID) +
		` && new URLSearchParams(location.search).get('status') === 'published'`
	b.waitJS("the filtered history", e2eStep, q)
	mine := map[string]bool{}
	for _, r := range rows {
		mine[r.ID] = true
	}
	_, agriPublished, err := store.ListDeliveries(ctx, publisher.DeliveryFilter{OrgID: agri.ID, Statuses: []publisher.DeliveryStatus{publisher.DeliveryPublished}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	var hist []deliveryRow
	b.waitFor("the post's deliveries in the history, with its title", e2eStep, func() (bool, string) {
		hist = eval[[]deliveryRow](b, deliveryRowsJS)
		found := 0
		for _, r := range hist {
			if mine[r.ID] && r.Title == title {
				found++
			}
		}
		return found == len(mine), fmt.Sprintf("%+v", hist)
	})
	if len(hist) != min(agriPublished, 50) {
		t.Errorf("history shows %d rows, the store has %d published deliveries of the organisation", len(hist), agriPublished)
	}
	for _, r := range hist {
		if r.Status != "published" {
			t.Errorf("history filtered by published shows delivery %s as %s", r.ID, r.Status)
		}
		if mine[r.ID] && r.Href != byID[r.ID].ExternalURL {
			t.Errorf("history links delivery %s to %q, want %q", r.ID, r.Href, byID[r.ID].ExternalURL)
		}
	}
	if got := eval[string](b, `document.querySelector('[data-testid="filter-status"]').value + ' ' + document.querySelector('[data-testid="filter-org"]').value`); got != "published "+agri.ID {
		t.Errorf("the history filters show %q after applying them", got)
	}
	phase("done")
}

// TestE2EOtherOrganisationAndOwnPost checks the two walls around a post:
// an editor of another organisation who opens its address sees "not
// found" (and the API answers 404, as for a post that does not exist),
// and an author who may approve posts cannot approve their own.
func TestE2EOtherOrganisationAndOwnPost(t *testing.T) {
	m := startE2EServer(t)
	ctx := context.Background()
	store, svc := m.Store(), m.Service()
	agri, err := store.GetOrgByCode(ctx, "AGRI")
	if err != nil {
		t.Fatal(err)
	}
	_, selectable := selectableAccounts(t, m, agri.ID)
	// These posts have no image: target the accounts whose platform takes
	// text alone (Instagram needs an image).
	var textTargets []string
	for id := range selectable {
		a, err := store.GetAccount(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c := svc.Connector(a.Platform); c != nil && !c.Rules().RequiresMedia {
			textTargets = append(textTargets, id)
		}
	}
	as := func(email string) context.Context {
		u, err := store.GetUserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return publisher.NewContextWithUser(ctx, u)
	}
	submitted := func(author context.Context, title string) *publisher.Post {
		t.Helper()
		p, err := svc.CreatePost(author, publisher.PostInput{OrgID: agri.ID, Kind: publisher.KindPost, Title: title,
			Content: publisher.Content{BodyHI: "किसान भाई ध्यान दें! ज़मीन की सेहत जाँचें।", BodyEN: "Farmers: get your soil tested."},
			Targets: textTargets})
		if err != nil {
			t.Fatal(err)
		}
		if p, err = svc.SubmitPost(author, p.ID, p.Revision); err != nil {
			t.Fatal(err)
		}
		return p
	}
	editorPost := submitted(as(e2eEditor), "Soil health cards (agriculture)")
	adminPost := submitted(as(e2eAdmin), "Soil health cards (written by the admin)")

	b := startBrowser(t, m.URL())

	// The health department's editor follows a link to the agriculture post.
	b.open("/posts/" + editorPost.ID)
	b.signIn(e2eOther, e2ePassword) // the sign-in page keeps ?next=
	b.waitJS("the post page's answer", e2eStep, `location.pathname === `+js("/posts/"+editorPost.ID)+
		` && !!document.querySelector('#page-title') && document.querySelector('#page-title').textContent.trim() !== ''`)
	b.waitJS("not found", e2eStep, `document.querySelector('main').textContent.includes('यह पोस्ट मौजूद नहीं है, या आपको इसकी पहुँच नहीं है।')`)
	if h := eval[string](b, `document.querySelector('#page-title').textContent.trim()`); h != "पृष्ठ नहीं मिला" {
		t.Errorf("heading = %q, want पृष्ठ नहीं मिला (page not found)", h)
	}
	if eval[bool](b, `document.body.textContent.includes(`+js(editorPost.Title)+`)`) {
		t.Error("the other organisation's editor sees the post's title")
	}
	for _, path := range []string{"/api/v1/posts/" + editorPost.ID, "/api/v1/posts/" + editorPost.ID + "/revisions", "/api/v1/deliveries?postId=" + editorPost.ID} {
		r := b.fetch("GET", path, nil)
		if path == "/api/v1/deliveries?postId="+editorPost.ID {
			// A list is not a 404; it must simply hold nothing of the post.
			if r.Status != 200 || strings.Contains(r.Body, editorPost.ID) {
				t.Errorf("GET %s as another organisation's editor: HTTP %d %s", path, r.Status, r.Body)
			}
			continue
		}
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal([]byte(r.Body), &e)
		if r.Status != 404 || e.Error.Code != "not_found" || strings.Contains(r.Body, editorPost.Title) {
			t.Errorf("GET %s as another organisation's editor: HTTP %d %s, want 404 not_found", path, r.Status, r.Body)
		}
	}
	if r := b.fetch("GET", "/api/v1/posts/no-such-post", nil); r.Status != 404 {
		t.Errorf("GET of a post that does not exist: HTTP %d, want 404 (the same answer)", r.Status)
	}
	b.signOut()

	// The admin sees both posts; they may approve the editor's, not their own.
	b.open("/posts/" + editorPost.ID)
	b.signIn(e2eAdmin, e2ePassword)
	b.waitJS("the editor's post, for the admin", e2eStep, `location.pathname === `+js("/posts/"+editorPost.ID)+
		` && document.querySelector('[data-testid="post-title"]')?.textContent.trim() === `+js(editorPost.Title))
	b.waitJS("the approve button on someone else's post", e2eStep, `!!document.querySelector('[data-testid="approve"]')`)
	if b.present("own-post-note") {
		t.Error("the admin is told the editor's post is their own")
	}
	b.open("/posts/" + adminPost.ID)
	b.waitJS("the admin's own post", e2eStep, `document.querySelector('[data-testid="post-title"]')?.textContent.trim() === `+js(adminPost.Title)+
		` && !!document.querySelector('[data-testid="reject"]')`)
	if b.present("approve") {
		t.Error("the approve button is offered on the reviewer's own post")
	}
	if note := b.text("own-post-note"); !strings.Contains(note, "You cannot approve your own post.") {
		t.Errorf("own-post note = %q, want it to say the post is their own", note)
	}
	if r := b.fetch("POST", "/api/v1/posts/"+adminPost.ID+"/approve", map[string]any{"revision": adminPost.Revision, "comment": ""}); r.Status != 403 {
		t.Errorf("approving one's own post through the API: HTTP %d %s, want 403", r.Status, r.Body)
	}
	if p, err := store.GetPost(ctx, adminPost.ID); err != nil || p.Status != publisher.PostInReview {
		t.Errorf("the admin's own post after the refused approval: %v %v", p.Status, err)
	}
}

// writeTestJPEG writes a 640×480 JPEG (a colour gradient) into dir.
func writeTestJPEG(t *testing.T, dir string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{uint8(x * 255 / 640), uint8(y * 255 / 480), 96, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "soil-health-camp.jpg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sameSet reports whether a and b hold the same strings, ignoring order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
