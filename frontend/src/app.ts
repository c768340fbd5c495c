// The application shell: who is signed in, the cached registry data, the
// header and navigation, the live regions, and which view is on screen.

import { html, render, nothing, type TemplateResult } from 'lit-html';
import * as api from './api';
import type { Lang, Organisation, PlatformRules, User } from './api';
import { t, getLang, setLang, onLangChange, isLang } from './i18n';
import { matchRoute, navigate, startRouter, currentPath, type Route } from './router';
import { SignInView } from './views/signin';
import { PostsView } from './views/posts';
import { ComposerView } from './views/composer';
import { PostView } from './views/post';
import { ReviewView } from './views/review';
import { HistoryView } from './views/history';
import { AccountsView } from './views/accounts';
import { ConnectFormView, ConnectResultView, ConnectSelectView } from './views/connect';
import { NotificationsBell } from './views/connect-bell';
import { UsersView } from './views/users';
import { MessageView } from './views/message';
import { RegistryView } from './views/registry';
import { RegistryOrgView } from './views/registryOrg';
import { OfficerFormView } from './views/registryOfficer';
import { ImportView } from './views/registryImport';
import { ChangesView } from './views/registryChanges';
import { ComplianceView } from './views/compliance';
import { ReportView } from './views/complianceReport';
import { CasesView } from './views/cases';
import { CaseNewView } from './views/cases-new';
import { CasePageView } from './views/cases-case';
import { CaseClarifyView } from './views/cases-clarify';
import { CaseReportsView } from './views/cases-reports';
import { ReachView } from './views/reach';
import { DigestView } from './views/reach-digest';
import { OperationsView } from './views/operations';

/** View is one screen. */
export interface View {
  /** the page's title (also its <h1>) */
  title(): string;
  render(): TemplateResult;
  destroy?(): void;
}

/** Ctx is what views get from the app. */
export interface Ctx {
  readonly user: User | null;
  readonly orgs: Organisation[];
  readonly platforms: Map<string, PlatformRules>;
  lang(): Lang;
  /** update re-renders the page (batched). */
  update(): void;
  /** announce says msg through the polite (or assertive) live region. */
  announce(msg: string, assertive?: boolean): void;
  /** flash shows msg as a status on the next page. */
  flash(msg: string): void;
  navigate(path: string, opts?: { replace?: boolean; silent?: boolean }): void;
  orgName(id: string | undefined): string;
  signedIn(s: api.SessionInfo, next: string): Promise<void>;
  /** langChosenHere tells whether the language was switched on the sign-in page. */
  langChosenHere: boolean;
  can(what: Capability): boolean;
  /** registry loads (or returns the cached) organisations and platform rules. */
  registry(): Promise<void>;
}

export type Capability = 'write' | 'review' | 'admin' | 'act';

class App implements Ctx {
  user: User | null = null;
  orgs: Organisation[] = [];
  platforms = new Map<string, PlatformRules>();
  langChosenHere = false;

  private view: View | null = null;
  private route: Route = { name: 'home' };
  private root: HTMLElement;
  private politeEl: HTMLElement;
  private assertiveEl: HTMLElement;
  private pending = false;
  private flashMsg = '';
  private shownFlash = '';
  private focusAfterRender = false;
  private registryLoaded: Promise<void> | null = null;
  private stopRouter: () => void = () => {};
  private stopLang: () => void = () => {};
  private bell = new NotificationsBell(this);

  constructor(root: HTMLElement) {
    this.root = root;
    root.textContent = '';
    this.politeEl = liveRegion('polite', 'status');
    this.assertiveEl = liveRegion('assertive', 'alert');
  }

  lang(): Lang {
    return getLang();
  }

  async start(): Promise<void> {
    api.onUnauthorized(() => this.sessionEnded());
    this.stopLang = onLangChange(() => {
      this.update();
    });
    this.stopRouter = startRouter(() => this.route_());
    this.renderShell(html`<main id="main" tabindex="-1"><p class="loading" role="status">${t('app.loading')}</p></main>`);
    let session: api.SessionInfo | null = null;
    try {
      session = await api.getSession();
    } catch {
      session = null;
    }
    if (session) {
      this.user = session.user;
      if (isLang(session.user.lang)) setLang(session.user.lang);
      await this.registry().catch(() => undefined);
    }
    this.route_();
  }

  registry(): Promise<void> {
    if (!this.registryLoaded) {
      this.registryLoaded = Promise.all([api.listOrgs(), api.listPlatforms()])
        .then(([orgs, platforms]) => {
          this.orgs = orgs;
          this.platforms = new Map(platforms.map((p) => [p.platform, p]));
          this.update();
        })
        .catch((err: unknown) => {
          this.registryLoaded = null;
          throw err;
        });
    }
    return this.registryLoaded;
  }

  async signedIn(s: api.SessionInfo, next: string): Promise<void> {
    this.user = s.user;
    const chosen = getLang();
    if (this.langChosenHere && s.user.lang !== chosen) {
      // The person switched language on the sign-in page: keep it and save it.
      api.updateMe({ lang: chosen }).then(
        (u) => {
          this.user = u;
        },
        () => this.announce(t('lang.saveFailed')),
      );
    } else if (isLang(s.user.lang)) {
      setLang(s.user.lang);
    }
    this.langChosenHere = false;
    this.registryLoaded = null;
    await this.registry().catch(() => undefined);
    navigate(safeNext(next) || this.home(), { replace: true });
  }

  private home(): string {
    if (this.user?.role === 'viewer') return '/compliance';
    return this.user?.role === 'approver' ? '/review' : '/posts';
  }

  private sessionEnded(): void {
    if (!this.user) return;
    this.user = null;
    this.registryLoaded = null;
    api.setCsrfToken('');
    this.flash(t('signin.expired'));
    const next = currentPath();
    navigate(`/signin?next=${encodeURIComponent(next)}`, { replace: true });
  }

  private async signOut(): Promise<void> {
    try {
      await api.signOut();
    } catch {
      // The session is gone either way.
    }
    this.user = null;
    this.orgs = [];
    this.registryLoaded = null;
    this.flash(t('header.signedOut'));
    navigate('/signin');
  }

  can(what: Capability): boolean {
    const r = this.user?.role;
    switch (what) {
      case 'write':
        return r === 'admin' || r === 'editor';
      case 'review':
        return r === 'admin' || r === 'approver';
      case 'admin':
        return r === 'admin';
      case 'act':
        return r === 'admin' || r === 'approver' || r === 'editor';
    }
  }

  orgName(id: string | undefined): string {
    if (!id) return t('common.none');
    const o = this.orgs.find((x) => x.id === id);
    if (!o) return t('common.unknownOrg');
    return (getLang() === 'hi' ? o.nameHi || o.nameEn : o.nameEn || o.nameHi) || o.code;
  }

  flash(msg: string): void {
    this.flashMsg = msg;
  }

  navigate(path: string, opts?: { replace?: boolean; silent?: boolean }): void {
    navigate(path, opts);
  }

  announce(msg: string, assertive = false): void {
    const el = assertive ? this.assertiveEl : this.politeEl;
    el.textContent = '';
    // A fresh text node after a tick makes screen readers speak repeats too.
    setTimeout(() => {
      el.textContent = msg;
    }, 50);
  }

  /** route_ builds the view for the current address. */
  private route_(): void {
    this.view?.destroy?.();
    this.view = null;
    const route = matchRoute(location.pathname);
    this.route = route;
    if (!this.user && route.name !== 'signin') {
      const next = currentPath();
      navigate(`/signin${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, { replace: true });
      return;
    }
    if (this.user && (route.name === 'signin' || route.name === 'home')) {
      navigate(this.home(), { replace: true });
      return;
    }
    this.shownFlash = this.flashMsg;
    this.flashMsg = '';
    this.view = this.makeView(route);
    if (this.user) {
      this.bell.start();
      void this.bell.refresh();
    }
    this.focusAfterRender = true;
    this.update();
  }

  private makeView(route: Route): View {
    const forbidden = () => new MessageView(this, t('forbidden.body'), t('forbidden.body'));
    switch (route.name) {
      case 'signin':
        return new SignInView(this);
      case 'posts':
        return new PostsView(this);
      case 'new':
        return this.can('write') ? new ComposerView(this, null) : forbidden();
      case 'edit':
        return this.can('write') ? new ComposerView(this, route.id) : forbidden();
      case 'post':
        return new PostView(this, route.id);
      case 'review':
        return this.can('review') ? new ReviewView(this) : forbidden();
      case 'history':
        return new HistoryView(this);
      case 'accounts':
        return new AccountsView(this);
      case 'users':
        return this.can('admin') ? new UsersView(this) : forbidden();
      case 'connect-form':
        return this.can('write') ? new ConnectFormView(this, route.platform) : forbidden();
      case 'connect-select':
        return this.can('write') ? new ConnectSelectView(this, route.id) : forbidden();
      case 'connect-result':
        return new ConnectResultView(this);
      case 'cases':
        return new CasesView(this);
      case 'case-new':
        return this.can('write') ? new CaseNewView(this) : forbidden();
      case 'case':
        return new CasePageView(this, route.id);
      case 'case-clarify':
        return this.can('write') ? new CaseClarifyView(this, route.id) : forbidden();
      case 'case-reports':
        return new CaseReportsView(this);
      case 'reach':
        return new ReachView(this);
      case 'reach-digest':
        return new DigestView(this);
      case 'registry':
        return new RegistryView(this);
      case 'registry-org':
        return new RegistryOrgView(this, route.id);
      case 'officer-appoint':
        return this.can('admin') ? new OfficerFormView(this, 'appoint', route.id) : forbidden();
      case 'officer-edit':
        return this.can('write') ? new OfficerFormView(this, 'edit', route.id) : forbidden();
      case 'registry-import':
        return this.can('admin') ? new ImportView(this) : forbidden();
      case 'registry-changes':
        return this.can('admin') ? new ChangesView(this) : forbidden();
      case 'compliance':
        return new ComplianceView(this);
      case 'compliance-report':
        return new ReportView(this);
      case 'operations':
        return this.can('review') ? new OperationsView(this) : forbidden();
      default:
        return new MessageView(this, t('notFound.title'), t('notFound.body'));
    }
  }

  update(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.paint();
    });
  }

  private paint(): void {
    const v = this.view;
    if (!v) return;
    const title = v.title();
    document.title = t('app.pageTitle', { page: title });
    this.renderShell(html`
      <main id="main" tabindex="-1" aria-labelledby="page-title">
        ${this.shownFlash
          ? html`<div class="notice notice--info" role="status" data-testid="flash">
              <p>${this.shownFlash}</p>
              <button type="button" class="link-button" @click=${() => {
                this.shownFlash = '';
                this.update();
              }}><span aria-hidden="true">✕</span><span class="visually-hidden">${t('common.close')}</span></button>
            </div>`
          : nothing}
        ${v.render()}
      </main>
    `);
    if (this.focusAfterRender) {
      this.focusAfterRender = false;
      // Move focus to the new page's heading so screen readers announce it.
      const h1 = document.getElementById('page-title');
      h1?.focus();
    }
  }

  private renderShell(main: TemplateResult): void {
    const u = this.user;
    const r = this.route.name;
    const link = (path: string, name: Route['name'][], text: string, testid: string) =>
      html`<li><a href=${path} aria-current=${name.includes(r) ? 'page' : nothing} data-testid=${testid}>${text}</a></li>`;
    render(
      html`
        <a class="skip-link" href="#main" @click=${(e: Event) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}>${t('app.skip')}</a>
        <header class="site-header">
          <div class="site-header__inner">
            <a class="brand" href=${u ? '/posts' : '/signin'}>
              <span class="brand__mark" aria-hidden="true">प्र</span>
              <span class="brand__text"
                ><span class="brand__name">${t('app.name')}</span><span class="brand__tagline">${t('app.tagline')}</span></span
              >
            </a>
            <div class="site-header__tools">
              ${langSwitch(getLang(), (l) => this.switchLang(l))}
              ${u ? this.bell.render() : nothing}
              ${u
                ? html`<div class="user-box" aria-label=${t('app.userMenu')} role="group">
                    <p class="user-box__who">
                      <span class="visually-hidden">${t('header.signedInAs')} </span>
                      <strong data-testid="user-name">${u.name}</strong>
                      <span class="user-box__meta">
                        <span data-testid="user-role"><span class="visually-hidden">${t('header.role')}: </span>${t(`role.${u.role}`)}</span>
                        ${u.orgId
                          ? html` · <span data-testid="user-org"><span class="visually-hidden">${t('header.org')}: </span>${this.orgName(u.orgId)}</span>`
                          : nothing}
                      </span>
                    </p>
                    <button type="button" class="button button--header" data-testid="signout" @click=${() => this.signOut()}>
                      ${t('header.signOut')}
                    </button>
                  </div>`
                : nothing}
            </div>
          </div>
          ${u
            ? html`<nav class="site-nav" aria-label=${t('app.nav')}>
                <ul>
                  ${link('/posts', ['posts', 'post', 'edit'], t('nav.posts'), 'nav-posts')}
                  ${this.can('write') ? link('/posts/new', ['new'], t('nav.newPost'), 'nav-new') : nothing}
                  ${this.can('review') ? link('/review', ['review'], t('nav.review'), 'nav-review') : nothing}
                  ${link('/history', ['history'], t('nav.history'), 'nav-history')}
                  ${link('/accounts', ['accounts', 'connect-form', 'connect-select', 'connect-result'], t('nav.accounts'), 'nav-accounts')}
                  ${link('/reach', ['reach', 'reach-digest'], t('reach.nav'), 'nav-reach')}
                  ${link('/cases', ['cases', 'case', 'case-new', 'case-clarify', 'case-reports'], t('nav.cases'), 'nav-cases')}
                  ${this.can('admin') ? link('/users', ['users'], t('nav.users'), 'nav-users') : nothing}
                  ${link('/registry', ['registry', 'registry-org', 'registry-import', 'registry-changes', 'officer-appoint', 'officer-edit'], t('reg.nav'), 'nav-registry')}
                  ${link('/compliance', ['compliance', 'compliance-report'], t('comp.nav'), 'nav-compliance')}
                  ${this.can('review') ? link('/operations', ['operations'], t('nav.operations'), 'nav-operations') : nothing}
                </ul>
              </nav>`
            : nothing}
        </header>
        ${main}
        <footer class="site-footer">
          <p>${t('app.name')} · ${t('app.tagline')} · ${t('time.zoneLong')} (${t('time.zone')})</p>
        </footer>
      `,
      this.root,
    );
  }

  private switchLang(l: Lang): void {
    setLang(l);
    this.announce(t('lang.changed'));
    if (this.user) {
      api.updateMe({ lang: l }).then(
        (u) => {
          this.user = u;
        },
        (err: unknown) => {
          if (!(err instanceof api.ApiError && err.status === 401)) this.announce(t('lang.saveFailed'), true);
        },
      );
    } else {
      this.langChosenHere = true;
    }
  }

  /** stop takes the app off the page (tests start several in one document). */
  stop(): void {
    this.view?.destroy?.();
    this.view = null;
    this.stopRouter();
    this.stopLang();
    this.bell.stop();
    api.onUnauthorized(null);
    this.politeEl.remove();
    this.assertiveEl.remove();
    render(html``, this.root);
  }
}

/** safeNext keeps only same-site paths for the after-sign-in redirect. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/signin')) return '';
  return next;
}

function langSwitch(current: Lang, change: (l: Lang) => void): TemplateResult {
  return html`<div class="lang-switch">
    <label for="lang-select"><span lang="hi">भाषा</span> / <span lang="en">Language</span></label>
    <select
      id="lang-select"
      data-testid="lang-select"
      .value=${current}
      @change=${(e: Event) => {
        const v = (e.target as HTMLSelectElement).value;
        if (isLang(v)) change(v);
      }}
    >
      <option value="hi" lang="hi" ?selected=${current === 'hi'}>हिन्दी</option>
      <option value="en" lang="en" ?selected=${current === 'en'}>English</option>
    </select>
  </div>`;
}

function liveRegion(politeness: 'polite' | 'assertive', role: string): HTMLElement {
  const el = document.createElement('div');
  el.className = 'visually-hidden';
  el.setAttribute('aria-live', politeness);
  el.setAttribute('role', role);
  el.setAttribute('aria-atomic', 'true');
  el.dataset.testid = `live-${politeness}`;
  document.body.appendChild(el);
  return el;
}

/** AppHandle lets the caller wait for start-up and stop the app. */
export interface AppHandle {
  ready: Promise<void>;
  stop(): void;
}

export function startApp(root: HTMLElement): AppHandle {
  const app = new App(root);
  return { ready: app.start(), stop: () => app.stop() };
}
