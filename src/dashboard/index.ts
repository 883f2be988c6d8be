/**
 * The web dashboard at `/`: server-rendered pages (hono/jsx) that call the domain verbs directly,
 * and small client modules that fetch chart data from the JSON API and call it for actions (label
 * corrections, acknowledging and resolving incidents). Every page answers with a Content-Security-
 * Policy that allows no inline script or style; user text is escaped, isolated and never a
 * `javascript:` link (see text.tsx).
 *
 * Pages: `/` overview, `/competitors`, `/themes`, `/mentions`, `/alerts`; assets under
 * `/dashboard/assets/`. Signing in with an API token (`/signin`, `/signout`): signin.tsx; a page
 * shows who is signed in, and offers the controls that change things only to write tokens.
 */
import { Hono } from 'hono';
import type { Deps } from '../deps.ts';
import { ASSET_PREFIX, readAsset } from './assets.ts';
import { page, SECURITY_HEADERS } from './page.tsx';
import { renderAlerts } from './pages/alerts.tsx';
import { renderCompetitors } from './pages/competitors.tsx';
import { renderMentions } from './pages/mentions.tsx';
import { renderOverview } from './pages/overview.tsx';
import { renderThemes } from './pages/themes.tsx';
import { signInRoutes } from './signin.tsx';

export type DashboardOptions = {
  /** Behind a proxy that says when the request came over HTTPS (X-Forwarded-Proto). */
  trustProxy?: boolean | undefined;
};

export function dashboardRoutes(deps: Deps, options: DashboardOptions = {}) {
  return new Hono()
    .route('/', signInRoutes(deps, options))
    .get('/', page(deps, 'overview', renderOverview))
    .get('/competitors', page(deps, 'competitors', renderCompetitors))
    .get('/themes', page(deps, 'themes', renderThemes))
    .get('/mentions', page(deps, 'mentions', renderMentions))
    .get('/alerts', page(deps, 'alerts', renderAlerts))
    .get(`${ASSET_PREFIX}:name`, async (c) => {
      const asset = readAsset(c.req.param('name'));
      if (!asset) {
        return c.text('no such asset', 404, { 'x-content-type-options': 'nosniff' });
      }
      const { body, type } = await asset;
      return c.body(body, 200, {
        ...SECURITY_HEADERS,
        'content-type': type,
        'cache-control': 'public, max-age=300',
      });
    });
}
