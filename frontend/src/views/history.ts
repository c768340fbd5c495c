// The publish history: every delivery, filterable by organisation (PR
// section), platform, status and IST dates, paginated with the total. Each
// row comes with its post's title, its account's handle and display name
// and its organisation's code, so a page is one request.

import { html, nothing } from 'lit-html';
import * as api from '../api';
import { DELIVERY_STATUSES, PLATFORMS, type Delivery, type DeliveryStatus, type Platform } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { platformName } from '../platforms';
import { FormErrors, deliveryStatusBadge, externalLink, focusSummary, loadError, loading, pager, timeEl } from '../ui';
import { translateError } from '../errors';
import { searchParams } from '../router';
import { deliveryProblem } from './post';

const LIMIT = 50;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Deliveries a person may send again from the history (as on the post page). */
const RETRYABLE = new Set(['failed', 'unconfirmed', 'needs_reconnect']);

interface Filters {
  orgId: string;
  platform: Platform | '';
  status: DeliveryStatus | '';
  from: string;
  to: string;
}

export class HistoryView implements View {
  private f: Filters;
  private offset: number;
  private rows: Delivery[] = [];
  private total = 0;
  private loaded = false;
  private error: unknown = null;
  private errors = new FormErrors();
  private rowBusy = new Set<string>();
  private rowError = new Map<string, string>();

  constructor(private ctx: Ctx) {
    const q = searchParams();
    const platform = q.get('platform') ?? '';
    const status = q.get('status') ?? '';
    this.f = {
      orgId: q.get('orgId') ?? '',
      platform: (PLATFORMS as readonly string[]).includes(platform) ? (platform as Platform) : '',
      status: (DELIVERY_STATUSES as readonly string[]).includes(status) ? (status as DeliveryStatus) : '',
      from: DATE.test(q.get('from') ?? '') ? (q.get('from') as string) : '',
      to: DATE.test(q.get('to') ?? '') ? (q.get('to') as string) : '',
    };
    this.offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
    void this.load();
  }

  title(): string {
    return t('history.title');
  }

  private orgScoped(): boolean {
    return this.ctx.user?.role === 'editor';
  }

  /** filter is the applied filters, as the API takes them. */
  private filter(): api.DeliveryFilter {
    return {
      orgId: this.f.orgId || undefined,
      platform: this.f.platform,
      status: this.f.status ? [this.f.status] : undefined,
      from: this.f.from || undefined,
      to: this.f.to || undefined,
    };
  }

  private async load(): Promise<void> {
    this.error = null;
    this.errors.clear();
    try {
      const page = await api.listDeliveries({ ...this.filter(), limit: LIMIT, offset: this.offset });
      this.rows = page.data;
      this.total = page.total;
    } catch (err) {
      if (err instanceof api.ApiError && err.fields.length > 0) {
        this.errors.fromError(err, this.ctx.lang(), (fe) => {
          const id = { from: 'h-from', to: 'h-to', platform: 'h-platform', status: 'h-status', orgId: 'h-org' }[fe.field] ?? '';
          const key = { from: 'field.from', to: 'field.to', platform: 'field.platform', status: 'field.status', orgId: 'field.orgId' }[fe.field];
          return { id, label: key ? t(key as 'field.from') : fe.field };
        });
        this.rows = [];
        this.total = 0;
        focusSummary();
      } else {
        this.error = err;
      }
    }
    this.loaded = true;
    this.ctx.update();
  }

  /** retry queues a failed, unconfirmed or waiting delivery again, from its row. */
  private async retry(d: Delivery): Promise<void> {
    if (this.rowBusy.has(d.id)) return;
    this.rowBusy.add(d.id);
    this.rowError.delete(d.id);
    this.ctx.update();
    try {
      const updated = await api.retryDelivery(d.id);
      this.rows = this.rows.map((x) => (x.id === updated.id ? { ...x, ...updated } : x));
      this.ctx.announce(t('delivery.retried', { account: d.accountHandle || d.accountId }));
    } catch (err) {
      const msg = translateError(err, this.ctx.lang(), 'retry');
      this.rowError.set(d.id, msg);
      this.ctx.announce(msg, true);
    } finally {
      this.rowBusy.delete(d.id);
      this.ctx.update();
    }
  }

  private apply(e: Event): void {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const get = (k: string) => String(data.get(k) ?? '');
    const f: Filters = {
      orgId: get('orgId'),
      platform: get('platform') as Platform | '',
      status: get('status') as DeliveryStatus | '',
      from: get('from'),
      to: get('to'),
    };
    this.errors.clear();
    if (f.from && f.to && f.to < f.from) {
      this.errors.add('h-to', t('field.to'), t('fe.before_from'));
      this.ctx.update();
      focusSummary();
      return;
    }
    this.go(f, 0);
  }

  private go(f: Filters, offset: number): void {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
    if (offset > 0) q.set('offset', String(offset));
    const s = q.toString();
    this.ctx.navigate(`/history${s ? `?${s}` : ''}`);
  }

  render() {
    const lang = this.ctx.lang();
    const e = this.errors;
    const showOrg = !this.orgScoped();
    const canAct = this.ctx.can('act');
    return html`
      <h1 id="page-title" tabindex="-1">${t('history.title')}</h1>
      <p class="lead">${t('history.intro')}</p>
      ${e.summary()}
      <form class="filters" role="search" aria-label=${t('history.filters')} novalidate @submit=${(ev: Event) => this.apply(ev)} data-testid="history-filters">
        ${showOrg
          ? html`<div class="field field--inline">
              <label for="h-org">${t('history.org')}</label>
              <select id="h-org" name="orgId" data-testid="filter-org">
                <option value="" ?selected=${!this.f.orgId}>${t('common.all')}</option>
                ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${o.id === this.f.orgId}>${this.ctx.orgName(o.id)}</option>`)}
              </select>
            </div>`
          : nothing}
        <div class="field field--inline">
          <label for="h-platform">${t('history.platform')}</label>
          <select id="h-platform" name="platform" data-testid="filter-platform">
            <option value="" ?selected=${!this.f.platform}>${t('common.all')}</option>
            ${PLATFORMS.map((p) => html`<option value=${p} ?selected=${p === this.f.platform}>${platformName(p)}</option>`)}
          </select>
        </div>
        <div class="field field--inline">
          <label for="h-status">${t('history.status')}</label>
          <select id="h-status" name="status" data-testid="filter-status">
            <option value="" ?selected=${!this.f.status}>${t('common.all')}</option>
            ${DELIVERY_STATUSES.map((s) => html`<option value=${s} ?selected=${s === this.f.status}>${t(`deliveryStatus.${s}`)}</option>`)}
          </select>
        </div>
        <div class="field field--inline ${e.for('h-from').length ? 'field--error' : ''}">
          <label for="h-from">${t('history.from')}</label>
          ${e.fieldError('h-from')}
          <input id="h-from" name="from" type="date" .value=${this.f.from} data-testid="filter-from" aria-invalid=${e.invalid('h-from')}
            aria-describedby=${e.describedBy('h-from')} />
        </div>
        <div class="field field--inline ${e.for('h-to').length ? 'field--error' : ''}">
          <label for="h-to">${t('history.to')}</label>
          ${e.fieldError('h-to')}
          <input id="h-to" name="to" type="date" .value=${this.f.to} data-testid="filter-to" aria-invalid=${e.invalid('h-to')}
            aria-describedby=${e.describedBy('h-to')} />
        </div>
        <div class="button-row">
          <button type="submit" class="button button--secondary" data-testid="filter-apply">${t('common.apply')}</button>
          <a href="/history" class="button button--link">${t('common.clear')}</a>
        </div>
      </form>
      ${!this.loaded
        ? loading()
        : this.error
          ? loadError(this.error, lang, () => void this.load())
          : this.rows.length === 0
            ? html`<p class="empty" data-testid="history-empty">${t('history.empty')}</p>`
            : html`<p class="button-row" data-testid="history-exports">
                  <span id="history-exports-what">${t('history.download', { n: this.total })}</span>
                  <a class="button button--secondary button--small" href=${api.historyExportUrl(this.filter(), 'csv')} download
                    aria-describedby="history-exports-what" data-testid="history-export-csv">CSV</a>
                  <a class="button button--secondary button--small" href=${api.historyExportUrl(this.filter(), 'xlsx')} download
                    aria-describedby="history-exports-what" data-testid="history-export-xlsx">Excel</a>
                </p>
                <div class="table-wrap">
                  <table class="table table--dense" data-testid="history-table">
                    <caption class="visually-hidden">${t('history.title')}</caption>
                    <thead>
                      <tr>
                        <th scope="col">${t('delivery.col.time')}</th>
                        ${showOrg ? html`<th scope="col">${t('delivery.col.org')}</th>` : nothing}
                        <th scope="col">${t('delivery.col.post')}</th>
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
                      ${this.rows.map((d) => {
                        const at = d.publishedAt ?? d.updatedAt;
                        const known = this.ctx.orgs.some((o) => o.id === d.orgId);
                        const name = d.accountDisplayName && d.accountDisplayName !== d.accountHandle ? d.accountDisplayName : '';
                        return html`<tr data-testid="delivery-${d.id}" data-status=${d.status}>
                          <td>${timeEl(formatIST(at, lang), isoMachine(at))}</td>
                          ${showOrg ? html`<td data-testid="delivery-org-${d.id}">${known || !d.orgCode ? this.ctx.orgName(d.orgId) : d.orgCode}</td>` : nothing}
                          <th scope="row"><a href="/posts/${encodeURIComponent(d.postId)}" data-testid="delivery-post-${d.id}">${d.postTitle || t('common.untitled')}</a></th>
                          <td>${platformName(d.platform)}</td>
                          <td data-testid="delivery-account-${d.id}"><span class="handle">${d.accountHandle || d.accountId}</span>${name
                            ? html`<br /><span class="small muted">${name}</span>`
                            : nothing}</td>
                          <td>${deliveryStatusBadge(d.status)}</td>
                          <td class="num">${d.attempts}</td>
                          <td class="error-cell">${deliveryProblem(d, lang)}</td>
                          <td>
                            ${d.externalUrl
                              ? externalLink(d.externalUrl, t('delivery.open', { platform: platformName(d.platform) }), `delivery-link-${d.id}`)
                              : html`<span class="muted">${t('common.none')}</span>`}
                          </td>
                          ${canAct
                            ? html`<td class="actions-cell">
                                ${RETRYABLE.has(d.status)
                                  ? html`<button type="button" class="button button--small" data-testid="retry-${d.id}" ?disabled=${this.rowBusy.has(d.id)}
                                      @click=${() => void this.retry(d)}>${t('delivery.retry')}<span class="visually-hidden"> — ${platformName(d.platform)}</span></button>`
                                  : nothing}
                                ${this.rowError.has(d.id) ? html`<p class="field-error" role="alert">${this.rowError.get(d.id)}</p>` : nothing}
                              </td>`
                            : nothing}
                        </tr>`;
                      })}
                    </tbody>
                  </table>
                </div>
                ${pager(this.total, this.offset, LIMIT, (o) => this.go(this.f, o))}`}
    `;
  }
}
