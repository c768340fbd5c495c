// Officer details that editors changed, waiting for an administrator:
// the version before and the proposal side by side, confirm or reject.

import { html, nothing } from 'lit-html';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import * as reg from '../registryApi';
import type { OfficerChange, OfficerEdit } from '../registryApi';
import { loadError, loading, timeEl } from '../ui';

const KEYS: (keyof OfficerEdit)[] = ['name', 'designation', 'posting', 'rank', 'email', 'phone', 'accountDetails', 'orderRef'];

export class ChangesView implements View {
  private changes: OfficerChange[] | null = null;
  private error: unknown = null;
  private busy = '';

  constructor(private ctx: Ctx) {
    void this.load();
  }

  title(): string {
    return t('chg.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      this.changes = await reg.listOfficerChanges('pending');
    } catch (err) {
      this.error = err;
    }
    this.ctx.update();
  }

  private async decide(c: OfficerChange, approve: boolean): Promise<void> {
    this.busy = c.id;
    this.ctx.update();
    try {
      await reg.decideOfficerChange(c.id, approve, '');
      this.ctx.announce(approve ? t('chg.approved') : t('chg.rejected'));
      await this.load();
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = '';
      this.ctx.update();
    }
  }

  render() {
    const lang = this.ctx.lang();
    return html`
      <h1 id="page-title" tabindex="-1">${t('chg.title')}</h1>
      <p class="lead">${t('chg.intro')}</p>
      ${this.error ? loadError(this.error, lang, () => void this.load()) : nothing}
      ${!this.changes
        ? loading()
        : this.changes.length === 0
          ? html`<p data-testid="changes-empty">${t('chg.none')}</p>`
          : this.changes.map(
              (c) => html`<section class="card" data-testid="change-${c.id}" aria-labelledby="chg-${c.id}">
                <h2 id="chg-${c.id}">${c.before.name} — ${this.ctx.orgName(c.orgId)}</h2>
                <p>${timeEl(formatIST(c.requestedAt, lang), isoMachine(c.requestedAt))}${c.comment ? html` · “${c.comment}”` : nothing}</p>
                <table class="table">
                  <thead><tr><th scope="col">${t('chg.field')}</th><th scope="col">${t('chg.before')}</th><th scope="col">${t('chg.proposed')}</th></tr></thead>
                  <tbody>
                    ${KEYS.map((k) => {
                      const before = String((c.before as unknown as Record<string, string | undefined>)[k] ?? '');
                      const after = c.proposed[k] ?? '';
                      const changed = before !== after;
                      return html`<tr data-changed=${changed ? 'true' : 'false'}>
                        <th scope="row">${t(`reg.f.${k}`)}</th><td>${before || t('common.none')}</td>
                        <td>${changed ? html`<strong>${after || t('common.none')}</strong> <span class="visually-hidden">${t('chg.changed')}</span>` : after || t('common.none')}</td>
                      </tr>`;
                    })}
                  </tbody>
                </table>
                <div class="toolbar">
                  <button type="button" class="button" ?disabled=${this.busy === c.id} data-testid="approve-${c.id}" @click=${() => void this.decide(c, true)}>${t('chg.approve')}</button>
                  <button type="button" class="button button--secondary" ?disabled=${this.busy === c.id} data-testid="reject-${c.id}" @click=${() => void this.decide(c, false)}>${t('chg.reject')}</button>
                </div>
              </section>`,
            )}
    `;
  }
}
