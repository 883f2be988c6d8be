import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { resolveSecretRef } from '../../src/secrets.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from '../helpers/fake-upstream.ts';

const FEED = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://example.com</link>
<description>d</description>
<item><guid>1</guid><title>Acme ruined my weekend</title><description>The Acme app is awful and support was rude.</description>
<pubDate>Mon, 16 Nov 2026 10:00:00 GMT</pubDate></item>
<item><guid>2</guid><title>Nothing to see</title><description>No brand.</description></item>
</channel></rss>`;

describe('/api/sources', () => {
  let handle: DbHandle;
  let app: App;
  let upstream: FakeUpstream;

  beforeAll(async () => {
    handle = await createTestDb();
    upstream = await startFakeUpstream();
    upstream.on('/feed.xml', serveFeed(FEED));
    upstream.on('/down', (_req, res) => {
      res.writeHead(503).end();
    });
    app = createApp(createTestDeps(handle.db));
  });
  afterAll(async () => {
    await upstream.close();
    await handle.close();
  });
  beforeEach(() => resetDb(handle.db));

  it('creates a source, polls it now, and shows its health', async () => {
    expectStatus(await call(app, 'POST', '/api/brands', { name: 'Acme' }), 201);
    const created = await call(app, 'POST', '/api/sources', {
      name: 'Acme feed',
      kind: 'rss',
      options: { url: upstream.url('/feed.xml') },
      pollIntervalSeconds: 300,
    });
    expectStatus(created, 201);
    expect(created.body).toMatchObject({ kind: 'rss', enabled: true, pollIntervalSeconds: 300 });
    expect(created.body.health.status).toBe('new');

    const poll = await call(app, 'POST', `/api/sources/${created.body.id}/poll`);
    expectStatus(poll, 200);
    expect(poll.body).toMatchObject({ status: 'ok', fetched: 2, matched: 1, inserted: 1 });

    const mentions = await call(app, 'GET', '/api/mentions');
    expect(mentions.body.items).toHaveLength(1);
    expect(mentions.body.items[0]).toMatchObject({
      title: 'Acme ruined my weekend',
      source: { id: created.body.id, name: 'Acme feed', kind: 'rss' },
      brands: [{ name: 'Acme' }],
    });
    expect(mentions.body.items[0].sentiment.label).toBe('negative');

    const read = await call(app, 'GET', `/api/sources/${created.body.id}`);
    expect(read.body.health).toMatchObject({
      status: 'ok',
      consecutiveFailures: 0,
      lastError: null,
      warnings: [],
    });

    // A connector's partial failures (kept in its cursor) show in health.
    await handle.db
      .updateTable('sources')
      .set({ cursor: JSON.stringify({ warnings: ['https://down.example: HTTP 502'] }) })
      .where('id', '=', created.body.id)
      .execute();
    const warned = await call(app, 'GET', `/api/sources/${created.body.id}/health`);
    expect(warned.body.warnings).toEqual(['https://down.example: HTTP 502']);
  });

  it('reports a failed poll in the answer and in source health', async () => {
    const created = await call(app, 'POST', '/api/sources', {
      name: 'down',
      kind: 'rss',
      options: { url: upstream.url('/down') },
    });
    const poll = await call(app, 'POST', `/api/sources/${created.body.id}/poll`);
    expectStatus(poll, 200);
    expect(poll.body.status).toBe('failed');
    expect(poll.body.error).toContain('HTTP 503');
    const read = await call(app, 'GET', `/api/sources/${created.body.id}`);
    expect(read.body.health).toMatchObject({
      status: 'degraded',
      consecutiveFailures: 1,
      lastErrorStatus: 503,
      lastErrorKind: 'http_5xx',
    });

    // It keeps failing: visibly failing, and backed off further each time.
    await call(app, 'POST', `/api/sources/${created.body.id}/poll`);
    await call(app, 'POST', `/api/sources/${created.body.id}/poll`);
    const health = await call(app, 'GET', `/api/sources/${created.body.id}/health`);
    expectStatus(health, 200);
    expect(health.body).toMatchObject({
      id: created.body.id,
      kind: 'rss',
      status: 'failing',
      consecutiveFailures: 3,
    });
    expect(health.body.lastError).toContain('HTTP 503');
    const list = await call(app, 'GET', '/api/sources');
    expect(list.body.items[0].health.status).toBe('failing');
    expectError(await call(app, 'GET', '/api/sources/999/health'), 404, 'not_found');
  });

  it('never shows an inline credential, but shows an environment reference', async () => {
    const created = await call(app, 'POST', '/api/sources', {
      name: 'reddit',
      kind: 'reddit',
      options: { query: 'acme', clientId: 'my-client-id', clientSecret: 'hunter2-secret' },
    });
    expectStatus(created, 201);
    expect(created.text).not.toContain('hunter2-secret');
    expect(created.body.options.clientSecret).toBe('********');
    const bsky = await call(app, 'POST', '/api/sources', {
      name: 'bsky',
      kind: 'bluesky',
      options: { query: 'acme', identifier: 'brand.bsky.social', appPassword: { env: 'BSKY_APP_PASSWORD' } },
    });
    expectStatus(bsky, 201);
    expect(bsky.body.options.appPassword).toEqual({ env: 'BSKY_APP_PASSWORD' });
    const list = await call(app, 'GET', '/api/sources');
    expect(list.text).not.toContain('hunter2-secret');

    // Sending the masked form back (edit of another field) keeps the stored secret.
    const patched = await call(app, 'PATCH', `/api/sources/${created.body.id}`, {
      options: { ...created.body.options, query: 'acme OR globex' },
    });
    expectStatus(patched, 200);
    const row = await handle.db
      .selectFrom('sources')
      .select('options')
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    const options = row.options as { query: string; clientSecret: unknown };
    expect(options.query).toBe('acme OR globex');
    // Stored sealed (encrypted at rest), and still the same credential.
    expect(JSON.stringify(options)).not.toContain('hunter2-secret');
    expect(resolveSecretRef(createTestDeps(handle.db).readSecret, options.clientSecret)).toBe(
      'hunter2-secret',
    );
  });

  it('validates kind and options, and updates and deletes', async () => {
    const unknownKind = await call(app, 'POST', '/api/sources', {
      name: 'x',
      kind: 'carrier-pigeon',
      options: {},
    });
    expectError(unknownKind, 400, 'validation_failed');
    expect(unknownKind.body.error.message).toContain('rss');

    const badUrl = await call(app, 'POST', '/api/sources', {
      name: 'x',
      kind: 'rss',
      options: { url: 'ftp://example.com' },
    });
    expectError(badUrl, 400, 'validation_failed');
    expect(badUrl.body.error.details[0].path).toBe('options.url');

    const extra = await call(app, 'POST', '/api/sources', {
      name: 'x',
      kind: 'rss',
      options: { url: 'https://example.com/feed', junk: true },
    });
    expectError(extra, 400, 'validation_failed');
    const tooFast = await call(app, 'POST', '/api/sources', {
      name: 'x',
      kind: 'rss',
      options: { url: 'https://example.com/feed' },
      pollIntervalSeconds: 1,
    });
    expectError(tooFast, 400, 'validation_failed');

    const ok = await call(app, 'POST', '/api/sources', {
      name: 'x',
      kind: 'rss',
      options: { url: 'https://example.com/feed' },
    });
    expectStatus(ok, 201);
    expect(ok.body.pollIntervalSeconds).toBe(900);
    expectError(
      await call(app, 'POST', '/api/sources', {
        name: 'x',
        kind: 'rss',
        options: { url: 'https://example.com/2' },
      }),
      409,
      'conflict',
    );
    const patched = await call(app, 'PATCH', `/api/sources/${ok.body.id}`, {
      enabled: false,
      pollIntervalSeconds: 3600,
    });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({ enabled: false, pollIntervalSeconds: 3600 });
    expectError(
      await call(app, 'PATCH', `/api/sources/${ok.body.id}`, { options: { url: 'nope' } }),
      400,
      'validation_failed',
    );
    expectStatus(await call(app, 'DELETE', `/api/sources/${ok.body.id}`), 204);
    expectError(await call(app, 'DELETE', `/api/sources/${ok.body.id}`), 404, 'not_found');
    expectError(await call(app, 'POST', '/api/sources/424242/poll'), 404, 'not_found');
  });
});
