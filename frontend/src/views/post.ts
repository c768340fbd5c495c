// The post page: content, per-platform preview, review trail, actions by
// role and state, and the deliveries table updated live over server-sent
// events (falling back to polling when the stream fails).

import { html, nothing, type TemplateResult } from 'lit-html';
import { live } from 'lit-html/directives/live.js';
import * as api from '../api';
import { ApiError, type Account, type Delivery, type PostDetail, type PublishingSettings, type Retraction, type ReviewAction, type TargetMeasure } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { translateError, translateFieldError, requestIdNote } from '../errors';
import { formatIST, isoMachine } from '../time';
import { platformName, platformOrder } from '../platforms';
import {
  FormErrors,
  deliveryStatusBadge,
  deliveryStatusLabel,
  errorClassWords,
  externalLink,
  focusSummary,
  groupMeasures,
  label,
  loadError,
  postStatusBadge,
  previewRows,
  timeEl,
} from '../ui';
import { ReachPanel } from './reach-post';

const POLL_MS = 5000;
const RETRACTION_POLL_MS = 3000;
const RETRYABLE = new Set(['failed', 'unconfirmed', 'needs_reconnect']);

export class PostView implements View {
  private detail: PostDetail | null = null;
  private loadErr: unknown = null;
  private accounts = new Map<string, Account>();
  private measures: TargetMeasure[] = [];
  private measureFailed = false;

  private comment = '';
  private busy: '' | ReviewAction | 'submit' | 'retract' = '';
  private errors = new FormErrors();
  private cancelOpen = false;
  /** the last review step's outcome, shown at the top */
  private done = '';

  private live: 'connecting' | 'sse' | 'poll' = 'connecting';
  private es: EventSource | null = null;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private destroyed = false;

  /** retraction (publishing control): the open confirmation, its reason, the record */
  private retractOpen = false;
  private retractReason = '';
  private retraction: Retraction | null = null;
  private settings: PublishingSettings | null = null;
  /** re-reads an unfinished retraction (deletions that change no delivery send no live event) */
  private retractionTimer: ReturnType<typeof setTimeout> | undefined;
  /** per unconfirmed delivery: "not on the account" waiting for its confirmation */
  private notPublished = new Set<string>();

  /** per delivery: the open "mark as published" form's URL, busy flag and error */
  private resolving = new Map<string, string>();
  private rowBusy = new Set<string>();
  private rowError = new Map<string, string>();
  /** the metrics panel (reach-post.ts) */
  private reachPanel: ReachPanel;

  constructor(
    private ctx: Ctx,
    private id: string,
  ) {
    this.reachPanel = new ReachPanel(ctx, id);
    void this.load();
  }

  destroy(): void {
    this.destroyed = true;
    this.es?.close();
    this.es = null;
    clearInterval(this.pollTimer);
    clearTimeout(this.retractionTimer);
  }

  title(): string {
    return this.detail ? this.detail.post.title || t('common.untitled') : t('app.loading');
  }

  // ---- Data ----

  private async load(): Promise<void> {
    this.loadErr = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      const d = await api.getPost(this.id);
      this.apply(d, false);
      await this.loadAccounts(d.post.orgId);
      void this.loadControl();
      this.startLive();
      void this.reachPanel.load();
      void this.loadPreview();
    } catch (err) {
      this.loadErr = err;
    }
    this.ctx.update();
  }

  private async loadAccounts(orgId: string): Promise<void> {
    try {
      const list = await api.listAccounts(orgId);
      this.accounts = new Map(list.map((a) => [a.id, a]));
    } catch {
      // Without accounts the table shows ids; nothing else depends on them.
    }
  }

  /** loadControl reads the pause switches (for the banner) and, for a retracted post, its retraction. */
  private async loadControl(): Promise<void> {
    const p = this.detail?.post;
    if (!p) return;
    try {
      this.settings = await api.getPublishing();
    } catch {
      // No banner; nothing else depends on it.
    }
    if (p.status === 'retracted') {
      try {
        this.retraction = await api.getRetraction(p.id);
      } catch {
        this.retraction = null;
      }
      clearTimeout(this.retractionTimer);
      if (!this.destroyed && !this.retraction?.done) this.retractionTimer = setTimeout(() => void this.loadControl(), RETRACTION_POLL_MS);
    }
    this.ctx.update();
  }

  private async loadPreview(): Promise<void> {
    const p = this.detail?.post;
    if (!p || (p.targets ?? []).length === 0) {
      this.measures = [];
      return;
    }
    try {
      this.measures = await api.measure({ orgId: p.orgId, kind: p.kind, title: p.title, content: p.content, targets: p.targets ?? [] });
      this.measureFailed = false;
    } catch {
      this.measureFailed = true;
    }
    this.ctx.update();
  }

  /** apply takes a fresh snapshot and announces delivery status changes. */
  private apply(d: PostDetail, announce: boolean): void {
    const before = new Map((this.detail?.deliveries ?? []).map((x) => [x.id, x.status]));
    const contentChanged = this.detail && this.detail.post.revision !== d.post.revision;
    const statusChanged = this.detail && this.detail.post.status !== d.post.status;
    this.detail = d;
    if (announce) {
      const changes: string[] = [];
      for (const x of d.deliveries ?? []) {
        const was = before.get(x.id);
        if (was !== undefined && was !== x.status) {
          changes.push(t('delivery.changed', { platform: platformName(x.platform), account: this.handle(x), status: deliveryStatusLabel(x.status) }));
        }
      }
      if (statusChanged) changes.unshift(`${t('post.status')}: ${label('postStatus', d.post.status)}`);
      if (changes.length > 0) this.ctx.announce(changes.join('. '));
    }
    if (contentChanged) void this.loadPreview();
    if (d.post.status === 'retracted' && (statusChanged || !this.retraction?.done)) void this.loadControl();
    this.ctx.update();
  }

  private async refresh(): Promise<void> {
    try {
      const d = await api.getPost(this.id);
      if (!this.destroyed) this.apply(d, true);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        this.loadErr = err;
        this.ctx.update();
      }
    }
  }

  private startLive(): void {
    if (this.destroyed || this.es || this.pollTimer) return;
    if (typeof EventSource === 'undefined') {
      this.startPolling();
      return;
    }
    const es = new EventSource(api.postEventsUrl(this.id), { withCredentials: true });
    this.es = es;
    es.addEventListener('deliveries', (ev) => {
      this.live = 'sse';
      try {
        this.apply(JSON.parse((ev as MessageEvent<string>).data) as PostDetail, true);
      } catch {
        // A malformed event: keep what we have; the next one corrects it.
      }
    });
    // The server ends the stream with "signed_out" when the session ends and
    // "gone" when the post can no longer be seen; one ordinary request then
    // takes the usual path (401 → sign-in, 404 → "not found").
    const ended = () => {
      es.close();
      this.es = null;
      void this.refresh();
    };
    es.addEventListener('signed_out', ended);
    es.addEventListener('gone', ended);
    es.onopen = () => {
      this.live = 'sse';
      this.ctx.update();
    };
    es.onerror = () => {
      // The stream failed (server down, proxy, 401…): poll instead.
      es.close();
      this.es = null;
      this.startPolling();
    };
  }

  private startPolling(): void {
    if (this.destroyed || this.pollTimer) return;
    this.live = 'poll';
    this.ctx.update();
    void this.refresh();
    this.pollTimer = setInterval(() => void this.refresh(), POLL_MS);
  }

  private handle(d: Delivery): string {
    return d.accountHandle || this.accounts.get(d.accountId)?.handle || d.accountId;
  }

  // ---- Review actions ----

  private async act(action: ReviewAction | 'submit'): Promise<void> {
    const d = this.detail;
    if (!d || this.busy) return;
    const lang = this.ctx.lang();
    this.errors.clear();
    if ((action === 'reject' || action === 'request-changes') && !this.comment.trim()) {
      this.errors.add('f-comment', t('field.comment'), t('fe.required.comment'));
      this.ctx.update();
      focusSummary();
      return;
    }
    this.busy = action;
    this.ctx.update();
    try {
      const p =
        action === 'submit'
          ? await api.submitPost(d.post.id, d.post.revision)
          : await api.reviewPost(d.post.id, action, d.post.revision, action === 'cancel' ? this.comment : this.comment.trim());
      this.detail = { ...d, post: p };
      this.comment = '';
      this.cancelOpen = false;
      const msg =
        action === 'approve'
          ? p.scheduledAt
            ? t('post.approvedScheduled', { time: formatIST(p.scheduledAt, lang) })
            : t('post.approved')
          : action === 'reject'
            ? t('post.rejected')
            : action === 'request-changes'
              ? t('post.changesRequested')
              : action === 'cancel'
                ? t('post.cancelled')
                : t('post.submitted');
      this.ctx.announce(msg);
      this.done = msg;
      void this.refresh();
    } catch (err) {
      const ctx = action === 'approve' && err instanceof ApiError && err.code === 'forbidden' ? 'approve' : 'post';
      this.errors.fromError(
        err,
        lang,
        (f) => (f.field === 'comment' ? { id: 'f-comment', label: t('field.comment') } : { id: '', label: f.field === 'scheduledAt' ? t('field.scheduledAt') : '' }),
        ctx,
      );
      focusSummary();
    } finally {
      this.busy = '';
      this.ctx.update();
    }
  }

  // ---- Delivery actions ----

  private async retry(d: Delivery): Promise<void> {
    await this.rowAction(d, () => api.retryDelivery(d.id), t('delivery.retried', { account: this.handle(d) }), 'retry');
  }

  private async retract(): Promise<void> {
    const d = this.detail;
    if (!d || this.busy) return;
    const lang = this.ctx.lang();
    this.errors.clear();
    if (!this.retractReason.trim()) {
      this.errors.add('f-retract-reason', t('post.retractReason'), t('fe.required'));
      this.ctx.update();
      focusSummary();
      return;
    }
    this.busy = 'retract';
    this.ctx.update();
    try {
      const p = await api.retractPost(d.post.id, d.post.revision, this.retractReason.trim());
      this.detail = { ...d, post: p };
      this.retractOpen = false;
      this.retractReason = '';
      this.done = t('post.retractDone');
      this.ctx.announce(this.done);
      void this.refresh();
      void this.loadControl();
    } catch (err) {
      this.errors.fromError(err, lang, (f) => (f.field === 'comment' ? { id: 'f-retract-reason', label: t('post.retractReason') } : { id: '', label: '' }), 'post');
      focusSummary();
    } finally {
      this.busy = '';
      this.ctx.update();
    }
  }

  private async resolveNotPublished(d: Delivery): Promise<void> {
    await this.rowAction(d, () => api.resolveNotPublished(d.id), t('delivery.requeued', { account: this.handle(d) }), '');
    this.notPublished.delete(d.id);
    this.ctx.update();
  }

  private async resolve(d: Delivery): Promise<void> {
    const url = (this.resolving.get(d.id) ?? '').trim();
    if (!url) {
      this.rowError.set(d.id, t('fe.required'));
      this.ctx.update();
      document.getElementById(`resolve-url-${d.id}`)?.focus();
      return;
    }
    await this.rowAction(d, () => api.resolveDelivery(d.id, url), t('delivery.resolved', { account: this.handle(d) }), '');
    if (!this.rowError.has(d.id)) this.resolving.delete(d.id);
    this.ctx.update();
  }

  private async rowAction(d: Delivery, call: () => Promise<Delivery>, okMsg: string, ctx: 'retry' | ''): Promise<void> {
    if (this.rowBusy.has(d.id)) return;
    const lang = this.ctx.lang();
    this.rowBusy.add(d.id);
    this.rowError.delete(d.id);
    this.ctx.update();
    try {
      const updated = await call();
      const det = this.detail;
      if (det) {
        this.detail = { ...det, deliveries: (det.deliveries ?? []).map((x) => (x.id === updated.id ? updated : x)) };
      }
      this.ctx.announce(okMsg);
    } catch (err) {
      const f = err instanceof ApiError ? err.fields[0] : undefined;
      let msg = f ? translateFieldError(f, lang) : translateError(err, lang, ctx);
      const ref = requestIdNote(err, lang);
      if (ref) msg += ` ${ref}`;
      this.rowError.set(d.id, msg);
      this.ctx.announce(msg, true);
    } finally {
      this.rowBusy.delete(d.id);
      this.ctx.update();
    }
  }

  // ---- Rendering ----

  render() {
    const lang = this.ctx.lang();
    if (this.loadErr) {
      const notFound = this.loadErr instanceof ApiError && this.loadErr.status === 404;
      return html`<h1 id="page-title" tabindex="-1">${notFound ? t('notFound.title') : t('common.loadFailed')}</h1>
        ${notFound ? html`<p>${t('post.notFound')}</p><p><a href="/posts">${t('notFound.home')}</a></p>` : loadError(this.loadErr, lang, () => void this.load())}`;
    }
    if (!this.detail) return html`<h1 id="page-title" tabindex="-1">${t('app.loading')}</h1>`;
    const p = this.detail.post;
    return html`
      <div class="page-head">
        <h1 id="page-title" tabindex="-1" data-testid="post-title">${p.title || t('common.untitled')}</h1>
        <div data-testid="post-status" data-status=${p.status}>${postStatusBadge(p.status)}</div>
      </div>
      ${this.done ? html`<p class="notice notice--success" data-testid="action-done">${this.done}</p>` : nothing}
      ${this.renderPausedBanner()}
      ${this.renderMeta()}
      ${this.renderActions()}
      ${this.renderRetraction()}
      ${this.renderDeliveries()}
      ${this.reachPanel.render()}
      ${this.renderContent()}
      <section aria-labelledby="preview-title" class="section">
        <h2 id="preview-title">${t('post.preview')}</h2>
        ${this.measureFailed ? html`<p class="notice notice--error">${t('composer.measureFailed')}</p>` : nothing}
        ${previewRows(
          groupMeasures(this.measures),
          lang,
          (p.content.mediaIds ?? []).map((id, i) => ({ src: api.mediaUrl(id), alt: p.content.altText || t('composer.imageAlt', { n: i + 1 }) })),
          p.content.link ?? '',
        )}
      </section>
      ${this.renderTrail()}
    `;
  }

  private renderMeta(): TemplateResult {
    const lang = this.ctx.lang();
    const p = this.detail!.post;
    const row = (k: string, v: TemplateResult | string) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`;
    return html`<section aria-labelledby="meta-title" class="section">
      <h2 id="meta-title" class="visually-hidden">${t('post.meta')}</h2>
      <dl class="meta">
        ${row(t('post.org'), this.ctx.orgName(p.orgId))}
        ${row(t('post.revision'), String(p.revision))}
        ${row(t('post.scheduledAt'), p.scheduledAt ? timeEl(formatIST(p.scheduledAt, lang), isoMachine(p.scheduledAt)) as TemplateResult : t('post.asap'))}
        ${row(t('post.createdAt'), timeEl(formatIST(p.createdAt, lang), isoMachine(p.createdAt)) as TemplateResult)}
        ${p.submittedAt ? row(t('post.submittedAt'), timeEl(formatIST(p.submittedAt, lang), isoMachine(p.submittedAt)) as TemplateResult) : nothing}
        ${p.approvedAt ? row(t('post.approvedAt'), timeEl(formatIST(p.approvedAt, lang), isoMachine(p.approvedAt)) as TemplateResult) : nothing}
      </dl>
    </section>`;
  }

  /** authoredByMe: the signed-in user wrote or edited the post (the server refuses their approval). */
  private authoredByMe(): 'own' | 'edited' | '' {
    const u = this.ctx.user;
    const p = this.detail?.post;
    if (!u || !p) return '';
    if (p.authorId === u.id) return 'own';
    if ((p.review ?? []).some((r) => r.userId === u.id && (r.action === 'create' || r.action === 'edit'))) return 'edited';
    return '';
  }

  private renderActions(): TemplateResult {
    const p = this.detail!.post;
    const e = this.errors;
    const u = this.ctx.user;
    const canWrite = this.ctx.can('write') && (u?.role === 'admin' || u?.orgId === p.orgId);
    const editable = ['draft', 'in_review', 'changes_requested', 'rejected', 'approved'].includes(p.status);
    const submittable = ['draft', 'changes_requested', 'rejected'].includes(p.status);
    const reviewing = this.ctx.can('review') && p.status === 'in_review';
    const reviewerCancels = !canWrite && this.ctx.can('review') && p.status === 'approved';
    const retractable = this.ctx.can('review') && p.status === 'publishing';
    const mine = this.authoredByMe();
    const any = (canWrite && editable) || reviewing || reviewerCancels || retractable;
    const b = this.busy;
    return html`<section aria-labelledby="actions-title" class="section actions">
      <h2 id="actions-title">${t('post.actions')}</h2>
      ${e.summary()}
      ${!any ? html`<p class="muted">${t('post.noActions')}</p>` : nothing}
      ${canWrite && editable
        ? html`<div class="button-row">
            <a class="button button--secondary" href="/posts/${encodeURIComponent(p.id)}/edit" data-testid="edit-post">${t('post.edit')}</a>
            ${submittable
              ? html`<button type="button" class="button" data-testid="post-submit" ?disabled=${b !== ''} @click=${() => void this.act('submit')}>
                  ${b === 'submit' ? t('common.working') : t('post.submit')}
                </button>`
              : nothing}
            ${this.cancelButton(t('post.cancel'))}
          </div>
          ${this.cancelBox()}`
        : nothing}
      ${reviewerCancels ? html`<div class="button-row">${this.cancelButton(t('post.cancelScheduled'))}</div>${this.cancelBox()}` : nothing}
      ${retractable ? this.retractControls() : nothing}
      ${reviewing
        ? html`<form class="form review-form" novalidate aria-labelledby="review-title" @submit=${(ev: Event) => ev.preventDefault()}>
            <h3 id="review-title">${t('post.review')}</h3>
            <div class="field ${e.for('f-comment').length > 0 ? 'field--error' : ''}">
              <label for="f-comment">${t('post.comment')}</label>
              <p class="hint" id="f-comment-hint">${t('post.commentHint')}</p>
              ${e.fieldError('f-comment')}
              <textarea id="f-comment" rows="3" maxlength="2000" data-testid="review-comment" aria-invalid=${e.invalid('f-comment')}
                aria-describedby=${e.describedBy('f-comment', true)} .value=${live(this.comment)}
                @input=${(ev: Event) => (this.comment = (ev.target as HTMLTextAreaElement).value)}></textarea>
            </div>
            ${mine
              ? html`<p class="notice notice--info" data-testid="own-post-note">
                  <span aria-hidden="true">ⓘ </span>${mine === 'own' ? t('post.ownPost') : t('post.editedPost')}
                </p>`
              : nothing}
            <div class="button-row">
              ${mine
                ? nothing
                : html`<button type="button" class="button button--success" data-testid="approve" ?disabled=${b !== ''} @click=${() => void this.act('approve')}>
                    ${b === 'approve' ? t('common.working') : t('post.approve')}
                  </button>`}
              <button type="button" class="button button--secondary" data-testid="request-changes" ?disabled=${b !== ''}
                @click=${() => void this.act('request-changes')}>${b === 'request-changes' ? t('common.working') : t('post.requestChanges')}</button>
              <button type="button" class="button button--danger" data-testid="reject" ?disabled=${b !== ''} @click=${() => void this.act('reject')}>
                ${b === 'reject' ? t('common.working') : t('post.reject')}
              </button>
            </div>
          </form>`
        : nothing}
    </section>`;
  }

  private cancelButton(label: string): TemplateResult {
    return html`<button type="button" class="button button--warning" data-testid="cancel-post" aria-expanded=${this.cancelOpen ? 'true' : 'false'}
      aria-controls="cancel-box" @click=${() => {
        this.cancelOpen = !this.cancelOpen;
        this.ctx.update();
      }}>${label}</button>`;
  }

  private cancelBox(): TemplateResult | typeof nothing {
    if (!this.cancelOpen) return nothing;
    const b = this.busy;
    return html`<div class="box" id="cancel-box">
      <p>${t('post.cancelExplain')}</p>
      <div class="field">
        <label for="f-cancel-comment">${t('post.cancelComment')} <span class="muted">${t('common.optional')}</span></label>
        <textarea id="f-cancel-comment" rows="2" data-testid="cancel-comment" .value=${live(this.comment)}
          @input=${(ev: Event) => (this.comment = (ev.target as HTMLTextAreaElement).value)}></textarea>
      </div>
      <button type="button" class="button button--danger" data-testid="cancel-confirm" ?disabled=${b !== ''}
        @click=${() => void this.act('cancel')}>${b === 'cancel' ? t('common.working') : t('post.cancelConfirm')}</button>
    </div>`;
  }

  /** retractControls: the Retract button and its confirmation with a required reason. */
  private retractControls(): TemplateResult {
    const e = this.errors;
    const b = this.busy;
    return html`<div class="button-row">
        <button type="button" class="button button--danger" data-testid="retract-post" aria-expanded=${this.retractOpen ? 'true' : 'false'} aria-controls="retract-box"
          @click=${() => {
            this.retractOpen = !this.retractOpen;
            this.ctx.update();
            requestAnimationFrame(() => document.getElementById('f-retract-reason')?.focus());
          }}>${t('post.retract')}</button>
      </div>
      ${this.retractOpen
        ? html`<div class="box" id="retract-box" data-testid="retract-box">
            <p>${t('post.retractExplain')}</p>
            <div class="field ${e.for('f-retract-reason').length > 0 ? 'field--error' : ''}">
              <label for="f-retract-reason">${t('post.retractReason')}</label>
              <p class="hint" id="f-retract-reason-hint">${t('post.retractReasonHint')}</p>
              ${e.fieldError('f-retract-reason')}
              <textarea id="f-retract-reason" rows="2" maxlength="2000" data-testid="retract-reason" aria-invalid=${e.invalid('f-retract-reason')}
                aria-describedby=${e.describedBy('f-retract-reason', true)} .value=${live(this.retractReason)}
                @input=${(ev: Event) => (this.retractReason = (ev.target as HTMLTextAreaElement).value)}></textarea>
            </div>
            <button type="button" class="button button--danger" data-testid="retract-confirm" ?disabled=${b !== ''} @click=${() => void this.retract()}>
              ${b === 'retract' ? t('common.working') : t('post.retractConfirm')}
            </button>
          </div>`
        : nothing}`;
  }

  /** renderPausedBanner says when a pause holds this post's publishing. */
  private renderPausedBanner(): TemplateResult | typeof nothing {
    const ps = this.settings;
    const p = this.detail?.post;
    if (!ps || !p || ['draft', 'cancelled', 'rejected', 'retracted'].includes(p.status)) return nothing;
    const key = ps.paused ? 'banner.pausedAll' : ps.pausedOrgs?.[p.orgId] ? 'banner.pausedOrg' : '';
    if (!key) return nothing;
    return html`<p class="notice notice--warn" role="status" data-testid="paused-banner"><span aria-hidden="true">⏸ </span>${t(key)}</p>`;
  }

  /** renderRetraction shows what retracting the post did, delivery by delivery. */
  private renderRetraction(): TemplateResult | typeof nothing {
    const r = this.retraction;
    const p = this.detail?.post;
    if (!p || p.status !== 'retracted' || !r) return nothing;
    const lang = this.ctx.lang();
    const items = r.items ?? [];
    const byHand = items.filter((i) => i.outcome === 'not_supported' || i.outcome === 'failed' || i.outcome === 'check_by_hand').length;
    const ds = new Map((this.detail?.deliveries ?? []).map((d) => [d.id, d]));
    return html`<section aria-labelledby="retraction-title" class="section" data-testid="retraction" data-done=${r.done ? 'true' : 'false'}>
      <h2 id="retraction-title">${t('retraction.title')}</h2>
      <p>${t('retraction.by', { name: r.requestedByName || r.requestedBy, time: formatIST(r.requestedAt, lang) })}</p>
      <p>${t('retraction.reason', { reason: r.reason })}</p>
      <p data-testid="retraction-state">${r.done && r.completedAt ? t('retraction.done', { time: formatIST(r.completedAt, lang) }) : t('retraction.inProgress')}</p>
      ${byHand > 0 ? html`<p class="notice notice--warn">${t('retraction.byHand', { n: byHand })}</p>` : nothing}
      ${items.length > 0
        ? html`<div class="table-wrap">
            <table class="table table--dense">
              <caption class="visually-hidden">${t('retraction.title')}</caption>
              <thead>
                <tr>
                  <th scope="col">${t('delivery.col.platform')}</th>
                  <th scope="col">${t('delivery.col.account')}</th>
                  <th scope="col">${t('retraction.col.outcome')}</th>
                  <th scope="col">${t('delivery.col.link')}</th>
                </tr>
              </thead>
              <tbody>
                ${items.map((it) => {
                  const d = ds.get(it.deliveryId);
                  return html`<tr data-testid="retraction-item-${it.deliveryId}" data-outcome=${it.outcome}>
                    <th scope="row">${platformName(it.platform)}</th>
                    <td class="handle">${d ? this.handle(d) : this.accounts.get(it.accountId)?.handle ?? it.accountId}</td>
                    <td><strong>${label('retract', it.outcome)}</strong>${it.message ? html`<br /><span class="small" lang="en">${it.message}</span>` : nothing}</td>
                    <td>${it.url ? externalLink(it.url, t('delivery.open', { platform: platformName(it.platform) })) : html`<span class="muted">${t('common.none')}</span>`}</td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`
        : nothing}
    </section>`;
  }

  private renderContent(): TemplateResult {
    const p = this.detail!.post;
    const c = p.content;
    const variants = Object.entries(c.variants ?? {}).filter(([, v]) => v?.text);
    const targets = (p.targets ?? []).map((id) => this.accounts.get(id)).filter((a): a is Account => !!a);
    targets.sort((a, b) => platformOrder(a.platform) - platformOrder(b.platform));
    return html`<section aria-labelledby="content-title" class="section">
      <h2 id="content-title">${t('post.content')}</h2>
      ${c.bodyHi ? html`<h3>${t('post.bodyHi')}</h3><div class="body-text" lang="hi" data-testid="post-body-hi">${c.bodyHi}</div>` : nothing}
      ${c.bodyEn ? html`<h3>${t('post.bodyEn')}</h3><div class="body-text" lang="en" data-testid="post-body-en">${c.bodyEn}</div>` : nothing}
      ${c.link ? html`<h3>${t('post.link')}</h3><p>${externalLink(c.link, c.link)}</p>` : nothing}
      ${(c.mediaIds ?? []).length > 0
        ? html`<h3>${t('post.images')}</h3>
            <ul class="thumbs">
              ${(c.mediaIds ?? []).map((id, i) => html`<li class="thumb"><img src=${api.mediaUrl(id)} alt=${c.altText || t('composer.imageAlt', { n: i + 1 })} /></li>`)}
            </ul>
            ${c.altText ? html`<p><span class="muted">${t('post.altText')}:</span> ${c.altText}</p>` : nothing}`
        : nothing}
      ${variants.length > 0
        ? html`<h3>${t('post.variants')}</h3>
            <dl class="variants-list">
              ${variants.map(([pl, v]) => html`<div><dt>${platformName(pl)}</dt><dd class="body-text">${v?.text}</dd></div>`)}
            </dl>`
        : nothing}
      <h3>${t('post.targets')}</h3>
      <ul class="plain-list">
        ${targets.length > 0
          ? targets.map((a) => html`<li>${platformName(a.platform)} — <span class="handle">${a.handle}</span></li>`)
          : (p.targets ?? []).map((id) => html`<li>${id}</li>`)}
      </ul>
    </section>`;
  }

  private renderDeliveries(): TemplateResult {
    const lang = this.ctx.lang();
    const ds = [...(this.detail!.deliveries ?? [])].sort((a, b) => platformOrder(a.platform) - platformOrder(b.platform));
    const published = ds.filter((d) => d.status === 'published').length;
    const canAct = this.ctx.can('act');
    return html`<section aria-labelledby="deliveries-title" class="section">
      <h2 id="deliveries-title">${t('post.deliveries')}</h2>
      <p class="muted live-state" data-testid="live-state" data-mode=${this.live}>
        ${this.live === 'sse' ? html`<span aria-hidden="true">● </span>${t('post.live')}` : this.live === 'poll' ? t('post.polling', { s: POLL_MS / 1000 }) : nothing}
      </p>
      ${ds.length === 0
        ? html`<p class="empty" data-testid="deliveries-empty">${t('post.deliveriesEmpty')}</p>`
        : html`<p data-testid="deliveries-summary">${t('post.countsSummary', { published, total: ds.length })}</p>
            <div class="table-wrap">
              <table class="table" data-testid="deliveries-table">
                <caption class="visually-hidden">${t('post.deliveries')}</caption>
                <thead>
                  <tr>
                    <th scope="col">${t('delivery.col.platform')}</th>
                    <th scope="col">${t('delivery.col.account')}</th>
                    <th scope="col">${t('delivery.col.status')}</th>
                    <th scope="col" class="num">${t('delivery.col.attempts')}</th>
                    <th scope="col">${t('delivery.col.error')}</th>
                    <th scope="col">${t('delivery.col.link')}</th>
                    ${canAct ? html`<th scope="col">${t('delivery.col.actions')}</th>` : nothing}
                  </tr>
                </thead>
                <tbody>
                  ${ds.map((d) => this.renderDelivery(d, lang, canAct))}
                </tbody>
              </table>
            </div>`}
    </section>`;
  }

  private renderDelivery(d: Delivery, lang: 'hi' | 'en', canAct: boolean): TemplateResult {
    const busy = this.rowBusy.has(d.id);
    const resolving = this.resolving.has(d.id);
    const err = this.rowError.get(d.id);
    const urlId = `resolve-url-${d.id}`;
    return html`<tr data-testid="delivery-${d.id}" data-status=${d.status} data-platform=${d.platform} data-account=${d.accountId}>
      <th scope="row">${platformName(d.platform)}</th>
      <td class="handle">${this.handle(d)}</td>
      <td>
        ${deliveryStatusBadge(d.status)}
        ${d.status === 'retrying' && d.nextAttemptAt ? html`<br /><span class="muted small">${t('delivery.nextAttempt', { time: formatIST(d.nextAttemptAt, lang) })}</span>` : nothing}
        ${d.publishedAt ? html`<br /><span class="muted small">${timeEl(formatIST(d.publishedAt, lang), isoMachine(d.publishedAt))}</span>` : nothing}
      </td>
      <td class="num" data-testid="delivery-attempts-${d.id}">${d.attempts}</td>
      <td class="error-cell">${deliveryProblem(d, lang)}</td>
      <td>${d.externalUrl ? externalLink(d.externalUrl, t('delivery.open', { platform: platformName(d.platform) }), `delivery-link-${d.id}`) : html`<span class="muted">${t('common.none')}</span>`}</td>
      ${canAct
        ? html`<td class="actions-cell">
            ${RETRYABLE.has(d.status)
              ? html`<button type="button" class="button button--small" data-testid="retry-${d.id}" ?disabled=${busy} @click=${() => void this.retry(d)}>
                  ${t('delivery.retry')}<span class="visually-hidden"> — ${platformName(d.platform)} ${this.handle(d)}</span>
                </button>`
              : nothing}
            ${d.status === 'unconfirmed'
              ? resolving
                ? html`<form class="resolve-form" novalidate @submit=${(ev: Event) => {
                    ev.preventDefault();
                    void this.resolve(d);
                  }}>
                    <label for=${urlId}>${t('delivery.url', { platform: platformName(d.platform) })}</label>
                    <p class="hint" id="${urlId}-hint">${t('delivery.urlHint')}</p>
                    ${err ? html`<p class="field-error" id="${urlId}-error">${err}</p>` : nothing}
                    <input id=${urlId} type="url" spellcheck="false" data-testid="resolve-url-${d.id}" aria-invalid=${err ? 'true' : nothing}
                      aria-describedby=${err ? `${urlId}-hint ${urlId}-error` : `${urlId}-hint`} .value=${live(this.resolving.get(d.id) ?? '')}
                      @input=${(ev: Event) => this.resolving.set(d.id, (ev.target as HTMLInputElement).value)} />
                    <button type="submit" class="button button--small" data-testid="resolve-confirm-${d.id}" ?disabled=${busy}>${t('delivery.confirm')}</button>
                  </form>`
                : html`<button type="button" class="button button--small button--secondary" data-testid="mark-published-${d.id}"
                    @click=${() => {
                      this.resolving.set(d.id, '');
                      this.ctx.update();
                      requestAnimationFrame(() => document.getElementById(urlId)?.focus());
                    }}>${t('delivery.markPublished')}<span class="visually-hidden"> — ${platformName(d.platform)} ${this.handle(d)}</span></button>`
              : nothing}
            ${d.status === 'unconfirmed' && !resolving
              ? this.notPublished.has(d.id)
                ? html`<div class="box">
                    <p class="small">${t('delivery.notPublishedExplain')}</p>
                    <button type="button" class="button button--small button--warning" data-testid="not-published-confirm-${d.id}" ?disabled=${busy}
                      @click=${() => void this.resolveNotPublished(d)}>${t('delivery.notPublishedConfirm')}</button>
                  </div>`
                : html`<button type="button" class="button button--small button--secondary" data-testid="mark-not-published-${d.id}"
                    @click=${() => {
                      this.notPublished.add(d.id);
                      this.ctx.update();
                    }}>${t('delivery.notPublished')}<span class="visually-hidden"> — ${platformName(d.platform)} ${this.handle(d)}</span></button>`
              : nothing}
            ${err && !resolving ? html`<p class="field-error" role="alert">${err}</p>` : nothing}
          </td>`
        : nothing}
    </tr>`;
  }

  private renderTrail(): TemplateResult {
    const lang = this.ctx.lang();
    const trail = this.detail!.post.review ?? [];
    return html`<section aria-labelledby="trail-title" class="section">
      <h2 id="trail-title">${t('post.trail')}</h2>
      ${trail.length === 0
        ? html`<p class="muted">${t('post.trailEmpty')}</p>`
        : html`<ol class="trail" data-testid="review-trail">
            ${trail.map(
              (r) => html`<li class="trail__item" data-action=${r.action}>
                <p>
                  <strong>${label('action', r.action)}</strong>
                  ${r.userName ? html` · ${t('post.trailBy', { name: r.userName })}` : nothing}
                  · ${t('post.trailRevision', { n: r.revision })}
                  · ${timeEl(formatIST(r.at, lang), isoMachine(r.at))}
                </p>
                ${r.comment ? html`<blockquote class="trail__comment">${r.comment}</blockquote>` : nothing}
              </li>`,
            )}
          </ol>`}
    </section>`;
  }
}

/** deliveryProblem is a delivery's trouble in plain words: class, Prasar's message, the platform's words. */
export function deliveryProblem(d: Delivery, lang: 'hi' | 'en'): TemplateResult | typeof nothing {
  const parts: TemplateResult[] = [];
  if (d.status === 'published' || d.status === 'queued' || d.status === 'sending') {
    if (!d.errorMessage) return nothing;
  }
  const words = errorClassWords(d.errorClass, lang);
  if (words) parts.push(html`<p>${words}</p>`);
  if (d.errorMessage) parts.push(html`<p lang="en">${d.errorMessage}</p>`);
  if (d.platformMessage) parts.push(html`<p class="muted small">${t('delivery.platformSaid', { platform: platformName(d.platform), message: d.platformMessage })}</p>`);
  if (d.status === 'unconfirmed') parts.push(html`<p class="small">${t('delivery.unconfirmedHelp')}</p>`);
  if (d.status === 'needs_reconnect' && !words) parts.push(html`<p class="small">${t('delivery.reconnectHelp')}</p>`);
  return parts.length > 0 ? html`${parts}` : nothing;
}
