// One organisation's registry page: its details and lineage (renames,
// merges), its nodal and alternate officers and its head of department
// (contact details only for those who may see them), handovers waiting for
// credential rotation, its accounts with their registry details, and its
// history.

import './registry.css';
import { html, nothing, type TemplateResult } from 'lit-html';
import { ORG_TYPES, PLATFORMS, type Officer, type Organisation, type Platform } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { platformName } from '../platforms';
import * as reg from '../registryApi';
import type { Handover, OrgHistory, RegistryAccount, RegistryOrg, TwoFactor, Verification } from '../registryApi';
import { accountStatusBadge, deliveryStatusBadge, externalLink, focusSummary, FormErrors, loadError, loading, timeEl } from '../ui';
import { nameFor, officerKindLabel, orgTypeLabel, wordLabel } from './registryShared';

type Panel = '' | 'edit' | 'merge' | 'register' | `profile-${string}` | `vacate-${string}`;

export class RegistryOrgView implements View {
  private page: RegistryOrg | null = null;
  private history: OrgHistory | null = null;
  private error: unknown = null;
  private panel: Panel = '';
  private errors = new FormErrors();
  private busy = false;
  private done = '';

  constructor(
    private ctx: Ctx,
    private orgId: string,
  ) {
    void this.load();
  }

  title(): string {
    return this.page ? nameFor(this.page.org, this.ctx.lang()) : t('reg.orgTitle');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      [this.page, this.history] = await Promise.all([reg.getRegistryOrg(this.orgId), reg.getOrgHistory(this.orgId)]);
    } catch (err) {
      this.error = err;
    }
    this.ctx.update();
  }

  private open(p: Panel): void {
    this.panel = this.panel === p ? '' : p;
    this.errors.clear();
    this.done = '';
    this.ctx.update();
  }

  private async run(what: () => Promise<unknown>, doneMsg: string, locate: (f: string) => string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.errors.clear();
    this.ctx.update();
    try {
      await what();
      this.panel = '';
      this.done = doneMsg;
      this.ctx.announce(doneMsg);
      await this.load();
    } catch (err) {
      this.errors.fromError(err, this.ctx.lang(), (f) => ({ id: locate(f.field), label: f.field }));
      this.ctx.announce(t('common.errorSummary'), true);
      focusSummary();
    } finally {
      this.busy = false;
      this.ctx.update();
    }
  }

  render() {
    const lang = this.ctx.lang();
    if (this.error) return html`<h1 id="page-title" tabindex="-1">${t('reg.orgTitle')}</h1>${loadError(this.error, lang, () => void this.load())}`;
    const p = this.page;
    if (!p) return html`<h1 id="page-title" tabindex="-1">${t('reg.orgTitle')}</h1>${loading()}`;
    const o = p.org;
    const now = Date.now();
    const current = p.officers.filter((x) => isCurrent(x, now));
    const past = p.officers.filter((x) => !isCurrent(x, now));
    return html`
      <p><a href="/registry">${t('reg.back')}</a></p>
      <h1 id="page-title" tabindex="-1" data-testid="org-title">${nameFor(o, lang)}</h1>
      <p class="lead" lang=${lang === 'hi' ? 'en' : 'hi'}>${lang === 'hi' ? o.nameEn : o.nameHi}</p>
      ${this.done ? html`<div class="notice notice--info" role="status" data-testid="org-done"><p>${this.done}</p></div>` : nothing}
      ${p.lineage.successor
        ? html`<div class="notice notice--warn" role="note" data-testid="org-successor">
            <p>${t('reg.mergedInto')} <a href="/registry/orgs/${encodeURIComponent(p.lineage.successor.id)}">${nameFor(p.lineage.successor, lang)}</a></p>
          </div>`
        : nothing}
      <dl class="details" data-testid="org-details">
        <dt>${t('reg.col.code')}</dt><dd><code>${o.code}</code></dd>
        <dt>${t('reg.type')}</dt><dd>${orgTypeLabel(o.type)}</dd>
        <dt>${t('reg.col.parent')}</dt><dd>${p.parent ? html`<a href="/registry/orgs/${encodeURIComponent(p.parent.id)}">${nameFor(p.parent, lang)}</a>` : t('common.none')}</dd>
        <dt>${t('reg.district')}</dt><dd>${o.district || t('common.none')}</dd>
        <dt>${t('reg.activeFrom')}</dt><dd>${day(o.activeFrom, lang)}</dd>
        <dt>${t('reg.activeTo')}</dt><dd>${day(o.activeTo, lang)}</dd>
        ${p.children.length
          ? html`<dt>${t('reg.units')}</dt>
              <dd>${p.children.map((c, i) => html`${i ? ', ' : ''}<a href="/registry/orgs/${encodeURIComponent(c.id)}">${c.code}</a>`)}</dd>`
          : nothing}
        ${(p.lineage.predecessors ?? []).length
          ? html`<dt>${t('reg.predecessors')}</dt>
              <dd data-testid="org-predecessors">${(p.lineage.predecessors ?? []).map((c, i) => html`${i ? ', ' : ''}${nameFor(c, lang)} (${c.code})`)}</dd>`
          : nothing}
      </dl>
      ${p.canAdmin
        ? html`<div class="toolbar">
            <button type="button" class="button button--secondary" aria-expanded=${this.panel === 'edit'} @click=${() => this.open('edit')} data-testid="org-edit">${t('reg.editOrg')}</button>
            <button type="button" class="button button--secondary" aria-expanded=${this.panel === 'merge'} @click=${() => this.open('merge')} data-testid="org-merge">${t('reg.merge')}</button>
          </div>`
        : nothing}
      ${this.panel === 'edit' ? this.editForm(o) : nothing} ${this.panel === 'merge' ? this.mergeForm(o) : nothing}

      <section class="section" aria-labelledby="officers-h" data-testid="org-officers">
        <h2 id="officers-h">${t('reg.officers')}</h2>
        ${!p.seesContacts ? html`<p class="muted small" data-testid="contacts-hidden">${t('reg.contactsHidden')}</p>` : nothing}
        ${reg.OFFICER_KINDS.map((kind) => {
          const o2 = current.find((x) => x.kind === kind);
          return html`<div class="card" data-testid="officer-${kind}">
            <h3>${t(`reg.kind.${kind}`)}</h3>
            ${kind === 'head' ? html`<p class="small muted">${t('reg.headIntro')}</p>` : nothing}
            ${o2 ? this.officerCard(o2, p) : html`<p class="muted" data-testid="officer-${kind}-none">${t('reg.noOfficer')}</p>`}
            ${p.canAdmin
              ? html`<div class="row-actions">
                  <a class="button button--secondary" href="/registry/orgs/${encodeURIComponent(o.id)}/appoint?kind=${kind}" data-testid="appoint-${kind}"
                    >${o2 ? t('reg.appointNew') : t('reg.appoint')}</a
                  >
                  ${o2
                    ? html`<button type="button" class="button button--secondary" aria-expanded=${this.panel === `vacate-${o2.id}`}
                        @click=${() => this.open(`vacate-${o2.id}`)} data-testid="vacate-${kind}">${t('reg.vacate')}</button>`
                    : nothing}
                </div>
                ${o2 && this.panel === `vacate-${o2.id}` ? this.vacateForm(o2) : nothing}`
              : nothing}
          </div>`;
        })}
        ${p.pendingChanges > 0 ? html`<p data-testid="pending-changes">${t('reg.pendingChanges', { n: p.pendingChanges })}</p>` : nothing}
        ${past.length ? this.pastOfficers(past, lang) : nothing}
      </section>

      ${p.openHandovers.length ? this.handovers(p.openHandovers, p) : nothing}

      <section class="section" aria-labelledby="accounts-h" data-testid="org-accounts">
        <h2 id="accounts-h">${t('reg.accounts')}</h2>
        ${this.accountsTable(p, lang)}
        ${p.canEditAccounts
          ? html`<button type="button" class="button button--secondary" aria-expanded=${this.panel === 'register'} @click=${() => this.open('register')} data-testid="register-account"
              >${t('reg.registerAccount')}</button
            >`
          : nothing}
        ${this.panel === 'register' ? this.registerForm(o) : nothing}
      </section>

      ${this.history ? this.historySection(this.history, lang) : nothing}
    `;
  }

  private officerCard(o: Officer, p: RegistryOrg): TemplateResult {
    const lang = this.ctx.lang();
    return html`<dl class="details" data-testid="officer-card-${o.id}">
        <dt>${t('reg.f.name')}</dt><dd data-testid="officer-name">${o.name}</dd>
        <dt>${t('reg.f.designation')}</dt><dd>${o.designation || t('common.none')}</dd>
        <dt>${t('reg.f.posting')}</dt><dd>${o.posting || t('common.none')}</dd>
        ${o.rank ? html`<dt>${t('reg.f.rank')}</dt><dd>${o.rank}</dd>` : nothing}
        <dt>${t('reg.f.email')}</dt><dd data-testid="officer-email">${p.seesContacts ? o.email || t('common.none') : t('reg.hidden')}</dd>
        <dt>${t('reg.f.phone')}</dt><dd data-testid="officer-phone">${p.seesContacts ? o.phone || t('common.none') : t('reg.hidden')}</dd>
        ${o.accountDetails ? html`<dt>${t('reg.f.accountDetails')}</dt><dd>${o.accountDetails}</dd>` : nothing}
        ${o.orderRef ? html`<dt>${t('reg.f.orderRef')}</dt><dd>${o.orderRef}</dd>` : nothing}
        <dt>${t('reg.f.startDate')}</dt><dd>${day(o.startDate, lang)}</dd>
      </dl>
      ${p.canEditOfficers
        ? html`<a class="button button--secondary" href="/registry/officers/${encodeURIComponent(o.id)}/edit?org=${encodeURIComponent(p.org.id)}" data-testid="edit-officer-${o.kind}"
            >${t('reg.editOfficer')}</a
          >`
        : nothing}`;
  }

  private pastOfficers(past: Officer[], lang: 'hi' | 'en'): TemplateResult {
    return html`<h3>${t('reg.pastOfficers')}</h3>
      <div class="table-wrap">
        <table class="table" data-testid="past-officers">
          <thead><tr><th scope="col">${t('reg.f.name')}</th><th scope="col">${t('reg.f.kind')}</th><th scope="col">${t('reg.f.designation')}</th><th scope="col">${t('reg.f.startDate')}</th><th scope="col">${t('reg.f.endDate')}</th></tr></thead>
          <tbody>
            ${past.map((o) => html`<tr data-kind=${o.kind}><th scope="row">${o.name}</th><td>${officerKindLabel(o.kind)}</td><td>${o.designation}</td><td>${day(o.startDate, lang)}</td><td>${day(o.endDate, lang)}</td></tr>`)}
          </tbody>
        </table>
      </div>`;
  }

  private handovers(hs: Handover[], p: RegistryOrg): TemplateResult {
    const lang = this.ctx.lang();
    return html`<section class="section" aria-labelledby="handover-h" data-testid="handovers">
      <h2 id="handover-h">${t('reg.rotation')}</h2>
      <p>${t('reg.rotationIntro')}</p>
      ${hs.map(
        (h) => html`<div class="card" data-testid="handover-${h.id}" data-status=${h.status}>
          <p>${h.toOfficerId
              ? t('reg.handoverOn', { date: day(h.effectiveAt, lang), name: h.appointed?.name ?? '' })
              : t('reg.vacatedOn', { date: day(h.effectiveAt, lang), kind: t(`reg.kind.${h.kind}`) })}
            ${h.accessRevoked ? html` · ${t('reg.accessRevoked')}` : h.accessNote ? html` · ${h.accessNote}` : nothing}</p>
          <ul class="plain-list">
            ${(h.accounts ?? []).map(
              (a) => html`<li data-testid="rotation-${a.accountId}" data-rotated=${a.rotatedAt ? 'true' : 'false'}>
                ${platformName(a.platform)} ${a.handle} —
                ${a.rotatedAt
                  ? html`<span class="badge badge--good"><span class="badge__icon" aria-hidden="true">✓</span>${t('reg.rotated', { date: day(a.rotatedAt, lang) })}</span>`
                  : p.canEditAccounts
                    ? html`<button type="button" class="button button--small" data-testid="confirm-rotation-${a.accountId}" ?disabled=${this.busy}
                        @click=${() => void this.run(() => reg.confirmRotation(h.id, a.accountId), t('reg.rotationConfirmed'), () => '')}>${t('reg.confirmRotation')}</button>`
                    : html`<span class="badge badge--warn">${t('reg.notRotated')}</span>`}
              </li>`,
            )}
          </ul>
        </div>`,
      )}
    </section>`;
  }

  private accountsTable(p: RegistryOrg, lang: 'hi' | 'en'): TemplateResult {
    if (p.accounts.length === 0) return html`<p class="muted" data-testid="accounts-none">${t('reg.noAccounts')}</p>`;
    const sorted = [...p.accounts].sort((a, b) => PLATFORMS.indexOf(a.platform) - PLATFORMS.indexOf(b.platform));
    return html`<div class="table-wrap">
      <table class="table" data-testid="accounts-table">
        <thead>
          <tr>
            <th scope="col">${t('reg.col.platform')}</th><th scope="col">${t('reg.col.account')}</th><th scope="col">${t('reg.col.connection')}</th>
            <th scope="col">${t('reg.col.verification')}</th><th scope="col">${t('reg.col.twoFactor')}</th><th scope="col">${t('reg.col.recovery')}</th>
            ${p.canEditAccounts ? html`<th scope="col"><span class="visually-hidden">${t('reg.col.actions')}</span></th>` : nothing}
          </tr>
        </thead>
        <tbody>
          ${sorted.map(
            (a) => html`<tr data-testid="reg-account-${a.id}" data-working=${a.working ? 'true' : 'false'} data-platform=${a.platform}>
                <td>${platformName(a.platform)} ${a.required ? html`<span class="tag">${t('reg.required')}</span>` : nothing}</td>
                <th scope="row">${a.profileUrl ? externalLink(a.profileUrl, a.handle) : a.handle}</th>
                <td>${accountStatusBadge(a.status)}${a.defunct ? html`<br /><span class="small">${a.platform === 'koo' ? t('platform.koo.defunct') : a.defunct}</span>` : nothing}
                  ${a.tokenExpiresAt ? html`<br /><span class="small">${t('reg.expires')} ${timeEl(formatIST(a.tokenExpiresAt, lang), isoMachine(a.tokenExpiresAt))}</span>` : nothing}</td>
                <td>${wordLabel('reg.verification', a.profile.verification)}${a.profile.badge ? ` (${wordLabel('reg.badge', a.profile.badge)})` : ''}</td>
                <td>${wordLabel('reg.twoFactor', a.profile.twoFactor)}</td>
                <td>${a.profile.recoveryEmail || t('common.none')}</td>
                ${p.canEditAccounts
                  ? html`<td><button type="button" class="button button--small button--secondary" aria-expanded=${this.panel === `profile-${a.id}`}
                      @click=${() => this.open(`profile-${a.id}`)} data-testid="edit-profile-${a.id}">${t('reg.editProfile')}<span class="visually-hidden"> ${a.handle}</span></button></td>`
                  : nothing}
              </tr>
              ${this.panel === `profile-${a.id}` ? html`<tr><td colspan="7">${this.profileForm(a)}</td></tr>` : nothing}`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  private profileForm(a: RegistryAccount): TemplateResult {
    const e = this.errors;
    const submit = (ev: Event) => {
      ev.preventDefault();
      const f = new FormData(ev.target as HTMLFormElement);
      void this.run(
        () =>
          reg.saveAccountProfile(a.id, {
            verification: String(f.get('verification')) as Verification,
            badge: String(f.get('badge') ?? ''),
            twoFactor: String(f.get('twoFactor')) as TwoFactor,
            recoveryEmail: String(f.get('recoveryEmail') ?? ''),
            notes: String(f.get('notes') ?? ''),
          }),
        t('reg.profileSaved'),
        (field) => `pf-${field}`,
      );
    };
    return html`<form class="form form--inline" @submit=${submit} data-testid="profile-form" novalidate>
      ${e.summary()}
      <div class="field"><label for="pf-verification">${t('reg.col.verification')}</label>
        <select id="pf-verification" name="verification">${reg.VERIFICATIONS.map((v) => html`<option value=${v} ?selected=${a.profile.verification === v}>${wordLabel('reg.verification', v)}</option>`)}</select></div>
      <div class="field"><label for="pf-badge">${t('reg.badgeLabel')}</label>
        <select id="pf-badge" name="badge">${['', 'blue', 'grey', 'gold'].map((v) => html`<option value=${v} ?selected=${(a.profile.badge ?? '') === v}>${v ? wordLabel('reg.badge', v) : t('common.none')}</option>`)}</select></div>
      <div class="field"><label for="pf-twoFactor">${t('reg.col.twoFactor')}</label>
        <select id="pf-twoFactor" name="twoFactor">${reg.TWO_FACTORS.map((v) => html`<option value=${v} ?selected=${a.profile.twoFactor === v}>${wordLabel('reg.twoFactor', v)}</option>`)}</select></div>
      <div class="field"><label for="pf-recoveryEmail">${t('reg.col.recovery')}</label>
        <input id="pf-recoveryEmail" name="recoveryEmail" type="email" .value=${a.profile.recoveryEmail ?? ''} aria-invalid=${e.invalid('pf-recoveryEmail')} aria-describedby=${e.describedBy('pf-recoveryEmail')} />
        ${e.fieldError('pf-recoveryEmail')}</div>
      <div class="field"><label for="pf-notes">${t('reg.notes')}</label><input id="pf-notes" name="notes" .value=${a.profile.notes ?? ''} /></div>
      <button type="submit" class="button" ?disabled=${this.busy} data-testid="profile-save">${t('reg.save')}</button>
    </form>`;
  }

  /** vacateForm records that the officer has left with nobody appointed yet. */
  private vacateForm(o: Officer): TemplateResult {
    const e = this.errors;
    const submit = (ev: Event) => {
      ev.preventDefault();
      const f = new FormData(ev.target as HTMLFormElement);
      const end = String(f.get('endDate') ?? '');
      void this.run(
        () =>
          reg.endOfficerTerm(o.id, {
            endDate: end ? `${end}T00:00:00+05:30` : null,
            note: String(f.get('note') ?? ''),
            revokeAccess: o.kind === 'head' ? false : f.get('revokeAccess') === 'on',
          }),
        t('reg.vacated', { name: o.name }),
        (field) => `vf-${field === 'officerId' ? 'endDate' : field}`,
      );
    };
    return html`<form class="form" @submit=${submit} data-testid="vacate-form" novalidate>
      ${e.summary()}
      <p>${t('reg.vacateIntro', { name: o.name })}</p>
      <div class="field"><label for="vf-endDate">${t('reg.vacateDate')} <span class="muted">${t('common.optional')}</span></label>
        <input id="vf-endDate" name="endDate" type="date" data-testid="vf-endDate" aria-invalid=${e.invalid('vf-endDate')} aria-describedby=${e.describedBy('vf-endDate')} />${e.fieldError('vf-endDate')}</div>
      <div class="field"><label for="vf-note">${t('reg.note')} <span class="muted">${t('common.optional')}</span></label>
        <input id="vf-note" name="note" type="text" maxlength="500" data-testid="vf-note" aria-invalid=${e.invalid('vf-note')} aria-describedby=${e.describedBy('vf-note')} />${e.fieldError('vf-note')}</div>
      ${o.kind === 'head'
        ? nothing
        : html`<div class="field"><div class="radio"><input id="vf-revokeAccess" name="revokeAccess" type="checkbox" checked data-testid="vf-revokeAccess" />
            <label for="vf-revokeAccess">${t('reg.revokeAccess')}</label></div></div>`}
      <button type="submit" class="button button--danger" ?disabled=${this.busy} data-testid="vacate-save">${t('reg.vacateConfirm')}</button>
    </form>`;
  }

  private registerForm(o: Organisation): TemplateResult {
    const e = this.errors;
    const submit = (ev: Event) => {
      ev.preventDefault();
      const f = new FormData(ev.target as HTMLFormElement);
      void this.run(
        () =>
          reg.registerAccount({
            orgId: o.id,
            platform: String(f.get('platform')) as Platform,
            handle: String(f.get('handle') ?? ''),
            profileUrl: String(f.get('profileUrl') ?? ''),
            verification: 'unknown',
            twoFactor: String(f.get('twoFactor')) as TwoFactor,
            recoveryEmail: String(f.get('recoveryEmail') ?? ''),
          }),
        t('reg.accountRegistered'),
        (field) => `ra-${field}`,
      );
    };
    const field = (id: string, label: string, type = 'text') =>
      html`<div class="field"><label for="ra-${id}">${label}</label><input id="ra-${id}" name=${id} type=${type} aria-invalid=${e.invalid(`ra-${id}`)} aria-describedby=${e.describedBy(`ra-${id}`)} />${e.fieldError(`ra-${id}`)}</div>`;
    return html`<form class="form" @submit=${submit} data-testid="register-form" novalidate>
      ${e.summary()}
      <div class="field"><label for="ra-platform">${t('reg.col.platform')}</label>
        <select id="ra-platform" name="platform">${PLATFORMS.map((pl) => html`<option value=${pl}>${platformName(pl)}</option>`)}</select></div>
      ${field('handle', t('reg.col.account'))} ${field('profileUrl', t('reg.profileUrl'), 'url')}
      <div class="field"><label for="ra-twoFactor">${t('reg.col.twoFactor')}</label>
        <select id="ra-twoFactor" name="twoFactor">${reg.TWO_FACTORS.map((v) => html`<option value=${v}>${wordLabel('reg.twoFactor', v)}</option>`)}</select></div>
      ${field('recoveryEmail', t('reg.col.recovery'), 'email')}
      <button type="submit" class="button" ?disabled=${this.busy} data-testid="register-save">${t('reg.registerAccount')}</button>
    </form>`;
  }

  private editForm(o: Organisation): TemplateResult {
    const e = this.errors;
    const submit = (ev: Event) => {
      ev.preventDefault();
      const f = new FormData(ev.target as HTMLFormElement);
      const date = (k: string) => (String(f.get(k) ?? '') ? `${String(f.get(k))}T00:00:00+05:30` : null);
      void this.run(
        () =>
          reg.updateOrg(o.id, {
            code: String(f.get('code') ?? ''),
            type: String(f.get('type')) as Organisation['type'],
            parentId: String(f.get('parentId') ?? ''),
            nameEn: String(f.get('nameEn') ?? ''),
            nameHi: String(f.get('nameHi') ?? ''),
            district: String(f.get('district') ?? ''),
            activeFrom: date('activeFrom'),
            activeTo: date('activeTo'),
            effectiveAt: date('effectiveAt'),
            orderRef: String(f.get('orderRef') ?? ''),
            note: String(f.get('note') ?? ''),
          }),
        t('reg.orgSaved'),
        (field) => `oe-${field}`,
      );
    };
    const input = (id: keyof Organisation | 'orderRef' | 'note' | 'effectiveAt', label: string, value: string, type = 'text', lang?: string) =>
      html`<div class="field"><label for="oe-${id}">${label}</label><input id="oe-${id}" name=${id} type=${type} lang=${lang ?? nothing} .value=${value}
          aria-invalid=${e.invalid(`oe-${id}`)} aria-describedby=${e.describedBy(`oe-${id}`)} />${e.fieldError(`oe-${id}`)}</div>`;
    return html`<form class="form" @submit=${submit} data-testid="org-edit-form" novalidate>
      ${e.summary()}
      ${input('code', t('reg.col.code'), o.code)} ${input('nameEn', t('reg.nameEn'), o.nameEn, 'text', 'en')} ${input('nameHi', t('reg.nameHi'), o.nameHi, 'text', 'hi')}
      <div class="field"><label for="oe-type">${t('reg.type')}</label>
        <select id="oe-type" name="type">${ORG_TYPES.map((ty) => html`<option value=${ty} ?selected=${o.type === ty}>${orgTypeLabel(ty)}</option>`)}</select></div>
      <div class="field"><label for="oe-parentId">${t('reg.col.parent')}</label>
        <select id="oe-parentId" name="parentId" aria-describedby=${e.describedBy('oe-parentId')}><option value="">${t('common.none')}</option>
          ${this.ctx.orgs.filter((x) => x.id !== o.id).map((x) => html`<option value=${x.id} ?selected=${o.parentId === x.id}>${x.code} — ${nameFor(x, this.ctx.lang())}</option>`)}</select>
        ${e.fieldError('oe-parentId')}</div>
      ${input('district', t('reg.district'), o.district ?? '')} ${input('activeFrom', t('reg.activeFrom'), dateValue(o.activeFrom), 'date')}
      ${input('activeTo', t('reg.activeTo'), dateValue(o.activeTo), 'date')} ${input('effectiveAt', t('reg.effectiveAt'), '', 'date')}
      ${input('orderRef', t('reg.orderRef'), '')} ${input('note', t('reg.note'), '')}
      <button type="submit" class="button" ?disabled=${this.busy} data-testid="org-save">${t('reg.save')}</button>
    </form>`;
  }

  private mergeForm(o: Organisation): TemplateResult {
    const e = this.errors;
    const lang = this.ctx.lang();
    const candidates = this.ctx.orgs.filter((x) => x.id !== o.id && (!x.activeTo || new Date(x.activeTo).getTime() > Date.now()));
    const submit = (ev: Event) => {
      ev.preventDefault();
      const f = new FormData(ev.target as HTMLFormElement);
      const eff = String(f.get('effectiveAt') ?? '');
      void this.run(
        () =>
          reg.mergeOrgs(o.id, {
            sourceIds: f.getAll('sourceIds').map(String),
            orderRef: String(f.get('orderRef') ?? ''),
            note: String(f.get('note') ?? ''),
            effectiveAt: eff ? `${eff}T00:00:00+05:30` : null,
          }),
        t('reg.merged'),
        (field) => `mg-${field}`,
      );
    };
    return html`<form class="form" @submit=${submit} data-testid="merge-form" novalidate>
      ${e.summary()}
      <p>${t('reg.mergeIntro', { name: nameFor(o, lang) })}</p>
      <div class="field"><label for="mg-sourceIds">${t('reg.mergeSources')}</label>
        <select id="mg-sourceIds" name="sourceIds" multiple size="8" aria-describedby=${e.describedBy('mg-sourceIds')}>
          ${candidates.map((x) => html`<option value=${x.id}>${x.code} — ${nameFor(x, lang)}</option>`)}</select>
        ${e.fieldError('mg-sourceIds')}</div>
      <div class="field"><label for="mg-effectiveAt">${t('reg.effectiveAt')}</label><input id="mg-effectiveAt" name="effectiveAt" type="date" /></div>
      <div class="field"><label for="mg-orderRef">${t('reg.orderRef')}</label><input id="mg-orderRef" name="orderRef" /></div>
      <div class="field"><label for="mg-note">${t('reg.note')}</label><input id="mg-note" name="note" /></div>
      <button type="submit" class="button" ?disabled=${this.busy} data-testid="merge-save">${t('reg.mergeSubmit')}</button>
    </form>`;
  }

  private historySection(h: OrgHistory, lang: 'hi' | 'en'): TemplateResult {
    const orgName = (id: string) => {
      const x = this.ctx.orgs.find((o) => o.id === id) ?? (h.lineage.predecessors ?? []).find((o) => o.id === id);
      return x ? `${x.code}` : id;
    };
    const events = h.lineage.events ?? [];
    return html`<section class="section" aria-labelledby="history-h" data-testid="org-history">
      <h2 id="history-h">${t('reg.history')}</h2>
      <h3>${t('reg.lineage')}</h3>
      ${events.length === 0
        ? html`<p class="muted">${t('reg.noEvents')}</p>`
        : html`<ul class="plain-list" data-testid="lineage-events">
            ${events.map(
              (ev) => html`<li data-testid="event-${ev.id}" data-kind=${ev.kind}>
                <strong>${day(ev.effectiveAt, lang)}</strong> — ${t(`reg.event.${ev.kind}`)}:
                ${ev.kind === 'merge'
                  ? html`${(ev.fromOrgIds ?? []).map(orgName).join(', ')} → ${orgName(ev.orgId)}
                      ${ev.moved ? html` (${t('reg.movedCounts', { accounts: ev.moved.accounts?.length ?? 0, users: ev.moved.users?.length ?? 0, units: ev.moved.children?.length ?? 0 })})` : nothing}`
                  : html`${ev.before ? `${ev.before.code} · ${lang === 'hi' ? ev.before.nameHi : ev.before.nameEn}` : ''} → ${ev.after ? `${ev.after.code} · ${lang === 'hi' ? ev.after.nameHi : ev.after.nameEn}` : ''}`}
                ${ev.orderRef ? html` · ${t('reg.orderRef')}: ${ev.orderRef}` : nothing}
                ${ev.status === 'running' ? html` <span class="badge badge--warn">${t('reg.running')}</span>` : nothing}
              </li>`,
            )}
          </ul>`}
      ${h.officers.length ? html`<h3>${t('reg.predecessorOfficers')}</h3>${this.pastOfficers(h.officers, lang)}` : nothing}
      <h3>${t('reg.versions')}</h3>
      ${h.revisions.length === 0
        ? html`<p class="muted">${t('reg.noVersions')}</p>`
        : html`<div class="table-wrap"><table class="table" data-testid="officer-versions">
            <thead><tr><th scope="col">${t('reg.when')}</th><th scope="col">${t('reg.f.name')}</th><th scope="col">${t('reg.why')}</th><th scope="col">${t('reg.f.designation')}</th><th scope="col">${t('reg.f.email')}</th><th scope="col">${t('reg.f.phone')}</th></tr></thead>
            <tbody>${h.revisions.map((r) => html`<tr><td>${timeEl(formatIST(r.at, lang), isoMachine(r.at))}</td><th scope="row">${r.officer.name}</th><td>${wordLabel('reg.reason', r.reason)}</td><td>${r.officer.designation}</td><td>${r.officer.email || t('reg.hidden')}</td><td>${r.officer.phone || t('reg.hidden')}</td></tr>`)}</tbody>
          </table></div>`}
      ${h.changes.length
        ? html`<h3>${t('reg.changesHistory')}</h3><ul class="plain-list" data-testid="change-history">${h.changes.map((c) => html`<li>${timeEl(formatIST(c.requestedAt, lang), isoMachine(c.requestedAt))} — ${c.before.name}: ${wordLabel('reg.changeStatus', c.status)}</li>`)}</ul>`
        : nothing}
      <h3>${t('reg.publishHistory')}</h3>
      <ul class="plain-list" data-testid="lineage-deliveries">
        ${Object.entries(h.deliveriesByOrg).map(([id, n]) => html`<li>${orgName(id)}: ${t('reg.deliveriesCount', { n })}</li>`)}
      </ul>
      ${h.deliveries.length
        ? html`<div class="table-wrap"><table class="table">
            <thead><tr><th scope="col">${t('reg.when')}</th><th scope="col">${t('reg.col.platform')}</th><th scope="col">${t('reg.col.org')}</th><th scope="col">${t('reg.col.status')}</th></tr></thead>
            <tbody>${h.deliveries.slice(0, 20).map((d) => html`<tr><td>${timeEl(formatIST(d.createdAt, lang), isoMachine(d.createdAt))}</td><td>${platformName(d.platform)}</td><td>${orgName(d.orgId)}</td><td>${deliveryStatusBadge(d.status)}</td></tr>`)}</tbody>
          </table></div>`
        : nothing}
    </section>`;
  }
}

function isCurrent(o: Officer, now: number): boolean {
  return new Date(o.startDate).getTime() <= now && (!o.endDate || new Date(o.endDate).getTime() > now);
}

/** day shows a date in India ("28 Nov 2026"), or a dash. */
export function day(iso: string | undefined, lang: 'hi' | 'en'): string {
  if (!iso) return t('common.none');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return t('common.none');
  return new Intl.DateTimeFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'Asia/Kolkata' }).format(d);
}

function dateValue(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(new Date(iso).getTime() + 5.5 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
}
