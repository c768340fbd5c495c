// History-API routing. The Go server answers every non-API path with
// index.html, so deep links and reloads work.

export type Route =
  | { name: 'signin' }
  | { name: 'posts' }
  | { name: 'new' }
  | { name: 'post'; id: string }
  | { name: 'edit'; id: string }
  | { name: 'review' }
  | { name: 'history' }
  | { name: 'accounts' }
  | { name: 'connect-form'; platform: string }
  | { name: 'connect-select'; id: string }
  | { name: 'connect-result' }
  | { name: 'users' }
  | { name: 'cases' }
  | { name: 'case-new' }
  | { name: 'case-reports' }
  | { name: 'case'; id: string }
  | { name: 'case-clarify'; id: string }
  | { name: 'reach' }
  | { name: 'reach-digest' }
  | { name: 'operations' }
  | { name: 'home' }
  | { name: 'registry' }
  | { name: 'registry-import' }
  | { name: 'registry-changes' }
  | { name: 'registry-org'; id: string }
  | { name: 'officer-appoint'; id: string }
  | { name: 'officer-edit'; id: string }
  | { name: 'compliance' }
  | { name: 'compliance-report' }
  | { name: 'notfound' };

/** matchRoute maps a path to a route (pure). */
export function matchRoute(pathname: string): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/') return { name: 'home' };
  if (p === '/signin') return { name: 'signin' };
  if (p === '/posts') return { name: 'posts' };
  if (p === '/posts/new') return { name: 'new' };
  if (p === '/review') return { name: 'review' };
  if (p === '/history') return { name: 'history' };
  if (p === '/accounts') return { name: 'accounts' };
  if (p === '/accounts/connected') return { name: 'connect-result' };
  if (p === '/users') return { name: 'users' };
  if (p === '/operations') return { name: 'operations' };
  if (p === '/cases') return { name: 'cases' };
  if (p === '/cases/new') return { name: 'case-new' };
  if (p === '/cases/reports') return { name: 'case-reports' };
  if (p === '/reach') return { name: 'reach' };
  if (p === '/reach/digest') return { name: 'reach-digest' };
  if (p === '/registry') return { name: 'registry' };
  if (p === '/registry/import') return { name: 'registry-import' };
  if (p === '/registry/changes') return { name: 'registry-changes' };
  if (p === '/compliance') return { name: 'compliance' };
  if (p === '/compliance/report') return { name: 'compliance-report' };
  let m = /^\/accounts\/connect\/([^/]+)$/.exec(p);
  if (m?.[1]) return { name: 'connect-form', platform: decodeURIComponent(m[1]) };
  m = /^\/accounts\/select\/([^/]+)$/.exec(p);
  if (m?.[1]) return { name: 'connect-select', id: decodeURIComponent(m[1]) };
  m = /^\/posts\/([^/]+)$/.exec(p);
  if (m?.[1]) return { name: 'post', id: decodeURIComponent(m[1]) };
  m = /^\/posts\/([^/]+)\/edit$/.exec(p);
  if (m?.[1]) return { name: 'edit', id: decodeURIComponent(m[1]) };
  m = /^\/cases\/([^/]+)$/.exec(p);
  if (m?.[1]) return { name: 'case', id: decodeURIComponent(m[1]) };
  m = /^\/cases\/([^/]+)\/clarify$/.exec(p);
  if (m?.[1]) return { name: 'case-clarify', id: decodeURIComponent(m[1]) };
  m = /^\/registry\/orgs\/([^/]+)$/.exec(p);
  if (m?.[1]) return { name: 'registry-org', id: decodeURIComponent(m[1]) };
  m = /^\/registry\/orgs\/([^/]+)\/appoint$/.exec(p);
  if (m?.[1]) return { name: 'officer-appoint', id: decodeURIComponent(m[1]) };
  m = /^\/registry\/officers\/([^/]+)\/edit$/.exec(p);
  if (m?.[1]) return { name: 'officer-edit', id: decodeURIComponent(m[1]) };
  return { name: 'notfound' };
}

/** Paths the SPA must leave to the server. */
const SERVER_PATHS = /^\/(api|media|sandbox|healthz|readyz)(\/|$)/;

type Listener = (replace: boolean) => void;
let listener: Listener | null = null;

/** startRouter calls fn on every navigation (never for in-page #fragments); it returns a function that stops it. */
export function startRouter(fn: Listener): () => void {
  listener = fn;
  let lastPath = location.pathname + location.search;
  const onPop = () => {
    const now = location.pathname + location.search;
    if (now === lastPath) return; // only the #fragment changed
    lastPath = now;
    fn(false);
  };
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const href = a.getAttribute('href');
    if (!href || href.startsWith('#')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || SERVER_PATHS.test(url.pathname)) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  };
  window.addEventListener('popstate', onPop);
  document.addEventListener('click', onClick);
  // Keep lastPath in step with programmatic navigation.
  onNavigate = (path) => {
    lastPath = path;
  };
  return () => {
    window.removeEventListener('popstate', onPop);
    document.removeEventListener('click', onClick);
    listener = null;
    onNavigate = () => {};
  };
}

let onNavigate: (path: string) => void = () => {};

/** navigate goes to path (pushing a history entry unless replace). */
export function navigate(path: string, opts: { replace?: boolean; silent?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  onNavigate(location.pathname + location.search);
  if (!opts.silent && listener) listener(!!opts.replace);
}

/** currentPath is the path and query of the page. */
export function currentPath(): string {
  return location.pathname + location.search;
}

export function searchParams(): URLSearchParams {
  return new URLSearchParams(location.search);
}
