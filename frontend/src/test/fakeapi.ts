// An in-memory stand-in for the Prasar API (docs/api.md), enough for the
// DOM tests: it answers through a fetch function and records requests.
// It follows the documented envelopes, status codes and CSRF rule.

import type { Account, Delivery, FieldError, Organisation, PlatformRules, Post, PostInput, TargetMeasure, User } from '../api';

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

const T0 = '2026-11-28T04:30:00Z';

export function user(id: string, role: User['role'], name: string, orgId = '', lang: User['lang'] = 'hi'): User & { password: string } {
  return { id, email: `${id}@example.gov.in`, name, role, orgId, lang, disabled: false, createdAt: T0, updatedAt: T0, password: 'correct horse' };
}

export function account(id: string, platform: Account['platform'], handle: string, status: Account['status'] = 'connected', statusReason = ''): Account {
  return { id, orgId: 'org1', platform, handle, displayName: handle, externalId: id, status, statusReason, sandbox: true, createdAt: T0, updatedAt: T0 };
}

const LIMITS: Record<string, number> = { x: 280, facebook: 63206, instagram: 2200, koo: 500, threads: 500, telegram: 4096 };

export class FakeApi {
  requests: Recorded[] = [];
  users: (User & { password: string })[] = [
    user('u-editor', 'editor', 'Asha Editor', 'org1', 'en'),
    user('u-approver', 'approver', 'Ravi Approver', '', 'en'),
  ];
  orgs: Organisation[] = [
    { id: 'org1', code: 'AGRI', type: 'department', nameEn: 'Agriculture Department', nameHi: 'कृषि विभाग', createdAt: T0, updatedAt: T0 },
  ];
  platforms: PlatformRules[] = [
    { platform: 'x', maxChars: 280, countUnit: 'weighted', requiresMedia: false, maxImages: 4, maxImageBytes: 5 << 20, imageTypes: null, enabled: true },
    { platform: 'instagram', maxChars: 2200, countUnit: 'characters', requiresMedia: true, maxImages: 10, maxImageBytes: 8 << 20, imageTypes: null, enabled: true },
    { platform: 'koo', maxChars: 500, countUnit: 'characters', requiresMedia: false, maxImages: 4, maxImageBytes: 0, imageTypes: null, enabled: false, defunct: 'Koo shut down on 3 July 2024.' },
  ];
  accounts: Account[] = [
    account('acc-x', 'x', '@agri_hry'),
    account('acc-ig', 'instagram', '@agrihry'),
    account('acc-koo', 'koo', '@agri_koo', 'defunct', 'Koo shut down on 3 July 2024.'),
  ];
  posts: Post[] = [];
  deliveries: Delivery[] = [];
  session: { userId: string; csrf: string } | null = null;
  /** next PUT answers 409 when set */
  conflictNext = false;
  private seq = 0;

  /** row is a delivery as the history and the post page get it: with its names (DeliveryRow). */
  row(d: Delivery): Delivery {
    const a = this.accounts.find((x) => x.id === d.accountId);
    return {
      postTitle: this.posts.find((x) => x.id === d.postId)?.title ?? '',
      accountHandle: a?.handle ?? '',
      accountDisplayName: a?.displayName ?? '',
      orgCode: this.orgs.find((x) => x.id === d.orgId)?.code ?? '',
      ...d,
    };
  }

  signInAs(id: string): void {
    this.session = { userId: id, csrf: `csrf-${id}` };
  }

  me(): User | null {
    const u = this.users.find((x) => x.id === this.session?.userId);
    if (!u) return null;
    const { password: _pw, ...rest } = u;
    void _pw;
    return rest;
  }

  addPost(p: Partial<Post> & { id: string }): Post {
    const post: Post = {
      orgId: 'org1',
      authorId: 'u-editor',
      kind: 'post',
      title: 'Kisan Mela',
      status: 'draft',
      revision: 1,
      content: { bodyHi: 'किसान मेला', bodyEn: 'Farmers fair' },
      targets: ['acc-x'],
      contentHash: 'h',
      review: [{ at: T0, userId: 'u-editor', userName: 'Asha Editor', action: 'create', revision: 1 }],
      createdAt: T0,
      updatedAt: T0,
      version: 1,
      ...p,
    };
    this.posts.push(post);
    return post;
  }

  measureOf(input: PostInput): TargetMeasure[] {
    const out: TargetMeasure[] = [];
    for (const id of input.targets) {
      const a = this.accounts.find((x) => x.id === id);
      if (!a) continue;
      const v = input.content.variants?.[a.platform]?.text;
      const text = v || [input.content.bodyHi.trim(), input.content.bodyEn.trim()].filter(Boolean).join('\n\n');
      const count = [...text].length;
      const limit = LIMITS[a.platform] ?? 0;
      const problems: FieldError[] = [];
      if (limit && count > limit) {
        problems.push({ field: 'content.body', code: 'too_long', message: 'too long', params: { platform: a.platform, count: String(count), limit: String(limit) } });
      }
      if (a.platform === 'instagram' && (input.content.mediaIds ?? []).length === 0) {
        problems.push({ field: 'content.mediaIds', code: 'required_for_platform', message: 'Instagram posts need an image.', params: { platform: 'instagram' } });
      }
      out.push({ accountId: a.id, platform: a.platform, handle: a.handle, text, count, limit, unit: a.platform === 'x' ? 'weighted' : 'characters', problems });
    }
    return out;
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init.headers as Record<string, string>) ?? {})) headers[k.toLowerCase()] = v;
    let body: unknown = null;
    if (typeof init.body === 'string') body = JSON.parse(init.body);
    else if (init.body instanceof FormData) body = init.body;
    this.requests.push({ method, path: url.pathname + url.search, headers, body });
    return this.route(method, url, headers, body);
  };

  private json(status: number, value: unknown): Response {
    return new Response(status === 204 ? null : JSON.stringify(value), {
      status,
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': `req-${++this.seq}` },
    });
  }

  private err(status: number, code: string, message: string, fields?: FieldError[]): Response {
    return this.json(status, { error: { code, message, fields, requestId: `req-${this.seq + 1}` } });
  }

  private route(method: string, url: URL, headers: Record<string, string>, body: unknown): Response {
    const p = url.pathname.replace(/^\/api\/v1/, '');
    if (p === '/session' && method === 'POST') {
      const b = body as { email: string; password: string };
      const u = this.users.find((x) => x.email === b.email && x.password === b.password);
      if (!u) return this.err(401, 'unauthorized', 'Wrong e-mail or password.');
      this.signInAs(u.id);
      return this.json(200, { data: { user: this.me(), csrfToken: this.session!.csrf } });
    }
    const me = this.me();
    if (!me) return this.err(401, 'unauthorized', 'Sign in.');
    if (method !== 'GET' && headers['x-csrf-token'] !== this.session!.csrf) return this.err(403, 'forbidden', 'CSRF');

    let m: RegExpExecArray | null;
    if (p === '/session' && method === 'GET') return this.json(200, { data: { user: me, csrfToken: this.session!.csrf } });
    if (p === '/session' && method === 'DELETE') {
      this.session = null;
      return this.json(204, null);
    }
    if (p === '/me' && method === 'PATCH') {
      const u = this.users.find((x) => x.id === me.id)!;
      u.lang = (body as { lang: User['lang'] }).lang;
      return this.json(200, { data: this.me() });
    }
    if (p === '/platforms') return this.json(200, { data: this.platforms });
    if (p === '/orgs') return this.json(200, { data: this.orgs });
    if (p === '/accounts') return this.json(200, { data: this.accounts });
    if (p === '/users' && method === 'GET') return this.json(200, { data: this.users.map(({ password: _p, ...u }) => u) });
    if (p === '/measure' && method === 'POST') return this.json(200, { data: this.measureOf(body as PostInput) });
    if (p === '/review-queue') {
      const list = this.posts.filter((x) => x.status === 'in_review');
      return this.json(200, { data: list, total: list.length });
    }
    if (p === '/posts' && method === 'GET') return this.json(200, { data: this.posts, total: this.posts.length });
    if (p === '/posts' && method === 'POST') {
      const input = body as PostInput;
      if (input.content.link && !/^https?:\/\/./.test(input.content.link)) {
        return this.err(422, 'invalid', 'The post needs correcting before it can be saved.', [
          { field: 'content.link', code: 'invalid_url', message: 'Enter a full web address starting with https://.' },
        ]);
      }
      const post = this.addPost({ id: `p${this.posts.length + 1}`, authorId: me.id, title: input.title, content: input.content, targets: input.targets });
      return this.json(201, { data: post });
    }
    if ((m = /^\/posts\/([^/]+)$/.exec(p))) {
      const post = this.posts.find((x) => x.id === m![1]);
      if (!post) return this.err(404, 'not_found', 'No such post.');
      if (method === 'GET') return this.json(200, { data: { post, deliveries: this.deliveries.filter((d) => d.postId === post.id).map((d) => this.row(d)), counts: {} } });
      if (method === 'PUT') {
        const b = body as PostInput & { revision: number };
        if (this.conflictNext || b.revision !== post.revision) {
          this.conflictNext = false;
          return this.err(409, 'conflict', 'The post changed.');
        }
        Object.assign(post, { title: b.title, content: b.content, targets: b.targets, revision: post.revision + 1 });
        return this.json(200, { data: post });
      }
    }
    if ((m = /^\/posts\/([^/]+)\/(submit|approve|reject|request-changes|cancel)$/.exec(p))) {
      const post = this.posts.find((x) => x.id === m![1]);
      if (!post) return this.err(404, 'not_found', 'No such post.');
      const b = body as { revision: number; comment?: string };
      if (b.revision !== post.revision) return this.err(409, 'conflict', 'changed');
      const action = m[2] ?? '';
      if (action === 'approve' && post.authorId === me.id) return this.err(403, 'forbidden', 'You cannot approve your own post.');
      if ((action === 'reject' || action === 'request-changes') && !b.comment) {
        return this.err(422, 'invalid', 'Say what must change.', [{ field: 'comment', code: 'required', message: 'Write a comment for the author.' }]);
      }
      post.status = ({ submit: 'in_review', approve: 'approved', reject: 'rejected', 'request-changes': 'changes_requested', cancel: 'cancelled' } as const)[
        action as 'submit'
      ];
      (post.review ??= []).push({ at: T0, userId: me.id, userName: me.name, action: action.replace('-', '_'), revision: post.revision, comment: b.comment });
      return this.json(200, { data: post });
    }
    if ((m = /^\/deliveries\/([^/]+)\/retry$/.exec(p))) {
      const d = this.deliveries.find((x) => x.id === m![1]);
      if (!d) return this.err(404, 'not_found', 'No such delivery.');
      if (!['failed', 'unconfirmed', 'needs_reconnect'].includes(d.status)) return this.err(409, 'conflict', 'Not retryable.');
      d.status = 'queued';
      return this.json(200, { data: d });
    }
    if (p === '/deliveries' && method === 'GET') return this.json(200, { data: this.deliveries.map((d) => this.row(d)), total: this.deliveries.length });
    return this.err(404, 'not_found', `No route ${method} ${p}`);
  }
}

export function delivery(id: string, postId: string, status: Delivery['status'], extra: Partial<Delivery> = {}): Delivery {
  return {
    id,
    postId,
    revision: 1,
    accountId: 'acc-x',
    orgId: 'org1',
    platform: 'x',
    status,
    attempts: 1,
    failures: 0,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

/** FakeEventSource replaces EventSource so tests can push server events. */
export class FakeEventSource {
  static instances: FakeEventSource[] = [];
  url: string;
  closed = false;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();

  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, fn: (e: MessageEvent) => void): void {
    const l = this.listeners.get(type) ?? [];
    l.push(fn);
    this.listeners.set(type, l);
  }

  emit(type: string, data: unknown): void {
    for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data: JSON.stringify(data) }));
  }

  fail(): void {
    this.onerror?.();
  }

  close(): void {
    this.closed = true;
  }
}
