// Pieces shared by the rebuttal desk's screens: case status badges,
// escalation flags, the clock in words, durations, and the option lists.

import { html, nothing, type TemplateResult } from 'lit-html';
import type { CaseClock, CaseStatus } from '../api';
import { t, hasKey, type MessageKey } from '../i18n';

type Tone = 'good' | 'bad' | 'warn' | 'info' | 'neutral';

const CASE_LOOK: Record<CaseStatus, [string, Tone]> = {
  new: ['✱', 'info'],
  not_actionable: ['⊘', 'neutral'],
  assigned: ['➜', 'info'],
  drafting: ['✎', 'warn'],
  in_review: ['⧗', 'info'],
  approved: ['✓', 'good'],
  published: ['➤', 'good'],
  closed: ['■', 'neutral'],
};

/** words looks a key up, falling back to the raw value for unknown ones. */
export function words(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return hasKey(key) ? t(key as MessageKey) : value;
}

/** caseStatusBadge shows a case status as an icon and words (never colour alone). */
export function caseStatusBadge(s: CaseStatus): TemplateResult {
  const [icon, tone] = CASE_LOOK[s] ?? ['•', 'neutral'];
  return html`<span class="badge badge--${tone}" data-status=${s}><span class="badge__icon" aria-hidden="true">${icon}</span>${words('caseStatus', s)}</span>`;
}

/** escalationFlags shows the escalation levels reached, or nothing. */
export function escalationFlags(level: number, testid = 'escalation'): TemplateResult | typeof nothing {
  if (level <= 0) return nothing;
  return html`<span class="badge badge--bad" data-testid=${testid} data-level=${level}
    ><span class="badge__icon" aria-hidden="true">⚑</span>${level >= 2 ? t('cases.escalatedDms') : t('cases.escalatedHod')}</span
  >`;
}

/** formatMinutes says a duration in minutes as "2 h 05 min", "45 min", "3 d 4 h". */
export function formatMinutes(mins: number): string {
  const m = Math.round(Math.abs(mins));
  if (m < 60) return t('cases.dur.m', { m });
  const h = Math.floor(m / 60);
  if (h < 48) return t('cases.dur.hm', { h, m: String(m % 60).padStart(2, '0') });
  return t('cases.dur.dh', { d: Math.floor(h / 24), h: h % 24 });
}

/** formatSeconds is formatMinutes for seconds. */
export function formatSeconds(s: number | undefined): string {
  return s === undefined || s === null ? t('common.none') : formatMinutes(s / 60);
}

/** clockWords says where a case's clock stands: time left, overdue, met or late, or stopped. */
export function clockWords(k: CaseClock): { text: string; tone: Tone; state: string } {
  if (!k.applies) return { text: t('cases.clock.notApplicable'), tone: 'neutral', state: 'not_applicable' };
  if (k.met === true) return { text: t('cases.clock.met'), tone: 'good', state: 'met' };
  if (k.met === false) return { text: t('cases.clock.late'), tone: 'bad', state: 'late' };
  if (!k.running) return { text: t('cases.clock.stopped'), tone: 'neutral', state: 'stopped' };
  if (k.overdue) return { text: t('cases.clock.overdue', { d: formatMinutes(-k.leftSeconds / 60) }), tone: 'bad', state: 'overdue' };
  return { text: t('cases.clock.left', { d: formatMinutes(k.leftSeconds / 60) }), tone: k.leftSeconds < 30 * 60 ? 'warn' : 'info', state: 'running' };
}

/** clockBadge shows clockWords as a badge with data-clock. */
export function clockBadge(k: CaseClock, testid?: string): TemplateResult {
  const w = clockWords(k);
  const icon = w.state === 'overdue' || w.state === 'late' ? '⚠' : w.state === 'met' ? '✓' : '⏱';
  return html`<span class="badge badge--${w.tone}" data-clock=${w.state} data-testid=${testid ?? nothing}
    ><span class="badge__icon" aria-hidden="true">${icon}</span>${w.text}</span
  >`;
}

/** The districts of Haryana, for the intake form's suggestions and the reports. */
export const HARYANA_DISTRICTS = [
  'Ambala', 'Bhiwani', 'Charkhi Dadri', 'Faridabad', 'Fatehabad', 'Gurugram', 'Hisar', 'Jhajjar', 'Jind', 'Kaithal', 'Karnal',
  'Kurukshetra', 'Mahendragarh', 'Nuh', 'Palwal', 'Panchkula', 'Panipat', 'Rewari', 'Rohtak', 'Sirsa', 'Sonipat', 'Yamunanagar',
];

/** countRows turns a count map into rows, largest first, with labels. */
export function countRows(m: Record<string, number> | null | undefined, prefix: string): { key: string; label: string; n: number }[] {
  return Object.entries(m ?? {})
    .map(([key, n]) => ({ key, label: key === '' ? t('cases.notGiven') : prefix ? words(prefix, key) : key, n }))
    .sort((a, b) => b.n - a.n || a.label.localeCompare(b.label));
}
