/**
 * Signing in to the dashboard with an API token, and out again. `GET /signin` is a form (public:
 * the auth middleware lets it through); `POST /signin` checks the token and opens a session: a fresh
 * random id in an HttpOnly, SameSite=Strict cookie (`__Host-` and Secure over HTTPS), the token
 * itself never stored in the browser. `POST /signout` (behind the middleware, which checked the
 * session and its CSRF token) ends the session. The session's CSRF token reaches the pages in a
 * `<meta name="csrf-token">` (layout.tsx), which api.js sends back in `X-CSRF-Token`.
 */
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { isSecureRequest, sameOrigin, sessionCookie, sessionCookieName } from '../auth/middleware.ts';
import { closeSession, findSession, findToken, openSession, SESSION_MAX_MS } from '../auth/tokens.ts';
import type { Deps } from '../deps.ts';
import { assetUrl } from './assets.ts';
import { ReferrerMeta } from './layout.tsx';
import { SECURITY_HEADERS } from './page.tsx';

export type SignInOptions = {
  /** Behind a proxy that says when the request came over HTTPS (X-Forwarded-Proto). */
  trustProxy?: boolean | undefined;
};

/** Parses where a sign-in asks to go. Only a path on this site; anything else means the overview. */
export function localPath(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return '/';
  // A path, not `//host` or `/\host` (both other sites to a browser), and nothing a browser would
  // strip or read differently (tabs, new lines, other controls, spaces, backslashes).
  if (!/^\/(?![/\\])/.test(next) || /[\s\\\p{Cc}]/u.test(next)) return '/';
  const base = 'http://earshot.invalid';
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return '/';
  }
  if (url.origin !== base) return '/';
  // Back to the sign-in form (or to sign out) is never where anyone means to go.
  if (url.pathname === '/signin' || url.pathname === '/signout') return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

type Problem = { status: 400 | 401 | 403; message: string };

function SignInPage({ next, problem }: { next: string; problem?: Problem | undefined }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <ReferrerMeta />
        <link rel="icon" type="image/svg+xml" href={assetUrl('favicon.svg')} />
        <title>Sign in · earshot</title>
        <link rel="stylesheet" href={assetUrl('dashboard.css')} />
      </head>
      <body data-page="signin" class="signin-page">
        <main id="main" class="signin-main">
          <p class="logo">
            <span aria-hidden="true" class="logo-mark">
              ◖
            </span>
            earshot
          </p>
          <section class="card signin-card" aria-labelledby="signin-title">
            <h1 id="signin-title">Sign in</h1>
            {problem ? (
              <p class="form-error" id="signin-error" role="alert" data-testid="signin-error">
                {problem.message}
              </p>
            ) : null}
            <form
              method="post"
              action="/signin"
              class="signin-form"
              id="signin-form"
              data-testid="signin-form"
            >
              <label class="field" for="signin-token">
                <span>API token</span>
                <input
                  type="password"
                  id="signin-token"
                  name="token"
                  autocomplete="off"
                  autocapitalize="off"
                  spellcheck={false}
                  required
                  placeholder="es_…"
                  aria-invalid={problem?.status === 401 ? 'true' : undefined}
                  aria-describedby={problem ? 'signin-error signin-help' : 'signin-help'}
                />
              </label>
              <input type="hidden" name="next" value={next} />
              <button type="submit" class="button primary" id="signin-submit">
                Sign in
              </button>
            </form>
            <p class="small muted" id="signin-help">
              A token comes from <code>npx earshot token create --scope read</code> (or{' '}
              <code>--scope write</code> to correct labels and work alerts), or is the first admin token
              earshot printed when it first started.
            </p>
          </section>
        </main>
      </body>
    </html>
  );
}

async function render(c: Context, next: string, problem?: Problem): Promise<Response> {
  const html = await (<SignInPage next={next} problem={problem} />).toString();
  return c.html(`<!doctype html>\n${html}`, problem?.status ?? 200, {
    ...SECURITY_HEADERS,
    'cache-control': 'no-store',
  });
}

/** The fields of a posted form; none when the body is not one (or not readable). */
async function formFields(c: Context): Promise<Record<string, unknown>> {
  if (
    !/^application\/x-www-form-urlencoded|^multipart\/form-data/i.test(c.req.header('content-type') ?? '')
  ) {
    return {};
  }
  try {
    return await c.req.parseBody();
  } catch {
    return {};
  }
}

/** The session ids the browser sent, under either cookie name. */
function sentSessions(c: Context): string[] {
  return [true, false].flatMap((secure) => getCookie(c, sessionCookieName(secure)) ?? []);
}

function dropCookie(c: Context, secure: boolean): void {
  deleteCookie(c, sessionCookieName(secure), { path: '/', secure, httpOnly: true, sameSite: 'Strict' });
}

export function signInRoutes(deps: Deps, options: SignInOptions = {}) {
  return new Hono()
    .get('/signin', async (c) => {
      const next = localPath(c.req.query('next'));
      const current = sessionCookie(c);
      if (current && (await findSession(deps, current))) {
        return c.redirect(next, 303);
      }
      return render(c, next);
    })
    .post('/signin', async (c) => {
      const fields = await formFields(c);
      const next = localPath(fields.next);
      if (!sameOrigin(c)) {
        return render(c, next, {
          status: 403,
          message: 'This sign-in came from another site, so it was refused. Sign in from this page.',
        });
      }
      const token = typeof fields.token === 'string' ? fields.token.trim() : '';
      if (token === '') {
        // 400, not 401: nothing was tried (a request that is not this form at all ends here too).
        return render(c, next, { status: 400, message: 'Paste an API token to sign in.' });
      }
      const principal = await findToken(deps, token);
      if (!principal) {
        return render(c, next, {
          status: 401,
          message: 'That token is not valid: mistyped, revoked, or not of this earshot.',
        });
      }
      // A new session id at every sign-in; any the browser came with ends.
      for (const previous of sentSessions(c)) await closeSession(deps, previous);
      const { secret } = await openSession(deps, principal);
      const secure = isSecureRequest(c, options.trustProxy ?? false);
      setCookie(c, sessionCookieName(secure), secret, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        maxAge: Math.floor(SESSION_MAX_MS / 1000),
        secure,
      });
      // Signed in over HTTPS after plain HTTP (or back): the cookie of the other name is stale.
      if (getCookie(c, sessionCookieName(!secure)) !== undefined) dropCookie(c, !secure);
      c.header('cache-control', 'no-store');
      return c.redirect(next, 303);
    })
    .post('/signout', async (c) => {
      // The middleware let this through: a live session with its CSRF token, or a bearer token.
      for (const current of sentSessions(c)) await closeSession(deps, current);
      dropCookie(c, true);
      dropCookie(c, false);
      c.header('cache-control', 'no-store');
      return c.redirect('/signin', 303);
    });
}
