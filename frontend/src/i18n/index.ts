// Language state and lookup. The current language is kept here; the app
// re-renders when it changes. Before sign-in the choice lives in
// localStorage; after sign-in it is the user's (PATCH /api/v1/me).

import type { Lang } from '../api';
import { en, type Dict, type MessageKey } from './en';
import { hi } from './hi';

export type { MessageKey, Dict };

export const dictionaries: Record<Lang, Dict> = { hi, en };

export type Params = Record<string, string | number>;

/** format fills {name} placeholders; unknown placeholders are left as they are. */
export function format(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => {
    const v = params[name];
    return v === undefined ? m : String(v);
  });
}

/** translate looks key up in lang's dictionary and fills its placeholders. */
export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  return format(dictionaries[lang][key], params);
}

/** hasKey tells whether s is a dictionary key (for keys built at run time). */
export function hasKey(s: string): s is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, s);
}

const STORAGE_KEY = 'prasar.lang';

let current: Lang = 'hi';
const listeners = new Set<(l: Lang) => void>();

/** isLang narrows a string to a supported language. */
export function isLang(s: unknown): s is Lang {
  return s === 'hi' || s === 'en';
}

/** initialLang is the stored choice, else the browser's preference, else Hindi. */
export function initialLang(): Lang {
  try {
    const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (isLang(stored)) return stored;
  } catch {
    // localStorage may be unavailable (privacy mode); fall through.
  }
  const nav = globalThis.navigator?.language ?? '';
  return nav.toLowerCase().startsWith('en') ? 'en' : 'hi';
}

export function getLang(): Lang {
  return current;
}

/** setLang switches the language, stores it locally, sets <html lang> and tells listeners. */
export function setLang(l: Lang): void {
  const changed = l !== current;
  current = l;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, l);
  } catch {
    // ignore
  }
  if (globalThis.document) document.documentElement.lang = l;
  if (changed) for (const fn of listeners) fn(l);
}

export function onLangChange(fn: (l: Lang) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** t translates key into the current language. */
export function t(key: MessageKey, params?: Params): string {
  return translate(current, key, params);
}
