import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { createBrand } from '../../src/catalog/brands.ts';
import { createSource } from '../../src/catalog/sources.ts';
import type { SentimentLabel } from '../../src/types.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { seedMentions } from '../helpers/mentions.ts';

type Seed = {
  at: string;
  label: SentimentLabel;
  score: number;
  brands: number[];
  text?: string;
  themes?: string[];
  touchpoints?: string[];
  intents?: string[];
};

describe('mentions, trends and themes', () => {
  let handle: DbHandle;
  let app: App;
  let acme: number;
  let globex: number;
  let sourceId: number;

  function seed(rows: Seed[]) {
    return seedMentions(
      handle.db,
      rows.map((r, i) => ({ ...r, sourceId, externalId: `m${i}`, text: r.text ?? `mention ${i}` })),
    );
  }

  beforeAll(async () => {
    handle = await createTestDb();
    app = createApp(createTestDeps(handle.db));
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    const deps = createTestDeps(handle.db);
    acme = (await createBrand({ deps, input: { name: 'Acme' } })).id;
    globex = (await createBrand({ deps, input: { name: 'Globex', kind: 'competitor' } })).id;
    sourceId = (
      await createSource({
        deps,
        input: { name: 's', kind: 'rss', options: { url: 'https://example.com/f' } },
      })
    ).id;
  });

  it('pages mentions newest first with a keyset cursor, without gaps or repeats', async () => {
    // Several mentions share a timestamp: the id breaks the tie.
    await seed(
      Array.from({ length: 7 }, (_, i) => ({
        at: `2026-11-1${i % 3}T10:00:00Z`,
        label: 'neutral' as const,
        score: 0,
        brands: [acme],
      })),
    );
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call(app, 'GET', `/api/mentions?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expectStatus(res, 200);
      seen.push(...res.body.items.map((m: { id: number }) => m.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    const all = await call(app, 'GET', '/api/mentions?limit=200');
    expect(all.body.items.map((m: { id: number }) => m.id)).toEqual(seen);
    const times = all.body.items.map((m: { occurredAt: string }) => m.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('filters by brand, source, label, time range and text', async () => {
    await seed([
      {
        at: '2026-11-10T10:00:00Z',
        label: 'negative',
        score: -0.6,
        brands: [acme],
        text: 'Acme delivery was late',
        touchpoints: ['delivery'],
      },
      {
        at: '2026-11-11T10:00:00Z',
        label: 'positive',
        score: 0.5,
        brands: [acme, globex],
        text: 'Acme beats Globex',
      },
      {
        at: '2026-11-12T10:00:00Z',
        label: 'negative',
        score: -0.4,
        brands: [globex],
        text: '100% wrong_name',
        intents: ['churn'],
      },
    ]);
    const ids = async (query: string) => {
      const res = await call(app, 'GET', `/api/mentions?${query}`);
      expectStatus(res, 200);
      return res.body.items.map((m: { text: string }) => m.text);
    };
    expect(await ids(`brand=${acme}`)).toEqual(['Acme beats Globex', 'Acme delivery was late']);
    expect(await ids(`brand=${globex}&label=negative`)).toEqual(['100% wrong_name']);
    expect(await ids(`source=${sourceId}&from=2026-11-11&to=2026-11-12`)).toEqual(['Acme beats Globex']);
    expect(await ids('q=DELIVERY')).toEqual(['Acme delivery was late']);
    expect(await ids('touchpoint=delivery')).toEqual(['Acme delivery was late']);
    expect(await ids('intent=churn')).toEqual(['100% wrong_name']);
    // LIKE wildcards in the search text are literal.
    expect(await ids('q=%25')).toEqual(['100% wrong_name']);
    expect(await ids('q=_')).toEqual(['100% wrong_name']);
    expect(await ids(`q=${encodeURIComponent("' or 1=1 --")}`)).toEqual([]);

    expectError(await call(app, 'GET', '/api/mentions?label=angry'), 400, 'validation_failed');
    expectError(await call(app, 'GET', '/api/mentions?from=yesterday'), 400, 'validation_failed');
    expectError(await call(app, 'GET', '/api/mentions?limit=100000'), 400, 'validation_failed');
    expectError(await call(app, 'GET', '/api/mentions?cursor=bm9wZQ'), 400, 'invalid_cursor');
    expectError(await call(app, 'GET', '/api/mentions?cursor=***'), 400, 'invalid_cursor');
    expectError(await call(app, 'GET', '/api/mentions?unknown=1'), 400, 'validation_failed');
  });

  it('buckets a trend by day in the requested time zone, with empty days as zeros', async () => {
    await seed([
      // 23:30 UTC on the 10th is the 11th in Paris (UTC+1 in November).
      { at: '2026-11-10T23:30:00Z', label: 'negative', score: -0.5, brands: [acme] },
      { at: '2026-11-11T08:00:00Z', label: 'positive', score: 0.5, brands: [acme] },
      { at: '2026-11-11T09:00:00Z', label: 'positive', score: 0.7, brands: [acme] },
      { at: '2026-11-13T12:00:00Z', label: 'neutral', score: 0, brands: [acme] },
      { at: '2026-11-11T10:00:00Z', label: 'negative', score: -1, brands: [globex] },
    ]);
    const res = await call(
      app,
      'GET',
      `/api/brands/${acme}/trends?interval=day&from=2026-11-10&to=2026-11-14&tz=Europe/Paris`,
    );
    expectStatus(res, 200);
    const buckets = res.body.buckets;
    expect(buckets.map((b: { start: string }) => b.start)).toEqual([
      '2026-11-09T23:00:00.000Z',
      '2026-11-10T23:00:00.000Z',
      '2026-11-11T23:00:00.000Z',
      '2026-11-12T23:00:00.000Z',
    ]);
    expect(buckets.map((b: { volume: number }) => b.volume)).toEqual([0, 3, 0, 1]);
    expect(buckets[1]).toMatchObject({
      positive: 2,
      negative: 1,
      neutral: 0,
      meanSentiment: 0.2333,
      netSentiment: 0.3333,
    });
    expect(buckets[0]).toMatchObject({ meanSentiment: null, netSentiment: null });
    expect(res.body.totals).toMatchObject({
      volume: 4,
      positive: 2,
      negative: 1,
      neutral: 1,
      netSentiment: 0.25,
    });

    const utc = await call(
      app,
      'GET',
      `/api/brands/${acme}/trends?interval=day&from=2026-11-10&to=2026-11-14`,
    );
    expect(utc.body.buckets.map((b: { volume: number }) => b.volume)).toEqual([1, 2, 0, 1]);
  });

  it('defaults to hourly buckets for short ranges and refuses bad trend queries', async () => {
    const res = await call(
      app,
      'GET',
      `/api/brands/${acme}/trends?from=2026-11-10T00:00:00Z&to=2026-11-11T00:00:00Z`,
    );
    expectStatus(res, 200);
    expect(res.body.interval).toBe('hour');
    expect(res.body.buckets).toHaveLength(24);

    const weekly = await call(
      app,
      'GET',
      `/api/brands/${acme}/trends?interval=week&from=2026-10-01&to=2026-11-01`,
    );
    expectStatus(weekly, 200);
    // ISO weeks start on Monday.
    expect(new Date(weekly.body.buckets[0].start).getUTCDay()).toBe(1);

    expectError(
      await call(app, 'GET', `/api/brands/${acme}/trends?tz=Nowhere/Special`),
      400,
      'validation_failed',
    );
    expectError(
      await call(app, 'GET', `/api/brands/${acme}/trends?interval=fortnight`),
      400,
      'validation_failed',
    );
    expectError(
      await call(app, 'GET', `/api/brands/${acme}/trends?from=2026-11-12&to=2026-11-10`),
      400,
      'validation_failed',
    );
    expectError(
      await call(app, 'GET', `/api/brands/${acme}/trends?interval=hour&from=2000-01-01&to=2026-01-01`),
      400,
      'validation_failed',
    );
    expectError(await call(app, 'GET', '/api/brands/999/trends'), 404, 'not_found');
  });

  it('lists top themes with counts and sentiment', async () => {
    await seed([
      {
        at: '2026-11-10T10:00:00Z',
        label: 'negative',
        score: -0.6,
        brands: [acme],
        themes: ['delivery', 'support'],
      },
      { at: '2026-11-10T11:00:00Z', label: 'negative', score: -0.2, brands: [acme], themes: ['delivery'] },
      { at: '2026-11-10T12:00:00Z', label: 'positive', score: 0.8, brands: [acme], themes: ['camera'] },
      { at: '2026-11-10T12:00:00Z', label: 'positive', score: 0.8, brands: [globex], themes: ['price'] },
    ]);
    const res = await call(app, 'GET', `/api/brands/${acme}/themes?from=2026-11-01&to=2026-11-30`);
    expectStatus(res, 200);
    const stat = (theme: string, count: number, pos: number, neg: number, mean: number, net: number) => ({
      theme,
      count,
      share: Math.round((count / 3) * 10000) / 10000,
      aspectPositive: pos,
      aspectNegative: neg,
      aspectSentiment: mean,
      netSentiment: net,
      previousCount: 0,
      change: null,
    });
    expect(res.body.themes).toEqual([
      stat('delivery', 2, 0, 2, -0.4, -1),
      stat('camera', 1, 1, 0, 0.8, 1),
      stat('support', 1, 0, 1, -0.6, -1),
    ]);
    const limited = await call(
      app,
      'GET',
      `/api/brands/${acme}/themes?from=2026-11-01&to=2026-11-30&limit=1`,
    );
    expect(limited.body.themes).toHaveLength(1);
    expectError(await call(app, 'GET', `/api/brands/${acme}/themes?limit=0`), 400, 'validation_failed');
  });

  it('shows one mention with why it got its label, and takes a correction that trends follow', async () => {
    await seed([
      {
        at: '2026-11-10T10:00:00Z',
        label: 'positive',
        score: 0.4,
        brands: [acme],
        text: 'Great, another outage.',
      },
    ]);
    const [row] = await handle.db.selectFrom('mentions').select('id').execute();
    const id = row!.id;
    await handle.db
      .updateTable('mentions')
      .set({
        sentences: JSON.stringify([
          {
            text: 'Great, another outage.',
            score: 0.4,
            reasons: [{ kind: 'word', text: 'great', effect: 1.2 }],
          },
        ]),
        sentiment_reasons: JSON.stringify([{ kind: 'word', text: 'great', effect: 1.2 }]),
      })
      .execute();
    const one = await call(app, 'GET', `/api/mentions/${id}`);
    expectStatus(one, 200);
    expect(one.body.sentiment).toMatchObject({
      label: 'positive',
      reasons: [{ kind: 'word', text: 'great' }],
    });
    expect(one.body.sentiment.sentences[0].reasons[0].text).toBe('great');
    expect(one.body.labelCorrected).toBe(false);

    const corrected = await call(app, 'PATCH', `/api/mentions/${id}`, { label: 'negative', note: 'sarcasm' });
    expectStatus(corrected, 200);
    expect(corrected.body).toMatchObject({
      labelCorrected: true,
      sentiment: { label: 'negative', score: 0.4 },
    });
    // A second correction keeps what the model first said.
    expectStatus(await call(app, 'PATCH', `/api/mentions/${id}`, { label: 'mixed' }), 200);

    const trend = await call(
      app,
      'GET',
      `/api/brands/${acme}/trends?interval=day&from=2026-11-10&to=2026-11-11`,
    );
    expect(trend.body.totals).toMatchObject({ positive: 0, mixed: 1 });

    const latest = await call(app, 'GET', '/api/feedback');
    expectStatus(latest, 200);
    expect(latest.body.items).toEqual([
      expect.objectContaining({
        mentionId: id,
        text: 'Great, another outage.',
        modelLabel: 'positive',
        label: 'mixed',
      }),
    ]);
    const all = await call(app, 'GET', '/api/feedback?all=true');
    expect(all.body.items.map((f: { label: string; note: string | null }) => [f.label, f.note])).toEqual([
      ['negative', 'sarcasm'],
      ['mixed', null],
    ]);

    expectError(
      await call(app, 'PATCH', `/api/mentions/${id}`, { label: 'angry' }),
      400,
      'validation_failed',
    );
    expectError(
      await call(app, 'PATCH', `/api/mentions/${id}`, { label: 'negative', extra: 1 }),
      400,
      'validation_failed',
    );
    expectError(await call(app, 'PATCH', '/api/mentions/999999', { label: 'negative' }), 404, 'not_found');
    expectError(await call(app, 'GET', '/api/mentions/999999'), 404, 'not_found');
    expectError(await call(app, 'GET', '/api/feedback?limit=0'), 400, 'validation_failed');
  });

  it('reports health', async () => {
    const res = await call(app, 'GET', '/health');
    expectStatus(res, 200);
    expect(res.body.status).toBe('ok');
  });
});
