/**
 * The retention job: old mentions deleted in batches with what hangs off them, the analytics rollups
 * untouched (and kept by a rebuild), alert history kept, syndicated stories and open alerts waiting,
 * and ingest refusing items from before the horizon. The clock is passed in.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { insertBrand } from '../../db/queries/brands.ts';
import { rebuildRollups } from '../../db/queries/rollups.ts';
import { insertSource } from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import { JOBS } from '../../jobs/index.ts';
import { deleteExpiredMentions } from '../../jobs/retention.ts';
import { getSentimentTrend } from '../../src/analytics/trends.ts';
import type { Deps } from '../../src/deps.ts';
import { ingestItems } from '../../src/ingest/ingest-items.ts';
import { createTestDb, resetDb, TEST_DATABASE_URL } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { type SeedMention, seedMentions } from '../helpers/mentions.ts';

/** A Wednesday: 400 days earlier is Tuesday 2025-10-21, so the cutoff is Monday 2025-10-20 00:00 UTC. */
const NOW = new Date('2026-11-25T12:00:00Z');
const CUTOFF = new Date('2025-10-20T00:00:00Z');
const HOUR = 3_600_000;
const noSleep = async () => {};

describe('retention', () => {
  let handle: DbHandle;
  let deps: Deps;
  let acme: number;
  let globex: number;
  let source: SourceRow;

  /** Scores and ratings exact in binary, so sums come out the same in any order. */
  const row = (at: Date, i: number, extra: Partial<SeedMention> = {}): SeedMention => ({
    at,
    label: (['positive', 'negative', 'neutral', 'mixed'] as const)[i % 4] ?? null,
    score: [0.5, -0.5, 0, 0.25][i % 4] ?? 0,
    brands: i % 5 === 0 ? [acme, { id: globex, stance: -0.25 }] : [acme],
    sourceId: source.id,
    themes: i % 3 === 0 ? ['delivery'] : [],
    touchpoints: i % 2 === 0 ? ['shipping'] : [],
    rating: i % 7 === 0 ? 2 : null,
    ...extra,
  });
  /** `n` mentions an hour and a half apart from `start`. */
  const series = (start: string, n: number) =>
    Array.from({ length: n }, (_, i) => row(new Date(Date.parse(start) + i * 1.5 * HOUR), i));
  /** Seeds 500 at a time: PGlite refuses a statement with more than 32,767 parameters. */
  const seed = async (rows: SeedMention[]) => {
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += 500)
      ids.push(...(await seedMentions(handle.db, rows.slice(i, i + 500))));
    return ids;
  };
  const count = async (table: 'mentions' | 'mention_brands' | 'mention_themes' | 'sentiment_feedback') =>
    Number(
      (
        await handle.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const rollups = async () => {
    const order = sql`order by brand_id, dim, key, at`;
    return {
      hourly: (await sql`select * from rollup_hourly ${order}`.execute(handle.db)).rows,
      daily: (await sql`select * from rollup_daily ${order}`.execute(handle.db)).rows,
      weekly: (await sql`select * from rollup_weekly ${order}`.execute(handle.db)).rows,
    };
  };
  const trend = (input: { from: string; to: string; interval: 'day' | 'week' | 'month'; theme?: string }) =>
    getSentimentTrend({ deps, input: { brandId: acme, ...input } });
  const retain = (days = 400, batchSize = 1000) =>
    deleteExpiredMentions({ deps, input: { days, batchSize, pauseMs: 0 }, options: { sleep: noSleep } });

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db, { now: () => NOW });
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    await sql`update rollup_state set closed_before = null`.execute(handle.db);
    acme = (
      await insertBrand(handle.db, { name: 'Acme', kind: 'own', include_terms: ['Acme'], exclude_terms: [] })
    ).id;
    globex = (
      await insertBrand(handle.db, {
        name: 'Globex',
        kind: 'competitor',
        include_terms: ['Globex'],
        exclude_terms: [],
      })
    ).id;
    source = await insertSource(handle.db, {
      name: 'news',
      kind: 'rss',
      options: {},
      pollIntervalSeconds: 300,
    });
  });

  it('deletes old mentions in batches, with their matches, themes and corrections, and keeps the new', async () => {
    await seed(series('2025-01-01T00:00:00Z', 2500));
    const recent = await seedMentions(handle.db, series('2026-11-01T00:00:00Z', 12));
    const [oldest] = await handle.db
      .selectFrom('mentions')
      .select('id')
      .orderBy('occurred_at')
      .limit(1)
      .execute();
    await handle.db
      .insertInto('sentiment_feedback')
      .values({ mention_id: oldest!.id, model_label: 'negative', model_score: -0.5, label: 'positive' })
      .execute();
    const pauses: number[] = [];
    const report = await deleteExpiredMentions({
      deps,
      input: { days: 400, batchSize: 1000, pauseMs: 7 },
      options: { sleep: async (ms) => void pauses.push(ms) },
    });
    expect(report).toEqual({ cutoff: CUTOFF, deleted: 2500, batches: 3, runningElsewhere: false });
    expect(pauses).toEqual([7, 7]); // between batches, not after the last
    const left = await handle.db.selectFrom('mentions').select('id').orderBy('id').execute();
    expect(left.map((m) => m.id)).toEqual(recent);
    expect(await count('mention_brands')).toBe(12 + 3); // every fifth names Globex too
    expect(await count('mention_themes')).toBe(4);
    expect(await count('sentiment_feedback')).toBe(0);
    // Nothing left to do: a second run deletes nothing.
    expect(await retain()).toEqual({ cutoff: CUTOFF, deleted: 0, batches: 0, runningElsewhere: false });
  });

  it('runs as the retention job of the registry, with the retention of the settings', async () => {
    await seedMentions(handle.db, [
      ...series('2025-03-01T00:00:00Z', 5),
      ...series('2026-11-20T00:00:00Z', 2),
    ]);
    const job = JOBS.find((j) => j.name === 'retention');
    expect(job?.schedule).toBe('0 17 3 * * *');
    expect(await job?.run(deps, { pollConcurrency: 1, retentionDays: 0 })).toEqual({
      deleted: 0,
      batches: 0,
      runningElsewhere: 0,
    });
    expect(await count('mentions')).toBe(7);
    expect(await job?.run(deps, { pollConcurrency: 1, retentionDays: 400 })).toEqual({
      deleted: 5,
      batches: 1,
      runningElsewhere: 0,
    });
    expect(await count('mentions')).toBe(2);
  });

  it('keeps everything with a retention of 0', async () => {
    await seedMentions(handle.db, series('2020-01-01T00:00:00Z', 20));
    expect(await retain(0)).toEqual({ cutoff: null, deleted: 0, batches: 0, runningElsewhere: false });
    expect(await count('mentions')).toBe(20);
    const state = await handle.db
      .selectFrom('rollup_state')
      .select('closed_before')
      .executeTakeFirstOrThrow();
    expect(state.closed_before).toBeNull();
  });

  it('rounds the cutoff down to a UTC week: a mention is kept 400 to 406 days', async () => {
    const ids = await seedMentions(handle.db, [
      row(new Date(CUTOFF.getTime() - 1000), 1), // 402 days old, before the cutoff
      row(CUTOFF, 2), // 401.5 days old, but in the cutoff's week
      row(new Date('2025-10-21T13:00:00Z'), 3),
    ]);
    expect(await retain()).toMatchObject({ deleted: 1 });
    const left = await handle.db.selectFrom('mentions').select('id').orderBy('id').execute();
    expect(left.map((m) => m.id)).toEqual(ids.slice(1));
  });

  it('leaves the rollups alone: analytics of the old periods answer the same, even after a rebuild', async () => {
    await seed(series('2025-01-06T00:00:00Z', 2500));
    await seedMentions(handle.db, series('2026-10-05T00:00:00Z', 300));
    const before = await rollups();
    const old = { from: '2025-01-01', to: '2025-07-01', interval: 'month' as const };
    const weekly = { from: '2025-01-06', to: '2025-06-02', interval: 'week' as const };
    const themed = { from: '2025-01-01', to: '2025-07-01', interval: 'month' as const, theme: 'delivery' };
    const recent = { from: '2026-10-01', to: '2026-11-01', interval: 'day' as const };
    const trends = async () => ({
      old: await trend(old),
      weekly: await trend(weekly),
      themed: await trend(themed),
      recent: await trend(recent),
    });
    const expected = await trends();
    expect(expected.old.totals.volume).toBe(2500);
    expect(expected.themed.totals.volume).toBe(834);
    expect(expected.recent.totals.volume).toBe(300);

    expect(await retain()).toMatchObject({ deleted: 2500 });
    expect(await count('mentions')).toBe(300);
    expect(await rollups()).toEqual(before);
    expect(await trends()).toEqual(expected);

    // A rebuild (a new rollup definition, or `earshot rebuild-rollups`) sums the mentions there are
    // again, and keeps the rows before the retention horizon as they are.
    await rebuildRollups(handle.db);
    expect(await rollups()).toEqual(before);
    expect(await trends()).toEqual(expected);
  });

  it('keeps alert history: events lose their mention; mentions of unresolved alerts wait', async () => {
    const [resolvedOne, openOne, other] = await seedMentions(handle.db, series('2025-02-01T00:00:00Z', 3));
    const rule = await handle.db
      .insertInto('alert_rules')
      .values({
        name: 'negative',
        brand_id: acme,
        kind: 'negative_mention',
        conditions: '{}',
        updated_at: NOW,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const incident = (status: 'resolved' | 'acknowledged', key: string) =>
      handle.db
        .insertInto('incidents')
        .values({
          rule_id: rule.id,
          brand_id: acme,
          kind: 'negative_mention',
          group_key: key,
          status,
          severity: 'warning',
          title: `Acme: ${key}`,
          opened_at: new Date('2025-02-01T01:00:00Z'),
          last_event_at: new Date('2025-02-01T01:00:00Z'),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
    const resolved = await incident('resolved', 'a');
    const live = await incident('acknowledged', 'b');
    for (const [incidentId, mentionId] of [
      [resolved.id, resolvedOne],
      [live.id, openOne],
    ] as const) {
      await handle.db
        .insertInto('alert_events')
        .values({
          incident_id: incidentId,
          rule_id: rule.id,
          dedupe_key: `mention:${mentionId}`,
          mention_id: mentionId ?? null,
          severity: 'warning',
          summary: `negative mention ${mentionId}`,
          details: JSON.stringify({ example: 'kept' }),
        })
        .execute();
    }
    const events = () =>
      handle.db
        .selectFrom('alert_events')
        .select(['incident_id', 'mention_id', 'summary'])
        .orderBy('id')
        .execute();

    expect(await retain()).toMatchObject({ deleted: 2 });
    const left = await handle.db.selectFrom('mentions').select('id').execute();
    expect(left.map((m) => m.id)).toEqual([openOne]);
    expect(await events()).toEqual([
      { incident_id: resolved.id, mention_id: null, summary: `negative mention ${resolvedOne}` },
      { incident_id: live.id, mention_id: openOne, summary: `negative mention ${openOne}` },
    ]);
    expect(other).toBeDefined();

    await handle.db.updateTable('incidents').set({ status: 'resolved' }).where('id', '=', live.id).execute();
    expect(await retain()).toMatchObject({ deleted: 1 });
    expect(await count('mentions')).toBe(0);
    expect((await events()).map((e) => e.mention_id)).toEqual([null, null]);
    expect(await handle.db.selectFrom('incidents').select('id').execute()).toHaveLength(2);
  });

  it('keeps the first copy of a story while a later copy is kept', async () => {
    const [original, copy, oldOriginal, oldCopy] = await seedMentions(handle.db, [
      row(new Date('2025-10-17T09:00:00Z'), 1),
      row(new Date('2025-10-21T09:00:00Z'), 1, { copyOf: 0 }),
      row(new Date('2025-03-01T09:00:00Z'), 2),
      row(new Date('2025-03-02T09:00:00Z'), 2, { copyOf: 2 }),
    ]);
    expect(await retain()).toMatchObject({ deleted: 2 });
    const left = await handle.db
      .selectFrom('mentions')
      .select(['id', 'duplicate_of'])
      .orderBy('id')
      .execute();
    expect(left).toEqual([
      { id: original, duplicate_of: null },
      { id: copy, duplicate_of: original },
    ]);
    expect([oldOriginal, oldCopy].every((id) => !left.some((m) => m.id === id))).toBe(true);
  });

  it('makes ingest refuse items from before the horizon: they were counted once already', async () => {
    const item = (externalId: string, publishedAt: Date) => ({
      externalId,
      url: null,
      author: null,
      title: null,
      content: 'Acme delivered my parcel late again.',
      contentType: 'text' as const,
      publishedAt,
      rating: null,
      language: 'en',
    });
    const old = item('old-1', new Date('2025-03-01T10:00:00Z'));
    const fresh = item('new-1', new Date('2026-11-25T10:00:00Z'));
    const first = await ingestItems(deps, { source, items: [old], fetchedAt: NOW });
    expect(first).toMatchObject({ inserted: 1, duplicates: 0 });
    const oldMarch = { from: '2025-03-01', to: '2025-04-01', interval: 'month' as const };
    expect((await trend(oldMarch)).totals.volume).toBe(1);

    expect(await retain()).toMatchObject({ deleted: 1 });
    // The feed still lists the old item: taking it again would count it twice in March 2025.
    const again = await ingestItems(deps, { source, items: [old, fresh], fetchedAt: NOW });
    expect(again).toMatchObject({ matched: 2, inserted: 1, duplicates: 1, insertedExternalIds: ['new-1'] });
    expect((await trend(oldMarch)).totals.volume).toBe(1);
  });
  it.skipIf(!TEST_DATABASE_URL)(
    'runs in one worker at a time on PostgreSQL: a second run meanwhile leaves the work to the first, a run after it goes ahead (needs TEST_DATABASE_URL)',
    async () => {
      await seed(series('2025-01-01T00:00:00Z', 2500));
      // The first run pauses after its first batch until the second one has answered.
      let secondDone = () => {};
      const second = new Promise<void>((resolve) => {
        secondDone = resolve;
      });
      let paused = () => {};
      const firstPaused = new Promise<void>((resolve) => {
        paused = resolve;
      });
      const first = deleteExpiredMentions({
        deps,
        input: { days: 400, batchSize: 1000, pauseMs: 1 },
        options: {
          sleep: async () => {
            paused();
            await second;
          },
        },
      });
      await firstPaused;
      expect(await count('mentions')).toBe(1500);
      const meanwhile = await retain();
      secondDone();
      expect(meanwhile).toEqual({ cutoff: CUTOFF, deleted: 0, batches: 0, runningElsewhere: true });
      expect(await first).toEqual({ cutoff: CUTOFF, deleted: 2500, batches: 3, runningElsewhere: false });
      expect(await count('mentions')).toBe(0);

      // Two at once, as two workers' ticks at 03:17: one does the work, the other stands aside
      // (whichever gets the lock pauses after its first batch until the other has answered).
      await seed(series('2025-02-01T00:00:00Z', 1200));
      const runs: Promise<unknown>[] = [];
      const run = (other: number) =>
        deleteExpiredMentions({
          deps,
          input: { days: 400, batchSize: 500, pauseMs: 1 },
          options: { sleep: async () => void (await runs[other]) },
        });
      runs.push(run(1), run(0));
      const both = (await Promise.all(runs)) as Awaited<ReturnType<typeof run>>[];
      expect(both.map((r) => r.runningElsewhere).sort()).toEqual([false, true]);
      expect(both.reduce((n, r) => n + r.deleted, 0)).toBe(1200);
      expect(await count('mentions')).toBe(0);
      // Released with its run: the next run goes ahead.
      expect(await retain()).toEqual({ cutoff: CUTOFF, deleted: 0, batches: 0, runningElsewhere: false });
    },
  );
});
