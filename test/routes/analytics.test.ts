import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { createSource, deleteSource } from '../../src/catalog/sources.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { BEARER } from '../helpers/auth.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { type SeedMention, seedMentions } from '../helpers/mentions.ts';

describe('analytics: compare, breakdown, themes and CSV', () => {
  let handle: DbHandle;
  let app: App;
  let acme: number;
  let globex: number;
  let initech: number;
  let rss: number;
  let appstore: number;

  const seed = (rows: Array<Omit<SeedMention, 'sourceId'> & { sourceId?: number }>) =>
    seedMentions(
      handle.db,
      rows.map((r) => ({ sourceId: rss, ...r })),
    );

  beforeAll(async () => {
    handle = await createTestDb();
    app = createApp(createTestDeps(handle.db));
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    const deps = createTestDeps(handle.db);
    globex = (await call(app, 'POST', '/api/brands', { name: 'Globex', kind: 'competitor' })).body.id;
    initech = (await call(app, 'POST', '/api/brands', { name: 'Initech', kind: 'competitor' })).body.id;
    const created = await call(app, 'POST', '/api/brands', {
      name: 'Acme',
      competitors: ['Globex', initech],
    });
    expectStatus(created, 201);
    acme = created.body.id;
    expect(created.body.competitors).toEqual([globex, initech]);
    rss = (
      await createSource({
        deps,
        input: { name: 'news', kind: 'rss', options: { url: 'https://example.com/f' } },
      })
    ).id;
    appstore = (
      await createSource({
        deps,
        input: { name: 'reviews', kind: 'appstore', options: { appId: '123', country: 'us' } },
      })
    ).id;
  });

  it('validates competitor panels', async () => {
    expectError(
      await call(app, 'PATCH', `/api/brands/${acme}`, { competitors: [acme] }),
      400,
      'validation_failed',
    );
    expectError(
      await call(app, 'PATCH', `/api/brands/${acme}`, { competitors: ['Nobody'] }),
      400,
      'validation_failed',
    );
    const cleared = await call(app, 'PATCH', `/api/brands/${acme}`, { competitors: [] });
    expectStatus(cleared, 200);
    expect(cleared.body.competitors).toEqual([]);
    const compare = await call(app, 'GET', `/api/brands/${acme}/compare?from=2026-11-01&to=2026-11-03`);
    expect(compare.body.panel.map((b: { id: number }) => b.id)).toEqual([acme]);
  });

  it('compares a brand with its panel: share of voice per bucket, sentiment and head to head', async () => {
    await seed([
      { at: '2026-11-01T10:00:00Z', label: 'positive', score: 0.6, brands: [acme] },
      { at: '2026-11-01T11:00:00Z', label: 'negative', score: -0.5, brands: [acme] },
      { at: '2026-11-01T12:00:00Z', label: 'negative', score: -0.7, brands: [globex] },
      {
        at: '2026-11-02T09:00:00Z',
        label: 'mixed',
        score: 0.1,
        brands: [
          { id: acme, stance: 0.6 },
          { id: globex, stance: -0.6 },
        ],
      },
      {
        at: '2026-11-02T10:00:00Z',
        label: 'neutral',
        score: 0,
        brands: [
          { id: acme, stance: 0.1 },
          { id: globex, stance: 0.15 },
        ],
      },
      // Before the range: the previous period.
      { at: '2026-10-31T10:00:00Z', label: 'positive', score: 0.4, brands: [acme] },
    ]);
    const res = await call(
      app,
      'GET',
      `/api/brands/${acme}/compare?interval=day&from=2026-11-01&to=2026-11-03`,
    );
    expectStatus(res, 200);
    const body = res.body;
    expect(body.buckets).toHaveLength(2);
    const [day1, day2] = body.buckets;
    expect(day1.volume).toBe(3);
    expect(
      day1.brands.map((b: { brandId: number; volume: number; shareOfVoice: number | null }) => [
        b.brandId,
        b.volume,
        b.shareOfVoice,
      ]),
    ).toEqual([
      [acme, 2, 0.6667],
      [globex, 1, 0.3333],
      [initech, 0, 0],
    ]);
    expect(day2.brands[0].mixed).toBe(1);
    const acmeTotals = body.totals.find((t: { brandId: number }) => t.brandId === acme);
    expect(acmeTotals).toMatchObject({
      volume: 4,
      shareOfVoice: 0.5714, // mentions naming both count for both: 4 of the panel's 7
      positive: 1,
      negative: 1,
      netSentiment: 0,
    });
    expect(acmeTotals.previous).toMatchObject({ volume: 1, shareOfVoice: 1 });
    expect(acmeTotals.change).toMatchObject({ volume: 3, shareOfVoice: -0.4286 });
    expect(body.previous).toEqual({ from: '2026-10-30T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' });
    expect(body.headToHead).toEqual([
      { brands: [acme, globex], mentions: 2, wins: { [acme]: 1, [globex]: 0 }, ties: 1 },
    ]);

    const list = await call(app, 'GET', `/api/brands/${acme}/compare/mentions?from=2026-11-01&to=2026-11-03`);
    expectStatus(list, 200);
    expect(list.body.items.map((m: { winner: number | null }) => m.winner)).toEqual([null, acme]);
    expectError(
      await call(app, 'GET', `/api/brands/${acme}/compare/mentions?with=${acme}`),
      400,
      'validation_failed',
    );
  });

  it('breaks sentiment down by source kind with star ratings, and filters trends', async () => {
    await seed([
      {
        at: '2026-11-01T10:00:00Z',
        label: 'positive',
        score: 0.6,
        brands: [acme],
        sourceId: appstore,
        rating: 5,
      },
      {
        at: '2026-11-01T11:00:00Z',
        label: 'negative',
        score: -0.6,
        brands: [acme],
        sourceId: appstore,
        rating: 2,
      },
      {
        at: '2026-11-01T12:00:00Z',
        label: 'negative',
        score: -0.4,
        brands: [acme],
        touchpoints: ['delivery'],
      },
    ]);
    const res = await call(
      app,
      'GET',
      `/api/brands/${acme}/breakdown?by=source&from=2026-11-01&to=2026-11-02`,
    );
    expectStatus(res, 200);
    expect(
      res.body.rows.map(
        (r: { key: string; volume: number; meanRating: number | null; csat: number | null }) => [
          r.key,
          r.volume,
          r.meanRating,
          r.csat,
        ],
      ),
    ).toEqual([
      ['appstore', 2, 3.5, 0.5],
      ['rss', 1, null, null],
    ]);
    const filtered = await call(
      app,
      'GET',
      `/api/brands/${acme}/trends?interval=day&from=2026-11-01&to=2026-11-02&source=appstore`,
    );
    expect(filtered.body.totals).toMatchObject({ volume: 2, rated: 2, meanRating: 3.5, csat: 0.5 });
    // Two filters at once read the raw mentions.
    const both = await call(
      app,
      'GET',
      `/api/brands/${acme}/trends?interval=day&from=2026-11-01&to=2026-11-02&source=rss&touchpoint=delivery`,
    );
    expect(both.body.totals).toMatchObject({ volume: 1, negative: 1 });
    expectError(await call(app, 'GET', `/api/brands/${acme}/breakdown?by=colour`), 400, 'validation_failed');
  });

  it('finds emerging negative themes and lines themes up across the panel', async () => {
    const rows: Array<Omit<SeedMention, 'sourceId'>> = [];
    // "login" is new and negative this week; "price" steady; "camera" rising but positive.
    for (let i = 0; i < 6; i++) {
      rows.push({
        at: `2026-11-0${2 + (i % 5)}T10:0${i}:00Z`,
        label: 'negative',
        score: -0.7,
        brands: [acme],
        themes: ['login'],
      });
    }
    for (let i = 0; i < 3; i++) {
      rows.push({
        at: `2026-10-2${6 + i}T10:00:00Z`,
        label: 'neutral',
        score: 0,
        brands: [acme],
        themes: ['price'],
      });
      rows.push({
        at: `2026-11-0${2 + i}T11:00:00Z`,
        label: 'neutral',
        score: 0,
        brands: [acme],
        themes: ['price'],
      });
    }
    rows.push({
      at: '2026-10-27T10:00:00Z',
      label: 'positive',
      score: 0.6,
      brands: [acme],
      themes: ['camera'],
    });
    for (let i = 0; i < 6; i++) {
      rows.push({
        at: `2026-11-0${2 + (i % 5)}T12:0${i}:00Z`,
        label: 'positive',
        score: 0.6,
        brands: [acme],
        themes: ['camera'],
      });
    }
    rows.push({
      at: '2026-11-03T10:00:00Z',
      label: 'negative',
      score: -0.5,
      brands: [globex],
      themes: ['price'],
    });
    await seed(rows);
    const res = await call(app, 'GET', `/api/brands/${acme}/themes/emerging?from=2026-11-01&to=2026-11-08`);
    expectStatus(res, 200);
    expect(res.body.themes.map((t: { theme: string }) => t.theme)).toEqual(['login', 'camera']);
    expect(res.body.themes[0]).toMatchObject({
      count: 6,
      previousCount: 0,
      isNew: true,
      negative: 6,
      negativeShare: 1,
    });
    expect(res.body.themes[1]).toMatchObject({ count: 6, previousCount: 1, isNew: false, growth: 5 });

    const panel = await call(app, 'GET', `/api/brands/${acme}/compare/themes?from=2026-11-01&to=2026-11-08`);
    expectStatus(panel, 200);
    const price = panel.body.themes.find((t: { theme: string }) => t.theme === 'price');
    expect(
      price.brands.map((b: { brandId: number; count: number; negativeShare: number | null }) => [
        b.brandId,
        b.count,
        b.negativeShare,
      ]),
    ).toEqual([
      [acme, 3, 0],
      [globex, 1, 1],
      [initech, 0, null],
    ]);
    // A theme's own series: the trend filtered by the theme, with its aspect sentiment.
    const series = await call(
      app,
      'GET',
      `/api/brands/${acme}/trends?theme=login&interval=week&from=2026-11-02&to=2026-11-09`,
    );
    expect(series.body.buckets).toHaveLength(1);
    expect(series.body.totals).toMatchObject({ volume: 6, aspectNegative: 6, aspectSentiment: -0.7 });
  });

  it('keeps trends right when a source is deleted and its stories live on in another', async () => {
    const [original] = await seed([
      { at: '2026-11-01T10:00:00Z', label: 'negative', score: -0.5, brands: [acme] },
    ]);
    await seedMentions(handle.db, [
      { at: '2026-11-01T10:30:00Z', label: 'negative', score: -0.5, brands: [acme], sourceId: appstore },
    ]);
    await handle.db
      .updateTable('mentions')
      .set({ duplicate_of: original })
      .where('source_id', '=', appstore)
      .execute();
    // The copy was linked after its rollups were written: rebuild, as an operator would.
    const { rebuildRollups } = await import('../../db/queries/rollups.ts');
    await rebuildRollups(handle.db);
    const trend = () =>
      call(app, 'GET', `/api/brands/${acme}/trends?interval=day&from=2026-11-01&to=2026-11-02`);
    expect((await trend()).body.totals.volume).toBe(1);
    await deleteSource({ deps: createTestDeps(handle.db), input: { id: rss } });
    // The copy now stands alone and counts.
    expect((await trend()).body.totals.volume).toBe(1);
    const sources = await call(
      app,
      'GET',
      `/api/brands/${acme}/breakdown?by=source&from=2026-11-01&to=2026-11-02`,
    );
    expect(sources.body.rows.map((r: { key: string }) => r.key)).toEqual(['appstore']);
  });

  it('exports lists and series as CSV with a header, quoting hostile text', async () => {
    const hostile = '=HYPERLINK("http://evil.example","click"), then\n"quoted" ünïcödé 🚀';
    await seed([
      {
        at: '2026-11-01T10:00:00Z',
        label: 'negative',
        score: -0.5,
        brands: [acme],
        text: hostile,
        themes: ['-cmd'],
      },
    ]);
    const trend = await app.request(
      `/api/brands/${acme}/trends?interval=day&from=2026-11-01&to=2026-11-03&format=csv`,
      { headers: BEARER },
    );
    expect(trend.status).toBe(200);
    expect(trend.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const trendRows = parse(await trend.text(), { columns: true }) as Array<Record<string, string>>;
    expect(trendRows).toHaveLength(2);
    expect(trendRows[0]).toMatchObject({
      start: '2026-11-01T00:00:00.000Z',
      volume: '1',
      negative: '1',
      mean_sentiment: '-0.5',
    });
    expect(trendRows[1]).toMatchObject({ volume: '0', mean_sentiment: '' });

    const mentions = await app.request(`/api/mentions?brand=${acme}`, {
      headers: { ...BEARER, accept: 'text/csv' },
    });
    expect(mentions.status).toBe(200);
    const [row] = parse(await mentions.text(), { columns: true }) as Array<Record<string, string>>;
    expect(row?.text).toBe(`'${hostile}`);
    expect(row?.brands).toBe('Acme');
    expect(row?.themes).toBe("'-cmd");

    const empty = await app.request(`/api/brands/${acme}/themes?from=2020-01-01&to=2020-01-02&format=csv`, {
      headers: BEARER,
    });
    expect((await empty.text()).trim()).toBe(
      'theme,count,share,aspect_positive,aspect_negative,aspect_sentiment,net_sentiment,previous_count,change',
    );
    expectError(await call(app, 'GET', `/api/brands/${acme}/themes?format=xml`), 400, 'validation_failed');
    expectError(await call(app, 'GET', '/api/mentions?limit=500'), 400, 'validation_failed');
  });
});
