// Accounts: an organisation's accounts by platform with their status
// (connected, needs reconnection, defunct with the reason).

import { html, nothing } from 'lit-html';
import * as api from '../api';
import { PLATFORMS, type Account } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { platformName } from '../platforms';
import { accountStatusBadge, externalLink, loadError, loading, timeEl, unusableReason } from '../ui';
import { searchParams } from '../router';

export class AccountsView implements View {
  private accounts: Account[] = [];
  private loaded = false;
  private error: unknown = null;
  private orgId: string;

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
      this.accounts = await api.listAccounts(this.orgId || undefined);
    } catch (err) {
      this.error = err;
    }
    this.loaded = true;
    this.ctx.update();
  }

  private reason(a: Account): string {
    return unusableReason(a, this.ctx.platforms) || a.statusReason || '';
  }

  render() {
    const lang = this.ctx.lang();
    const scoped = this.ctx.user?.role === 'editor';
    const showOrg = !scoped && !this.orgId;
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
      ${!this.loaded
        ? loading()
        : this.error
          ? loadError(this.error, lang, () => void this.load())
          : PLATFORMS.map((p) => {
              const list = this.accounts.filter((a) => a.platform === p);
              const rules = this.ctx.platforms.get(p);
              const off = p === 'koo' || !!rules?.defunct || (rules ? !rules.enabled : this.ctx.platforms.size > 0);
              const note = p === 'koo' ? t('platform.koo.defunct') : rules?.defunct || (off ? t('platform.disabled') : '');
              return html`<section class="section" aria-labelledby="acc-${p}" data-testid="accounts-${p}">
                <h2 id="acc-${p}">${platformName(p)}</h2>
                ${note ? html`<p class="muted">${note}</p>` : nothing}
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
                              <td>${accountStatusBadge(a.status)}${why ? html`<br /><span class="small">${why}</span>` : nothing}</td>
                              <td>${a.tokenExpiresAt ? timeEl(formatIST(a.tokenExpiresAt, lang), isoMachine(a.tokenExpiresAt)) : t('common.none')}</td>
                              <td>${a.profileUrl ? externalLink(a.profileUrl, t('accounts.openProfile', { handle: a.handle })) : t('common.none')}</td>
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
