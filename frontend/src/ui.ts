// Small pieces of UI shared by the views: status badges, form errors,
// the error summary, pagination and the per-platform preview.

import { html, nothing, type TemplateResult } from 'lit-html';
import type { Account, AccountStatus, DeliveryStatus, ErrorClass, FieldError, Lang, PlatformRules, PostStatus, TargetMeasure } from './api';
import { t, hasKey, type MessageKey } from './i18n';
import { translateFieldError, translateError, requestIdNote, type ErrorContext } from './errors';
import { platformName, platformOrder } from './platforms';

// ---- Status badges: an icon AND words, never colour alone ----

type Tone = 'good' | 'bad' | 'warn' | 'info' | 'neutral';

const POST_LOOK: Record<PostStatus, [string, Tone]> = {
  draft: ['✎', 'neutral'],
  in_review: ['⧗', 'info'],
  changes_requested: ['↩', 'warn'],
  rejected: ['✕', 'bad'],
  approved: ['✓', 'good'],
  publishing: ['➤', 'good'],
  cancelled: ['⊘', 'neutral'],
  retracted: ['⤺', 'warn'],
};

const DELIVERY_LOOK: Record<DeliveryStatus, [string, Tone]> = {
  queued: ['⧗', 'info'],
  sending: ['➤', 'info'],
  retrying: ['↻', 'warn'],
  published: ['✓', 'good'],
  failed: ['✕', 'bad'],
  needs_reconnect: ['⚠', 'bad'],
  unconfirmed: ['?', 'warn'],
  cancelled: ['⊘', 'neutral'],
  retracted: ['⤺', 'neutral'],
};

const ACCOUNT_LOOK: Record<AccountStatus, [string, Tone]> = {
  connected: ['✓', 'good'],
  needs_reconnect: ['⚠', 'bad'],
  disconnected: ['–', 'warn'],
  defunct: ['⊘', 'neutral'],
};

function badge(icon: string, tone: Tone, label: string, status: string): TemplateResult {
  return html`<span class="badge badge--${tone}" data-status=${status}><span class="badge__icon" aria-hidden="true">${icon}</span>${label}</span>`;
}

export function postStatusBadge(s: PostStatus): TemplateResult {
  const [icon, tone] = POST_LOOK[s] ?? ['•', 'neutral'];
  const key = `postStatus.${s}`;
  return badge(icon, tone, hasKey(key) ? t(key) : s, s);
}

export function deliveryStatusBadge(s: DeliveryStatus): TemplateResult {
  const [icon, tone] = DELIVERY_LOOK[s] ?? ['•', 'neutral'];
  return badge(icon, tone, deliveryStatusLabel(s), s);
}

export function deliveryStatusLabel(s: string): string {
  const key = `deliveryStatus.${s}`;
  return hasKey(key) ? t(key) : s;
}

export function accountStatusBadge(s: AccountStatus): TemplateResult {
  const [icon, tone] = ACCOUNT_LOOK[s] ?? ['•', 'neutral'];
  const key = `accountStatus.${s}`;
  return badge(icon, tone, hasKey(key) ? t(key) : s, s);
}

export function label(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return hasKey(key) ? t(key as MessageKey) : value;
}

// Plain-words explanations per error class, in the user's language; the
// server's English errorMessage and the platform's own words follow them.
const CLASS_WORDS: Record<ErrorClass, Record<Lang, string>> = {
  retryable: {
    en: 'A temporary problem at the platform; Prasar tries again by itself.',
    hi: 'प्लेटफ़ॉर्म पर अस्थायी समस्या; प्रसार अपने-आप फिर से प्रयास करता है।',
  },
  rate_limited: {
    en: 'The platform’s posting limit was reached; Prasar waits and tries again.',
    hi: 'प्लेटफ़ॉर्म की प्रकाशन सीमा पूरी हो गई; प्रसार प्रतीक्षा करके फिर से प्रयास करता है।',
  },
  auth: {
    en: 'The account’s connection has expired or was revoked; it must be reconnected.',
    hi: 'खाते का कनेक्शन समाप्त हो गया या वापस ले लिया गया; इसे दोबारा जोड़ना होगा।',
  },
  rejected: {
    en: 'The platform refused the post; change it or contact the platform.',
    hi: 'प्लेटफ़ॉर्म ने पोस्ट अस्वीकार कर दी; पोस्ट बदलें या प्लेटफ़ॉर्म से संपर्क करें।',
  },
};

export function errorClassWords(c: ErrorClass | undefined, lang: Lang): string {
  return c && CLASS_WORDS[c] ? CLASS_WORDS[c][lang] : '';
}

/**
 * unusableReason says why nothing can be published to an account (a defunct
 * platform such as Koo, or one switched off or missing in this
 * installation), in the user's language; '' if it can be used. Platforms
 * absent from GET /platforms have no connector here.
 */
export function unusableReason(a: Account, platforms: Map<string, PlatformRules>): string {
  const rules = platforms.get(a.platform);
  if (a.status === 'defunct' || rules?.defunct) {
    if (a.platform === 'koo') return t('platform.koo.defunct');
    return a.statusReason || rules?.defunct || t('accountStatus.defunct');
  }
  const off = rules ? !rules.enabled : platforms.size > 0;
  if (off) return a.platform === 'koo' ? t('platform.koo.defunct') : t('platform.disabled');
  return '';
}

// ---- Form errors ----

export interface ErrorItem {
  /** id of the control the error belongs to ('' if none on this form) */
  id: string;
  /** the field's name, for the summary */
  label: string;
  message: string;
}

/**
 * FormErrors collects the errors of one form, keyed by control id, and
 * renders the summary and the per-field messages.
 */
export class FormErrors {
  items: ErrorItem[] = [];
  /** a form-level message (e.g. "wrong password") with an optional reference */
  general = '';
  reference = '';

  clear(): void {
    this.items = [];
    this.general = '';
    this.reference = '';
  }

  get any(): boolean {
    return this.items.length > 0 || this.general !== '';
  }

  add(id: string, label: string, message: string): void {
    if (this.items.some((i) => i.id === id && i.message === message)) return;
    this.items.push({ id, label, message });
  }

  /**
   * fromError fills the form's errors from an API error: field errors go to
   * the controls locate() names (id and label), everything else is general.
   */
  fromError(err: unknown, lang: Lang, locate: (f: FieldError) => { id: string; label: string }, ctx: ErrorContext = ''): void {
    this.clear();
    const fields = err && typeof err === 'object' && 'fields' in err ? ((err as { fields: FieldError[] }).fields ?? []) : [];
    for (const f of fields) {
      const where = locate(f);
      this.add(where.id, where.label, translateFieldError(f, lang));
    }
    if (fields.length === 0) {
      this.general = translateError(err, lang, ctx);
      this.reference = requestIdNote(err, lang);
    }
  }

  for(id: string): string[] {
    return this.items.filter((i) => i.id === id).map((i) => i.message);
  }

  /** describedBy lists the hint and error ids for a control's aria-describedby. */
  describedBy(id: string, hint = false): string | typeof nothing {
    const ids: string[] = [];
    if (hint) ids.push(`${id}-hint`);
    if (this.for(id).length > 0) ids.push(`${id}-error`);
    return ids.length > 0 ? ids.join(' ') : nothing;
  }

  invalid(id: string): 'true' | typeof nothing {
    return this.for(id).length > 0 ? 'true' : nothing;
  }

  /** fieldError is the message shown next to the control. */
  fieldError(id: string): TemplateResult | typeof nothing {
    const msgs = this.for(id);
    if (msgs.length === 0) return nothing;
    return html`<p class="field-error" id="${id}-error" data-testid="${id}-error">
      <span class="visually-hidden">${t('common.errorSummary')}: </span>${msgs.map((m, i) => html`${i > 0 ? html`<br />` : nothing}${m}`)}
    </p>`;
  }

  /** summary is the box at the top of the form; it takes focus after a failed submit. */
  summary(): TemplateResult | typeof nothing {
    if (!this.any) return nothing;
    return html`<div class="error-summary" id="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title" data-testid="error-summary">
      <h2 id="error-summary-title">${t('common.errorSummary')}</h2>
      ${this.general ? html`<p>${this.general}</p>` : nothing}
      ${this.reference ? html`<p class="reference">${this.reference}</p>` : nothing}
      ${this.items.length > 0
        ? html`<ul>
            ${this.items.map((i) =>
              i.id
                ? html`<li><a href="#${i.id}" @click=${(e: Event) => focusControl(e, i.id)}>${i.label}: ${i.message}</a></li>`
                : html`<li>${i.label ? `${i.label}: ` : ''}${i.message}</li>`,
            )}
          </ul>`
        : nothing}
    </div>`;
  }
}

/** focusControl moves focus to a control without changing the route. */
export function focusControl(e: Event, id: string): void {
  e.preventDefault();
  const el = document.getElementById(id);
  if (el) {
    el.scrollIntoView({ block: 'center' });
    (el as HTMLElement).focus();
  }
}

/** focusSummary focuses the error summary once it is on the page. */
export function focusSummary(): void {
  requestAnimationFrame(() => document.getElementById('error-summary')?.focus());
}

// ---- Pagination ----

export function pager(total: number, offset: number, limit: number, go: (offset: number) => void): TemplateResult {
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  return html`<nav class="pager" aria-label=${t('common.showing', { from, to, total })}>
    <p class="pager__count" data-testid="pager-count">${total === 0 ? t('common.showingNone') : t('common.showing', { from, to, total })}</p>
    <div class="pager__buttons">
      <button type="button" class="button button--secondary" ?disabled=${offset <= 0} @click=${() => go(Math.max(0, offset - limit))} data-testid="pager-prev">
        ${t('common.previous')}
      </button>
      <button type="button" class="button button--secondary" ?disabled=${to >= total} @click=${() => go(offset + limit)} data-testid="pager-next">
        ${t('common.next')}
      </button>
    </div>
  </nav>`;
}

// ---- Per-platform preview ----

export interface PreviewRow {
  platform: string;
  handles: string[];
  measure: TargetMeasure;
}

/** groupMeasures folds per-account measures into one row per platform, in display order. */
export function groupMeasures(ms: TargetMeasure[]): PreviewRow[] {
  const rows = new Map<string, PreviewRow>();
  for (const m of ms) {
    const r = rows.get(m.platform);
    if (r) {
      if (m.handle && !r.handles.includes(m.handle)) r.handles.push(m.handle);
    } else {
      rows.set(m.platform, { platform: m.platform, handles: m.handle ? [m.handle] : [], measure: m });
    }
  }
  return [...rows.values()].sort((a, b) => platformOrder(a.platform) - platformOrder(b.platform));
}

function unitLabel(unit: string): string {
  const key = `unit.${unit}`;
  return hasKey(key) ? t(key) : unit || t('unit.characters');
}

/** previewRows renders the per-platform preview with exact counts and problems. */
export function previewRows(rows: PreviewRow[], lang: Lang, images: { src: string; alt: string }[] = [], link = ''): TemplateResult {
  return html`<ul class="preview-list">
    ${rows.map((r) => {
      const m = r.measure;
      const over = m.limit > 0 && m.count > m.limit;
      const unit = unitLabel(m.unit);
      const problems = (m.problems ?? []).filter((p) => !(p.code === 'too_long' && over));
      const pct = m.limit > 0 ? Math.min(100, Math.round((m.count / m.limit) * 100)) : 0;
      const id = `measure-${r.platform}`;
      const countText =
        m.limit > 0 ? t('composer.count', { count: m.count, limit: m.limit, unit }) : t('composer.countNoLimit', { count: m.count, unit });
      return html`<li class="preview ${over ? 'preview--over' : ''}" data-testid=${id} data-over=${over ? 'true' : 'false'} data-count=${m.count} data-limit=${m.limit}>
        <div class="preview__head">
          <h3 class="preview__platform">${platformName(r.platform)}</h3>
          <p class="preview__accounts">${t('composer.accountsFor', { handles: r.handles.join(', ') })}</p>
        </div>
        <p class="preview__count" id="${id}-count" data-testid="${id}-count">
          ${over
            ? html`<span class="badge badge--bad"><span class="badge__icon" aria-hidden="true">✕</span>${countText}</span>`
            : html`<span>${countText}</span>`}
          ${m.limit > 0 && !over ? html` · <span>${t('composer.left', { left: m.limit - m.count })}</span>` : nothing}
        </p>
        ${m.limit > 0
          ? html`<div class="meter" aria-hidden="true"><div class="meter__bar ${over ? 'meter__bar--over' : ''}" style="width:${pct}%"></div></div>`
          : nothing}
        ${over
          ? html`<p class="preview__problem" data-testid="${id}-over">
              <span aria-hidden="true">⚠ </span>${t('composer.over', { over: m.count - m.limit, platform: platformName(r.platform) })}
            </p>`
          : nothing}
        ${problems.map(
          (p) => html`<p class="preview__problem" data-testid="${id}-problem" data-code=${p.code}><span aria-hidden="true">⚠ </span>${translateFieldError(p, lang)}</p>`,
        )}
        <div class="preview__card">
          ${m.text ? html`<div class="preview__text">${m.text}</div>` : html`<p class="muted">${t('composer.emptyText')}</p>`}
          ${link && !m.text.includes(link) ? html`<p class="preview__link">${link}</p>` : nothing}
          ${images.length > 0
            ? html`<div class="preview__images">${images.map((i) => html`<img src=${i.src} alt=${i.alt} loading="lazy" />`)}</div>`
            : nothing}
        </div>
      </li>`;
    })}
  </ul>`;
}

// ---- Misc ----

/** timeEl shows an instant in IST with a machine-readable datetime. */
export function timeEl(text: string, iso: string): TemplateResult | typeof nothing {
  if (!text) return html`<span class="muted">${t('common.none')}</span>`;
  return html`<time datetime=${iso}>${text}</time>`;
}

export function externalLink(href: string, text: string, testid?: string): TemplateResult {
  return html`<a href=${href} target="_blank" rel="noopener noreferrer" data-testid=${testid ?? nothing}
    >${text}<span class="visually-hidden"> ${t('common.opensNewTab')}</span><span aria-hidden="true"> ↗</span></a
  >`;
}

export function loadError(err: unknown, lang: Lang, retry: () => void): TemplateResult {
  const ref = requestIdNote(err, lang);
  return html`<div class="notice notice--error" role="alert">
    <p><strong>${t('common.loadFailed')}</strong> ${translateError(err, lang)}</p>
    ${ref ? html`<p class="reference">${ref}</p>` : nothing}
    <button type="button" class="button button--secondary" @click=${retry}>${t('common.retryLoad')}</button>
  </div>`;
}

export function loading(): TemplateResult {
  return html`<p class="loading" role="status">${t('app.loading')}</p>`;
}
