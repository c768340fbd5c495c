// Accounts: an organisation's accounts by platform with their status
// (connected, needs reconnection, defunct with the reason), when their
// connection expires (in IST, with a warning when it is soon), and — for
// those who may connect the organisation's accounts — connecting,
// reconnecting and disconnecting (views/connect.ts).

import { html, nothing } from 'lit-html';
import * as api from '../api';
import { PLATFORMS, type Account, type ConnectMethod, type Platform } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { platformName } from '../platforms';
import { accountStatusBadge, externalLink, loadError, loading, timeEl, unusableReason } from '../ui';
import { translateError } from '../errors';
import { searchParams } from '../router';
import { beginOAuth } from './connect';

/** EXPIRY_WARN_DAYS is when an expiring connection is shown as a warning. */
const EXPIRY_WARN_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;

export class AccountsView implements View {
  private accounts: Account[] = [];
  private methods = new Map<string, ConnectMethod>();
  private loaded = false;
  private error: unknown = null;
  private orgId: string;
  /** the account whose disconnection awaits confirmation */
  private confirming = '';
  private busy = '';
  private notice: { kind: 'success' | 'error'; text: string } | null = null;

  constructor(private ctx: Ctx) {
    this.orgId = ctx.user?.role === 'editor' ? (ctx.user.orgId ?? '') : (searchParams().get('orgId') ?? '');
    void this.load();
  }

  title(): string {
    return t('accounts.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      const [accounts, methods] = await Promise.all([api.listAccounts(this.orgId || undefined), api.listConnectMethods().catch(() => [] as ConnectMethod[])]);
      this.accounts = accounts;
      this.methods = new Map(methods.map((m) => [m.platform, m]));
    } catch (err) {
      this.error = err;
    }
    this.loaded = true;
    this.ctx.update();
  }

  private reason(a: Account): string {
    return unusableReason(a, this.ctx.platforms) || a.statusReason || '';
  }

  /** canConnect: this user may connect accounts of the organisation on screen. */
  private canConnect(): boolean {
    return this.ctx.can('write') && !!this.orgId;
  }

  private async connect(p: Platform, accountId = ''): Promise<void> {
    const m = this.methods.get(p);
    if (!m || this.busy) return;
    if (m.method === 'form') {
      const q = new URLSearchParams(accountId ? { accountId } : { orgId: this.orgId });
      this.ctx.navigate(`/accounts/connect/${p}?${q.toString()}`);
      return;
    }
    this.busy = accountId || p;
    this.notice = null;
    this.ctx.update();
    const err = await beginOAuth(this.ctx, p, accountId ? { accountId } : { orgId: this.orgId });
    if (err) {
      this.notice = { kind: 'error', text: translateError(err, this.ctx.lang()) };
      this.ctx.announce(this.notice.text, true);
    }
    this.busy = '';
    this.ctx.update();
  }

  private async disconnect(a: Account): Promise<void> {
    if (this.busy) return;
    this.busy = a.id;
    this.ctx.update();
    try {
      const res = await api.disconnectAccount(a.id);
      this.accounts = this.accounts.map((x) => (x.id === a.id ? res.account : x));
      const text = res.revoked
        ? t('connect.disconnectedRevoked', { handle: a.handle, platform: platformName(a.platform) })
        : t('connect.disconnected', { handle: a.handle });
      this.notice = { kind: 'success', text: res.revokeError ? `${text} ${res.revokeError}` : text };
      this.ctx.announce(text);
    } catch (err) {
      this.notice = { kind: 'error', text: translateError(err, this.ctx.lang()) };
      this.ctx.announce(this.notice.text, true);
    }
    this.confirming = '';
    this.busy = '';
    this.ctx.update();
  }

  /** renew asks the platform for a fresh token for a connected account now. */
  private async renew(a: Account): Promise<void> {
    if (this.busy) return;
    this.busy = a.id;
    this.notice = null;
    this.ctx.update();
    try {
      const updated = await api.renewAccount(a.id);
      this.accounts = this.accounts.map((x) => (x.id === a.id ? updated : x));
      const text = t('connect.renewed', { handle: a.handle });
      this.notice = { kind: 'success', text };
      this.ctx.announce(text);
    } catch (err) {
      this.notice = { kind: 'error', text: this.renewError(err, a) };
      this.ctx.announce(this.notice.text, true);
    }
    this.busy = '';
    this.ctx.update();
  }

  /** renewError says why a renewal failed, and what to do instead. */
  private renewError(err: unknown, a: Account): string {
    if (err instanceof api.ApiError) {
      const fe = err.fields.find((f) => f.field === 'accountId');
      if (fe?.code === 'credentials_refused') {
        return t('connect.renewRefused', { platform: platformName(a.platform), handle: a.handle, detail: fe.params?.detail ?? fe.message });
      }
      if (fe?.code === 'not_renewable') return t('connect.notRenewable', { handle: a.handle });
      if (err.code === 'conflict') return t('connect.renewBusy', { handle: a.handle });
    }
    return translateError(err, this.ctx.lang());
  }

  /** expiry shows when the connection ends, warning when it is soon. */
  private expiry(a: Account) {
    const lang = this.ctx.lang();
    if (!a.tokenExpiresAt) return html`<span data-testid="account-expiry-${a.id}" data-soon="false">${t('common.none')}</span>`;
    const left = new Date(a.tokenExpiresAt).getTime() - Date.now();
    const when = timeEl(formatIST(a.tokenExpiresAt, lang), isoMachine(a.tokenExpiresAt));
    // A token the platform renews by itself (X: every two hours) is not a
    // worry; the server alerts the officers of those it cannot renew.
    const soon = left < EXPIRY_WARN_DAYS * DAY_MS && a.status === 'connected' && left > 2 * 3600 * 1000;
    let warn: unknown = nothing;
    if (left <= 0 && a.status !== 'connected') {
      warn = html`<br /><span class="badge badge--bad"><span class="badge__icon" aria-hidden="true">⚠</span>${t('connect.expired')}</span>`;
    } else if (soon) {
      const days = Math.floor(left / DAY_MS);
      warn = html`<br /><span class="badge badge--warn" data-testid="account-expiring-${a.id}"><span class="badge__icon" aria-hidden="true">⏳</span>${days >= 1
          ? t('connect.expiresIn', { days })
          : t('connect.expiresDay')}</span>`;
    }
    return html`<span data-testid="account-expiry-${a.id}" data-soon=${soon ? 'true' : 'false'}>${when}${warn}</span>`;
  }

  private actions(a: Account, m: ConnectMethod | undefined) {
    if (!this.canConnect() || a.status === 'defunct' || !m?.method) return html`${t('common.none')}`;
    const name = platformName(a.platform);
    if (this.confirming === a.id) {
      return html`<div class="confirm" role="group" aria-labelledby="confirm-${a.id}">
        <p id="confirm-${a.id}" class="small">${t('connect.disconnectQuestion', { handle: a.handle })}</p>
        <button type="button" class="button button--small button--danger" data-testid="disconnect-confirm-${a.id}" ?disabled=${this.busy === a.id}
          @click=${() => void this.disconnect(a)}>${t('connect.disconnectConfirm')}</button>
        <button type="button" class="button button--small button--secondary" data-testid="disconnect-cancel-${a.id}"
          @click=${() => {
            this.confirming = '';
            this.ctx.update();
            document.querySelector<HTMLElement>(`[data-testid="disconnect-${a.id}"]`)?.focus();
          }}>${t('connect.disconnectCancel')}</button>
      </div>`;
    }
    return html`<div class="row-actions">
      <button type="button" class=${a.status === 'connected' ? 'button button--small button--secondary' : 'button button--small'}
        data-testid="reconnect-${a.id}" aria-label=${t('connect.reconnectLabel', { handle: a.handle, platform: name })} ?disabled=${!!this.busy}
        @click=${() => void this.connect(a.platform, a.id)}>${t('connect.reconnect')}</button>
      ${m.renewable && a.status === 'connected'
        ? html`<button type="button" class="button button--small button--secondary" data-testid="renew-${a.id}"
            aria-label=${t('connect.renewLabel', { handle: a.handle })} ?disabled=${!!this.busy}
            @click=${() => void this.renew(a)}>${t('connect.renew')}</button>`
        : nothing}
      ${a.status === 'disconnected'
        ? nothing
        : html`<button type="button" class="button button--small button--secondary" data-testid="disconnect-${a.id}"
            aria-label=${t('connect.disconnectLabel', { handle: a.handle, platform: name })} ?disabled=${!!this.busy}
            @click=${() => {
              this.confirming = a.id;
              this.ctx.update();
              requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-testid="disconnect-cancel-${a.id}"]`)?.focus());
            }}>${t('connect.disconnect')}</button>`}
    </div>`;
  }

  private connectArea(p: Platform, off: boolean) {
    const m = this.methods.get(p);
    if (off || !m) return nothing;
    const name = platformName(p);
    const admin = this.ctx.user?.role === 'admin';
    return html`<div class="connect-area">
      ${m.method === ''
        ? m.reason && p !== 'koo'
          ? html`<p class="muted small">${t('connect.cannot', { reason: m.reason })}</p>`
          : nothing
        : this.canConnect()
          ? html`<button type="button" class="button button--small" data-testid="connect-${p}" ?disabled=${!!this.busy}
              @click=${() => void this.connect(p)}>${t('connect.button', { platform: name })}</button>`
          : nothing}
      ${m.method && m.sandbox && this.canConnect() ? html`<p class="small muted">${t('connect.sandbox', { platform: name })}</p>` : nothing}
      ${admin && m.redirectUrl
        ? html`<p class="small">${t('connect.redirectUrl', { platform: name })} <code data-testid="redirect-url-${p}">${m.redirectUrl}</code></p>`
        : nothing}
    </div>`;
  }

  render() {
    const lang = this.ctx.lang();
    const scoped = this.ctx.user?.role === 'editor';
    const showOrg = !scoped && !this.orgId;
    const withActions = this.canConnect();
    return html`
      <h1 id="page-title" tabindex="-1">${t('accounts.title')}</h1>
      <p class="lead">${scoped || this.orgId ? t('accounts.intro') : t('accounts.introAll')}</p>
      ${scoped
        ? nothing
        : html`<form class="filters" role="search" aria-label=${t('history.filters')} @submit=${(e: Event) => {
            e.preventDefault();
            const v = String(new FormData(e.target as HTMLFormElement).get('orgId') ?? '');
            this.ctx.navigate(v ? `/accounts?orgId=${encodeURIComponent(v)}` : '/accounts');
          }}>
            <div class="field field--inline">
              <label for="a-org">${t('accounts.org')}</label>
              <select id="a-org" name="orgId" data-testid="filter-org">
                <option value="" ?selected=${!this.orgId}>${t('common.all')}</option>
                ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${o.id === this.orgId}>${this.ctx.orgName(o.id)}</option>`)}
              </select>
            </div>
            <button type="submit" class="button button--secondary">${t('common.apply')}</button>
          </form>`}
      ${this.ctx.can('write') && !this.orgId ? html`<p class="muted" data-testid="connect-org-hint">${t('connect.chooseOrg')}</p>` : nothing}
      ${this.notice
        ? html`<div class="notice notice--${this.notice.kind}" role=${this.notice.kind === 'error' ? 'alert' : 'status'} data-testid="accounts-notice">
            <p>${this.notice.text}</p>
          </div>`
        : nothing}
      ${!this.loaded
        ? loading()
        : this.error
          ? loadError(this.error, lang, () => void this.load())
          : PLATFORMS.map((p) => {
              const list = this.accounts.filter((a) => a.platform === p);
              const rules = this.ctx.platforms.get(p);
              const off = p === 'koo' || !!rules?.defunct || (rules ? !rules.enabled : this.ctx.platforms.size > 0);
              const note = p === 'koo' ? t('platform.koo.defunct') : rules?.defunct || (off ? t('platform.disabled') : '');
              const m = this.methods.get(p);
              return html`<section class="section" aria-labelledby="acc-${p}" data-testid="accounts-${p}">
                <h2 id="acc-${p}">${platformName(p)}</h2>
                ${note ? html`<p class="muted">${note}</p>` : nothing}
                ${this.connectArea(p, off)}
                ${list.length === 0
                  ? html`<p class="muted">${t('accounts.none', { platform: platformName(p) })}</p>`
                  : html`<div class="table-wrap">
                      <table class="table">
                        <caption class="visually-hidden">${platformName(p)}</caption>
                        <thead>
                          <tr>
                            <th scope="col">${t('accounts.col.account')}</th>
                            ${showOrg ? html`<th scope="col">${t('accounts.col.org')}</th>` : nothing}
                            <th scope="col">${t('accounts.col.status')}</th>
                            <th scope="col">${t('accounts.col.token')}</th>
                            <th scope="col">${t('accounts.col.profile')}</th>
                            ${withActions ? html`<th scope="col">${t('connect.col.actions')}</th>` : nothing}
                          </tr>
                        </thead>
                        <tbody>
                          ${list.map((a) => {
                            const why = this.reason(a);
                            return html`<tr data-testid="account-${a.id}" data-status=${a.status}>
                              <th scope="row">
                                <span class="handle">${a.handle}</span>
                                ${a.displayName && a.displayName !== a.handle ? html`<br /><span class="muted small">${a.displayName}</span>` : nothing}
                                ${a.sandbox ? html` <span class="tag">${t('accounts.sandbox')}</span>` : nothing}
                              </th>
                              ${showOrg ? html`<td>${this.ctx.orgName(a.orgId)}</td>` : nothing}
                              <td>
                                ${accountStatusBadge(a.status)}${why ? html`<br /><span class="small" data-testid="account-reason-${a.id}">${why}</span>` : nothing}
                                ${a.status === 'needs_reconnect' ? html`<br /><span class="small">${t('connect.waiting')}</span>` : nothing}
                              </td>
                              <td>${this.expiry(a)}</td>
                              <td>${a.profileUrl ? externalLink(a.profileUrl, t('accounts.openProfile', { handle: a.handle })) : t('common.none')}</td>
                              ${withActions ? html`<td>${this.actions(a, m)}</td>` : nothing}
                            </tr>`;
                          })}
                        </tbody>
                      </table>
                    </div>`}
              </section>`;
            })}
    `;
  }
}
