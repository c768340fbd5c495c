// @vitest-environment happy-dom
//
// The rebuttal desk's screens in a DOM against an in-memory API: the
// ageing view, intake with the duplicate warning, the case page's actions
// by role and state, the clarification composer, and the reports.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Case, CaseAge, CaseClock, CaseReport, CaseView, FieldError, Lang, PostInput, WeeklyCaseReport } from '../api';
import { FakeApi, FakeEventSource, user } from './fakeapi';
import { bootApp, settle as settleDom, $, must, type } from './dom';

const T0 = '2026-11-28T04:30:00Z';

function kase(id: string, extra: Partial<Case> = {}): Case {
  return {
    id,
    ref: `FN-20261128-${id.toUpperCase()}`,
    orgId: 'org1',
    status: 'new',
    type: 'forged_letter',
    platform: 'whatsapp',
    media: 'digital',
    language: 'hi',
    urls: ['https://x.com/fake/status/1'],
    urlKeys: ['x.com/fake/status/1'],
    summary: 'जाली आदेश: धान खरीद बंद',
    reportedBy: 'u-admin',
    reportedByName: 'DMS Admin',
    reportedAt: T0,
    deadlineAt: '2026-11-28T06:30:00Z',
    escalateDmsAt: '2026-11-28T08:30:00Z',
    events: 1,
    createdAt: T0,
    updatedAt: T0,
    version: 1,
    ...extra,
  };
}

function clock(extra: Partial<CaseClock> = {}): CaseClock {
  return { at: T0, applies: true, running: true, dueAt: '2026-11-28T06:30:00Z', leftSeconds: 75 * 60, overdue: false, ageSeconds: 45 * 60, bucket: 'under_2h', escalationLevel: 0, ...extra };
}

const dur = (count: number, med: number, p90: number) => ({ count, medianMinutes: med, p90Minutes: p90 });

function report(extra: Partial<CaseReport> = {}): CaseReport {
  return {
    from: '2026-10-29T18:30:00Z',
    to: '2026-11-28T18:30:00Z',
    generatedAt: T0,
    total: 10,
    open: 8,
    actionable: 8,
    notActionable: 1,
    untriaged: 1,
    published: 7,
    linkedReports: 0,
    byStatus: { published: 6 },
    byType: { misleading_claim: 3, forged_letter: 3 },
    byPlatform: { x: 4, whatsapp: 1 },
    byDistrict: { Karnal: 4, '': 2 },
    byMedia: { digital: 7 },
    actions: {},
    timeToAssign: dur(8, 17.5, 120),
    timeToDraft: dur(7, 58, 400),
    timeToPublish: dur(7, 50, 240),
    response: dur(7, 120, 720),
    deadlines: { applies: 9, met: 6, missed: 2, pending: 1, escalatedHod: 2, escalatedDms: 1 },
    byOrg: [{ orgId: 'org1', code: 'AGRI', nameEn: 'Agriculture Department', nameHi: 'कृषि विभाग', cases: 6, open: 4, published: 4,
      deadlines: { applies: 5, met: 3, missed: 2, pending: 0, escalatedHod: 2, escalatedDms: 1 }, response: dur(4, 135, 600) }],
    ...extra,
  };
}

/** CasesFake answers the case routes and hands everything else to FakeApi. */
class CasesFake {
  requests: { method: string; path: string; body: unknown }[] = [];
  views = new Map<string, CaseView>();
  ages: CaseAge[] = [];
  matches: Record<string, { caseId?: string; ref: string; status: Case['status']; visible: boolean }[]> = {};
  nextError: { status: number; code: string; fields: FieldError[] } | null = null;

  constructor(public base: FakeApi) {}

  view(c: Case, actions: string[], extra: Partial<CaseView> = {}): CaseView {
    const v: CaseView = { case: c, events: [{ id: 'e1', caseId: c.id, seq: 1, at: T0, actorName: 'DMS Admin', kind: 'intake', to: 'new', note: c.summary, hash: 'h1' }],
      posts: [], clock: clock(), related: [], actions, trailOk: true, heads: [{ name: 'ACS Agriculture' }], ...extra };
    this.views.set(c.id, v);
    return v;
  }

  private json(status: number, value: unknown): Response {
    return new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json' } });
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://localhost');
    const p = url.pathname.replace(/^\/api\/v1/, '');
    if (!p.startsWith('/cases')) return this.base.fetch(input, init);
    const method = (init.method ?? 'GET').toUpperCase();
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : null;
    this.requests.push({ method, path: p + url.search, body });
    if (this.nextError && method !== 'GET') {
      const e = this.nextError;
      this.nextError = null;
      return this.json(e.status, { error: { code: e.code, message: 'refused', fields: e.fields, requestId: 'r1' } });
    }
    let m: RegExpExecArray | null;
    if (p === '/cases/ageing') return this.json(200, { data: this.ages });
    if (p === '/cases/check-urls') {
      const out = url.searchParams.getAll('url').flatMap((u) => (this.matches[u] ?? []).map((x) => ({ url: u, key: u, ...x })));
      return this.json(200, { data: out });
    }
    if (p === '/cases' && method === 'GET') {
      const list = [...this.views.values()].map((v) => v.case);
      return this.json(200, { data: list, total: list.length });
    }
    if (p === '/cases' && method === 'POST') {
      const c = kase('new1', { summary: body.summary, orgId: body.orgId || 'org1' });
      this.view(c, ['export']);
      return this.json(201, { data: { case: c, linked: false } });
    }
    if (p === '/cases/report') return this.json(200, { data: report() });
    if (p === '/cases/report/weekly') {
      const w: WeeklyCaseReport = { weekStart: '2026-11-22T18:30:00Z', weekEnd: '2026-11-29T18:30:00Z', report: report(), previous: report({ total: 4 }),
        cases: [{ case: kase('w1', { status: 'published' }), clock: clock({ running: false, met: true, responseTime: 3600 }) }] };
      return this.json(200, { data: w });
    }
    if ((m = /^\/cases\/([^/]+)$/.exec(p))) {
      const v = this.views.get(m[1]!);
      return v ? this.json(200, { data: v }) : this.json(404, { error: { code: 'not_found', message: 'No such case.', requestId: 'r' } });
    }
    if ((m = /^\/cases\/([^/]+)\/(\w+)$/.exec(p))) {
      const v = this.views.get(m[1]!)!;
      const step = m[2];
      if (step === 'facts') {
        v.case = { ...v.case, facts: body.facts, sources: body.sources };
        return this.json(200, { data: v.case });
      }
      if (step === 'clarification') {
        const input = body.post as PostInput;
        const post = this.base.addPost({ id: `clar${this.base.posts.length + 1}`, kind: 'clarification', caseId: v.case.id, title: input.title, content: input.content, targets: input.targets, authorId: 'u-editor' });
        v.case = { ...v.case, status: 'drafting', clarificationPostId: post.id };
        return this.json(201, { data: { case: v.case, post } });
      }
      if (step === 'triage') {
        v.case = { ...v.case, status: body.actionable ? 'assigned' : 'not_actionable' };
        v.actions = ['facts', 'follow_up', 'export'];
        return this.json(200, { data: v.case });
      }
      if (step === 'actions' || step === 'close') return this.json(200, { data: v.case });
    }
    return this.json(404, { error: { code: 'not_found', message: `No route ${method} ${p}`, requestId: 'r' } });
  };
}

let stop: (() => void) | null = null;

const settle = (ms = 0) => settleDom(ms, 6);

async function boot(path: string, fake: CasesFake, lang: Lang = 'en'): Promise<void> {
  stop = await bootApp(path, fake.fetch, lang);
}

function choose(el: HTMLSelectElement | HTMLInputElement, value?: string): void {
  if (el instanceof HTMLSelectElement && value !== undefined) el.value = value;
  if (el instanceof HTMLInputElement) el.checked = true;
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

function newFake(role: 'editor' | 'approver' | 'admin' = 'editor'): CasesFake {
  const base = new FakeApi();
  base.users.push(user('u-admin', 'admin', 'DMS Admin', '', 'en'));
  base.signInAs({ editor: 'u-editor', approver: 'u-approver', admin: 'u-admin' }[role]);
  return new CasesFake(base);
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

describe('the ageing view', () => {
  it('lists open cases with time left, overdue time and escalation flags, in both languages', { timeout: 20_000 }, async () => {
    const fake = newFake('approver');
    fake.ages = [
      { case: kase('a1', { status: 'drafting', escalatedHodAt: T0 }), clock: clock({ overdue: true, leftSeconds: -45 * 60, escalationLevel: 1, bucket: '2h_12h' }) },
      { case: kase('a2'), clock: clock() },
    ];
    await boot('/cases', fake);
    expect(must('nav-cases').getAttribute('aria-current')).toBe('page');
    expect(must('ageing-summary').textContent).toContain('2 open cases, 1 overdue');
    const row = must('case-row-a1');
    expect(row.dataset.overdue).toBe('true');
    expect(must('clock-a1').textContent).toContain('Overdue by 45 min');
    expect(must('clock-a1').dataset.clock).toBe('overdue');
    expect(must('flag-a1').textContent).toContain('Escalated to head of department');
    expect(must('clock-a2').textContent).toContain('1 h 15 min left');
    expect($('flag-a2')).toBeNull();
    expect(row.querySelector('a')?.getAttribute('href')).toBe('/cases/a1');

    stop?.();
    fake.base.users.find((u) => u.id === 'u-approver')!.lang = 'hi'; // the user's own language applies once signed in
    await boot('/cases', fake, 'hi');
    expect(must('nav-cases').textContent).toBe('फेक न्यूज़');
    expect(must('clock-a1').textContent).toContain('45 मिनट की देरी');
    expect(must('flag-a1').textContent).toContain('विभागाध्यक्ष');
  });
});

describe('intake', () => {
  it('warns of a duplicate as the address is typed, links the report, and shows server errors', { timeout: 20_000 }, async () => {
    const fake = newFake('editor');
    fake.matches['https://x.com/fake/status/1'] = [{ caseId: 'old1', ref: 'FN-20261127-OLD01', status: 'assigned', visible: true }];
    fake.view(kase('old1', { status: 'assigned' }), ['export']);
    await boot('/cases/new', fake);
    expect(document.querySelector('h1')?.textContent).toBe('Report a fake item');
    type(must<HTMLTextAreaElement>('case-urls'), 'https://x.com/fake/status/1');
    await settle(500);
    const warn = must('duplicate-warning');
    expect(warn.textContent).toContain('This item has been reported before');
    expect(must('duplicate-link-old1').getAttribute('href')).toBe('/cases/old1');
    expect(fake.requests.some((r) => r.path.startsWith('/cases/check-urls?url=https%3A%2F%2Fx.com'))).toBe(true);

    // A server refusal lands next to its fields.
    fake.nextError = { status: 422, code: 'invalid', fields: [{ field: 'summary', code: 'required', message: 'Say what it claims.' }, { field: 'type', code: 'invalid_choice', message: 'x' }] };
    must<HTMLFormElement>('case-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(must('error-summary').textContent).toContain('What it claims');
    expect(document.getElementById('f-case-summary')?.getAttribute('aria-invalid')).toBe('true');

    choose(must<HTMLSelectElement>('case-type'), 'deepfake');
    choose(must<HTMLSelectElement>('case-platform'), 'x');
    choose(must<HTMLInputElement>('case-media-print'));
    type(must<HTMLTextAreaElement>('case-summary'), 'A doctored video of the minister');
    type(must<HTMLInputElement>('case-district'), 'Karnal');
    choose(must<HTMLInputElement>('duplicate-of-old1'));
    must<HTMLFormElement>('case-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    const post = fake.requests.filter((r) => r.method === 'POST' && r.path === '/cases').pop()!;
    expect(post.body).toMatchObject({ orgId: 'org1', type: 'deepfake', platform: 'x', media: 'print', language: 'hi', urls: ['https://x.com/fake/status/1'],
      summary: 'A doctored video of the minister', district: 'Karnal', duplicateOf: 'old1' });
    expect(location.pathname).toBe('/cases/new1');
  });
});

describe('the case page', () => {
  it('offers triage to the PR section only, and records it', { timeout: 20_000 }, async () => {
    const fake = newFake('approver');
    fake.view(kase('c1'), ['triage', 'export']);
    await boot('/cases/c1', fake);
    expect(must('case-ref').textContent).toBe('FN-20261128-C1');
    expect(must('case-status').dataset.status).toBe('new');
    expect(must('case-clock').textContent).toContain('1 h 15 min left');
    expect($('action-form')).toBeNull();
    choose(must<HTMLInputElement>('triage-out'));
    type(must<HTMLTextAreaElement>('triage-reason'), 'About a central scheme; referred to PIB.');
    must<HTMLFormElement>('triage-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    const req = fake.requests.find((r) => r.path === '/cases/c1/triage')!;
    expect(req.body).toEqual({ inScope: false, actionable: false, reason: 'About a central scheme; referred to PIB.' });
    expect(must('action-done').textContent).toContain('not actionable');
  });

  it('lets the nodal officer record sources before drafting, and log a takedown with its rules', { timeout: 20_000 }, async () => {
    const fake = newFake('editor');
    fake.view(kase('c2', { status: 'assigned', assignment: { nodalName: 'Asha Editor', notified: 1, at: T0 } }), ['facts', 'draft_clarification', 'follow_up', 'export']);
    await boot('/cases/c2', fake);
    expect($('triage-form')).toBeNull();
    expect(must('draft-needs-sources').textContent).toContain('official source');
    expect($('draft-clarification')).toBeNull();
    expect(must('case-assignee').textContent).toContain('Asha Editor');
    type(must<HTMLTextAreaElement>('facts'), 'Procurement continues until 15 November.');
    choose(must<HTMLSelectElement>('source-0-kind'), 'circular');
    type(must<HTMLInputElement>('source-0-title'), 'Circular 12/2026-Agri dated 2 Nov 2026');
    type(must<HTMLInputElement>('source-0-url'), 'https://agriharyana.gov.in/c/12');
    must<HTMLFormElement>('facts-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    const facts = fake.requests.find((r) => r.path === '/cases/c2/facts')!;
    expect(facts.method).toBe('PUT');
    expect(facts.body).toEqual({ facts: 'Procurement continues until 15 November.', sources: [{ kind: 'circular', title: 'Circular 12/2026-Agri dated 2 Nov 2026', url: 'https://agriharyana.gov.in/c/12', ref: '' }] });
    expect(must('draft-clarification').getAttribute('href')).toBe('/cases/c2/clarify');

    // A takedown request: its own fields, the rank rule, and the server's refusal in words.
    choose(must<HTMLSelectElement>('action-kind'), 'takedown_request');
    await settle();
    expect(must('takedown-fields').textContent).toContain('not below Joint Secretary');
    const rank = must<HTMLSelectElement>('action-officer-rank');
    expect([...rank.options].find((o) => o.value === 'sp')?.textContent).toContain('may not issue takedowns');
    expect([...rank.options].find((o) => o.value === 'dig')?.textContent).not.toContain('may not');
    choose(rank, 'director');
    await settle();
    expect($('action-no-js')).not.toBeNull();
    type(must<HTMLTextAreaElement>('action-note'), 'Sent through Sahyog.');
    fake.nextError = { status: 422, code: 'invalid', fields: [{ field: 'officerRank', code: 'rank_too_low', message: 'x' }] };
    must<HTMLFormElement>('action-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(must('f-officer-rank-error').textContent).toContain('not below Joint Secretary');
    const act = fake.requests.filter((r) => r.path === '/cases/c2/actions').pop()!;
    expect(act.body).toMatchObject({ kind: 'takedown_request', note: 'Sent through Sahyog.', officerRank: 'director', noJointSecretary: false });
  });

  it('shows the trail, exports and closure for a published case', { timeout: 20_000 }, async () => {
    const fake = newFake('editor');
    fake.view(kase('c3', { status: 'published', publishedAt: T0, clarificationPostId: 'p9' }), ['facts', 'follow_up', 'close', 'export'], {
      clock: clock({ running: false, met: true, timeToAssign: 420, timeToDraft: 900, timeToPublish: 660, responseTime: 1980 }),
      posts: [{ id: 'p9', orgId: 'org1', authorId: 'u-editor', kind: 'clarification', title: 'Fact check', status: 'publishing', revision: 1, content: { bodyHi: 'x', bodyEn: 'y' },
        targets: [], contentHash: 'h', review: [], createdAt: T0, updatedAt: T0, version: 1 }],
    });
    await boot('/cases/c3', fake);
    expect(must('case-clock').dataset.clock).toBe('met');
    expect(must('response-time').textContent).toBe('33 min');
    expect(must('time-to-draft').textContent).toBe('15 min');
    expect(must('clarification-post-p9').querySelector('a')?.getAttribute('href')).toBe('/posts/p9');
    expect(must('export-csv').getAttribute('href')).toBe('/api/v1/cases/c3/export?format=csv');
    expect(must('export-json').getAttribute('href')).toBe('/api/v1/cases/c3/export?format=json');
    expect(must('case-event-1').dataset.kind).toBe('intake');
    expect(must('trail-ok').dataset.ok).toBe('true');
    type(must<HTMLTextAreaElement>('close-note'), 'Clarified; the outlet withdrew it.');
    must<HTMLFormElement>('close-form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(fake.requests.find((r) => r.path === '/cases/c3/close')?.body).toEqual({ note: 'Clarified; the outlet withdrew it.' });
  });
});

describe('the clarification composer', () => {
  it('opens pre-filled from the case, linked to it, and sends it for review', { timeout: 20_000 }, async () => {
    const fake = newFake('editor');
    fake.view(
      kase('c4', { status: 'assigned', facts: 'Procurement continues.', sources: [{ kind: 'circular', title: 'Circular 12/2026', url: 'https://agriharyana.gov.in/c/12' }] }),
      ['facts', 'draft_clarification', 'follow_up', 'export'],
    );
    await boot('/cases/c4/clarify', fake);
    expect(must('clarify-case-banner').textContent).toContain('FN-20261128-C4');
    expect(must<HTMLTextAreaElement>('clarify-body-hi').value).toContain('सच: Procurement continues.');
    expect(must<HTMLTextAreaElement>('clarify-body-en').value).toContain('Source: Circular 12/2026 https://agriharyana.gov.in/c/12');
    expect(must<HTMLInputElement>('clarify-link').value).toBe('https://agriharyana.gov.in/c/12');
    // Text-only accounts are chosen; Instagram needs an image, Koo is defunct.
    expect(must<HTMLInputElement>('target-acc-x').checked).toBe(true);
    expect(must<HTMLInputElement>('target-acc-ig').checked).toBe(false);
    expect(must<HTMLInputElement>('target-acc-koo').disabled).toBe(true);
    await settle(300);
    expect($('measure-x')).not.toBeNull();
    must('clarify-submit').click();
    await settle();
    const req = fake.requests.find((r) => r.path === '/cases/c4/clarification')!;
    expect(req.body).toMatchObject({ forPr: false, post: { orgId: 'org1', kind: 'clarification', targets: ['acc-x'] } });
    expect(location.pathname).toBe('/posts/clar1');
    expect(fake.base.posts.find((p) => p.id === 'clar1')?.status).toBe('in_review');
  });
});

describe('reports', () => {
  it('shows the period figures, times, deadlines, organisations and the weekly report', { timeout: 20_000 }, async () => {
    const fake = newFake('approver');
    await boot('/cases/reports?from=2026-11-01&to=2026-11-28', fake);
    const rq = fake.requests.find((r) => r.path.startsWith('/cases/report?'))!;
    expect(rq.path).toContain('from=2026-11-01');
    expect(rq.path).toContain('to=2026-11-28');
    expect(must('report-total').textContent).toBe('10');
    const resp = must('report-time-response');
    expect(resp.dataset.median).toBe('120');
    expect(resp.dataset.p90).toBe('720');
    expect(resp.textContent).toContain('2 h 00 min');
    expect(resp.textContent).toContain('12 h 00 min');
    expect(must('report-time-assign').textContent).toContain('18 min');
    const dl = must('report-deadlines');
    expect([dl.dataset.met, dl.dataset.missed, dl.dataset.pending]).toEqual(['6', '2', '1']);
    expect(must('report-by-district').textContent).toContain('Not given');
    expect(must('report-org-org1').textContent).toContain('2 h 15 min');
    expect(must('weekly-total').textContent).toContain('10');
    expect(must('weekly-total').textContent).toContain('week before: 4');
    expect($('weekly-case-w1')).not.toBeNull();
    expect(must('report-export-csv').getAttribute('href')).toBe('/api/v1/cases/export?from=2026-11-01&to=2026-11-28&format=csv');
  });
});

describe('accessibility of the desk', () => {
  for (const lang of ['hi', 'en'] as const) {
    it(`renders every screen in ${lang} without leftovers, with one h1, labelled controls and ordered headings`, { timeout: 30_000 }, async () => {
      const fake = newFake('admin');
      fake.base.users.find((u) => u.id === 'u-admin')!.lang = lang;
      const c = kase('c1', { status: 'published', facts: 'Procurement continues.', sources: [{ kind: 'circular', title: 'Circular 12', url: 'https://agriharyana.gov.in/c/12' }],
        escalatedHodAt: T0, actions: [{ id: 'a1', kind: 'takedown_request', at: T0, byId: 'u-editor', byName: 'Asha', note: 'Sahyog', officerName: 'A. K. Sharma', officerRank: 'joint_secretary', legalBasis: 'r.3(1)(d)', reasons: 'Forged' }] });
      fake.view(c, ['triage', 'reassign', 'facts', 'draft_clarification', 'draft_pr_clarification', 'follow_up', 'close', 'export'], {
        clock: clock({ running: false, met: false, escalationLevel: 1, timeToAssign: 60, responseTime: 9000 }),
        related: [{ url: '', key: 'x.com/fake/status/1', caseId: 'c0', ref: 'FN-0', status: 'closed', visible: true }],
      });
      fake.ages = [{ case: c, clock: clock({ overdue: true, leftSeconds: -600, escalationLevel: 2 }) }];
      fake.base.orgs.push({ id: 'org-pr', code: 'DIPRL', type: 'department', nameEn: 'PR Department', nameHi: 'जनसंपर्क विभाग', createdAt: T0, updatedAt: T0 });
      for (const r of ['/cases', '/cases?tab=all', '/cases/new', '/cases/c1', '/cases/c1/clarify', '/cases/c1/clarify?pr=1', '/cases/reports']) {
        await boot(r, fake, lang);
        await settle(300);
        if (r === '/cases/c1') {
          choose(must<HTMLSelectElement>('action-kind'), 'takedown_request');
          await settle();
          choose(must<HTMLSelectElement>('action-officer-rank'), 'director');
          await settle();
        }
        const text = document.body.textContent ?? '';
        expect(text, r).not.toMatch(/undefined|NaN|\[object |\{[a-zA-Z]+\}|cases\.|caseStatus\.|caseType\./);
        expect(document.querySelectorAll('h1').length, r).toBe(1);
        expect(document.documentElement.lang).toBe(lang);
        for (const el of document.querySelectorAll<HTMLElement>('input:not([type=hidden]), select, textarea')) {
          const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute('aria-label') || el.closest('label');
          expect(labelled, `${r}: ${el.outerHTML.slice(0, 120)}`).toBeTruthy();
        }
        for (const el of document.querySelectorAll<HTMLElement>('[aria-describedby]')) {
          for (const id of el.getAttribute('aria-describedby')!.split(/\s+/)) {
            expect(document.getElementById(id), `${r}: #${id} for ${el.outerHTML.slice(0, 100)}`).not.toBeNull();
          }
        }
        let last = 1;
        for (const h of document.querySelectorAll('main h1, main h2, main h3, main h4')) {
          const n = Number(h.tagName[1]);
          expect(n - last, `${r}: ${h.tagName} "${h.textContent?.trim()}" after h${last}`).toBeLessThanOrEqual(1);
          last = n;
        }
        // Badges say their state in words, not colour alone.
        for (const b of document.querySelectorAll('.badge')) expect((b.textContent ?? '').trim().length, r).toBeGreaterThan(1);
        stop?.();
        stop = null;
      }
    });
  }
});
