// Times in the UI are shown and entered in India Standard Time (UTC+05:30,
// no daylight saving), whatever the browser's own zone. The API speaks
// RFC 3339 UTC. These functions are pure and do not depend on the zone or
// the ICU data of the machine they run on.

import type { Lang } from './api';
import { translate, type MessageKey } from './i18n';

export const IST_OFFSET_MINUTES = 330;
const OFFSET_MS = IST_OFFSET_MINUTES * 60_000;

const pad = (n: number) => String(n).padStart(2, '0');

interface Parts {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
}

/** istParts returns the IST calendar date and clock time of an instant. */
export function istParts(d: Date): Parts {
  const s = new Date(d.getTime() + OFFSET_MS);
  return {
    year: s.getUTCFullYear(),
    month: s.getUTCMonth() + 1,
    day: s.getUTCDate(),
    hour: s.getUTCHours(),
    minute: s.getUTCMinutes(),
  };
}

function parse(iso: string | Date | null | undefined): Date | null {
  if (iso === null || iso === undefined || iso === '') return null;
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  // Go's zero time means "not set".
  if (d.getUTCFullYear() <= 1) return null;
  return d;
}

function monthName(lang: Lang, m: number): string {
  return translate(lang, `time.month.${m}` as MessageKey);
}

/** formatDateIST shows the IST calendar date, e.g. "28 Nov 2026" / "28 नवंबर 2026". */
export function formatDateIST(iso: string | Date | null | undefined, lang: Lang): string {
  const d = parse(iso);
  if (!d) return '';
  const p = istParts(d);
  return `${p.day} ${monthName(lang, p.month)} ${p.year}`;
}

/** formatIST shows date, 24-hour time and the zone, e.g. "28 Nov 2026, 10:00 IST". */
export function formatIST(iso: string | Date | null | undefined, lang: Lang): string {
  const d = parse(iso);
  if (!d) return '';
  const p = istParts(d);
  return `${p.day} ${monthName(lang, p.month)} ${p.year}, ${pad(p.hour)}:${pad(p.minute)} ${translate(lang, 'time.zone')}`;
}

/** isoMachine is the value for a <time datetime> attribute (the instant in UTC). */
export function isoMachine(iso: string | Date | null | undefined): string {
  const d = parse(iso);
  return d ? d.toISOString() : '';
}

/**
 * istLocalToUTC turns the value of an <input type="datetime-local"> read as
 * IST ("2026-11-28T10:00", seconds optional) into RFC 3339 UTC
 * ("2026-11-28T04:30:00Z"); null if the value is not a valid date and time.
 */
export function istLocalToUTC(local: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null; // 31 Feb etc.
  return new Date(ms - OFFSET_MS).toISOString().replace('.000Z', 'Z');
}

/** utcToISTLocal is the reverse: an instant as an IST datetime-local value ("2026-11-28T10:00"). */
export function utcToISTLocal(iso: string | Date | null | undefined): string {
  const d = parse(iso);
  if (!d) return '';
  const p = istParts(d);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** todayIST is today's IST calendar date as YYYY-MM-DD. */
export function todayIST(now: Date = new Date()): string {
  const p = istParts(now);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}
