// Pieces the registry and compliance screens share: labels for types,
// gaps and account details, and the DPDP notice of the officer form.

import { html, type TemplateResult } from 'lit-html';
import type { Lang, Organisation, OrgType } from '../api';
import { t, hasKey } from '../i18n';
import { platformName } from '../platforms';
import type { Gap } from '../registryApi';

export function orgTypeLabel(ty: OrgType | string): string {
  const key = `reg.orgType.${ty}`;
  return hasKey(key) ? t(key) : ty;
}

/** nameFor is an organisation's name in the user's language (the other as fallback). */
export function nameFor(o: { nameEn: string; nameHi: string; code: string }, lang: Lang): string {
  return (lang === 'hi' ? o.nameHi || o.nameEn : o.nameEn || o.nameHi) || o.code;
}

export function gapLabel(g: Gap, windowDays: number): string {
  const key = `comp.gap.${g.code}`;
  if (!hasKey(key)) return g.message;
  return t(key, { platform: g.platform ? platformName(g.platform) : '', days: windowDays });
}

/** officerKindLabel names an officer's kind: nodal, alternate or head of department. */
export function officerKindLabel(kind: string): string {
  const key = `reg.kind.${kind}`;
  return hasKey(key) ? t(key) : kind;
}

export function wordLabel(prefix: string, v: string | undefined): string {
  const key = `${prefix}.${v ?? 'unknown'}`;
  return hasKey(key) ? t(key) : (v ?? '');
}

/** dpdpNotice is the short notice of why officers' contact details are collected. */
export function dpdpNotice(): TemplateResult {
  return html`<aside class="notice notice--info" role="note" aria-labelledby="dpdp-title" data-testid="dpdp-notice">
    <h2 id="dpdp-title" class="notice__title">${t('reg.dpdp.title')}</h2>
    <p>${t('reg.dpdp.body')}</p>
  </aside>`;
}

/** scoreBadge shows a score out of 100 with words, not colour alone. */
export function scoreBadge(score: number): TemplateResult {
  const tone = score >= 100 ? 'good' : score >= 50 ? 'warn' : 'bad';
  const icon = score >= 100 ? '✓' : score >= 50 ? '◐' : '✕';
  return html`<span class="badge badge--${tone}" data-score=${score}><span class="badge__icon" aria-hidden="true">${icon}</span>${t('comp.score', { score })}</span>`;
}

export function yesNo(b: boolean, testid = ''): TemplateResult {
  return html`<span class="badge badge--${b ? 'good' : 'bad'}" data-testid=${testid || 'yesno'} data-value=${b ? 'yes' : 'no'}
    ><span class="badge__icon" aria-hidden="true">${b ? '✓' : '✕'}</span>${b ? t('common.yes') : t('common.no')}</span
  >`;
}

export function orgById(orgs: Organisation[], id: string | undefined): Organisation | undefined {
  return orgs.find((o) => o.id === id);
}
