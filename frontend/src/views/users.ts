// Users (admins): the list and the form to add a user.

import { html, nothing } from 'lit-html';
import { live } from 'lit-html/directives/live.js';
import * as api from '../api';
import { ROLES, type Lang, type Role, type User, type UserInput } from '../api';
import type { Ctx, View } from '../app';
import { t, isLang, type MessageKey } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { FormErrors, focusSummary, loadError, loading, timeEl } from '../ui';

const FIELD_IDS: Record<string, [string, MessageKey]> = {
  email: ['u-email', 'field.email'],
  name: ['u-name', 'field.name'],
  role: ['u-role', 'field.role'],
  orgId: ['u-org', 'field.orgId'],
  lang: ['u-lang', 'field.lang'],
  password: ['u-password', 'field.password'],
};

function blank(lang: Lang): UserInput {
  return { email: '', name: '', role: 'editor', orgId: '', lang, password: '' };
}

export class UsersView implements View {
  private users: User[] = [];
  private loaded = false;
  private error: unknown = null;
  private form: UserInput;
  private errors = new FormErrors();
  private busy = false;
  private created = '';

  constructor(private ctx: Ctx) {
    this.form = blank(ctx.lang());
    void this.load();
  }

  title(): string {
    return t('users.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      this.users = await api.listUsers();
    } catch (err) {
      this.error = err;
    }
    this.loaded = true;
    this.ctx.update();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy) return;
    const f = this.form;
    this.errors.clear();
    this.created = '';
    const req = (id: string, key: MessageKey, v: string) => {
      if (!v.trim()) this.errors.add(id, t(key), t('fe.required'));
    };
    req('u-email', 'field.email', f.email);
    req('u-name', 'field.name', f.name);
    if (f.role === 'editor') req('u-org', 'field.orgId', f.orgId);
    if (f.password.length < 10) this.errors.add('u-password', t('field.password'), t('fe.too_short', { min: 10 }));
    if (this.errors.any) {
      this.ctx.update();
      focusSummary();
      return;
    }
    this.busy = true;
    this.ctx.update();
    try {
      const u = await api.createUser({ ...f, email: f.email.trim(), name: f.name.trim() });
      this.users = [...this.users, u].sort((a, b) => a.email.localeCompare(b.email));
      this.created = t('users.created', { name: u.name });
      this.ctx.announce(this.created);
      this.form = blank(this.ctx.lang());
    } catch (err) {
      this.errors.fromError(err, this.ctx.lang(), (fe) => {
        const m = FIELD_IDS[fe.field];
        return m ? { id: m[0], label: t(m[1]) } : { id: '', label: fe.field };
      });
      focusSummary();
    } finally {
      this.busy = false;
      this.ctx.update();
    }
  }

  private set<K extends keyof UserInput>(k: K, v: UserInput[K]): void {
    this.form = { ...this.form, [k]: v };
    this.ctx.update();
  }

  render() {
    const lang = this.ctx.lang();
    const e = this.errors;
    const f = this.form;
    const cls = (id: string) => (e.for(id).length > 0 ? 'field field--error' : 'field');
    return html`
      <h1 id="page-title" tabindex="-1">${t('users.title')}</h1>
      <p class="lead">${t('users.intro')}</p>
      ${!this.loaded
        ? loading()
        : this.error
          ? loadError(this.error, lang, () => void this.load())
          : this.users.length === 0
            ? html`<p class="empty">${t('users.empty')}</p>`
            : html`<div class="table-wrap">
                <table class="table" data-testid="users-table">
                  <caption class="visually-hidden">${t('users.title')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">${t('users.col.name')}</th>
                      <th scope="col">${t('users.col.email')}</th>
                      <th scope="col">${t('users.col.role')}</th>
                      <th scope="col">${t('users.col.org')}</th>
                      <th scope="col">${t('users.col.lang')}</th>
                      <th scope="col">${t('users.col.state')}</th>
                      <th scope="col">${t('users.col.lastLogin')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${this.users.map(
                      (u) => html`<tr data-testid="user-${u.id}">
                        <th scope="row">${u.name}</th>
                        <td>${u.email}</td>
                        <td>${t(`role.${u.role}`)}</td>
                        <td>${u.orgId ? this.ctx.orgName(u.orgId) : t('common.none')}</td>
                        <td>${u.lang === 'hi' ? 'हिन्दी' : 'English'}</td>
                        <td>${u.disabled ? html`<span class="badge badge--neutral"><span aria-hidden="true" class="badge__icon">⊘</span>${t('users.disabled')}</span>` : t('users.active')}</td>
                        <td>${u.lastLoginAt ? timeEl(formatIST(u.lastLoginAt, lang), isoMachine(u.lastLoginAt)) : t('common.none')}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`}

      <section class="section narrow" aria-labelledby="create-title">
        <h2 id="create-title">${t('users.create')}</h2>
        ${this.created ? html`<p class="notice notice--success" data-testid="user-created">${this.created}</p>` : nothing}
        ${e.summary()}
        <form class="form" novalidate aria-labelledby="create-title" @submit=${(ev: Event) => void this.submit(ev)} data-testid="user-form">
          <div class=${cls('u-name')}>
            <label for="u-name">${t('users.name')}</label>
            ${e.fieldError('u-name')}
            <input id="u-name" type="text" autocomplete="off" maxlength="120" data-testid="user-name-input" aria-invalid=${e.invalid('u-name')}
              aria-describedby=${e.describedBy('u-name')} .value=${live(f.name)}
              @input=${(ev: Event) => (this.form.name = (ev.target as HTMLInputElement).value)} />
          </div>
          <div class=${cls('u-email')}>
            <label for="u-email">${t('users.email')}</label>
            ${e.fieldError('u-email')}
            <input id="u-email" type="email" autocomplete="off" spellcheck="false" data-testid="user-email" aria-invalid=${e.invalid('u-email')}
              aria-describedby=${e.describedBy('u-email')} .value=${live(f.email)}
              @input=${(ev: Event) => (this.form.email = (ev.target as HTMLInputElement).value)} />
          </div>
          <div class=${cls('u-role')}>
            <label for="u-role">${t('users.role')}</label>
            ${e.fieldError('u-role')}
            <select id="u-role" data-testid="user-role-select" aria-invalid=${e.invalid('u-role')} aria-describedby=${e.describedBy('u-role')}
              @change=${(ev: Event) => this.set('role', (ev.target as HTMLSelectElement).value as Role)}>
              ${ROLES.map((r) => html`<option value=${r} ?selected=${r === f.role}>${t(`role.${r}`)}</option>`)}
            </select>
          </div>
          <div class=${cls('u-org')}>
            <label for="u-org">${t('users.org')}</label>
            <p class="hint" id="u-org-hint">${t('users.orgHint')}</p>
            ${e.fieldError('u-org')}
            <select id="u-org" data-testid="user-org" aria-invalid=${e.invalid('u-org')} aria-describedby=${e.describedBy('u-org', true)}
              @change=${(ev: Event) => this.set('orgId', (ev.target as HTMLSelectElement).value)}>
              <option value="" ?selected=${!f.orgId}>${t('users.orgNone')}</option>
              ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${o.id === f.orgId}>${this.ctx.orgName(o.id)}</option>`)}
            </select>
          </div>
          <div class=${cls('u-lang')}>
            <label for="u-lang">${t('users.lang')}</label>
            ${e.fieldError('u-lang')}
            <select id="u-lang" data-testid="user-lang" aria-invalid=${e.invalid('u-lang')} aria-describedby=${e.describedBy('u-lang')}
              @change=${(ev: Event) => {
                const v = (ev.target as HTMLSelectElement).value;
                if (isLang(v)) this.set('lang', v);
              }}>
              <option value="hi" lang="hi" ?selected=${f.lang === 'hi'}>हिन्दी</option>
              <option value="en" lang="en" ?selected=${f.lang === 'en'}>English</option>
            </select>
          </div>
          <div class=${cls('u-password')}>
            <label for="u-password">${t('users.password')}</label>
            <p class="hint" id="u-password-hint">${t('users.passwordHint')}</p>
            ${e.fieldError('u-password')}
            <input id="u-password" type="password" autocomplete="new-password" data-testid="user-password" aria-invalid=${e.invalid('u-password')}
              aria-describedby=${e.describedBy('u-password', true)} .value=${live(f.password)}
              @input=${(ev: Event) => (this.form.password = (ev.target as HTMLInputElement).value)} />
          </div>
          <button type="submit" class="button" data-testid="user-submit" ?disabled=${this.busy}>${this.busy ? t('common.working') : t('users.submit')}</button>
        </form>
      </section>
    `;
  }
}
