// The operations page (administrators and approvers): deliveries by
// status, what the pauses hold, the queues' backlog per platform, the
// deliveries that need a person (with Retry), and the pause switches —
// all publishing (administrators) and one organisation (approvers too).
// It updates live over server-sent events, falling back to polling.

import { html, nothing, type TemplateResult } from 'lit-html';
import { live } from 'lit-html/directives/live.js';
import * as api from '../api';
import { ApiError, type Delivery, type DeliveryStatus, type Operations, type QueueDepth } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { translateError, translateFieldError, requestIdNote } from '../errors';
import { formatIST, isoMachine } from '../time';
import { platformName } from '../platforms';
import { deliveryStatusBadge, deliveryStatusLabel, loadError, loading, timeEl } from '../ui';
import { deliveryProblem } from './post';

const POLL_MS = 5000;
const RETRYABLE = new Set(['failed', 'unconfirmed', 'needs_reconnect']);
/** The statuses shown as counters, in this order. */
const COUNTED: DeliveryStatus[] = ['queued', 'sending', 'retrying', 'published', 'failed', 'unconfirmed', 'needs_reconnect', 'cancelled', 'retracted'];

/** confirming is the switch waiting for its confirmation, if any. */
type Confirming = '' | 'pause-all' | 'resume-all' | 'pause-org' | `resume-org:${string}`;

export class OperationsView implements View {
  private ops: Operations | null = null;
  private loadErr: unknown = null;
  private live: 'connecting' | 'sse' | 'poll' = 'connecting';
  private es: EventSource | null = null;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private destroyed = false;

  private confirming: Confirming = '';
  private reason = '';
  private orgChoice = '';
  private busy = false;
  private actionError = '';
  private done = '';
  private rowBusy = new Set<string>();
  private rowError = new Map<string, string>();

  constructor(private ctx: Ctx) {
    void this.load();
  }

  title(): string {
    return t('ops.title');
  }

  destroy(): void {
    this.destroyed = true;
    this.es?.close();
    this.es = null;
    clearInterval(this.pollTimer);
  }

  private async load(): Promise<void> {
    this.loadErr = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      this.ops = await api.getOperations();
      this.startLive();
    } catch (err) {
      this.loadErr = err;
    }
    this.ctx.update();
  }

  private async refresh(): Promise<void> {
    try {
      const o = await api.getOperations();
      if (!this.destroyed) {
        this.ops = o;
        this.ctx.update();
      }
    } catch {
      // Keep what we have; the next tick tries again.
    }
  }

  private startLive(): void {
    if (this.destroyed || this.es || this.pollTimer) return;
    if (typeof EventSource === 'undefined') {
      this.startPolling();
      return;
    }
    const es = new EventSource(api.operationsEventsUrl(), { withCredentials: true });
    this.es = es;
    es.addEventListener('operations', (ev) => {
      this.live = 'sse';
      try {
        this.ops = JSON.parse((ev as MessageEvent<string>).data) as Operations;
      } catch {
        return;
      }
      this.ctx.update();
    });
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
      es.close();
      this.es = null;
      this.startPolling();
    };
  }

  private startPolling(): void {
    if (this.destroyed || this.pollTimer) return;
    this.live = 'poll';
    this.ctx.update();
    this.pollTimer = setInterval(() => void this.refresh(), POLL_MS);
  }

  // ---- Switches ----

  private ask(c: Confirming): void {
    this.confirming = this.confirming === c ? '' : c;
    this.actionError = '';
    this.ctx.update();
    requestAnimationFrame(() => document.getElementById('ops-confirm')?.focus());
  }

  private async apply(c: Confirming): Promise<void> {
    if (this.busy) return;
    const lang = this.ctx.lang();
    this.busy = true;
    this.actionError = '';
    this.ctx.update();
    try {
      let ans: { settings: api.PublishingSettings; requeued: number };
      const reason = this.reason.trim();
      if (c === 'pause-all') ans = await api.setPausedAll(true, reason);
      else if (c === 'resume-all') ans = await api.setPausedAll(false);
      else if (c === 'pause-org') ans = await api.setPausedOrg(this.orgChoice, true, reason);
      else ans = await api.setPausedOrg(c.slice('resume-org:'.length), false);
      const paused = c.startsWith('pause');
      this.done = paused ? t('ops.paused') : t('ops.resumed', { n: ans.requeued });
      this.ctx.announce(this.done);
      if (this.ops) this.ops = { ...this.ops, settings: ans.settings };
      this.confirming = '';
      this.reason = '';
      void this.refresh();
    } catch (err) {
      const f = err instanceof ApiError ? err.fields[0] : undefined;
      let msg = f ? translateFieldError(f, lang) : translateError(err, lang);
      const ref = requestIdNote(err, lang);
      if (ref) msg += ` ${ref}`;
      this.actionError = msg;
      this.ctx.announce(msg, true);
    } finally {
      this.busy = false;
      this.ctx.update();
    }
  }

  private async retry(d: Delivery): Promise<void> {
    if (this.rowBusy.has(d.id)) return;
    const lang = this.ctx.lang();
    this.rowBusy.add(d.id);
    this.rowError.delete(d.id);
    this.ctx.update();
    try {
      await api.retryDelivery(d.id);
      this.ctx.announce(t('delivery.retried', { account: d.accountHandle || d.accountId }));
      void this.refresh();
    } catch (err) {
      const msg = translateError(err, lang, 'retry');
      this.rowError.set(d.id, msg);
      this.ctx.announce(msg, true);
    } finally {
      this.rowBusy.delete(d.id);
      this.ctx.update();
    }
  }

  // ---- Rendering ----

  render(): TemplateResult {
    const lang = this.ctx.lang();
    const head = html`<h1 id="page-title" tabindex="-1">${t('ops.title')}</h1>
      <p class="lead">${t('ops.intro')}</p>`;
    if (this.loadErr) return html`${head}${loadError(this.loadErr, lang, () => void this.load())}`;
    const o = this.ops;
    if (!o) return html`${head}${loading()}`;
    return html`
      ${head}
      <p class="muted live-state" data-testid="ops-live" data-mode=${this.live}>
        ${this.live === 'sse' ? html`<span aria-hidden="true">● </span>${t('ops.live')}` : this.live === 'poll' ? t('ops.polling', { s: POLL_MS / 1000 }) : nothing}
        · ${t('ops.updated', { time: formatIST(o.at, lang) })}
      </p>
      ${this.done ? html`<p class="notice notice--success" role="status" data-testid="ops-done">${this.done}</p>` : nothing}
      ${this.actionError ? html`<p class="notice notice--error" role="alert" data-testid="ops-error">${this.actionError}</p>` : nothing}
      ${this.renderAll(o)} ${this.renderOrgs(o)} ${this.renderCounts(o)} ${this.renderQueues(o)} ${this.renderAttention(o)}
    `;
  }

  private reasonField(): TemplateResult {
    return html`<div class="field">
      <label for="ops-reason">${t('ops.reason')} <span class="muted">${t('common.optional')}</span></label>
      <p class="hint" id="ops-reason-hint">${t('ops.reasonHint')}</p>
      <textarea id="ops-reason" rows="2" maxlength="500" data-testid="ops-reason" aria-describedby="ops-reason-hint" .value=${live(this.reason)}
        @input=${(ev: Event) => (this.reason = (ev.target as HTMLTextAreaElement).value)}></textarea>
    </div>`;
  }

  private confirmBox(c: Confirming, explain: string, confirmText: string, withReason: boolean): TemplateResult {
    return html`<div class="box" id="ops-confirm-box" data-testid="ops-confirm-box">
      <p>${explain}</p>
      ${withReason ? this.reasonField() : nothing}
      <div class="button-row">
        <button type="button" id="ops-confirm" class="button ${c.startsWith('pause') ? 'button--danger' : 'button--success'}" data-testid="ops-confirm"
          ?disabled=${this.busy} @click=${() => void this.apply(c)}>${this.busy ? t('common.working') : confirmText}</button>
        <button type="button" class="button button--secondary" data-testid="ops-keep" @click=${() => this.ask('')}>${t('ops.keep')}</button>
      </div>
    </div>`;
  }

  private renderAll(o: Operations): TemplateResult {
    const lang = this.ctx.lang();
    const p = o.settings.paused;
    const admin = this.ctx.can('admin');
    return html`<section aria-labelledby="ops-all-title" class="section" data-testid="ops-all" data-paused=${p ? 'true' : 'false'}>
      <h2 id="ops-all-title">${t('ops.all.title')}</h2>
      ${p
        ? html`<p class="notice notice--warn" data-testid="ops-paused-all">
            <span aria-hidden="true">⏸ </span>${t('ops.pausedAll', { time: formatIST(p.at, lang), name: p.byName || p.by })}
            ${p.reason ? html`<br />${t('ops.reasonWas', { reason: p.reason })}` : nothing}
          </p>`
        : html`<p data-testid="ops-running"><span aria-hidden="true">▶ </span>${t('ops.running')}</p>`}
      ${admin
        ? html`<div class="button-row">
              ${p
                ? html`<button type="button" class="button button--success" data-testid="resume-all" aria-expanded=${this.confirming === 'resume-all' ? 'true' : 'false'}
                    aria-controls="ops-confirm-box" @click=${() => this.ask('resume-all')}>${t('ops.resumeAll')}</button>`
                : html`<button type="button" class="button button--danger" data-testid="pause-all" aria-expanded=${this.confirming === 'pause-all' ? 'true' : 'false'}
                    aria-controls="ops-confirm-box" @click=${() => this.ask('pause-all')}>${t('ops.pauseAll')}</button>`}
            </div>
            ${this.confirming === 'pause-all' ? this.confirmBox('pause-all', t('ops.pauseAllExplain'), t('ops.pauseAllConfirm'), true) : nothing}
            ${this.confirming === 'resume-all' ? this.confirmBox('resume-all', t('ops.resumeExplain'), t('ops.resumeConfirm'), false) : nothing}`
        : html`<p class="muted small">${t('ops.adminOnly')}</p>`}
    </section>`;
  }

  private renderOrgs(o: Operations): TemplateResult {
    const lang = this.ctx.lang();
    const paused = Object.entries(o.settings.pausedOrgs ?? {}).sort(([a], [b]) => this.ctx.orgName(a).localeCompare(this.ctx.orgName(b)));
    const choosable = this.ctx.orgs.filter((x) => !o.settings.pausedOrgs?.[x.id]);
    const chosenName = this.orgChoice ? this.ctx.orgName(this.orgChoice) : '';
    return html`<section aria-labelledby="ops-orgs-title" class="section" data-testid="ops-orgs">
      <h2 id="ops-orgs-title">${t('ops.orgs.title')}</h2>
      ${paused.length === 0
        ? html`<p class="muted" data-testid="ops-orgs-none">${t('ops.orgs.none')}</p>`
        : html`<ul class="plain-list">
            ${paused.map(([id, p]) => {
              const c: Confirming = `resume-org:${id}`;
              return html`<li data-testid="paused-org-${id}">
                <strong>${this.ctx.orgName(id)}</strong> — ${t('ops.orgs.since', { time: formatIST(p.at, lang), name: p.byName || p.by })}
                ${p.reason ? html`<br /><span class="muted">${t('ops.reasonWas', { reason: p.reason })}</span>` : nothing}
                <button type="button" class="button button--small button--success" data-testid="resume-org-${id}" @click=${() => this.ask(c)}>
                  ${t('ops.orgs.resume')}<span class="visually-hidden"> — ${this.ctx.orgName(id)}</span>
                </button>
                ${this.confirming === c ? this.confirmBox(c, t('ops.orgs.resumeExplain', { org: this.ctx.orgName(id) }), t('ops.resumeConfirm'), false) : nothing}
              </li>`;
            })}
          </ul>`}
      <h3>${t('ops.orgs.pauseTitle')}</h3>
      <div class="field field--inline">
        <label for="ops-org">${t('ops.orgs.choose')}</label>
        <select id="ops-org" data-testid="pause-org-select" @change=${(ev: Event) => {
          this.orgChoice = (ev.target as HTMLSelectElement).value;
          if (this.confirming === 'pause-org') this.confirming = '';
          this.ctx.update();
        }}>
          <option value="" ?selected=${!this.orgChoice}>—</option>
          ${choosable.map((x) => html`<option value=${x.id} ?selected=${x.id === this.orgChoice}>${this.ctx.orgName(x.id)}</option>`)}
        </select>
        <button type="button" class="button button--warning" data-testid="pause-org" ?disabled=${!this.orgChoice}
          aria-expanded=${this.confirming === 'pause-org' ? 'true' : 'false'} @click=${() => this.ask('pause-org')}>${t('ops.orgs.pause')}</button>
      </div>
      ${this.confirming === 'pause-org' && this.orgChoice
        ? this.confirmBox('pause-org', t('ops.orgs.pauseExplain', { org: chosenName }), t('ops.orgs.pauseConfirm', { org: chosenName }), true)
        : nothing}
    </section>`;
  }

  private renderCounts(o: Operations): TemplateResult {
    const n = (s: DeliveryStatus) => o.counts?.[s] ?? 0;
    return html`<section aria-labelledby="ops-counts-title" class="section">
      <h2 id="ops-counts-title">${t('ops.counts.title')}</h2>
      <dl class="meta ops-counts">
        ${COUNTED.map(
          (s) => html`<div data-testid="ops-count-${s}" data-count=${String(n(s))}>
            <dt>${deliveryStatusBadge(s)}</dt>
            <dd class="num">${n(s)}</dd>
          </div>`,
        )}
        <div data-testid="ops-held" data-count=${String(o.held)}>
          <dt>${t('ops.held')}</dt>
          <dd class="num">${o.held}</dd>
        </div>
      </dl>
      ${o.retracting > 0 ? html`<p data-testid="ops-retracting">${t('ops.retracting', { n: o.retracting })}</p>` : nothing}
    </section>`;
  }

  private queueName(q: QueueDepth): string {
    if (q.platform) return platformName(q.platform);
    if (q.queue === 'critical') return t('ops.queues.critical');
    if (q.queue === 'metrics') return t('ops.queues.metrics');
    return t('ops.queues.other', { queue: q.queue });
  }

  private renderQueues(o: Operations): TemplateResult {
    const qs = o.queues ?? [];
    return html`<section aria-labelledby="ops-queues-title" class="section">
      <h2 id="ops-queues-title">${t('ops.queues.title')}</h2>
      ${o.queueError ? html`<p class="notice notice--error" data-testid="ops-queue-error">${t('ops.queueError')}</p>` : nothing}
      ${qs.length === 0
        ? html`<p class="muted">${t('ops.queues.none')}</p>`
        : html`<div class="table-wrap">
            <table class="table table--dense" data-testid="ops-queues">
              <caption class="visually-hidden">${t('ops.queues.title')}</caption>
              <thead>
                <tr>
                  <th scope="col">${t('ops.queues.queue')}</th>
                  <th scope="col" class="num">${t('ops.queues.pending')}</th>
                  <th scope="col" class="num">${t('ops.queues.active')}</th>
                  <th scope="col" class="num">${t('ops.queues.scheduled')}</th>
                  <th scope="col" class="num">${t('ops.queues.retry')}</th>
                  <th scope="col" class="num">${t('ops.queues.archived')}</th>
                  <th scope="col" class="num">${t('ops.queues.latency')}</th>
                </tr>
              </thead>
              <tbody>
                ${qs.map(
                  (q) => html`<tr data-testid="ops-queue-${q.queue}" data-pending=${String(q.pending)}>
                    <th scope="row">${this.queueName(q)}</th>
                    <td class="num">${q.pending}</td>
                    <td class="num">${q.active}</td>
                    <td class="num">${q.scheduled}</td>
                    <td class="num">${q.retry}</td>
                    <td class="num">${q.archived}</td>
                    <td class="num">${q.pending > 0 ? t('ops.seconds', { n: Math.round(q.latencyMs / 1000) }) : t('common.none')}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
    </section>`;
  }

  private renderAttention(o: Operations): TemplateResult {
    const lang = this.ctx.lang();
    const ds = o.attention ?? [];
    const canAct = this.ctx.can('act');
    return html`<section aria-labelledby="ops-attention-title" class="section">
      <h2 id="ops-attention-title">${t('ops.attention.title')}</h2>
      <p class="muted">${t('ops.attention.intro')}</p>
      ${ds.length === 0
        ? html`<p class="empty" data-testid="ops-attention-empty">${t('ops.attention.empty')}</p>`
        : html`<div class="table-wrap">
            <table class="table table--dense" data-testid="ops-attention">
              <caption class="visually-hidden">${t('ops.attention.title')}</caption>
              <thead>
                <tr>
                  <th scope="col">${t('delivery.col.time')}</th>
                  <th scope="col">${t('delivery.col.org')}</th>
                  <th scope="col">${t('delivery.col.platform')}</th>
                  <th scope="col">${t('delivery.col.status')}</th>
                  <th scope="col">${t('delivery.col.error')}</th>
                  <th scope="col">${t('delivery.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                ${ds.map((d) => {
                  const err = this.rowError.get(d.id);
                  return html`<tr data-testid="delivery-${d.id}" data-status=${d.status}>
                    <td>${timeEl(formatIST(d.updatedAt, lang), isoMachine(d.updatedAt))}</td>
                    <td>${this.ctx.orgName(d.orgId)}</td>
                    <th scope="row">${platformName(d.platform)} <span class="handle">${d.accountHandle ?? ''}</span></th>
                    <td>${deliveryStatusBadge(d.status)}</td>
                    <td class="error-cell">${deliveryProblem(d, lang)}</td>
                    <td class="actions-cell">
                      <a href="/posts/${encodeURIComponent(d.postId)}" data-testid="open-post-${d.id}">${t('ops.open')}</a>
                      ${canAct && RETRYABLE.has(d.status)
                        ? html`<button type="button" class="button button--small" data-testid="retry-${d.id}" ?disabled=${this.rowBusy.has(d.id)}
                            @click=${() => void this.retry(d)}>${t('delivery.retry')}<span class="visually-hidden"> — ${deliveryStatusLabel(d.status)}</span></button>`
                        : nothing}
                      ${err ? html`<p class="field-error" role="alert">${err}</p>` : nothing}
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`}
    </section>`;
  }
}
