// Connecting accounts: starting the platform's sign-in (OAuth), the
// credential form of platforms without OAuth (Telegram, Bluesky), the
// choice among the accounts one sign-in grants (Facebook Pages, Instagram
// accounts), and the result page the platform's callback lands on.
// Tokens never reach the browser: the API answers accounts and choices
// only, and a form's secret fields are sent once and never shown again.

import { html, nothing, type TemplateResult } from 'lit-html';
import { live } from 'lit-html/directives/live.js';
import * as api from '../api';
import type { Account, ConnectMethod, ConnectTarget, CredentialField, Platform, Selection } from '../api';
import type { Ctx, View } from '../app';
import { t, hasKey } from '../i18n';
import { translateError, translateFieldError } from '../errors';
import { platformName, isPlatform } from '../platforms';
import { searchParams } from '../router';
import { formatIST, isoMachine } from '../time';
import { FormErrors, focusSummary, loadError, loading, timeEl } from '../ui';

/** connectNav sends the browser to a platform's consent page; tests replace go. */
export const connectNav = {
  go: (url: string): void => {
    window.location.assign(url);
  },
};

/**
 * beginOAuth starts the platform's sign-in for target and sends the browser
 * there; it returns the error when the API refuses.
 */
export async function beginOAuth(ctx: Ctx, platform: Platform, target: ConnectTarget): Promise<unknown> {
  try {
    const { authUrl } = await api.startOAuth(platform, target);
    ctx.announce(t('connect.opening', { platform: platformName(platform) }));
    connectNav.go(authUrl);
    return null;
  } catch (err) {
    return err;
  }
}

/** fieldLabel and fieldHelp translate a credential field by its name. */
function fieldLabel(f: CredentialField): string {
  const key = `connect.field.${f.name}`;
  return hasKey(key) ? t(key) : f.label;
}

function fieldHelp(f: CredentialField): string {
  const key = `connect.field.${f.name}.help`;
  return hasKey(key) ? t(key) : f.help;
}

/** resultPath is the result page for accounts connected on platform. */
export function resultPath(platform: Platform, accounts: Account[]): string {
  const q = new URLSearchParams({ platform, accounts: accounts.map((a) => a.id).join(',') });
  return `/accounts/connected?${q.toString()}`;
}

// ---- The credential form: /accounts/connect/:platform?orgId=&accountId= ----

export class ConnectFormView implements View {
  private method: ConnectMethod | null = null;
  private account: Account | null = null;
  private loaded = false;
  private error: unknown = null;
  private values: Record<string, string> = {};
  private orgId: string;
  private accountId: string;
  private errors = new FormErrors();
  private busy = false;

  constructor(
    private ctx: Ctx,
    private platform: string,
  ) {
    const q = searchParams();
    this.accountId = q.get('accountId') ?? '';
    this.orgId = ctx.user?.role === 'editor' ? (ctx.user.orgId ?? '') : (q.get('orgId') ?? '');
    void this.load();
  }

  title(): string {
    if (this.account) return t('connect.form.titleReconnect', { handle: this.account.handle });
    return t('connect.form.title', { platform: platformName(this.platform) });
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      const [methods, accounts] = await Promise.all([api.listConnectMethods(), this.accountId ? api.listAccounts() : Promise.resolve([])]);
      this.method = methods.find((m) => m.platform === this.platform) ?? null;
      this.account = accounts.find((a) => a.id === this.accountId) ?? null;
      if (this.account) this.orgId = this.account.orgId;
      for (const f of this.method?.fields ?? []) this.values[f.name] ??= '';
    } catch (err) {
      this.error = err;
    }
    this.loaded = true;
    this.ctx.update();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy || !this.method || !isPlatform(this.platform)) return;
    const p = this.platform;
    this.errors.clear();
    for (const f of this.method.fields ?? []) {
      if (f.required && !(this.values[f.name] ?? '').trim()) this.errors.add(`cf-${f.name}`, fieldLabel(f), t('fe.required'));
    }
    if (!this.accountId && !this.orgId) this.errors.add('cf-org', t('connect.form.org'), t('fe.required'));
    if (this.errors.any) {
      this.ctx.update();
      focusSummary();
      return;
    }
    this.busy = true;
    this.ctx.update();
    try {
      const acct = await api.connectWithCredentials(p, { orgId: this.orgId, accountId: this.accountId }, this.values);
      // The secrets leave the page with it.
      this.values = {};
      this.ctx.navigate(resultPath(p, [acct]));
    } catch (err) {
      const lang = this.ctx.lang();
      this.errors.clear();
      const fields = err instanceof api.ApiError ? err.fields : [];
      for (const fe of fields) {
        const name = fe.field.startsWith('values.') ? fe.field.slice('values.'.length) : '';
        const f = this.method.fields?.find((x) => x.name === name);
        const id = f ? `cf-${f.name}` : fe.field === 'orgId' ? 'cf-org' : '';
        const label = f ? fieldLabel(f) : fe.field === 'orgId' ? t('connect.form.org') : '';
        const msg =
          fe.code === 'credentials_refused'
            ? t('connect.fe.credentials_refused', { platform: platformName(p), detail: fe.params?.detail ?? fe.message })
            : fe.code === 'unknown_field'
              ? t('connect.fe.unknown_field')
              : translateFieldError(fe, lang);
        this.errors.add(id, label, msg);
      }
      if (fields.length === 0) this.errors.general = translateError(err, lang);
      focusSummary();
    } finally {
      this.busy = false;
      this.ctx.update();
    }
  }

  render(): TemplateResult {
    const lang = this.ctx.lang();
    const name = platformName(this.platform);
    const head = html`<h1 id="page-title" tabindex="-1">${this.title()}</h1>`;
    if (!this.loaded) return html`${head}${loading()}`;
    if (this.error) return html`${head}${loadError(this.error, lang, () => void this.load())}`;
    if (!this.method || this.method.method !== 'form') {
      return html`${head}
        <p class="notice notice--warn" role="status" data-testid="connect-not-form">
          ${this.method?.method === 'oauth' ? t('connect.form.notForm', { platform: name }) : t('connect.cannot', { reason: this.method?.reason || name })}
        </p>
        <p><a href="/accounts">${t('connect.form.cancel')}</a></p>`;
    }
    const e = this.errors;
    const intro = hasKey(`connect.form.intro.${this.platform}`) ? t(`connect.form.intro.${this.platform}` as 'connect.form.intro') : t('connect.form.intro', { platform: name });
    const needOrg = !this.accountId && this.ctx.user?.role !== 'editor';
    return html`${head}
      <p class="lead">${intro}</p>
      ${this.method.sandbox ? html`<p class="notice notice--info" data-testid="connect-sandbox">${t('connect.sandbox', { platform: name })}</p>` : nothing}
      ${e.summary()}
      <form class="form narrow" novalidate aria-labelledby="page-title" data-testid="connect-form" @submit=${(ev: Event) => void this.submit(ev)}>
        ${needOrg
          ? html`<div class=${e.for('cf-org').length ? 'field field--error' : 'field'}>
              <label for="cf-org">${t('connect.form.org')}</label>
              ${e.fieldError('cf-org')}
              <select id="cf-org" data-testid="connect-org" aria-invalid=${e.invalid('cf-org')} aria-describedby=${e.describedBy('cf-org')}
                @change=${(ev: Event) => (this.orgId = (ev.target as HTMLSelectElement).value)}>
                <option value="" ?selected=${!this.orgId}>—</option>
                ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${o.id === this.orgId}>${this.ctx.orgName(o.id)}</option>`)}
              </select>
            </div>`
          : nothing}
        ${(this.method.fields ?? []).map((f) => {
          const id = `cf-${f.name}`;
          return html`<div class=${e.for(id).length ? 'field field--error' : 'field'}>
            <label for=${id}>${fieldLabel(f)}${f.required ? nothing : html` <span class="muted">${t('common.optional')}</span>`}</label>
            <p class="hint" id="${id}-hint">${fieldHelp(f)}${f.secret ? html` ${t('connect.form.secretHint')}` : nothing}</p>
            ${e.fieldError(id)}
            <input id=${id} name=${f.name} type=${f.secret ? 'password' : 'text'} autocomplete="off" spellcheck="false" data-testid="connect-field-${f.name}"
              ?required=${f.required} aria-invalid=${e.invalid(id)} aria-describedby=${e.describedBy(id, true)} .value=${live(this.values[f.name] ?? '')}
              @input=${(ev: Event) => (this.values[f.name] = (ev.target as HTMLInputElement).value)} />
          </div>`;
        })}
        <div class="actions">
          <button type="submit" class="button" data-testid="connect-submit" ?disabled=${this.busy}>${this.busy ? t('common.working') : t('connect.form.submit')}</button>
          <a href="/accounts" class="button button--secondary">${t('connect.form.cancel')}</a>
        </div>
      </form>`;
  }
}

// ---- The choice of accounts: /accounts/select/:id ----

export class ConnectSelectView implements View {
  private sel: Selection | null = null;
  private loaded = false;
  private error: unknown = null;
  private chosen = new Set<string>();
  private errors = new FormErrors();
  private busy = false;

  constructor(
    private ctx: Ctx,
    private id: string,
  ) {
    void this.load();
  }

  title(): string {
    return t('connect.select.title', { platform: platformName(this.sel?.platform ?? '') });
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      this.sel = await api.getSelection(this.id);
      // Pre-choose what can be chosen when there is only one.
      const usable = this.sel.accounts.filter((a) => !a.problem);
      if (usable.length === 1 && usable[0]) this.chosen.add(usable[0].externalId);
    } catch (err) {
      this.error = err;
    }
    this.loaded = true;
    this.ctx.update();
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy || !this.sel) return;
    this.errors.clear();
    if (this.chosen.size === 0) {
      this.errors.add('sel-first', t('connect.select.legend'), t('connect.select.none'));
      this.ctx.update();
      focusSummary();
      return;
    }
    this.busy = true;
    this.ctx.update();
    try {
      const res = await api.completeSelection(this.id, [...this.chosen]);
      this.ctx.navigate(resultPath(res.platform, res.accounts ?? []));
    } catch (err) {
      this.errors.fromError(err, this.ctx.lang(), () => ({ id: '', label: '' }));
      focusSummary();
    } finally {
      this.busy = false;
      this.ctx.update();
    }
  }

  render(): TemplateResult {
    const lang = this.ctx.lang();
    if (!this.loaded) return html`<h1 id="page-title" tabindex="-1">${t('connect.select.legend')}</h1>${loading()}`;
    if (this.error || !this.sel) {
      return html`<h1 id="page-title" tabindex="-1">${t('connect.select.legend')}</h1>
        ${this.error instanceof api.ApiError && this.error.code === 'not_found'
          ? html`<p class="notice notice--warn" role="status" data-testid="select-gone">${t('connect.select.gone')}</p>
              <p><a href="/accounts">${t('connect.result.back')}</a></p>`
          : loadError(this.error, lang, () => void this.load())}`;
    }
    const sel = this.sel;
    const name = platformName(sel.platform);
    const first = sel.accounts.find((a) => !a.problem);
    return html`<h1 id="page-title" tabindex="-1">${this.title()}</h1>
      <p class="lead">${t('connect.select.intro', { platform: name, org: this.ctx.orgName(sel.orgId) })}</p>
      <p class="muted">${t('connect.select.until', { time: formatIST(sel.expiresAt, lang) })}</p>
      ${this.errors.summary()}
      <form class="form" novalidate data-testid="select-form" @submit=${(ev: Event) => void this.submit(ev)}>
        <fieldset class="fieldset">
          <legend>${t('connect.select.legend')}</legend>
          <ul class="choice-list">
            ${sel.accounts.map((a, i) => {
              const id = a.externalId === first?.externalId ? 'sel-first' : `sel-${i}`;
              const hint = a.problem ? `${id}-problem` : a.registered ? `${id}-registered` : '';
              return html`<li class="choice ${a.problem ? 'choice--disabled' : ''}">
                <input type="checkbox" id=${id} data-testid="select-account-${a.externalId}" ?disabled=${!!a.problem}
                  .checked=${live(this.chosen.has(a.externalId))} aria-describedby=${hint || nothing}
                  @change=${(ev: Event) => {
                    if ((ev.target as HTMLInputElement).checked) this.chosen.add(a.externalId);
                    else this.chosen.delete(a.externalId);
                  }} />
                <label for=${id}><strong>${a.displayName || a.handle}</strong>${a.handle && a.handle !== a.displayName ? html` <span class="handle">${a.handle}</span>` : nothing}</label>
                ${a.problem
                  ? html`<p class="small" id="${id}-problem" data-testid="select-problem-${a.externalId}"><span aria-hidden="true">⚠ </span>${t('connect.select.problem', { problem: a.problem })}</p>`
                  : a.registered
                    ? html`<p class="small muted" id="${id}-registered">${t('connect.select.registered')}</p>`
                    : nothing}
              </li>`;
            })}
          </ul>
        </fieldset>
        <div class="actions">
          <button type="submit" class="button" data-testid="select-submit" ?disabled=${this.busy}>${this.busy ? t('common.working') : t('connect.select.submit')}</button>
          <a href="/accounts" class="button button--secondary">${t('connect.form.cancel')}</a>
        </div>
      </form>`;
  }
}

// ---- The result: /accounts/connected?platform=&accounts=…|error=&detail= ----

const REASONS = ['state', 'expired', 'session', 'denied', 'platform_error', 'exchange', 'unavailable', 'mismatch', 'no_accounts', 'unusable'];

export class ConnectResultView implements View {
  private platform: string;
  private ids: string[];
  private reason: string;
  private detail: string;
  private accounts: Account[] = [];
  private loaded = false;

  constructor(private ctx: Ctx) {
    const q = searchParams();
    this.platform = q.get('platform') ?? '';
    this.ids = (q.get('accounts') ?? '').split(',').filter(Boolean);
    this.reason = q.get('error') ?? '';
    this.detail = q.get('detail') ?? '';
    void this.load();
  }

  title(): string {
    return t('connect.result.title', { platform: platformName(this.platform) });
  }

  private async load(): Promise<void> {
    if (this.ids.length > 0) {
      try {
        await this.ctx.registry().catch(() => undefined);
        const all = await api.listAccounts();
        this.accounts = all.filter((a) => this.ids.includes(a.id));
      } catch {
        this.accounts = [];
      }
    }
    this.loaded = true;
    this.ctx.update();
    this.ctx.announce(this.reason ? t('connect.result.failed') : t('connect.result.ok'), !!this.reason);
  }

  render(): TemplateResult {
    const name = platformName(this.platform);
    const head = html`<h1 id="page-title" tabindex="-1">${this.title()}</h1>`;
    if (!this.loaded) return html`${head}${loading()}`;
    const back = html`<p class="actions">
      ${this.reason ? html`<a class="button" href="/accounts" data-testid="connect-again">${t('connect.result.again')}</a>` : nothing}
      <a class=${this.reason ? 'button button--secondary' : 'button'} href="/accounts" data-testid="connect-back">${t('connect.result.back')}</a>
    </p>`;
    if (this.reason) {
      const key = REASONS.includes(this.reason) ? `connect.reason.${this.reason}` : 'connect.reason.other';
      return html`${head}
        <div class="notice notice--error" role="alert" data-testid="connect-result" data-outcome="error" data-reason=${this.reason}>
          <p><strong>${t('connect.result.failed')}</strong></p>
          <p data-testid="connect-result-error">${t(key as 'connect.reason.other', { platform: name })}</p>
          ${this.detail ? html`<p class="small" data-testid="connect-result-detail">${t('connect.result.platformSaid', { platform: name, detail: this.detail })}</p>` : nothing}
        </div>
        ${back}`;
    }
    const lang = this.ctx.lang();
    return html`${head}
      <div class="notice notice--success" role="status" data-testid="connect-result" data-outcome="connected">
        <p><strong>${t('connect.result.ok')}</strong></p>
        <ul>
          ${this.accounts.map(
            (a) => html`<li data-testid="connect-result-account-${a.id}">
              <span class="handle">${a.handle}</span> · ${this.ctx.orgName(a.orgId)}${a.tokenExpiresAt
                ? html` · ${timeEl(formatIST(a.tokenExpiresAt, lang), isoMachine(a.tokenExpiresAt))}`
                : nothing}
            </li>`,
          )}
        </ul>
      </div>
      ${back}`;
  }
}
