// Importing the registry from CSV or Excel: choose the file (and, for CSV,
// what it holds), check it — every row's errors by line, column and
// reason, before anything is written — then import it. Imports that
// stopped can be resumed.

import { html, nothing } from 'lit-html';
import type { Ctx, View } from '../app';
import { t, hasKey } from '../i18n';
import { formatIST, isoMachine } from '../time';
import * as reg from '../registryApi';
import type { ImportBatch, ImportKind, ImportResult } from '../registryApi';
import { loadError, timeEl } from '../ui';

export class ImportView implements View {
  private kind: ImportKind | '' = '';
  private file: File | null = null;
  private result: ImportResult | null = null;
  private checkedFor = '';
  private busy = false;
  private error: unknown = null;
  private batches: ImportBatch[] = [];

  constructor(private ctx: Ctx) {
    void this.loadBatches();
  }

  title(): string {
    return t('imp.title');
  }

  private async loadBatches(): Promise<void> {
    try {
      this.batches = await reg.listImports();
    } catch {
      this.batches = [];
    }
    this.ctx.update();
  }

  private fileKey(): string {
    return this.file ? `${this.file.name}/${this.file.size}/${this.file.lastModified}/${this.kind}` : '';
  }

  private async send(dryRun: boolean): Promise<void> {
    if (!this.file || this.busy) return;
    this.busy = true;
    this.error = null;
    this.ctx.update();
    try {
      const bytes = new Uint8Array(await this.file.arrayBuffer());
      const res = await reg.importRegistry({ filename: this.file.name, kind: this.kind, data: reg.base64(bytes), dryRun });
      this.result = res;
      this.checkedFor = this.fileKey();
      if (!res.valid) this.ctx.announce(t('imp.errorsFound', { n: res.errors.length }), true);
      else if (dryRun) this.ctx.announce(t('imp.checkedOk'));
      else this.ctx.announce(t('imp.done'));
      if (!dryRun) void this.loadBatches();
    } catch (err) {
      this.error = err;
      this.result = null;
      void this.loadBatches();
    } finally {
      this.busy = false;
      this.ctx.update();
    }
  }

  render() {
    const lang = this.ctx.lang();
    const r = this.result;
    const checked = !!r && r.dryRun && r.valid && this.checkedFor === this.fileKey();
    return html`
      <h1 id="page-title" tabindex="-1">${t('imp.title')}</h1>
      <p class="lead">${t('imp.intro')}</p>
      <details class="disclosure">
        <summary>${t('imp.columnsTitle')}</summary>
        <ul>
          <li><strong>organisations</strong>: code*, type*, parent_code, name_en*, name_hi*, district, active_from, active_to</li>
          <li><strong>officers</strong>: org_code*, kind (nodal, alternate, head), name*, designation*, posting*, email*, phone*, rank, account_details, order_ref, start_date, user_email</li>
          <li><strong>accounts</strong>: org_code*, platform*, handle*, profile_url, display_name, verification, badge, two_factor, recovery_email, notes</li>
        </ul>
        <p>${t('imp.columnsNote')}</p>
      </details>
      <form class="form" data-testid="import-form" @submit=${(e: Event) => {
        e.preventDefault();
        void this.send(true);
      }}>
        <div class="field">
          <label for="imp-file">${t('imp.file')}</label>
          <p class="hint" id="imp-file-hint">${t('imp.fileHint')}</p>
          <input id="imp-file" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" data-testid="import-file"
            aria-describedby="imp-file-hint" @change=${(e: Event) => {
              this.file = (e.target as HTMLInputElement).files?.[0] ?? null;
              this.result = null;
              this.ctx.update();
            }} />
        </div>
        <div class="field">
          <label for="imp-kind">${t('imp.kind')}</label>
          <p class="hint" id="imp-kind-hint">${t('imp.kindHint')}</p>
          <select id="imp-kind" data-testid="import-kind" aria-describedby="imp-kind-hint" @change=${(e: Event) => {
            this.kind = (e.target as HTMLSelectElement).value as ImportKind | '';
            this.result = null;
            this.ctx.update();
          }}>
            <option value="">${t('imp.kindAuto')}</option>
            ${reg.IMPORT_KINDS.map((k) => html`<option value=${k} ?selected=${k === this.kind}>${t(`imp.kind.${k}`)}</option>`)}
          </select>
        </div>
        <div class="toolbar">
          <button type="submit" class="button button--secondary" ?disabled=${!this.file || this.busy} data-testid="import-check">${t('imp.check')}</button>
          <button type="button" class="button" ?disabled=${!checked || this.busy} data-testid="import-run" @click=${() => void this.send(false)}>${t('imp.run')}</button>
        </div>
        ${this.busy ? html`<p role="status" data-testid="import-busy">${t('common.working')}</p>` : nothing}
      </form>
      ${this.error ? loadError(this.error, lang, () => void this.send(true)) : nothing}
      ${r ? this.results(r) : nothing}
      ${this.batches.length ? this.history(lang) : nothing}
    `;
  }

  private results(r: ImportResult) {
    const s = r.summary;
    const counts = (k: 'organisations' | 'officers' | 'accounts') =>
      html`<tr data-testid="import-count-${k}"><th scope="row">${t(`imp.kind.${k}`)}</th><td>${s[k].create}</td><td>${s[k].update}</td><td>${s[k].unchanged}</td></tr>`;
    return html`<section class="section" aria-labelledby="imp-res-h" data-testid="import-result" data-valid=${r.valid ? 'true' : 'false'} data-dry-run=${r.dryRun ? 'true' : 'false'}>
      <h2 id="imp-res-h">${r.valid ? (r.dryRun ? t('imp.checkedOk') : t('imp.done')) : t('imp.errorsFound', { n: r.errors.length })}</h2>
      ${r.valid && !r.dryRun && r.batch ? html`<p role="status" data-testid="import-done">${t('imp.batchDone', { n: r.batch.written })}</p>` : nothing}
      ${!r.valid ? html`<p>${t('imp.nothingWritten')}</p>` : nothing}
      <table class="table" data-testid="import-summary">
        <caption>${t('imp.summary', { rows: s.rows })}</caption>
        <thead><tr><th scope="col">${t('imp.what')}</th><th scope="col">${r.dryRun ? t('imp.willCreate') : t('imp.created')}</th><th scope="col">${t('imp.updated')}</th><th scope="col">${t('imp.unchanged')}</th></tr></thead>
        <tbody>${counts('organisations')} ${counts('officers')} ${counts('accounts')}</tbody>
      </table>
      ${r.errors.length
        ? html`<div class="table-wrap"><table class="table" data-testid="import-errors">
            <caption>${t('imp.errorsCaption')}</caption>
            <thead><tr><th scope="col">${t('imp.table')}</th><th scope="col">${t('imp.line')}</th><th scope="col">${t('imp.column')}</th><th scope="col">${t('imp.reason')}</th><th scope="col">${t('imp.value')}</th></tr></thead>
            <tbody>
              ${r.errors.map(
                (e, i) => html`<tr data-testid="import-error-${i}" data-code=${e.code} data-line=${e.line} data-column=${e.column ?? ''}>
                  <td>${e.table}</td><td>${e.line}</td><td>${e.column ?? ''}${e.cell ? html` <span class="muted">(${e.cell})</span>` : nothing}</td>
                  <td>${hasKey(`imp.err.${e.code}`) ? t(`imp.err.${e.code}` as Parameters<typeof t>[0]) : ''} <span class="small" lang="en">${e.message}</span></td>
                  <td><code>${e.value ?? ''}</code></td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
        : nothing}
    </section>`;
  }

  private history(lang: 'hi' | 'en') {
    return html`<section class="section" aria-labelledby="imp-hist-h" data-testid="import-history">
      <h2 id="imp-hist-h">${t('imp.history')}</h2>
      <table class="table">
        <thead><tr><th scope="col">${t('imp.when')}</th><th scope="col">${t('imp.file')}</th><th scope="col">${t('imp.state')}</th><th scope="col"><span class="visually-hidden">${t('reg.col.actions')}</span></th></tr></thead>
        <tbody>
          ${this.batches.map(
            (b) => html`<tr data-testid="batch-${b.id}" data-status=${b.status}>
              <td>${timeEl(formatIST(b.createdAt, lang), isoMachine(b.createdAt))}</td><td>${b.filename}</td>
              <td>${t(`imp.status.${b.status}`)} ${b.error ? html`<br /><span class="small">${b.error}</span>` : nothing}</td>
              <td>${b.status !== 'done'
                ? html`<button type="button" class="button button--small" data-testid="resume-${b.id}" @click=${async () => {
                    await reg.resumeImport(b.id).catch((err: unknown) => {
                      this.error = err;
                    });
                    void this.loadBatches();
                  }}>${t('imp.resume')}</button>`
                : nothing}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>`;
  }
}
