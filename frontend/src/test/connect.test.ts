// @vitest-environment happy-dom
//
// Connecting accounts in a DOM against an in-memory API: the accounts
// page's connect, reconnect and disconnect, expiry in IST with its
// warning, the credential form with the platform's refusal, the choice
// among the accounts one sign-in grants, the result page, and the
// notifications bell.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account, AppNotification, ConnectMethod, Lang, Selection } from '../api';
import { FakeApi, FakeEventSource, account, user } from './fakeapi';
import { $, bootApp, must, settle as settleDom, type } from './dom';

const T0 = '2026-11-28T04:30:00Z';
const DAY = 24 * 3600 * 1000;

/** ConnectFake answers the connection and notification routes and passes the rest to FakeApi. */
class ConnectFake {
  methods: ConnectMethod[] = [
    { platform: 'x', method: 'oauth', sandbox: true, redirectUrl: 'http://localhost/api/v1/oauth/x/callback' },
    { platform: 'instagram', method: 'oauth', sandbox: true, redirectUrl: 'http://localhost/api/v1/oauth/instagram/callback', renewable: true },
    {
      platform: 'telegram',
      method: 'form',
      sandbox: true,
      fields: [
        { name: 'bot_token', label: 'Bot token', help: 'From @BotFather.', secret: true, required: true },
        { name: 'channel', label: 'Channel', help: 'The @username.', secret: false, required: true },
      ],
    },
    { platform: 'koo', method: '', sandbox: true, reason: 'Koo shut down on 3 July 2024' },
  ];
  notifications: AppNotification[] = [];
  selection: Selection | null = null;
  /** the answer to a renewal: a new expiry, or the platform's refusal */
  renewRefused = false;
  started: { platform: string; body: unknown }[] = [];

  constructor(public base: FakeApi) {
    base.platforms.push({ platform: 'telegram', maxChars: 4096, countUnit: 'characters', requiresMedia: false, maxImages: 10, maxImageBytes: 0, imageTypes: null, enabled: true });
  }

  private json(status: number, value: unknown): Response {
    return new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req-c' } });
  }

  private err(status: number, code: string, message: string, fields?: unknown[]): Response {
    return this.json(status, { error: { code, message, fields, requestId: 'req-c' } });
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://localhost');
    const p = url.pathname.replace(/^\/api\/v1/, '');
    if (!/^\/(connect|oauth|notifications)(\/|$)/.test(p) && !/^\/accounts\/[^/]+\/(disconnect|refresh)$/.test(p)) return this.base.fetch(input, init);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(Object.entries((init.headers as Record<string, string>) ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : null;
    this.base.requests.push({ method, path: url.pathname + url.search, headers, body });
    const me = this.base.me();
    if (!me) return this.err(401, 'unauthorized', 'Sign in.');
    if (method !== 'GET' && headers['x-csrf-token'] !== this.base.session?.csrf) return this.err(403, 'forbidden', 'CSRF');
    let m: RegExpExecArray | null;
    if (p === '/connect') return this.json(200, { data: this.methods.map((x) => (me.role === 'admin' ? x : { ...x, redirectUrl: undefined })) });
    if ((m = /^\/oauth\/([^/]+)\/start$/.exec(p))) {
      this.started.push({ platform: m[1]!, body });
      return this.json(200, { data: { authUrl: `http://localhost/sandbox/${m[1]}/www/authorize?state=st-1` } });
    }
    if ((m = /^\/connect\/([^/]+)$/.exec(p))) {
      const b = body as { orgId: string; accountId: string; values: Record<string, string> };
      if (b.values.bot_token !== '123:right') {
        return this.err(422, 'invalid', 'Telegram did not accept these details.', [
          { field: 'values.bot_token', code: 'credentials_refused', message: 'Unauthorized', params: { platform: 'telegram', detail: 'Unauthorized: the bot token was revoked' } },
        ]);
      }
      const a = account('acc-tg', 'telegram', b.values.channel ?? '');
      this.base.accounts.push(a);
      return this.json(200, { data: a });
    }
    if ((m = /^\/oauth\/selections\/([^/]+)$/.exec(p))) {
      if (!this.selection || this.selection.id !== m[1]) return this.err(404, 'not_found', 'This choice of accounts has expired or was already made. Connect again.');
      if (method === 'GET') return this.json(200, { data: this.selection });
      const ids = (body as { externalIds: string[] }).externalIds;
      const accts = ids.map((id) => account(`acc-${id}`, this.selection!.platform, this.selection!.accounts.find((a) => a.externalId === id)!.handle));
      this.base.accounts.push(...accts);
      const platform = this.selection.platform;
      this.selection = null;
      return this.json(200, { data: { platform, orgId: 'org1', accounts: accts } });
    }
    if ((m = /^\/accounts\/([^/]+)\/disconnect$/.exec(p))) {
      const a = this.base.accounts.find((x) => x.id === m![1]);
      if (!a) return this.err(404, 'not_found', 'No such account.');
      a.status = 'disconnected';
      a.statusReason = 'Disconnected in Prasar; connect it again to publish to it.';
      delete a.tokenExpiresAt;
      return this.json(200, { data: { account: a, revoked: true } });
    }
    if ((m = /^\/accounts\/([^/]+)\/refresh$/.exec(p)) && method === 'POST') {
      const a = this.base.accounts.find((x) => x.id === m![1]);
      if (!a) return this.err(404, 'not_found', 'No such account.');
      if (this.renewRefused) {
        return this.err(422, 'invalid', 'Instagram refused to renew the token; the account must be reconnected.', [
          { field: 'accountId', code: 'credentials_refused', message: 'Session has expired', params: { detail: 'Session has expired' } },
        ]);
      }
      a.tokenExpiresAt = new Date(Date.now() + 60 * DAY).toISOString();
      return this.json(200, { data: a });
    }
    if (p === '/notifications' && method === 'GET') {
      const unread = url.searchParams.get('unread') === 'true';
      const list = this.notifications.filter((n) => !unread || !n.readAt);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      return this.json(200, { data: list.slice(0, limit), total: list.length });
    }
    if (p === '/notifications/read' && method === 'POST') {
      const ids = (body as { ids: string[] }).ids;
      let n = 0;
      for (const x of this.notifications) {
        if (!x.readAt && (ids.length === 0 || ids.includes(x.id))) {
          x.readAt = T0;
          n++;
        }
      }
      return this.json(200, { data: { marked: n } });
    }
    return this.err(404, 'not_found', `No route ${method} ${p}`);
  };
}

let stop: (() => void) | null = null;
let navigatedTo: string[] = [];

const settle = (ms = 0) => settleDom(ms, 6);

async function boot(path: string, fake: ConnectFake, lang: Lang = 'en'): Promise<void> {
  stop = await bootApp(path, fake.fetch, lang, async () => {
    // Leaving for the platform's consent page is recorded, not followed.
    const { connectNav } = await import('../views/connect');
    connectNav.go = (u: string) => {
      navigatedTo.push(u);
    };
  });
}

function submit(testid: string): void {
  must<HTMLFormElement>(testid).dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

function newFake(role: 'editor' | 'admin' | 'viewer' = 'editor'): ConnectFake {
  const base = new FakeApi();
  base.users.push(user('u-admin', 'admin', 'DMS Admin', '', 'en'), user('u-viewer', 'viewer', 'CMO', '', 'en'));
  base.signInAs({ editor: 'u-editor', admin: 'u-admin', viewer: 'u-viewer' }[role]);
  return new ConnectFake(base);
}

beforeEach(() => {
  localStorage.clear();
  navigatedTo = [];
  FakeEventSource.instances = [];
  (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
});

afterEach(() => {
  stop?.();
  stop = null;
});

describe('the accounts page', () => {
  it('renews a connected account\'s token on request, and says so when the platform refuses', async () => {
    const fake = newFake('editor');
    const ig = fake.base.accounts[1]!; // acc-ig, on a platform whose tokens renew
    ig.tokenExpiresAt = new Date(Date.now() + 3 * DAY + 3600_000).toISOString();
    await boot('/accounts', fake);
    // X's tokens are not renewable on demand here: no button there.
    expect($('renew-acc-x')).toBeNull();
    expect(must('account-expiring-acc-ig').textContent).toContain('Expires in 3 days');
    must('renew-acc-ig').click();
    await settle();
    expect(fake.base.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/accounts/acc-ig/refresh')).toBe(true);
    expect(document.body.textContent).toContain(`The connection of ${ig.handle} was renewed.`);
    expect(must('account-expiry-acc-ig').dataset.soon).toBe('false');
    expect($('account-expiring-acc-ig')).toBeNull();

    fake.renewRefused = true;
    must('renew-acc-ig').click();
    await settle();
    expect(document.body.textContent).toContain(`Instagram refused to renew the connection of ${ig.handle} (Session has expired): reconnect the account.`);
  });

  it('connects and reconnects through the platform sign-in, shows expiry in IST and warns when it is near', async () => {
    const fake = newFake('editor');
    const x = fake.base.accounts[0]!; // acc-x
    x.status = 'needs_reconnect';
    x.statusReason = 'X refused the token (401 Unauthorized).';
    const ig = fake.base.accounts[1]!; // acc-ig
    ig.tokenExpiresAt = new Date(Date.now() + 3 * DAY + 3600_000).toISOString();
    await boot('/accounts', fake);

    // The broken account says why, that its posts wait, and offers a reconnect.
    expect(must('account-acc-x').dataset.status).toBe('needs_reconnect');
    expect(must('account-reason-acc-x').textContent).toContain('401 Unauthorized');
    expect(must('account-acc-x').textContent).toContain('Posts for this account wait until it is reconnected.');
    // The expiring one: its date in IST and a warning in words.
    expect(must('account-expiry-acc-ig').dataset.soon).toBe('true');
    expect(must('account-expiring-acc-ig').textContent).toContain('Expires in 3 days');
    expect(must('account-expiry-acc-ig').textContent).toContain('IST');
    // Koo cannot be connected: no button.
    expect($('connect-koo')).toBeNull();
    // An editor is not shown the app's redirect URL.
    expect($('redirect-url-x')).toBeNull();

    must('reconnect-acc-x').click();
    await settle();
    expect(fake.started).toEqual([{ platform: 'x', body: { orgId: '', accountId: 'acc-x' } }]);
    expect(navigatedTo).toEqual(['http://localhost/sandbox/x/www/authorize?state=st-1']);

    must('connect-instagram').click();
    await settle();
    expect(fake.started[1]).toEqual({ platform: 'instagram', body: { orgId: 'org1', accountId: '' } });
    expect(navigatedTo).toHaveLength(2);
    const start = fake.base.requests.find((r) => r.path === '/api/v1/oauth/x/start');
    expect(start?.headers['x-csrf-token']).toBe('csrf-u-editor');
  });

  it('disconnects only after confirmation', async () => {
    const fake = newFake('editor');
    await boot('/accounts', fake);
    must('disconnect-acc-x').click();
    await settle();
    expect(fake.base.requests.some((r) => r.path.endsWith('/disconnect'))).toBe(false);
    must('disconnect-cancel-acc-x').click();
    await settle();
    expect($('disconnect-confirm-acc-x')).toBeNull();
    must('disconnect-acc-x').click();
    await settle();
    must('disconnect-confirm-acc-x').click();
    await settle();
    expect(fake.base.requests.filter((r) => r.path === '/api/v1/accounts/acc-x/disconnect')).toHaveLength(1);
    expect(must('account-acc-x').dataset.status).toBe('disconnected');
    expect(must('accounts-notice').textContent).toContain('its access was revoked on X');
  });

  it('shows admins the redirect URL and asks them to choose an organisation first; viewers get no actions', async () => {
    const fake = newFake('admin');
    await boot('/accounts', fake);
    expect(must('connect-org-hint').textContent).toContain('Choose an organisation');
    expect($('connect-x')).toBeNull();
    stop?.();
    await boot('/accounts?orgId=org1', fake);
    expect(must('redirect-url-x').textContent).toBe('http://localhost/api/v1/oauth/x/callback');
    expect($('connect-x')).not.toBeNull();
    stop?.();
    const viewer = newFake('viewer');
    await boot('/accounts?orgId=org1', viewer);
    expect($('connect-x')).toBeNull();
    expect($('reconnect-acc-x')).toBeNull();
  });
});

describe('the credential form', () => {
  it('checks the details with the platform, shows its refusal at the field, and lands on the result', async () => {
    const fake = newFake('editor');
    await boot('/accounts', fake);
    must('connect-telegram').click();
    await settle();
    expect(location.pathname).toBe('/accounts/connect/telegram');
    expect(location.search).toBe('?orgId=org1');
    const token = must<HTMLInputElement>('connect-field-bot_token');
    expect(token.type).toBe('password');
    expect(document.querySelector('label[for="cf-bot_token"]')?.textContent).toContain('Bot token');

    submit('connect-form');
    await settle();
    expect(must('error-summary').textContent).toContain('Bot token');
    expect(fake.base.requests.some((r) => r.path === '/api/v1/connect/telegram')).toBe(false);

    type(token, '123:wrong');
    type(must<HTMLInputElement>('connect-field-channel'), '@agrihry');
    submit('connect-form');
    await settle();
    expect(must('cf-bot_token-error').textContent).toContain('Telegram did not accept these details: Unauthorized: the bot token was revoked');
    expect(token.getAttribute('aria-invalid')).toBe('true');

    type(token, '123:right');
    submit('connect-form');
    await settle();
    const sent = fake.base.requests.filter((r) => r.path === '/api/v1/connect/telegram').at(-1);
    expect(sent?.body).toEqual({ orgId: 'org1', accountId: '', values: { bot_token: '123:right', channel: '@agrihry' } });
    expect(location.pathname).toBe('/accounts/connected');
    expect(must('connect-result').dataset.outcome).toBe('connected');
    expect(must('connect-result-account-acc-tg').textContent).toContain('@agrihry');
    // The token is nowhere on the page.
    expect(document.body.innerHTML).not.toContain('123:right');
  });
});

describe('the choice among granted accounts', () => {
  it('offers the usable Pages, shows why the others cannot be chosen, and connects the chosen', async () => {
    const fake = newFake('editor');
    fake.selection = {
      id: 'sel1',
      platform: 'instagram',
      orgId: 'org1',
      expiresAt: '2026-11-28T04:40:00Z',
      accounts: [
        { externalId: '1784001', handle: '@krishi_hry', displayName: 'Krishi Haryana', registered: false },
        { externalId: '1784002', handle: '@kisan_mitra', displayName: 'Kisan Mitra', registered: false, problem: 'You may only analyse this Page, not post to it.' },
        { externalId: '1784003', handle: '@agrihry', displayName: 'Agriculture', registered: true },
      ],
    };
    fake.base.users.find((u) => u.id === 'u-editor')!.lang = 'hi'; // the signed-in user's language applies
    await boot('/accounts/select/sel1', fake, 'hi');
    expect(document.querySelector('h1')?.textContent).toBe('जोड़ने के लिए Instagram खाते चुनें');
    expect(must('select-account-1784002').hasAttribute('disabled')).toBe(true);
    expect(must('select-problem-1784002').textContent).toContain('You may only analyse this Page');
    expect(must('select-account-1784002').getAttribute('aria-describedby')).toContain('problem');
    const first = must<HTMLInputElement>('select-account-1784001');
    first.checked = true;
    first.dispatchEvent(new Event('change', { bubbles: true }));
    const third = must<HTMLInputElement>('select-account-1784003');
    third.checked = true;
    third.dispatchEvent(new Event('change', { bubbles: true }));
    submit('select-form');
    await settle();
    const sent = fake.base.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/oauth/selections/sel1');
    expect(sent?.body).toEqual({ externalIds: ['1784001', '1784003'] });
    expect(location.pathname).toBe('/accounts/connected');
    expect(must('connect-result-account-acc-1784001')).toBeTruthy();

    // A used (or another session's) choice is gone.
    stop?.();
    fake.base.users.find((u) => u.id === 'u-editor')!.lang = 'en';
    await boot('/accounts/select/sel1', fake);
    expect(must('select-gone').textContent).toContain('expired');
  });
});

describe('the result page', () => {
  it('says why a connection failed, in the user’s language, with the platform’s words', async () => {
    const fake = newFake('editor');
    const editor = fake.base.users.find((u) => u.id === 'u-editor')!;
    editor.lang = 'hi';
    await boot('/accounts/connected?platform=x&error=denied', fake, 'hi');
    expect(must('connect-result').dataset.reason).toBe('denied');
    expect(must('connect-result-error').textContent).toContain('X पर अनुमति नहीं दी गई');
    stop?.();
    editor.lang = 'en';
    await boot('/accounts/connected?platform=x&error=exchange&detail=invalid_grant', fake, 'en');
    expect(must('connect-result-error').textContent).toContain('X did not accept the sign-in');
    expect(must('connect-result-detail').textContent).toBe('What X said: invalid_grant');
    stop?.();
    await boot('/accounts/connected?platform=x&error=state', fake, 'en');
    expect(must('connect-result-error').textContent).toContain('another sign-in or browser');
    expect(must('nav-accounts').getAttribute('aria-current')).toBe('page');
  });
});

describe('the notifications bell', () => {
  it('shows the unread count, lists the notifications and marks them read', async () => {
    const fake = newFake('editor');
    fake.notifications = [
      { id: 'n2', userId: 'u-editor', kind: 'account.expiring', subject: 'The LinkedIn account agri must be reconnected by 1 Dec', body: 'Reconnect it.', link: '/accounts', createdAt: T0 },
      { id: 'n1', userId: 'u-editor', kind: 'account.needs_reconnect', subject: 'Reconnect the X account @agri_hry', body: 'X refused.', link: '/accounts', createdAt: T0 },
      { id: 'n0', userId: 'u-editor', kind: 'case.assigned', subject: 'Old', body: 'Old.', createdAt: T0, readAt: T0 },
    ];
    await boot('/posts', fake);
    const bell = must('notifications-bell');
    expect(bell.dataset.unread).toBe('2');
    expect(must('notifications-count').textContent).toBe('2');
    expect(bell.getAttribute('aria-label')).toBe('Notifications, 2 unread');
    expect(bell.getAttribute('aria-expanded')).toBe('false');
    bell.click();
    await settle();
    expect(bell.getAttribute('aria-expanded')).toBe('true');
    expect(must('notification-n1').dataset.read).toBe('false');
    expect(must('notification-n0').dataset.read).toBe('true');
    expect(must('notification-n1').textContent).toContain('Reconnect the X account @agri_hry');

    // Following a link marks that one read and opens the page.
    must('notification-link-n1').click();
    await settle();
    expect(location.pathname).toBe('/accounts');
    expect(fake.base.requests.find((r) => r.path === '/api/v1/notifications/read')?.body).toEqual({ ids: ['n1'] });
    expect(must('notifications-bell').dataset.unread).toBe('1');

    must('notifications-bell').click();
    await settle();
    must('notifications-read-all').click();
    await settle();
    expect(fake.base.requests.filter((r) => r.path === '/api/v1/notifications/read').at(-1)?.body).toEqual({ ids: [] });
    expect(must('notifications-bell').dataset.unread).toBe('0');
    expect($('notifications-count')).toBeNull();
    // Escape closes the panel.
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await settle();
    expect($('notifications-panel')).toBeNull();
  });
});

// account() builds accounts of org1; keep the type import used.
export type { Account };
