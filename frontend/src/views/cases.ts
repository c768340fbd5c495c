// The rebuttal desk's case list: the ageing view of open cases (time left
// or overdue, escalation flags) and the filterable list of all cases, with
// exports.

import { html, nothing, type TemplateResult } from 'lit-html';
import * as api from '../api';
import { CASE_PLATFORMS, CASE_STATUSES, CASE_TYPES, type Case, type CaseAge, type CaseListFilter } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { loadError, loading, pager, timeEl } from '../ui';
import { searchParams } from '../router';
import { caseStatusBadge, clockBadge, escalationFlags, words } from './cases-ui';

const LIMIT = 25;

export class CasesView implements View {
  private tab: 'open' | 'all';
  private ages: CaseAge[] = [];
  private cases: Case[] = [];
  private total = 0;
  private loaded = false;
  private error: unknown = null;
  private f: CaseListFilter = {};
  private offset = 0;

  constructor(private ctx: Ctx) {
    const q = searchParams();
    this.tab = q.get('tab') === 'all' ? 'all' : 'open';
    const status = q.get('status') ?? '';
    this.f = {
      status: (CASE_STATUSES as readonly string[]).includes(status) ? [status] : undefined,
      orgId: q.get('orgId') || undefined,
      type: q.get('type') || undefined,
      platform: q.get('platform') || undefined,
      from: q.get('from') || undefined,
      to: q.get('to') || undefined,
    };
    this.offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
    void this.load();
  }

  title(): string {
    return t('cases.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      if (this.tab === 'open') {
        this.ages = await api.caseAgeing(this.f.orgId);
      } else {
        const p = await api.listCases({ ...this.f, limit: LIMIT, offset: this.offset });
        this.cases = p.data;
        this.total = p.total;
      }
    } catch (err) {
      this.error = err;
    }
    this.loaded = true;
    this.ctx.update();
  }

  private go(tab: 'open' | 'all', f: CaseListFilter, offset: number): void {
    const q = new URLSearchParams();
    if (tab === 'all') q.set('tab', 'all');
    if (f.status?.[0]) q.set('status', f.status[0]);
    for (const k of ['orgId', 'type', 'platform', 'from', 'to'] as const) {
      const v = f[k];
      if (v) q.set(k, v);
    }
    if (offset > 0) q.set('offset', String(offset));
    const s = q.toString();
    this.ctx.navigate(`/cases${s ? `?${s}` : ''}`);
  }

  private apply(e: Event): void {
    e.preventDefault();
    const d = new FormData(e.target as HTMLFormElement);
    const v = (k: string) => String(d.get(k) ?? '') || undefined;
    const status = v('status');
    this.go(this.tab, { status: status ? [status] : undefined, orgId: v('orgId'), type: v('type'), platform: v('platform'), from: v('from'), to: v('to') }, 0);
  }

  render() {
    const editor = this.ctx.user?.role === 'editor';
    const canLog = this.ctx.user?.role === 'admin' || editor;
    return html`
      <div class="page-head">
        <h1 id="page-title" tabindex="-1">${t('cases.title')}</h1>
        <div class="button-row">
          ${canLog ? html`<a class="button" href="/cases/new" data-testid="new-case">${t('cases.new')}</a>` : nothing}
          <a class="button button--secondary" href="/cases/reports" data-testid="case-reports-link">${t('cases.reports')}</a>
        </div>
      </div>
      <p class="lead">${editor ? t('cases.introOwn') : t('cases.introAll')}</p>
      <nav class="button-row" aria-label=${t('cases.views')}>
        <a class="button ${this.tab === 'open' ? '' : 'button--secondary'}" href="/cases" aria-current=${this.tab === 'open' ? 'page' : nothing}
          data-testid="tab-open">${t('cases.tabOpen')}</a>
        <a class="button ${this.tab === 'all' ? '' : 'button--secondary'}" href="/cases?tab=all" aria-current=${this.tab === 'all' ? 'page' : nothing}
          data-testid="tab-all">${t('cases.tabAll')}</a>
      </nav>
      ${this.renderFilters(editor)}
      ${!this.loaded ? loading() : this.error ? loadError(this.error, this.ctx.lang(), () => void this.load()) : this.tab === 'open' ? this.renderAgeing(editor) : this.renderAll(editor)}
    `;
  }

  private renderFilters(editor: boolean): TemplateResult {
    const f = this.f;
    const all = this.tab === 'all';
    return html`<form class="filters" role="search" aria-label=${t('cases.filters')} data-testid="case-filters" @submit=${(e: Event) => this.apply(e)}>
      ${editor
        ? nothing
        : html`<div class="field field--inline">
            <label for="cases-org">${t('cases.org')}</label>
            <select id="cases-org" name="orgId" data-testid="filter-org">
              <option value="" ?selected=${!f.orgId}>${t('common.all')}</option>
              ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${f.orgId === o.id}>${this.ctx.orgName(o.id)}</option>`)}
            </select>
          </div>`}
      ${all
        ? html`<div class="field field--inline">
              <label for="cases-status">${t('cases.status')}</label>
              <select id="cases-status" name="status" data-testid="filter-status">
                <option value="" ?selected=${!f.status}>${t('common.all')}</option>
                ${CASE_STATUSES.map((s) => html`<option value=${s} ?selected=${f.status?.[0] === s}>${words('caseStatus', s)}</option>`)}
              </select>
            </div>
            <div class="field field--inline">
              <label for="cases-type">${t('cases.type')}</label>
              <select id="cases-type" name="type" data-testid="filter-type">
                <option value="" ?selected=${!f.type}>${t('common.all')}</option>
                ${CASE_TYPES.map((s) => html`<option value=${s} ?selected=${f.type === s}>${words('caseType', s)}</option>`)}
              </select>
            </div>
            <div class="field field--inline">
              <label for="cases-platform">${t('cases.platform')}</label>
              <select id="cases-platform" name="platform" data-testid="filter-platform">
                <option value="" ?selected=${!f.platform}>${t('common.all')}</option>
                ${CASE_PLATFORMS.map((s) => html`<option value=${s} ?selected=${f.platform === s}>${words('casePlatform', s)}</option>`)}
              </select>
            </div>
            <div class="field field--inline">
              <label for="cases-from">${t('cases.from')}</label>
              <input id="cases-from" name="from" type="date" data-testid="filter-from" .value=${f.from ?? ''} />
            </div>
            <div class="field field--inline">
              <label for="cases-to">${t('cases.to')}</label>
              <input id="cases-to" name="to" type="date" data-testid="filter-to" .value=${f.to ?? ''} />
            </div>`
        : nothing}
      <button type="submit" class="button button--secondary" data-testid="filter-apply">${t('common.apply')}</button>
    </form>`;
  }

  private renderAgeing(editor: boolean): TemplateResult {
    const lang = this.ctx.lang();
    if (this.ages.length === 0) return html`<p class="empty" data-testid="ageing-empty">${t('cases.ageingEmpty')}</p>`;
    const overdue = this.ages.filter((a) => a.clock.overdue).length;
    return html`<p data-testid="ageing-summary">${t('cases.ageingSummary', { n: this.ages.length, overdue })}</p>
      <div class="table-wrap">
        <table class="table cases-table" data-testid="ageing-table">
          <caption class="visually-hidden">${t('cases.tabOpen')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('cases.col.case')}</th>
              ${editor ? nothing : html`<th scope="col">${t('cases.col.org')}</th>`}
              <th scope="col">${t('cases.col.status')}</th>
              <th scope="col">${t('cases.col.clock')}</th>
              <th scope="col">${t('cases.col.deadline')}</th>
              <th scope="col">${t('cases.col.age')}</th>
              <th scope="col">${t('cases.col.escalation')}</th>
            </tr>
          </thead>
          <tbody>
            ${this.ages.map(
              (a) => html`<tr data-testid="case-row-${a.case.id}" data-status=${a.case.status} data-overdue=${a.clock.overdue ? 'true' : 'false'}
                data-level=${a.clock.escalationLevel}>
                <th scope="row" class="case-cell">
                  <a href="/cases/${encodeURIComponent(a.case.id)}">${a.case.ref}</a>
                  <br /><span class="small">${words('caseType', a.case.type)} · ${words('casePlatform', a.case.platform)}</span>
                  <br /><span class="small muted">${a.case.summary}</span>
                </th>
                ${editor ? nothing : html`<td>${this.ctx.orgName(a.case.orgId)}</td>`}
                <td>${caseStatusBadge(a.case.status)}</td>
                <td>${clockBadge(a.clock, `clock-${a.case.id}`)}</td>
                <td>${a.clock.applies ? timeEl(formatIST(a.case.deadlineAt, lang), isoMachine(a.case.deadlineAt)) : t('common.none')}</td>
                <td>${words('cases.bucket', a.clock.bucket)}</td>
                <td>${escalationFlags(a.clock.escalationLevel, `flag-${a.case.id}`)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }

  private renderAll(editor: boolean): TemplateResult {
    const lang = this.ctx.lang();
    const exportLinks = html`<p class="button-row" data-testid="list-exports">
      <a class="button button--secondary button--small" href=${api.casesExportUrl(this.f, 'csv')} download data-testid="export-list-csv">${t('cases.exportCsv')}</a>
      <a class="button button--secondary button--small" href=${api.casesExportUrl(this.f, 'json')} download data-testid="export-list-json">${t('cases.exportJson')}</a>
    </p>`;
    if (this.cases.length === 0) return html`${exportLinks}<p class="empty" data-testid="cases-empty">${t('cases.empty')}</p>`;
    return html`${exportLinks}
      <div class="table-wrap">
        <table class="table cases-table" data-testid="cases-table">
          <caption class="visually-hidden">${t('cases.tabAll')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('cases.col.case')}</th>
              ${editor ? nothing : html`<th scope="col">${t('cases.col.org')}</th>`}
              <th scope="col">${t('cases.col.status')}</th>
              <th scope="col">${t('cases.col.reported')}</th>
              <th scope="col">${t('cases.col.escalation')}</th>
            </tr>
          </thead>
          <tbody>
            ${this.cases.map(
              (c) => html`<tr data-testid="case-row-${c.id}" data-status=${c.status}>
                <th scope="row" class="case-cell">
                  <a href="/cases/${encodeURIComponent(c.id)}">${c.ref}</a>
                  <br /><span class="small">${words('caseType', c.type)} · ${words('casePlatform', c.platform)}</span>
                  <br /><span class="small muted">${c.summary}</span>
                </th>
                ${editor ? nothing : html`<td>${this.ctx.orgName(c.orgId)}</td>`}
                <td>${caseStatusBadge(c.status)}</td>
                <td>${timeEl(formatIST(c.reportedAt, lang), isoMachine(c.reportedAt))}</td>
                <td>${escalationFlags(c.escalatedDmsAt ? 2 : c.escalatedHodAt ? 1 : 0, `flag-${c.id}`)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${pager(this.total, this.offset, LIMIT, (o) => this.go('all', this.f, o))}`;
  }
}
