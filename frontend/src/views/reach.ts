// The reach page: totals, reach and engagements over time (an SVG chart and
// the same figures as a table), the organisations ranked, the top posts,
// exports, "collect now", and the definitions of every figure in view.

import { html, nothing, type TemplateResult } from 'lit-html';
import * as api from '../api';
import { PLATFORMS, REACH_FIGURES, type Platform, type ReachDashboard, type ReachFigure, type ReachFilter, type ReachTotals } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { translateError } from '../errors';
import { formatDateIST, todayIST } from '../time';
import { platformName } from '../platforms';
import { FormErrors, externalLink, focusSummary, loadError, loading } from '../ui';
import { searchParams } from '../router';
import { defTip, definitionsLegend, figureName, fmtNum, lineChart, postFigure, sumFigure } from './reach-ui';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** monthLabel shows a month start as "Mar 2026". */
function monthLabel(start: string, lang: api.Lang): string {
  const d = formatDateIST(`${start}T12:00:00+05:30`, lang);
  return d.replace(/^\d+ /, '');
}

/** dayLabel shows a day as "14 Mar". */
function dayLabel(start: string, lang: api.Lang): string {
  return formatDateIST(`${start}T12:00:00+05:30`, lang).replace(/ \d{4}$/, '');
}

export class ReachView implements View {
  private f: ReachFilter;
  private d: ReachDashboard | null = null;
  private error: unknown = null;
  private errors = new FormErrors();
  private collecting = false;
  private collectMsg = '';
  private collectErr = '';
  private ctrl: AbortController | null = null;

  constructor(private ctx: Ctx) {
    const q = searchParams();
    const platform = q.get('platform') ?? '';
    const by = q.get('by') ?? '';
    this.f = {
      orgId: q.get('orgId') ?? '',
      platform: (PLATFORMS as readonly string[]).includes(platform) ? (platform as Platform) : '',
      from: DATE.test(q.get('from') ?? '') ? (q.get('from') as string) : '',
      to: DATE.test(q.get('to') ?? '') ? (q.get('to') as string) : '',
      by: (REACH_FIGURES as readonly string[]).includes(by) ? (by as ReachFigure) : 'reach',
    };
    void this.load();
  }

  destroy(): void {
    this.ctrl?.abort();
  }

  title(): string {
    return t('reach.title');
  }

  private orgScoped(): boolean {
    return this.ctx.user?.role === 'editor';
  }

  private async load(): Promise<void> {
    this.error = null;
    this.errors.clear();
    this.ctrl?.abort();
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    try {
      await this.ctx.registry().catch(() => undefined);
      const d = await api.reachDashboard(this.f, ctrl.signal);
      if (ctrl.signal.aborted) return;
      this.d = d;
    } catch (err) {
      if (ctrl.signal.aborted) return;
      if (err instanceof api.ApiError && err.fields.length > 0) {
        this.errors.fromError(err, this.ctx.lang(), (fe) => {
          const id = { from: 'r-from', to: 'r-to', platform: 'r-platform', orgId: 'r-org', by: 'r-by' }[fe.field] ?? '';
          const key = { from: 'reach.from', to: 'reach.to', platform: 'reach.platform', orgId: 'reach.org', by: 'reach.by' }[fe.field];
          return { id, label: key ? t(key as 'reach.from') : fe.field };
        });
        this.d = null;
        focusSummary();
      } else {
        this.error = err;
      }
    }
    this.ctx.update();
  }

  private apply(e: Event): void {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const get = (k: string) => String(data.get(k) ?? '');
    const f: ReachFilter = {
      orgId: get('orgId'),
      platform: get('platform') as Platform | '',
      from: get('from'),
      to: get('to'),
      by: (get('by') || 'reach') as ReachFigure,
    };
    this.errors.clear();
    if (f.from && f.to && f.to < f.from) {
      this.errors.add('r-to', t('reach.to'), t('fe.before_from'));
      this.ctx.update();
      focusSummary();
      return;
    }
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v && !(k === 'by' && v === 'reach')) q.set(k, String(v));
    const s = q.toString();
    this.ctx.navigate(`/reach${s ? `?${s}` : ''}`);
  }

  private async collect(): Promise<void> {
    this.collecting = true;
    this.collectMsg = '';
    this.collectErr = '';
    this.ctx.update();
    try {
      const r = await api.collectMetricsNow(this.f.orgId || undefined);
      this.collectMsg = t('reach.collect.done', { n: r.queued });
      this.ctx.announce(this.collectMsg);
    } catch (err) {
      this.collectErr = translateError(err, this.ctx.lang());
      this.ctx.announce(this.collectErr, true);
    }
    this.collecting = false;
    this.ctx.update();
  }

  render(): TemplateResult {
    const lang = this.ctx.lang();
    const e = this.errors;
    const showOrg = !this.orgScoped();
    const d = this.d;
    const from = d?.filter.from ?? this.f.from ?? '';
    const to = d?.filter.to ?? this.f.to ?? todayIST();
    return html`
      <div class="page-head">
        <h1 id="page-title" tabindex="-1">${t('reach.title')}</h1>
        <a href="/reach/digest" data-testid="reach-digest-link">${t('reach.digestLink')}</a>
      </div>
      <p class="lead">${t('reach.intro')}</p>
      ${e.summary()}
      <form class="filters" role="search" aria-label=${t('reach.filters')} novalidate @submit=${(ev: Event) => this.apply(ev)} data-testid="reach-filters">
        ${showOrg
          ? html`<div class="field field--inline">
              <label for="r-org">${t('reach.org')}</label>
              <select id="r-org" name="orgId" data-testid="filter-org">
                <option value="" ?selected=${!this.f.orgId}>${t('reach.allOrgs')}</option>
                ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${o.id === this.f.orgId}>${this.ctx.orgName(o.id)}</option>`)}
              </select>
            </div>`
          : nothing}
        <div class="field field--inline">
          <label for="r-platform">${t('reach.platform')}</label>
          <select id="r-platform" name="platform" data-testid="filter-platform">
            <option value="" ?selected=${!this.f.platform}>${t('reach.allPlatforms')}</option>
            ${PLATFORMS.map((p) => html`<option value=${p} ?selected=${p === this.f.platform}>${platformName(p)}</option>`)}
          </select>
        </div>
        <div class="field field--inline ${e.for('r-from').length ? 'field--error' : ''}">
          <label for="r-from">${t('reach.from')}</label>
          ${e.fieldError('r-from')}
          <input id="r-from" name="from" type="date" .value=${from} data-testid="filter-from" aria-invalid=${e.invalid('r-from')} aria-describedby=${e.describedBy('r-from')} />
        </div>
        <div class="field field--inline ${e.for('r-to').length ? 'field--error' : ''}">
          <label for="r-to">${t('reach.to')}</label>
          ${e.fieldError('r-to')}
          <input id="r-to" name="to" type="date" .value=${to} data-testid="filter-to" aria-invalid=${e.invalid('r-to')} aria-describedby=${e.describedBy('r-to')} />
        </div>
        <div class="field field--inline">
          <label for="r-by">${t('reach.by')}</label>
          <select id="r-by" name="by" data-testid="filter-by">
            ${REACH_FIGURES.map((f) => html`<option value=${f} ?selected=${f === this.f.by}>${figureName(f)}</option>`)}
          </select>
        </div>
        <div class="button-row">
          <button type="submit" class="button button--secondary" data-testid="filter-apply">${t('common.apply')}</button>
          <a href="/reach" class="button button--link">${t('common.clear')}</a>
        </div>
      </form>
      ${this.renderTools()}
      ${!d && !this.error && e.items.length === 0 ? loading() : nothing}
      ${this.error ? loadError(this.error, lang, () => void this.load()) : nothing}
      ${d ? this.renderDashboard(d) : nothing}
    `;
  }

  private renderTools(): TemplateResult {
    const canCollect = this.ctx.can('review') || this.ctx.can('write');
    const unit = this.d?.granularity === 'month' ? t('reach.chart.unit.month') : t('reach.chart.unit.day');
    const f: ReachFilter = this.d
      ? { orgId: this.d.filter.orgId, platform: this.d.filter.platform ?? '', from: this.d.filter.from, to: this.d.filter.to, by: this.d.filter.by }
      : this.f;
    return html`<div class="reach-tools">
      <span><strong>${t('reach.export.title')}:</strong>
        <a href=${api.reachExportUrl(f, 'csv', 'series')} download data-testid="reach-export-csv">${t('reach.export.csv', { unit })}</a> ·
        <a href=${api.reachExportUrl(f, 'xlsx')} download data-testid="reach-export-xlsx">${t('reach.export.xlsx')}</a></span
      >
      <button type="button" class="button button--secondary" @click=${() => void this.load()} data-testid="reach-refresh">${t('reach.refresh')}</button>
      ${canCollect
        ? html`<button type="button" class="button button--secondary" ?disabled=${this.collecting} aria-describedby="reach-collect-help"
              @click=${() => void this.collect()} data-testid="reach-collect">${this.collecting ? t('common.working') : t('reach.collect')}</button>
            <span id="reach-collect-help" class="muted">${t('reach.collect.help')}</span>`
        : nothing}
      ${this.collectMsg ? html`<p class="notice notice--success" data-testid="reach-collect-done">${this.collectMsg}</p>` : nothing}
      ${this.collectErr ? html`<p class="notice notice--error" role="alert" data-testid="reach-collect-error">${this.collectErr}</p>` : nothing}
    </div>`;
  }

  private renderDashboard(d: ReachDashboard): TemplateResult {
    const lang = this.ctx.lang();
    const defs = d.definitions ?? [];
    const card = (f: ReachFigure | 'posts') => {
      const value = f === 'posts' ? html`<span data-value=${d.totals.posts}>${fmtNum(d.totals.posts, lang)}</span>` : sumFigure(d.totals, f, lang);
      const covered = f === 'posts' ? 0 : f === 'reach' ? d.totals.reachPosts : f === 'views' ? d.totals.viewsPosts : d.totals.engagementPosts;
      return html`<li class="reach-card" data-testid="reach-total-${f}">
        <p class="reach-card__label">${figureName(f)} ${defTip(f, defs, `reach-def-tip-${f}`)}</p>
        <p class="reach-card__value">${value}</p>
        ${f !== 'posts' && covered > 0 && covered < d.totals.posts
          ? html`<p class="reach-card__note">${t('reach.coverage', { n: fmtNum(covered, lang), total: fmtNum(d.totals.posts, lang) })}</p>`
          : nothing}
      </li>`;
    };
    return html`
      <p class="muted" data-testid="reach-range">
        ${t('reach.range', { from: formatDateIST(`${d.filter.from}T12:00:00+05:30`, lang), to: formatDateIST(`${d.filter.to}T12:00:00+05:30`, lang) })}
        ${d.granularity === 'month' ? html` · ${t('reach.byMonth')}` : nothing}
      </p>
      <ul class="reach-cards" data-testid="reach-totals">
        ${card('posts')} ${card('reach')} ${card('views')} ${card('engagements')}
      </ul>
      ${this.renderChart(d)} ${this.renderOrgs(d)} ${this.renderTop(d)} ${definitionsLegend(defs)}
    `;
  }

  private renderChart(d: ReachDashboard): TemplateResult {
    const lang = this.ctx.lang();
    const series = d.series ?? [];
    const month = d.granularity === 'month';
    const unit = month ? t('reach.chart.unit.month') : t('reach.chart.unit.day');
    const labels = series.map((p) => (month ? monthLabel(p.start, lang) : dayLabel(p.start, lang)));
    const value = (p: ReachTotals, f: ReachFigure) => {
      const posts = f === 'reach' ? p.reachPosts : f === 'views' ? p.viewsPosts : p.engagementPosts;
      // A day with posts but none that report the figure is a gap, not 0.
      if (posts === 0 && p.posts > 0) return null;
      return f === 'reach' ? p.reach : f === 'views' ? p.views : p.engagements;
    };
    const figs: ReachFigure[] = ['reach', 'engagements'];
    const shown = figs.filter((f) => (f === 'reach' ? d.totals.reachPosts : d.totals.engagementPosts) > 0 || d.totals.posts === 0);
    const names = shown.map((f) => figureName(f));
    const figures = names.length === 2 ? t('reach.chart.and', { a: names[0] ?? '', b: names[1] ?? '' }) : (names[0] ?? figureName('reach'));
    const scope = [d.filter.orgId ? this.ctx.orgName(d.filter.orgId) : t('reach.allOrgs'), d.filter.platform ? platformName(d.filter.platform) : t('reach.allPlatforms')].join(', ');
    const title = t('reach.chart.title', { figures, unit });
    const desc = t('reach.chart.desc', {
      figures,
      unit,
      from: formatDateIST(`${d.filter.from}T12:00:00+05:30`, lang),
      to: formatDateIST(`${d.filter.to}T12:00:00+05:30`, lang),
      scope,
    });
    const missing = figs.filter((f) => !shown.includes(f));
    return html`<section aria-labelledby="reach-chart-title" class="section">
      <h2 id="reach-chart-title">${title}</h2>
      ${d.totals.posts === 0 ? html`<p class="empty" data-testid="reach-chart-empty">${t('reach.chart.empty')}</p>` : nothing}
      ${missing.map(
        (f) => html`<p class="notice notice--info" data-testid="reach-chart-na-${f}">${figureName(f)}: ${t('reach.notAvailable')} ${defTip(f, d.definitions ?? [])}</p>`,
      )}
      ${lineChart({
        id: 'reach-chart',
        title,
        desc,
        labels,
        keys: series.map((p) => p.start),
        series: shown.map((f) => ({ figure: f, values: series.map((p) => value(p, f)) })),
        lang,
      })}
      <details class="reach-table-toggle" data-testid="reach-chart-data">
        <summary>${t('reach.chart.table')}</summary>
        <div class="table-wrap">
          <table class="table table--dense" data-testid="reach-series-table">
            <caption class="visually-hidden">${title}</caption>
            <thead>
              <tr>
                <th scope="col">${month ? t('reach.col.month') : t('reach.col.day')}</th>
                <th scope="col" class="num">${figureName('posts')}</th>
                ${(['reach', 'views', 'engagements'] as ReachFigure[]).map((f) => html`<th scope="col" class="num">${figureName(f)}</th>`)}
              </tr>
            </thead>
            <tbody>
              ${series.map(
                (p, i) => html`<tr data-testid="reach-series-${p.start}">
                  <th scope="row">${month ? labels[i] : formatDateIST(`${p.start}T12:00:00+05:30`, lang)}</th>
                  <td class="num">${fmtNum(p.posts, lang)}</td>
                  ${(['reach', 'views', 'engagements'] as ReachFigure[]).map((f) => html`<td class="num">${p.posts === 0 ? fmtNum(0, lang) : sumFigure(p, f, lang)}</td>`)}
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </details>
    </section>`;
  }

  private renderOrgs(d: ReachDashboard): TemplateResult {
    const lang = this.ctx.lang();
    const orgs = d.orgs ?? [];
    const defs = d.definitions ?? [];
    const by = d.filter.by;
    return html`<section aria-labelledby="reach-orgs-title" class="section">
      <h2 id="reach-orgs-title">${this.orgScoped() ? t('reach.orgs.mine') : t('reach.orgs.title', { figure: figureName(by) })}</h2>
      ${orgs.length === 0
        ? html`<p class="empty" data-testid="reach-orgs-empty">${t('reach.orgs.empty')}</p>`
        : html`<div class="table-wrap">
            <table class="table" data-testid="reach-orgs-table">
              <caption class="visually-hidden">${t('reach.orgs.title', { figure: figureName(by) })}</caption>
              <thead>
                <tr>
                  <th scope="col" class="num">${t('reach.col.rank')}</th>
                  <th scope="col">${t('reach.col.org')}</th>
                  <th scope="col" class="num">${figureName('posts')} ${defTip('posts', defs)}</th>
                  ${(['reach', 'views', 'engagements'] as ReachFigure[]).map(
                    (f) => html`<th scope="col" class="num">${figureName(f)} ${defTip(f, defs)}</th>`,
                  )}
                </tr>
              </thead>
              <tbody>
                ${orgs.map(
                  (o, i) => html`<tr data-testid="reach-org-${o.orgId}">
                    <td class="num">${i + 1}</td>
                    <th scope="row">${lang === 'hi' ? o.nameHi || o.nameEn : o.nameEn || o.nameHi} <span class="muted">(${o.code})</span></th>
                    <td class="num">${fmtNum(o.posts, lang)}</td>
                    ${(['reach', 'views', 'engagements'] as ReachFigure[]).map((f) => html`<td class="num">${sumFigure(o, f, lang)}</td>`)}
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
    </section>`;
  }

  private renderTop(d: ReachDashboard): TemplateResult {
    const lang = this.ctx.lang();
    const top = d.topPosts ?? [];
    const defs = d.definitions ?? [];
    return html`<section aria-labelledby="reach-top-title" class="section">
      <h2 id="reach-top-title">${t('reach.top.title', { figure: figureName(d.filter.by) })}</h2>
      ${top.length === 0
        ? html`<p class="empty" data-testid="reach-top-empty">${t('reach.top.empty')}</p>`
        : html`<div class="table-wrap">
            <table class="table" data-testid="reach-top-table">
              <caption class="visually-hidden">${t('reach.top.title', { figure: figureName(d.filter.by) })}</caption>
              <thead>
                <tr>
                  <th scope="col" class="num">${t('reach.col.rank')}</th>
                  <th scope="col">${t('reach.col.post')}</th>
                  <th scope="col">${t('reach.col.org')}</th>
                  <th scope="col">${t('reach.col.platform')}</th>
                  <th scope="col">${t('reach.col.published')}</th>
                  ${(['reach', 'views', 'engagements'] as ReachFigure[]).map(
                    (f) => html`<th scope="col" class="num">${figureName(f)} ${defTip(f, defs)}</th>`,
                  )}
                  <th scope="col">${t('reach.col.link')}</th>
                </tr>
              </thead>
              <tbody>
                ${top.map(
                  (p, i) => html`<tr data-testid="reach-top-${p.deliveryId}" data-platform=${p.platform}>
                    <td class="num">${i + 1}</td>
                    <th scope="row"><a href="/posts/${encodeURIComponent(p.postId)}">${p.title || t('common.untitled')}</a></th>
                    <td>${this.ctx.orgName(p.orgId)}</td>
                    <td>${platformName(p.platform)}</td>
                    <td>${formatDateIST(`${p.day}T12:00:00+05:30`, lang)}</td>
                    <td class="num">${postFigure(p.figures.reach, lang)}</td>
                    <td class="num">${postFigure(p.figures.views, lang)}</td>
                    <td class="num">${postFigure(p.figures.engagements, lang)}</td>
                    <td>${p.externalUrl ? externalLink(p.externalUrl, t('reach.open', { platform: platformName(p.platform) })) : html`<span class="muted">${t('common.none')}</span>`}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
    </section>`;
  }
}
