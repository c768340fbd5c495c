// Sign-in: e-mail, password; the language switch is in the header.

import { html, nothing } from 'lit-html';
import { live } from 'lit-html/directives/live.js';
import * as api from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { FormErrors, focusSummary } from '../ui';
import { searchParams } from '../router';

export class SignInView implements View {
  private email = '';
  private password = '';
  private busy = false;
  private errors = new FormErrors();

  constructor(private ctx: Ctx) {}

  title(): string {
    return t('signin.title');
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy) return;
    this.errors.clear();
    const lang = this.ctx.lang();
    if (!this.email.trim()) this.errors.add('signin-email', t('field.email'), t('fe.required'));
    if (!this.password) this.errors.add('signin-password', t('field.password'), t('fe.required'));
    if (this.errors.any) {
      this.ctx.update();
      focusSummary();
      return;
    }
    this.busy = true;
    this.ctx.update();
    try {
      const s = await api.signIn(this.email.trim(), this.password);
      this.password = '';
      await this.ctx.signedIn(s, searchParams().get('next') ?? '');
    } catch (err) {
      this.busy = false;
      this.errors.fromError(
        err,
        lang,
        (f) => (f.field === 'password' ? { id: 'signin-password', label: t('field.password') } : { id: 'signin-email', label: t('field.email') }),
        'signin',
      );
      this.ctx.update();
      focusSummary();
    }
  }

  render() {
    const e = this.errors;
    return html`<div class="narrow">
      <h1 id="page-title" tabindex="-1">${t('signin.title')}</h1>
      <p class="lead">${t('signin.intro')}</p>
      ${e.summary()}
      <form class="form" novalidate @submit=${(ev: Event) => this.submit(ev)} data-testid="signin-form" aria-labelledby="page-title">
        <div class="field ${e.invalid('signin-email') !== nothing ? 'field--error' : ''}">
          <label for="signin-email">${t('signin.email')}</label>
          ${e.fieldError('signin-email')}
          <input
            id="signin-email"
            name="email"
            type="email"
            autocomplete="username"
            spellcheck="false"
            required
            data-testid="signin-email"
            aria-invalid=${e.invalid('signin-email')}
            aria-describedby=${e.describedBy('signin-email')}
            .value=${live(this.email)}
            @input=${(ev: Event) => (this.email = (ev.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field ${e.invalid('signin-password') !== nothing ? 'field--error' : ''}">
          <label for="signin-password">${t('signin.password')}</label>
          ${e.fieldError('signin-password')}
          <input
            id="signin-password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            data-testid="signin-password"
            aria-invalid=${e.invalid('signin-password')}
            aria-describedby=${e.describedBy('signin-password')}
            .value=${live(this.password)}
            @input=${(ev: Event) => (this.password = (ev.target as HTMLInputElement).value)}
          />
        </div>
        <button type="submit" class="button" data-testid="signin-submit" ?disabled=${this.busy} aria-disabled=${this.busy ? 'true' : 'false'}>
          ${this.busy ? t('signin.working') : t('signin.submit')}
        </button>
      </form>
    </div>`;
  }
}
