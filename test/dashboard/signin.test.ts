/**
 * Signing in to the dashboard (#8), in-process: a page without a token sends the browser to the
 * sign-in form; a token opens a session whose cookie is HttpOnly, SameSite=Strict and `__Host-` and
 * Secure over HTTPS; the cookie opens pages but changes nothing without the page's CSRF token and
 * from another origin; `next` never leaves the site; signing out, revoking the token or the session
 * running out ends it; a read-only token is offered no control that changes things.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { hashSecret, SESSION_IDLE_MS, SESSION_MAX_MS } from '../../src/auth/tokens.ts';
import { localPath } from '../../src/dashboard/signin.tsx';
import type { Deps } from '../../src/deps.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { insertTestToken, TEST_ADMIN_TOKEN } from '../helpers/auth.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { attribute, expectSafePage, getPage, unescapeHtml } from './helpers.ts';

const READ = `es_${'r'.repeat(43)}`;
const ORIGIN = 'http://localhost';

type Session = { cookie: string; name: string; setCookie: string };

/** Posts the sign-in form as a browser on this origin would. */
function postSignIn(
  app: App,
  fields: Record<string, string>,
  { url = `${ORIGIN}/signin`, headers = {} }: { url?: string; headers?: Record<string, string> } = {},
) {
  return app.request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: new URL(url).origin,
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The session cookie a sign-in set (name, value, and the whole Set-Cookie line). */
function sessionFrom(res: Response): Session {
  const line = res.headers.getSetCookie().find((l) => /^(__Host-)?earshot_session=[^;]/.test(l));
  expect(line, `no session cookie in ${JSON.stringify(res.headers.getSetCookie())}`).toBeDefined();
  const [pair] = (line as string).split(';');
  const [name, value] = (pair as string).split('=') as [string, string];
  return { cookie: `${name}=${value}`, name, setCookie: line as string };
}

async function signIn(app: App, token = TEST_ADMIN_TOKEN, next = '/'): Promise<Session> {
  const res = await postSignIn(app, { token, next });
  expect(res.status, await res.clone().text()).toBe(303);
  return sessionFrom(res);
}

/** A page fetched with the cookie only (no bearer), as the browser does. */
const pageWith = (app: App, path: string, session: Session) =>
  getPage(app, path, { authorization: null, cookie: session.cookie });

/** The CSRF token a page gives its scripts. */
function csrfOf(html: string): string {
  const value = attribute(html, 'name="csrf-token"', 'content');
  expect(value, 'csrf-token meta').toBeTruthy();
  return unescapeHtml(value as string);
}

/** An API call with the session cookie only, and the headers given (CSRF token, origin). */
const callWith = (
  app: App,
  method: string,
  path: string,
  body: unknown,
  session: Session,
  headers: Record<string, string> = {},
) => call(app, method, path, body, { authorization: null, cookie: session.cookie, ...headers });

describe('dashboard sign-in', () => {
  let handle: DbHandle;
  let deps: Deps;
  let app: App;
  let clock: Date;
  let mentionId: number;
  let incidentId: number;

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db, { now: () => clock });
    app = createApp(deps);
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    clock = new Date();
    await resetDb(handle.db);
    await handle.db.deleteFrom('sessions').execute();
    await handle.db.deleteFrom('api_tokens').where('hash', '!=', hashSecret(TEST_ADMIN_TOKEN)).execute();
    // A brand, a rule and one complaint: a mention to relabel and an incident to acknowledge.
    expectStatus(await call(app, 'POST', '/api/brands', { name: 'Acme' }), 201);
    expectStatus(
      await call(app, 'POST', '/api/sources', { name: 'helpdesk', kind: 'push', options: {} }),
      201,
    );
    expectStatus(
      await call(app, 'POST', '/api/alert-rules', {
        name: 'complaints',
        brand: 'Acme',
        kind: 'negative_mention',
      }),
      201,
    );
    // Published after the rule was made (rules look at what comes after them).
    clock = new Date(clock.getTime() + 5 * 60_000);
    const pushed = await call(app, 'POST', '/api/ingest', {
      source: 'helpdesk',
      items: [
        {
          externalId: 'c1',
          text: 'Acme lost my parcel, support never answered and I want a refund. Terrible.',
          publishedAt: new Date(clock.getTime() - 60_000).toISOString(),
        },
      ],
    });
    expectStatus(pushed, 200);
    mentionId = pushed.body.insertedIds[0];
    const alerts = await call(app, 'GET', '/api/alerts');
    incidentId = alerts.body.items[0]?.id;
    expect(mentionId).toBeGreaterThan(0);
    expect(incidentId, JSON.stringify(alerts.body)).toBeGreaterThan(0);
  });

  it('a page without a token goes to the sign-in form, which remembers where it was going', async () => {
    const res = await getPage(app, '/mentions?label=negative&days=7', { authorization: null });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      `/signin?next=${encodeURIComponent('/mentions?label=negative&days=7')}`,
    );
    // A script asking for data gets a 401, not a page.
    expectError(
      await call(app, 'GET', '/api/mentions', undefined, { authorization: null }),
      401,
      'unauthorized',
    );

    const form = await getPage(app, '/signin?next=%2Fmentions%3Flabel%3Dnegative', { authorization: null });
    expectSafePage(form, '/signin');
    expect(form.headers.get('cache-control')).toBe('no-store');
    expect(form.html).toMatch(/<form[^>]*method="post"[^>]*action="\/signin"/);
    const input = form.html.match(/<input[^>]*name="token"[^>]*>/)?.[0] ?? '';
    expect(input).toContain('type="password"');
    expect(input).toContain('autocomplete="off"');
    expect(input).toContain('required');
    expect(form.html).toMatch(/<label[^>]*for="signin-token"/);
    expect(attribute(form.html, 'name="next"', 'value')).toBe('/mentions?label=negative');
    expect(form.html).toContain('npx earshot token create --scope read');
    expect(form.html).toContain('href="/dashboard/assets/dashboard.css"');
    // Nothing of a session on a page that has none.
    expect(form.html).not.toContain('csrf-token');
  });

  it('a wrong token is refused with the form again, never echoing it; an empty one too', async () => {
    const wrong = `es_${'z'.repeat(43)}`;
    for (const token of [
      wrong,
      TEST_ADMIN_TOKEN.slice(0, -1),
      `${TEST_ADMIN_TOKEN}x`,
      'hunter2-not-a-token',
    ]) {
      const res = await postSignIn(app, { token, next: '/alerts' });
      const html = await res.text();
      expectSafePage({ status: res.status, html, headers: res.headers }, `wrong token ${token}`, 401);
      expect(html).toContain('That token is not valid');
      expect(html).not.toContain(token);
      expect(res.headers.getSetCookie()).toEqual([]);
      // Still going to the same place once it works.
      expect(attribute(html, 'name="next"', 'value')).toBe('/alerts');
    }
    const empty = await postSignIn(app, { token: '  ', next: '/' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Paste an API token');
    // Not a form at all: nothing tried, nothing set.
    const json = await app.request('/signin', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({ token: TEST_ADMIN_TOKEN }),
    });
    expect(json.status).toBe(400);
    expect(json.headers.getSetCookie()).toEqual([]);
  });

  it('a sign-in posted from another site is refused', async () => {
    const res = await postSignIn(
      app,
      { token: TEST_ADMIN_TOKEN },
      { headers: { origin: 'https://evil.example' } },
    );
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
    const fetchMeta = await postSignIn(
      app,
      { token: TEST_ADMIN_TOKEN },
      { headers: { origin: '', 'sec-fetch-site': 'cross-site' } },
    );
    expect(fetchMeta.status).toBe(403);
    // `Origin: null` (a form under no-referrer, a sandboxed frame): the browser's Sec-Fetch-Site decides.
    for (const [site, status] of [
      ['cross-site', 403],
      ['same-site', 403],
      [undefined, 403],
      ['same-origin', 303],
    ] as const) {
      const headers: Record<string, string> = { origin: 'null', ...(site ? { 'sec-fetch-site': site } : {}) };
      const res = await postSignIn(app, { token: TEST_ADMIN_TOKEN }, { headers });
      expect(res.status, `Origin: null, Sec-Fetch-Site: ${site}`).toBe(status);
    }
  });

  it('the right token opens a session: HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP', async () => {
    const res = await postSignIn(app, { token: TEST_ADMIN_TOKEN, next: '/alerts?status=resolved' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/alerts?status=resolved');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const session = sessionFrom(res);
    expect(session.name).toBe('earshot_session');
    const attributes = session.setCookie.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=strict');
    expect(attributes).toContain('path=/');
    expect(attributes).toContain(`max-age=${SESSION_MAX_MS / 1000}`);
    expect(attributes).not.toContain('secure');
    // The cookie holds a random session id, not the token.
    expect(session.cookie).not.toContain(TEST_ADMIN_TOKEN);
  });

  it('over HTTPS the cookie is __Host- and Secure; behind a trusted proxy too, not behind an untrusted one', async () => {
    const direct = await postSignIn(app, { token: TEST_ADMIN_TOKEN }, { url: 'https://x.test/signin' });
    expect(direct.status).toBe(303);
    const secure = sessionFrom(direct);
    expect(secure.name).toBe('__Host-earshot_session');
    expect(secure.setCookie).toMatch(/;\s*Secure/i);
    expect(secure.setCookie).toMatch(/;\s*Path=\//i);
    expect(secure.setCookie).not.toMatch(/Domain=/i);
    // It opens pages.
    const page = await getPage(app, 'https://x.test/alerts', { authorization: null, cookie: secure.cookie });
    expectSafePage(page, 'https page');

    const proxied = createApp(deps, { trustProxy: true });
    const viaProxy = await postSignIn(
      proxied,
      { token: TEST_ADMIN_TOKEN },
      { headers: { 'x-forwarded-proto': 'https' } },
    );
    expect(viaProxy.status).toBe(303);
    const behind = sessionFrom(viaProxy);
    expect(behind.name).toBe('__Host-earshot_session');
    expect(behind.setCookie).toMatch(/;\s*Secure/i);

    // Anyone can send the header: without trustProxy it is not believed.
    const untrusted = await postSignIn(
      app,
      { token: TEST_ADMIN_TOKEN },
      { headers: { 'x-forwarded-proto': 'https' } },
    );
    const plain = sessionFrom(untrusted);
    expect(plain.name).toBe('earshot_session');
    expect(plain.setCookie).not.toMatch(/;\s*Secure/i);
  });

  it('the cookie opens every page, which shows who is signed in and can sign out', async () => {
    const session = await signIn(app);
    for (const path of ['/', '/competitors', '/themes', '/mentions', '/alerts']) {
      const res = await pageWith(app, path, session);
      expectSafePage(res, path);
      expect(res.html, path).toContain('data-testid="account"');
      expect(res.html, path).toContain('test admin');
      expect(attribute(res.html, 'data-testid="account-scope"', 'class')).toContain('scope-admin');
      // The sign-out form carries the same CSRF token as the meta tag.
      const csrf = csrfOf(res.html);
      expect(res.html).toMatch(/<form[^>]*method="post"[^>]*action="\/signout"/);
      expect(attribute(res.html, 'name="_csrf"', 'value')).toBe(csrf);
    }
    const mentions = await pageWith(app, '/mentions', session);
    expect(mentions.html).toContain('data-testid="label-save"');
    const alerts = await pageWith(app, '/alerts', session);
    expect(alerts.html).toContain('data-testid="incident-ack"');
    // Signed in already: the form sends you on.
    const again = await getPage(app, '/signin?next=%2Fthemes', {
      authorization: null,
      cookie: session.cookie,
    });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/themes');
    // A bearer request shows the token, with nothing to sign out of and no CSRF token.
    const bearer = await getPage(app, '/');
    expect(bearer.html).toContain('data-testid="account"');
    expect(bearer.html).not.toContain('csrf-token');
    expect(bearer.html).not.toContain('action="/signout"');
  });

  it('the cookie alone changes nothing: the CSRF token of the page and this origin are needed', async () => {
    const session = await signIn(app);
    const csrf = csrfOf((await pageWith(app, '/mentions', session)).html);
    const relabel = `/api/mentions/${mentionId}`;
    const ack = `/api/alerts/${incidentId}/ack`;

    // Cookie only: refused.
    expectError(await callWith(app, 'PATCH', relabel, { label: 'positive' }, session), 403, 'forbidden');
    expectError(await callWith(app, 'POST', ack, {}, session), 403, 'forbidden');
    // A wrong token: refused.
    const wrong = { 'x-csrf-token': `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`, origin: ORIGIN };
    expectError(
      await callWith(app, 'PATCH', relabel, { label: 'positive' }, session, wrong),
      403,
      'forbidden',
    );
    expectError(await callWith(app, 'POST', ack, {}, session, wrong), 403, 'forbidden');
    // The right token from another origin: refused.
    const crossSite = { 'x-csrf-token': csrf, origin: 'https://evil.example' };
    expectError(
      await callWith(app, 'PATCH', relabel, { label: 'positive' }, session, crossSite),
      403,
      'forbidden',
    );
    expectError(await callWith(app, 'POST', ack, {}, session, crossSite), 403, 'forbidden');
    // Nothing changed meanwhile.
    expect((await call(app, 'GET', relabel)).body.labelCorrected).toBe(false);
    expect((await call(app, 'GET', `/api/alerts/${incidentId}`)).body.status).toBe('open');

    // The page's token from this origin: done.
    const right = { 'x-csrf-token': csrf, origin: ORIGIN };
    const relabelled = await callWith(app, 'PATCH', relabel, { label: 'positive' }, session, right);
    expectStatus(relabelled, 200);
    expect(relabelled.body.sentiment.label).toBe('positive');
    const acked = await callWith(app, 'POST', ack, {}, session, right);
    expectStatus(acked, 200);
    expect(acked.body.status).toBe('acknowledged');
    // Reading needs no CSRF token.
    expectStatus(await callWith(app, 'GET', relabel, undefined, session), 200);
  });

  it('next never leaves the site', async () => {
    for (const next of [
      '//evil.example',
      'https://evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      ' //evil.example',
      'javascript:alert(1)',
      'evil.example',
      '/signout',
      '',
    ]) {
      const res = await postSignIn(app, { token: TEST_ADMIN_TOKEN, next });
      expect(res.status, JSON.stringify(next)).toBe(303);
      expect(res.headers.get('location'), JSON.stringify(next)).toBe('/');
    }
    // …on the form too.
    const form = await getPage(app, `/signin?next=${encodeURIComponent('//evil.example/x')}`, {
      authorization: null,
    });
    expect(attribute(form.html, 'name="next"', 'value')).toBe('/');
    const redirect = await getPage(app, `/signin?next=${encodeURIComponent('https://evil.example')}`, {
      authorization: null,
      cookie: (await signIn(app)).cookie,
    });
    expect(redirect.headers.get('location')).toBe('/');
    // A local path keeps its query.
    const local = await postSignIn(app, {
      token: TEST_ADMIN_TOKEN,
      next: '/mentions?q=a%20b&label=negative',
    });
    expect(local.headers.get('location')).toBe('/mentions?q=a%20b&label=negative');
    expect(localPath('/themes?days=7#top')).toBe('/themes?days=7#top');
    expect(localPath('/ünïcode')).toBe('/%C3%BCn%C3%AFcode');
    expect(localPath(undefined)).toBe('/');
  });

  it('signing in again gives a new session id and ends the one the browser came with', async () => {
    const first = await signIn(app);
    const res = await postSignIn(app, { token: TEST_ADMIN_TOKEN }, { headers: { cookie: first.cookie } });
    const second = sessionFrom(res);
    expect(second.cookie).not.toBe(first.cookie);
    expect((await pageWith(app, '/', first)).status).toBe(303);
    expect((await pageWith(app, '/', second)).status).toBe(200);
  });

  it('signing out ends the session and clears the cookie', async () => {
    const session = await signIn(app);
    const csrf = csrfOf((await pageWith(app, '/', session)).html);
    const form = (fields: Record<string, string>, origin = ORIGIN) =>
      app.request('/signout', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin, cookie: session.cookie },
        body: new URLSearchParams(fields).toString(),
      });
    // Not without the CSRF token, nor from elsewhere (a page of another site cannot sign you out).
    expect((await form({})).status).toBe(403);
    expect((await form({ _csrf: csrf }, 'https://evil.example')).status).toBe(403);
    expect((await pageWith(app, '/', session)).status).toBe(200);

    const out = await form({ _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/signin');
    const cleared = out.headers.getSetCookie();
    expect(
      cleared.some((l) => /^earshot_session=;/.test(l) && /Max-Age=0/i.test(l)),
      cleared.join('\n'),
    ).toBe(true);
    expect(cleared.some((l) => /^__Host-earshot_session=;/.test(l) && /Max-Age=0/i.test(l))).toBe(true);
    // The old cookie, kept by a careless browser, opens nothing.
    const after = await pageWith(app, '/alerts', session);
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/signin?next=%2Falerts');
    expectError(await callWith(app, 'GET', '/api/mentions', undefined, session), 401, 'unauthorized');
    // A bearer caller "signing out" is sent to the form, harmlessly.
    const bearer = await call(app, 'POST', '/signout', {});
    expect(bearer.status).toBe(303);
  });

  it('revoking the token ends its sessions at once', async () => {
    const made = await call(app, 'POST', '/api/tokens', { name: 'laptop', scope: 'write' });
    expectStatus(made, 201);
    const session = await signIn(app, made.body.secret);
    const page = await pageWith(app, '/', session);
    expectSafePage(page, 'before revoking');
    expect(page.html).toContain('laptop');
    expectStatus(await call(app, 'DELETE', `/api/tokens/${made.body.token.id}`), 200);
    const after = await pageWith(app, '/', session);
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/signin\?next=/);
    // Nor can it sign in again.
    expect((await postSignIn(app, { token: made.body.secret })).status).toBe(401);
  });

  it('a read-only session is offered no control that changes things, and cannot change them anyway', async () => {
    await insertTestToken(handle.db, READ, 'read', 'wallboard');
    const session = await signIn(app, READ);
    const mentions = await pageWith(app, '/mentions', session);
    expectSafePage(mentions, 'read /mentions');
    expect(mentions.html).toContain('wallboard');
    expect(attribute(mentions.html, 'data-testid="account-scope"', 'class')).toContain('scope-read');
    expect(mentions.html).toContain(`data-mention-id="${mentionId}"`);
    expect(mentions.html).not.toContain('data-testid="label-save"');
    expect(mentions.html).not.toContain('data-testid="label-select"');
    expect(mentions.html).toContain('Read-only token');
    const alerts = await pageWith(app, '/alerts', session);
    expectSafePage(alerts, 'read /alerts');
    expect(alerts.html).toContain(`data-incident-id="${incidentId}"`);
    for (const control of ['incident-ack', 'incident-resolve', 'incident-assign', 'incident-assignee']) {
      expect(alerts.html, control).not.toContain(`data-testid="${control}"`);
    }
    expect(alerts.html).toContain('Read-only token');
    // It may still sign out.
    expect(alerts.html).toContain('action="/signout"');

    const csrf = csrfOf(mentions.html);
    const right = { 'x-csrf-token': csrf, origin: ORIGIN };
    const relabel = await callWith(
      app,
      'PATCH',
      `/api/mentions/${mentionId}`,
      { label: 'positive' },
      session,
      right,
    );
    expectError(relabel, 403, 'forbidden');
    expect(relabel.body.error.message).toMatch(/scope/);
    expectError(
      await callWith(app, 'POST', `/api/alerts/${incidentId}/ack`, {}, session, right),
      403,
      'forbidden',
    );
  });

  it('an expired or idle session sends the browser back to sign in', async () => {
    const start = clock;
    const session = await signIn(app);
    // In use every few hours: alive up to the 7-day limit, not after.
    for (let t = SESSION_IDLE_MS / 2; t < SESSION_MAX_MS; t += SESSION_IDLE_MS / 2) {
      clock = new Date(start.getTime() + t);
      expect((await pageWith(app, '/', session)).status, `after ${t / 3_600_000} h`).toBe(200);
    }
    clock = new Date(start.getTime() + SESSION_MAX_MS + 1000);
    const expired = await pageWith(app, '/alerts', session);
    expect(expired.status).toBe(303);
    expect(expired.headers.get('location')).toBe('/signin?next=%2Falerts');

    // Unused for longer than the idle time: over too.
    const idle = await signIn(app);
    clock = new Date(clock.getTime() + SESSION_IDLE_MS + 60_000);
    expect((await pageWith(app, '/', idle)).status).toBe(303);
    // And the form is shown again (not a redirect loop).
    const form = await getPage(app, '/signin', { authorization: null, cookie: idle.cookie });
    expect(form.status).toBe(200);
  });
});
