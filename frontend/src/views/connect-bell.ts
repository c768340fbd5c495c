// The notifications bell in the header: the number of unread notifications
// (accounts to reconnect, tokens about to expire, cases, digests), and a
// panel listing the latest with a link each and "mark all as read". It
// reads GET /api/v1/notifications on every page change and every two
// minutes, and marks read with POST /api/v1/notifications/read.

import { html, nothing, type TemplateResult } from 'lit-html';
import * as api from '../api';
import type { AppNotification } from '../api';
import type { Ctx } from '../app';
import { t } from '../i18n';
import { formatIST, isoMachine } from '../time';
import { timeEl } from '../ui';
import './connect.css';

const PAGE = 20;
const POLL_MS = 120_000;

export class NotificationsBell {
  private unread = 0;
  private items: AppNotification[] = [];
  private open = false;
  private loading = false;
  private failed = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && this.open) {
      this.close();
      document.getElementById('notifications-bell')?.focus();
    }
  };

  constructor(private ctx: Ctx) {}

  /** start polls the unread count while someone is signed in. */
  start(): void {
    if (this.timer === null) this.timer = setInterval(() => void this.refresh(), POLL_MS);
    document.addEventListener('keydown', this.onKey);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    document.removeEventListener('keydown', this.onKey);
    this.open = false;
  }

  /** refresh reads the unread count (and the list when the panel is open). */
  async refresh(): Promise<void> {
    if (!this.ctx.user) return;
    try {
      const unread = await api.listNotifications({ unread: true, limit: 1 });
      const changed = unread.total !== this.unread;
      this.unread = unread.total;
      if (this.open) await this.loadList();
      else if (changed) this.ctx.update();
    } catch {
      // The bell is secondary: a failed poll leaves the last count.
    }
  }

  private async loadList(): Promise<void> {
    this.loading = true;
    this.ctx.update();
    try {
      const p = await api.listNotifications({ limit: PAGE });
      this.items = p.data;
      this.failed = false;
    } catch {
      this.failed = true;
    }
    this.loading = false;
    this.ctx.update();
  }

  private toggle(): void {
    this.open = !this.open;
    this.ctx.update();
    if (this.open) void this.loadList();
  }

  private close(): void {
    this.open = false;
    this.ctx.update();
  }

  private async markAll(): Promise<void> {
    try {
      await api.markNotificationsRead([]);
      const now = new Date().toISOString();
      this.items = this.items.map((n) => (n.readAt ? n : { ...n, readAt: now }));
      this.unread = 0;
      this.ctx.announce(t('bell.unread', { n: 0 }));
    } catch {
      this.failed = true;
    }
    this.ctx.update();
  }

  private async follow(n: AppNotification): Promise<void> {
    this.open = false;
    if (!n.readAt) {
      try {
        await api.markNotificationsRead([n.id]);
        this.unread = Math.max(0, this.unread - 1);
        n.readAt = new Date().toISOString();
      } catch {
        // The link still works.
      }
    }
    this.ctx.update();
  }

  render(): TemplateResult {
    const lang = this.ctx.lang();
    const label = this.unread > 0 ? `${t('bell.label')}, ${t('bell.unread', { n: this.unread })}` : t('bell.label');
    return html`<div class="bell">
      <button type="button" id="notifications-bell" class="button button--header bell__button" data-testid="notifications-bell"
        data-unread=${this.unread} aria-expanded=${this.open ? 'true' : 'false'} aria-controls="notifications-panel" aria-label=${label}
        @click=${() => this.toggle()}>
        <span aria-hidden="true">🔔</span>
        ${this.unread > 0 ? html`<span class="bell__count" aria-hidden="true" data-testid="notifications-count">${this.unread}</span>` : nothing}
      </button>
      ${this.open
        ? html`<section id="notifications-panel" class="bell__panel" aria-labelledby="notifications-title" data-testid="notifications-panel">
            <div class="bell__head">
              <h2 id="notifications-title">${t('bell.title')}</h2>
              ${this.unread > 0
                ? html`<button type="button" class="button button--small button--secondary" data-testid="notifications-read-all" @click=${() => void this.markAll()}>
                    ${t('bell.readAll')}
                  </button>`
                : nothing}
            </div>
            ${this.loading && this.items.length === 0
              ? html`<p class="loading" role="status">${t('app.loading')}</p>`
              : this.failed
                ? html`<p class="notice notice--error" role="alert">${t('bell.loadFailed')}</p>`
                : this.items.length === 0
                  ? html`<p class="muted" data-testid="notifications-empty">${t('bell.empty')}</p>`
                  : html`<ul class="bell__list">
                      ${this.items.map(
                        (n) => html`<li class="bell__item ${n.readAt ? '' : 'bell__item--unread'}" data-testid="notification-${n.id}"
                          data-kind=${n.kind} data-read=${n.readAt ? 'true' : 'false'}>
                          <p class="bell__subject">
                            ${n.readAt ? nothing : html`<span class="badge badge--info"><span class="badge__icon" aria-hidden="true">●</span>${t('bell.new')}</span> `}
                            <strong>${n.subject}</strong>
                          </p>
                          <p class="bell__body small">${n.body}</p>
                          <p class="small muted">
                            ${timeEl(formatIST(n.createdAt, lang), isoMachine(n.createdAt))}
                            ${n.link ? html` · <a href=${n.link} data-testid="notification-link-${n.id}" @click=${() => void this.follow(n)}>${t('bell.open')}</a>` : nothing}
                          </p>
                        </li>`,
                      )}
                    </ul>`}
          </section>`
        : nothing}
    </div>`;
  }
}
