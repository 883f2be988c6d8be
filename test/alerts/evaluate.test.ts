/**
 * Window rules on the test database: a steady week of mentions, then something happens in the last
 * hour. Spikes (from the hourly rollup and from raw mentions, filtered or not), drops, sentiment drops,
 * emerging negative themes across source kinds and silent sources; warm-up, idempotent re-runs,
 * cooldown, digests. The clock is passed in, never waited for.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { insertBrand } from '../../db/queries/brands.ts';
import { insertSource, recordPollSuccess } from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import { evaluateAlerts } from '../../jobs/evaluate-alerts.ts';
import { evaluateWindowRules } from '../../src/alerts/evaluate.ts';
import { createRule } from '../../src/alerts/rules.ts';
import type { Deps } from '../../src/deps.ts';
import { ingestItems } from '../../src/ingest/ingest-items.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { type SeedMention, seedMentions } from '../helpers/mentions.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Evaluations at 12:02 look at the window [11:00, 12:00) (the step is 5 minutes). */
const NOW = new Date('2026-11-20T12:02:00Z');
const WINDOW_START = Date.parse('2026-11-20T11:00:00Z');
const at = (ms: number) => new Date(ms);
const minutesAfter = (ms: number, n: number) => new Date(ms + n * MINUTE);

describe('evaluateWindowRules', () => {
  let handle: DbHandle;
  let deps: Deps;
  let brandId: number;
  let reddit: SourceRow;
  let appstore: SourceRow;
  let queuedSignals: number;

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db, {
      now: () => NOW,
      alertsQueued: () => {
        queuedSignals++;
      },
    });
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    queuedSignals = 0;
    const brand = await insertBrand(handle.db, {
      name: 'Acme',
      kind: 'own',
      include_terms: ['Acme'],
      exclude_terms: [],
    });
    brandId = brand.id;
    reddit = await insertSource(handle.db, {
      name: 'r/acme',
      kind: 'reddit',
      options: {},
      pollIntervalSeconds: 300,
    });
    appstore = await insertSource(handle.db, {
      name: 'Acme iOS reviews',
      kind: 'appstore',
      options: {},
      pollIntervalSeconds: 300,
    });
    await handle.db
      .insertInto('alert_channels')
      .values({
        name: 'hook',
        kind: 'webhook',
        url: JSON.stringify('https://hooks.example.com/earshot'),
        updated_at: NOW,
      })
      .execute();
  });

  let rules = 0;
  async function rule(
    kind: string,
    conditions: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ) {
    return createRule({
      deps,
      input: { name: `${kind} ${++rules}`, brand: 'Acme', kind, channels: ['hook'], conditions, ...extra },
    });
  }

  const evaluate = (now: Date) => evaluateWindowRules({ deps, input: { now } });

  /**
   * `hours` hours before 11:00, each with 3, 4 or 5 mentions (mean 4) on both sources, about
   * "delivery", one in four negative — or what `perHour` says.
   */
  async function history(
    hours: number,
    perHour: (hourStart: number, h: number) => SeedMention[] = (hourStart, h) =>
      Array.from({ length: 3 + (h % 3) }, (_, i) => ({
        at: minutesAfter(hourStart, 5 + i * 10),
        label: i === 0 ? 'negative' : 'positive',
        score: i === 0 ? -0.6 : 0.5,
        brands: [brandId],
        sourceId: i % 2 === 0 ? reddit.id : appstore.id,
        themes: ['delivery'],
      })),
  ) {
    const rows: SeedMention[] = [];
    for (let h = 0; h < hours; h++) rows.push(...perHour(WINDOW_START - (hours - h) * HOUR, h));
    await seedMentions(handle.db, rows);
  }

  /** `n` negative mentions about `theme` in the window, from `source`, between :10 and :50. */
  function burst(
    n: number,
    source: SourceRow,
    theme = 'login',
    start = WINDOW_START + 10 * MINUTE,
  ): SeedMention[] {
    return Array.from({ length: n }, (_, i) => ({
      at: at(start + Math.floor((i * 40 * MINUTE) / n)),
      label: 'negative' as const,
      score: -0.6,
      brands: [brandId],
      sourceId: source.id,
      themes: [theme],
      text: `Cannot ${theme} to Acme again, ${i}`,
    }));
  }

  const incidents = () => handle.db.selectFrom('incidents').selectAll().orderBy('id').execute();
  const events = () => handle.db.selectFrom('alert_events').selectAll().orderBy('id').execute();
  const deliveries = () => handle.db.selectFrom('alert_deliveries').selectAll().orderBy('id').execute();

  describe('volume spike', () => {
    it('opens one incident with one event explaining a spike after a steady week', async () => {
      await history(7 * 24);
      await seedMentions(handle.db, [...burst(30, reddit), ...burst(10, appstore)]);
      const spike = await rule('volume_spike');

      const report = await evaluate(NOW);
      expect(report.windowEnd.toISOString()).toBe('2026-11-20T12:00:00.000Z');
      expect(report.outcomes).toEqual([
        { ruleId: spike.id, kind: 'volume_spike', status: 'fire', recorded: 1, queued: 1 },
      ]);
      expect(queuedSignals).toBe(1);

      const [incident, ...moreIncidents] = await incidents();
      expect(moreIncidents).toEqual([]);
      expect(incident).toMatchObject({
        group_key: 'volume_spike',
        title: 'Volume spike for Acme',
        events: 1,
      });
      const [event, ...moreEvents] = await events();
      expect(moreEvents).toEqual([]);
      expect(event?.dedupe_key).toBe('volume_spike:2026-11-20T12:00:00.000Z');
      expect(event?.summary).toMatch(
        /^Volume spike for Acme: 40 mentions in the last hour, \d+\.\dσ above the 7-day baseline of 4 ± 0\.8$/,
      );
      const details = event?.details as any;
      expect(details.verdict).toMatchObject({ status: 'fire', current: 40, mean: 4, points: 168 });
      expect(details.verdict.z).toBeGreaterThan(5);
      expect(details.window).toEqual({
        from: '2026-11-20T11:00:00.000Z',
        to: '2026-11-20T12:00:00.000Z',
        minutes: 60,
      });
      expect(details.baseline).toMatchObject({ days: 7, windows: 168, to: '2026-11-20T11:00:00.000Z' });
      expect(details.topThemes[0]).toEqual({ theme: 'login', mentions: 40, negative: 40 });
      expect(details.topSources[0]).toEqual({ id: reddit.id, kind: 'reddit', name: 'r/acme', mentions: 30 });
      expect(details.topSources[1]).toMatchObject({ kind: 'appstore', mentions: 10 });
      expect(details.examples).toHaveLength(3);
      expect(details.examples[0]).toMatchObject({ label: 'negative', source: { kind: expect.any(String) } });
      expect(details.examples[0].text).toMatch(/^Cannot login to Acme again/);
      expect(await deliveries()).toHaveLength(1);
    });

    it('adds nothing when run again within the step; the next step joins the incident, held by the cooldown', async () => {
      await history(7 * 24);
      await seedMentions(handle.db, burst(40, reddit));
      await rule('volume_spike', {}, { cooldownMinutes: 60 });

      expect((await evaluate(NOW)).recorded).toBe(1);
      const again = await evaluate(minutesAfter(NOW.getTime(), 2));
      expect(again.outcomes[0]).toMatchObject({ status: 'fire', recorded: 0, queued: 0 });
      expect(await events()).toHaveLength(1);

      // 12:07: the window [11:05, 12:05) still holds the burst.
      const next = await evaluate(minutesAfter(NOW.getTime(), 5));
      expect(next.windowEnd.toISOString()).toBe('2026-11-20T12:05:00.000Z');
      expect(next.outcomes[0]).toMatchObject({
        status: 'fire',
        recorded: 1,
        queued: 0,
        held: { cooldown: 1 },
      });
      const [incident, ...others] = await incidents();
      expect(others).toEqual([]);
      expect(incident?.events).toBe(2);
      expect(await events()).toHaveLength(2);
      expect(await deliveries()).toHaveLength(1);
      expect(queuedSignals).toBe(1);
    });

    it('does not fire during warm-up', async () => {
      const spike = await rule('volume_spike');
      await seedMentions(handle.db, burst(40, reddit));
      // No history at all: the brand's data starts inside the window.
      expect((await evaluate(NOW)).outcomes).toEqual([
        { ruleId: spike.id, kind: 'volume_spike', status: 'warming_up', recorded: 0, queued: 0 },
      ]);
      // Ten hours of it: still short of a day of windows.
      await history(10);
      expect((await evaluate(NOW)).outcomes[0]?.status).toBe('warming_up');
      expect(await incidents()).toEqual([]);
    });

    it('fires once the baseline holds a day of windows', async () => {
      await history(24);
      await seedMentions(handle.db, burst(40, reddit));
      await rule('volume_spike');
      const report = await evaluate(NOW);
      expect(report.outcomes[0]).toMatchObject({ status: 'fire', recorded: 1 });
      expect((await events())[0]?.summary).toMatch(/7-day baseline of 4 ± 0\.8$/);
    });

    it('stays quiet on an ordinary hour', async () => {
      await history(7 * 24);
      await seedMentions(
        handle.db,
        Array.from({ length: 5 }, (_, i) => ({
          at: minutesAfter(WINDOW_START, 10 * i),
          label: 'positive' as const,
          score: 0.5,
          brands: [brandId],
          sourceId: reddit.id,
        })),
      );
      await rule('volume_spike', { minVolume: 1 });
      await rule('volume_spike', {}, { name: 'default minimum' });
      const report = await evaluate(NOW);
      expect(report.outcomes.map((o) => o.status)).toEqual(['quiet', 'low_volume']);
      expect(await incidents()).toEqual([]);
    });

    it('holds the events of a digest rule, grouped in one incident, until the digest is due', async () => {
      await history(7 * 24);
      await seedMentions(handle.db, burst(40, reddit));
      await rule('volume_spike', {}, { digest: 'hourly' });
      const report = await evaluate(NOW);
      expect(report.outcomes[0]).toMatchObject({ recorded: 1, queued: 0, held: { digest: 1 } });
      const next = await evaluate(minutesAfter(NOW.getTime(), 5));
      expect(next.outcomes[0]).toMatchObject({ recorded: 1, queued: 0, held: { digest: 1 } });
      const held = await events();
      expect(held.map((e) => e.digest_due_at?.toISOString())).toEqual([
        '2026-11-20T13:00:00.000Z',
        '2026-11-20T13:00:00.000Z',
      ]);
      expect(new Set(held.map((e) => e.incident_id)).size).toBe(1);
      expect(await incidents()).toHaveLength(1);
      expect(await deliveries()).toEqual([]);
      expect(queuedSignals).toBe(0);
    });

    it('reads a 15-minute window and its baseline from the raw mentions', async () => {
      await history(7 * 24);
      // One a minute from 11:20 to 11:59.
      await seedMentions(handle.db, burst(40, reddit, 'login', WINDOW_START + 20 * MINUTE));
      await rule('volume_spike', { windowMinutes: 15 });
      // 11:47 → the window [11:30, 11:45), the baseline its 672 predecessors.
      const report = await evaluate(at(WINDOW_START + 47 * MINUTE));
      expect(report.outcomes[0]).toMatchObject({ status: 'fire', recorded: 1 });
      const [event] = await events();
      expect(event?.dedupe_key).toBe('volume_spike:2026-11-20T11:45:00.000Z');
      expect(event?.summary).toMatch(/^Volume spike for Acme: 15 mentions in the last 15 minutes, /);
      expect((event!.details as any).baseline).toMatchObject({
        windows: 672,
        to: '2026-11-20T11:30:00.000Z',
      });
    });

    it('applies the filters: a spike on reddit fires the reddit rules only', async () => {
      await history(7 * 24);
      await seedMentions(handle.db, burst(40, reddit));
      await rule('volume_spike', { sourceKinds: ['reddit'] }); // hourly rollup, dimension "source"
      await rule('volume_spike', { sourceKinds: ['appstore'], minVolume: 1 });
      await rule('volume_spike', { sourceKinds: ['reddit'], theme: 'login' }); // raw mentions
      await rule('volume_spike', { theme: 'delivery', minVolume: 1 }); // hourly rollup, dimension "theme"
      const report = await evaluate(NOW);
      expect(report.outcomes.map((o) => o.status)).toEqual(['fire', 'low_volume', 'fire', 'low_volume']);
      const summaries = (await events()).map((e) => e.summary);
      expect(summaries[0]).toMatch(/^Volume spike for Acme \(on reddit\): 40 mentions/);
      expect(summaries[1]).toMatch(/^Volume spike for Acme \(on reddit, about “login”\): 40 mentions/);
    });
  });

  describe('volume drop', () => {
    it('fires when the window falls well below the baseline', async () => {
      await history(2 * 24, (hourStart, h) =>
        Array.from({ length: 11 + (h % 3) }, (_, i) => ({
          at: minutesAfter(hourStart, i * 4),
          label: 'neutral',
          score: 0,
          brands: [brandId],
          sourceId: reddit.id,
        })),
      );
      await seedMentions(handle.db, [
        {
          at: minutesAfter(WINDOW_START, 30),
          label: 'neutral',
          score: 0,
          brands: [brandId],
          sourceId: reddit.id,
        },
      ]);
      await rule('volume_drop', { baselineDays: 2 });
      const report = await evaluate(NOW);
      expect(report.outcomes[0]).toMatchObject({ status: 'fire', recorded: 1 });
      const [event] = await events();
      expect(event?.summary).toMatch(
        /^Volume drop for Acme: 1 mention in the last hour, \d\.\dσ below the 2-day baseline of 12 ± 0\.8$/,
      );
    });
  });

  describe('sentiment drop', () => {
    it('fires when the negative share leaves its band, with the most negative examples', async () => {
      await history(7 * 24);
      await seedMentions(handle.db, [
        ...burst(15, reddit, 'refund'),
        ...Array.from({ length: 5 }, (_, i) => ({
          at: minutesAfter(WINDOW_START, 20 + i),
          label: 'positive' as const,
          score: 0.5,
          brands: [brandId],
          sourceId: appstore.id,
        })),
      ]);
      await rule('sentiment_drop');
      await rule('sentiment_drop', { measure: 'net_sentiment' });
      const report = await evaluate(NOW);
      expect(report.outcomes.map((o) => o.status)).toEqual(['fire', 'fire']);
      const [share, net] = await events();
      expect(share?.summary).toMatch(
        /^Sentiment drop for Acme: 75% negative in the last hour \(20 scored mentions\), \d\.\dσ above the 7-day baseline of 25% ± 10 pts$/,
      );
      expect(net?.summary).toMatch(
        /net sentiment −0\.50 in the last hour .* below the 7-day baseline of \+0\.50/,
      );
      const details = share?.details as any;
      expect(details.measure).toBe('negative_share');
      expect(details.examples.map((e: any) => e.label)).toEqual(['negative', 'negative', 'negative']);
      expect(details.topThemes[0]).toMatchObject({ theme: 'refund', negative: 15 });
    });
  });

  describe('emerging negative theme', () => {
    /** A week with one negative "login" mention every 12 hours, alternating sources. */
    const withLogin = (hourStart: number, h: number): SeedMention[] => [
      {
        at: minutesAfter(hourStart, 5),
        label: 'positive',
        score: 0.5,
        brands: [brandId],
        sourceId: reddit.id,
        themes: ['delivery'],
      },
      ...(h % 12 === 0
        ? [
            {
              at: minutesAfter(hourStart, 30),
              label: 'negative' as const,
              score: -0.6,
              brands: [brandId],
              sourceId: h % 24 === 0 ? reddit.id : appstore.id,
              themes: ['login'],
            },
          ]
        : []),
    ];

    it('fires once per theme rising across source kinds, naming them', async () => {
      await history(7 * 24, withLogin);
      // "login" on both kinds; "pricing" on reddit only (the rule asks for two kinds).
      await seedMentions(handle.db, [
        ...burst(6, reddit),
        ...burst(5, appstore),
        ...burst(6, reddit, 'pricing'),
      ]);
      const emerging = await rule('emerging_theme', { minSourceKinds: 2 });
      const report = await evaluate(NOW);
      expect(report.outcomes).toEqual([
        { ruleId: emerging.id, kind: 'emerging_theme', status: 'fire', recorded: 1, queued: 1 },
      ]);
      const [incident] = await incidents();
      expect(incident).toMatchObject({
        group_key: 'theme:login',
        title: 'Emerging negative theme for Acme: “login”',
      });
      const [event] = await events();
      expect(event?.summary).toBe(
        'Negative “login” mentions up 22.0× on reddit and appstore: 11 in the last hour against 0.1 per hour over 7 days',
      );
      const details = event?.details as any;
      expect(details.verdict).toMatchObject({ status: 'fire', current: 11, points: 168 });
      expect(details.bySourceKind).toEqual([
        { kind: 'reddit', current: 6, rate: expect.any(Number), ratio: 12, rising: true },
        { kind: 'appstore', current: 5, rate: expect.any(Number), ratio: 10, rising: true },
      ]);
      expect(details.examples).toHaveLength(3);
      expect(details.examples.every((e: any) => /login/.test(e.text))).toBe(true);
      expect(details.topSources.map((s: any) => s.kind)).toEqual(['reddit', 'appstore']);

      // The next step: the same theme joins its incident.
      const next = await evaluate(minutesAfter(NOW.getTime(), 5));
      expect(next.outcomes[0]).toMatchObject({ recorded: 1, held: { cooldown: 1 } });
      expect(await incidents()).toHaveLength(1);
    });

    it('with one source kind required, fires each rising theme as its own incident', async () => {
      await history(7 * 24, withLogin);
      await seedMentions(handle.db, [
        ...burst(6, reddit),
        ...burst(6, reddit, 'pricing'),
        ...burst(2, appstore, 'ads'),
      ]);
      await rule('emerging_theme');
      const report = await evaluate(NOW);
      expect(report.outcomes[0]).toMatchObject({ status: 'fire', recorded: 2 });
      expect((await incidents()).map((i) => i.group_key).sort()).toEqual(['theme:login', 'theme:pricing']);
    });

    it('does not fire on a theme at its usual rate', async () => {
      await history(7 * 24, (hourStart) => burst(2, reddit, 'login', hourStart));
      await seedMentions(handle.db, burst(5, reddit));
      await rule('emerging_theme');
      expect((await evaluate(NOW)).outcomes[0]?.status).toBe('quiet');
    });

    it('does not fire during warm-up', async () => {
      await history(10, withLogin);
      await seedMentions(handle.db, [...burst(6, reddit), ...burst(5, appstore)]);
      await rule('emerging_theme');
      expect((await evaluate(NOW)).outcomes[0]?.status).toBe('warming_up');
      expect(await incidents()).toEqual([]);
    });
  });

  describe('source silence', () => {
    const poll = (source: SourceRow, newMentions: number) =>
      recordPollSuccess(handle.db, source.id, NOW, null, NOW, newMentions);
    const emptyPolls = async (source: SourceRow) =>
      (
        await handle.db
          .selectFrom('sources')
          .select('empty_polls')
          .where('id', '=', source.id)
          .executeTakeFirstOrThrow()
      ).empty_polls;

    it('fires after N empty polls, once per silence, and again after the source spoke', async () => {
      await seedMentions(handle.db, [
        {
          at: at(WINDOW_START - 24 * HOUR),
          label: 'neutral',
          score: 0,
          brands: [brandId],
          sourceId: reddit.id,
        },
      ]);
      // The appstore source produced nothing for the brand and is not assigned to it: not watched.
      for (let i = 0; i < 5; i++) await poll(appstore, 0);
      await rule('source_silence', { polls: 3 });
      for (let i = 0; i < 2; i++) await poll(reddit, 0);
      expect((await evaluate(NOW)).outcomes[0]?.status).toBe('quiet');

      await poll(reddit, 0);
      const fired = await evaluate(NOW);
      expect(fired.outcomes[0]).toMatchObject({ status: 'fire', recorded: 1, queued: 1 });
      const [incident] = await incidents();
      expect(incident).toMatchObject({ group_key: `source:${reddit.id}`, title: 'Source silent: r/acme' });
      expect((await events())[0]?.summary).toMatch(
        /^r\/acme \(reddit\) brought nothing new in 3 successful polls in a row; its last new mention came 2026-11-19T11:00:00.000Z$/,
      );

      // Still silent, later: the same silence, nothing new.
      await poll(reddit, 0);
      expect((await evaluate(minutesAfter(NOW.getTime(), 30))).outcomes[0]).toMatchObject({ recorded: 0 });

      // It speaks (the counter resets), then falls silent again: a new event, in the open incident.
      await seedMentions(handle.db, [
        {
          at: minutesAfter(NOW.getTime(), 40),
          label: 'neutral',
          score: 0,
          brands: [brandId],
          sourceId: reddit.id,
        },
      ]);
      await poll(reddit, 1);
      expect(await emptyPolls(reddit)).toBe(0);
      expect((await evaluate(minutesAfter(NOW.getTime(), 45))).outcomes[0]?.status).toBe('quiet');
      for (let i = 0; i < 3; i++) await poll(reddit, 0);
      const again = await evaluate(minutesAfter(NOW.getTime(), 90));
      expect(again.outcomes[0]).toMatchObject({ status: 'fire', recorded: 1 });
      expect(await incidents()).toHaveLength(1);
      expect((await incidents())[0]?.events).toBe(2);
    });

    it('watches the sources named, or those assigned to the brand', async () => {
      await handle.db
        .updateTable('sources')
        .set({ assign_brand_ids: [brandId] })
        .where('id', '=', appstore.id)
        .execute();
      for (let i = 0; i < 3; i++) await poll(appstore, 0);
      await rule('source_silence', { polls: 3 });
      await rule('source_silence', { polls: 3, sourceIds: [reddit.id] });
      const report = await evaluate(NOW);
      expect(report.outcomes.map((o) => o.status)).toEqual(['fire', 'quiet']);
      expect((await events())[0]?.summary).toMatch(/it has produced no mention yet$/);
    });

    it('counts, at ingest, the polls that bring no new mention', async () => {
      const item = {
        externalId: 'r1',
        url: null,
        author: null,
        title: null,
        content: 'Acme shipped my order in a day, impressive.',
        contentType: 'text' as const,
        publishedAt: NOW,
        rating: null,
        language: 'en',
      };
      const ingest = async (items: (typeof item)[]) => {
        const source = await handle.db
          .selectFrom('sources')
          .selectAll()
          .where('id', '=', reddit.id)
          .executeTakeFirstOrThrow();
        await ingestItems(deps, { source, items, fetchedAt: NOW });
        return emptyPolls(reddit);
      };
      expect(await ingest([])).toBe(1);
      expect(await ingest([])).toBe(2);
      expect(await ingest([item])).toBe(0);
      // The same item again (a feed without conditional GET): nothing new.
      expect(await ingest([item])).toBe(1);
    });
  });

  it('runs as the evaluate-alerts job on the clock of deps', async () => {
    await history(7 * 24);
    await seedMentions(handle.db, burst(40, reddit));
    await rule('volume_spike');
    const report = await evaluateAlerts(deps);
    expect(report).toMatchObject({ rules: 1, recorded: 1, queued: 1 });
  });

  it('reports a rule whose stored conditions became invalid, and evaluates the others', async () => {
    const broken = await rule('volume_spike');
    await handle.db
      .updateTable('alert_rules')
      .set({ conditions: JSON.stringify({ windowMinutes: 7 }) })
      .where('id', '=', broken.id)
      .execute();
    await rule('volume_drop');
    const report = await evaluate(NOW);
    expect(report.outcomes).toEqual([
      {
        ruleId: broken.id,
        kind: 'volume_spike',
        status: 'invalid',
        recorded: 0,
        queued: 0,
        message: expect.stringMatching(/^conditions\.windowMinutes: /),
      },
      { ruleId: expect.any(Number), kind: 'volume_drop', status: 'warming_up', recorded: 0, queued: 0 },
    ]);
  });
});
