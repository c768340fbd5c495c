// The review report for the Chief Minister's office: the coverage summary
// and the list of gaps as a printable page, with the same report as PDF
// and Excel downloads (dated; the figures are the dashboard's: all three
// are made from one review).

import './registry.css';
import { html, nothing } from 'lit-html';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import * as reg from '../registryApi';
import type { ComplianceReview } from '../registryApi';
import { loadError, loading } from '../ui';
import { searchParams } from '../router';
import { summaryBlock } from './compliance';
import { gapLabel, nameFor, orgTypeLabel } from './registryShared';

export class ReportView implements View {
  private review: ComplianceReview | null = null;
  private error: unknown = null;
  private filter: { type?: string; district?: string };

  constructor(private ctx: Ctx) {
    const p = searchParams();
    this.filter = { type: p.get('type') ?? '', district: p.get('district') ?? '' };
    void this.load();
  }

  title(): string {
    return t('rep.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      this.review = await reg.getCompliance(this.filter);
    } catch (err) {
      this.error = err;
    }
    this.ctx.update();
  }

  render() {
    const lang = this.ctx.lang();
    const r = this.review;
    return html`
      <div class="no-print toolbar" data-testid="report-downloads">
        <a class="button" href=${reg.reportURL('pdf', this.filter)} download data-testid="download-pdf">${t('rep.pdf')}</a>
        <a class="button button--secondary" href=${reg.reportURL('xlsx', this.filter)} download data-testid="download-xlsx">${t('rep.xlsx')}</a>
        <button type="button" class="button button--secondary" @click=${() => window.print()} data-testid="print">${t('rep.print')}</button>
        <a href="/compliance">${t('rep.back')}</a>
      </div>
      <article class="report" data-testid="report">
        <h1 id="page-title" tabindex="-1">${t('rep.title')}</h1>
        <p class="report__org">${t('rep.from')}</p>
        ${this.error ? loadError(this.error, lang, () => void this.load()) : nothing}
        ${!r
          ? loading()
          : html`${r.filter.type || r.filter.district
                ? html`<p data-testid="report-filter">${t('rep.filter')}: ${[r.filter.type ? orgTypeLabel(r.filter.type) : '', r.filter.district ?? ''].filter((x) => x).join(', ')}</p>`
                : nothing}
              ${summaryBlock(r, lang)}
              <section class="section" aria-labelledby="rep-rank-h">
                <h2 id="rep-rank-h">${t('comp.ranked')}</h2>
                <table class="table" data-testid="report-ranking">
                  <thead><tr><th scope="col">${t('comp.col.rank')}</th><th scope="col">${t('comp.col.org')}</th><th scope="col">${t('comp.col.officer')}</th><th scope="col">${t('comp.col.posts', { days: r.windowDays })}</th><th scope="col">${t('comp.col.score')}</th></tr></thead>
                  <tbody>${r.orgs.map((o) => html`<tr data-testid="report-row-${o.code}" data-score=${o.score}><td>${o.rank}</td><th scope="row">${nameFor(o, lang)} <span class="muted">(${o.code})</span></th><td>${o.nodalOfficerName || t('common.no')}</td><td>${o.recentPosts}</td><td>${o.score}</td></tr>`)}</tbody>
                </table>
              </section>
              <section class="section" aria-labelledby="rep-gaps-h">
                <h2 id="rep-gaps-h">${t('rep.gaps')}</h2>
                ${r.orgs.every((o) => (o.gaps ?? []).length === 0)
                  ? html`<p>${t('comp.noGaps')}</p>`
                  : html`<table class="table" data-testid="report-gaps">
                      <thead><tr><th scope="col">${t('comp.col.org')}</th><th scope="col">${t('comp.col.gaps')}</th></tr></thead>
                      <tbody>${r.orgs.filter((o) => (o.gaps ?? []).length > 0).map((o) => html`<tr><th scope="row">${nameFor(o, lang)} <span class="muted">(${o.code})</span></th>
                        <td><ul class="plain-list">${(o.gaps ?? []).map((g) => html`<li>${gapLabel(g, r.windowDays)}</li>`)}</ul></td></tr>`)}</tbody>
                    </table>`}
              </section>`}
      </article>
    `;
  }
}
