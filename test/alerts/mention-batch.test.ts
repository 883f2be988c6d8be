/**
 * Negative-mention rules fire a whole ingest batch at once (the rule's state read once, held events
 * written together: src/alerts/mention-rules.ts). Whatever the batch, the outcome must be the one of
 * the same mentions fired one at a time: the same incidents (groups, counts, severity, who was told),
 * the same events (group, digest time, announced or not) and the same deliveries queued. Generated
 * storms mix themes, syndicated copies, a cooldown and a flood cap.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { insertBrand } from '../../db/queries/brands.ts';
import { insertSource } from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import { createChannel } from '../../src/alerts/channels-catalog.ts';
import { fireMentionRules, type IngestedMention } from '../../src/alerts/mention-rules.ts';
import { createRule } from '../../src/alerts/rules.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { seedMentions } from '../helpers/mentions.ts';

const THEMES = ['billing', 'delivery', 'login', 'refund'];
const NOW = new Date('2026-11-23T12:00:00Z');

type Spec = { themes: number[]; copyOf: number | null; praised: boolean[]; score: number };

const specs = fc.array(
  fc.record({
    themes: fc.uniqueArray(fc.integer({ min: 0, max: THEMES.length - 1 }), { maxLength: 2 }),
    copyOf: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.nat(), weight: 1 }),
    praised: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
    score: fc.integer({ min: -100, max: -40 }),
  }),
  { minLength: 1, maxLength: 18 },
);

describe('negative-mention rules over a batch', () => {
  let handle: DbHandle;

  beforeAll(async () => {
    handle = await createTestDb();
  });
  afterAll(async () => handle.close());

  /** A fresh brand, source, channel and rule; the mentions stored; returns what fireMentionRules takes. */
  async function setUp(list: readonly Spec[], rule: { cooldownMinutes: number; maxAlertsPerHour: number }) {
    await resetDb(handle.db);
    const deps = createTestDeps(handle.db, { now: () => NOW });
    const brand = await insertBrand(handle.db, {
      name: 'Northwind',
      kind: 'own',
      include_terms: ['Northwind'],
      exclude_terms: [],
    });
    const source = (await insertSource(handle.db, {
      name: 'feed',
      kind: 'rss',
      options: {},
      pollIntervalSeconds: 3600,
    })) as SourceRow;
    await createChannel({ deps, input: { name: 'hook', kind: 'webhook', url: 'https://hooks.example/x' } });
    await sql`update alert_channels set enabled = true`.execute(handle.db);
    const created = await createRule({
      deps: { ...deps, now: () => new Date(NOW.getTime() - 3_600_000) },
      input: {
        name: 'negative',
        brand: 'Northwind',
        kind: 'negative_mention',
        channels: ['hook'],
        ...rule,
      },
    });
    const copyOf = (s: Spec, i: number) => (s.copyOf === null || i === 0 ? undefined : s.copyOf % i);
    const ids = await seedMentions(
      handle.db,
      list.map((s, i) => ({
        at: new Date(NOW.getTime() - 60_000),
        label: 'negative',
        score: s.score / 100,
        brands: [brand.id],
        sourceId: source.id,
        text: `mention ${i}`,
        themes: s.themes.map((t, k) => ({ theme: THEMES[t] as string, score: s.praised[k] ? 0.5 : -0.5 })),
        copyOf: copyOf(s, i),
      })),
    );
    const mentions: IngestedMention[] = list.map((s, i) => {
      const original = copyOf(s, i);
      return {
        id: ids[i] as number,
        brandIds: [brand.id],
        duplicateOf: original === undefined ? null : (ids[original] as number),
        occurredAt: new Date(NOW.getTime() - 60_000),
        publishedAt: new Date(NOW.getTime() - 60_000),
        title: null,
        text: `mention ${i}`,
        label: 'negative',
        score: s.score / 100,
        rating: null,
        language: 'en',
        touchpoints: [],
        intents: [],
        engagement: null,
        themes: s.themes.map((t, k) => ({ theme: THEMES[t] as string, score: s.praised[k] ? 0.5 : -0.5 })),
      };
    });
    return { source, mentions, brandNames: new Map([[brand.id, 'Northwind']]), ruleId: created.id };
  }

  /** What the alerts came to, without ids: incidents by group, events by mention, deliveries by group. */
  async function outcome() {
    const incidents = await sql<Record<string, unknown>>`
      select group_key, events, mention_count, severity, status, notified_at is not null as told,
        (select count(*)::int from alert_deliveries d where d.incident_id = i.id) as deliveries
      from incidents i order by group_key`.execute(handle.db);
    const events = await sql<Record<string, unknown>>`
      select e.dedupe_key, i.group_key, e.summary, e.digest_due_at, e.announced_at is not null as announced
      from alert_events e join incidents i on i.id = e.incident_id order by e.dedupe_key`.execute(handle.db);
    return { incidents: incidents.rows, events: events.rows };
  }

  it('fires a batch exactly as the same mentions one at a time', async () => {
    await fc.assert(
      fc.asyncProperty(
        specs,
        fc.record({
          cooldownMinutes: fc.constantFrom(0, 30),
          maxAlertsPerHour: fc.integer({ min: 1, max: 4 }),
        }),
        async (list, rule) => {
          const one = await setUp(list, rule);
          for (const m of one.mentions) {
            await handle.db
              .transaction()
              .execute((tx) => fireMentionRules(tx, { ...one, mentions: [m], now: NOW, firstPoll: false }));
          }
          const expected = await outcome();

          const all = await setUp(list, rule);
          const fired = await handle.db
            .transaction()
            .execute((tx) => fireMentionRules(tx, { ...all, now: NOW, firstPoll: false }));
          expect(fired).toHaveLength(list.length);
          expect(await outcome()).toEqual(expected);
        },
      ),
      {
        numRuns: 40,
        examples: [
          [
            [
              { themes: [0], copyOf: null, praised: [false, false], score: -60 },
              { themes: [1], copyOf: null, praised: [false, false], score: -60 },
              // Joins the later of the two themes' incidents; "billing" then points there too.
              { themes: [0, 1], copyOf: null, praised: [false, false], score: -60 },
              { themes: [0], copyOf: null, praised: [false, false], score: -60 },
              { themes: [2], copyOf: 0, praised: [false, false], score: -60 },
            ],
            { cooldownMinutes: 0, maxAlertsPerHour: 2 },
          ],
        ],
      },
    );
  }, 180_000);
});
