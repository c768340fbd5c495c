// The clarification composer: opened from a case, pre-filled from its
// summary, facts and official sources, linked to the case, for the case's
// organisation's accounts (or, with ?pr=1, the PR department's). Saving
// makes a post of kind "clarification" that goes through the normal review
// and fan-out; later edits use the ordinary composer.

import { html, nothing, type TemplateResult } from 'lit-html';
import { live } from 'lit-html/directives/live.js';
import * as api from '../api';
import { ApiError, type Account, type CaseView, type FieldError, type Post, type PostInput, type TargetMeasure } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { translateError, translateFieldError, requestIdNote } from '../errors';
import { platformName, platformOrder } from '../platforms';
import { FormErrors, accountStatusBadge, focusSummary, groupMeasures, loadError, loading, previewRows, unusableReason } from '../ui';
import { searchParams } from '../router';
import { words } from './cases-ui';

const MEASURE_DELAY_MS = 250;
/** PR_ORG_CODE is the registry code of the PR department (publisher.CaseConfig.PROrgCode). */
const PR_ORG_CODE = 'DIPRL';

export class CaseClarifyView implements View {
  private v: CaseView | null = null;
  private loadErr: unknown = null;
  private forPr: boolean;
  private orgId = '';
  private accounts: Account[] = [];

  private titleText = '';
  private bodyHi = '';
  private bodyEn = '';
  private link = '';
  private images: { id: string; name: string }[] = [];
  private altText = '';
  private targets = new Set<string>();

  private measures: TargetMeasure[] = [];
  private measuring = false;
  private measureTimer: ReturnType<typeof setTimeout> | undefined;
  private measureAbort: AbortController | null = null;
  private busy: '' | 'save' | 'submit' = '';
  private errors = new FormErrors();
  private uploadError = '';

  constructor(
    private ctx: Ctx,
    private id: string,
  ) {
    this.forPr = searchParams().get('pr') === '1';
    void this.load();
  }

  destroy(): void {
    clearTimeout(this.measureTimer);
    this.measureAbort?.abort();
  }

  title(): string {
    return this.forPr ? t('cases.clarifyTitlePR') : t('cases.clarifyTitle');
  }

  private async load(): Promise<void> {
    try {
      await this.ctx.registry().catch(() => undefined);
      this.v = await api.getCase(this.id);
      const c = this.v.case;
      this.orgId = c.orgId;
      if (this.forPr) {
        const pr = this.ctx.orgs.find((o) => o.code === PR_ORG_CODE);
        if (!pr) throw new ApiError(404, 'not_found', t('cases.noPROrg'));
        this.orgId = pr.id;
      }
      this.accounts = await api.listAccounts(this.orgId);
      this.prefill();
    } catch (err) {
      this.loadErr = err;
    }
    this.ctx.update();
    this.measureNow();
  }

  /** prefill writes a first draft from the case: the claim, the facts and the source. */
  private prefill(): void {
    const c = this.v!.case;
    const src = (c.sources ?? [])[0];
    const srcText = src ? `${src.title}${src.url ? ` ${src.url}` : ''}` : '';
    const claim = c.summary.length > 80 ? `${c.summary.slice(0, 80)}…` : c.summary;
    this.titleText = `तथ्य जाँच / Fact check: ${claim}`;
    this.bodyHi = [`#फर्जी_खबर: "${c.summary}" — यह दावा झूठा है।`, c.facts ? `सच: ${c.facts}` : '', srcText ? `स्रोत: ${srcText}` : ''].filter(Boolean).join('\n');
    this.bodyEn = [`#FakeNews: "${c.summary}" — this claim is false.`, c.facts ? `Fact: ${c.facts}` : '', srcText ? `Source: ${srcText}` : ''].filter(Boolean).join('\n');
    this.link = src?.url ?? '';
    for (const a of this.accounts) {
      const rules = this.ctx.platforms.get(a.platform);
      if (!unusableReason(a, this.ctx.platforms) && a.status === 'connected' && !rules?.requiresMedia) this.targets.add(a.id);
    }
  }

  private input(): PostInput {
    return {
      orgId: this.orgId,
      kind: 'clarification',
      title: this.titleText.trim(),
      content: { bodyHi: this.bodyHi, bodyEn: this.bodyEn, link: this.link.trim(), mediaIds: this.images.map((i) => i.id), altText: this.altText },
      targets: [...this.targets],
    };
  }

  private changed(): void {
    this.ctx.update();
    clearTimeout(this.measureTimer);
    this.measureTimer = setTimeout(() => this.measureNow(), MEASURE_DELAY_MS);
  }

  private measureNow(): void {
    clearTimeout(this.measureTimer);
    this.measureAbort?.abort();
    const input = this.input();
    if (!this.orgId || input.targets.length === 0) {
      this.measures = [];
      this.measuring = false;
      this.ctx.update();
      return;
    }
    const ctl = new AbortController();
    this.measureAbort = ctl;
    this.measuring = true;
    this.ctx.update();
    api.measure(input, ctl.signal).then(
      (ms) => {
        if (ctl.signal.aborted) return;
        this.measures = ms;
        this.measuring = false;
        this.ctx.update();
      },
      () => {
        if (ctl.signal.aborted) return;
        this.measuring = false;
        this.ctx.update();
      },
    );
  }

  private async upload(e: Event): Promise<void> {
    const el = e.target as HTMLInputElement;
    const lang = this.ctx.lang();
    this.uploadError = '';
    for (const f of [...(el.files ?? [])]) {
      try {
        const m = await api.uploadMedia(f, this.orgId);
        this.images = [...this.images, { id: m.id, name: m.filename || f.name }];
        this.ctx.announce(t('composer.uploaded', { name: m.filename || f.name }));
      } catch (err) {
        const fe = err instanceof ApiError ? err.fields[0] : undefined;
        this.uploadError = (fe ? translateFieldError(fe, lang) : translateError(err, lang)) + (requestIdNote(err, lang) ? ` ${requestIdNote(err, lang)}` : '');
        this.ctx.announce(this.uploadError, true);
        break;
      }
    }
    el.value = '';
    this.changed();
  }

  private locate(f: FieldError): { id: string; label: string } {
    const map: Record<string, [string, string]> = {
      title: ['f-clar-title', t('field.title')],
      'content.bodyHi': ['f-clar-hi', t('field.bodyHi')],
      'content.bodyEn': ['f-clar-en', t('field.bodyEn')],
      'content.body': ['f-clar-hi', t('field.body')],
      'content.link': ['f-clar-link', t('field.link')],
      'content.altText': ['f-clar-alt', t('field.altText')],
      targets: ['f-clar-targets', t('field.targets')],
      sources: ['', t('cases.sources')],
    };
    const m = map[f.field];
    if (m) return { id: m[0], label: m[1] };
    if (f.field.startsWith('targets[')) return { id: 'f-clar-targets', label: t('field.targets') };
    if (f.field.startsWith('content.mediaIds')) return { id: 'f-clar-file', label: t('field.images') };
    return { id: '', label: f.field };
  }

  private async save(submit: boolean): Promise<void> {
    if (this.busy) return;
    const lang = this.ctx.lang();
    this.errors.clear();
    this.busy = submit ? 'submit' : 'save';
    this.ctx.update();
    let post: Post | null = null;
    try {
      const res = await api.draftClarification(this.id, this.input(), this.forPr);
      post = res.post;
      if (submit) post = await api.submitPost(post.id, post.revision);
      this.ctx.flash(submit ? t('cases.clarifySubmitted') : t('cases.clarifySaved'));
      this.ctx.navigate(`/posts/${encodeURIComponent(post.id)}`);
      return;
    } catch (err) {
      if (post) {
        // The draft exists; only the submission failed: show it on its page.
        this.ctx.flash(`${t('cases.clarifySaved')} ${translateError(err, lang, 'post')}`);
        this.ctx.navigate(`/posts/${encodeURIComponent(post.id)}`);
        return;
      }
      this.errors.fromError(err, lang, (f) => this.locate(f), 'post');
      focusSummary();
    } finally {
      this.busy = '';
      this.ctx.update();
    }
  }

  render() {
    const lang = this.ctx.lang();
    const head = html`<h1 id="page-title" tabindex="-1">${this.title()}</h1>`;
    if (this.loadErr) return html`${head}${loadError(this.loadErr, lang, () => void this.load())}`;
    if (!this.v) return html`${head}${loading()}`;
    const c = this.v.case;
    const e = this.errors;
    const cls = (id: string) => (e.for(id).length > 0 ? 'field--error' : '');
    return html`
      ${head}
      <p class="notice notice--info" data-testid="clarify-case-banner">
        ${t('cases.clarifyFor', { ref: c.ref })} <a href="/cases/${encodeURIComponent(c.id)}">${t('cases.backToCase')}</a>
      </p>
      ${e.summary()}
      <div class="composer">
        <form class="form composer__form" novalidate aria-labelledby="page-title" data-testid="clarify-form" @submit=${(ev: Event) => {
          ev.preventDefault();
          void this.save(false);
        }}>
          <p class="org-line"><span class="muted">${t('composer.org')}:</span> <strong>${this.ctx.orgName(this.orgId)}</strong></p>
          <div class="box">
            <h2>${t('cases.facts')}</h2>
            ${c.facts ? html`<p class="body-text">${c.facts}</p>` : nothing}
            <ul class="plain-list">${(c.sources ?? []).map((s) => html`<li>${words('sourceKind', s.kind)}: ${s.title} ${s.url ?? ''} ${s.ref ?? ''}</li>`)}</ul>
          </div>
          <div class="field ${cls('f-clar-title')}">
            <label for="f-clar-title">${t('composer.title')}</label>
            ${e.fieldError('f-clar-title')}
            <input id="f-clar-title" type="text" maxlength="200" data-testid="clarify-title" .value=${live(this.titleText)} aria-describedby=${e.describedBy('f-clar-title')}
              @input=${(ev: Event) => (this.titleText = (ev.target as HTMLInputElement).value)} />
          </div>
          <div class="field ${cls('f-clar-hi')}">
            <label for="f-clar-hi">${t('composer.bodyHi')}</label>
            ${e.fieldError('f-clar-hi')}
            <textarea id="f-clar-hi" lang="hi" rows="6" data-testid="clarify-body-hi" .value=${live(this.bodyHi)} aria-describedby=${e.describedBy('f-clar-hi')}
              @input=${(ev: Event) => {
                this.bodyHi = (ev.target as HTMLTextAreaElement).value;
                this.changed();
              }}></textarea>
          </div>
          <div class="field ${cls('f-clar-en')}">
            <label for="f-clar-en">${t('composer.bodyEn')}</label>
            ${e.fieldError('f-clar-en')}
            <textarea id="f-clar-en" lang="en" rows="6" data-testid="clarify-body-en" .value=${live(this.bodyEn)} aria-describedby=${e.describedBy('f-clar-en')}
              @input=${(ev: Event) => {
                this.bodyEn = (ev.target as HTMLTextAreaElement).value;
                this.changed();
              }}></textarea>
          </div>
          <div class="field ${cls('f-clar-link')}">
            <label for="f-clar-link">${t('composer.link')} <span class="muted">${t('common.optional')}</span></label>
            ${e.fieldError('f-clar-link')}
            <input id="f-clar-link" type="url" spellcheck="false" data-testid="clarify-link" .value=${live(this.link)} aria-describedby=${e.describedBy('f-clar-link')}
              @input=${(ev: Event) => {
                this.link = (ev.target as HTMLInputElement).value;
                this.changed();
              }} />
          </div>
          ${this.renderImage()}
          ${this.renderTargets()}
          <div class="button-row">
            <button type="submit" class="button button--secondary" data-testid="clarify-save" ?disabled=${this.busy !== ''}>
              ${this.busy === 'save' ? t('composer.saving') : t('composer.save')}
            </button>
            <button type="button" class="button" data-testid="clarify-submit" ?disabled=${this.busy !== ''} @click=${() => void this.save(true)}>
              ${this.busy === 'submit' ? t('common.working') : t('composer.submit')}
            </button>
          </div>
        </form>
        <section class="composer__preview" aria-labelledby="clar-preview-title" data-testid="preview">
          <h2 id="clar-preview-title">${t('composer.preview')}</h2>
          <p class="muted measure-state" data-testid="measure-state" data-busy=${this.measuring ? 'true' : 'false'}>${this.measuring ? t('composer.measuring') : nothing}</p>
          ${this.targets.size === 0
            ? html`<p class="muted">${t('composer.previewEmpty')}</p>`
            : previewRows(groupMeasures(this.measures), lang, this.images.map((i) => ({ src: api.mediaUrl(i.id), alt: this.altText })), this.link.trim())}
        </section>
      </div>
    `;
  }

  private renderImage(): TemplateResult {
    return html`<div class="field ${this.uploadError || this.errors.for('f-clar-file').length ? 'field--error' : ''}">
      <label for="f-clar-file">${t('composer.file')} <span class="muted">${t('common.optional')}</span></label>
      ${this.errors.fieldError('f-clar-file')}
      ${this.uploadError ? html`<p class="field-error" id="f-clar-file-error">${this.uploadError}</p>` : nothing}
      <input id="f-clar-file" type="file" accept="image/jpeg,image/png,image/gif" data-testid="clarify-file" @change=${(ev: Event) => void this.upload(ev)} />
      ${this.images.length > 0
        ? html`<ul class="thumbs">${this.images.map((i) => html`<li class="thumb"><img src=${api.mediaUrl(i.id)} alt=${this.altText} /><span class="thumb__name">${i.name}</span></li>`)}</ul>
            <div class="field">
              <label for="f-clar-alt">${t('composer.altText')}</label>
              <textarea id="f-clar-alt" rows="2" data-testid="clarify-alt" .value=${live(this.altText)} @input=${(ev: Event) => (this.altText = (ev.target as HTMLTextAreaElement).value)}></textarea>
            </div>`
        : nothing}
    </div>`;
  }

  private renderTargets(): TemplateResult {
    const e = this.errors;
    const accts = [...this.accounts].sort((a, b) => platformOrder(a.platform) - platformOrder(b.platform) || a.handle.localeCompare(b.handle));
    return html`<fieldset class="fieldset targets ${e.for('f-clar-targets').length ? 'field--error' : ''}" id="f-clar-targets" tabindex="-1">
      <legend>${t('composer.targets')}</legend>
      <p class="hint">${t('cases.clarifyTargetsHint')}</p>
      ${e.fieldError('f-clar-targets')}
      ${accts.length === 0 ? html`<p class="muted">${t('composer.noAccounts')}</p>` : nothing}
      <ul class="checklist">
        ${accts.map((a) => {
          const id = `target-${a.id}`;
          const why = unusableReason(a, this.ctx.platforms);
          const checked = this.targets.has(a.id);
          return html`<li class="checklist__item ${why && !checked ? 'checklist__item--disabled' : ''}">
            <input type="checkbox" id=${id} data-testid=${id} .checked=${live(checked)} ?disabled=${why !== '' && !checked} aria-describedby="${id}-status"
              @change=${(ev: Event) => {
                if ((ev.target as HTMLInputElement).checked) this.targets.add(a.id);
                else this.targets.delete(a.id);
                this.changed();
              }} />
            <label for=${id}>${platformName(a.platform)} <span class="handle">${a.handle}</span></label>
            <p class="checklist__status" id="${id}-status">${accountStatusBadge(a.status)} ${why ? t('composer.cannotSelect', { reason: why }) : nothing}</p>
          </li>`;
        })}
      </ul>
    </fieldset>`;
  }
}
