// The post page's metrics panel: each delivery's figures (with what each
// means on its platform), the platform's raw metrics and refusals, when
// it was read and will be read next, and the last problem.

import { html, nothing, type TemplateResult } from 'lit-html';
import * as api from '../api';
import type { PostReach, ReachFigure } from '../api';
import type { Ctx } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { platformName, platformOrder } from '../platforms';
import { externalLink, loadError, timeEl } from '../ui';
import { defTip, fmtNum, postFigure, ruleText, sumFigure } from './reach-ui';

const FIGS: ReachFigure[] = ['reach', 'views', 'engagements'];

export class ReachPanel {
  private r: PostReach | null = null;
  private error: unknown = null;
  private loadingNow = false;

  constructor(
    private ctx: Ctx,
    private postId: string,
  ) {}

  /** load (re)reads the panel; the post page calls it when deliveries change. */
  async load(): Promise<void> {
    if (this.loadingNow) return;
    this.loadingNow = true;
    try {
      this.r = await api.postReach(this.postId);
      this.error = null;
    } catch (err) {
      this.error = err;
    }
    this.loadingNow = false;
    this.ctx.update();
  }

  render(): TemplateResult {
    const lang = this.ctx.lang();
    const r = this.r;
    const rows = [...(r?.deliveries ?? [])]
      .filter((d) => d.status === 'published' || d.fetches > 0)
      .sort((a, b) => platformOrder(a.platform) - platformOrder(b.platform) || a.handle.localeCompare(b.handle));
    const defs = r?.definitions ?? [];
    return html`<section aria-labelledby="post-reach-title" class="section" data-testid="post-reach">
      <div class="page-head">
        <h2 id="post-reach-title">${t('reach.post.title')}</h2>
        <button type="button" class="button button--secondary" @click=${() => void this.load()} data-testid="post-reach-refresh">${t('reach.refresh')}</button>
      </div>
      <p class="muted">${t('reach.post.intro')}</p>
      ${this.error
        ? loadError(this.error, lang, () => void this.load())
        : !r
          ? html`<p class="loading" role="status">${t('app.loading')}</p>`
          : rows.length === 0
            ? html`<p class="empty" data-testid="post-reach-empty">${t('reach.post.empty')}</p>`
            : html`<div class="table-wrap">
                <table class="table" data-testid="post-reach-table">
                  <caption class="visually-hidden">${t('reach.post.title')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">${t('reach.post.account')}</th>
                      ${FIGS.map((f) => html`<th scope="col" class="num">${t(`reach.fig.${f}`)} ${defTip(f, defs)}</th>`)}
                      <th scope="col">${t('reach.post.read')}</th>
                      <th scope="col">${t('reach.post.next')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${rows.map((d) => {
                      const def = defs.find((x) => x.id === d.definitionId);
                      return html`<tr data-testid="post-reach-${d.deliveryId}" data-platform=${d.platform}
                        data-reach=${d.figures.reach ?? 'na'} data-views=${d.figures.views ?? 'na'} data-engagements=${d.figures.engagements ?? 'na'}>
                        <th scope="row">
                          ${platformName(d.platform)} <span class="handle">${d.handle}</span>
                          ${d.externalUrl ? html`<br />${externalLink(d.externalUrl, t('reach.open', { platform: platformName(d.platform) }))}` : nothing}
                          ${this.renderRaw(d)}
                          ${d.lastError ? html`<p class="muted" data-testid="post-reach-problem-${d.deliveryId}">${t('reach.post.problem', { problem: d.lastError })}</p>` : nothing}
                        </th>
                        ${FIGS.map(
                          (f) => html`<td class="num" title=${def ? (def[f].metrics?.length ? ruleText(def[f]) : `${t('reach.notAvailable')} — ${ruleText(def[f])}`) : ''}>
                            ${postFigure(d.figures[f], lang)}
                          </td>`,
                        )}
                        <td>${d.asOf ? timeEl(formatIST(d.asOf, lang), isoMachine(d.asOf)) : html`<span class="muted">${t('reach.post.notYet')}</span>`}
                          ${d.fetches > 0 ? html`<br /><span class="muted">${t('reach.post.readings', { n: d.fetches })}</span>` : nothing}</td>
                        <td>${d.nextAt ? timeEl(formatIST(d.nextAt, lang), isoMachine(d.nextAt)) : html`<span class="muted">${t('reach.post.noMore')}</span>`}</td>
                      </tr>`;
                    })}
                  </tbody>
                  ${rows.length > 1
                    ? html`<tfoot>
                        <tr data-testid="post-reach-total">
                          <th scope="row">${t('reach.post.total')}</th>
                          ${FIGS.map((f) => html`<td class="num">${sumFigure(r.totals, f, lang)}</td>`)}
                          <td></td>
                          <td></td>
                        </tr>
                      </tfoot>`
                    : nothing}
                </table>
              </div>`}
    </section>`;
  }

  private renderRaw(d: api.DeliveryReach): TemplateResult | typeof nothing {
    const raw = Object.entries(d.raw ?? {}).sort(([a], [b]) => a.localeCompare(b));
    const refused = Object.entries(d.unavailable ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (raw.length === 0 && refused.length === 0) return nothing;
    const lang = this.ctx.lang();
    return html`<details class="reach-raw" data-testid="post-reach-raw-${d.deliveryId}">
      <summary>${t('reach.post.raw', { platform: platformName(d.platform) })}</summary>
      ${d.apiVersion ? html`<p class="muted">${t('reach.post.rawVersion', { version: d.apiVersion })}</p>` : nothing}
      <ul>
        ${raw.map(([k, v]) => html`<li><code>${k}</code>: ${fmtNum(v, lang)}</li>`)}
        ${refused.map(([k, why]) => html`<li class="muted">${t('reach.post.unavailable', { metric: k, why })}</li>`)}
      </ul>
    </details>`;
  }
}
