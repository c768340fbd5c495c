// @vitest-environment happy-dom
//
// Publishing control in the DOM against the in-memory API: the operations
// page (live counts, queues, pause switches with confirmations, Retry),
// retraction and cancellation on the post page, the unconfirmed
// resolution, Retry in the history, and the pause banner.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Lang, Operations, PublishingSettings, Retraction } from '../api';
import { FakeApi, FakeEventSource, delivery } from '../test/fakeapi';
import { bootApp, settle as settleDom, $, must, type } from '../test/dom';

const T0 = '2026-11-28T04:30:00Z';

/** ControlApi adds the publishing-control routes to the fake API. */
class ControlApi extends FakeApi {
  settings: PublishingSettings = { updatedAt: T0, version: 0 };
  retraction: Retraction | null = null;
  ops(): Operations {
    return {
      at: T0,
      since: T0,
      counts: { queued: 3, retrying: 2, published: 40, failed: 1, unconfirmed: 1 },
      held: this.settings.paused ? 5 : 0,
      settings: this.settings,
      attention: this.deliveries.filter((d) => ['failed', 'unconfirmed', 'needs_reconnect'].includes(d.status)),
      retracting: 0,
      queues: [
        { queue: 'critical', pending: 0, active: 1, scheduled: 0, retry: 0, archived: 0, latencyMs: 0 },
        { queue: 'deliver_x', platform: 'x', pending: 12, active: 4, scheduled: 2, retry: 3, archived: 0, latencyMs: 2400 },
        { queue: 'metrics', pending: 5, active: 0, scheduled: 30, retry: 0, archived: 0, latencyMs: 0 },
      ],
    };
  }

  constructor() {
    super();
    const base = this.fetch;
    this.fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
      const url = new URL(String(input), 'http://localhost');
      const p = url.pathname.replace(/^\/api\/v1/, '');
      const method = (init.method ?? 'GET').toUpperCase();
      const body = typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : null;
      const ok = (data: unknown) => new Response(JSON.stringify({ data }), { status: 200, headers: { 'Content-Type': 'application/json' } });
      const rec = () => this.requests.push({ method, path: url.pathname, headers: {}, body });
      const me = this.me();
      if (me && p === '/operations') {
        rec();
        if (me.role === 'editor') return new Response(JSON.stringify({ error: { code: 'forbidden', message: 'no' } }), { status: 403 });
        return ok(this.ops());
      }
      if (me && p === '/publishing') return ok(this.settings);
      if (me && p === '/publishing/pause' && method === 'PUT') {
        rec();
        this.settings = { ...this.settings, paused: body!.paused ? { by: me.id, byName: me.name, at: T0, reason: String(body!.reason) } : undefined };
        return ok({ settings: this.settings, requeued: body!.paused ? 0 : 7 });
      }
      let m = /^\/orgs\/([^/]+)\/pause$/.exec(p);
      if (me && m && method === 'PUT') {
        rec();
        const orgs = { ...(this.settings.pausedOrgs ?? {}) };
        if (body!.paused) orgs[m[1]!] = { by: me.id, byName: me.name, at: T0, reason: String(body!.reason) };
        else delete orgs[m[1]!];
        this.settings = { ...this.settings, pausedOrgs: orgs };
        return ok({ settings: this.settings, requeued: body!.paused ? 0 : 2 });
      }
      m = /^\/posts\/([^/]+)\/retract$/.exec(p);
      if (me && m && method === 'POST') {
        rec();
        const post = this.posts.find((x) => x.id === m![1])!;
        post.status = 'retracted';
        this.retraction = {
          postId: post.id, orgId: post.orgId, reason: String(body!.comment), requestedBy: me.id, requestedByName: me.name, requestedAt: T0, done: true,
          completedAt: T0, updatedAt: T0, version: 2,
          items: [
            { deliveryId: 'd-x', accountId: 'acc-x', platform: 'x', outcome: 'deleted', message: 'Deleted from X.', at: T0 },
            { deliveryId: 'd-ig', accountId: 'acc-ig', platform: 'instagram', outcome: 'not_supported', message: 'Instagram does not let Prasar delete posts through its API.', url: 'https://instagram.example/p/1', at: T0 },
          ],
        };
        return ok(post);
      }
      m = /^\/posts\/([^/]+)\/retraction$/.exec(p);
      if (me && m) return this.retraction ? ok(this.retraction) : new Response(JSON.stringify({ error: { code: 'not_found', message: 'no' } }), { status: 404 });
      m = /^\/deliveries\/([^/]+)\/resolve$/.exec(p);
      if (me && m && method === 'POST') {
        rec();
        const d = this.deliveries.find((x) => x.id === m![1])!;
        d.status = body!.published ? 'published' : 'queued';
        return ok(d);
      }
      return base(input, init);
    };
  }
}

let stop: (() => void) | null = null;

const settle = (ms = 0) => settleDom(ms, 5);

async function boot(path: string, fake: FakeApi, lang: Lang = 'en'): Promise<void> {
  stop = await bootApp(path, fake.fetch, lang);
}

function choose(el: HTMLSelectElement, value: string): void {
  el.value = value;
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

const h1 = () => document.querySelector('h1')?.textContent?.trim() ?? '';

beforeEach(() => {
  localStorage.clear();
  FakeEventSource.instances = [];
  (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
});

afterEach(() => {
  stop?.();
  stop = null;
});

describe('operations page', { timeout: 30_000 }, () => {
  it('shows counts, queues and what needs a person, live; pauses and resumes all publishing after a confirmation', async () => {
    const fake = new ControlApi();
    fake.users.push({ ...fake.users[1]!, id: 'u-admin', role: 'admin', name: 'Asha Admin', email: 'u-admin@example.gov.in' });
    fake.addPost({ id: 'p1', status: 'publishing' });
    fake.deliveries.push(delivery('d-failed', 'p1', 'failed', { errorClass: 'rejected', errorMessage: 'X refused the post.', platformMessage: 'duplicate' }));
    fake.signInAs('u-admin');
    await boot('/posts', fake);
    must('nav-operations').click();
    await settle();
    expect(location.pathname).toBe('/operations');
    expect(h1()).toBe('Publishing operations');
    expect(must('ops-count-published').dataset.count).toBe('40');
    expect(must('ops-count-failed').dataset.count).toBe('1');
    expect(must('ops-queue-deliver_x').dataset.pending).toBe('12');
    expect(must('ops-queue-deliver_x').textContent).toContain('X');
    expect(must('ops-queue-critical').textContent).toContain('Fan-outs and upkeep');
    expect(must('ops-queue-metrics').textContent).toContain('Reading reach figures');
    expect(must('ops-running').textContent).toContain('Publishing is running.');

    // Live: an event replaces the figures.
    const es = FakeEventSource.instances.find((x) => x.url.endsWith('/operations/events'))!;
    es.onopen?.();
    es.emit('operations', { ...fake.ops(), counts: { published: 41 } });
    await settle();
    expect(must('ops-live').dataset.mode).toBe('sse');
    expect(must('ops-count-published').dataset.count).toBe('41');

    // Retry from the "needs a person" list.
    must('retry-d-failed').click();
    await settle();
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/deliveries/d-failed/retry')).toBe(true);

    // Pausing asks first; keeping it as it is sends nothing.
    must('pause-all').click();
    await settle();
    expect(must('ops-confirm-box').textContent).toContain('nothing is lost');
    must('ops-keep').click();
    await settle();
    expect($('ops-confirm-box')).toBeNull();
    expect(fake.requests.some((r) => r.path === '/api/v1/publishing/pause')).toBe(false);
    must('pause-all').click();
    await settle();
    type(must('ops-reason'), 'Election code of conduct');
    must('ops-confirm').click();
    await settle();
    const put = fake.requests.find((r) => r.method === 'PUT' && r.path === '/api/v1/publishing/pause');
    expect(put?.body).toEqual({ paused: true, reason: 'Election code of conduct' });
    expect(must('ops-paused-all').textContent).toContain('Election code of conduct');
    expect(must('ops-all').dataset.paused).toBe('true');
    expect(must('ops-done').textContent).toBe('Publishing paused.');

    must('resume-all').click();
    await settle();
    must('ops-confirm').click();
    await settle();
    expect(must('ops-done').textContent).toContain('7 item(s) queued again');
    expect(must('ops-all').dataset.paused).toBe('false');
  });

  it('lets an approver pause and resume one organisation, but not all publishing', async () => {
    const fake = new ControlApi();
    fake.signInAs('u-approver');
    await boot('/operations', fake);
    expect($('pause-all')).toBeNull();
    expect(must('ops-orgs-none')).toBeTruthy();
    expect(must<HTMLButtonElement>('pause-org').disabled).toBe(true);
    choose(must<HTMLSelectElement>('pause-org-select'), 'org1');
    await settle();
    must('pause-org').click();
    await settle();
    expect(must('ops-confirm-box').textContent).toContain('Agriculture Department');
    must('ops-confirm').click();
    await settle();
    expect(fake.requests.find((r) => r.path === '/api/v1/orgs/org1/pause')?.body).toEqual({ paused: true, reason: '' });
    expect(must('paused-org-org1').textContent).toContain('Agriculture Department');
    must('resume-org-org1').click();
    await settle();
    must('ops-confirm').click();
    await settle();
    expect(fake.requests.filter((r) => r.path === '/api/v1/orgs/org1/pause').at(-1)?.body).toEqual({ paused: false, reason: '' });
    expect(must('ops-done').textContent).toContain('2 item(s)');
    expect($('paused-org-org1')).toBeNull();
  });

  it('is for approvers and administrators only, and speaks Hindi', async () => {
    const fake = new ControlApi();
    fake.signInAs('u-editor');
    await boot('/operations', fake);
    expect($('nav-operations')).toBeNull();
    expect(document.body.textContent).toContain('Your role does not allow this page.');
    stop?.();
    const fake2 = new ControlApi();
    fake2.users[1]!.lang = 'hi'; // the approver reads Hindi
    fake2.signInAs('u-approver');
    await boot('/operations', fake2, 'hi');
    expect(h1()).toBe('प्रकाशन संचालन');
    expect(must('nav-operations').textContent).toBe('संचालन');
  });
});

describe('post page controls', { timeout: 30_000 }, () => {
  it('retracts a published post with a required reason and shows what could not be deleted', async () => {
    const fake = new ControlApi();
    fake.addPost({ id: 'p1', status: 'publishing', authorId: 'u-editor' });
    fake.deliveries.push(delivery('d-x', 'p1', 'published', { externalUrl: 'https://x.example/1' }));
    fake.signInAs('u-approver');
    await boot('/posts/p1', fake);
    must('retract-post').click();
    await settle();
    expect(must('retract-box').textContent).toContain('cannot be undone');
    must('retract-confirm').click(); // no reason yet
    await settle();
    expect(must('error-summary').textContent).toContain('Why is it retracted?');
    expect(fake.requests.some((r) => r.path === '/api/v1/posts/p1/retract')).toBe(false);
    type(must('retract-reason'), 'The notice gave the wrong date');
    must('retract-confirm').click();
    await settle();
    expect(fake.requests.find((r) => r.path === '/api/v1/posts/p1/retract')?.body).toEqual({ revision: 1, comment: 'The notice gave the wrong date' });
    expect(must('post-status').dataset.status).toBe('retracted');
    expect(must('retraction').dataset.done).toBe('true');
    expect(must('retraction-item-d-ig').dataset.outcome).toBe('not_supported');
    expect(must('retraction-item-d-ig').textContent).toContain('Cannot be deleted by Prasar');
    expect(must('retraction-item-d-x').dataset.outcome).toBe('deleted');
    expect($('retract-post')).toBeNull();
  });

  it('lets the PR section cancel an approved (scheduled) post, and shows the pause banner', async () => {
    const fake = new ControlApi();
    fake.settings = { updatedAt: T0, version: 1, pausedOrgs: { org1: { by: 'u-admin', at: T0 } } };
    fake.addPost({ id: 'p2', status: 'approved', scheduledAt: '2026-11-29T18:40:00Z' });
    fake.signInAs('u-approver');
    await boot('/posts/p2', fake);
    expect(must('paused-banner').textContent).toContain('paused for this organisation');
    must('cancel-post').click();
    await settle();
    must('cancel-confirm').click();
    await settle();
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/posts/p2/cancel')).toBe(true);
    expect(must('post-status').dataset.status).toBe('cancelled');
  });

  it('resolves an unconfirmed delivery as not published after a confirmation', async () => {
    const fake = new ControlApi();
    fake.addPost({ id: 'p3', status: 'publishing' });
    fake.deliveries.push(delivery('d-u', 'p3', 'unconfirmed', { errorMessage: 'check the account' }));
    fake.signInAs('u-editor');
    await boot('/posts/p3', fake);
    must('mark-not-published-d-u').click();
    await settle();
    must('not-published-confirm-d-u').click();
    await settle();
    expect(fake.requests.find((r) => r.path === '/api/v1/deliveries/d-u/resolve')?.body).toEqual({ published: false, url: '' });
    expect(must('delivery-d-u').dataset.status).toBe('queued');
  });
});

describe('history', { timeout: 30_000 }, () => {
  it('has Retry on failed rows', async () => {
    const fake = new ControlApi();
    fake.addPost({ id: 'p4', status: 'publishing' });
    fake.deliveries.push(delivery('d-f', 'p4', 'failed'), delivery('d-ok', 'p4', 'published'));
    fake.signInAs('u-editor');
    await boot('/history', fake);
    expect($('retry-d-ok')).toBeNull();
    must('retry-d-f').click();
    await settle();
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/deliveries/d-f/retry')).toBe(true);
    expect(must('delivery-d-f').dataset.status).toBe('queued');
  });
});

describe('control screens', () => {
  /** checkScreen asserts what app.test.ts asserts of every screen. */
  function checkScreen(r: string, lang: Lang): void {
    const text = document.body.textContent ?? '';
    expect(text, r).not.toMatch(/undefined|NaN|\[object |\{[a-zA-Z]+\}/);
    expect(document.querySelectorAll('h1').length, r).toBe(1);
    expect(document.documentElement.lang).toBe(lang);
    for (const el of document.querySelectorAll<HTMLElement>('input:not([type=hidden]), select, textarea')) {
      const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute('aria-label') || el.closest('label');
      expect(labelled, `${r}: ${el.outerHTML.slice(0, 120)}`).toBeTruthy();
    }
    for (const el of document.querySelectorAll<HTMLElement>('[aria-describedby]')) {
      for (const id of el.getAttribute('aria-describedby')!.split(/\s+/)) {
        expect(document.getElementById(id), `${r}: #${id}`).not.toBeNull();
      }
    }
    let last = 1;
    for (const h of document.querySelectorAll('main h1, main h2, main h3, main h4')) {
      const n = Number(h.tagName[1]);
      expect(n - last, `${r}: ${h.tagName} "${h.textContent?.trim()}" after h${last}`).toBeLessThanOrEqual(1);
      last = n;
    }
  }

  for (const lang of ['hi', 'en'] as const) {
    it(`render without leftovers in ${lang}, with the confirmations open`, { timeout: 30_000 }, async () => {
      const fake = new ControlApi();
      fake.users.push({ ...fake.users[1]!, id: 'u-admin', role: 'admin', name: 'Admin', email: 'admin@example.gov.in', lang });
      fake.settings = { updatedAt: T0, version: 2, paused: { by: 'u-admin', byName: 'Admin', at: T0, reason: 'चुनाव आचार संहिता' }, pausedOrgs: { org1: { by: 'u-admin', at: T0 } } };
      fake.addPost({ id: 'p1', status: 'publishing' });
      fake.deliveries.push(delivery('d1', 'p1', 'unconfirmed', { errorMessage: 'No answer.' }), delivery('d2', 'p1', 'failed', { errorMessage: 'Refused.' }));
      fake.signInAs('u-admin');
      await boot('/operations', fake, lang);
      await settle(100);
      must('resume-all').click();
      await settle();
      checkScreen('/operations', lang);
      stop?.();
      await boot('/posts/p1', fake, lang);
      await settle(100);
      must('retract-post').click();
      must('mark-not-published-d1').click();
      await settle();
      checkScreen('/posts/p1', lang);
      expect(must('paused-banner')).toBeTruthy();
    });
  }
});
