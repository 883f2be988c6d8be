/**
 * Access (#8): every registered route but the public ones needs a token; read tokens read and change
 * nothing; write tokens change what is not admin; only admin tokens manage tokens, alert channels
 * and sources' credentials. Tokens are shown once and stored as hashes; revoking one works at once.
 * The matrix runs over the app's own route table, so a route added later is covered by it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { hashSecret } from '../../src/auth/tokens.ts';
import type { Deps } from '../../src/deps.ts';
import { call, expectError, expectStatus, type Route, routesOf } from '../helpers/app.ts';
import { BEARER, insertTestToken, TEST_ADMIN_TOKEN } from '../helpers/auth.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const READ = `es_${'r'.repeat(43)}`;
const WRITE = `es_${'w'.repeat(43)}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Reached without a token (liveness, static files, the sign-in page). */
const PUBLIC = /^\/(health|dashboard\/assets\/:name|api\/docs\/(:name|init\.js)|signin)$/;

/** A request to a route: ids filled with 1, an empty JSON object as the body. */
function request(app: App, route: Route, token: string | null) {
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => (name === 'name' ? 'x.css' : '1'));
  const body = route.method === 'GET' || route.method === 'HEAD' ? undefined : {};
  return call(app, route.method, path, body, { authorization: token === null ? null : `Bearer ${token}` });
}

const isMutation = (r: Route) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method);
const isAdminArea = (r: Route) => /^\/api\/(tokens|channels)(\/|$)/.test(r.path);

describe('access control', () => {
  let handle: DbHandle;
  let deps: Deps;
  let app: App;
  let routes: Route[];

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db);
    app = createApp(deps);
    routes = routesOf(app);
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    await handle.db.deleteFrom('api_tokens').where('hash', '!=', hashSecret(TEST_ADMIN_TOKEN)).execute();
    await insertTestToken(handle.db, READ, 'read');
    await insertTestToken(handle.db, WRITE, 'write');
  });

  it('covers the whole API', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes).toContainEqual({ method: 'POST', path: '/api/tokens' });
    expect(routes).toContainEqual({ method: 'GET', path: '/' });
  });

  it('every route but the public ones answers 401 without a token, or with a bad one', async () => {
    const guarded = routes.filter((r) => !PUBLIC.test(r.path));
    expect(guarded.length).toBeGreaterThan(40);
    for (const route of guarded) {
      for (const token of [null, 'nonsense', `es_${'x'.repeat(43)}`, TEST_ADMIN_TOKEN.slice(0, -1)]) {
        const res = await request(app, route, token);
        expectError(res, 401, 'unauthorized');
        expect(res.headers.get('www-authenticate'), `${route.method} ${route.path}`).toMatch(/^Bearer/);
      }
    }
    const health = await call(app, 'GET', '/health', undefined, { authorization: null });
    expectStatus(health, 200);
  });

  it('a read token reads everything and changes nothing', async () => {
    for (const route of routes.filter((r) => !PUBLIC.test(r.path))) {
      const res = await request(app, route, READ);
      const where = `${route.method} ${route.path} → ${res.status} ${res.text.slice(0, 200)}`;
      if (isMutation(route) && route.path !== '/signout') {
        expectError(res, 403, 'forbidden');
        expect(res.body.error.message, where).toMatch(/scope/);
      } else if (route.path.startsWith('/api/tokens')) {
        expectError(res, 403, 'forbidden'); // the token list is the admin's
      } else {
        expect([401, 403], where).not.toContain(res.status);
        expect(res.status, where).toBeLessThan(500);
      }
    }
  });

  it('a write token changes what is not admin, and not tokens or channels', async () => {
    for (const route of routes.filter((r) => !PUBLIC.test(r.path))) {
      const res = await request(app, route, WRITE);
      const where = `${route.method} ${route.path} → ${res.status} ${res.text.slice(0, 200)}`;
      if (route.path.startsWith('/api/tokens') || (isMutation(route) && isAdminArea(route))) {
        expectError(res, 403, 'forbidden');
      } else {
        expect([401, 403], where).not.toContain(res.status);
        expect(res.status, where).toBeLessThan(500);
      }
    }
  });

  it('an admin token may do everything', async () => {
    for (const route of routes.filter((r) => !PUBLIC.test(r.path))) {
      const res = await request(app, route, TEST_ADMIN_TOKEN);
      const where = `${route.method} ${route.path} → ${res.status} ${res.text.slice(0, 200)}`;
      expect([401, 403], where).not.toContain(res.status);
      expect(res.status, where).toBeLessThan(500);
    }
  });

  it("only admin sets a source's credentials; write manages sources without them", async () => {
    const feed = { name: 'Feed', kind: 'rss', options: { url: 'https://example.com/feed.xml' } };
    const created = await call(app, 'POST', '/api/sources', feed, bearer(WRITE));
    expectStatus(created, 201);
    const id = created.body.id as number;

    const github = {
      name: 'GitHub',
      kind: 'github',
      options: { query: 'acme', token: 'ghp_secret_value' },
    };
    expectError(await call(app, 'POST', '/api/sources', github, bearer(WRITE)), 403, 'forbidden');
    // An {"env": NAME} reference is a credential too: it decides what is sent upstream.
    const byEnv = { ...github, options: { query: 'acme', token: { env: 'EARSHOT_SECRET_KEY' } } };
    expectError(await call(app, 'POST', '/api/sources', byEnv, bearer(WRITE)), 403, 'forbidden');
    const nested = { options: { url: 'https://example.com/x.xml', auth: { password: 'p' } } };
    expectError(await call(app, 'PATCH', `/api/sources/${id}`, nested, bearer(WRITE)), 403, 'forbidden');

    const made = await call(app, 'POST', '/api/sources', github, BEARER);
    expectStatus(made, 201);
    // Sending the mask back keeps the stored credential: no credential is set, write may do it.
    const renamed = await call(
      app,
      'PATCH',
      `/api/sources/${made.body.id}`,
      { name: 'GitHub app', options: made.body.options },
      bearer(WRITE),
    );
    expectStatus(renamed, 200);
    expect(renamed.body.options.token).toBe('********');
    expectStatus(await call(app, 'PATCH', `/api/sources/${id}`, { name: 'Feed 2' }, bearer(WRITE)), 200);
  });

  it('a token is shown once, stored as a hash, and works at once', async () => {
    const made = await call(app, 'POST', '/api/tokens', { name: 'BI export', scope: 'read' });
    expectStatus(made, 201);
    const secret = made.body.secret as string;
    expect(secret).toMatch(/^es_[A-Za-z0-9_-]{43}$/);
    expect(made.body.token).toMatchObject({ name: 'BI export', scope: 'read', revokedAt: null });
    expect(made.headers.get('cache-control')).toBe('no-store');

    const stored = await handle.db.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored.map((t) => t.hash)).toContain(hashSecret(secret));

    const list = await call(app, 'GET', '/api/tokens');
    expectStatus(list, 200);
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain(hashSecret(secret));
    expect(list.body.items.map((t: { name: string }) => t.name)).toContain('BI export');

    const me = await call(app, 'GET', '/api/me', undefined, bearer(secret));
    expectStatus(me, 200);
    expect(me.body).toMatchObject({ name: 'BI export', scope: 'read', via: 'bearer' });
    const used = await call(app, 'GET', '/api/tokens');
    const listed = used.body.items.find((t: { name: string }) => t.name === 'BI export');
    expect(listed.lastUsedAt).not.toBeNull();
  });

  it('a revoked token stops working at once; the last admin token cannot be revoked', async () => {
    const made = await call(app, 'POST', '/api/tokens', { name: 'temp', scope: 'write' });
    const secret = made.body.secret as string;
    expectStatus(await call(app, 'GET', '/api/brands', undefined, bearer(secret)), 200);
    const revoked = await call(app, 'DELETE', `/api/tokens/${made.body.token.id}`);
    expectStatus(revoked, 200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expectError(await call(app, 'GET', '/api/brands', undefined, bearer(secret)), 401, 'unauthorized');

    const admin = await handle.db
      .selectFrom('api_tokens')
      .select('id')
      .where('hash', '=', hashSecret(TEST_ADMIN_TOKEN))
      .executeTakeFirstOrThrow();
    const last = await call(app, 'DELETE', `/api/tokens/${admin.id}`);
    expectError(last, 409, 'conflict');
    expect(last.body.error.message).toMatch(/last admin token/);
    expectError(await call(app, 'DELETE', '/api/tokens/999999'), 404, 'not_found');
  });

  it('refuses token bodies it does not know, and unknown scopes', async () => {
    expectError(
      await call(app, 'POST', '/api/tokens', { name: 'x', scope: 'root' }),
      400,
      'validation_failed',
    );
    expectError(await call(app, 'POST', '/api/tokens', { scope: 'read' }), 400, 'validation_failed');
    expectError(
      await call(app, 'POST', '/api/tokens', { name: 'x', scope: 'read', admin: true }),
      400,
      'validation_failed',
    );
  });

  it('a malformed Authorization header is a 401, not a fall-back to no credentials', async () => {
    for (const value of [
      'Basic YWRtaW46YWRtaW4=',
      'Bearer',
      `Bearer ${TEST_ADMIN_TOKEN} extra`,
      TEST_ADMIN_TOKEN,
    ]) {
      expectError(
        await call(app, 'GET', '/api/brands', undefined, { authorization: value }),
        401,
        'unauthorized',
      );
    }
    // The scheme is case-insensitive (RFC 9110).
    expectStatus(
      await call(app, 'GET', '/api/brands', undefined, { authorization: `bearer ${TEST_ADMIN_TOKEN}` }),
      200,
    );
  });

  it('describes the scheme in the API description', async () => {
    const doc = await call(app, 'GET', '/api/openapi.json');
    expect(doc.body.components.securitySchemes.bearerToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.body.security).toContainEqual({ bearerToken: [] });
    expect(doc.body.paths['/health'].get.security).toEqual([]);
  });
});
