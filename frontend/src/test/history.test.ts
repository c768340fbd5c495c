// @vitest-environment happy-dom
//
// The publish history: each row shows its post's title, its account's
// handle and display name and its organisation from the list answer
// itself — one request per page, no look-up of each post.

import { afterEach, describe, expect, it } from 'vitest';
import type { Lang } from '../api';
import { FakeApi, account, delivery } from './fakeapi';
import { bootApp, settle as settleDom } from './dom';

let stop: (() => void) | null = null;

const settle = (ms = 0) => settleDom(ms, 5);

async function boot(path: string, fake: FakeApi, lang: Lang = 'en'): Promise<void> {
  stop = await bootApp(path, fake.fetch, lang);
}

const text = (testid: string) => document.querySelector(`[data-testid="${testid}"]`)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
/** account is the account cell's handle and, if shown, display name. */
const account2 = (id: string) => {
  const cell = document.querySelector(`[data-testid="delivery-account-${id}"]`);
  return [cell?.querySelector('.handle')?.textContent ?? '', cell?.querySelector('.muted')?.textContent ?? ''];
};

afterEach(() => {
  stop?.();
  stop = null;
});

function fakeWithHistory(): FakeApi {
  const fake = new FakeApi();
  fake.orgs.push({ id: 'org2', code: 'HLTH', type: 'department', nameEn: 'Health Department', nameHi: 'स्वास्थ्य विभाग', createdAt: '2026-11-28T04:30:00Z', updatedAt: '2026-11-28T04:30:00Z' });
  fake.accounts.push({ ...account('acc-h', 'x', '@health_hry'), orgId: 'org2', displayName: 'Swasthya Vibhag Haryana' });
  fake.addPost({ id: 'p1', status: 'publishing', title: 'किसान मेला 2026' });
  fake.addPost({ id: 'p2', status: 'publishing', orgId: 'org2', title: 'टीकाकरण अभियान' });
  fake.deliveries = [
    delivery('d1', 'p1', 'published', { externalUrl: 'https://x.example/1', publishedAt: '2026-11-28T05:00:00Z' }),
    delivery('d2', 'p2', 'failed', { accountId: 'acc-h', orgId: 'org2', errorClass: 'rejected', errorMessage: 'X refused the post.' }),
    // An organisation merged away: not among those the app lists, so its code shows.
    delivery('d3', 'p1', 'published', { orgId: 'org-old', orgCode: 'OLDAGRI', accountId: 'acc-ig', platform: 'instagram' }),
    // A post that is gone: its title is empty, and nobody fetches it.
    delivery('d4', 'p-gone', 'cancelled'),
  ];
  fake.users.push({ ...fake.users[1]!, id: 'u-admin', role: 'admin', name: 'Admin', email: 'admin@example.gov.in', lang: 'en' });
  return fake;
}

describe('the publish history', () => {
  it('shows titles, handles, display names and organisations from the list answer alone', async () => {
    const fake = fakeWithHistory();
    fake.signInAs('u-admin');
    await boot('/history', fake);
    await settle(50);
    expect(text('delivery-post-d1')).toBe('किसान मेला 2026');
    expect(text('delivery-post-d2')).toBe('टीकाकरण अभियान');
    expect(account2('d2')).toEqual(['@health_hry', 'Swasthya Vibhag Haryana']);
    // A display name that only repeats the handle is not shown twice.
    expect(account2('d1')).toEqual(['@agri_hry', '']);
    expect(text('delivery-org-d1')).toBe('Agriculture Department');
    expect(text('delivery-org-d2')).toBe('Health Department');
    expect(text('delivery-org-d3')).toBe('OLDAGRI');
    expect(text('delivery-post-d4')).toBe('(untitled)');
    const reads = fake.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    expect(reads.filter((p) => p.startsWith('/api/v1/posts')), 'look-ups of posts').toEqual([]);
    expect(reads.filter((p) => p.startsWith('/api/v1/deliveries')).length, 'requests for the page').toBe(1);
  });

  it('offers the whole filtered history as a CSV or Excel file', async () => {
    const fake = fakeWithHistory();
    fake.signInAs('u-admin');
    await boot('/history?platform=x&status=failed&from=2026-11-01&to=2026-11-28', fake);
    await settle(50);
    const csv = document.querySelector<HTMLAnchorElement>('[data-testid="history-export-csv"]');
    const xlsx = document.querySelector<HTMLAnchorElement>('[data-testid="history-export-xlsx"]');
    expect(csv?.hasAttribute('download')).toBe(true);
    for (const [a, format] of [[csv, 'csv'], [xlsx, 'xlsx']] as const) {
      const u = new URL(a!.getAttribute('href')!, 'http://localhost');
      expect(u.pathname).toBe('/api/v1/deliveries/export');
      expect(Object.fromEntries(u.searchParams)).toEqual({ platform: 'x', status: 'failed', from: '2026-11-01', to: '2026-11-28', format });
    }
    expect(text('history-exports')).toContain('Download all');
    expect(document.getElementById(csv!.getAttribute('aria-describedby')!)?.textContent).toContain('deliveries of these filters');
  });

  it('renders the names in Hindi too, and retries a failed delivery from its row', async () => {
    const fake = fakeWithHistory();
    fake.users.find((u) => u.id === 'u-admin')!.lang = 'hi';
    fake.signInAs('u-admin');
    await boot('/history', fake, 'hi');
    await settle(50);
    expect(text('delivery-org-d2')).toBe('स्वास्थ्य विभाग');
    expect(text('delivery-post-d1')).toBe('किसान मेला 2026');
    (document.querySelector('[data-testid="retry-d2"]') as HTMLButtonElement).click();
    await settle();
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/deliveries/d2/retry')).toBe(true);
    // The row keeps its names after the retry's answer (a plain Delivery).
    expect(text('delivery-post-d2')).toBe('टीकाकरण अभियान');
    expect(account2('d2')).toEqual(['@health_hry', 'Swasthya Vibhag Haryana']);
  });
});
