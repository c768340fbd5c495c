// @vitest-environment happy-dom
//
// The registry and compliance screens in a DOM against the in-memory API
// (FakeApi plus the registry routes here): the dashboard and its
// drill-down, the import's dry run with its errors table, the officer
// form with the DPDP notice and confirmation, and contacts hidden from a
// viewer.

import { afterEach, describe, expect, it } from 'vitest';
import type { Lang } from '../api';
import { FakeApi, user } from './fakeapi';
import type { ComplianceReview, ImportResult, RegistryOrg } from '../registryApi';

const T0 = '2026-11-28T04:30:00Z';
let stop: (() => void) | null = null;

afterEach(() => {
  stop?.();
  stop = null;
});

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
}

/** until waits (up to 10 s: the suite runs beside others) for cond to hold. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${document.body.innerHTML.slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req-1' } });
}

const review: ComplianceReview = {
  generatedAt: T0,
  windowDays: 15,
  since: '2026-11-13T04:30:00Z',
  requiredPlatforms: ['facebook', 'x', 'instagram'],
  filter: {},
  districts: ['Karnal'],
  summary: { organisations: 2, withNodal: 1, withAccounts: 1, allWorking: 1, active: 1, fullyCompliant: 1, averageScore: 54, gaps: 5,
    platforms: [{ platform: 'facebook', withAccount: 1, working: 1 }, { platform: 'x', withAccount: 2, working: 1 }, { platform: 'instagram', withAccount: 1, working: 1 }] },
  orgs: [
    { orgId: 'org1', code: 'AGRI', type: 'department', nameEn: 'Agriculture Department', nameHi: 'कृषि विभाग', nodalOfficer: true, nodalOfficerName: 'Sunita Malik',
      alternateOfficer: false, platforms: [{ platform: 'facebook', hasAccount: true, working: true }, { platform: 'x', hasAccount: true, working: true }, { platform: 'instagram', hasAccount: true, working: true }],
      accountsOk: true, workingOk: true, recentPosts: 3, active: true, score: 100, rank: 1, gaps: [] },
    { orgId: 'org2', code: 'D-KARNAL', type: 'district', district: 'Karnal', nameEn: 'District Administration Karnal', nameHi: 'जिला प्रशासन करनाल', nodalOfficer: false,
      alternateOfficer: false, platforms: [{ platform: 'facebook', hasAccount: false, working: false }, { platform: 'x', hasAccount: true, working: false, status: 'disconnected' }, { platform: 'instagram', hasAccount: false, working: false }],
      accountsOk: false, workingOk: false, recentPosts: 0, active: false, score: 8, rank: 2,
      gaps: [{ code: 'no_nodal_officer', message: '' }, { code: 'no_account', platform: 'facebook', message: '' }, { code: 'not_connected', platform: 'x', message: '' },
        { code: 'no_account', platform: 'instagram', message: '' }, { code: 'no_recent_posts', message: '' }] },
  ],
};

function orgPage(seesContacts: boolean, editsDirect: boolean): RegistryOrg {
  return {
    org: { id: 'org1', code: 'AGRI', type: 'department', nameEn: 'Agriculture Department', nameHi: 'कृषि विभाग', createdAt: T0, updatedAt: T0 },
    children: [],
    officers: [{ id: 'off1', orgId: 'org1', kind: 'nodal', name: 'Sunita Malik', designation: 'Deputy Director', posting: 'Panchkula',
      email: seesContacts ? 'sunita@hry.gov.in' : undefined, phone: seesContacts ? '+91 98765 10001' : undefined, startDate: '2025-06-01T00:00:00Z', createdAt: T0, updatedAt: T0 }],
    accounts: [],
    openHandovers: [],
    pendingChanges: 0,
    lineage: { orgId: 'org1', predecessors: [], events: [] },
    canAdmin: false,
    canEditAccounts: seesContacts,
    canEditOfficers: seesContacts,
    editsDirect,
    seesContacts,
  };
}

/** boot starts the app signed in as role, with the registry routes answered by routes. */
async function boot(path: string, role: 'admin' | 'editor' | 'viewer', routes: (method: string, path: string, body: unknown) => Response | null, lang: Lang = 'en') {
  const fake = new FakeApi();
  fake.users.push(user('u-admin', 'admin', 'Asha Admin', '', lang), user('u-viewer', 'viewer', 'CM Office', '', lang));
  fake.users[0]!.lang = lang;
  fake.signInAs(role === 'admin' ? 'u-admin' : role === 'viewer' ? 'u-viewer' : 'u-editor');
  const calls: { method: string; path: string; body: unknown }[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://prasar.test');
    const method = (init.method ?? 'GET').toUpperCase();
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const r = routes(method, url.pathname.replace('/api/v1', '') + url.search, body);
    if (r) {
      calls.push({ method, path: url.pathname + url.search, body });
      return r;
    }
    return fake.fetch(input, init);
  };
  history.replaceState(null, '', path);
  document.body.innerHTML = '<div id="app"></div>';
  const { vi } = await import('vitest');
  vi.resetModules();
  const api = await import('../api');
  api.setFetch(fetch as typeof globalThis.fetch);
  const i18n = await import('../i18n');
  i18n.setLang(lang);
  const { startApp } = await import('../app');
  const h = startApp(document.getElementById('app')!);
  stop = h.stop;
  await h.ready;
  await settle();
  return calls;
}

const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe('compliance dashboard', { timeout: 30_000 }, () => {
  it('shows the coverage and the ranked list, and drills down to the gaps', async () => {
    await boot('/compliance', 'viewer', (m, p) => {
      if (m === 'GET' && p.startsWith('/compliance/orgs/org2')) return json(200, { data: { ...review.orgs[1], accounts: [] } });
      if (m === 'GET' && p.startsWith('/compliance')) return json(200, { data: review });
      return null;
    });
    await until('the dashboard', () => !!$('comp-row-D-KARNAL'));
    expect(document.querySelector('h1')?.textContent).toBe('Compliance review');
    expect($('stat-withNodal')?.dataset.value).toBe('1');
    expect($('stat-averageScore')?.textContent).toContain('54');
    const rows = [...document.querySelectorAll<HTMLElement>('tr[data-testid^="comp-row-"]')].map((r) => `${r.dataset.rank}:${r.dataset.testid}:${r.dataset.score}`);
    expect(rows).toEqual(['1:comp-row-AGRI:100', '2:comp-row-D-KARNAL:8']);
    expect($('platform-D-KARNAL-x')?.dataset.working).toBe('no');
    // Statuses carry words, not colour alone.
    expect($('platform-D-KARNAL-facebook')?.textContent).toContain('No account');
    $('gaps-D-KARNAL')!.click();
    await until('the drill-down', () => !!$('gap-D-KARNAL-no_recent_posts'));
    expect($('gaps-D-KARNAL')?.getAttribute('aria-expanded')).toBe('true');
    expect($('gap-D-KARNAL-not_connected-x')?.textContent).toBe('The X account is not connected');
    expect($('gap-D-KARNAL-no_recent_posts')?.textContent).toBe('Nothing published in the last 15 days');
    // The viewer's navigation has the review; nothing to write.
    expect($('nav-compliance')?.getAttribute('aria-current')).toBe('page');
    expect($('nav-new')).toBeNull();
  });

  it('renders the report page with download links that keep the filter', async () => {
    await boot('/compliance/report?type=district', 'viewer', (m, p) => (m === 'GET' && p.startsWith('/compliance') ? json(200, { data: { ...review, filter: { type: 'district' } } }) : null), 'hi');
    await until('the report', () => !!$('report-row-AGRI'));
    expect($('download-pdf')?.getAttribute('href')).toBe('/api/v1/compliance/report?format=pdf&type=district');
    expect($('download-xlsx')?.getAttribute('href')).toBe('/api/v1/compliance/report?format=xlsx&type=district');
    expect(document.querySelector('h1')?.textContent).toBe('सोशल मीडिया अनुपालन समीक्षा');
    expect($('report-row-AGRI')?.dataset.score).toBe('100');
    expect($('report-gaps')?.textContent).toContain('Facebook पर कोई खाता नहीं');
  });
});

describe('import', { timeout: 30_000 }, () => {
  it('checks the file, lists every error, and imports only a clean file', async () => {
    const bad: ImportResult = { dryRun: true, valid: false, summary: { rows: 2, organisations: { create: 1, update: 0, unchanged: 0 }, officers: { create: 0, update: 0, unchanged: 0 }, accounts: { create: 0, update: 0, unchanged: 0 } },
      errors: [{ table: 'orgs.csv', line: 3, column: 'code', code: 'duplicate_code', message: 'The code HSAMB is also on line 2.', value: 'HSAMB' }] };
    let answer = bad;
    const calls = await boot('/registry/import', 'admin', (m, p, body) => {
      if (m === 'GET' && p === '/registry/imports') return json(200, { data: [] });
      if (m === 'POST' && p === '/registry/import') {
        const b = body as { dryRun: boolean };
        return json(200, { data: { ...answer, dryRun: b.dryRun } });
      }
      return null;
    });
    await until('the import form', () => !!$('import-file'));
    const input = $('import-file') as HTMLInputElement;
    const file = new File(['code,type,name_en,name_hi\n'], 'orgs.csv', { type: 'text/csv' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input.dispatchEvent(new Event('change', { bubbles: true }));
    const kind = $('import-kind') as HTMLSelectElement;
    kind.value = 'organisations';
    kind.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(($('import-run') as HTMLButtonElement).disabled).toBe(true);
    $('import-check')!.click();
    await until('the dry run', () => $('import-result')?.dataset.valid === 'false');
    const row = $('import-error-0')!;
    expect([row.dataset.line, row.dataset.column, row.dataset.code]).toEqual(['3', 'code', 'duplicate_code']);
    expect(row.textContent).toContain('This code is used twice.');
    expect(($('import-run') as HTMLButtonElement).disabled).toBe(true);
    answer = { ...bad, valid: true, errors: [] };
    $('import-check')!.click();
    await until('a clean dry run', () => $('import-result')?.dataset.valid === 'true');
    expect(($('import-run') as HTMLButtonElement).disabled).toBe(false);
    answer = { ...answer, batch: { id: 'b1', filename: 'orgs.csv', format: 'csv', status: 'done', summary: bad.summary, written: 1, createdAt: T0 } };
    $('import-run')!.click();
    await until('the import', () => !!$('import-done'));
    expect($('import-done')?.textContent).toContain('1 changes written');
    const posts = calls.filter((c) => c.method === 'POST').map((c) => (c.body as { dryRun: boolean; kind: string; filename: string }));
    expect(posts.map((b) => b.dryRun)).toEqual([true, true, false]);
    expect(posts[0]).toMatchObject({ kind: 'organisations', filename: 'orgs.csv' });
  });
});

describe('officers', { timeout: 30_000 }, () => {
  it('shows the DPDP notice and sends a staff editor’s change for confirmation', async () => {
    const calls = await boot('/registry/officers/off1/edit?org=org1', 'editor', (m, p) => {
      if (m === 'GET' && p === '/registry/orgs/org1') return json(200, { data: orgPage(true, false) });
      if (m === 'PUT' && p === '/registry/officers/off1')
        return json(202, { data: { officer: orgPage(true, false).officers[0], change: { id: 'c1', status: 'pending' } } });
      if (m === 'GET' && p === '/registry/orgs/org1/history') return json(200, { data: { lineage: { orgId: 'org1', predecessors: [], events: [] }, officers: [], revisions: [], handovers: [], changes: [], deliveries: [], deliveriesByOrg: {} } });
      return null;
    });
    await until('the officer form', () => !!$('of-phone'));
    expect($('dpdp-notice')?.textContent).toContain('Digital Personal Data Protection Act 2023');
    expect($('needs-confirmation')).not.toBeNull();
    const phone = $('of-phone') as HTMLInputElement;
    expect(phone.value).toBe('+91 98765 10001');
    expect(phone.getAttribute('aria-describedby')).toBe('of-phone-hint');
    expect(document.querySelector('label[for="of-phone"]')?.textContent).toContain('Contact number');
    const designation = $('of-designation') as HTMLInputElement;
    designation.value = 'Joint Director';
    $('officer-submit')!.click();
    await until('the organisation page', () => location.pathname === '/registry/orgs/org1' && !!$('flash'));
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.body).toMatchObject({ designation: 'Joint Director', name: 'Sunita Malik', email: 'sunita@hry.gov.in' });
    expect(location.pathname).toBe('/registry/orgs/org1');
    expect($('flash')?.textContent).toContain('waiting for an administrator');
  });

  it('shows the head of department beside the nodal officers, with past heads named as such', async () => {
    const page = orgPage(true, true);
    page.canAdmin = true;
    page.officers.push(
      { id: 'off-h', orgId: 'org1', kind: 'head', name: 'Dr. Raja Sekhar Vundru', designation: 'Additional Chief Secretary', posting: '', startDate: '2025-06-01T00:00:00Z', createdAt: T0, updatedAt: T0 },
      { id: 'off-h0', orgId: 'org1', kind: 'head', name: 'Anand Mohan Sharan', designation: 'Principal Secretary', posting: '', startDate: '2023-01-01T00:00:00Z',
        endDate: '2025-06-01T00:00:00Z', createdAt: T0, updatedAt: T0 },
    );
    for (const lang of ['en', 'hi'] as const) {
      await boot('/registry/orgs/org1', 'admin', (m, p) => {
        if (m === 'GET' && p === '/registry/orgs/org1') return json(200, { data: page });
        if (m === 'GET' && p === '/registry/orgs/org1/history') return json(200, { data: { lineage: { orgId: 'org1', predecessors: [], events: [] }, officers: [], revisions: [], handovers: [], changes: [], deliveries: [], deliveriesByOrg: {} } });
        return null;
      }, lang);
      await until('the head of department', () => !!$('officer-head'));
      const head = $('officer-head')!;
      expect(head.querySelector('h3')?.textContent).toBe(lang === 'hi' ? 'विभागाध्यक्ष' : 'Head of department');
      expect(head.querySelector('[data-testid="officer-name"]')?.textContent).toBe('Dr. Raja Sekhar Vundru');
      expect(head.querySelector('[data-testid="appoint-head"]')?.getAttribute('href')).toBe('/registry/orgs/org1/appoint?kind=head');
      expect($('officer-nodal')?.querySelector('[data-testid="officer-name"]')?.textContent).toBe('Sunita Malik');
      const past = document.querySelector('[data-testid="past-officers"] tr[data-kind="head"]');
      expect(past?.textContent).toContain('Anand Mohan Sharan');
      expect(past?.textContent).toContain(lang === 'hi' ? 'विभागाध्यक्ष' : 'Head of department');
      expect(document.body.textContent).not.toMatch(/reg\.kind|undefined/);
      stop?.();
      stop = null;
    }
  });

  it('appoints a head of department with only a name required', async () => {
    const page = orgPage(true, true);
    page.canAdmin = true;
    const calls = await boot('/registry/orgs/org1/appoint?kind=head', 'admin', (m, p) => {
      if (m === 'GET' && p === '/registry/orgs/org1') return json(200, { data: page });
      if (m === 'POST' && p === '/registry/orgs/org1/officers') return json(201, { data: { id: 'h1', orgId: 'org1', kind: 'head', toOfficerId: 'off-h', status: 'complete' } });
      if (m === 'GET' && p === '/registry/orgs/org1/history') return json(200, { data: { lineage: { orgId: 'org1', predecessors: [], events: [] }, officers: [], revisions: [], handovers: [], changes: [], deliveries: [], deliveriesByOrg: {} } });
      return null;
    });
    await until('the officer form', () => !!$('of-name'));
    expect(document.querySelector('h1')?.textContent).toBe('Appoint the head of department');
    expect($('head-hint')).not.toBeNull();
    expect(($('of-name') as HTMLInputElement).required).toBe(true);
    for (const f of ['of-designation', 'of-posting', 'of-email', 'of-phone']) expect(($(f) as HTMLInputElement).required, f).toBe(false);
    ($('of-name') as HTMLInputElement).value = 'Dr. Raja Sekhar Vundru';
    $('officer-submit')!.click();
    await until('the organisation page', () => location.pathname === '/registry/orgs/org1');
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toMatchObject({ kind: 'head', name: 'Dr. Raja Sekhar Vundru' });
  });

  it('records that the nodal officer has left, refusing a future date, and shows the post vacant', async () => {
    const page = orgPage(true, true);
    page.canAdmin = true;
    let ended = false;
    const history = { lineage: { orgId: 'org1', predecessors: [], events: [] }, officers: [], revisions: [], handovers: [], changes: [], deliveries: [], deliveriesByOrg: {} };
    const calls = await boot('/registry/orgs/org1', 'admin', (m, p, body) => {
      if (m === 'GET' && p === '/registry/orgs/org1') {
        if (!ended) return json(200, { data: page });
        const after = structuredClone(page);
        after.officers[0]!.endDate = '2026-11-26T00:00:00+05:30';
        after.openHandovers = [{ id: 'hv', orgId: 'org1', kind: 'nodal', fromOfficerId: 'off1', toOfficerId: '', accessRevoked: true, effectiveAt: '2026-11-25T18:30:00Z',
          status: 'rotation_pending', createdAt: T0, accounts: [] }];
        return json(200, { data: after });
      }
      if (m === 'GET' && p === '/registry/orgs/org1/history') return json(200, { data: history });
      if (m === 'POST' && p === '/registry/officers/off1/end') {
        const b = body as { endDate?: string };
        if (b.endDate?.startsWith('2999')) {
          return json(422, { error: { code: 'invalid', message: 'The term cannot be ended as asked.', requestId: 'r',
            fields: [{ field: 'endDate', code: 'in_future', message: 'A term is ended when the officer has left: the date cannot be in the future.' }] } });
        }
        ended = true;
        return json(201, { data: { id: 'hv', orgId: 'org1', kind: 'nodal', fromOfficerId: 'off1', toOfficerId: '', status: 'rotation_pending' } });
      }
      return null;
    });
    await until('the nodal officer', () => !!$('vacate-nodal'));
    $('vacate-nodal')!.click();
    await until('the form', () => !!$('vacate-form'));
    expect(document.body.textContent).toContain('Record that Sunita Malik has left');
    expect(($('vf-revokeAccess') as HTMLInputElement).checked).toBe(true);
    ($('vf-endDate') as HTMLInputElement).value = '2999-01-01';
    $('vacate-form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await until('the field error', () => ($('vf-endDate') as HTMLInputElement).getAttribute('aria-invalid') === 'true');
    expect(document.body.textContent).toContain('The date cannot be in the future.');
    expect(ended).toBe(false);

    ($('vf-endDate') as HTMLInputElement).value = '2026-11-26';
    ($('vf-note') as HTMLInputElement).value = 'Transferred to Sirsa';
    $('vacate-form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await until('the vacant post', () => !!$('officer-nodal-none'));
    const post = calls.filter((c) => c.method === 'POST').pop();
    expect(post?.body).toEqual({ endDate: '2026-11-26T00:00:00+05:30', note: 'Transferred to Sirsa', revokeAccess: true });
    expect(document.body.textContent).toContain('The term of Sunita Malik was ended; the post is vacant.');
    expect($('handover-hv')?.textContent).toContain('Nodal officer: left on');
    expect(document.querySelector('[data-testid="past-officers"]')?.textContent).toContain('Sunita Malik');
  });

  it('hides contact details from a viewer', async () => {
    await boot('/registry/orgs/org1', 'viewer', (m, p) => {
      if (m === 'GET' && p === '/registry/orgs/org1') return json(200, { data: orgPage(false, false) });
      if (m === 'GET' && p === '/registry/orgs/org1/history') return json(200, { data: { lineage: { orgId: 'org1', predecessors: [], events: [] }, officers: [], revisions: [], handovers: [], changes: [], deliveries: [], deliveriesByOrg: {} } });
      return null;
    });
    await until('the organisation page', () => !!$('officer-name'));
    expect($('officer-name')?.textContent).toBe('Sunita Malik');
    expect($('officer-email')?.textContent).toBe('Not shown (personal data)');
    expect($('contacts-hidden')).not.toBeNull();
    expect($('edit-officer-nodal')).toBeNull();
  });
});
