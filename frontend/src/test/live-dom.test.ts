// @vitest-environment happy-dom
//
// The whole app in a DOM against a running Prasar with its demo data: an
// editor signs in through the form, writes a post in the composer (live
// measure from the real server), submits it; an approver approves it on the
// post page and the deliveries table fills in (by polling: happy-dom has no
// EventSource). Runs only when PRASAR_URL and PRASAR_DEMO_PASSWORD are set
// (see live.test.ts); the Go end-to-end test does the same in Chromium.

import { afterEach, describe, expect, it } from 'vitest';

const base = process.env.PRASAR_URL ?? '';
const password = process.env.PRASAR_DEMO_PASSWORD ?? '';

async function settle(ms = 0): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} at ${location.pathname}:\n${document.querySelector('main')?.textContent?.replace(/\s+/g, ' ').slice(0, 1500)}`);
    await settle(100);
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`);
const must = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = $<T>(id);
  if (!el) throw new Error(`no [data-testid=${id}] at ${location.pathname}`);
  return el;
};
function type(el: HTMLInputElement | HTMLTextAreaElement, v: string): void {
  el.value = v;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

let stop: (() => void) | null = null;
afterEach(() => stop?.());

async function boot(path: string, lang: 'hi' | 'en'): Promise<void> {
  stop?.();
  // Same origin as the server, so happy-dom's fetch keeps the session cookie
  // and sends the Origin the API expects.
  (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL(base + path);
  document.body.innerHTML = '<div id="app"></div>';
  (globalThis as { EventSource?: unknown }).EventSource = undefined;
  const { vi } = await import('vitest');
  vi.resetModules();
  const api = await import('../api');
  void api;
  (await import('../i18n')).setLang(lang);
  const { startApp } = await import('../app');
  const h = startApp(document.getElementById('app')!);
  stop = h.stop;
  await h.ready;
  await settle();
}

async function signIn(email: string): Promise<void> {
  await until(() => !!$('signin-email'), 'the sign-in form');
  type(must('signin-email'), email);
  type(must('signin-password'), password);
  must<HTMLFormElement>('signin-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  await until(() => !!$('user-name'), 'the signed-in header');
}

describe.skipIf(!base || !password)('the app against a running server (needs PRASAR_URL and PRASAR_DEMO_PASSWORD)', () => {
  it('writes, submits, approves and publishes a post through the screens', { timeout: 90_000 }, async () => {
    await boot('/posts/new', 'hi');
    await signIn('editor.agri@example.gov.in');
    expect(location.pathname).toBe('/posts/new');
    await until(() => document.querySelectorAll('input[data-testid^="target-"]').length > 0, 'the target checklist');

    const boxes = [...document.querySelectorAll<HTMLInputElement>('input[data-testid^="target-"]')];
    const usable = boxes.filter((b) => !b.disabled);
    expect(usable.length).toBeGreaterThan(0);
    // Koo is listed but cannot be chosen, with the reason in words.
    const koo = boxes.find((b) => b.closest('[data-testid="platform-group-koo"]'));
    if (koo) {
      expect(koo.disabled).toBe(true);
      expect(koo.closest('li')?.textContent).toContain('3 जुलाई 2024');
    }

    type(must('title'), 'DOM live test');
    type(must('body-hi'), 'किसान मेला हिसार में २८ नवंबर को');
    type(must('body-en'), `Kisan Mela at Hisar ${Date.now()}`);
    usable[0]!.checked = true;
    usable[0]!.dispatchEvent(new Event('change', { bubbles: true }));
    await until(() => !!document.querySelector('[data-testid^="measure-"][data-count]'), 'a measure row');
    const row = document.querySelector<HTMLElement>('[data-testid^="measure-"][data-count]')!;
    expect(Number(row.dataset.count)).toBeGreaterThan(0);

    must('submit').click();
    await until(() => /^\/posts\/[^/]+$/.test(location.pathname) && !!$('post-status'), 'the post page');
    expect(must('post-status').dataset.status).toBe('in_review');
    const postPath = location.pathname;
    must('signout').click();
    await settle(200);

    await boot(postPath, 'en');
    await signIn('approver@example.gov.in');
    await until(() => location.pathname === postPath && !!$('approve'), 'the approve button');
    must('approve').click();
    await until(() => {
      const rows = [...document.querySelectorAll<HTMLElement>('tr[data-testid^="delivery-"]')];
      return rows.length > 0 && rows.every((r) => r.dataset.status === 'published');
    }, 'published deliveries', 30_000);
    const link = document.querySelector<HTMLAnchorElement>('a[data-testid^="delivery-link-"]');
    expect(link?.href).toMatch(/^https?:\/\//);
    expect(must('live-state').dataset.mode).toBe('poll');
  });
});
