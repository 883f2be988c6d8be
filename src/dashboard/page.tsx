/**
 * One way to serve a dashboard page: read the shared state, find the brand, render the page inside
 * the layout, and answer with the security headers. A 4xx from a domain verb (a brand deleted
 * meanwhile, a bad cursor) becomes a page saying so, not a JSON error.
 */

import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { allows, type Principal } from '../auth/tokens.ts';
import type { Brand } from '../catalog/brands.ts';
import { listBrands } from '../catalog/brands.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { Card, EmptyState } from './components.tsx';
import { formatLocalDate } from './format.ts';
import { Layout, type PageId } from './layout.tsx';
import { type DashboardState, lastDayOf, type PeriodRange, periodRange, readState } from './state.ts';
import { UserText } from './text.tsx';

/** No inline script or style anywhere: everything the page runs or wears comes from its own assets. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export type PageContext = {
  deps: Deps;
  /** The state with the brand shown (the default one when none was asked for). */
  state: DashboardState;
  brands: Brand[];
  brand: Brand | null;
  range: PeriodRange;
  /** The page's own query parameters. */
  query: Record<string, string>;
  /** Where this earshot answers (for the copy-paste commands of empty states). */
  origin: string;
  /** Who asks: the token, directly or through a dashboard session (always set behind the middleware). */
  principal: Principal | undefined;
  /** Whether the controls that change things (labels, incidents) are offered: write scope or more. */
  canWrite: boolean;
};

export type PageResult = { title: string; body: Child; charts?: boolean };

/** The brand asked for, else the first own brand, else the first brand. */
function pickBrand(brands: Brand[], brandId: number | undefined): Brand | null {
  return brands.find((b) => b.id === brandId) ?? brands.find((b) => b.kind === 'own') ?? brands[0] ?? null;
}

/** The request's principal, if the auth middleware set one. */
export function requestPrincipal(c: Context): Principal | undefined {
  return c.get('principal' as never) as Principal | undefined;
}

export function page(deps: Deps, id: PageId, render: (ctx: PageContext) => Promise<PageResult>) {
  return async (c: Context) => {
    const principal = requestPrincipal(c);
    const query = c.req.query();
    const asked = readState(query);
    const brands = await listBrands({ deps });
    const brand = pickBrand(brands, asked.brandId);
    const state = { ...asked, brandId: brand?.id };
    const ctx: PageContext = {
      deps,
      state,
      brands,
      brand,
      range: periodRange(state, deps.now()),
      query,
      origin: new URL(c.req.url).origin,
      principal,
      canWrite: principal !== undefined && allows(principal.scope, 'write'),
    };
    let result: PageResult;
    let status: 200 | 400 | 404 | 409 = 200;
    try {
      result = await render(ctx);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      status = error.status === 404 || error.status === 409 ? error.status : 400;
      result = {
        title: 'Something is off',
        body: (
          <Card title="This view cannot be shown" id="page-error">
            <p>
              <UserText text={error.message} />
            </p>
            <p>
              <a href={c.req.path}>Start again from this page without filters</a>.
            </p>
          </Card>
        ),
      };
    }
    const html = await (
      <Layout
        page={id}
        title={result.title}
        state={state}
        brands={brands}
        brand={brand}
        charts={result.charts}
        principal={principal}
      >
        {result.body}
      </Layout>
    ).toString();
    return c.html(`<!doctype html>\n${html}`, status, { ...SECURITY_HEADERS, 'cache-control': 'no-store' });
  };
}

/** A copy-paste `curl` sending JSON to the API with the token in `$EARSHOT_TOKEN` (see TokenNote). */
export function curlJson(origin: string, path: string, body: string, method?: 'PATCH'): string {
  const verb = method ? ` -X ${method}` : '';
  return `curl -s${verb} ${origin}${path} -H "authorization: Bearer $EARSHOT_TOKEN" \\\n  -H 'content-type: application/json' -d '${body}'`;
}

/** Where the `$EARSHOT_TOKEN` of the copy-paste commands comes from. */
export function TokenNote() {
  return (
    <p class="small muted" data-testid="token-note">
      <code>$EARSHOT_TOKEN</code> is an API token with the write scope: make one with{' '}
      <code>npx earshot token create --scope write</code>, or use the admin token earshot printed when it
      first started.
    </p>
  );
}

/** What to do on a fresh install: every page shows it until there is a brand. */
export function NoBrands({ origin }: { origin: string }) {
  const addBrand = curlJson(origin, '/api/brands', '{"name": "Acme", "include": ["Acme", "Acme Corp"]}');
  const addSource = curlJson(
    origin,
    '/api/sources',
    '{"name": "Acme on HN", "kind": "hackernews", "options": {"query": "acme"}}',
  );
  return (
    <Card title="No brand yet" id="no-brands" wide>
      <EmptyState title="earshot has nothing to watch yet: add the brand you care about.">
        <ol class="steps">
          <li>
            Add a brand in <code>earshot.config.json</code> (applied at every start), or through the API:
            <pre>
              <code>{addBrand}</code>
            </pre>
            <TokenNote />
          </li>
          <li>
            Add a source for it (RSS, Hacker News, Mastodon, Bluesky, Reddit, GitHub, App Store, or push your
            own with <code>POST /api/ingest</code>):
            <pre>
              <code>{addSource}</code>
            </pre>
          </li>
          <li>
            Or explore with sample data first (no network needed): stop earshot, run <code>npm run demo</code>{' '}
            (<code>npx earshot demo</code>), then <code>npm start</code> again.
          </li>
        </ol>
        <p>Then reload this page.</p>
      </EmptyState>
    </Card>
  );
}

/** "21 Oct 2026 – 19 Nov 2026 (Europe/Paris), against the 30 days before." */
export function PeriodNote({ ctx, against = true }: { ctx: PageContext; against?: boolean }) {
  return (
    <p class="lede" data-testid="period" data-from={ctx.range.from} data-to={ctx.range.to}>
      {formatLocalDate(ctx.range.from)} – {formatLocalDate(lastDayOf(ctx.range))} ({ctx.state.timeZone})
      {against ? `, against the ${ctx.state.days} days before.` : '.'}
    </p>
  );
}
