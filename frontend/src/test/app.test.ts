// @vitest-environment happy-dom
//
// The app in a DOM against the in-memory API: sign-in and the language
// switch, the composer's live measuring and field errors, review actions,
// the live deliveries table, and the session ending mid-use.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Lang } from '../api';
import { FakeApi, FakeEventSource, delivery } from './fakeapi';
import { bootApp, settle as settleDom, $, must, type } from './dom';

let stop: (() => void) | null = null;

const settle = (ms = 0) => settleDom(ms, 5);

async function boot(path: string, fake: FakeApi, lang: Lang = 'en'): Promise<void> {
  stop = await bootApp(path, fake.fetch, lang);
}

function check(el: HTMLInputElement, on = true): void {
  el.checked = on;
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

function h1(): string {
  return document.querySelector('h1')?.textContent?.trim() ?? '';
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

describe('sign-in and language', () => {
  it('sends visitors to sign-in, switches language there, and keeps the choice', async () => {
    const fake = new FakeApi();
    fake.users[0]!.lang = 'hi'; // the editor's profile says Hindi
    await boot('/posts', fake, 'hi');
    expect(location.pathname).toBe('/signin');
    expect(location.search).toBe('?next=%2Fposts');
    expect(h1()).toBe('प्रसार में साइन इन करें');
    expect(document.documentElement.lang).toBe('hi');
    expect(document.querySelector('label[for="signin-email"]')?.textContent).toBe('ई-मेल पता');

    const sel = must<HTMLSelectElement>('lang-select');
    sel.value = 'en';
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(h1()).toBe('Sign in to Prasar');
    expect(document.documentElement.lang).toBe('en');
    expect(localStorage.getItem('prasar.lang')).toBe('en');

    // A wrong password: a translated summary, focus-able, linked to nothing secret.
    type(must('signin-email'), 'u-editor@example.gov.in');
    type(must('signin-password'), 'wrong');
    must<HTMLFormElement>('signin-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(must('error-summary').textContent).toContain('The e-mail address or the password is wrong.');

    // The right one: back to where the visitor was going; the language chosen
    // on the sign-in page (en) wins over the profile's (hi) and is saved.
    type(must('signin-password'), 'correct horse');
    must<HTMLFormElement>('signin-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(location.pathname).toBe('/posts');
    expect(must('user-name').textContent).toBe('Asha Editor');
    expect(must('user-org').textContent).toContain('Agriculture Department');
    const patch = fake.requests.find((r) => r.method === 'PATCH' && r.path === '/api/v1/me');
    expect(patch?.body).toEqual({ lang: 'en' });
    expect(patch?.headers['x-csrf-token']).toBe('csrf-u-editor');
    expect(document.documentElement.lang).toBe('en');
  });

  it('uses the profile language after sign-in when none was chosen, and saves switches', async () => {
    const fake = new FakeApi();
    fake.signInAs('u-approver'); // profile lang: en
    await boot('/review', fake, 'hi');
    expect(document.documentElement.lang).toBe('en');
    expect(h1()).toBe('Review queue');
    const sel = must<HTMLSelectElement>('lang-select');
    sel.value = 'hi';
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(h1()).toBe('समीक्षा कतार');
    expect(must('nav-posts').textContent).toBe('पोस्ट');
    expect(fake.requests.some((r) => r.method === 'PATCH' && (r.body as { lang: string }).lang === 'hi')).toBe(true);
    // GETs carry no CSRF header; every other method does.
    for (const r of fake.requests) {
      if (r.method === 'GET') expect(r.headers['x-csrf-token'], r.path).toBeUndefined();
      else expect(r.headers['x-csrf-token'], r.path).toBe('csrf-u-approver');
    }
  });

  it('returns to sign-in when the session ends mid-use', async () => {
    const fake = new FakeApi();
    fake.signInAs('u-editor');
    await boot('/posts', fake);
    fake.session = null;
    must('nav-history').click();
    await settle();
    expect(location.pathname).toBe('/signin');
    expect(new URLSearchParams(location.search).get('next')).toBe('/history');
    expect(must('flash').textContent).toContain('Your session has ended');
  });
});

describe('composer', () => {
  it('shows defunct accounts unselectable with the reason, and measures targets live', async () => {
    const fake = new FakeApi();
    fake.signInAs('u-editor');
    await boot('/posts/new', fake);
    expect(h1()).toBe('New post');

    const koo = must<HTMLInputElement>('target-acc-koo');
    expect(koo.disabled).toBe(true);
    const kooStatus = document.getElementById(koo.getAttribute('aria-describedby')!.split(' ')[0]!);
    expect(kooStatus?.textContent).toContain('Koo shut down on 3 July 2024.');
    expect(kooStatus?.textContent).toContain('Platform shut down'); // words, not only colour

    type(must('body-hi'), 'नमस्ते');
    check(must('target-acc-x'));
    // Typing fast makes one measure request, not one per keystroke.
    for (const s of ['नमस्ते ह', 'नमस्ते हरि', 'नमस्ते हरियाणा']) type(must('body-hi'), s);
    await settle(350);
    const measures = fake.requests.filter((r) => r.path === '/api/v1/measure');
    expect(measures.length).toBe(1);
    expect((measures[0]!.body as { targets: string[] }).targets).toEqual(['acc-x']);
    const row = must('measure-x');
    expect(row.dataset.count).toBe(String([...'नमस्ते हरियाणा'].length));
    expect(row.dataset.limit).toBe('280');
    expect(row.dataset.over).toBe('false');
    expect(must('measure-x-count').textContent).toContain('of 280');

    // Over the limit: red row, the reason and how to fix it.
    type(must('body-en'), 'a'.repeat(280));
    await settle(350);
    expect(must('measure-x').dataset.over).toBe('true');
    expect(must('measure-x-over').textContent).toContain('Too long by');

    // Instagram needs an image: the problem shows in the preview.
    check(must('target-acc-ig'));
    await settle(350);
    expect(must('measure-instagram-problem').textContent).toContain('Instagram needs an image.');
  });

  it('chooses every usable account at once, and clears the choice', async () => {
    const fake = new FakeApi();
    fake.signInAs('u-editor');
    await boot('/posts/new', fake);
    expect(must<HTMLButtonElement>('targets-none').disabled).toBe(true);
    must('targets-all').click();
    await settle();
    expect(must<HTMLInputElement>('target-acc-x').checked).toBe(true);
    expect(must<HTMLInputElement>('target-acc-ig').checked).toBe(true);
    expect(must<HTMLInputElement>('target-acc-koo').checked).toBe(false); // Koo cannot be chosen
    expect(must<HTMLButtonElement>('targets-all').disabled).toBe(true);
    type(must('body-en'), 'Farmers fair');
    must('save').click();
    await settle();
    const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/posts');
    expect((create?.body as { targets: string[] }).targets.sort()).toEqual(['acc-ig', 'acc-x']);
    must('targets-none').click();
    await settle();
    expect(must<HTMLInputElement>('target-acc-x').checked).toBe(false);
    expect(must<HTMLInputElement>('target-acc-ig').checked).toBe(false);
  });

  it('puts server field errors next to their fields and in the summary', async () => {
    const fake = new FakeApi();
    fake.users[0]!.lang = 'hi';
    fake.signInAs('u-editor');
    await boot('/posts/new', fake, 'hi');
    type(must('body-hi'), 'नमस्ते');
    type(must('link'), 'not a link');
    must('save').click();
    await settle();
    const link = must<HTMLInputElement>('link');
    expect(link.getAttribute('aria-invalid')).toBe('true');
    expect(link.getAttribute('aria-describedby')).toContain('f-link-error');
    expect(document.getElementById('f-link-error')?.textContent).toContain('https:// से शुरू होने वाला पूरा वेब पता लिखें।');
    const summary = must('error-summary');
    expect(summary.getAttribute('role')).toBe('alert');
    expect(summary.querySelector('a')?.getAttribute('href')).toBe('#f-link');
    expect(summary.textContent).toContain('लिंक');
  });

  it('saves a draft, then edits with the revision, and explains a conflict', async () => {
    const fake = new FakeApi();
    fake.signInAs('u-editor');
    await boot('/posts/new', fake);
    type(must('title'), 'Kisan Mela');
    type(must('body-en'), 'Farmers fair');
    check(must('target-acc-x'));
    must('save').click();
    await settle();
    expect(location.pathname).toBe('/posts/p1/edit');
    const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/posts');
    expect(create?.body).toMatchObject({ orgId: 'org1', title: 'Kisan Mela', targets: ['acc-x'], scheduledAt: null });

    type(must('body-en'), 'Farmers fair, Hisar');
    must('save').click();
    await settle();
    const put = fake.requests.find((r) => r.method === 'PUT');
    expect((put?.body as { revision: number }).revision).toBe(1);

    fake.conflictNext = true;
    must('save').click();
    await settle();
    expect(must('conflict').textContent).toContain('changed this post after you opened it');
    must('conflict-reload').click();
    await settle();
    expect($('conflict')).toBeNull();
    expect(must<HTMLTextAreaElement>('body-en').value).toBe('Farmers fair, Hisar');
  });

  it('takes the scheduled time in IST', async () => {
    const fake = new FakeApi();
    fake.signInAs('u-editor');
    await boot('/posts/new', fake);
    type(must('body-en'), 'Fair');
    check(must('schedule-at'));
    await settle();
    type(must('scheduled-at'), '2030-01-15T10:00');
    await settle();
    expect(must('scheduled-echo').textContent).toBe('15 Jan 2030, 10:00 IST');
    must('save').click();
    await settle();
    const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/posts');
    expect((create?.body as { scheduledAt: string }).scheduledAt).toBe('2030-01-15T04:30:00Z');
  });
});

describe('post page', () => {
  it('lets an approver reject with a comment, and asks for one first', async () => {
    const fake = new FakeApi();
    fake.addPost({ id: 'p1', status: 'in_review' });
    fake.signInAs('u-approver');
    await boot('/posts/p1', fake);
    expect(h1()).toBe('Kisan Mela');
    expect($('approve')).not.toBeNull();
    must('reject').click();
    await settle();
    expect(document.getElementById('f-comment-error')?.textContent).toContain('Write a comment for the author.');
    expect(fake.requests.some((r) => r.path.endsWith('/reject'))).toBe(false);

    type(must('review-comment'), 'Add the date of the mela.');
    must('reject').click();
    await settle();
    const req = fake.requests.find((r) => r.path === '/api/v1/posts/p1/reject');
    expect(req?.body).toEqual({ revision: 1, comment: 'Add the date of the mela.' });
    expect(must('post-status').dataset.status).toBe('rejected');
    expect(must('review-trail').textContent).toContain('Add the date of the mela.');
  });

  it('hides Approve from the post’s author and says why', async () => {
    const fake = new FakeApi();
    fake.addPost({ id: 'p1', status: 'in_review', authorId: 'u-approver' });
    fake.signInAs('u-approver');
    await boot('/posts/p1', fake);
    expect($('approve')).toBeNull();
    expect(must('own-post-note').textContent).toContain('You cannot approve your own post.');
    expect($('reject')).not.toBeNull();
  });

  it('updates deliveries live, announces changes, falls back to polling, and retries', async () => {
    const fake = new FakeApi();
    const post = fake.addPost({ id: 'p1', status: 'publishing' });
    fake.deliveries = [delivery('d1', 'p1', 'sending'), delivery('d2', 'p1', 'failed', { errorClass: 'rejected', errorMessage: 'X refused the post.', platformMessage: 'Status is a duplicate.' })];
    fake.signInAs('u-editor');
    await boot('/posts/p1', fake);
    expect(must('delivery-d1').dataset.status).toBe('sending');
    expect(must('delivery-d2').textContent).toContain('X refused the post.');
    expect(must('delivery-d2').textContent).toContain('Status is a duplicate.');
    expect(must('delivery-d2').textContent).toContain('Failed'); // words beside the icon

    const es = FakeEventSource.instances[0]!;
    expect(es.url).toBe('/api/v1/posts/p1/events');
    const published = delivery('d1', 'p1', 'published', { externalUrl: 'http://localhost:8080/sandbox/x/feed/1', attempts: 1 });
    es.emit('deliveries', { post, deliveries: [published, fake.deliveries[1]], counts: { published: 1, failed: 1 } });
    await settle(80);
    expect(must('delivery-d1').dataset.status).toBe('published');
    expect(must<HTMLAnchorElement>('delivery-link-d1').href).toBe('http://localhost:8080/sandbox/x/feed/1');
    expect(must('live-polite').textContent).toBe('X @agri_hry: Published');

    es.fail();
    await settle();
    expect(es.closed).toBe(true);
    expect(must('live-state').dataset.mode).toBe('poll');

    must('retry-d2').click();
    await settle();
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/deliveries/d2/retry')).toBe(true);
    expect(must('delivery-d2').dataset.status).toBe('queued');
  });
});

describe('every screen', () => {
  const routes = ['/posts', '/posts/new', '/posts/p1', '/posts/p1/edit', '/review', '/history', '/accounts', '/users', '/nowhere'];
  for (const lang of ['hi', 'en'] as const) {
    it(`renders without leftovers in ${lang}, with one h1, landmarks and labelled controls`, { timeout: 30_000 }, async () => {
      const fake = new FakeApi();
      fake.users.push({ ...fake.users[1]!, id: 'u-admin', role: 'admin', name: 'Admin', email: 'admin@example.gov.in', lang });
      fake.addPost({ id: 'p1', status: 'publishing', content: { bodyHi: 'किसान मेला', bodyEn: 'Fair', link: 'https://agriharyana.gov.in', mediaIds: ['m1'], altText: 'Stage' } });
      fake.deliveries = [
        delivery('d1', 'p1', 'published', { externalUrl: 'http://localhost:8080/sandbox/x/1', publishedAt: '2026-11-28T05:00:00Z' }),
        delivery('d2', 'p1', 'unconfirmed', { errorClass: 'retryable', errorMessage: 'No answer from X.' }),
      ];
      fake.signInAs('u-admin');
      for (const r of routes) {
        await boot(r, fake, lang);
        await settle(300);
        const main = document.querySelector('main')!;
        const text = document.body.textContent ?? '';
        expect(text, r).not.toMatch(/undefined|NaN|\[object |\{[a-zA-Z]+\}/);
        expect(document.querySelectorAll('h1').length, r).toBe(1);
        expect(document.querySelector('h1')!.id, r).toBe('page-title');
        expect(main.id).toBe('main');
        expect(document.querySelector('header.site-header'), r).not.toBeNull();
        expect(document.querySelector('nav[aria-label]'), r).not.toBeNull();
        expect(document.querySelector('a.skip-link[href="#main"]'), r).not.toBeNull();
        expect(document.documentElement.lang).toBe(lang);
        // Every visible form control has a label (or an aria-label).
        for (const el of document.querySelectorAll<HTMLElement>('input:not([type=hidden]), select, textarea')) {
          const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute('aria-label') || el.closest('label');
          expect(labelled, `${r}: ${el.outerHTML.slice(0, 120)}`).toBeTruthy();
        }
        // aria-describedby points at elements that exist.
        for (const el of document.querySelectorAll<HTMLElement>('[aria-describedby]')) {
          for (const id of el.getAttribute('aria-describedby')!.split(/\s+/)) {
            expect(document.getElementById(id), `${r}: #${id} for ${el.outerHTML.slice(0, 100)}`).not.toBeNull();
          }
        }
        // Headings do not skip levels.
        let last = 1;
        for (const h of document.querySelectorAll('main h1, main h2, main h3, main h4')) {
          const n = Number(h.tagName[1]);
          expect(n - last, `${r}: ${h.tagName} "${h.textContent?.trim()}" after h${last}`).toBeLessThanOrEqual(1);
          last = n;
        }
        stop?.();
        stop = null;
      }
    });
  }
});
