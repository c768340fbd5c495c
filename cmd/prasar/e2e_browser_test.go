//go:build embedui

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A small harness over chromedp for the end-to-end tests: one headless
// Chromium per test, actions that fail the test with the page's state in
// the message, and a screenshot and the page's HTML saved when a test
// fails.

const (
	// e2eStep bounds one ordinary step (a click, a page, a save) on a busy
	// two-core machine.
	e2eStep = 20 * time.Second
	// e2eStartup bounds starting Chromium.
	e2eStartup = 60 * time.Second
	// e2ePublish bounds the fan-out from approval to published deliveries.
	e2ePublish = 90 * time.Second
)

// browser is one Chromium tab driven by a test.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab; it has no deadline, which would end the browser
	base string          // the Prasar base URL, without a trailing slash
	out  *safeLog
	cons *consoleLog
}

// chromiumPath returns the Chromium to drive: PRASAR_CHROMIUM, or Debian's
// /usr/bin/chromium. A missing browser fails the test: CI must not pass
// without running it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("PRASAR_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	path, err := exec.LookPath(p)
	if err != nil {
		t.Fatalf("the end-to-end test needs Chromium and %q is not usable (%v): install it (Debian: apt-get install chromium) "+
			"or set PRASAR_CHROMIUM to a Chromium or Chrome binary", p, err)
	}
	return path
}

// startBrowser starts a headless Chromium with a fresh profile and opens
// one tab on it; the test's cleanup closes both.
func startBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := chromiumPath(t)
	profile := t.TempDir() // before the browser's cleanup, so removed after Chromium exits
	out := &safeLog{t: t}
	t.Cleanup(out.stop)
	stderr := &capped{max: 64 << 10}

	opts := slices.Clone(chromedp.DefaultExecAllocatorOptions[:])
	opts = append(opts,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
		chromedp.CombinedOutput(stderr),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(out.logf("chromedp: ")))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})

	// The first action starts the browser and ties it to ctx, so it runs
	// without a deadline; the wait for it is bounded here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting Chromium (%s): %v\nits output:\n%s", path, err, stderr)
		}
	case <-time.After(e2eStartup):
		t.Fatalf("Chromium (%s) did not start within %s\nits output:\n%s", path, e2eStartup, stderr)
	}

	b := &browser{t: t, ctx: ctx, base: strings.TrimRight(base, "/"), out: out, cons: &consoleLog{}}
	b.cons.watch(ctx)
	// Registered last, so it runs first: the tab is still open.
	t.Cleanup(func() {
		if t.Failed() {
			b.saveFailure()
		}
	})
	return b
}

// newTab opens another tab in the same browser (same cookies).
func (b *browser) newTab() (*browser, func()) {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tab := &browser{t: b.t, ctx: ctx, base: b.base, out: b.out, cons: &consoleLog{}}
	// As for the browser, the first action ties the tab to its context, so
	// it runs without a deadline and the wait is bounded here.
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(ctx) }()
	select {
	case err := <-opened:
		if err != nil {
			cancel()
			b.t.Fatalf("opening a new tab: %v", err)
		}
	case <-time.After(e2eStep):
		cancel()
		b.t.Fatalf("opening a new tab took longer than %s", e2eStep)
	}
	return tab, cancel
}

// do runs steps within e2eStep and fails the test if one fails.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, e2eStep)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.state())
	}
}

// evalE evaluates a JavaScript expression (awaiting a promise) and
// decodes its JSON value.
func evalE[T any](b *browser, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, e2eStep)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// eval is evalE that fails the test on an error.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := evalE[T](b, expr)
	if err != nil {
		b.t.Fatalf("evaluating %s: %v\n%s", expr, err, b.state())
	}
	return v
}

// waitFor polls cond every 100 ms until it holds; after timeout it fails
// the test with cond's last word and the page's state.
func (b *browser) waitFor(what string, timeout time.Duration, cond func() (bool, string)) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out after %s waiting for %s (last: %s)\n%s", timeout, what, last, b.state())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitJS waits until the JavaScript expression is true.
func (b *browser) waitJS(what string, timeout time.Duration, expr string) {
	b.t.Helper()
	b.waitFor(what, timeout, func() (bool, string) {
		ok, err := evalE[bool](b, expr)
		if err != nil {
			return false, err.Error()
		}
		return ok, "false"
	})
}

// state describes where the tab is, for failure messages.
func (b *browser) state() string {
	s, err := evalE[string](b, `location.pathname + location.search + '\n' +
		((document.querySelector('main') || document.body || {}).innerText || '').replace(/\n{2,}/g, '\n').slice(0, 2500)`)
	if err != nil {
		return "page state unavailable: " + err.Error()
	}
	return "page at " + s
}

// saveFailure keeps a screenshot, the page's HTML and the browser console
// of a failed test. t.TempDir would be removed with the test, so they go to
// PRASAR_E2E_ARTIFACTS, or a directory under the system's temporary one
// that is left in place.
func (b *browser) saveFailure() {
	t := b.t
	dir := os.Getenv("PRASAR_E2E_ARTIFACTS")
	var err error
	if dir != "" {
		err = os.MkdirAll(dir, 0o755)
	} else {
		dir, err = os.MkdirTemp("", "prasar-e2e-")
	}
	if err != nil {
		t.Logf("no directory for the failure's screenshot: %v", err)
		return
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	ctx, cancel := context.WithTimeout(b.ctx, e2eStep)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Logf("no screenshot: %v", err)
	} else if p := filepath.Join(dir, name+".png"); os.WriteFile(p, png, 0o644) == nil {
		t.Logf("screenshot of the failure: %s", p)
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err != nil {
		t.Logf("no page HTML: %v", err)
	} else if p := filepath.Join(dir, name+".html"); os.WriteFile(p, []byte(html), 0o644) == nil {
		t.Logf("page HTML of the failure: %s", p)
	}
	t.Logf("%s", b.state())
	if msgs := b.cons.all(); len(msgs) > 0 {
		t.Logf("browser console:\n%s", strings.Join(msgs, "\n"))
	}
}

// tid is the CSS selector of a data-testid hook.
func tid(id string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf("[data-testid=%q]", id))
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// open loads a path of the deployment (a full page load) or an absolute URL.
func (b *browser) open(pathOrURL string) {
	b.t.Helper()
	u := pathOrURL
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	b.do("opening "+u, chromedp.Navigate(u))
}

// click clicks the element with the data-testid once it is visible.
func (b *browser) click(id string) {
	b.t.Helper()
	b.do("clicking "+id, chromedp.Click(tid(id), chromedp.NodeVisible))
}

// typeInto types text at the end of a field, as an input method would
// (one insertText, which fires the field's input events), and checks that
// the field then holds exactly want.
func (b *browser) typeInto(id, text string) {
	b.t.Helper()
	before := eval[string](b, `document.querySelector(`+js(string(tid(id)))+`)?.value ?? ''`)
	b.do("typing into "+id, chromedp.Focus(tid(id), chromedp.NodeVisible), insertText(text))
	want := before + text
	b.waitJS(id+" holding the typed text", e2eStep, `document.querySelector(`+js(string(tid(id)))+`)?.value === `+js(want))
}

// clearField empties a field the way a person does: select all, Backspace.
func (b *browser) clearField(id string) {
	b.t.Helper()
	b.do("clearing "+id, chromedp.Focus(tid(id), chromedp.NodeVisible),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`), chromedp.KeyEvent(kb.Backspace))
	b.waitJS(id+" being empty", e2eStep, `document.querySelector(`+js(string(tid(id)))+`)?.value === ''`)
}

func insertText(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	})
}

// choose picks an option of a <select> by value and fires its change event.
func (b *browser) choose(id, value string) {
	b.t.Helper()
	res := eval[string](b, `(() => {
		const el = document.querySelector(`+js(string(tid(id)))+`);
		if (!el) return 'no such select';
		if (![...el.options].some((o) => o.value === `+js(value)+`)) return 'no option ' + `+js(value)+`;
		el.focus();
		el.value = `+js(value)+`;
		el.dispatchEvent(new Event('input', { bubbles: true }));
		el.dispatchEvent(new Event('change', { bubbles: true }));
		return 'ok';
	})()`)
	if res != "ok" {
		b.t.Fatalf("choosing %q in %s: %s\n%s", value, id, res, b.state())
	}
}

// text returns the trimmed textContent of the element with the data-testid
// ("" if there is none).
func (b *browser) text(id string) string {
	b.t.Helper()
	return strings.TrimSpace(eval[string](b, `document.querySelector(`+js(string(tid(id)))+`)?.textContent ?? ''`))
}

// attr returns an attribute of the element with the data-testid.
func (b *browser) attr(id, name string) string {
	b.t.Helper()
	return eval[string](b, `document.querySelector(`+js(string(tid(id)))+`)?.getAttribute(`+js(name)+`) ?? ''`)
}

// present reports whether an element with the data-testid is on the page.
func (b *browser) present(id string) bool {
	b.t.Helper()
	return eval[bool](b, `!!document.querySelector(`+js(string(tid(id)))+`)`)
}

// fetchResult is an API answer seen from the page.
type fetchResult struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// fetch calls the API from the page with its session cookie and, for
// state-changing methods, the session's CSRF token — what the SPA does.
func (b *browser) fetch(method, path string, body any) fetchResult {
	b.t.Helper()
	payload := "undefined"
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			b.t.Fatal(err)
		}
		payload = js(string(raw))
	}
	return eval[fetchResult](b, `(async () => {
		const headers = { 'Content-Type': 'application/json' };
		if (`+js(method)+` !== 'GET') {
			const s = await fetch('/api/v1/session', { credentials: 'same-origin' }).then((r) => r.json());
			headers['X-CSRF-Token'] = s.data.csrfToken;
		}
		const r = await fetch(`+js(path)+`, { method: `+js(method)+`, credentials: 'same-origin', headers, body: `+payload+` });
		return { status: r.status, body: await r.text() };
	})()`)
}

// signIn fills the sign-in form on the current page and waits for the
// signed-in header.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.waitJS("the sign-in form", e2eStep, `location.pathname === '/signin' && !!document.querySelector('[data-testid="signin-form"]')`)
	b.typeInto("signin-email", email)
	b.typeInto("signin-password", password)
	b.click("signin-submit")
	b.waitJS("the signed-in header of "+email, e2eStep, `!!document.querySelector('[data-testid="user-name"]') && location.pathname !== '/signin'`)
}

// signOut uses the header's button and waits for the sign-in page.
func (b *browser) signOut() {
	b.t.Helper()
	b.click("signout")
	b.waitJS("the sign-in page after signing out", e2eStep,
		`location.pathname === '/signin' && !!document.querySelector('[data-testid="signin-form"]') && !document.querySelector('[data-testid="user-name"]')`)
}

// safeLog forwards chromedp's messages to the test log until the test ends.
type safeLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (l *safeLog) logf(prefix string) func(string, ...any) {
	return func(format string, args ...any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.done {
			l.t.Logf(prefix+format, args...)
		}
	}
}

func (l *safeLog) stop() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// consoleLog keeps what the page wrote to the console, for failures.
type consoleLog struct {
	mu   sync.Mutex
	msgs []string
}

func (c *consoleLog) watch(ctx context.Context) {
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			c.mu.Lock()
			if len(c.msgs) < 500 {
				c.msgs = append(c.msgs, fmt.Sprintf("[%s] %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
			}
			c.mu.Unlock()
		}
	}()
}

func (c *consoleLog) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

// capped is a buffer that keeps the first max bytes (Chromium's output).
type capped struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}
