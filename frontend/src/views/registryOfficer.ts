// The officer form: appointing an organisation's nodal or alternate
// officer or its head of department (administrators; the handover runs on
// saving), or changing an officer's details (administrators and the nodal
// officer at once; other editors send the change for an administrator's
// confirmation). It shows the DPDP notice: why the contact details are
// collected. A head of department needs only a name.

import { html, nothing, type TemplateResult } from 'lit-html';
import { ApiError, type Officer } from '../api';
import type { Ctx, View } from '../app';
import { t, hasKey } from '../i18n';
import * as reg from '../registryApi';
import { OFFICER_KINDS, type OfficerEdit, type OfficerKind, type RegistryOrg } from '../registryApi';
import { focusSummary, FormErrors, loadError, loading } from '../ui';
import { searchParams } from '../router';
import { dpdpNotice, nameFor } from './registryShared';

const FIELDS: { key: keyof OfficerEdit; required: boolean; type: string; autocomplete: string }[] = [
  { key: 'name', required: true, type: 'text', autocomplete: 'name' },
  { key: 'designation', required: true, type: 'text', autocomplete: 'organization-title' },
  { key: 'posting', required: true, type: 'text', autocomplete: 'off' },
  { key: 'rank', required: false, type: 'text', autocomplete: 'off' },
  { key: 'email', required: true, type: 'email', autocomplete: 'email' },
  { key: 'phone', required: true, type: 'tel', autocomplete: 'tel' },
  { key: 'accountDetails', required: false, type: 'textarea', autocomplete: 'off' },
  { key: 'orderRef', required: false, type: 'text', autocomplete: 'off' },
];

export class OfficerFormView implements View {
  private page: RegistryOrg | null = null;
  private officer: Officer | null = null;
  private error: unknown = null;
  private errors = new FormErrors();
  private busy = false;
  private kind: OfficerKind;
  private orgId: string;

  /** mode "appoint" takes the organisation's id; "edit" the officer's. */
  constructor(
    private ctx: Ctx,
    private mode: 'appoint' | 'edit',
    private id: string,
  ) {
    const p = searchParams();
    this.kind = asKind(p.get('kind'));
    this.orgId = mode === 'appoint' ? id : (p.get('org') ?? '');
    void this.load();
  }

  title(): string {
    if (this.mode !== 'appoint') return t('reg.editOfficerTitle');
    return t(this.kind === 'alternate' ? 'reg.appointAlternateTitle' : this.kind === 'head' ? 'reg.appointHeadTitle' : 'reg.appointTitle');
  }

  private async load(): Promise<void> {
    try {
      this.page = await reg.getRegistryOrg(this.orgId);
      if (this.mode === 'edit') {
        this.officer = this.page.officers.find((o) => o.id === this.id) ?? null;
        if (!this.officer) throw new ApiError(404, 'not_found', t('reg.noSuchOfficer'));
        this.kind = asKind(this.officer.kind);
      }
    } catch (err) {
      this.error = err;
    }
    this.ctx.update();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy || !this.page) return;
    const f = new FormData(e.target as HTMLFormElement);
    const edit = Object.fromEntries(FIELDS.map((x) => [x.key, String(f.get(x.key) ?? '')])) as unknown as OfficerEdit;
    this.busy = true;
    this.errors.clear();
    this.ctx.update();
    try {
      const back = `/registry/orgs/${encodeURIComponent(this.page.org.id)}`;
      if (this.mode === 'appoint') {
        const start = String(f.get('startDate') ?? '');
        await reg.appointOfficer(this.page.org.id, { ...edit, kind: this.kind, startDate: start ? `${start}T00:00:00+05:30` : null, note: String(f.get('note') ?? '') });
        this.ctx.flash(t('reg.appointed', { name: edit.name }));
      } else if (this.officer) {
        const r = await reg.editOfficer(this.officer.id, edit, String(f.get('comment') ?? ''));
        this.ctx.flash(r.pending ? t('reg.sentForConfirmation') : t('reg.officerSaved'));
      }
      this.ctx.navigate(back);
    } catch (err) {
      this.errors.fromError(err, this.ctx.lang(), (fe) => ({ id: `of-${fe.field}`, label: this.label(fe.field) }));
      this.ctx.announce(t('common.errorSummary'), true);
      focusSummary();
    } finally {
      this.busy = false;
      this.ctx.update();
    }
  }

  private label(field: string): string {
    const key = `reg.f.${field}`;
    return hasKey(key) ? t(key) : field;
  }

  render() {
    const lang = this.ctx.lang();
    if (this.error) return html`<h1 id="page-title" tabindex="-1">${this.title()}</h1>${loadError(this.error, lang, () => void this.load())}`;
    if (!this.page) return html`<h1 id="page-title" tabindex="-1">${this.title()}</h1>${loading()}`;
    const p = this.page;
    const o = this.officer;
    const e = this.errors;
    const direct = p.editsDirect || this.mode === 'appoint';
    return html`
      <p><a href="/registry/orgs/${encodeURIComponent(p.org.id)}">${t('reg.backTo', { name: nameFor(p.org, lang) })}</a></p>
      <h1 id="page-title" tabindex="-1">${this.title()}</h1>
      <p class="lead">${nameFor(p.org, lang)}</p>
      ${dpdpNotice()}
      ${!direct ? html`<p class="notice notice--warn" data-testid="needs-confirmation">${t('reg.needsConfirmation')}</p>` : nothing}
      ${this.mode === 'appoint' && p.officers.some((x) => x.kind === this.kind && !x.endDate)
        ? html`<p class="notice notice--warn" data-testid="handover-warning">${t(this.kind === 'head' ? 'reg.headHandoverWarning' : 'reg.handoverWarning')}</p>`
        : nothing}
      ${this.kind === 'head' ? html`<p class="hint" data-testid="head-hint">${t('reg.headFormHint')}</p>` : nothing}
      <form class="form" novalidate @submit=${(ev: Event) => void this.submit(ev)} data-testid="officer-form">
        ${e.summary()}
        ${FIELDS.map((x) => this.field(x, o))}
        ${this.mode === 'appoint'
          ? html`<div class="field"><label for="of-startDate">${t('reg.f.startDate')} <span class="muted">${t('common.optional')}</span></label>
                <input id="of-startDate" name="startDate" type="date" data-testid="of-startDate" aria-describedby=${e.describedBy('of-startDate')} />${e.fieldError('of-startDate')}</div>
              <div class="field"><label for="of-note">${t('reg.note')} <span class="muted">${t('common.optional')}</span></label><input id="of-note" name="note" /></div>`
          : html`<div class="field"><label for="of-comment">${t('reg.comment')} <span class="muted">${t('common.optional')}</span></label><input id="of-comment" name="comment" data-testid="of-comment" /></div>`}
        <button type="submit" class="button" ?disabled=${this.busy} data-testid="officer-submit">
          ${this.mode === 'appoint' ? t('reg.appointSubmit') : direct ? t('reg.save') : t('reg.sendForConfirmation')}
        </button>
      </form>
    `;
  }

  /** required reports whether a field must be filled in for this kind of officer. */
  private required(x: (typeof FIELDS)[number]): boolean {
    return x.required && (this.kind !== 'head' || x.key === 'name');
  }

  private field(f: (typeof FIELDS)[number], o: Officer | null): TemplateResult {
    const x = { ...f, required: this.required(f) };
    const e = this.errors;
    const id = `of-${x.key}`;
    const value = o ? String((o as unknown as Record<string, string | undefined>)[x.key] ?? '') : '';
    const label = html`<label for=${id}>${t(`reg.f.${x.key}`)} ${x.required ? html`<span class="muted">${t('common.required')}</span>` : html`<span class="muted">${t('common.optional')}</span>`}</label>`;
    const hint = x.key === 'email' || x.key === 'phone' ? html`<p class="hint" id="${id}-hint">${t('reg.personalDataHint')}</p>` : nothing;
    const described = e.describedBy(id, x.key === 'email' || x.key === 'phone');
    return html`<div class="field">
      ${label} ${hint}
      ${x.type === 'textarea'
        ? html`<textarea id=${id} name=${x.key} rows="3" data-testid=${id} .value=${value} aria-invalid=${e.invalid(id)} aria-describedby=${described}></textarea>`
        : html`<input id=${id} name=${x.key} type=${x.type} autocomplete=${x.autocomplete} data-testid=${id} .value=${value} ?required=${x.required}
            aria-invalid=${e.invalid(id)} aria-describedby=${described} />`}
      ${e.fieldError(id)}
    </div>`;
  }
}

/** asKind reads an officer kind, nodal by default. */
function asKind(v: string | null | undefined): OfficerKind {
  return (OFFICER_KINDS as readonly string[]).includes(v ?? '') ? (v as OfficerKind) : 'nodal';
}
