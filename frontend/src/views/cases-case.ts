// A case's page: its clock, details, assignment, the actions the signed-in
// user may take now (triage, facts and sources, the clarification,
// follow-ups, closure), its clarification posts, exports and the
// append-only trail.

import { html, nothing, type TemplateResult } from 'lit-html';
import { live } from 'lit-html/directives/live.js';
import * as api from '../api';
import { ApiError, CASE_ACTION_KINDS, OFFICER_RANKS, SOURCE_KINDS, TAKEDOWN_RANKS, type CaseSource, type CaseView, type FieldError } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { FormErrors, externalLink, focusSummary, loadError, loading, postStatusBadge, timeEl } from '../ui';
import { caseStatusBadge, clockBadge, escalationFlags, formatSeconds, words } from './cases-ui';

type Busy = '' | 'triage' | 'reassign' | 'facts' | 'action' | 'close';

export class CasePageView implements View {
  private v: CaseView | null = null;
  private loadErr: unknown = null;
  private busy: Busy = '';
  private errors = new FormErrors();
  private errorsFor: Busy = '';
  private done = '';

  // Triage.
  private triage: 'in' | 'not_actionable' | 'out' = 'in';
  private triageReason = '';
  private triageOrg = '';
  // Facts.
  private facts = '';
  private sources: CaseSource[] = [];
  private factsLoaded = false;
  // Follow-up.
  private actKind = '';
  private actNote = '';
  private actRef = '';
  private officerName = '';
  private officerDesignation = '';
  private officerRank = '';
  private noJS = false;
  private legalBasis = '';
  private reasons = '';
  // Closure.
  private closeNote = '';

  constructor(
    private ctx: Ctx,
    private id: string,
  ) {
    void this.load();
  }

  title(): string {
    return this.v ? t('cases.caseTitle', { ref: this.v.case.ref }) : t('app.loading');
  }

  private async load(): Promise<void> {
    this.loadErr = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      this.v = await api.getCase(this.id);
      if (!this.factsLoaded) {
        this.facts = this.v.case.facts ?? '';
        this.sources = (this.v.case.sources ?? []).map((s) => ({ ...s }));
        if (this.sources.length === 0) this.sources = [{ kind: 'circular', title: '', url: '', ref: '' }];
        this.factsLoaded = true;
      }
    } catch (err) {
      this.loadErr = err;
    }
    this.ctx.update();
  }

  private can(a: string): boolean {
    return (this.v?.actions ?? []).includes(a);
  }

  /** step runs one action, then reloads the case and says what happened. */
  private async step(which: Busy, call: () => Promise<unknown>, okMsg: string, locate: (f: FieldError) => { id: string; label: string }): Promise<boolean> {
    if (this.busy) return false;
    const lang = this.ctx.lang();
    this.errors.clear();
    this.errorsFor = which;
    this.busy = which;
    this.done = '';
    this.ctx.update();
    try {
      await call();
      this.done = okMsg;
      this.ctx.announce(okMsg);
      this.v = await api.getCase(this.id);
      return true;
    } catch (err) {
      this.errors.fromError(err, lang, locate);
      if (err instanceof ApiError && err.code === 'conflict') void this.load();
      focusSummary();
      return false;
    } finally {
      this.busy = '';
      this.ctx.update();
    }
  }

  private async doTriage(): Promise<void> {
    const inScope = this.triage !== 'out';
    const actionable = this.triage === 'in';
    await this.step(
      'triage',
      () => api.triageCase(this.id, { inScope, actionable, reason: this.triageReason, orgId: this.triageOrg || undefined }),
      actionable ? t('cases.triagedIn') : t('cases.triagedOut'),
      (f) => (f.field === 'reason' ? { id: 'f-triage-reason', label: t('cases.triageReason') } : f.field === 'orgId' ? { id: 'f-triage-org', label: t('cases.org') } : { id: '', label: '' }),
    );
  }

  private async doFacts(): Promise<void> {
    const srcs = this.sources.filter((s) => s.title.trim() || (s.url ?? '').trim() || (s.ref ?? '').trim());
    await this.step('facts', () => api.setCaseFacts(this.id, this.facts, srcs), t('cases.factsSaved'), (f) => {
      if (f.field === 'facts') return { id: 'f-facts', label: t('cases.facts') };
      const m = /^sources\[(\d+)\]\.(\w+)$/.exec(f.field);
      if (m) return { id: `f-source-${m[1]}-${m[2]}`, label: t('cases.sourceN', { n: Number(m[1]) + 1 }) };
      return { id: 'f-source-0-title', label: t('cases.sources') };
    });
  }

  private async doAction(): Promise<void> {
    const takedown = this.actKind === 'takedown_request';
    const ok = await this.step(
      'action',
      () =>
        api.addCaseAction(this.id, {
          kind: this.actKind,
          note: this.actNote,
          reference: this.actRef,
          ...(takedown
            ? { officerName: this.officerName, officerDesignation: this.officerDesignation, officerRank: this.officerRank, noJointSecretary: this.noJS, legalBasis: this.legalBasis, reasons: this.reasons }
            : {}),
        }),
      t('cases.actionLogged'),
      (f) => {
        const ids: Record<string, [string, string]> = {
          kind: ['f-action-kind', t('cases.actionKind')],
          note: ['f-action-note', t('cases.actionNote')],
          reference: ['f-action-ref', t('cases.actionRef')],
          officerName: ['f-officer-name', t('cases.officerName')],
          officerDesignation: ['f-officer-designation', t('cases.officerDesignation')],
          officerRank: ['f-officer-rank', t('cases.officerRank')],
          noJointSecretary: ['f-no-js', t('cases.noJS')],
          legalBasis: ['f-legal-basis', t('cases.legalBasis')],
          reasons: ['f-reasons', t('cases.reasons')],
        };
        const m = ids[f.field];
        return m ? { id: m[0], label: m[1] } : { id: '', label: f.field };
      },
    );
    if (ok) {
      this.actKind = this.actNote = this.actRef = this.officerName = this.officerDesignation = this.officerRank = this.legalBasis = this.reasons = '';
      this.noJS = false;
    }
  }

  private async doClose(): Promise<void> {
    await this.step('close', () => api.closeCase(this.id, this.closeNote), t('cases.closedDone'), () => ({ id: 'f-close-note', label: t('cases.closeNote') }));
  }

  render() {
    const lang = this.ctx.lang();
    if (this.loadErr) {
      const nf = this.loadErr instanceof ApiError && this.loadErr.status === 404;
      return html`<h1 id="page-title" tabindex="-1">${nf ? t('notFound.title') : t('common.loadFailed')}</h1>
        ${nf ? html`<p>${t('cases.notFound')}</p><p><a href="/cases">${t('cases.backToList')}</a></p>` : loadError(this.loadErr, lang, () => void this.load())}`;
    }
    if (!this.v) return html`<h1 id="page-title" tabindex="-1">${t('app.loading')}</h1>${loading()}`;
    const c = this.v.case;
    return html`
      <div class="page-head">
        <h1 id="page-title" tabindex="-1"><span data-testid="case-ref">${c.ref}</span></h1>
        <div data-testid="case-status" data-status=${c.status}>${caseStatusBadge(c.status)} ${escalationFlags(this.v.clock.escalationLevel, 'case-escalation')}</div>
      </div>
      <p class="lead" data-testid="case-summary">${c.summary}</p>
      ${this.done ? html`<p class="notice notice--success" role="status" data-testid="action-done">${this.done}</p>` : nothing}
      ${this.renderClock()}
      ${this.renderActions()}
      ${this.renderClarifications()}
      ${this.renderDetails()}
      ${this.renderFollowUps()}
      ${this.renderTrail()}
    `;
  }

  private renderClock(): TemplateResult {
    const lang = this.ctx.lang();
    const c = this.v!.case;
    const k = this.v!.clock;
    const time = (iso: string | undefined) => (iso ? timeEl(formatIST(iso, lang), isoMachine(iso)) : html`<span class="muted">${t('common.none')}</span>`);
    return html`<section class="section" aria-labelledby="clock-title" data-testid="case-clock-section">
      <h2 id="clock-title">${t('cases.clockTitle')}</h2>
      <p>${clockBadge(k, 'case-clock')}</p>
      <dl class="meta">
        <div><dt>${t('cases.reportedAt')}</dt><dd>${time(c.reportedAt)}</dd></div>
        ${k.applies ? html`<div><dt>${t('cases.deadline', { media: words('caseMedia', c.media) })}</dt><dd data-testid="case-deadline">${time(c.deadlineAt)}</dd></div>` : nothing}
        ${k.applies ? html`<div><dt>${t('cases.escalateDmsAt')}</dt><dd>${time(c.escalateDmsAt)}</dd></div>` : nothing}
        ${c.escalatedHodAt ? html`<div><dt>${t('cases.escalatedHodAt')}</dt><dd data-testid="escalated-hod-at">${time(c.escalatedHodAt)}</dd></div>` : nothing}
        ${c.escalatedDmsAt ? html`<div><dt>${t('cases.escalatedDmsAt')}</dt><dd data-testid="escalated-dms-at">${time(c.escalatedDmsAt)}</dd></div>` : nothing}
      </dl>
      <table class="table table--dense" data-testid="case-times">
        <caption>${t('cases.timesCaption')}</caption>
        <tbody>
          <tr><th scope="row">${t('cases.timeToAssign')}</th><td data-testid="time-to-assign">${formatSeconds(k.timeToAssign)}</td></tr>
          <tr><th scope="row">${t('cases.timeToDraft')}</th><td data-testid="time-to-draft">${formatSeconds(k.timeToDraft)}</td></tr>
          <tr><th scope="row">${t('cases.timeToPublish')}</th><td data-testid="time-to-publish">${formatSeconds(k.timeToPublish)}</td></tr>
          <tr><th scope="row">${t('cases.responseTime')}</th><td data-testid="response-time">${formatSeconds(k.responseTime)}</td></tr>
        </tbody>
      </table>
    </section>`;
  }

  private renderDetails(): TemplateResult {
    const lang = this.ctx.lang();
    const v = this.v!;
    const c = v.case;
    const row = (k: string, val: TemplateResult | string | typeof nothing, testid?: string) =>
      html`<div><dt>${k}</dt><dd data-testid=${testid ?? nothing}>${val === '' ? t('common.none') : val}</dd></div>`;
    return html`<section class="section" aria-labelledby="details-title">
      <h2 id="details-title">${t('cases.details')}</h2>
      <dl class="meta">
        ${row(t('cases.org'), this.ctx.orgName(c.orgId), 'case-org')}
        ${row(t('cases.type'), words('caseType', c.type))}
        ${row(t('cases.platform'), words('casePlatform', c.platform))}
        ${row(t('cases.media'), words('caseMedia', c.media))}
        ${row(t('cases.language'), words('caseLanguage', c.language))}
        ${row(t('cases.district'), c.district ?? '')}
        ${row(t('cases.whereSeen'), c.whereSeen ?? '')}
        ${row(t('cases.reportedBy'), html`${c.reportedByName ?? ''} · ${timeEl(formatIST(c.reportedAt, lang), isoMachine(c.reportedAt))}`)}
        ${c.linkedReports ? row(t('cases.linkedReports'), String(c.linkedReports)) : nothing}
        ${c.triage
          ? row(
              t('cases.triage'),
              html`${c.triage.inScope ? (c.triage.actionable ? t('cases.triageIn') : t('cases.triageNotActionable')) : t('cases.triageOut')}
              ${c.triage.reason ? html`— ${c.triage.reason}` : nothing} · ${c.triage.byName ?? ''}`,
              'case-triage',
            )
          : nothing}
        ${c.assignment
          ? row(
              t('cases.assignedTo'),
              html`${c.assignment.nodalName || t('cases.noNodal')}${c.assignment.alternateName ? html` · ${t('cases.alternate')}: ${c.assignment.alternateName}` : nothing}`,
              'case-assignee',
            )
          : nothing}
        ${(v.heads ?? []).length > 0 ? row(t('cases.heads'), (v.heads ?? []).map((h) => h.name).join(', ')) : nothing}
      </dl>
      <h3>${t('cases.urls')}</h3>
      ${(c.urls ?? []).length > 0
        ? html`<ul class="plain-list" data-testid="case-urls-list">${(c.urls ?? []).map((u) => html`<li>${externalLink(u, u)}</li>`)}</ul>`
        : html`<p class="muted">${t('common.none')}</p>`}
      ${(c.screenshotIds ?? []).length > 0
        ? html`<h3>${t('cases.screenshot')}</h3>
            <ul class="thumbs">
              ${(c.screenshotIds ?? []).map((id, i) => html`<li class="thumb"><a href=${api.mediaUrl(id)}><img src=${api.mediaUrl(id)} alt=${t('cases.screenshotAlt', { n: i + 1 })} /></a></li>`)}
            </ul>`
        : nothing}
      ${(v.related ?? []).length > 0 || c.duplicateOf
        ? html`<h3>${t('cases.related')}</h3>
            <ul class="plain-list" data-testid="case-related">
              ${(v.related ?? []).map(
                (m) => html`<li>${m.caseId ? html`<a href="/cases/${encodeURIComponent(m.caseId)}">${m.ref}</a>` : m.ref} ${caseStatusBadge(m.status)}</li>`,
              )}
            </ul>`
        : nothing}
      ${c.facts || (c.sources ?? []).length > 0
        ? html`<h3>${t('cases.facts')}</h3>
            ${c.facts ? html`<div class="body-text" data-testid="case-facts">${c.facts}</div>` : nothing}
            <ul class="plain-list" data-testid="case-sources">
              ${(c.sources ?? []).map(
                (s) => html`<li>${words('sourceKind', s.kind)}: ${s.url ? externalLink(s.url, s.title) : s.title}${s.ref ? html` <span class="muted">(${s.ref})</span>` : nothing}</li>`,
              )}
            </ul>`
        : nothing}
      ${c.closingNote ? html`<h3>${t('cases.closeNote')}</h3><p class="body-text" data-testid="case-closing-note">${c.closingNote}</p>` : nothing}
    </section>`;
  }

  private renderActions(): TemplateResult {
    const any = ['triage', 'reassign', 'facts', 'draft_clarification', 'draft_pr_clarification', 'follow_up', 'close'].some((a) => this.can(a));
    return html`<section class="section actions" aria-labelledby="case-actions-title" data-testid="case-actions">
      <h2 id="case-actions-title">${t('cases.actionsTitle')}</h2>
      ${this.errorsFor ? this.errors.summary() : nothing}
      ${!any ? html`<p class="muted" data-testid="case-no-actions">${t('cases.noActions')}</p>` : nothing}
      ${this.can('triage') ? this.renderTriage() : nothing}
      ${this.can('reassign')
        ? html`<p><button type="button" class="button button--secondary" data-testid="reassign" ?disabled=${this.busy !== ''}
            @click=${() => void this.step('reassign', () => api.reassignCase(this.id), t('cases.reassigned'), () => ({ id: '', label: '' }))}>${t('cases.reassign')}</button></p>`
        : nothing}
      ${this.can('facts') ? this.renderFactsForm() : nothing}
      ${this.can('draft_clarification') ? this.renderDraftButton() : nothing}
      ${this.can('close') ? this.renderClose() : nothing}
      <p class="button-row" data-testid="case-exports">
        <a class="button button--secondary button--small" href=${api.caseExportUrl(this.id, 'csv')} download data-testid="export-csv">${t('cases.exportCsv')}</a>
        <a class="button button--secondary button--small" href=${api.caseExportUrl(this.id, 'json')} download data-testid="export-json">${t('cases.exportJson')}</a>
      </p>
    </section>`;
  }

  private renderTriage(): TemplateResult {
    const e = this.errors;
    const opts: ['in' | 'not_actionable' | 'out', string][] = [
      ['in', t('cases.triageIn')],
      ['not_actionable', t('cases.triageNotActionable')],
      ['out', t('cases.triageOut')],
    ];
    return html`<form class="form box" novalidate aria-labelledby="triage-title" data-testid="triage-form" @submit=${(ev: Event) => {
      ev.preventDefault();
      void this.doTriage();
    }}>
      <h3 id="triage-title">${t('cases.triageTitle')}</h3>
      <fieldset class="fieldset">
        <legend>${t('cases.triageQuestion')}</legend>
        ${opts.map(
          ([v, label]) => html`<div class="radio">
            <input type="radio" id="f-triage-${v}" name="triage" value=${v} data-testid="triage-${v}" .checked=${live(this.triage === v)}
              @change=${() => {
                this.triage = v;
                this.ctx.update();
              }} />
            <label for="f-triage-${v}">${label}</label>
          </div>`,
        )}
      </fieldset>
      <div class="field ${e.for('f-triage-reason').length ? 'field--error' : ''}">
        <label for="f-triage-reason">${t('cases.triageReason')} ${this.triage === 'in' ? html`<span class="muted">${t('common.optional')}</span>` : nothing}</label>
        ${e.fieldError('f-triage-reason')}
        <textarea id="f-triage-reason" rows="2" data-testid="triage-reason" aria-invalid=${e.invalid('f-triage-reason')} aria-describedby=${e.describedBy('f-triage-reason')}
          .value=${live(this.triageReason)} @input=${(ev: Event) => (this.triageReason = (ev.target as HTMLTextAreaElement).value)}></textarea>
      </div>
      <div class="field">
        <label for="f-triage-org">${t('cases.triageOrg')} <span class="muted">${t('common.optional')}</span></label>
        ${e.fieldError('f-triage-org')}
        <select id="f-triage-org" data-testid="triage-org" @change=${(ev: Event) => (this.triageOrg = (ev.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${!this.triageOrg}>${t('cases.triageOrgKeep')}</option>
          ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${o.id === this.triageOrg}>${this.ctx.orgName(o.id)}</option>`)}
        </select>
      </div>
      <button type="submit" class="button" data-testid="triage-submit" ?disabled=${this.busy !== ''}>${this.busy === 'triage' ? t('common.working') : t('cases.triageSubmit')}</button>
    </form>`;
  }

  private renderFactsForm(): TemplateResult {
    const e = this.errors;
    return html`<form class="form box" novalidate aria-labelledby="facts-title" data-testid="facts-form" @submit=${(ev: Event) => {
      ev.preventDefault();
      void this.doFacts();
    }}>
      <h3 id="facts-title">${t('cases.factsTitle')}</h3>
      <p class="hint">${t('cases.factsHint')}</p>
      <div class="field ${e.for('f-facts').length ? 'field--error' : ''}">
        <label for="f-facts">${t('cases.facts')}</label>
        ${e.fieldError('f-facts')}
        <textarea id="f-facts" rows="3" data-testid="facts" .value=${live(this.facts)} aria-describedby=${e.describedBy('f-facts')}
          @input=${(ev: Event) => (this.facts = (ev.target as HTMLTextAreaElement).value)}></textarea>
      </div>
      ${this.sources.map(
        (s, i) => html`<fieldset class="fieldset" data-testid="source-${i}">
          <legend>${t('cases.sourceN', { n: i + 1 })}</legend>
          <div class="field field--inline">
            <label for="f-source-${i}-kind">${t('cases.sourceKind')}</label>
            ${e.fieldError(`f-source-${i}-kind`)}
            <select id="f-source-${i}-kind" data-testid="source-${i}-kind" @change=${(ev: Event) => (s.kind = (ev.target as HTMLSelectElement).value)}>
              ${SOURCE_KINDS.map((k) => html`<option value=${k} ?selected=${s.kind === k}>${words('sourceKind', k)}</option>`)}
            </select>
          </div>
          ${(['title', 'url', 'ref'] as const).map(
            (fld) => html`<div class="field ${e.for(`f-source-${i}-${fld}`).length ? 'field--error' : ''}">
              <label for="f-source-${i}-${fld}">${words('cases.source', fld)}</label>
              ${e.fieldError(`f-source-${i}-${fld}`)}
              <input id="f-source-${i}-${fld}" type=${fld === 'url' ? 'url' : 'text'} data-testid="source-${i}-${fld}" .value=${live(s[fld] ?? '')}
                aria-invalid=${e.invalid(`f-source-${i}-${fld}`)} aria-describedby=${e.describedBy(`f-source-${i}-${fld}`)}
                @input=${(ev: Event) => (s[fld] = (ev.target as HTMLInputElement).value)} />
            </div>`,
          )}
          ${this.sources.length > 1
            ? html`<button type="button" class="button button--small button--secondary" @click=${() => {
                this.sources = this.sources.filter((_, j) => j !== i);
                this.ctx.update();
              }}>${t('cases.removeSource', { n: i + 1 })}</button>`
            : nothing}
        </fieldset>`,
      )}
      <div class="button-row">
        <button type="button" class="button button--secondary" data-testid="add-source" @click=${() => {
          this.sources = [...this.sources, { kind: 'website', title: '', url: '', ref: '' }];
          this.ctx.update();
        }}>${t('cases.addSource')}</button>
        <button type="submit" class="button" data-testid="facts-save" ?disabled=${this.busy !== ''}>${this.busy === 'facts' ? t('common.working') : t('cases.factsSave')}</button>
      </div>
    </form>`;
  }

  private renderDraftButton(): TemplateResult {
    const hasSources = (this.v!.case.sources ?? []).length > 0;
    return html`<div class="box" data-testid="draft-box">
      <h3>${t('cases.clarification')}</h3>
      ${hasSources
        ? html`<p>${t('cases.draftHint')}</p>
            <a class="button" href="/cases/${encodeURIComponent(this.id)}/clarify" data-testid="draft-clarification">${t('cases.draft')}</a>`
        : html`<p class="notice notice--info" data-testid="draft-needs-sources">${t('cases.draftNeedsSources')}</p>`}
    </div>`;
  }

  private renderClarifications(): TemplateResult | typeof nothing {
    const posts = this.v!.posts ?? [];
    const c = this.v!.case;
    if (posts.length === 0 && !this.can('draft_pr_clarification')) return nothing;
    return html`<section class="section" aria-labelledby="clar-title">
      <h2 id="clar-title">${t('cases.clarifications')}</h2>
      ${posts.length === 0 ? html`<p class="muted">${t('cases.noClarification')}</p>` : nothing}
      <ul class="plain-list" data-testid="clarification-posts">
        ${posts.map(
          (p) => html`<li data-testid="clarification-post-${p.id}" data-status=${p.status}>
            <a href="/posts/${encodeURIComponent(p.id)}">${p.title || t('common.untitled')}</a> ${postStatusBadge(p.status)}
            <span class="muted small">· ${this.ctx.orgName(p.orgId)}
              ${p.id === c.clarificationPostId ? html` · ${t('cases.primaryPost')}` : (c.pastPostIds ?? []).includes(p.id) ? html` · ${t('cases.pastPost')}` : html` · ${t('cases.prPost')}`}</span>
          </li>`,
        )}
      </ul>
      ${this.can('draft_pr_clarification')
        ? html`<p><a class="button button--secondary" href="/cases/${encodeURIComponent(this.id)}/clarify?pr=1" data-testid="draft-pr-clarification">${t('cases.draftPR')}</a></p>`
        : nothing}
    </section>`;
  }

  private renderFollowUps(): TemplateResult {
    const lang = this.ctx.lang();
    const acts = this.v!.case.actions ?? [];
    const e = this.errors;
    const takedown = this.actKind === 'takedown_request';
    const cls = (id: string) => (e.for(id).length > 0 ? 'field--error' : '');
    const text = (id: string, testid: string, label: string, value: string, set: (v: string) => void, area = false, hint = '') =>
      html`<div class="field ${cls(id)}">
        <label for=${id}>${label}</label>
        ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : nothing}
        ${e.fieldError(id)}
        ${area
          ? html`<textarea id=${id} rows="2" data-testid=${testid} aria-invalid=${e.invalid(id)} aria-describedby=${e.describedBy(id, !!hint)} .value=${live(value)}
              @input=${(ev: Event) => set((ev.target as HTMLTextAreaElement).value)}></textarea>`
          : html`<input id=${id} type="text" data-testid=${testid} aria-invalid=${e.invalid(id)} aria-describedby=${e.describedBy(id, !!hint)} .value=${live(value)}
              @input=${(ev: Event) => set((ev.target as HTMLInputElement).value)} />`}
      </div>`;
    return html`<section class="section" aria-labelledby="followups-title">
      <h2 id="followups-title">${t('cases.followUps')}</h2>
      ${acts.length === 0
        ? html`<p class="muted">${t('cases.noFollowUps')}</p>`
        : html`<ol class="trail" data-testid="case-actions-list">
            ${acts.map(
              (a) => html`<li class="trail__item" data-kind=${a.kind}>
                <p><strong>${words('caseAction', a.kind)}</strong> · ${a.byName ?? ''} · ${timeEl(formatIST(a.at, lang), isoMachine(a.at))}
                  ${a.reference ? html` · ${t('cases.actionRef')}: ${a.reference}` : nothing}</p>
                <p>${a.note}</p>
                ${a.kind === 'takedown_request'
                  ? html`<p class="small">${t('cases.takedownBy', { name: a.officerName ?? '', rank: words('rank', a.officerRank ?? '') })} · ${t('cases.legalBasis')}: ${a.legalBasis} · ${t('cases.reasons')}: ${a.reasons}</p>`
                  : nothing}
              </li>`,
            )}
          </ol>`}
      ${this.can('follow_up')
        ? html`<form class="form box" novalidate aria-labelledby="action-title" data-testid="action-form" @submit=${(ev: Event) => {
            ev.preventDefault();
            void this.doAction();
          }}>
            <h3 id="action-title">${t('cases.logAction')}</h3>
            <div class="field ${cls('f-action-kind')}">
              <label for="f-action-kind">${t('cases.actionKind')}</label>
              ${e.fieldError('f-action-kind')}
              <select id="f-action-kind" data-testid="action-kind" aria-invalid=${e.invalid('f-action-kind')} aria-describedby=${e.describedBy('f-action-kind')}
                @change=${(ev: Event) => {
                  this.actKind = (ev.target as HTMLSelectElement).value;
                  this.ctx.update();
                }}>
                <option value="" ?selected=${!this.actKind}>—</option>
                ${CASE_ACTION_KINDS.map((k) => html`<option value=${k} ?selected=${this.actKind === k}>${words('caseAction', k)}</option>`)}
              </select>
            </div>
            ${text('f-action-note', 'action-note', t('cases.actionNote'), this.actNote, (v) => (this.actNote = v), true)}
            ${text('f-action-ref', 'action-reference', `${t('cases.actionRef')} ${t('common.optional')}`, this.actRef, (v) => (this.actRef = v))}
            ${takedown
              ? html`<fieldset class="fieldset" data-testid="takedown-fields">
                  <legend>${t('cases.takedownTitle')}</legend>
                  <p class="hint" id="takedown-rule">${t('cases.takedownRule')}</p>
                  ${text('f-officer-name', 'action-officer-name', t('cases.officerName'), this.officerName, (v) => (this.officerName = v))}
                  ${text('f-officer-designation', 'action-officer-designation', t('cases.officerDesignation'), this.officerDesignation, (v) => (this.officerDesignation = v))}
                  <div class="field ${cls('f-officer-rank')}">
                    <label for="f-officer-rank">${t('cases.officerRank')}</label>
                    ${e.fieldError('f-officer-rank')}
                    <select id="f-officer-rank" data-testid="action-officer-rank" aria-invalid=${e.invalid('f-officer-rank')}
                      aria-describedby=${['takedown-rule', e.describedBy('f-officer-rank')].filter((x) => typeof x === 'string').join(' ')}
                      @change=${(ev: Event) => {
                        this.officerRank = (ev.target as HTMLSelectElement).value;
                        this.ctx.update();
                      }}>
                      <option value="" ?selected=${!this.officerRank}>—</option>
                      ${OFFICER_RANKS.map(
                        (r) => html`<option value=${r} ?selected=${this.officerRank === r}>${words('rank', r)}${TAKEDOWN_RANKS.includes(r) ? '' : ` — ${t('cases.rankTooLow')}`}</option>`,
                      )}
                    </select>
                  </div>
                  ${this.officerRank === 'director'
                    ? html`<div class="field ${cls('f-no-js')}">
                        ${e.fieldError('f-no-js')}
                        <div class="radio">
                          <input type="checkbox" id="f-no-js" data-testid="action-no-js" .checked=${live(this.noJS)}
                            @change=${(ev: Event) => (this.noJS = (ev.target as HTMLInputElement).checked)} />
                          <label for="f-no-js">${t('cases.noJS')}</label>
                        </div>
                      </div>`
                    : nothing}
                  ${text('f-legal-basis', 'action-legal-basis', t('cases.legalBasis'), this.legalBasis, (v) => (this.legalBasis = v), false, t('cases.legalBasisHint'))}
                  ${text('f-reasons', 'action-reasons', t('cases.reasons'), this.reasons, (v) => (this.reasons = v), true)}
                </fieldset>`
              : nothing}
            <button type="submit" class="button" data-testid="action-submit" ?disabled=${this.busy !== ''}>${this.busy === 'action' ? t('common.working') : t('cases.logActionSubmit')}</button>
          </form>`
        : nothing}
    </section>`;
  }

  private renderClose(): TemplateResult {
    const e = this.errors;
    return html`<form class="form box" novalidate aria-labelledby="close-title" data-testid="close-form" @submit=${(ev: Event) => {
      ev.preventDefault();
      void this.doClose();
    }}>
      <h3 id="close-title">${t('cases.closeTitle')}</h3>
      <div class="field ${e.for('f-close-note').length ? 'field--error' : ''}">
        <label for="f-close-note">${t('cases.closeNote')}</label>
        <p class="hint" id="f-close-note-hint">${t('cases.closeHint')}</p>
        ${e.fieldError('f-close-note')}
        <textarea id="f-close-note" rows="3" data-testid="close-note" aria-invalid=${e.invalid('f-close-note')} aria-describedby=${e.describedBy('f-close-note', true)}
          .value=${live(this.closeNote)} @input=${(ev: Event) => (this.closeNote = (ev.target as HTMLTextAreaElement).value)}></textarea>
      </div>
      <button type="submit" class="button button--warning" data-testid="close-submit" ?disabled=${this.busy !== ''}>${this.busy === 'close' ? t('common.working') : t('cases.closeSubmit')}</button>
    </form>`;
  }

  private renderTrail(): TemplateResult {
    const lang = this.ctx.lang();
    const evs = this.v!.events ?? [];
    return html`<section class="section" aria-labelledby="trail-title">
      <h2 id="trail-title">${t('cases.trail')}</h2>
      <p data-testid="trail-ok" data-ok=${this.v!.trailOk ? 'true' : 'false'} class=${this.v!.trailOk ? 'muted' : 'notice notice--error'}>
        ${this.v!.trailOk ? t('cases.trailOk') : t('cases.trailBroken')}
      </p>
      <ol class="trail" data-testid="case-trail">
        ${evs.map(
          (ev) => html`<li class="trail__item" data-testid="case-event-${ev.seq}" data-kind=${ev.kind} data-to=${ev.to ?? ''}>
            <p>
              <strong>${words('caseEvent', ev.kind)}</strong>
              ${ev.to ? html` · ${ev.from ? html`${words('caseStatus', ev.from)} → ` : nothing}${words('caseStatus', ev.to)}` : nothing}
              ${ev.actorName ? html` · ${ev.actorName}` : nothing}
              · ${timeEl(formatIST(ev.at, lang), isoMachine(ev.at))}
            </p>
            ${ev.note ? html`<blockquote class="trail__comment">${ev.note}</blockquote>` : nothing}
          </li>`,
        )}
      </ol>
    </section>`;
  }
}
