// The compliance review dashboard: coverage figures, filters by type and
// district, the ranked list with each organisation's score, and a
// drill-down to its gaps and accounts.

import './registry.css';
import { html, nothing, type TemplateResult } from 'lit-html';
import { ORG_TYPES } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { platformName } from '../platforms';
import * as reg from '../registryApi';
import type { ComplianceReview, OrgCompliance, OrgComplianceDetail } from '../registryApi';
import { accountStatusBadge, loadError, loading, timeEl } from '../ui';
import { searchParams } from '../router';
import { gapLabel, nameFor, orgTypeLabel, scoreBadge, wordLabel, yesNo } from './registryShared';

export class ComplianceView implements View {
  private review: ComplianceReview | null = null;
  private error: unknown = null;
  private type: string;
  private district: string;
  private open = '';
  private detail = new Map<string, OrgComplianceDetail>();

  constructor(private ctx: Ctx) {
    const p = searchParams();
    this.type = p.get('type') ?? '';
    this.district = p.get('district') ?? '';
    void this.load();
  }

  title(): string {
    return t('comp.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      this.review = await reg.getCompliance({ type: this.type, district: this.district });
    } catch (err) {
      this.error = err;
    }
    this.ctx.update();
  }

  private async toggle(o: OrgCompliance): Promise<void> {
    this.open = this.open === o.orgId ? '' : o.orgId;
    this.ctx.update();
    if (this.open && !this.detail.has(o.orgId)) {
      try {
        this.detail.set(o.orgId, await reg.getOrgCompliance(o.orgId));
      } catch (err) {
        this.error = err;
      }
      this.ctx.update();
    }
  }

  private filterQuery(): string {
    const q = new URLSearchParams();
    if (this.type) q.set('type', this.type);
    if (this.district) q.set('district', this.district);
    return q.toString() ? `?${q}` : '';
  }

  render() {
    const lang = this.ctx.lang();
    const r = this.review;
    return html`
      <h1 id="page-title" tabindex="-1">${t('comp.title')}</h1>
      <p class="lead">${t('comp.intro')}</p>
      <form class="filters" role="search" aria-label=${t('comp.filters')} data-testid="compliance-filters" @submit=${(e: Event) => {
        e.preventDefault();
        const f = new FormData(e.target as HTMLFormElement);
        this.type = String(f.get('type') ?? '');
        this.district = String(f.get('district') ?? '');
        this.ctx.navigate(`/compliance${this.filterQuery()}`, { replace: true, silent: true });
        this.review = null;
        void this.load();
        this.ctx.update();
      }}>
        <div class="field field--inline">
          <label for="c-type">${t('reg.type')}</label>
          <select id="c-type" name="type" data-testid="filter-type">
            <option value="" ?selected=${!this.type}>${t('common.all')}</option>
            ${ORG_TYPES.map((ty) => html`<option value=${ty} ?selected=${ty === this.type}>${orgTypeLabel(ty)}</option>`)}
          </select>
        </div>
        <div class="field field--inline">
          <label for="c-district">${t('reg.district')}</label>
          <select id="c-district" name="district" data-testid="filter-district">
            <option value="" ?selected=${!this.district}>${t('common.all')}</option>
            ${(r?.districts ?? []).map((d) => html`<option value=${d} ?selected=${d === this.district}>${d}</option>`)}
          </select>
        </div>
        <button type="submit" class="button button--secondary" data-testid="filter-apply">${t('common.apply')}</button>
        <a class="button" href="/compliance/report${this.filterQuery()}" data-testid="open-report">${t('comp.report')}</a>
      </form>
      ${this.error ? loadError(this.error, lang, () => void this.load()) : nothing}
      ${!r ? loading() : html`${summaryBlock(r, lang)} ${this.ranked(r, lang)}`}
    `;
  }

  private ranked(r: ComplianceReview, lang: 'hi' | 'en'): TemplateResult {
    return html`<section class="section" aria-labelledby="rank-h">
      <h2 id="rank-h">${t('comp.ranked')}</h2>
      <div class="table-wrap">
        <table class="table" data-testid="compliance-table">
          <caption class="visually-hidden">${t('comp.ranked')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('comp.col.rank')}</th><th scope="col">${t('comp.col.org')}</th><th scope="col">${t('comp.col.officer')}</th>
              ${r.requiredPlatforms.map((p) => html`<th scope="col">${platformName(p)}</th>`)}
              <th scope="col">${t('comp.col.posts', { days: r.windowDays })}</th><th scope="col">${t('comp.col.score')}</th><th scope="col">${t('comp.col.gaps')}</th>
            </tr>
          </thead>
          <tbody>
            ${r.orgs.map((o) => html`<tr data-testid="comp-row-${o.code}" data-score=${o.score} data-rank=${o.rank}>
                <td>${o.rank}</td>
                <th scope="row" class="name-cell"><a href="/registry/orgs/${encodeURIComponent(o.orgId)}">${nameFor(o, lang)}</a><br /><span class="small muted"><code>${o.code}</code> · ${orgTypeLabel(o.type)}${o.district ? ` · ${o.district}` : ''}</span></th>
                <td>${o.nodalOfficer ? html`${yesNo(true, `officer-${o.code}`)}<br /><span class="small">${o.nodalOfficerName}</span>` : yesNo(false, `officer-${o.code}`)}</td>
                ${(o.platforms ?? []).map((p) => html`<td data-testid="platform-${o.code}-${p.platform}" data-has=${p.hasAccount ? 'yes' : 'no'} data-working=${p.working ? 'yes' : 'no'}>
                  ${!p.hasAccount ? html`<span class="badge badge--bad"><span class="badge__icon" aria-hidden="true">✕</span>${t('comp.noAccount')}</span>`
                    : p.working ? html`<span class="badge badge--good"><span class="badge__icon" aria-hidden="true">✓</span>${t('comp.working')}</span>`
                    : html`<span class="badge badge--warn"><span class="badge__icon" aria-hidden="true">⚠</span>${t('comp.notWorking')}</span>`}
                </td>`)}
                <td>${o.recentPosts}</td>
                <td>${scoreBadge(o.score)}</td>
                <td>${(o.gaps ?? []).length === 0 ? t('comp.noGaps') : html`<button type="button" class="button button--small button--secondary" aria-expanded=${this.open === o.orgId}
                    aria-controls="gaps-${o.orgId}" data-testid="gaps-${o.code}" @click=${() => void this.toggle(o)}>${t('comp.showGaps', { n: (o.gaps ?? []).length })}</button>`}</td>
              </tr>
              ${this.open === o.orgId ? html`<tr id="gaps-${o.orgId}"><td colspan=${6 + r.requiredPlatforms.length}>${this.drill(o, r, lang)}</td></tr>` : nothing}`)}
          </tbody>
        </table>
      </div>
    </section>`;
  }

  private drill(o: OrgCompliance, r: ComplianceReview, lang: 'hi' | 'en'): TemplateResult {
    const d = this.detail.get(o.orgId);
    return html`<div data-testid="drill-${o.code}">
      <ul class="gap-list">${(o.gaps ?? []).map((g) => html`<li data-testid="gap-${o.code}-${g.code}${g.platform ? `-${g.platform}` : ''}">${gapLabel(g, r.windowDays)}</li>`)}</ul>
      ${o.lastPublishedAt ? html`<p>${t('comp.lastPublished')} ${timeEl(formatIST(o.lastPublishedAt, lang), isoMachine(o.lastPublishedAt))}</p>` : nothing}
      ${!d ? loading() : d.accounts.length === 0 ? html`<p class="muted">${t('reg.noAccounts')}</p>` : html`<table class="table">
          <thead><tr><th scope="col">${t('reg.col.platform')}</th><th scope="col">${t('reg.col.account')}</th><th scope="col">${t('reg.col.connection')}</th><th scope="col">${t('reg.col.verification')}</th><th scope="col">${t('reg.col.twoFactor')}</th></tr></thead>
          <tbody>${d.accounts.map((a) => html`<tr><td>${platformName(a.platform)}</td><th scope="row">${a.handle}</th><td>${accountStatusBadge(a.status)}</td><td>${wordLabel('reg.verification', a.profile.verification)}</td><td>${wordLabel('reg.twoFactor', a.profile.twoFactor)}</td></tr>`)}</tbody>
        </table>`}
      <p><a href="/registry/orgs/${encodeURIComponent(o.orgId)}">${t('comp.openOrg')}</a></p>
    </div>`;
  }
}

/** summaryBlock is the coverage figures, shared with the report page. */
export function summaryBlock(r: ComplianceReview, lang: 'hi' | 'en'): TemplateResult {
  const s = r.summary;
  const n = s.organisations;
  const pct = (x: number) => (n ? Math.round((x * 100) / n) : 0);
  const item = (id: string, label: string, value: number, share = true) => html`<div class="stat" data-testid="stat-${id}" data-value=${value}>
    <dt>${label}</dt><dd><span class="stat__value">${value}</span>${share ? html` <span class="muted">(${pct(value)}%)</span>` : nothing}</dd></div>`;
  return html`<section class="section" aria-labelledby="sum-h" data-testid="compliance-summary">
    <h2 id="sum-h">${t('comp.summary')}</h2>
    <p class="muted" data-testid="compliance-meta">${t('comp.meta', { date: formatIST(r.generatedAt, lang), days: r.windowDays, platforms: r.requiredPlatforms.map(platformName).join(', ') })}</p>
    <dl class="stats">
      ${item('organisations', t('comp.s.organisations'), n, false)} ${item('withNodal', t('comp.s.withNodal'), s.withNodal)}
      ${item('withAccounts', t('comp.s.withAccounts'), s.withAccounts)} ${item('allWorking', t('comp.s.allWorking'), s.allWorking)}
      ${item('active', t('comp.s.active', { days: r.windowDays }), s.active)} ${item('fullyCompliant', t('comp.s.fullyCompliant'), s.fullyCompliant)}
      ${item('averageScore', t('comp.s.averageScore'), s.averageScore, false)} ${item('gaps', t('comp.s.gaps'), s.gaps, false)}
    </dl>
    <table class="table" data-testid="platform-coverage">
      <caption>${t('comp.perPlatform')}</caption>
      <thead><tr><th scope="col">${t('reg.col.platform')}</th><th scope="col">${t('comp.withAccount')}</th><th scope="col">${t('comp.working')}</th></tr></thead>
      <tbody>${s.platforms.map((p) => html`<tr data-testid="coverage-${p.platform}"><th scope="row">${platformName(p.platform)}</th><td>${p.withAccount}</td><td>${p.working}</td></tr>`)}</tbody>
    </table>
  </section>`;
}
