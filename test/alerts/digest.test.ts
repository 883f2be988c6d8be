/**
 * Digests with several workers: each rule's digest of a period goes out once, whoever sends it. The
 * held events are made with `fireAlert`, as ingest and window evaluation make them; time is passed in.
 * The logic runs on PGlite (one process); sends that truly race need PostgreSQL (TEST_DATABASE_URL):
 * concurrent runs on separate connections, and a rule another worker is sending.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { insertBrand } from '../../db/queries/brands.ts';
import type { AlertRuleRow } from '../../db/schema.ts';
import { sendDueDigests } from '../../src/alerts/digest.ts';
import { fireAlert } from '../../src/alerts/fire.ts';
import type { AlertMessage } from '../../src/alerts/message.ts';
import type { Deps } from '../../src/deps.ts';
import { createTestDb, resetDb, TEST_DATABASE_URL } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

/** 12:10 UTC: an hourly digest of events fired now is due at 13:00. */
const T0 = new Date('2026-11-20T12:10:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

describe('digests across workers', () => {
  let handle: DbHandle;
  let deps: Deps;
  let brandId: number;
  let channels: number[];

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db, { now: () => T0 });
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    brandId = (
      await insertBrand(handle.db, { name: 'Acme', kind: 'own', include_terms: ['Acme'], exclude_terms: [] })
    ).id;
    channels = [];
    for (const name of ['hook a', 'hook b']) {
      const row = await handle.db
        .insertInto('alert_channels')
        .values({
          name,
          kind: 'webhook',
          url: JSON.stringify(`http://127.0.0.1:9/${name}`),
          secret: null,
          updated_at: T0,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      channels.push(row.id);
    }
  });

  async function addRule(name: string): Promise<AlertRuleRow> {
    return handle.db
      .insertInto('alert_rules')
      .values({
        name,
        brand_id: brandId,
        kind: 'negative_mention',
        conditions: JSON.stringify({}),
        channel_ids: channels,
        digest: 'hourly',
        max_alerts_per_hour: null,
        created_at: minutes(-60),
        updated_at: minutes(-60),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** `n` events of `rule` held for its digest, fired at `at`, each its own incident. */
  async function hold(rule: AlertRuleRow, n: number, at: Date, tag: string): Promise<void> {
    for (let i = 0; i < n; i++) {
      const fired = await handle.db.transaction().execute((tx) =>
        fireAlert(
          tx,
          {
            rule,
            groupKey: `${tag}-${i}`,
            dedupeKey: `${tag}-${i}`,
            severity: 'warning',
            title: `complaint ${tag}-${i}`,
            summary: `complaint ${tag}-${i}`,
            details: {},
          },
          at,
        ),
      );
      expect(fired).toMatchObject({ queued: 0, held: 'digest' });
    }
  }

  /** The digest deliveries queued, per rule: each a list of the event summaries its message lists. */
  async function digestsByRule(): Promise<Map<number, { channel: number; summaries: string[] }[]>> {
    const rows = await handle.db
      .selectFrom('alert_deliveries')
      .select(['channel_id', 'kind', 'payload'])
      .orderBy('id')
      .execute();
    const byRule = new Map<number, { channel: number; summaries: string[] }[]>();
    for (const row of rows) {
      expect(row.kind).toBe('digest');
      const message = row.payload as AlertMessage;
      const ruleId = message.rule?.id ?? 0;
      const list = byRule.get(ruleId) ?? [];
      list.push({ channel: row.channel_id, summaries: message.events.map((e) => e.summary).sort() });
      byRule.set(ruleId, list);
    }
    return byRule;
  }

  const summaries = (tag: string, n: number) =>
    Array.from({ length: n }, (_, i) => `complaint ${tag}-${i}`).sort();

  it('sends a rule’s held events once per period: nothing before the period ends, one message per channel after, nothing again', async () => {
    const rule = await addRule('complaints');
    await hold(rule, 3, T0, 'p1');
    expect(await sendDueDigests({ deps, input: { now: minutes(49) } })).toEqual({
      rules: 0,
      events: 0,
      queued: 0,
    });
    expect(await sendDueDigests({ deps, input: { now: minutes(51) } })).toEqual({
      rules: 1,
      events: 3,
      queued: 2,
    });
    expect(await sendDueDigests({ deps, input: { now: minutes(52) } })).toEqual({
      rules: 0,
      events: 0,
      queued: 0,
    });
    // The next period's events make the next period's digest.
    await hold(rule, 2, minutes(55), 'p2');
    expect(await sendDueDigests({ deps, input: { now: minutes(111) } })).toEqual({
      rules: 1,
      events: 2,
      queued: 2,
    });
    const sent = (await digestsByRule()).get(rule.id);
    expect(sent).toEqual([
      { channel: channels[0], summaries: summaries('p1', 3) },
      { channel: channels[1], summaries: summaries('p1', 3) },
      { channel: channels[0], summaries: summaries('p2', 2) },
      { channel: channels[1], summaries: summaries('p2', 2) },
    ]);
  });

  describe.skipIf(!TEST_DATABASE_URL)('on PostgreSQL (needs TEST_DATABASE_URL)', () => {
    it('concurrent runs (one per worker) send each rule’s digest once per period', async () => {
      const rules: AlertRuleRow[] = [];
      for (let r = 0; r < 12; r++) rules.push(await addRule(`rule ${r}`));
      const periods = [
        { tag: 'h1', firedAt: T0, sendAt: minutes(51) },
        { tag: 'h2', firedAt: minutes(60), sendAt: minutes(111) },
      ];
      for (const period of periods) {
        for (const [r, rule] of rules.entries())
          await hold(rule, 1 + (r % 3), period.firedAt, `${period.tag}r${r}`);
        // Four workers' send-digests ticks at once, each on its own connection.
        const reports = await Promise.all(
          Array.from({ length: 4 }, () => sendDueDigests({ deps, input: { now: period.sendAt } })),
        );
        const total = (key: 'rules' | 'events' | 'queued') => reports.reduce((n, r) => n + r[key], 0);
        expect(
          { rules: total('rules'), events: total('events'), queued: total('queued') },
          JSON.stringify(reports),
        ).toEqual({
          rules: rules.length,
          events: rules.reduce((n, _, r) => n + 1 + (r % 3), 0),
          queued: rules.length * channels.length,
        });
      }
      const sent = await digestsByRule();
      for (const [r, rule] of rules.entries()) {
        const n = 1 + (r % 3);
        expect(sent.get(rule.id), rule.name).toEqual(
          periods.flatMap((p) =>
            channels.map((channel) => ({ channel, summaries: summaries(`${p.tag}r${r}`, n) })),
          ),
        );
      }
    });

    it('skips a rule another worker is sending, without waiting for it, and sends it once that is over', async () => {
      const busy = await addRule('busy');
      const free = await addRule('free');
      await hold(busy, 2, T0, 'busy');
      await hold(free, 1, T0, 'free');
      let whileHeld: Awaited<ReturnType<typeof sendDueDigests>> | undefined;
      await handle.db.transaction().execute(async (tx) => {
        // Another worker's claim on the rule, held while this one runs on another connection.
        await tx.selectFrom('alert_rules').select('id').where('id', '=', busy.id).forNoKeyUpdate().execute();
        whileHeld = await sendDueDigests({ deps, input: { now: minutes(51) } });
      });
      expect(whileHeld).toEqual({ rules: 1, events: 1, queued: 2 });
      expect([...(await digestsByRule()).keys()]).toEqual([free.id]);

      expect(await sendDueDigests({ deps, input: { now: minutes(52) } })).toEqual({
        rules: 1,
        events: 2,
        queued: 2,
      });
      expect((await digestsByRule()).get(busy.id)?.map((d) => d.summaries)).toEqual([
        summaries('busy', 2),
        summaries('busy', 2),
      ]);
    });
  });
});
