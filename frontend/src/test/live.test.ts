// The API client against a running Prasar with its demo data: sign in as
// an editor, write and measure a post, submit it, approve it as an
// approver, and watch its deliveries get published in the sandbox.
//
// It runs only when PRASAR_URL points at a server started with the demo
// (e.g. `PRASAR_DEMO_PASSWORD=… make run`, then
// `PRASAR_URL=http://localhost:8080 PRASAR_DEMO_PASSWORD=… npm test`);
// without them vitest reports it as skipped, under a name that says what it
// needs. The Go end-to-end test covers the same path in Chromium.

import { describe, expect, it } from 'vitest';

const base = process.env.PRASAR_URL ?? '';
const password = process.env.PRASAR_DEMO_PASSWORD ?? '';

/** jarFetch is fetch against base with one cookie jar (node's fetch keeps none). */
function jarFetch(): typeof fetch {
  const jar = new Map<string, string>();
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('Cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(base + String(input), { ...init, headers });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return res;
  };
}

describe.skipIf(!base || !password)('against a running server (needs PRASAR_URL and PRASAR_DEMO_PASSWORD)', () => {
  it('takes a post from draft to published deliveries', { timeout: 60_000 }, async () => {
    const { vi } = await import('vitest');
    vi.resetModules();
    const api = await import('../api');

    api.setFetch(jarFetch());
    const s = await api.signIn('editor.agri@example.gov.in', password);
    expect(s.user.role).toBe('editor');
    // Whatever platforms this deployment has switched on (Koo never is).
    const platforms = await api.listPlatforms();
    const enabled = new Set(platforms.filter((p) => p.enabled).map((p) => p.platform));
    expect(enabled.has('koo')).toBe(false);
    const accounts = await api.listAccounts(s.user.orgId);
    const targets = accounts.filter((a) => a.status === 'connected' && enabled.has(a.platform)).slice(0, 2);
    expect(targets.length).toBeGreaterThan(0);

    const input = {
      orgId: s.user.orgId ?? '',
      kind: 'post' as const,
      title: 'Frontend live test',
      content: { bodyHi: 'किसान मेला हिसार में', bodyEn: `Kisan Mela in Hisar ${Date.now()}`, link: 'https://agriharyana.gov.in', variants: {} },
      targets: targets.map((a) => a.id),
      scheduledAt: null,
    };
    const ms = await api.measure(input);
    expect(ms.map((m) => m.accountId).sort()).toEqual(targets.map((a) => a.id).sort());
    for (const m of ms) expect(m.count).toBeGreaterThan(0);
    const mx = ms.find((m) => m.platform === 'x');
    if (mx) expect(mx.limit).toBe(280);

    // A bad link comes back as a field error the UI can place and translate.
    const bad = await api.createPost({ ...input, content: { ...input.content, link: 'not a link' } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(api.ApiError);
    expect((bad as InstanceType<typeof api.ApiError>).fields[0]).toMatchObject({ field: 'content.link', code: 'invalid_url' });

    const draft = await api.createPost(input);
    expect(draft.status).toBe('draft');
    // Editing the content makes a new revision; a save from the old one is a conflict.
    const edited = await api.updatePost(draft.id, draft.revision, { ...input, content: { ...input.content, bodyEn: `${input.content.bodyEn}, edited` } });
    expect(edited.revision).toBeGreaterThan(draft.revision);
    const stale = await api.updatePost(draft.id, draft.revision, input).catch((e: unknown) => e);
    expect((stale as InstanceType<typeof api.ApiError>).code).toBe('conflict');
    const submitted = await api.submitPost(edited.id, edited.revision);
    expect(submitted.status).toBe('in_review');
    await api.signOut();

    api.setFetch(jarFetch());
    await api.signIn('approver@example.gov.in', password);
    const queue = await api.reviewQueue();
    expect(queue.data.some((p) => p.id === draft.id)).toBe(true);
    const approved = await api.approvePost(draft.id, submitted.revision, 'OK');
    expect(approved.status).toBe('approved');

    let detail = await api.getPost(draft.id);
    for (let i = 0; i < 40 && (detail.deliveries ?? []).filter((d) => d.status === 'published').length < targets.length; i++) {
      await new Promise((r) => setTimeout(r, 500));
      detail = await api.getPost(draft.id);
    }
    const ds = detail.deliveries ?? [];
    expect(ds.map((d) => d.status)).toEqual(targets.map(() => 'published'));
    for (const d of ds) expect(d.externalUrl).toMatch(/^https?:\/\//);
    const hist = await api.listDeliveries({ postId: draft.id });
    expect(hist.total).toBe(targets.length);
  });
});
