/**
 * The page around every dashboard view: navigation, who is signed in (and signing out), brand
 * picker, period and time zone.
 */
import type { Child } from 'hono/jsx';
import type { Principal } from '../auth/tokens.ts';
import type { Brand } from '../catalog/brands.ts';
import { assetUrl } from './assets.ts';
import { COMMON_TIME_ZONES, type DashboardState, PERIODS, pageUrl } from './state.ts';
import { UserText, visibleText } from './text.tsx';

export const PAGES = [
  { path: '/', name: 'Overview', id: 'overview' },
  { path: '/competitors', name: 'Competitors', id: 'competitors' },
  { path: '/themes', name: 'Themes', id: 'themes' },
  { path: '/mentions', name: 'Mentions', id: 'mentions' },
  { path: '/alerts', name: 'Alerts', id: 'alerts' },
] as const;
export type PageId = (typeof PAGES)[number]['id'];

export type LayoutProps = {
  page: PageId;
  title: string;
  state: DashboardState;
  brands: Brand[];
  brand: Brand | null;
  /** Load uPlot (pages with charts). */
  charts?: boolean;
  /** Who asks (always set behind the auth middleware); with a session, the page can sign out. */
  principal?: Principal | undefined;
  children?: Child;
};

/**
 * The token shown, and with a dashboard session a sign-out button: a form that posts the session's
 * CSRF token (a bearer caller has nothing to sign out of).
 */
export function Account({ principal }: { principal: Principal | undefined }) {
  if (!principal) return null;
  return (
    <div class="account" data-testid="account" data-scope={principal.scope}>
      <span class="account-who">
        <span class="muted">{principal.session ? 'Signed in as' : 'Token'}</span>{' '}
        <UserText text={principal.name} max={60} class="account-name" />{' '}
        <span class={`badge scope scope-${principal.scope}`} data-testid="account-scope">
          {principal.scope}
        </span>
      </span>
      {principal.session ? (
        <form method="post" action="/signout" class="signout" id="signout" data-testid="signout">
          <input type="hidden" name="_csrf" value={principal.session.csrf} />
          <button type="submit" class="button">
            Sign out
          </button>
        </form>
      ) : null}
    </div>
  );
}

function Controls({ page, state, brands, brand }: Omit<LayoutProps, 'title' | 'children' | 'principal'>) {
  const path = PAGES.find((p) => p.id === page)?.path ?? '/';
  const zones: string[] = [...COMMON_TIME_ZONES];
  if (!zones.includes(state.timeZone)) zones.unshift(state.timeZone);
  return (
    <form class="controls" method="get" action={path} id="controls" data-testid="controls">
      {brands.length > 0 ? (
        <label class="control">
          <span class="control-label">Brand</span>
          <select name="brand" id="brand-picker" data-testid="brand-picker">
            {brands.map((b) => (
              <option value={String(b.id)} selected={b.id === brand?.id}>
                {visibleText(b.name)}
                {b.kind === 'competitor' ? ' (competitor)' : ''}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <fieldset class="control period" id="period-picker" data-testid="period-picker">
        <legend class="control-label">Period</legend>
        <div class="segmented">
          {PERIODS.map((days) => (
            <label>
              <input type="radio" name="days" value={String(days)} checked={state.days === days} />
              <span>{days} d</span>
            </label>
          ))}
        </div>
      </fieldset>
      <label class="control">
        <span class="control-label">Time zone</span>
        <select name="tz" id="tz-picker" data-testid="tz-picker">
          {zones.map((zone) => (
            <option value={zone} selected={zone === state.timeZone}>
              {zone.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="button primary" id="controls-apply">
        Apply
      </button>
    </form>
  );
}

/**
 * The pages' referrer policy: `same-origin`, looser than the no-referrer header towards earshot
 * itself only. Under no-referrer, browsers send `Origin: null` with a form's POST, which the
 * same-origin check then judges by `Sec-Fetch-Site` alone (browsers without it would be refused);
 * other sites still get no referrer at all.
 */
export function ReferrerMeta() {
  return <meta name="referrer" content="same-origin" />;
}

export function Layout(props: LayoutProps) {
  const { page, title, state, brand, charts, principal, children } = props;
  // Links keep the brand shown even when it was the default one.
  const linkState = { ...state, brandId: brand?.id ?? state.brandId };
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <ReferrerMeta />
        {principal?.session ? <meta name="csrf-token" content={principal.session.csrf} /> : null}
        <link rel="icon" type="image/svg+xml" href={assetUrl('favicon.svg')} />
        <title>{`${title}${brand ? ` · ${visibleText(brand.name)}` : ''} · earshot`}</title>
        {charts ? <link rel="stylesheet" href={assetUrl('uPlot.min.css')} /> : null}
        <link rel="stylesheet" href={assetUrl('dashboard.css')} />
        {charts ? <script defer src={assetUrl('uPlot.iife.min.js')} /> : null}
        <script type="module" src={assetUrl('dashboard.js')} />
      </head>
      <body data-page={page} data-tz={state.timeZone} data-scope={principal?.scope}>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <div class="topbar-row">
            <a class="logo" href={pageUrl('/', linkState)}>
              <span aria-hidden="true" class="logo-mark">
                ◖
              </span>
              earshot
            </a>
            <nav aria-label="Dashboard" class="nav">
              <ul>
                {PAGES.map((p) => (
                  <li>
                    <a
                      href={pageUrl(p.path, linkState)}
                      id={`nav-${p.id}`}
                      aria-current={p.id === page ? 'page' : undefined}
                    >
                      {p.name}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <Account principal={principal} />
          </div>
          <Controls {...props} />
        </header>
        <main id="main" tabindex={-1}>
          <div class="page-head">
            <h1>
              {title}
              {brand ? (
                <>
                  {' · '}
                  <UserText text={brand.name} class="brand-name" />
                </>
              ) : null}
            </h1>
          </div>
          {children}
        </main>
        <footer class="footer">
          <p>
            earshot · data from the JSON API under <code>/api</code> · times in{' '}
            <span data-testid="current-tz">{state.timeZone}</span>
          </p>
        </footer>
        <div id="toast" class="toast" role="status" aria-live="polite" />
      </body>
    </html>
  );
}
