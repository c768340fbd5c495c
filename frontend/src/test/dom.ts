// Helpers of the DOM tests (happy-dom): start the app on a path against a
// fake API, let its promises and timers run, find elements by data-testid
// and type into them as a person would.

/** settle lets pending promises and zero-delay timers run, waiting ms between. */
export async function settle(ms = 0, turns = 6): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 0));
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 0));
}

/**
 * bootApp starts the app afresh (modules reset) at path in lang, its API
 * calls answered by fetchFn; before runs after the reset and before the
 * start (to replace what a test must not follow). It returns the app's stop.
 */
export async function bootApp(path: string, fetchFn: unknown, lang: 'hi' | 'en' = 'en', before?: () => Promise<void>): Promise<() => void> {
  history.replaceState(null, '', path);
  document.body.innerHTML = '<div id="app"></div>';
  const { vi } = await import('vitest');
  vi.resetModules();
  const api = await import('../api');
  api.setFetch(fetchFn as typeof fetch);
  const i18n = await import('../i18n');
  i18n.setLang(lang);
  if (before) await before();
  const { startApp } = await import('../app');
  const h = startApp(document.getElementById('app')!);
  await h.ready;
  await settle();
  return h.stop;
}

/** $ is the element with data-testid testid, or null. */
export const $ = <T extends HTMLElement = HTMLElement>(testid: string) => document.querySelector<T>(`[data-testid="${testid}"]`);

/** must is the element with data-testid testid; it throws, with the page, if there is none. */
export const must = <T extends HTMLElement = HTMLElement>(testid: string) => {
  const el = $<T>(testid);
  if (!el) throw new Error(`no element with data-testid=${testid} in ${location.pathname}${location.search}:\n${document.body.innerHTML.slice(0, 4000)}`);
  return el;
};

/** type sets a field's value and fires input, as typing does. */
export function type(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}
