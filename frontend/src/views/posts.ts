// The posts list: filters by status (and organisation for the PR section),
// newest first, with pagination.

import { html, nothing } from 'lit-html';
import * as api from '../api';
import { POST_STATUSES, type Post, type PostStatus } from '../api';
import type { Ctx, View } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { loadError, loading, pager, postStatusBadge, timeEl } from '../ui';
import { searchParams } from '../router';

const LIMIT = 25;

export class PostsView implements View {
  private posts: Post[] = [];
  private total = 0;
  private loaded = false;
  private error: unknown = null;
  private status: PostStatus | '' = '';
  private orgId = '';
  private offset = 0;

  constructor(private ctx: Ctx) {
    const q = searchParams();
    const s = q.get('status') ?? '';
    this.status = (POST_STATUSES as readonly string[]).includes(s) ? (s as PostStatus) : '';
    this.orgId = q.get('orgId') ?? '';
    this.offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
    void this.load();
  }

  title(): string {
    return t('posts.title');
  }

  private async load(): Promise<void> {
    this.error = null;
    try {
      const page = await api.listPosts({
        status: this.status ? [this.status] : undefined,
        orgId: this.orgId || undefined,
        limit: LIMIT,
        offset: this.offset,
      });
      this.posts = page.data;
      this.total = page.total;
    } catch (err) {
      this.error = err;
    }
    this.loaded = true;
    this.ctx.update();
  }

  private go(offset: number): void {
    const q = new URLSearchParams();
    if (this.status) q.set('status', this.status);
    if (this.orgId) q.set('orgId', this.orgId);
    if (offset > 0) q.set('offset', String(offset));
    const s = q.toString();
    this.ctx.navigate(`/posts${s ? `?${s}` : ''}`);
  }

  private applyFilters(e: Event): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    this.status = (String(data.get('status') ?? '') as PostStatus) || '';
    this.orgId = String(data.get('orgId') ?? '');
    this.go(0);
  }

  render() {
    const lang = this.ctx.lang();
    const editorsOnly = this.ctx.user?.role === 'editor';
    return html`
      <div class="page-head">
        <h1 id="page-title" tabindex="-1">${t('posts.title')}</h1>
        ${this.ctx.can('write') ? html`<a class="button" href="/posts/new" data-testid="new-post">${t('posts.new')}</a>` : nothing}
      </div>
      <p class="lead">${editorsOnly ? t('posts.intro') : t('posts.introAll')}</p>
      <form class="filters" role="search" aria-label=${t('history.filters')} @submit=${(e: Event) => this.applyFilters(e)}>
        <div class="field field--inline">
          <label for="posts-status">${t('posts.status')}</label>
          <select id="posts-status" name="status" data-testid="filter-status">
            <option value="" ?selected=${this.status === ''}>${t('common.all')}</option>
            ${POST_STATUSES.map((s) => html`<option value=${s} ?selected=${this.status === s}>${t(`postStatus.${s}`)}</option>`)}
          </select>
        </div>
        ${editorsOnly
          ? nothing
          : html`<div class="field field--inline">
              <label for="posts-org">${t('posts.org')}</label>
              <select id="posts-org" name="orgId" data-testid="filter-org">
                <option value="" ?selected=${this.orgId === ''}>${t('common.all')}</option>
                ${this.ctx.orgs.map((o) => html`<option value=${o.id} ?selected=${this.orgId === o.id}>${this.ctx.orgName(o.id)}</option>`)}
              </select>
            </div>`}
        <button type="submit" class="button button--secondary" data-testid="filter-apply">${t('common.apply')}</button>
      </form>
      ${!this.loaded
        ? loading()
        : this.error
          ? loadError(this.error, lang, () => void this.load())
          : this.posts.length === 0
            ? html`<p class="empty" data-testid="posts-empty">${t('posts.empty')}</p>`
            : html`
                <div class="table-wrap">
                  <table class="table" data-testid="posts-table">
                    <caption class="visually-hidden">${t('posts.title')}</caption>
                    <thead>
                      <tr>
                        <th scope="col">${t('posts.col.title')}</th>
                        ${editorsOnly ? nothing : html`<th scope="col">${t('posts.col.org')}</th>`}
                        <th scope="col">${t('posts.col.status')}</th>
                        <th scope="col">${t('posts.col.scheduled')}</th>
                        <th scope="col">${t('posts.col.updated')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${this.posts.map(
                        (p) => html`<tr data-testid="post-row-${p.id}" data-status=${p.status}>
                          <th scope="row">
                            <a href="/posts/${encodeURIComponent(p.id)}">${p.title || t('common.untitled')}</a>
                            ${p.kind === 'clarification' ? html` <span class="tag">${t('posts.clarification')}</span>` : nothing}
                          </th>
                          ${editorsOnly ? nothing : html`<td>${this.ctx.orgName(p.orgId)}</td>`}
                          <td>${postStatusBadge(p.status)}</td>
                          <td>${p.scheduledAt ? timeEl(formatIST(p.scheduledAt, lang), isoMachine(p.scheduledAt)) : t('post.asap')}</td>
                          <td>${timeEl(formatIST(p.updatedAt, lang), isoMachine(p.updatedAt))}</td>
                        </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>
                ${pager(this.total, this.offset, LIMIT, (o) => this.go(o))}
              `}
    `;
  }
}
