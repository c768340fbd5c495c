// A page that only says something: not found, not allowed.

import { html } from 'lit-html';
import type { Ctx, View } from '../app';
import { t } from '../i18n';

export class MessageView implements View {
  constructor(
    private ctx: Ctx,
    private heading: string,
    private body: string,
  ) {}

  title(): string {
    return this.heading;
  }

  render() {
    return html`<h1 id="page-title" tabindex="-1">${this.heading}</h1>
      <p>${this.body}</p>
      <p><a href="/posts">${t('notFound.home')}</a></p>
      <span hidden>${this.ctx.lang()}</span>`;
  }
}
