// The rebuttal desk's reports: figures for a period (per organisation and
// overall) — cases by type, platform and district, median and 90th
// percentile response times, deadlines met and missed — and the weekly
// report for the review, with exports.

import { html, nothing, type TemplateResult } from 'lit-html';
import * as api from '../api';
import type { CaseReport, DurationStats, WeeklyCaseReport } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatDateIST, formatIST, isoMachine, todayIST } from '../time';
import { loadError, loading, timeEl } from '../ui';
import { searchParams } from '../router';
import { caseStatusBadge, clockBadge, countRows, formatMinutes, formatSeconds } from './cases-ui';
import './cases.css';

/** shiftDate moves a YYYY-MM-DD date by days (calendar arithmetic, no zones). */
function shiftDate(d: string, days: number): string {
  const [y, m, dd] = d.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, dd + days)).toISOString().slice(0, 10);
}

export class CaseReportsView implements View {
  private orgId: string;
  private from: string;
  private to: string;
  private week: string;
  private report: CaseReport | null = null;
  private weekly: WeeklyCaseReport | null = null;
  private error: unknown = null;
  private weeklyError: unknown = null;
  private loaded = false;

  constructor(private ctx: Ctx) {
    const q = searchParams();
    const today = todayIST();
    this.orgId = q.get('orgId') ?? '';
    this.to = q.get('to') || today;
    this.from = q.get('from') || shiftDate(this.to, -29);
    this.week = q.get('week') || today;
    void this.load();
  }

  title(): string {
    return t('cases.reportsTitle');
  }

  private async load(): Promise<void> {
    this.error = this.weeklyError = null;
    await this.ctx.registry().catch(() => undefined);
    const orgId = this.orgId || undefined;
    const [r, w] = await Promise.allSettled([api.caseReport({ orgId, from: this.from, to: this.to }), api.weeklyCaseReport({ week: this.week, orgId })]);
    if (r.status === 'fulfilled') this.report = r.value;
    else this.error = r.reason;
    if (w.status === 'fulfilled') this.weekly = w.value;
    else this.weeklyError = w.reason;
    this.loaded = true;
    this.ctx.update();
  }

  private apply(e: Event): void {
    e.preventDefault();
    const d = new FormData(e.target as HTMLFormElement);
    const q = new URLSearchParams();
    for (const k of ['orgId', 'from', 'to', 'week']) {
      const v = String(d.get(k) ?? (k === 'week' ? this.week : ''));
      if (v) q.set(k, v);
    }
    this.ctx.navigate(`/cases/reports?${q.toString()}`);
  }

  render() {
    const editor = this.ctx.user?.role === 'editor';
    return html`
      <div class="page-head">
        <h1 id="page-title" tabindex="-1">${t('cases.reportsTitle')}</h1>
        <a class="button button--secondary" href="/cases">${t('cases.backToList')}</a>
      </div>
      <form class="filters" role="search" aria-label=${t('cases.filters')} data-testid="report-filters" @submit=${(e: Event) => this.apply(e)}>
        ${editor
          ? nothing
          : html`<div class="field field--inline">
              <label for="rep-org">${t('cases.org')}</label>
              <select id="rep-org" name="orgId" data-testid="report-org">
                <option value="" ?selected=${!this.orgId}>${t('cases.allOrgs')}</option>
                ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${this.orgId === o.id}>${this.ctx.orgName(o.id)}</option>`)}
              </select>
            </div>`}
        <div class="field field--inline">
          <label for="rep-from">${t('cases.from')}</label>
          <input id="rep-from" name="from" type="date" data-testid="report-from" .value=${this.from} />
        </div>
        <div class="field field--inline">
          <label for="rep-to">${t('cases.to')}</label>
          <input id="rep-to" name="to" type="date" data-testid="report-to" .value=${this.to} />
        </div>
        <div class="field field--inline">
          <label for="rep-week">${t('cases.weekOf')}</label>
          <input id="rep-week" name="week" type="date" data-testid="report-week" .value=${this.week} />
        </div>
        <button type="submit" class="button button--secondary" data-testid="report-apply">${t('common.apply')}</button>
      </form>
      ${!this.loaded
        ? loading()
        : html`${this.error ? loadError(this.error, this.ctx.lang(), () => void this.load()) : this.report ? this.renderReport(this.report) : nothing}
          ${this.weeklyError ? loadError(this.weeklyError, this.ctx.lang(), () => void this.load()) : this.weekly ? this.renderWeekly(this.weekly) : nothing}`}
    `;
  }

  private stats(name: string, label: string, s: DurationStats): TemplateResult {
    return html`<tr data-testid="report-time-${name}" data-count=${s.count} data-median=${s.medianMinutes} data-p90=${s.p90Minutes}>
      <th scope="row">${label}</th>
      <td class="num">${s.count}</td>
      <td>${s.count ? formatMinutes(s.medianMinutes) : t('common.none')}</td>
      <td>${s.count ? formatMinutes(s.p90Minutes) : t('common.none')}</td>
    </tr>`;
  }

  private counts(title: string, testid: string, m: Record<string, number> | null | undefined, prefix: string): TemplateResult {
    const rows = countRows(m, prefix);
    return html`<div class="table-wrap">
      <table class="table table--dense" data-testid=${testid}>
        <caption>${title}</caption>
        <tbody>
          ${rows.length === 0
            ? html`<tr><td>${t('common.none')}</td></tr>`
            : rows.map((r) => html`<tr data-key=${r.key}><th scope="row">${r.label}</th><td class="num">${r.n}</td></tr>`)}
        </tbody>
      </table>
    </div>`;
  }

  private renderFigures(r: CaseReport, prefix: string): TemplateResult {
    const d = r.deadlines;
    return html`<dl class="meta" data-testid="${prefix}-summary">
        <div><dt>${t('cases.rep.total')}</dt><dd data-testid="${prefix}-total">${r.total}</dd></div>
        <div><dt>${t('cases.rep.open')}</dt><dd>${r.open}</dd></div>
        <div><dt>${t('cases.rep.published')}</dt><dd data-testid="${prefix}-published">${r.published}</dd></div>
        <div><dt>${t('cases.rep.actionable')}</dt><dd>${r.actionable}</dd></div>
        <div><dt>${t('cases.rep.notActionable')}</dt><dd>${r.notActionable}</dd></div>
        <div><dt>${t('cases.rep.untriaged')}</dt><dd>${r.untriaged}</dd></div>
        <div><dt>${t('cases.rep.linked')}</dt><dd>${r.linkedReports}</dd></div>
      </dl>
      <div class="table-wrap">
        <table class="table" data-testid="${prefix}-times">
          <caption>${t('cases.rep.timesCaption')}</caption>
          <thead><tr><th scope="col">${t('cases.rep.measure')}</th><th scope="col" class="num">${t('cases.rep.count')}</th><th scope="col">${t('cases.rep.median')}</th><th scope="col">${t('cases.rep.p90')}</th></tr></thead>
          <tbody>
            ${this.stats('assign', t('cases.timeToAssign'), r.timeToAssign)}
            ${this.stats('draft', t('cases.timeToDraft'), r.timeToDraft)}
            ${this.stats('publish', t('cases.timeToPublish'), r.timeToPublish)}
            ${this.stats('response', t('cases.responseTime'), r.response)}
          </tbody>
        </table>
      </div>
      <div class="table-wrap">
        <table class="table table--dense" data-testid="${prefix}-deadlines" data-applies=${d.applies} data-met=${d.met} data-missed=${d.missed} data-pending=${d.pending}>
          <caption>${t('cases.rep.deadlines')}</caption>
          <tbody>
            <tr><th scope="row">${t('cases.rep.applies')}</th><td class="num">${d.applies}</td></tr>
            <tr><th scope="row">${t('cases.rep.met')}</th><td class="num">${d.met}</td></tr>
            <tr><th scope="row">${t('cases.rep.missed')}</th><td class="num">${d.missed}</td></tr>
            <tr><th scope="row">${t('cases.rep.pending')}</th><td class="num">${d.pending}</td></tr>
            <tr><th scope="row">${t('cases.escalatedHod')}</th><td class="num">${d.escalatedHod}</td></tr>
            <tr><th scope="row">${t('cases.escalatedDms')}</th><td class="num">${d.escalatedDms}</td></tr>
          </tbody>
        </table>
      </div>`;
  }

  private renderReport(r: CaseReport): TemplateResult {
    const lang = this.ctx.lang();
    const orgs = r.byOrg ?? [];
    return html`<section class="section" aria-labelledby="rep-title" data-testid="case-report">
      <h2 id="rep-title">${t('cases.rep.period', { from: formatDateIST(r.from, lang), to: formatDateIST(new Date(new Date(r.to).getTime() - 1), lang) })}</h2>
      <p class="muted">${r.orgId ? this.ctx.orgName(r.orgId) : t('cases.allOrgs')} · ${t('cases.rep.generated', { time: formatIST(r.generatedAt, lang) })}</p>
      <p class="button-row">
        <a class="button button--secondary button--small" download data-testid="report-export-csv"
          href=${api.casesExportUrl({ orgId: r.orgId || undefined, from: this.from, to: this.to }, 'csv')}>${t('cases.exportCsv')}</a>
        <a class="button button--secondary button--small" download data-testid="report-export-json"
          href=${api.casesExportUrl({ orgId: r.orgId || undefined, from: this.from, to: this.to }, 'json')}>${t('cases.exportJson')}</a>
      </p>
      ${this.renderFigures(r, 'report')}
      <div class="report-grid">
        ${this.counts(t('cases.rep.byType'), 'report-by-type', r.byType, 'caseType')}
        ${this.counts(t('cases.rep.byPlatform'), 'report-by-platform', r.byPlatform, 'casePlatform')}
        ${this.counts(t('cases.rep.byDistrict'), 'report-by-district', r.byDistrict, '')}
        ${this.counts(t('cases.rep.byMedia'), 'report-by-media', r.byMedia, 'caseMedia')}
        ${this.counts(t('cases.rep.byAction'), 'report-by-action', r.actions, 'caseAction')}
      </div>
      ${orgs.length > 0
        ? html`<div class="table-wrap">
            <table class="table" data-testid="report-by-org">
              <caption>${t('cases.rep.byOrg')}</caption>
              <thead>
                <tr>
                  <th scope="col">${t('cases.org')}</th>
                  <th scope="col" class="num">${t('cases.rep.total')}</th>
                  <th scope="col" class="num">${t('cases.rep.published')}</th>
                  <th scope="col" class="num">${t('cases.rep.met')}</th>
                  <th scope="col" class="num">${t('cases.rep.missed')}</th>
                  <th scope="col">${t('cases.rep.median')}</th>
                  <th scope="col">${t('cases.rep.p90')}</th>
                </tr>
              </thead>
              <tbody>
                ${orgs.map(
                  (o) => html`<tr data-testid="report-org-${o.orgId}">
                    <th scope="row">${lang === 'hi' ? o.nameHi || o.nameEn : o.nameEn || o.nameHi || o.code}</th>
                    <td class="num">${o.cases}</td>
                    <td class="num">${o.published}</td>
                    <td class="num">${o.deadlines.met}</td>
                    <td class="num">${o.deadlines.missed}</td>
                    <td>${o.response.count ? formatMinutes(o.response.medianMinutes) : t('common.none')}</td>
                    <td>${o.response.count ? formatMinutes(o.response.p90Minutes) : t('common.none')}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : nothing}
    </section>`;
  }

  private renderWeekly(w: WeeklyCaseReport): TemplateResult {
    const lang = this.ctx.lang();
    const r = w.report;
    const p = w.previous;
    const cmp = (now: number, before: number) => html`${now} <span class="muted small">(${t('cases.rep.previous', { n: before })})</span>`;
    return html`<section class="section" aria-labelledby="weekly-title" data-testid="weekly-report">
      <h2 id="weekly-title">${t('cases.rep.weekly', { from: formatDateIST(w.weekStart, lang), to: formatDateIST(new Date(new Date(w.weekEnd).getTime() - 1), lang) })}</h2>
      <p class="button-row"><button type="button" class="button button--secondary button--small" @click=${() => window.print()}>${t('cases.rep.print')}</button></p>
      <dl class="meta" data-testid="weekly-summary">
        <div><dt>${t('cases.rep.total')}</dt><dd data-testid="weekly-total">${cmp(r.total, p.total)}</dd></div>
        <div><dt>${t('cases.rep.published')}</dt><dd>${cmp(r.published, p.published)}</dd></div>
        <div><dt>${t('cases.rep.met')}</dt><dd>${cmp(r.deadlines.met, p.deadlines.met)}</dd></div>
        <div><dt>${t('cases.rep.missed')}</dt><dd data-testid="weekly-missed">${cmp(r.deadlines.missed, p.deadlines.missed)}</dd></div>
        <div><dt>${t('cases.rep.medianResponse')}</dt><dd data-testid="weekly-median">${r.response.count ? formatMinutes(r.response.medianMinutes) : t('common.none')}</dd></div>
        <div><dt>${t('cases.rep.p90Response')}</dt><dd>${r.response.count ? formatMinutes(r.response.p90Minutes) : t('common.none')}</dd></div>
      </dl>
      ${(w.cases ?? []).length === 0
        ? html`<p class="empty" data-testid="weekly-empty">${t('cases.rep.weekEmpty')}</p>`
        : html`<div class="table-wrap">
            <table class="table cases-table" data-testid="weekly-cases">
              <caption>${t('cases.rep.weekCases')}</caption>
              <thead>
                <tr>
                  <th scope="col">${t('cases.col.case')}</th>
                  <th scope="col">${t('cases.col.org')}</th>
                  <th scope="col">${t('cases.col.reported')}</th>
                  <th scope="col">${t('cases.col.status')}</th>
                  <th scope="col">${t('cases.responseTime')}</th>
                  <th scope="col">${t('cases.col.clock')}</th>
                </tr>
              </thead>
              <tbody>
                ${(w.cases ?? []).map(
                  (a) => html`<tr data-testid="weekly-case-${a.case.id}">
                    <th scope="row" class="case-cell"><a href="/cases/${encodeURIComponent(a.case.id)}">${a.case.ref}</a><br /><span class="small muted">${a.case.summary}</span></th>
                    <td>${this.ctx.orgName(a.case.orgId)}</td>
                    <td>${timeEl(formatIST(a.case.reportedAt, lang), isoMachine(a.case.reportedAt))}</td>
                    <td>${caseStatusBadge(a.case.status)}</td>
                    <td>${formatSeconds(a.clock.responseTime)}</td>
                    <td>${clockBadge(a.clock)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
    </section>`;
  }
}
