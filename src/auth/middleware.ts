/**
 * Who may do what. Every route but `/health`, the dashboard's static files and the sign-in page
 * needs a token: `Authorization: Bearer es_…`, or the dashboard's session cookie (opened by signing
 * in with a token). A state-changing request that comes with the cookie must also carry the
 * session's CSRF token (`X-CSRF-Token`, or `_csrf` in a form) and, when the browser says where it
 * comes from, come from this origin. Then the scope: read for reading, write for changing, admin for
 * tokens, alert channels and sources' credentials (`requiredScope`). Then the token's own budget of
 * requests a minute.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Deps } from '../deps.ts';
import { AppError, errorBody } from '../errors.ts';
import { minuteBudgets } from '../rate-limit.ts';
import { setsCredentials } from '../secrets.ts';
import { allows, findSession, findToken, type Principal, type Scope, sameSecret } from './tokens.ts';

export type AuthVariables = { principal: Principal };

export type AuthOptions = {
  /** Requests a minute per token unless the token has its own limit; none: no per-token limit. */
  perTokenPerMinute?: number;
};

/** Reached without a token: liveness, the static files and the sign-in page need none. */
const PUBLIC = /^\/(health(\/.*)?|dashboard\/assets\/.*|api\/docs\/[\w.-]+\.(css|js|png)|signin)$/;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ADMIN_AREAS = /^\/api\/(tokens|channels)(\/|$)/;
const SOURCE_WRITE = /^\/api\/sources(\/\d+)?\/?$/;

/** The scope a request needs, from its method and path (the body matters for sources: see below). */
export function requiredScope(method: string, path: string): Scope {
  if (SAFE_METHODS.has(method)) return /^\/api\/tokens(\/|$)/.test(path) ? 'admin' : 'read';
  if (path === '/signout') return 'read';
  return ADMIN_AREAS.test(path) ? 'admin' : 'write';
}

/** The name of the session cookie: `__Host-` bound to this host and HTTPS when the request is secure. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-earshot_session' : 'earshot_session';
}

/** Whether the request reached us over HTTPS (directly, or through a proxy that says so and is trusted). */
export function isSecureRequest(c: Context, trustProxy = false): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

/** The session cookie's value, whichever of its names it came under. */
export function sessionCookie(c: Context): string | undefined {
  return getCookie(c, sessionCookieName(true)) ?? getCookie(c, sessionCookieName(false));
}

/** The principal of the request, set by the middleware (routes behind it always have one). */
export function principalOf(c: Context): Principal {
  const principal = c.get('principal' as never) as Principal | undefined;
  if (!principal) throw new AppError('unauthorized', 'no token');
  return principal;
}

function refuse(c: Context, code: 'unauthorized' | 'forbidden', message: string): Response {
  const headers: Record<string, string> =
    code === 'unauthorized' ? { 'www-authenticate': 'Bearer realm="earshot"' } : {};
  return c.json(
    errorBody(new AppError(code, message), c.get('requestId' as never) ?? 'unknown'),
    code === 'unauthorized' ? 401 : 403,
    headers,
  );
}

/** A browser asking for a page (not a script asking for data): sent to sign in rather than a 401. */
function wantsPage(c: Context): boolean {
  return c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html');
}

/** The CSRF token a cookie-authenticated request sent: the header, or a form's `_csrf` field. */
async function sentCsrf(c: Context): Promise<string | undefined> {
  const header = c.req.header('x-csrf-token');
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return undefined;
  try {
    const field = (await c.req.parseBody())._csrf;
    return typeof field === 'string' ? field : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A cross-site request is refused when the browser says where it comes from (all modern ones do on
 * POST). Under `Referrer-Policy: no-referrer` a form's POST may carry `Origin: null`; then the
 * browser's own `Sec-Fetch-Site` decides (pages also set a same-origin referrer policy by meta tag,
 * so that browsers without it send the real origin).
 */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  const site = c.req.header('sec-fetch-site');
  if (!origin) return site !== 'cross-site' && site !== 'same-site';
  if (origin === 'null') return site === 'same-origin';
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

/** Whether a write to a source sets credentials (admin only); a body that is not JSON sets none. */
async function writesSourceCredentials(c: Context): Promise<boolean> {
  if (SAFE_METHODS.has(c.req.method) || !SOURCE_WRITE.test(c.req.path)) return false;
  if (!/json/i.test(c.req.header('content-type') ?? '')) return false;
  try {
    const body = (await c.req.json()) as { options?: unknown } | null;
    return !!body && typeof body === 'object' && setsCredentials(body.options);
  } catch {
    return false;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function authenticate(deps: Pick<Deps, 'db' | 'now'>, options: AuthOptions = {}): MiddlewareHandler {
  const spend = minuteBudgets('for this token');
  return async (c, next) => {
    if (PUBLIC.test(c.req.path)) return next();
    const authorization = c.req.header('authorization');
    let principal: Principal | undefined;
    if (authorization !== undefined) {
      // A token that is sent and wrong is refused, even with a valid cookie alongside.
      const secret = BEARER.exec(authorization)?.[1];
      principal = secret ? await findToken(deps, secret) : undefined;
      if (!principal) {
        return refuse(c, 'unauthorized', 'the token is not valid: mistyped, revoked, or not of this earshot');
      }
    } else {
      const cookie = sessionCookie(c);
      principal = cookie ? await findSession(deps, cookie) : undefined;
      if (!principal) {
        if (wantsPage(c)) {
          const url = new URL(c.req.url);
          return c.redirect(`/signin?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
        }
        return refuse(
          c,
          'unauthorized',
          cookie
            ? 'the session has ended: sign in again'
            : 'a token is needed: send "Authorization: Bearer <token>" (npx earshot token create)',
        );
      }
      if (principal.session && !SAFE_METHODS.has(c.req.method)) {
        const csrf = await sentCsrf(c);
        if (!sameOrigin(c) || !csrf || !sameSecret(csrf, principal.session.csrf)) {
          return refuse(c, 'forbidden', 'CSRF check failed: reload the page and try again');
        }
      }
    }
    let needs = requiredScope(c.req.method, c.req.path);
    if (needs === 'write' && (await writesSourceCredentials(c))) needs = 'admin';
    if (!allows(principal.scope, needs)) {
      return refuse(
        c,
        'forbidden',
        `this needs a token with the ${needs} scope; "${principal.name}" has ${principal.scope}`,
      );
    }
    c.set('principal' as never, principal as never);
    const perMinute = principal.rateLimitPerMinute ?? options.perTokenPerMinute;
    if (!perMinute) return next();
    return spend(c, next, `token:${principal.tokenId}`, perMinute);
  };
}
