// The weekly reach digest for the PR section: the week against the week
// before, by platform, the organisations and posts that reached most, and
// the organisations that published nothing; administrators can send it.

import { html, nothing, type TemplateResult } from 'lit-html';
import * as api from '../api';
import type { Digest, ReachFigure, ReachTotals } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { translateError } from '../errors';
import { formatDateIST } from '../time';
import { platformName } from '../platforms';
import { externalLink, loadError, loading } from '../ui';
import { searchParams } from '../router';
import { defTip, definitionsLegend, figureName, fmtNum, postFigure, sumFigure, totals } from './reach-ui';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const FIGS: ReachFigure[] = ['reach', 'views', 'engagements'];

export class DigestView implements View {
  private week: string;
  private d: Digest | null = null;
  private error: unknown = null;
  private sending = false;
  private sent = '';
  private sendErr = '';

  constructor(private ctx: Ctx) {
    const w = searchParams().get('week') ?? '';
    this.week = DATE.test(w) ? w : '';
    void this.load();
  }

  title(): string {
    return t('reach.digest.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      await this.ctx.registry().catch(() => undefined);
      this.d = await api.reachDigest(this.week || undefined);
    } catch (err) {
      this.error = err;
    }
    this.ctx.update();
  }

  private show(e: Event): void {
    e.preventDefault();
    const w = String(new FormData(e.target as HTMLFormElement).get('week') ?? '');
    this.ctx.navigate(`/reach/digest${DATE.test(w) ? `?week=${w}` : ''}`);
  }

  private async send(): Promise<void> {
    if (!this.d) return;
    this.sending = true;
    this.sent = '';
    this.sendErr = '';
    this.ctx.update();
    try {
      const r = await api.sendReachDigest(this.d.week);
      this.sent = t('reach.digest.sent', { n: r.notified });
      this.ctx.announce(this.sent);
    } catch (err) {
      this.sendErr = translateError(err, this.ctx.lang());
      this.ctx.announce(this.sendErr, true);
    }
    this.sending = false;
    this.ctx.update();
  }

  render(): TemplateResult {
    const lang = this.ctx.lang();
    const d = this.d;
    return html`
      <div class="page-head">
        <h1 id="page-title" tabindex="-1">${t('reach.digest.title')}</h1>
        <a href="/reach">${t('reach.digest.back')}</a>
      </div>
      <p class="lead">${t('reach.digest.intro')}</p>
      <form class="filters" novalidate @submit=${(e: Event) => this.show(e)} data-testid="digest-form">
        <div class="field field--inline">
          <label for="dg-week">${t('reach.digest.week')}</label>
          <input id="dg-week" name="week" type="date" .value=${this.week || d?.week || ''} data-testid="digest-week" />
        </div>
        <div class="button-row">
          <button type="submit" class="button button--secondary" data-testid="digest-show">${t('reach.digest.show')}</button>
        </div>
      </form>
      ${this.error ? loadError(this.error, lang, () => void this.load()) : !d ? loading() : this.renderDigest(d)}
    `;
  }

  private renderDigest(d: Digest): TemplateResult {
    const lang = this.ctx.lang();
    const defs = d.definitions ?? [];
    const inView = defs.filter((df) => (d.platforms ?? []).includes(df.platform));
    const change = (now: ReachTotals, before: ReachTotals, f: ReachFigure) => {
      const a = totals(now, f);
      const b = totals(before, f);
      if (a.posts === 0 || b.posts === 0 || b.sum === 0) return html`<span class="muted">${t('common.none')}</span>`;
      const pct = Math.round(((a.sum - b.sum) * 100) / b.sum);
      return html`<span>${pct > 0 ? '+' : ''}${fmtNum(pct, lang)}%</span>`;
    };
    const day = (s: string) => formatDateIST(`${s}T12:00:00+05:30`, lang);
    return html`
      <p data-testid="digest-range"><strong>${t('reach.digest.range', { from: day(d.from), to: day(d.to) })}</strong></p>
      ${this.ctx.can('admin')
        ? html`<div class="reach-tools">
            <button type="button" class="button" ?disabled=${this.sending} aria-describedby="digest-send-help" @click=${() => void this.send()} data-testid="digest-send">
              ${this.sending ? t('common.working') : t('reach.digest.send')}
            </button>
            <span id="digest-send-help" class="muted">${t('reach.digest.sendHelp')}</span>
            ${this.sent ? html`<p class="notice notice--success" data-testid="digest-sent">${this.sent}</p>` : nothing}
            ${this.sendErr ? html`<p class="notice notice--error" role="alert">${this.sendErr}</p>` : nothing}
          </div>`
        : nothing}
      <div class="table-wrap">
        <table class="table" data-testid="digest-totals">
          <caption class="visually-hidden">${t('reach.digest.range', { from: day(d.from), to: day(d.to) })}</caption>
          <thead>
            <tr>
              <th scope="col"></th>
              <th scope="col" class="num">${t('reach.digest.thisWeek')}</th>
              <th scope="col" class="num">${t('reach.digest.previous')}</th>
              <th scope="col" class="num">${t('reach.digest.change')}</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">${figureName('posts')} ${defTip('posts', inView)}</th>
              <td class="num" data-testid="digest-posts">${fmtNum(d.totals.posts, lang)}</td>
              <td class="num">${fmtNum(d.previous.posts, lang)}</td>
              <td class="num"></td>
            </tr>
            ${FIGS.map(
              (f) => html`<tr data-testid="digest-${f}">
                <th scope="row">${figureName(f)} ${defTip(f, inView)}</th>
                <td class="num">${sumFigure(d.totals, f, lang)}</td>
                <td class="num">${sumFigure(d.previous, f, lang)}</td>
                <td class="num">${change(d.totals, d.previous, f)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>

      <section aria-labelledby="dg-platforms" class="section">
        <h2 id="dg-platforms">${t('reach.digest.byPlatform')}</h2>
        ${(d.byPlatform ?? []).length === 0
          ? html`<p class="empty">${t('reach.chart.empty')}</p>`
          : html`<div class="table-wrap"><table class="table table--dense">
              <thead><tr><th scope="col">${t('reach.col.platform')}</th><th scope="col" class="num">${figureName('posts')}</th>
                ${FIGS.map((f) => html`<th scope="col" class="num">${figureName(f)} ${defTip(f, inView)}</th>`)}</tr></thead>
              <tbody>
                ${(d.byPlatform ?? []).map(
                  (p) => html`<tr data-testid="digest-platform-${p.platform}"><th scope="row">${platformName(p.platform)}</th>
                    <td class="num">${fmtNum(p.posts, lang)}</td>${FIGS.map((f) => html`<td class="num">${sumFigure(p, f, lang)}</td>`)}</tr>`,
                )}
              </tbody></table></div>`}
      </section>

      <section aria-labelledby="dg-orgs" class="section">
        <h2 id="dg-orgs">${t('reach.digest.topOrgs')}</h2>
        ${(d.topOrgs ?? []).length === 0
          ? html`<p class="empty">${t('reach.orgs.empty')}</p>`
          : html`<ol data-testid="digest-top-orgs">
              ${(d.topOrgs ?? []).map(
                (o) => html`<li>${lang === 'hi' ? o.nameHi || o.nameEn : o.nameEn} (${o.code}): ${figureName('reach')} ${sumFigure(o, 'reach', lang)},
                  ${figureName('engagements')} ${sumFigure(o, 'engagements', lang)}, ${fmtNum(o.posts, lang)} ${figureName('posts').toLowerCase()}</li>`,
              )}
            </ol>`}
      </section>

      <section aria-labelledby="dg-posts" class="section">
        <h2 id="dg-posts">${t('reach.digest.topPosts')}</h2>
        ${(d.topPosts ?? []).length === 0
          ? html`<p class="empty">${t('reach.top.empty')}</p>`
          : html`<ol data-testid="digest-top-posts">
              ${(d.topPosts ?? []).map(
                (p) => html`<li><a href="/posts/${encodeURIComponent(p.postId)}">${p.title || t('common.untitled')}</a> — ${platformName(p.platform)},
                  ${figureName('reach')} ${postFigure(p.figures.reach, lang)}
                  ${p.externalUrl ? html` · ${externalLink(p.externalUrl, t('reach.open', { platform: platformName(p.platform) }))}` : nothing}</li>`,
              )}
            </ol>`}
      </section>

      <section aria-labelledby="dg-silent" class="section">
        <h2 id="dg-silent">${t('reach.digest.silent')}</h2>
        ${(d.silent ?? []).length === 0
          ? html`<p>${t('reach.digest.silentNone')}</p>`
          : html`<ul data-testid="digest-silent">
              ${(d.silent ?? []).map((o) => html`<li>${lang === 'hi' ? o.nameHi || o.nameEn : o.nameEn} (${o.code})</li>`)}
            </ul>`}
      </section>
      ${definitionsLegend(inView.length > 0 ? inView : defs, 'dg-defs-title')}
    `;
  }
}
