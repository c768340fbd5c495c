// The review queue: posts in review, oldest first (approvers and admins).

import { html, nothing } from 'lit-html';
import * as api from '../api';
import type { Post } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { loadError, loading, pager, timeEl } from '../ui';
import { searchParams } from '../router';

const LIMIT = 50;

export class ReviewView implements View {
  private posts: Post[] = [];
  private total = 0;
  private loaded = false;
  private error: unknown = null;
  private offset = 0;

  constructor(private ctx: Ctx) {
    this.offset = Math.max(0, Number(searchParams().get('offset') ?? 0) || 0);
    void this.load();
  }

  title(): string {
    return t('review.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      const page = await api.reviewQueue({ limit: LIMIT, offset: this.offset });
      this.posts = page.data;
      this.total = page.total;
    } catch (err) {
      this.error = err;
    }
    this.loaded = true;
    this.ctx.update();
  }

  render() {
    const lang = this.ctx.lang();
    return html`
      <h1 id="page-title" tabindex="-1">${t('review.title')}</h1>
      <p class="lead">${t('review.intro')}</p>
      ${!this.loaded
        ? loading()
        : this.error
          ? loadError(this.error, lang, () => void this.load())
          : this.posts.length === 0
            ? html`<p class="empty" data-testid="review-empty">${t('review.empty')}</p>`
            : html`<div class="table-wrap">
                  <table class="table" data-testid="review-table">
                    <caption class="visually-hidden">${t('review.title')}</caption>
                    <thead>
                      <tr>
                        <th scope="col">${t('review.col.submitted')}</th>
                        <th scope="col">${t('review.col.title')}</th>
                        <th scope="col">${t('review.col.org')}</th>
                        <th scope="col">${t('review.col.targets')}</th>
                        <th scope="col">${t('review.col.scheduled')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${this.posts.map((p) => {
                        const at = p.submittedAt ?? p.updatedAt;
                        const title = p.title || t('common.untitled');
                        return html`<tr data-testid="review-row-${p.id}">
                          <td>${timeEl(formatIST(at, lang), isoMachine(at))}</td>
                          <th scope="row">
                            <a href="/posts/${encodeURIComponent(p.id)}" aria-label=${t('review.open', { title })}>${title}</a>
                            ${p.kind === 'clarification' ? html` <span class="tag">${t('posts.clarification')}</span>` : nothing}
                          </th>
                          <td>${this.ctx.orgName(p.orgId)}</td>
                          <td>${(p.targets ?? []).length}</td>
                          <td>${p.scheduledAt ? timeEl(formatIST(p.scheduledAt, lang), isoMachine(p.scheduledAt)) : t('post.asap')}</td>
                        </tr>`;
                      })}
                    </tbody>
                  </table>
                </div>
                ${pager(this.total, this.offset, LIMIT, (o) => this.ctx.navigate(o > 0 ? `/review?offset=${o}` : '/review'))}`}
    `;
  }
}
