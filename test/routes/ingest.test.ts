import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

describe('POST /api/ingest', () => {
  let handle: DbHandle;
  let app: App;
  let pushId: number;

  beforeAll(async () => {
    handle = await createTestDb();
    app = createApp(createTestDeps(handle.db));
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    expectStatus(await call(app, 'POST', '/api/brands', { name: 'Acme' }), 201);
    const source = await call(app, 'POST', '/api/sources', {
      name: 'helpdesk',
      kind: 'push',
      options: { description: 'Zendesk trigger' },
    });
    expectStatus(source, 201);
    pushId = source.body.id;
  });

  it('feeds analytics in the same transaction: trends, head to head and themes', async () => {
    const globex = await call(app, 'POST', '/api/brands', { name: 'Globex', kind: 'competitor' });
    const brands = await call(app, 'GET', '/api/brands');
    const acme = brands.body.items.find((b: { name: string }) => b.name === 'Acme').id;
    expectStatus(await call(app, 'PATCH', `/api/brands/${acme}`, { competitors: [globex.body.id] }), 200);
    const res = await call(app, 'POST', '/api/ingest', {
      source: 'helpdesk',
      items: [
        {
          externalId: 'c-1',
          text: 'Acme is way better than Globex, the delivery was fast.',
          publishedAt: '2026-11-20T09:00:00Z',
        },
        {
          externalId: 'c-2',
          text: 'Acme lost my parcel and the delivery was late again.',
          publishedAt: '2026-11-20T10:00:00Z',
        },
      ],
    });
    expect(res.body.inserted).toBe(2);
    const range = 'from=2026-11-20&to=2026-11-21';
    const trend = await call(app, 'GET', `/api/brands/${acme}/trends?interval=day&${range}`);
    expect(trend.body.totals.volume).toBe(2);
    const compare = await call(app, 'GET', `/api/brands/${acme}/compare?interval=day&${range}`);
    expect(compare.body.headToHead).toEqual([
      { brands: [acme, globex.body.id], mentions: 1, wins: { [acme]: 1, [globex.body.id]: 0 }, ties: 0 },
    ]);
    const themes = await call(app, 'GET', `/api/brands/${acme}/themes?${range}`);
    expect(themes.body.themes.map((t: { theme: string }) => t.theme)).toContain('delivery');
  });

  it('stores valid items, reports rejected ones by index, and is idempotent', async () => {
    const batch = {
      source: 'helpdesk',
      items: [
        {
          externalId: 't-1',
          text: 'Acme support was rude and the refund is late.',
          author: 'jane@example.com',
          publishedAt: '2026-11-20T09:00:00Z',
          rating: 1,
          url: 'https://help.example.com/t/1',
          engagement: { replies: 3 },
        },
        { externalId: 't-2', text: 'Thanks Acme, great help!', language: 'EN' },
        { externalId: 't-3', text: 'Nothing about any brand.' },
        { externalId: 't-4', text: 'Acme', rating: 9 },
        { text: 'no id' },
        'not an object',
        { externalId: 't-5', text: 'Acme', surprise: true },
      ],
    };
    const res = await call(app, 'POST', '/api/ingest', batch);
    expectStatus(res, 200);
    expect(res.body).toMatchObject({
      sourceId: pushId,
      received: 7,
      matched: 2,
      inserted: 2,
      duplicates: 0,
      unmatched: 1,
    });
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([3, 4, 5, 6]);
    expect(res.body.rejected[0]).toMatchObject({ externalId: 't-4' });
    expect(res.body.rejected[0].message).toContain('rating');
    expect(res.body.rejected[3].message).toContain('surprise');

    const mentions = await call(app, 'GET', `/api/mentions?source=${pushId}`);
    const first = mentions.body.items.find((m: { externalId: string }) => m.externalId === 't-1');
    expect(first).toMatchObject({
      author: 'jane@example.com',
      rating: 1,
      url: 'https://help.example.com/t/1',
      publishedAt: '2026-11-20T09:00:00.000Z',
      sentiment: { label: 'negative' },
    });
    expect(mentions.body.items.find((m: { externalId: string }) => m.externalId === 't-2').language).toBe(
      'en',
    );

    const again = await call(app, 'POST', '/api/ingest', { ...batch, source: pushId });
    expect(again.body).toMatchObject({ inserted: 0, duplicates: 2 });

    const health = await call(app, 'GET', `/api/sources/${pushId}/health`);
    expect(health.body).toMatchObject({ status: 'push', nextPollAt: null });
    expect(health.body.lastSuccessAt).not.toBeNull();
  });

  it('assigns every item of a source to its brands, named or not', async () => {
    const reviews = await call(app, 'POST', '/api/sources', {
      name: 'in-app reviews',
      kind: 'push',
      options: {},
      brands: ['Acme'],
    });
    expectStatus(reviews, 201);
    expect(reviews.body.brandIds).toHaveLength(1);
    const res = await call(app, 'POST', '/api/ingest', {
      source: reviews.body.id,
      items: [{ externalId: 'r1', text: 'Crashes every time I open it. Useless.', rating: 1 }],
    });
    expect(res.body).toMatchObject({ matched: 1, inserted: 1 });
    expectError(
      await call(app, 'POST', '/api/sources', { name: 'x', kind: 'push', options: {}, brands: ['Nobody'] }),
      400,
      'validation_failed',
    );
  });

  it('refuses bad batches with one error shape', async () => {
    expectError(await call(app, 'POST', '/api/ingest', { source: 'nope', items: [{}] }), 404, 'not_found');
    expectError(
      await call(app, 'POST', '/api/ingest', { source: pushId, items: [] }),
      400,
      'validation_failed',
    );
    expectError(await call(app, 'POST', '/api/ingest', { items: [{}] }), 400, 'validation_failed');
    const tooMany = {
      source: pushId,
      items: Array.from({ length: 1001 }, (_, i) => ({ externalId: `${i}`, text: 'x' })),
    };
    expectError(await call(app, 'POST', '/api/ingest', tooMany), 400, 'validation_failed');
    const rss = await call(app, 'POST', '/api/sources', {
      name: 'feed',
      kind: 'rss',
      options: { url: 'https://example.com/f' },
    });
    const wrongKind = await call(app, 'POST', '/api/ingest', {
      source: rss.body.id,
      items: [{ externalId: '1', text: 'Acme' }],
    });
    expectError(wrongKind, 400, 'validation_failed');
    expect(wrongKind.body.error.message).toContain('push');
    expectError(await call(app, 'POST', `/api/sources/${pushId}/poll`), 400, 'validation_failed');
  });

  it('links the same story from two sources instead of counting it twice', async () => {
    const other = await call(app, 'POST', '/api/sources', { name: 'widget', kind: 'push', options: {} });
    const story =
      'Acme announced today that its new delivery service will reach every city in the country by next spring, the company said in a statement.';
    await call(app, 'POST', '/api/ingest', {
      source: pushId,
      items: [
        {
          externalId: 'a',
          text: story,
          url: 'https://news.example.com/acme?utm_source=x',
          publishedAt: '2026-11-20T09:00:00Z',
        },
      ],
    });
    const sameUrl = await call(app, 'POST', '/api/ingest', {
      source: other.body.id,
      items: [
        {
          externalId: 'b',
          text: 'Different words about Acme entirely.',
          url: 'https://www.news.example.com/acme/',
          publishedAt: '2026-11-20T10:00:00Z',
        },
        {
          externalId: 'c',
          text: `${story} More soon.`,
          url: 'https://other.example.org/x',
          publishedAt: '2026-11-20T11:00:00Z',
        },
        {
          externalId: 'd',
          text: 'Acme is a completely different story with its own words and nothing in common with the other one at all.',
          publishedAt: '2026-11-20T11:00:00Z',
        },
      ],
    });
    expect(sameUrl.body).toMatchObject({ inserted: 3, syndicated: 2 });
    const rows = await handle.db
      .selectFrom('mentions')
      .select(['external_id', 'duplicate_of', 'id'])
      .orderBy('id')
      .execute();
    const original = rows.find((r) => r.external_id === 'a')!.id;
    expect(rows.map((r) => [r.external_id, r.duplicate_of])).toEqual([
      ['a', null],
      ['b', original],
      ['c', original],
      ['d', null],
    ]);
    const [brand] = (await call(app, 'GET', '/api/brands')).body.items;
    const trend = await call(
      app,
      'GET',
      `/api/brands/${brand.id}/trends?interval=day&from=2026-11-20&to=2026-11-21`,
    );
    expect(trend.body.totals.volume, 'syndicated copies are counted once').toBe(2);
  });
});
