// The registry: every organisation with its type, parent and district,
// filtered by type, district and a search; links to each organisation's
// page; for administrators, import, export and changes to confirm.

import './registry.css';
import { html, nothing } from 'lit-html';
import { ORG_TYPES, type Organisation } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { exportURL } from '../registryApi';
import { loadError, loading } from '../ui';
import { searchParams } from '../router';
import { orgTypeLabel, nameFor } from './registryShared';

export class RegistryView implements View {
  private loaded = false;
  private error: unknown = null;
  private type: string;
  private district: string;
  private q: string;

  constructor(private ctx: Ctx) {
    const p = searchParams();
    this.type = p.get('type') ?? '';
    this.district = p.get('district') ?? '';
    this.q = p.get('q') ?? '';
    void this.load();
  }

  title(): string {
    return t('reg.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      await this.ctx.registry();
    } catch (err) {
      this.error = err;
    }
    this.loaded = true;
    this.ctx.update();
  }

  private matches(o: Organisation): boolean {
    if (this.type && o.type !== this.type) return false;
    if (this.district && (o.district ?? '') !== this.district) return false;
    const q = this.q.trim().toLowerCase();
    if (q && !`${o.code} ${o.nameEn} ${o.nameHi}`.toLowerCase().includes(q)) return false;
    return true;
  }

  render() {
    const lang = this.ctx.lang();
    const orgs = this.ctx.orgs;
    const districts = [...new Set(orgs.map((o) => o.district ?? '').filter((d) => d))].sort();
    const shown = orgs.filter((o) => this.matches(o));
    const codeOf = new Map(orgs.map((o) => [o.id, o]));
    const admin = this.ctx.can('admin');
    return html`
      <h1 id="page-title" tabindex="-1">${t('reg.title')}</h1>
      <p class="lead">${t('reg.intro')}</p>
      <div class="toolbar" data-testid="registry-tools">
        ${admin
          ? html`<a class="button" href="/registry/import" data-testid="registry-import">${t('reg.import')}</a>
              <a class="button button--secondary" href="/registry/changes" data-testid="registry-changes">${t('reg.changes')}</a>`
          : nothing}
        <a class="button button--secondary" href=${exportURL('xlsx')} download data-testid="export-xlsx">${t('reg.exportXlsx')}</a>
        <a class="button button--secondary" href=${exportURL('zip')} download data-testid="export-csv">${t('reg.exportCsv')}</a>
      </div>
      <form class="filters" role="search" aria-label=${t('reg.filters')} data-testid="registry-filters" @submit=${(e: Event) => {
        e.preventDefault();
        const f = new FormData(e.target as HTMLFormElement);
        this.type = String(f.get('type') ?? '');
        this.district = String(f.get('district') ?? '');
        this.q = String(f.get('q') ?? '');
        const qs = new URLSearchParams();
        if (this.type) qs.set('type', this.type);
        if (this.district) qs.set('district', this.district);
        if (this.q) qs.set('q', this.q);
        this.ctx.navigate(`/registry${qs.toString() ? `?${qs}` : ''}`, { replace: true, silent: true });
        this.ctx.update();
      }}>
        <div class="field field--inline">
          <label for="r-type">${t('reg.type')}</label>
          <select id="r-type" name="type" data-testid="filter-type">
            <option value="" ?selected=${!this.type}>${t('common.all')}</option>
            ${ORG_TYPES.map((ty) => html`<option value=${ty} ?selected=${ty === this.type}>${orgTypeLabel(ty)}</option>`)}
          </select>
        </div>
        <div class="field field--inline">
          <label for="r-district">${t('reg.district')}</label>
          <select id="r-district" name="district" data-testid="filter-district">
            <option value="" ?selected=${!this.district}>${t('common.all')}</option>
            ${districts.map((d) => html`<option value=${d} ?selected=${d === this.district}>${d}</option>`)}
          </select>
        </div>
        <div class="field field--inline">
          <label for="r-q">${t('reg.search')}</label>
          <input id="r-q" name="q" type="search" .value=${this.q} data-testid="filter-q" />
        </div>
        <button type="submit" class="button button--secondary" data-testid="filter-apply">${t('common.apply')}</button>
      </form>
      ${!this.loaded
        ? loading()
        : this.error
          ? loadError(this.error, lang, () => void this.load())
          : html`<p class="muted" data-testid="registry-count">${t('reg.count', { n: shown.length, total: orgs.length })}</p>
              <div class="table-wrap">
                <table class="table" data-testid="registry-table">
                  <caption class="visually-hidden">${t('reg.title')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">${t('reg.col.code')}</th>
                      <th scope="col">${t('reg.col.name')}</th>
                      <th scope="col">${t('reg.type')}</th>
                      <th scope="col">${t('reg.col.parent')}</th>
                      <th scope="col">${t('reg.district')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${shown.map((o) => {
                      const closed = !!o.activeTo && new Date(o.activeTo).getTime() <= Date.now();
                      return html`<tr data-testid="org-row-${o.code}" data-closed=${closed ? 'true' : 'false'}>
                        <td><code>${o.code}</code></td>
                        <th scope="row">
                          <a href="/registry/orgs/${encodeURIComponent(o.id)}" data-testid="org-link-${o.code}">${nameFor(o, lang)}</a>
                          <br /><span class="small muted" lang=${lang === 'hi' ? 'en' : 'hi'}>${lang === 'hi' ? o.nameEn : o.nameHi}</span>
                          ${closed ? html` <span class="tag">${t('reg.closed')}</span>` : nothing}
                        </th>
                        <td>${orgTypeLabel(o.type)}</td>
                        <td>${o.parentId ? (codeOf.get(o.parentId)?.code ?? t('common.unknownOrg')) : t('common.none')}</td>
                        <td>${o.district || t('common.none')}</td>
                      </tr>`;
                    })}
                  </tbody>
                </table>
              </div>`}
    `;
  }
}
