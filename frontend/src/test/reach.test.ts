// @vitest-environment happy-dom
//
// The reach screens in a DOM against an in-memory API: the dashboard (totals
// with "not available", the chart and its table, the ranking, top posts,
// definitions next to figures, filters, exports, collect now), the post
// page's metrics panel, and the weekly digest.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Digest, Lang, MetricDefinition, PostReach, ReachDashboard, ReachPoint, ReachTotals } from '../api';
import { FakeApi, FakeEventSource, delivery, user } from './fakeapi';
import { axisTicks, dateLabelAt } from '../views/reach-ui';

const defs: MetricDefinition[] = [
  {
    id: 'facebook',
    platform: 'facebook',
    versions: 'all Graph API versions',
    versionsHi: 'Graph API के सभी संस्करण',
    reach: {
      metrics: ['post_total_media_view_unique'],
      text: 'Accounts that saw the post at least once (post_total_media_view_unique).',
      textHi: 'वे खाते जिन्होंने पोस्ट कम से कम एक बार देखी (post_total_media_view_unique)।',
    },
    views: { metrics: ['post_media_view'], text: 'Times the post was on screen (post_media_view).' },
    engagements: { metrics: ['post_reactions_like_total'], text: 'Reactions, comments and shares.' },
  },
  {
    id: 'mastodon',
    platform: 'mastodon',
    versions: 'all',
    reach: { text: 'Mastodon has no reach or impressions.' },
    views: { text: 'Mastodon has no view counts.' },
    engagements: { metrics: ['favourites_count'], text: 'Favourites, boosts, replies and quotes.' },
  },
];

const tot = (x: Partial<ReachTotals> = {}): ReachTotals => ({ posts: 0, reach: 0, reachPosts: 0, views: 0, viewsPosts: 0, engagements: 0, engagementPosts: 0, ...x });

function dashboard(extra: Partial<ReachDashboard> = {}): ReachDashboard {
  const series: ReachPoint[] = [
    { start: '2026-11-26', ...tot() },
    { start: '2026-11-27', ...tot({ posts: 2, reach: 1200, reachPosts: 1, views: 1900, viewsPosts: 1, engagements: 90, engagementPosts: 2 }) },
    // A day whose posts are all on Mastodon: reach is a gap there, not 0.
    { start: '2026-11-28', ...tot({ posts: 1, engagements: 12, engagementPosts: 1 }) },
  ];
  return {
    filter: { from: '2026-11-26', to: '2026-11-28', by: 'reach', limit: 10 },
    granularity: 'day',
    totals: tot({ posts: 3, reach: 1200, reachPosts: 1, views: 1900, viewsPosts: 1, engagements: 102, engagementPosts: 3 }),
    series,
    orgs: [
      { orgId: 'org1', code: 'AGRI', nameEn: 'Agriculture Department', nameHi: 'कृषि विभाग', ...tot({ posts: 2, reach: 1200, reachPosts: 1, engagements: 90, engagementPosts: 2 }) },
      { orgId: 'org2', code: 'HEALTH', nameEn: 'Health Department', nameHi: 'स्वास्थ्य विभाग', ...tot({ posts: 1, engagements: 12, engagementPosts: 1 }) },
    ],
    topPosts: [
      { deliveryId: 'd1', postId: 'p1', title: 'Kisan Mela', orgId: 'org1', platform: 'facebook', day: '2026-11-27', figures: { reach: 1200, views: 1900, engagements: 80 },
        externalUrl: 'https://facebook.example/p1', definitionId: 'facebook' },
    ],
    definitions: defs,
    ...extra,
  };
}

function digest(): Digest {
  return {
    week: '2026-11-16',
    from: '2026-11-16',
    to: '2026-11-22',
    totals: tot({ posts: 4, reach: 3000, reachPosts: 2, engagements: 150, engagementPosts: 4 }),
    previous: tot({ posts: 2, reach: 2000, reachPosts: 1, engagements: 100, engagementPosts: 2 }),
    platforms: ['facebook', 'mastodon'],
    byPlatform: [{ platform: 'facebook', ...tot({ posts: 2, reach: 3000, reachPosts: 2, engagements: 120, engagementPosts: 2 }) }],
    topOrgs: dashboard().orgs,
    topPosts: dashboard().topPosts,
    silent: [{ orgId: 'org3', code: 'SEDU', nameEn: 'School Education', nameHi: 'स्कूल शिक्षा', ...tot() }],
    definitions: defs,
  };
}

/** ReachFake answers the reach routes and hands everything else to FakeApi. */
class ReachFake {
  requests: { method: string; path: string; body: unknown }[] = [];
  dash = dashboard();
  panel: PostReach | null = null;
  constructor(public base: FakeApi) {}
  private json(status: number, value: unknown): Response {
    return new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json' } });
  }
  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://localhost');
    const p = url.pathname.replace(/^\/api\/v1/, '');
    if (!p.startsWith('/reach')) return this.base.fetch(input, init);
    const method = (init.method ?? 'GET').toUpperCase();
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : null;
    const headers = (init.headers ?? {}) as Record<string, string>;
    this.requests.push({ method, path: p + url.search, body });
    if (method !== 'GET' && headers['X-CSRF-Token'] !== this.base.session?.csrf) return this.json(403, { error: { code: 'forbidden', message: 'CSRF', requestId: 'r' } });
    if (p === '/reach/dashboard') return this.json(200, { data: this.dash });
    if (p === '/reach/collect') return this.json(200, { data: { queued: 7 } });
    if (p === '/reach/digest') return this.json(200, { data: digest() });
    if (p === '/reach/digest/send') return this.json(200, { data: { notified: 3 } });
    if (p.startsWith('/reach/posts/')) return this.panel ? this.json(200, { data: this.panel }) : this.json(404, { error: { code: 'not_found', message: 'x', requestId: 'r' } });
    return this.json(404, { error: { code: 'not_found', message: `No route ${method} ${p}`, requestId: 'r' } });
  };
}

let stop: (() => void) | null = null;

async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await new Promise((r) => setTimeout(r, 0));
}

async function boot(path: string, fake: ReachFake, lang: Lang = 'en'): Promise<void> {
  history.replaceState(null, '', path);
  document.body.innerHTML = '<div id="app"></div>';
  const { vi } = await import('vitest');
  vi.resetModules();
  const api = await import('../api');
  api.setFetch(fake.fetch as typeof fetch);
  const i18n = await import('../i18n');
  i18n.setLang(lang);
  const { startApp } = await import('../app');
  const h = startApp(document.getElementById('app')!);
  stop = h.stop;
  await h.ready;
  await settle();
}

const $ = <T extends Element = HTMLElement>(testid: string) => document.querySelector<T>(`[data-testid="${testid}"]`);
const must = <T extends Element = HTMLElement>(testid: string) => {
  const el = $<T>(testid);
  if (!el) throw new Error(`no element with data-testid=${testid} in ${location.pathname}:\n${document.body.innerHTML.slice(0, 3000)}`);
  return el;
};

function newFake(role: 'editor' | 'approver' | 'admin' | 'viewer' = 'approver', lang: Lang = 'en'): ReachFake {
  const base = new FakeApi();
  base.users.push(user('u-admin', 'admin', 'DMS Admin', '', 'en'), user('u-viewer', 'viewer', 'CMO', '', 'en'));
  base.orgs.push({ id: 'org2', code: 'HEALTH', type: 'department', nameEn: 'Health Department', nameHi: 'स्वास्थ्य विभाग', createdAt: '', updatedAt: '' });
  const id = { editor: 'u-editor', approver: 'u-approver', admin: 'u-admin', viewer: 'u-viewer' }[role];
  base.users.find((u) => u.id === id)!.lang = lang;
  base.signInAs(id);
  return new ReachFake(base);
}

beforeEach(() => {
  localStorage.clear();
  FakeEventSource.instances = [];
  (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
});

afterEach(() => {
  stop?.();
  stop = null;
});

describe('the reach dashboard', () => {
  it('shows totals with "not available", the chart with gaps and its table, the ranking and the definitions', { timeout: 20_000 }, async () => {
    const fake = newFake('approver');
    fake.dash = dashboard({
      filter: { from: '2026-11-26', to: '2026-11-28', by: 'reach', limit: 10, platform: 'mastodon' },
      totals: tot({ posts: 1, engagements: 12, engagementPosts: 1 }),
      definitions: [defs[1]!],
    });
    await boot('/reach?platform=mastodon', fake);
    expect(must('nav-reach').getAttribute('aria-current')).toBe('page');
    expect(fake.requests[0]!.path).toBe('/reach/dashboard?platform=mastodon&by=reach');
    // Mastodon has no reach: "not available", never 0.
    const reach = must('reach-total-reach');
    expect(reach.textContent).toContain('not available');
    expect(reach.querySelector('[data-na]')).not.toBeNull();
    expect(must('reach-total-engagements').textContent).toContain('12');
    // The definition is next to the figure (hover and disclosure).
    const tip = must('reach-def-tip-reach');
    expect(tip.querySelector('summary')?.getAttribute('title')).toContain('Mastodon: not available — Mastodon has no reach or impressions.');
    expect(tip.textContent).toContain('How “Reach” is counted');
    expect(must('reach-chart-na-reach').textContent).toContain('not available');
    // The chart: engagements only (reach is not drawn as zeros), one point per day.
    const chart = must<SVGSVGElement>('reach-chart');
    expect(chart.getAttribute('data-points')).toBe('3');
    expect(chart.getAttribute('data-total-reach')).toBeNull();
    expect(chart.getAttribute('role')).toBe('img');
    expect(document.getElementById('reach-chart-desc')?.textContent).toContain('table under the chart');
    expect(must('reach-definitions').textContent).toContain('Mastodon has no view counts.');
  });

  it('leaves a gap, not a zero, on a day whose posts do not report reach', { timeout: 20_000 }, async () => {
    const fake = newFake('approver');
    await boot('/reach', fake);
    const chart = must<SVGSVGElement>('reach-chart');
    expect(chart.getAttribute('data-total-reach')).toBe('1200');
    expect(chart.getAttribute('data-total-engagements')).toBe('102');
    expect(chart.querySelector('[data-testid="reach-point-reach-2026-11-27"]')?.getAttribute('data-value')).toBe('1200');
    expect(chart.querySelector('[data-testid="reach-point-reach-2026-11-28"]')).toBeNull();
    expect(chart.querySelector('[data-testid="reach-point-reach-2026-11-26"]')?.getAttribute('data-value')).toBe('0');
    const path = chart.querySelector('path.series-reach')?.getAttribute('d') ?? '';
    expect(path.match(/M/g)?.length).toBe(1);
    // The same figures as a table.
    const row = must('reach-series-2026-11-28');
    expect(row.textContent).toContain('not available');
    expect(must('reach-series-2026-11-27').textContent).toContain('1,200');
    // The ranking and top posts.
    expect(must('reach-org-org2').textContent).toContain('not available');
    expect(must('reach-top-d1').querySelector('a')?.getAttribute('href')).toBe('/posts/p1');
    // Exports carry the shown filter.
    expect(must('reach-export-xlsx').getAttribute('href')).toBe('/api/v1/reach/export?from=2026-11-26&to=2026-11-28&by=reach&format=xlsx');
    expect(must('reach-export-csv').getAttribute('href')).toContain('format=csv&table=series');
  });

  it('applies filters through the address, and collects now with the CSRF token', { timeout: 20_000 }, async () => {
    const fake = newFake('approver');
    await boot('/reach', fake);
    (must<HTMLSelectElement>('filter-org')).value = 'org2';
    (must<HTMLSelectElement>('filter-platform')).value = 'facebook';
    (must<HTMLInputElement>('filter-from')).value = '2026-11-01';
    (must<HTMLInputElement>('filter-to')).value = '2026-11-20';
    (must<HTMLSelectElement>('filter-by')).value = 'engagements';
    must<HTMLFormElement>('reach-filters').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(location.pathname + location.search).toBe('/reach?orgId=org2&platform=facebook&from=2026-11-01&to=2026-11-20&by=engagements');
    expect(fake.requests.at(-1)!.path).toBe('/reach/dashboard?orgId=org2&platform=facebook&from=2026-11-01&to=2026-11-20&by=engagements');

    must<HTMLButtonElement>('reach-collect').click();
    await settle();
    const post = fake.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/reach/collect');
    expect(post.body).toEqual({ orgId: 'org2' });
    expect(must('reach-collect-done').textContent).toContain('7 readings were started');

    // A date range the wrong way round is caught before asking.
    (must<HTMLInputElement>('filter-from')).value = '2026-11-20';
    (must<HTMLInputElement>('filter-to')).value = '2026-11-01';
    const before = fake.requests.length;
    must<HTMLFormElement>('reach-filters').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(must('error-summary').textContent).toContain('Published to');
    expect(fake.requests.length).toBe(before);
  });

  it('gives editors their own organisation and viewers no collect button; speaks Hindi', { timeout: 20_000 }, async () => {
    const fake = newFake('editor');
    await boot('/reach', fake);
    expect($('filter-org')).toBeNull();
    expect($('reach-collect')).not.toBeNull();
    stop?.();
    const viewer = newFake('viewer');
    await boot('/reach', viewer);
    expect($('reach-collect')).toBeNull();
    stop?.();
    const hi = newFake('approver', 'hi');
    await boot('/reach', hi, 'hi');
    expect(document.querySelector('h1')?.textContent).toBe('पहुँच और सहभागिता');
    expect(must('nav-reach').textContent).toBe('पहुँच');
    expect(must('reach-org-org2').textContent).toContain('उपलब्ध नहीं');
    expect(must('reach-org-org2').textContent).toContain('स्वास्थ्य विभाग');
  });
});

describe('the post page metrics panel', () => {
  it('shows each delivery’s figures, what the platform reported and refused, and the schedule', { timeout: 20_000 }, async () => {
    const fake = newFake('editor');
    fake.base.addPost({ id: 'p1', status: 'approved' });
    fake.base.deliveries.push(delivery('d1', 'p1', 'published', { platform: 'facebook', externalUrl: 'https://facebook.example/p1' }),
      delivery('d2', 'p1', 'published', { platform: 'mastodon', accountId: 'acc-m' }));
    fake.panel = {
      postId: 'p1',
      totals: tot({ posts: 2, reach: 300, reachPosts: 1, views: 500, viewsPosts: 1, engagements: 25, engagementPosts: 2 }),
      definitions: defs,
      deliveries: [
        { deliveryId: 'd1', accountId: 'acc-fb', handle: '@agri_fb', platform: 'facebook', status: 'published', figures: { reach: 300, views: 500, engagements: 20 },
          definitionId: 'facebook', asOf: '2026-11-28T05:30:00Z', apiVersion: 'v25.0', raw: { post_total_media_view_unique: 300, post_clicks: 9 },
          unavailable: { post_impressions_unique: '(#100) The value must be a valid insights metric' }, history: [], nextAt: '2026-11-28T10:30:00Z', fetches: 1 },
        { deliveryId: 'd2', accountId: 'acc-m', handle: '@agri@mastodon.social', platform: 'mastodon', status: 'published', figures: { reach: null, views: null, engagements: 5 },
          definitionId: 'mastodon', history: [], fetches: 1, asOf: '2026-11-28T05:30:00Z', lastError: 'Mastodon could not be reached to read metrics: 502' },
      ],
    };
    await boot('/posts/p1', fake);
    const fb = must('post-reach-d1');
    expect(fb.dataset.reach).toBe('300');
    expect(fb.textContent).toContain('300');
    expect(must('post-reach-raw-d1').textContent).toContain('post_clicks');
    expect(must('post-reach-raw-d1').textContent).toContain('Not reported: post_impressions_unique — (#100)');
    const m = must('post-reach-d2');
    expect(m.dataset.reach).toBe('na');
    expect(m.textContent).toContain('not available');
    expect(m.querySelector('td')?.getAttribute('title')).toContain('Mastodon has no reach');
    expect(must('post-reach-problem-d2').textContent).toContain('502');
    expect(m.textContent).toContain('no more readings');
    expect(must('post-reach-total').textContent).toContain('25');
  });
});

describe('the weekly digest', () => {
  it('compares the week with the one before and lets an administrator send it', { timeout: 20_000 }, async () => {
    const fake = newFake('admin');
    await boot('/reach/digest?week=2026-11-18', fake);
    expect(fake.requests[0]!.path).toBe('/reach/digest?week=2026-11-18');
    expect(must('digest-range').textContent).toContain('16 Nov 2026');
    expect(must('digest-reach').textContent).toContain('+50%');
    expect(must('digest-views').textContent).toContain('not available');
    expect(must('digest-silent').textContent).toContain('SEDU');
    must<HTMLButtonElement>('digest-send').click();
    await settle();
    expect(fake.requests.find((r) => r.method === 'POST')).toMatchObject({ path: '/reach/digest/send', body: { week: '2026-11-16' } });
    expect(must('digest-sent').textContent).toContain('3 people were notified.');
    stop?.();
    await boot('/reach/digest', newFake('approver'));
    expect($('digest-send')).toBeNull();
  });
});

describe('chart axes', () => {
  it('ticks counts in equal whole steps of 1, 2 or 5 × a power of ten, up to the maximum', () => {
    const cases: [number, number[]][] = [
      [0, [0, 1]], // nothing measured: not 0, 0, 1, 1, 1
      [1, [0, 1]],
      [3, [0, 1, 2, 3]],
      [7, [0, 2, 4, 6, 8]],
      [12, [0, 5, 10, 15]],
      [180, [0, 50, 100, 150, 200]],
      [4800, [0, 2000, 4000, 6000]],
      [5001, [0, 2000, 4000, 6000]],
    ];
    for (const [max, want] of cases) {
      const got = axisTicks(max);
      expect(got, `max ${max}`).toEqual(want);
      expect(got.length).toBeLessThanOrEqual(5);
      expect(new Set(got.map((v) => Math.round(v))).size, `max ${max}: labels repeat`).toBe(got.length);
    }
  });

  it('labels the latest day, then every few days back, never two neighbours', () => {
    const n = 30;
    const every = Math.ceil(n / 8);
    const shown = [...Array(n).keys()].filter((i) => dateLabelAt(i, n, every));
    expect(shown[shown.length - 1]).toBe(n - 1);
    for (let k = 1; k < shown.length; k++) expect(shown[k]! - shown[k - 1]!).toBe(every);
    expect(dateLabelAt(0, 1, 1)).toBe(true);
  });
});

describe('accessibility and both languages', () => {
  for (const lang of ['hi', 'en'] as const) {
    it(`renders every reach screen in ${lang} without leftovers, with one h1, labelled controls and ordered headings`, { timeout: 30_000 }, async () => {
      const fake = newFake('admin', lang);
      fake.base.addPost({ id: 'p1', status: 'approved' });
      fake.base.deliveries.push(delivery('d1', 'p1', 'published', { platform: 'facebook' }));
      fake.panel = { postId: 'p1', totals: tot({ posts: 1, reach: 3, reachPosts: 1 }), definitions: defs, deliveries: [
        { deliveryId: 'd1', accountId: 'acc-x', handle: '@agri', platform: 'facebook', status: 'published', figures: { reach: 3, views: null, engagements: 1 },
          definitionId: 'facebook', history: [], fetches: 1, raw: { post_total_media_view_unique: 3 } }] };
      for (const r of ['/reach', '/reach?platform=mastodon', '/reach/digest', '/posts/p1']) {
        if (r.includes('mastodon')) fake.dash = dashboard({ totals: tot({ posts: 1, engagements: 1, engagementPosts: 1 }), definitions: [defs[1]!] });
        await boot(r, fake, lang);
        await settle();
        const text = document.body.textContent ?? '';
        expect(text, r).not.toMatch(/undefined|NaN|\[object |\{[a-zA-Z]+\}|reach\.[a-z]/);
        if (r === '/reach') {
          // The definitions are in the user's language where the server gives it.
          const legend = must('reach-definitions').textContent ?? '';
          expect(legend).toContain(lang === 'hi' ? 'वे खाते जिन्होंने पोस्ट कम से कम एक बार देखी' : 'Accounts that saw the post at least once');
          expect(legend).not.toContain(lang === 'hi' ? 'Accounts that saw the post at least once' : 'वे खाते जिन्होंने');
          expect(legend).toContain(lang === 'hi' ? 'Graph API के सभी संस्करण' : 'all Graph API versions');
        }
        expect(document.querySelectorAll('h1').length, r).toBe(1);
        expect(document.documentElement.lang).toBe(lang);
        for (const el of document.querySelectorAll<HTMLElement>('input:not([type=hidden]), select, textarea')) {
          const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute('aria-label') || el.closest('label');
          expect(labelled, `${r}: ${el.outerHTML.slice(0, 120)}`).toBeTruthy();
        }
        for (const el of document.querySelectorAll<Element>('[aria-describedby], [aria-labelledby]')) {
          for (const attr of ['aria-describedby', 'aria-labelledby']) {
            for (const id of (el.getAttribute(attr) ?? '').split(/\s+/).filter(Boolean)) {
              expect(document.getElementById(id), `${r}: #${id} for ${el.outerHTML.slice(0, 100)}`).not.toBeNull();
            }
          }
        }
        let last = 1;
        for (const h of document.querySelectorAll('main h1, main h2, main h3, main h4')) {
          const n = Number(h.tagName[1]);
          expect(n - last, `${r}: ${h.tagName} "${h.textContent?.trim()}" after h${last}`).toBeLessThanOrEqual(1);
          last = n;
        }
        // Every table has a caption or a heading naming it.
        for (const tb of document.querySelectorAll('main table')) expect(tb.querySelector('caption') ?? tb.closest('section')?.querySelector('h2'), r).toBeTruthy();
        stop?.();
        stop = null;
      }
    });
  }
});
