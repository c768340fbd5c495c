// The composer: write a post once (Hindi, English or both), choose the
// accounts, tune per platform, schedule in IST, and see the exact count per
// platform from POST /api/v1/measure while typing.

import { html, nothing, type TemplateResult } from 'lit-html';
import { live } from 'lit-html/directives/live.js';
import * as api from '../api';
import { ApiError, PLATFORMS, type Account, type FieldError, type Platform, type Post, type PostInput, type PostStatus, type TargetMeasure } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { translateError, translateFieldError, requestIdNote } from '../errors';
import { formatIST, istLocalToUTC, utcToISTLocal } from '../time';
import { platformName, platformOrder } from '../platforms';
import { FormErrors, unusableReason, accountStatusBadge, focusSummary, groupMeasures, loadError, loading, previewRows } from '../ui';

const MEASURE_DELAY_MS = 250;
const EDITABLE: readonly PostStatus[] = ['draft', 'in_review', 'changes_requested', 'rejected', 'approved'];
const SUBMITTABLE: readonly PostStatus[] = ['draft', 'changes_requested', 'rejected'];

interface Image {
  id: string;
  name: string;
  src: string;
}

export class ComposerView implements View {
  // What the post says.
  private orgId = '';
  private titleText = '';
  private bodyHi = '';
  private bodyEn = '';
  private link = '';
  private images: Image[] = [];
  private altText = '';
  private targets = new Set<string>();
  private variants: Partial<Record<Platform, string>> = {};
  private scheduleMode: 'now' | 'at' = 'now';
  private scheduledLocal = '';

  // The post being edited.
  private postId: string | null;
  private revision = 0;
  private status: PostStatus | null = null;

  // Registry data.
  private accounts: Account[] = [];
  private accountsError: unknown = null;

  // Page state.
  private loaded = false;
  private loadErr: unknown = null;
  private busy: '' | 'save' | 'submit' = '';
  private errors = new FormErrors();
  private conflict = false;
  private dirty = false;
  private savedAt = '';
  private uploading = '';
  private uploadError = '';
  private sentTargets: string[] = [];

  // Live measuring.
  private measures: TargetMeasure[] = [];
  private measuring = false;
  private measureError = '';
  private measureTimer: ReturnType<typeof setTimeout> | undefined;
  private measureAbort: AbortController | null = null;
  private measureSeq = 0;
  private overPlatforms = new Set<string>();

  private readonly beforeUnload = (e: BeforeUnloadEvent) => {
    if (this.dirty) {
      e.preventDefault();
      e.returnValue = '';
    }
  };

  constructor(
    private ctx: Ctx,
    postId: string | null,
  ) {
    this.postId = postId;
    window.addEventListener('beforeunload', this.beforeUnload);
    void this.load();
  }

  destroy(): void {
    window.removeEventListener('beforeunload', this.beforeUnload);
    clearTimeout(this.measureTimer);
    this.measureAbort?.abort();
  }

  title(): string {
    return this.postId ? t('composer.editTitle') : t('composer.newTitle');
  }

  // ---- Loading ----

  private async load(): Promise<void> {
    this.loadErr = null;
    this.conflict = false;
    try {
      await this.ctx.registry().catch(() => undefined);
      if (this.postId) {
        const d = await api.getPost(this.postId);
        this.fill(d.post);
      } else {
        this.orgId = this.ctx.user?.orgId ?? '';
        if (!this.orgId && this.ctx.orgs.length === 1) this.orgId = this.ctx.orgs[0]?.id ?? '';
      }
      await this.loadAccounts();
    } catch (err) {
      this.loadErr = err;
    }
    this.loaded = true;
    this.ctx.update();
    this.measureNow();
  }

  private fill(p: Post): void {
    this.orgId = p.orgId;
    this.titleText = p.title;
    this.bodyHi = p.content.bodyHi ?? '';
    this.bodyEn = p.content.bodyEn ?? '';
    this.link = p.content.link ?? '';
    this.images = (p.content.mediaIds ?? []).map((id) => ({ id, name: '', src: api.mediaUrl(id) }));
    this.altText = p.content.altText ?? '';
    this.targets = new Set(p.targets ?? []);
    this.variants = {};
    for (const [k, v] of Object.entries(p.content.variants ?? {})) {
      if (v?.text) this.variants[k as Platform] = v.text;
    }
    this.scheduleMode = p.scheduledAt ? 'at' : 'now';
    this.scheduledLocal = p.scheduledAt ? utcToISTLocal(p.scheduledAt) : '';
    this.revision = p.revision;
    this.status = p.status;
    this.dirty = false;
  }

  private async loadAccounts(): Promise<void> {
    this.accountsError = null;
    this.accounts = [];
    if (!this.orgId) return;
    try {
      this.accounts = await api.listAccounts(this.orgId);
    } catch (err) {
      this.accountsError = err;
    }
  }

  private async reloadPost(): Promise<void> {
    this.loaded = false;
    this.errors.clear();
    this.ctx.update();
    await this.load();
    document.getElementById('page-title')?.focus();
  }

  // ---- Editing ----

  private changed(): void {
    this.dirty = true;
    this.ctx.update();
    this.scheduleMeasure();
  }

  private input(): PostInput {
    const chosen = [...this.targets];
    const platforms = new Set(chosen.map((id) => this.accounts.find((a) => a.id === id)?.platform).filter(Boolean));
    const variants: Partial<Record<Platform, { text: string }>> = {};
    for (const p of PLATFORMS) {
      const v = this.variants[p]?.trim();
      if (v && platforms.has(p)) variants[p] = { text: v };
    }
    return {
      orgId: this.orgId,
      kind: 'post',
      title: this.titleText.trim(),
      content: {
        bodyHi: this.bodyHi,
        bodyEn: this.bodyEn,
        link: this.link.trim(),
        mediaIds: this.images.map((i) => i.id),
        altText: this.altText,
        variants,
      },
      targets: chosen,
    };
  }

  // ---- Measuring ----

  private scheduleMeasure(): void {
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
      this.measureError = '';
      this.ctx.update();
      return;
    }
    const seq = ++this.measureSeq;
    const ctl = new AbortController();
    this.measureAbort = ctl;
    this.measuring = true;
    this.ctx.update();
    api.measure(input, ctl.signal).then(
      (ms) => {
        if (seq !== this.measureSeq) return;
        this.measures = ms;
        this.measuring = false;
        this.measureError = '';
        this.announceOver(ms);
        this.ctx.update();
      },
      (err: unknown) => {
        if (seq !== this.measureSeq || (err instanceof DOMException && err.name === 'AbortError')) return;
        this.measuring = false;
        this.measureError = `${t('composer.measureFailed')} ${translateError(err, this.ctx.lang())}`;
        this.ctx.update();
      },
    );
  }

  /** announceOver speaks once when a platform's text goes over its limit. */
  private announceOver(ms: TargetMeasure[]): void {
    const over = new Set(ms.filter((m) => m.limit > 0 && m.count > m.limit).map((m) => m.platform as string));
    for (const p of over) {
      if (!this.overPlatforms.has(p)) this.ctx.announce(t('composer.overAnnounce', { platform: platformName(p) }));
    }
    this.overPlatforms = over;
  }

  // ---- Images ----

  private async upload(e: Event): Promise<void> {
    const inputEl = e.target as HTMLInputElement;
    const files = [...(inputEl.files ?? [])];
    this.uploadError = '';
    for (const f of files) {
      this.uploading = f.name;
      this.ctx.announce(t('composer.uploading', { name: f.name }));
      this.ctx.update();
      try {
        const m = await api.uploadMedia(f, this.orgId || undefined);
        this.images = [...this.images, { id: m.id, name: m.filename || f.name, src: api.mediaUrl(m.id) }];
        this.ctx.announce(t('composer.uploaded', { name: m.filename || f.name }));
        this.dirty = true;
      } catch (err) {
        const lang = this.ctx.lang();
        const fe = err instanceof ApiError ? err.fields : [];
        const first = fe[0];
        this.uploadError = first ? translateFieldError(first, lang) : translateError(err, lang);
        const ref = requestIdNote(err, lang);
        if (ref) this.uploadError += ` ${ref}`;
        this.ctx.announce(this.uploadError, true);
        break;
      }
    }
    this.uploading = '';
    inputEl.value = '';
    this.ctx.update();
    this.scheduleMeasure();
  }

  private removeImage(i: number): void {
    this.images = this.images.filter((_, j) => j !== i);
    this.ctx.announce(t('composer.imageRemoved'));
    this.changed();
    requestAnimationFrame(() => document.getElementById('f-file')?.focus());
  }

  // ---- Saving ----

  private locate(f: FieldError): { id: string; label: string } {
    const fld = f.field;
    const simple: Record<string, [string, string]> = {
      title: ['f-title', t('field.title')],
      'content.bodyHi': ['f-body-hi', t('field.bodyHi')],
      'content.bodyEn': ['f-body-en', t('field.bodyEn')],
      'content.body': ['f-body-hi', t('field.body')],
      'content.link': ['f-link', t('field.link')],
      'content.altText': ['f-alt', t('field.altText')],
      targets: ['f-targets', t('field.targets')],
      scheduledAt: [this.scheduleMode === 'at' ? 'f-scheduled' : 'f-schedule-now', t('field.scheduledAt')],
      orgId: [this.showOrgSelect() ? 'f-org' : '', t('field.orgId')],
      kind: ['', t('field.kind')],
    };
    const s = simple[fld];
    if (s) return { id: s[0], label: s[1] };
    if (fld.startsWith('content.mediaIds')) return { id: 'f-file', label: t('field.images') };
    let m = /^content\.variants\.([a-z]+)(\.text)?$/.exec(fld);
    if (m?.[1]) return { id: `f-variant-${m[1]}`, label: t('field.variant', { platform: platformName(m[1]) }) };
    m = /^targets\[(\d+)\]$/.exec(fld);
    if (m?.[1]) {
      const accountId = this.sentTargets[Number(m[1])] ?? f.params?.account ?? '';
      const a = this.accounts.find((x) => x.id === accountId);
      return { id: a ? `target-${a.id}` : 'f-targets', label: a ? `${platformName(a.platform)} ${a.handle}` : t('field.targets') };
    }
    return { id: '', label: fld };
  }

  private async save(submit: boolean): Promise<void> {
    if (this.busy) return;
    const lang = this.ctx.lang();
    this.errors.clear();
    this.conflict = false;
    const input = this.input();
    if (this.showOrgSelect() && !this.orgId) this.errors.add('f-org', t('field.orgId'), t('composer.noOrg'));
    if (this.scheduleMode === 'at') {
      const utc = istLocalToUTC(this.scheduledLocal);
      if (!utc) this.errors.add('f-scheduled', t('field.scheduledAt'), t('fe.required'));
      else input.scheduledAt = utc;
    } else {
      input.scheduledAt = null;
    }
    if (this.errors.any) {
      this.ctx.update();
      focusSummary();
      return;
    }
    this.sentTargets = input.targets;
    this.busy = submit ? 'submit' : 'save';
    this.ctx.update();
    try {
      let post: Post;
      if (!this.postId) {
        post = await api.createPost(input);
        this.postId = post.id;
        this.ctx.navigate(`/posts/${encodeURIComponent(post.id)}/edit`, { replace: true, silent: true });
      } else {
        post = await api.updatePost(this.postId, this.revision, input);
      }
      this.revision = post.revision;
      this.status = post.status;
      this.dirty = false;
      if (submit) {
        if (SUBMITTABLE.includes(post.status)) post = await api.submitPost(post.id, post.revision);
        this.ctx.flash(t('composer.submitted'));
        this.ctx.navigate(`/posts/${encodeURIComponent(post.id)}`);
        return;
      }
      this.savedAt = formatIST(post.updatedAt || new Date(), lang);
      this.ctx.announce(t('composer.saved', { time: this.savedAt }));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'conflict') {
        this.conflict = true;
        this.ctx.announce(t('composer.conflictTitle'), true);
        requestAnimationFrame(() => document.getElementById('conflict')?.focus());
      } else {
        this.errors.fromError(err, lang, (f) => this.locate(f), 'post');
        focusSummary();
      }
    } finally {
      this.busy = '';
      this.ctx.update();
    }
  }

  private showOrgSelect(): boolean {
    return !this.postId && this.ctx.user?.role === 'admin';
  }

  private async changeOrg(id: string): Promise<void> {
    this.orgId = id;
    this.targets.clear();
    this.images = [];
    this.variants = {};
    this.dirty = true;
    await this.loadAccounts();
    this.ctx.update();
    this.measureNow();
  }

  // ---- Rendering ----

  render() {
    const lang = this.ctx.lang();
    const head = html`<h1 id="page-title" tabindex="-1">${this.title()}</h1>`;
    if (!this.loaded) return html`${head}${loading()}`;
    if (this.loadErr) return html`${head}${loadError(this.loadErr, lang, () => void this.load())}`;
    if (this.status && !EDITABLE.includes(this.status)) {
      return html`${head}
        <p class="notice notice--warn" data-testid="not-editable">${t('composer.notEditable', { status: t(`postStatus.${this.status}`) })}</p>
        <p><a href="/posts/${encodeURIComponent(this.postId ?? '')}">${t('composer.backToPost')}</a></p>`;
    }
    const e = this.errors;
    const canSubmit = this.status === null || SUBMITTABLE.includes(this.status);
    return html`
      ${head}
      ${this.conflict
        ? html`<div class="notice notice--error" id="conflict" role="alert" tabindex="-1" data-testid="conflict">
            <h2>${t('composer.conflictTitle')}</h2>
            <p>${t('composer.conflict')}</p>
            <button type="button" class="button" data-testid="conflict-reload" @click=${() => void this.reloadPost()}>${t('composer.reloadPost')}</button>
          </div>`
        : nothing}
      ${this.status === 'approved' ? html`<p class="notice notice--warn">${t('composer.approvedWarn')}</p>` : nothing}
      ${this.status === 'in_review' ? html`<p class="notice notice--info">${t('composer.inReviewWarn')}</p>` : nothing}
      ${e.summary()}
      <div class="composer">
        <form class="form composer__form" novalidate aria-labelledby="page-title" @submit=${(ev: Event) => {
          ev.preventDefault();
          void this.save(false);
        }}>
          ${this.renderOrg()}
          <div class="field ${cls(e, 'f-title')}">
            <label for="f-title">${t('composer.title')} <span class="muted">${t('common.optional')}</span></label>
            <p class="hint" id="f-title-hint">${t('composer.titleHint')}</p>
            ${e.fieldError('f-title')}
            <input id="f-title" type="text" maxlength="200" data-testid="title" aria-invalid=${e.invalid('f-title')}
              aria-describedby=${e.describedBy('f-title', true)} .value=${live(this.titleText)}
              @input=${(ev: Event) => {
                this.titleText = (ev.target as HTMLInputElement).value;
                this.dirty = true;
              }} />
          </div>

          <fieldset class="fieldset">
            <legend>${t('field.body')}</legend>
            <p class="hint" id="f-body-hint">${t('composer.bodyHint')}</p>
            <div class="field ${cls(e, 'f-body-hi')}">
              <label for="f-body-hi">${t('composer.bodyHi')}</label>
              ${e.fieldError('f-body-hi')}
              <textarea id="f-body-hi" lang="hi" rows="7" data-testid="body-hi" aria-invalid=${e.invalid('f-body-hi')}
                aria-describedby=${describe('f-body-hint', e.describedBy('f-body-hi'))} .value=${live(this.bodyHi)}
                @input=${(ev: Event) => {
                  this.bodyHi = (ev.target as HTMLTextAreaElement).value;
                  this.changed();
                }}></textarea>
            </div>
            <div class="field ${cls(e, 'f-body-en')}">
              <label for="f-body-en">${t('composer.bodyEn')}</label>
              ${e.fieldError('f-body-en')}
              <textarea id="f-body-en" lang="en" rows="7" data-testid="body-en" aria-invalid=${e.invalid('f-body-en')}
                aria-describedby=${describe('f-body-hint', e.describedBy('f-body-en'))} .value=${live(this.bodyEn)}
                @input=${(ev: Event) => {
                  this.bodyEn = (ev.target as HTMLTextAreaElement).value;
                  this.changed();
                }}></textarea>
            </div>
          </fieldset>

          <div class="field ${cls(e, 'f-link')}">
            <label for="f-link">${t('composer.link')} <span class="muted">${t('common.optional')}</span></label>
            <p class="hint" id="f-link-hint">${t('composer.linkHint')}</p>
            ${e.fieldError('f-link')}
            <input id="f-link" type="url" inputmode="url" spellcheck="false" data-testid="link" aria-invalid=${e.invalid('f-link')}
              aria-describedby=${e.describedBy('f-link', true)} .value=${live(this.link)}
              @input=${(ev: Event) => {
                this.link = (ev.target as HTMLInputElement).value;
                this.changed();
              }} />
          </div>

          ${this.renderImages()}
          ${this.renderTargets()}
          ${this.renderVariants()}
          ${this.renderSchedule()}

          <div class="button-row">
            <button type="submit" class="button button--secondary" data-testid="save" ?disabled=${this.busy !== ''}>
              ${this.busy === 'save' ? t('composer.saving') : canSubmit ? t('composer.save') : t('composer.saveChanges')}
            </button>
            ${canSubmit
              ? html`<button type="button" class="button" data-testid="submit" ?disabled=${this.busy !== ''} @click=${() => void this.save(true)}>
                  ${this.busy === 'submit' ? t('common.working') : t('composer.submit')}
                </button>`
              : nothing}
            ${this.postId ? html`<a href="/posts/${encodeURIComponent(this.postId)}">${t('composer.backToPost')}</a>` : nothing}
          </div>
          <p class="save-status" data-testid="save-status">
            ${this.savedAt ? t('composer.saved', { time: this.savedAt }) : nothing}
            ${this.dirty && this.savedAt ? html` · ${t('composer.unsaved')}` : nothing}
          </p>
        </form>
        ${this.renderPreview()}
      </div>
    `;
  }

  private renderOrg(): TemplateResult | typeof nothing {
    const e = this.errors;
    if (!this.showOrgSelect()) {
      return html`<p class="org-line"><span class="muted">${t('composer.org')}:</span> <strong>${this.ctx.orgName(this.orgId)}</strong></p>`;
    }
    return html`<div class="field ${cls(e, 'f-org')}">
      <label for="f-org">${t('composer.org')}</label>
      ${e.fieldError('f-org')}
      <select id="f-org" data-testid="org" aria-invalid=${e.invalid('f-org')} aria-describedby=${e.describedBy('f-org')}
        @change=${(ev: Event) => void this.changeOrg((ev.target as HTMLSelectElement).value)}>
        <option value="" ?selected=${!this.orgId}>—</option>
        ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${o.id === this.orgId}>${this.ctx.orgName(o.id)}</option>`)}
      </select>
    </div>`;
  }

  private renderImages(): TemplateResult {
    const e = this.errors;
    return html`<fieldset class="fieldset">
      <legend>${t('composer.images')}</legend>
      <div class="field ${cls(e, 'f-file')} ${this.uploadError ? 'field--error' : ''}">
        <label for="f-file">${t('composer.file')}</label>
        ${e.fieldError('f-file')}
        ${this.uploadError ? html`<p class="field-error" id="f-file-upload-error" data-testid="upload-error">${this.uploadError}</p>` : nothing}
        <input id="f-file" type="file" accept="image/jpeg,image/png,image/gif" multiple data-testid="file"
          aria-invalid=${e.invalid('f-file') !== nothing || this.uploadError ? 'true' : nothing}
          aria-describedby=${describe(this.uploadError ? 'f-file-upload-error' : '', e.describedBy('f-file'))}
          ?disabled=${this.uploading !== '' || !this.orgId}
          @change=${(ev: Event) => void this.upload(ev)} />
        ${this.uploading ? html`<p class="muted" role="status">${t('composer.uploading', { name: this.uploading })}</p>` : nothing}
      </div>
      ${this.images.length > 0
        ? html`<ul class="thumbs" data-testid="images">
            ${this.images.map(
              (img, i) => html`<li class="thumb" data-testid="image-${img.id}">
                <img src=${img.src} alt=${this.altText || t('composer.imageAlt', { n: i + 1 })} />
                <span class="thumb__name">${img.name || t('composer.imageAlt', { n: i + 1 })}</span>
                <button type="button" class="button button--small button--secondary" data-testid="remove-image-${img.id}"
                  @click=${() => this.removeImage(i)}>${t('composer.removeImage', { n: i + 1 })}</button>
              </li>`,
            )}
          </ul>
          <div class="field ${cls(e, 'f-alt')}">
            <label for="f-alt">${t('composer.altText')}</label>
            <p class="hint" id="f-alt-hint">${t('composer.altHint')}</p>
            ${e.fieldError('f-alt')}
            <textarea id="f-alt" rows="2" maxlength="1000" data-testid="alt-text" aria-invalid=${e.invalid('f-alt')}
              aria-describedby=${e.describedBy('f-alt', true)} .value=${live(this.altText)}
              @input=${(ev: Event) => {
                this.altText = (ev.target as HTMLTextAreaElement).value;
                this.dirty = true;
                this.ctx.update();
              }}></textarea>
          </div>`
        : nothing}
    </fieldset>`;
  }

  /** why an account cannot be chosen, or '' if it can. */
  private unusable(a: Account): string {
    return unusableReason(a, this.ctx.platforms);
  }

  private renderTargets(): TemplateResult {
    const e = this.errors;
    const lang = this.ctx.lang();
    const groups = new Map<string, Account[]>();
    for (const a of [...this.accounts].sort((x, y) => platformOrder(x.platform) - platformOrder(y.platform) || x.handle.localeCompare(y.handle))) {
      const g = groups.get(a.platform) ?? [];
      g.push(a);
      groups.set(a.platform, g);
    }
    return html`<fieldset class="fieldset targets ${cls(e, 'f-targets')}" id="f-targets" tabindex="-1"
      aria-describedby=${describe('f-targets-hint', e.describedBy('f-targets'))}>
      <legend>${t('composer.targets')}</legend>
      <p class="hint" id="f-targets-hint">${t('composer.targetsHint')}</p>
      ${e.fieldError('f-targets')}
      ${this.accounts.length > 1
        ? html`<div class="button-row">
            <button type="button" class="button button--small button--secondary" data-testid="targets-all"
              ?disabled=${this.accounts.every((a) => this.targets.has(a.id) || this.unusable(a) !== '')} @click=${() => this.selectAllTargets()}>
              ${t('composer.targetsAll')}
            </button>
            <button type="button" class="button button--small button--secondary" data-testid="targets-none"
              ?disabled=${this.targets.size === 0} @click=${() => this.clearTargets()}>${t('composer.targetsNone')}</button>
          </div>`
        : nothing}
      ${this.accountsError ? loadError(this.accountsError, lang, () => void this.loadAccounts().then(() => this.ctx.update())) : nothing}
      ${!this.orgId ? html`<p class="muted">${t('composer.noOrg')}</p>` : nothing}
      ${this.orgId && !this.accountsError && this.accounts.length === 0 ? html`<p class="muted">${t('composer.noAccounts')}</p>` : nothing}
      ${[...groups.entries()].map(
        ([platform, accts]) => html`<fieldset class="platform-group" data-testid="platform-group-${platform}">
          <legend>${platformName(platform)}</legend>
          <ul class="checklist">
            ${accts.map((a) => {
              const id = `target-${a.id}`;
              const why = this.unusable(a);
              const checked = this.targets.has(a.id);
              const disabled = why !== '' && !checked;
              const warn =
                a.status === 'needs_reconnect' ? t('composer.warnReconnect') : a.status === 'disconnected' ? t('composer.warnDisconnected') : '';
              return html`<li class="checklist__item ${disabled ? 'checklist__item--disabled' : ''} ${cls(e, id)}">
                <input type="checkbox" id=${id} data-testid=${id} .checked=${live(checked)} ?disabled=${disabled}
                  aria-invalid=${e.invalid(id)} aria-describedby=${describe(`${id}-status`, e.describedBy(id))}
                  @change=${(ev: Event) => {
                    if ((ev.target as HTMLInputElement).checked) this.targets.add(a.id);
                    else this.targets.delete(a.id);
                    this.changed();
                  }} />
                <label for=${id}>
                  <span class="handle">${a.handle}</span>
                  ${a.displayName && a.displayName !== a.handle ? html` <span class="muted">(${a.displayName})</span>` : nothing}
                  ${a.sandbox ? html` <span class="tag">${t('accounts.sandbox')}</span>` : nothing}
                </label>
                <p class="checklist__status" id="${id}-status">
                  ${accountStatusBadge(a.status)}
                  ${why ? html` <span>${t('composer.cannotSelect', { reason: why })}</span>` : nothing}
                  ${!why && warn ? html` <span>${warn}</span>` : nothing}
                </p>
                ${e.fieldError(id)}
              </li>`;
            })}
          </ul>
        </fieldset>`,
      )}
    </fieldset>`;
  }

  /** chooses every account that can be chosen (the others keep their reason). */
  private selectAllTargets(): void {
    for (const a of this.accounts) {
      if (this.unusable(a) === '') this.targets.add(a.id);
    }
    this.changed();
  }

  private clearTargets(): void {
    this.targets.clear();
    this.changed();
  }

  private selectedPlatforms(): Platform[] {
    const set = new Set<Platform>();
    for (const id of this.targets) {
      const a = this.accounts.find((x) => x.id === id);
      if (a) set.add(a.platform);
    }
    return PLATFORMS.filter((p) => set.has(p));
  }

  private renderVariants(): TemplateResult {
    const e = this.errors;
    const ps = this.selectedPlatforms();
    const anyVariant = ps.some((p) => (this.variants[p] ?? '') !== '');
    return html`<details class="fieldset variants" ?open=${anyVariant || e.items.some((i) => i.id.startsWith('f-variant-'))}>
      <summary>${t('composer.variants')} <span class="muted">${t('common.optional')}</span></summary>
      <p class="hint" id="f-variants-hint">${t('composer.variantsHint')}</p>
      ${ps.length === 0 ? html`<p class="muted">${t('composer.variantsNone')}</p>` : nothing}
      ${ps.map((p) => {
        const id = `f-variant-${p}`;
        return html`<div class="field ${cls(e, id)}">
          <label for=${id}>${t('composer.variantFor', { platform: platformName(p) })}</label>
          ${e.fieldError(id)}
          <textarea id=${id} rows="4" data-testid="variant-${p}" aria-invalid=${e.invalid(id)}
            aria-describedby=${describe('f-variants-hint', e.describedBy(id))} .value=${live(this.variants[p] ?? '')}
            @input=${(ev: Event) => {
              this.variants[p] = (ev.target as HTMLTextAreaElement).value;
              this.changed();
            }}></textarea>
        </div>`;
      })}
    </details>`;
  }

  private renderSchedule(): TemplateResult {
    const e = this.errors;
    const lang = this.ctx.lang();
    const utc = this.scheduleMode === 'at' ? istLocalToUTC(this.scheduledLocal) : null;
    return html`<fieldset class="fieldset ${cls(e, 'f-scheduled')} ${cls(e, 'f-schedule-now')}">
      <legend>${t('composer.schedule')}</legend>
      ${e.fieldError('f-schedule-now')}
      <div class="radio">
        <input type="radio" id="f-schedule-now" name="schedule" value="now" data-testid="schedule-now" .checked=${live(this.scheduleMode === 'now')}
          aria-describedby=${e.describedBy('f-schedule-now')}
          @change=${() => {
            this.scheduleMode = 'now';
            this.dirty = true;
            this.ctx.update();
          }} />
        <label for="f-schedule-now">${t('composer.scheduleNow')}</label>
      </div>
      <div class="radio">
        <input type="radio" id="f-schedule-at" name="schedule" value="at" data-testid="schedule-at" .checked=${live(this.scheduleMode === 'at')}
          @change=${() => {
            this.scheduleMode = 'at';
            this.dirty = true;
            this.ctx.update();
          }} />
        <label for="f-schedule-at">${t('composer.scheduleAt')}</label>
      </div>
      ${this.scheduleMode === 'at'
        ? html`<div class="field field--nested">
            <label for="f-scheduled">${t('composer.scheduledAt')}</label>
            <p class="hint" id="f-scheduled-hint">${t('composer.scheduledAtHint')}</p>
            ${e.fieldError('f-scheduled')}
            <input id="f-scheduled" type="datetime-local" step="60" data-testid="scheduled-at" aria-invalid=${e.invalid('f-scheduled')}
              aria-describedby=${describe('f-scheduled-hint f-scheduled-echo', e.describedBy('f-scheduled'))} .value=${live(this.scheduledLocal)}
              @input=${(ev: Event) => {
                this.scheduledLocal = (ev.target as HTMLInputElement).value;
                this.dirty = true;
                this.ctx.update();
              }} />
            <p class="muted" id="f-scheduled-echo" data-testid="scheduled-echo">${utc ? formatIST(utc, lang) : nothing}</p>
          </div>`
        : nothing}
    </fieldset>`;
  }

  private renderPreview(): TemplateResult {
    const lang = this.ctx.lang();
    const rows = groupMeasures(this.measures);
    const images = this.images.map((img, i) => ({ src: img.src, alt: this.altText || t('composer.imageAlt', { n: i + 1 }) }));
    return html`<section class="composer__preview" aria-labelledby="preview-title" data-testid="preview">
      <h2 id="preview-title">${t('composer.preview')}</h2>
      <p class="hint">${t('composer.previewHint')}</p>
      <p class="muted measure-state" data-testid="measure-state" data-busy=${this.measuring ? 'true' : 'false'}>
        ${this.measuring ? t('composer.measuring') : nothing}
      </p>
      ${this.measureError ? html`<p class="notice notice--error">${this.measureError}</p>` : nothing}
      ${this.targets.size === 0 ? html`<p class="muted">${t('composer.previewEmpty')}</p>` : previewRows(rows, lang, images, this.link.trim())}
    </section>`;
  }
}

function cls(e: FormErrors, id: string): string {
  return e.for(id).length > 0 ? 'field--error' : '';
}

/** describe joins aria-describedby ids, dropping empty parts. */
function describe(first: string, rest: string | typeof nothing): string | typeof nothing {
  const parts = [first, rest === nothing ? '' : rest].join(' ').trim();
  return parts || nothing;
}
