// Intake: log a reported fake item — its addresses (checked for
// duplicates as they are typed), platform, media type (which sets the
// deadline), language, kind, a screenshot, a summary, where it was seen, and
// the organisation it concerns.

import { html, nothing, type TemplateResult } from 'lit-html';
import { live } from 'lit-html/directives/live.js';
import * as api from '../api';
import { ApiError, CASE_LANGUAGES, CASE_MEDIA, CASE_PLATFORMS, CASE_TYPES, type CaseMatch, type FieldError } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { translateError, translateFieldError, requestIdNote } from '../errors';
import { FormErrors, focusSummary } from '../ui';
import { HARYANA_DISTRICTS, caseStatusBadge, words } from './cases-ui';

const CHECK_DELAY_MS = 400;

interface Shot {
  id: string;
  name: string;
}

export class CaseNewView implements View {
  private orgId = '';
  private type = '';
  private platform = '';
  private media = 'digital';
  private language = 'hi';
  private urls = '';
  private summary = '';
  private whereSeen = '';
  private district = '';
  private shots: Shot[] = [];
  private uploading = false;
  private uploadError = '';

  private matches: CaseMatch[] = [];
  private duplicateOf = '';
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  private checkAbort: AbortController | null = null;

  private busy = false;
  private errors = new FormErrors();

  constructor(private ctx: Ctx) {
    this.orgId = ctx.user?.orgId && ctx.user.role === 'editor' ? ctx.user.orgId : '';
    void ctx.registry().catch(() => undefined);
  }

  destroy(): void {
    clearTimeout(this.checkTimer);
    this.checkAbort?.abort();
  }

  title(): string {
    return t('cases.newTitle');
  }

  private urlList(): string[] {
    return this.urls
      .split(/\s+/)
      .map((s) => s.trim())
      .filter(Boolean);
  }

  private scheduleCheck(): void {
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => void this.check(), CHECK_DELAY_MS);
  }

  /** check asks the server which cases already have these addresses. */
  private async check(): Promise<void> {
    clearTimeout(this.checkTimer);
    this.checkAbort?.abort();
    const urls = this.urlList().filter((u) => /^https?:\/\/\S+$/i.test(u));
    if (urls.length === 0) {
      this.matches = [];
      this.ctx.update();
      return;
    }
    const ctl = new AbortController();
    this.checkAbort = ctl;
    try {
      const ms = await api.checkCaseURLs(urls, ctl.signal);
      if (ctl.signal.aborted) return;
      const before = this.matches.length;
      this.matches = ms;
      if (!ms.some((m) => m.caseId === this.duplicateOf)) this.duplicateOf = '';
      if (ms.length > 0 && before === 0) this.ctx.announce(t('cases.dupFound', { n: ms.length }), true);
      this.ctx.update();
    } catch {
      // The check is a courtesy; the server checks again on submit.
    }
  }

  private async upload(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const lang = this.ctx.lang();
    this.uploadError = '';
    for (const f of [...(input.files ?? [])]) {
      this.uploading = true;
      this.ctx.update();
      try {
        const m = await api.uploadMedia(f, this.orgId || undefined);
        this.shots = [...this.shots, { id: m.id, name: m.filename || f.name }];
        this.ctx.announce(t('composer.uploaded', { name: m.filename || f.name }));
      } catch (err) {
        const fe = err instanceof ApiError ? err.fields[0] : undefined;
        this.uploadError = fe ? translateFieldError(fe, lang) : translateError(err, lang);
        const ref = requestIdNote(err, lang);
        if (ref) this.uploadError += ` ${ref}`;
        this.ctx.announce(this.uploadError, true);
        break;
      }
    }
    this.uploading = false;
    input.value = '';
    this.ctx.update();
  }

  private locate(f: FieldError): { id: string; label: string } {
    const map: Record<string, [string, string]> = {
      orgId: [this.showOrg() ? 'f-case-org' : '', t('cases.org')],
      type: ['f-case-type', t('cases.type')],
      platform: ['f-case-platform', t('cases.platform')],
      media: ['f-case-media-digital', t('cases.media')],
      language: ['f-case-language', t('cases.language')],
      summary: ['f-case-summary', t('cases.summary')],
      whereSeen: ['f-case-where', t('cases.whereSeen')],
      district: ['f-case-district', t('cases.district')],
    };
    const m = map[f.field];
    if (m) return { id: m[0], label: m[1] };
    if (f.field.startsWith('urls')) return { id: 'f-case-urls', label: t('cases.urls') };
    if (f.field.startsWith('screenshotIds')) return { id: 'f-case-file', label: t('cases.screenshot') };
    return { id: '', label: f.field };
  }

  private showOrg(): boolean {
    return this.ctx.user?.role === 'admin';
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy) return;
    const lang = this.ctx.lang();
    this.errors.clear();
    if (this.showOrg() && !this.orgId) this.errors.add('f-case-org', t('cases.org'), t('fe.required'));
    if (this.errors.any) {
      this.ctx.update();
      focusSummary();
      return;
    }
    this.busy = true;
    this.ctx.update();
    try {
      const res = await api.createCase({
        orgId: this.orgId,
        type: this.type,
        platform: this.platform,
        media: this.media,
        language: this.language,
        urls: this.urlList(),
        screenshotIds: this.shots.map((s) => s.id),
        summary: this.summary,
        whereSeen: this.whereSeen,
        district: this.district,
        duplicateOf: this.duplicateOf || undefined,
      });
      this.ctx.flash(res.linked ? t('cases.linkedDone', { ref: res.case.ref }) : t('cases.created', { ref: res.case.ref }));
      this.ctx.navigate(`/cases/${encodeURIComponent(res.case.id)}`);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.fields.some((f) => f.code === 'duplicate_url')) {
        // The server found duplicates the check had not (or the user did not choose): show them.
        this.matches = err.fields
          .filter((f) => f.code === 'duplicate_url')
          .map((f) => ({ url: '', key: '', ref: f.params?.caseRef ?? '', caseId: f.params?.caseId, status: (f.params?.status ?? 'new') as CaseMatch['status'], visible: !!f.params?.caseId }));
      }
      this.errors.fromError(err, lang, (f) => this.locate(f));
      focusSummary();
    } finally {
      this.busy = false;
      this.ctx.update();
    }
  }

  render() {
    const e = this.errors;
    const cls = (id: string) => (e.for(id).length > 0 ? 'field--error' : '');
    const select = (id: string, testid: string, label: string, value: string, options: readonly string[], prefix: string, set: (v: string) => void, hint = '') =>
      html`<div class="field ${cls(id)}">
        <label for=${id}>${label}</label>
        ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : nothing}
        ${e.fieldError(id)}
        <select id=${id} data-testid=${testid} aria-invalid=${e.invalid(id)} aria-describedby=${e.describedBy(id, !!hint)}
          @change=${(ev: Event) => set((ev.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${value === ''}>—</option>
          ${options.map((o) => html`<option value=${o} ?selected=${value === o}>${words(prefix, o)}</option>`)}
        </select>
      </div>`;
    return html`
      <h1 id="page-title" tabindex="-1">${t('cases.newTitle')}</h1>
      <p class="lead">${t('cases.newIntro')}</p>
      ${e.summary()}
      <form class="form" novalidate aria-labelledby="page-title" data-testid="case-form" @submit=${(ev: Event) => void this.submit(ev)}>
        ${this.showOrg()
          ? html`<div class="field ${cls('f-case-org')}">
              <label for="f-case-org">${t('cases.org')}</label>
              ${e.fieldError('f-case-org')}
              <select id="f-case-org" data-testid="case-org" aria-invalid=${e.invalid('f-case-org')} aria-describedby=${e.describedBy('f-case-org')}
                @change=${(ev: Event) => {
                  this.orgId = (ev.target as HTMLSelectElement).value;
                  this.shots = []; // screenshots belong to an organisation
                  this.ctx.update();
                }}>
                <option value="" ?selected=${!this.orgId}>—</option>
                ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${o.id === this.orgId}>${this.ctx.orgName(o.id)}</option>`)}
              </select>
            </div>`
          : html`<p class="org-line"><span class="muted">${t('cases.org')}:</span> <strong>${this.ctx.orgName(this.orgId)}</strong></p>`}

        <div class="field ${cls('f-case-urls')}">
          <label for="f-case-urls">${t('cases.urls')}</label>
          <p class="hint" id="f-case-urls-hint">${t('cases.urlsHint')}</p>
          ${e.fieldError('f-case-urls')}
          <textarea id="f-case-urls" rows="3" spellcheck="false" data-testid="case-urls" aria-invalid=${e.invalid('f-case-urls')}
            aria-describedby=${e.describedBy('f-case-urls', true)} .value=${live(this.urls)}
            @input=${(ev: Event) => {
              this.urls = (ev.target as HTMLTextAreaElement).value;
              this.scheduleCheck();
            }}
            @blur=${() => void this.check()}></textarea>
        </div>
        ${this.renderDuplicates()}

        ${select('f-case-type', 'case-type', t('cases.type'), this.type, CASE_TYPES, 'caseType', (v) => (this.type = v))}
        ${select('f-case-platform', 'case-platform', t('cases.platform'), this.platform, CASE_PLATFORMS, 'casePlatform', (v) => (this.platform = v))}

        <fieldset class="fieldset ${cls('f-case-media-digital')}">
          <legend>${t('cases.media')}</legend>
          <p class="hint">${t('cases.mediaHint')}</p>
          ${e.fieldError('f-case-media-digital')}
          ${CASE_MEDIA.map(
            (m) => html`<div class="radio">
              <input type="radio" id="f-case-media-${m}" name="media" value=${m} data-testid="case-media-${m}" .checked=${live(this.media === m)}
                @change=${() => {
                  this.media = m;
                  this.ctx.update();
                }} />
              <label for="f-case-media-${m}">${words('caseMedia', m)}</label>
            </div>`,
          )}
        </fieldset>

        ${select('f-case-language', 'case-language', t('cases.language'), this.language, CASE_LANGUAGES, 'caseLanguage', (v) => (this.language = v))}

        <div class="field ${cls('f-case-summary')}">
          <label for="f-case-summary">${t('cases.summary')}</label>
          <p class="hint" id="f-case-summary-hint">${t('cases.summaryHint')}</p>
          ${e.fieldError('f-case-summary')}
          <textarea id="f-case-summary" rows="4" maxlength="2000" data-testid="case-summary" aria-invalid=${e.invalid('f-case-summary')}
            aria-describedby=${e.describedBy('f-case-summary', true)} .value=${live(this.summary)}
            @input=${(ev: Event) => (this.summary = (ev.target as HTMLTextAreaElement).value)}></textarea>
        </div>
        <div class="field ${cls('f-case-where')}">
          <label for="f-case-where">${t('cases.whereSeen')} <span class="muted">${t('common.optional')}</span></label>
          <p class="hint" id="f-case-where-hint">${t('cases.whereSeenHint')}</p>
          ${e.fieldError('f-case-where')}
          <input id="f-case-where" type="text" maxlength="500" data-testid="case-where-seen" aria-describedby=${e.describedBy('f-case-where', true)}
            .value=${live(this.whereSeen)} @input=${(ev: Event) => (this.whereSeen = (ev.target as HTMLInputElement).value)} />
        </div>
        <div class="field ${cls('f-case-district')}">
          <label for="f-case-district">${t('cases.district')} <span class="muted">${t('common.optional')}</span></label>
          ${e.fieldError('f-case-district')}
          <input id="f-case-district" type="text" list="haryana-districts" maxlength="100" data-testid="case-district" .value=${live(this.district)}
            aria-describedby=${e.describedBy('f-case-district')} @input=${(ev: Event) => (this.district = (ev.target as HTMLInputElement).value)} />
          <datalist id="haryana-districts">${HARYANA_DISTRICTS.map((d) => html`<option value=${d}></option>`)}</datalist>
        </div>
        ${this.renderShots()}
        <div class="button-row">
          <button type="submit" class="button" data-testid="case-submit" ?disabled=${this.busy}>${this.busy ? t('common.working') : t('cases.submit')}</button>
          <a href="/cases">${t('common.back')}</a>
        </div>
      </form>
    `;
  }

  private renderDuplicates(): TemplateResult | typeof nothing {
    if (this.matches.length === 0) return nothing;
    const linkable = this.matches.filter((m) => m.visible && m.caseId);
    const seen = new Set<string>();
    return html`<div class="notice notice--warn" role="region" aria-labelledby="dup-title" data-testid="duplicate-warning">
      <h2 id="dup-title">${t('cases.dupTitle')}</h2>
      <ul>
        ${this.matches
          .filter((m) => (seen.has(m.ref) ? false : (seen.add(m.ref), true)))
          .map(
            (m) => html`<li data-testid="duplicate-${m.ref}">
              ${m.visible && m.caseId
                ? html`<a href="/cases/${encodeURIComponent(m.caseId)}" data-testid="duplicate-link-${m.caseId}">${m.ref}</a>`
                : html`<strong>${m.ref}</strong> <span class="muted">(${t('cases.dupElsewhere')})</span>`}
              ${caseStatusBadge(m.status)}
            </li>`,
          )}
      </ul>
      ${linkable.length > 0
        ? html`<fieldset class="fieldset">
            <legend>${t('cases.dupChoose')}</legend>
            <div class="radio">
              <input type="radio" id="dup-none" name="dup" value="" data-testid="duplicate-none" .checked=${live(this.duplicateOf === '')}
                @change=${() => {
                  this.duplicateOf = '';
                  this.ctx.update();
                }} />
              <label for="dup-none">${t('cases.dupNone')}</label>
            </div>
            ${linkable
              .filter((m, i, a) => a.findIndex((x) => x.caseId === m.caseId) === i)
              .map(
                (m) => html`<div class="radio">
                  <input type="radio" id="dup-${m.caseId}" name="dup" value=${m.caseId ?? ''} data-testid="duplicate-of-${m.caseId}"
                    .checked=${live(this.duplicateOf === m.caseId)} @change=${() => {
                      this.duplicateOf = m.caseId ?? '';
                      this.ctx.update();
                    }} />
                  <label for="dup-${m.caseId}">${m.status === 'closed' ? t('cases.dupResurfaced', { ref: m.ref }) : t('cases.dupLink', { ref: m.ref })}</label>
                </div>`,
              )}
          </fieldset>`
        : html`<p>${t('cases.dupOnlyElsewhere')}</p>`}
    </div>`;
  }

  private renderShots(): TemplateResult {
    const e = this.errors;
    const bad = e.for('f-case-file').length > 0 || this.uploadError !== '';
    return html`<div class="field ${bad ? 'field--error' : ''}">
      <label for="f-case-file">${t('cases.screenshot')} <span class="muted">${t('common.optional')}</span></label>
      <p class="hint" id="f-case-file-hint">${t('cases.screenshotHint')}</p>
      ${e.fieldError('f-case-file')}
      ${this.uploadError ? html`<p class="field-error" id="f-case-file-upload-error" data-testid="case-upload-error">${this.uploadError}</p>` : nothing}
      <input id="f-case-file" type="file" accept="image/jpeg,image/png,image/gif" data-testid="case-file" ?disabled=${this.uploading || !this.orgId}
        aria-invalid=${bad ? 'true' : nothing} aria-describedby=${this.uploadError ? 'f-case-file-hint f-case-file-upload-error' : 'f-case-file-hint'}
        @change=${(ev: Event) => void this.upload(ev)} />
      ${this.uploading ? html`<p class="muted" role="status">${t('common.working')}</p>` : nothing}
      ${this.shots.length > 0
        ? html`<ul class="thumbs" data-testid="case-screenshots">
            ${this.shots.map(
              (s, i) => html`<li class="thumb" data-testid="case-screenshot-${s.id}">
                <img src=${api.mediaUrl(s.id)} alt=${t('cases.screenshotAlt', { n: i + 1 })} />
                <span class="thumb__name">${s.name}</span>
                <button type="button" class="button button--small button--secondary" @click=${() => {
                  this.shots = this.shots.filter((x) => x.id !== s.id);
                  this.ctx.update();
                }}>${t('composer.removeImage', { n: i + 1 })}</button>
              </li>`,
            )}
          </ul>`
        : nothing}
    </div>`;
  }
}
