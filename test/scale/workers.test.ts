/**
 * Several worker processes on one PostgreSQL (issue #9), as they run in production: real
 * `src/node.ts` processes with EARSHOT_ROLE=worker, 200 RSS sources served by local fake upstreams
 * (ten of them: the HTTP client paces each host, and one host would measure that pacing instead of
 * the workers). Time is driven through the database: a round makes every source due at once, and
 * the workers' own 10-second ticks pick it up.
 *
 * Checked: each source polled exactly once per round and each item stored once, work shared by
 * every worker; each queued alert delivery sent once; a worker killed (SIGKILL) mid-poll has its
 * sources taken over once the lease runs out; a worker stopped (SIGTERM) mid-poll claims nothing more, finishes the polls that answer,
 * gives back the ones that do not at its deadline, and exits 0.
 *
 * Needs TEST_DATABASE_URL: PGlite is one process, so there is nothing to share there.
 */
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../db/create-db.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { insertBrand } from '../../db/queries/brands.ts';
import { insertSource } from '../../db/queries/sources.ts';
import type { Database } from '../../db/schema.ts';
import { TEST_DATABASE_URL } from '../helpers/db.ts';
import { createProcessDatabase, exitOf, type Started, startEarshot } from '../helpers/earshot-process.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';

const SOURCES = 200;
const HOSTS = 10;
const ITEMS_PER_ROUND = 2;
const LEASE_SECONDS = 10;
const SHUTDOWN_SECONDS = 3;
/** Alert deliveries queued at once (a worker claims up to 50 a run). */
const DELIVERIES = 150;
/** The poll-sources job's tick (jobs/index.ts). */
const TICK_MS = 10_000;
/** Slack for process start-up, a loaded CI machine and the database. */
const MARGIN_MS = 8_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** A short feed (cheap to analyse): this round's items of one source, each new. */
function feedFor(source: number, round: number): string {
  const items = Array.from({ length: ITEMS_PER_ROUND }, (_, k) => {
    const guid = `s${source}-r${round}-i${k}`;
    return `<item><guid>${guid}</guid><title>Acme note ${guid}</title><link>https://example.com/${guid}</link>
      <description>Acme item ${k} from feed ${source} in round ${round}.</description>
      <pubDate>${new Date().toUTCString()}</pubDate></item>`;
  }).join('\n');
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>feed ${source}</title>
    <link>https://example.com</link><description>d</description><language>en-us</language>${items}</channel></rss>`;
}

type Fetch = { source: number; round: number; at: number };

describe.skipIf(!TEST_DATABASE_URL)(
  'worker processes sharing one PostgreSQL (needs TEST_DATABASE_URL; skipped on PGlite, which is one process)',
  () => {
    let database: { url: string; drop: () => Promise<void> } | undefined;
    let handle: DbHandle;
    let db: Kysely<Database>;
    const upstreams: FakeUpstream[] = [];
    const workers: Started[] = [];
    const dataDir = mkdtempSync(join(tmpdir(), 'earshot-workers-'));
    /** Source ids by index (0..199): the index names its feed path and items. */
    const idOf: number[] = [];
    let round = 0;
    const fetches: Fetch[] = [];
    /** Sources whose next request is never answered (a hung upstream). */
    const hangOnce = new Set<number>();
    /** Sources whose next request is answered after this many ms. */
    const slowOnce = new Map<number, number>();
    /** Requests seen and not answered yet. */
    let inFlight = 0;

    const startWorker = () =>
      startEarshot({
        DATABASE_URL: database?.url ?? '',
        EARSHOT_ROLE: 'worker',
        EARSHOT_DATA_DIR: dataDir,
        EARSHOT_POLL_CONCURRENCY: '4',
        EARSHOT_POLL_LEASE_SECONDS: String(LEASE_SECONDS),
        EARSHOT_SHUTDOWN_SECONDS: String(SHUTDOWN_SECONDS),
      }).then((started) => {
        workers.push(started);
        return started;
      });
    const workerName = (w: Started) => `${hostname()}:${w.child.pid}`;

    const lastRunId = async () =>
      Number(
        (
          await db
            .selectFrom('job_runs')
            .select((eb) => eb.fn.max('id').as('id'))
            .executeTakeFirst()
        )?.id ?? 0,
      );

    /** Polls per worker (hostname:pid) recorded by poll-sources runs after `afterRunId`. */
    async function pollsByWorker(
      afterRunId: number,
    ): Promise<Map<string, { polled: number; failed: number }>> {
      const runs = await db
        .selectFrom('job_runs')
        .select(['worker', 'counts'])
        .where('job', '=', 'poll-sources')
        .where('id', '>', afterRunId)
        .execute();
      const byWorker = new Map<string, { polled: number; failed: number }>();
      for (const run of runs) {
        const counts = run.counts as Record<string, number>;
        const sum = byWorker.get(run.worker) ?? { polled: 0, failed: 0 };
        sum.polled += counts.polled ?? 0;
        sum.failed += counts.failed ?? 0;
        byWorker.set(run.worker, sum);
      }
      return byWorker;
    }

    const total = (byWorker: Map<string, { polled: number }>) =>
      [...byWorker.values()].reduce((n, w) => n + w.polled, 0);

    const fetchesOf = (r: number) => fetches.filter((f) => f.round === r);

    async function mentionsOfRound(r: number): Promise<{ rows: number; distinct: number }> {
      const row = await db
        .selectFrom('mentions')
        .select((eb) => [
          eb.fn.countAll<number>().as('rows'),
          sql<number>`count(distinct (source_id, external_id))`.as('distinct'),
        ])
        .where('external_id', 'like', `%-r${r}-%`)
        .executeTakeFirstOrThrow();
      return { rows: Number(row.rows), distinct: Number(row.distinct) };
    }

    /** Makes these sources (indexes) due now; the rest stays a day away. */
    async function makeDue(indexes: readonly number[], ageSeconds = 1): Promise<void> {
      await db
        .updateTable('sources')
        .set({ next_poll_at: sql`now() - make_interval(secs => ${ageSeconds})` })
        .where(
          'id',
          'in',
          indexes.map((i) => idOf[i] as number),
        )
        .execute();
    }

    /** One round: every source due at once; resolves when all were polled, with what it took. */
    async function runRound(): Promise<{
      round: number;
      spanMs: number;
      byWorker: Map<string, { polled: number; failed: number }>;
    }> {
      round++;
      const r = round;
      const afterRunId = await lastRunId();
      await makeDue(Array.from({ length: SOURCES }, (_, i) => i));
      await waitFor(
        `round ${r}: ${SOURCES} sources polled`,
        async () => total(await pollsByWorker(afterRunId)) >= SOURCES,
        TICK_MS + 90_000,
      );
      // A second poll of any source would show up now.
      await sleep(2_000);
      const seen = fetchesOf(r);
      const times = seen.map((f) => f.at);
      return {
        round: r,
        spanMs: Math.max(...times) - Math.min(...times),
        byWorker: await pollsByWorker(afterRunId),
      };
    }

    /** Each source fetched exactly once in round `r` and each of its items stored exactly once. */
    async function expectEachPolledOnce(
      r: number,
      byWorker: Map<string, { polled: number; failed: number }>,
    ) {
      const perSource = new Map<number, number>();
      for (const f of fetchesOf(r)) perSource.set(f.source, (perSource.get(f.source) ?? 0) + 1);
      const notOnce = [...Array(SOURCES).keys()].filter((i) => perSource.get(i) !== 1);
      expect(
        notOnce.map((i) => `${i}: ${perSource.get(i) ?? 0}`),
        `round ${r}: fetches per source`,
      ).toEqual([]);
      expect(total(byWorker), JSON.stringify([...byWorker])).toBe(SOURCES);
      expect([...byWorker.values()].reduce((n, w) => n + w.failed, 0)).toBe(0);
      expect(await mentionsOfRound(r)).toEqual({
        rows: SOURCES * ITEMS_PER_ROUND,
        distinct: SOURCES * ITEMS_PER_ROUND,
      });
    }

    beforeAll(async () => {
      database = await createProcessDatabase('earshot_workers');
      if (!database) throw new Error('no TEST_DATABASE_URL');
      handle = await createDb({ kind: 'postgres', url: database.url, maxConnections: 4 });
      db = handle.db;
      await migrateToLatest(db);

      for (let h = 0; h < HOSTS; h++) upstreams.push(await startFakeUpstream());
      await insertBrand(db, { name: 'Acme', kind: 'own', include_terms: ['Acme'], exclude_terms: [] });
      for (let i = 0; i < SOURCES; i++) {
        const upstream = upstreams[i % HOSTS] as FakeUpstream;
        const path = `/feed/${i}`;
        upstream.on(path, (req, res) => {
          fetches.push({ source: i, round, at: Date.now() });
          const body = feedFor(i, round);
          inFlight++;
          res.on('close', () => inFlight--);
          if (hangOnce.delete(i)) return; // never answered: the poller hangs until it gives up or dies
          const delay = slowOnce.get(i);
          slowOnce.delete(i);
          if (delay) setTimeout(() => serveFeed(body)(req, res), delay);
          else serveFeed(body)(req, res);
        });
        // Driven by next_poll_at, not by the interval: an hour keeps a round from polling anything twice.
        const source = await insertSource(db, {
          name: `feed ${i}`,
          kind: 'rss',
          options: { url: upstream.url(path) },
          pollIntervalSeconds: 3600,
        });
        idOf[i] = source.id;
      }
      // Nothing due until a round says so.
      await db.updateTable('sources').set({ next_poll_at: sql`now() + interval '1 day'` }).execute();
    }, 60_000);

    afterAll(async () => {
      for (const w of workers) {
        if (w.child.exitCode === null && w.child.signalCode === null) {
          w.child.kill('SIGCONT');
          w.child.kill('SIGKILL');
          await exitOf(w.child);
        }
      }
      await Promise.all(upstreams.map((u) => u.close()));
      await handle?.close();
      await database?.drop();
    });

    it('polls every source exactly once per round, stores each item once, and shares the work among workers', async () => {
      const first = await startWorker();
      const alone = await runRound();
      await expectEachPolledOnce(alone.round, alone.byWorker);
      expect([...alone.byWorker.keys()]).toEqual([workerName(first)]);

      await Promise.all([startWorker(), startWorker()]);
      const shared: number[] = [];
      for (let i = 0; i < 2; i++) {
        const { round: r, spanMs, byWorker } = await runRound();
        await expectEachPolledOnce(r, byWorker);
        shared.push(spanMs);
        // Every worker took a fair part (a third each, give or take who ticked first).
        for (const w of workers) {
          const polled = byWorker.get(workerName(w))?.polled ?? 0;
          expect(polled, `round ${r}: ${JSON.stringify([...byWorker])}`).toBeGreaterThanOrEqual(
            SOURCES * 0.15,
          );
        }
      }
      const threeWorkers = Math.min(...shared);
      console.info(
        `${SOURCES} sources per round: 1 worker ${alone.spanMs} ms, 3 workers ${threeWorkers} ms (best of 2): ` +
          `${(alone.spanMs / threeWorkers).toFixed(2)}x the throughput`,
      );
      expect(
        await db
          .selectFrom('mentions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      ).toEqual({
        n: 3 * SOURCES * ITEMS_PER_ROUND,
      });
    }, 240_000);

    it('sends each queued alert delivery exactly once, whichever worker claims it', async () => {
      const receiver = await startWebhookReceiver();
      try {
        const afterRunId = await lastRunId();
        const channel = await db
          .insertInto('alert_channels')
          .values({
            name: 'scale hook',
            kind: 'webhook',
            url: JSON.stringify(receiver.url()),
            secret: null,
            updated_at: new Date(),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const now = new Date();
        const messageIds = Array.from(
          { length: DELIVERIES },
          (_, n) => `msg_scale${String(n).padStart(4, '0')}`,
        );
        await db
          .insertInto('alert_deliveries')
          .values(
            messageIds.map((messageId, n) => ({
              message_id: messageId,
              channel_id: channel.id,
              incident_id: null,
              kind: 'test',
              payload: JSON.stringify({
                type: 'test',
                createdAt: now.toISOString(),
                brand: null,
                rule: null,
                incident: null,
                summary: `scale test delivery ${n}`,
                details: {},
                events: [],
              }),
              next_attempt_at: now,
              created_at: now,
            })),
          )
          .execute();
        await waitFor(
          `${DELIVERIES} deliveries delivered`,
          async () =>
            (
              await db
                .selectFrom('alert_deliveries')
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .where('status', '=', 'delivered')
                .executeTakeFirstOrThrow()
            ).n === DELIVERIES,
          30_000,
        );
        await sleep(1_500);
        const received = receiver.received.map((r) => String(r.headers['webhook-id']));
        expect(received.length, 'requests received').toBe(DELIVERIES);
        expect(new Set(received)).toEqual(new Set(messageIds));
        const attempts = await db
          .selectFrom('alert_delivery_attempts')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        expect(attempts.n).toBe(DELIVERIES);
        const runs = await db
          .selectFrom('job_runs')
          .select(['worker', 'counts'])
          .where('job', '=', 'deliver-alerts')
          .where('id', '>', afterRunId)
          .execute();
        const delivered = new Map<string, number>();
        for (const run of runs) {
          const n = (run.counts as Record<string, number>).delivered ?? 0;
          if (n > 0) delivered.set(run.worker, (delivered.get(run.worker) ?? 0) + n);
        }
        console.info(
          `${DELIVERIES} deliveries sent by ${delivered.size} workers: ${JSON.stringify([...delivered.values()])}`,
        );
        expect([...delivered.values()].reduce((a, b) => a + b, 0)).toBe(DELIVERIES);
      } finally {
        await receiver.close();
      }
    }, 60_000);

    it('takes over the sources of a worker killed mid-poll once their lease runs out', async () => {
      const [victim, ...others] = workers;
      if (!victim || others.length === 0) throw new Error('the first test starts three workers');
      round++;
      const r = round;
      // Four sources on four hosts (the client paces each host), one per lane of the victim.
      const hung = [0, 1, 2, 3];
      const afterRunId = await lastRunId();
      // Only the victim is running while the sources are claimed: the others are paused.
      for (const w of others) w.child.kill('SIGSTOP');
      let claimedAt: number;
      try {
        for (const i of hung) hangOnce.add(i);
        await makeDue(hung);
        await waitFor(
          'the victim to be hanging on four polls',
          async () => inFlight === hung.length,
          TICK_MS + MARGIN_MS,
        );
        claimedAt = Math.min(...fetchesOf(r).map((f) => f.at));
        const leases = await db
          .selectFrom('sources')
          .select('next_poll_at')
          .where(
            'id',
            'in',
            hung.map((i) => idOf[i] as number),
          )
          .execute();
        // Claimed: leased for LEASE_SECONDS from the claim.
        for (const lease of leases) expect(lease.next_poll_at.getTime()).toBeGreaterThan(Date.now());
        victim.child.kill('SIGKILL');
        expect(await exitOf(victim.child)).toBeNull();
      } finally {
        for (const w of others) w.child.kill('SIGCONT');
      }

      await waitFor(
        'the hung sources to be taken over',
        async () =>
          (
            await db
              .selectFrom('sources')
              .select('id')
              .where(
                'id',
                'in',
                hung.map((i) => idOf[i] as number),
              )
              .where('last_success_at', 'is not', null)
              .where('last_success_at', '>=', new Date(claimedAt))
              .execute()
          ).length === hung.length,
        LEASE_SECONDS * 1000 + TICK_MS + 2 * MARGIN_MS,
      );
      const takenOver = await db
        .selectFrom('sources')
        .select((eb) => eb.fn.max('last_success_at').as('at'))
        .where(
          'id',
          'in',
          hung.map((i) => idOf[i] as number),
        )
        .executeTakeFirstOrThrow();
      const afterMs = new Date(takenOver.at as Date).getTime() - claimedAt;
      console.info(
        `killed worker's sources taken over ${afterMs} ms after their claim (lease ${LEASE_SECONDS} s)`,
      );
      // Not before the lease ran out (nobody polls a claimed source), and within a tick of it.
      expect(afterMs).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 1_000);
      expect(afterMs).toBeLessThanOrEqual(LEASE_SECONDS * 1000 + TICK_MS + MARGIN_MS);

      await sleep(1_000);
      // Each hung source was fetched twice (the killed poll, then the takeover), nothing else at all.
      const perSource = new Map<number, number>();
      for (const f of fetchesOf(r)) perSource.set(f.source, (perSource.get(f.source) ?? 0) + 1);
      expect(Object.fromEntries(perSource)).toEqual({ 0: 2, 1: 2, 2: 2, 3: 2 });
      expect(await mentionsOfRound(r)).toEqual({
        rows: hung.length * ITEMS_PER_ROUND,
        distinct: hung.length * ITEMS_PER_ROUND,
      });
      const byWorker = await pollsByWorker(afterRunId);
      expect(byWorker.get(workerName(victim))?.polled ?? 0, 'the victim died mid-run: nothing recorded').toBe(
        0,
      );
      expect(total(byWorker)).toBe(hung.length);
    }, 90_000);

    it('on SIGTERM a worker claims nothing more, finishes what answers, gives back what hangs, and exits 0', async () => {
      const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
      const [stopping, other] = alive;
      if (!stopping || !other) throw new Error('two workers should be left');
      round++;
      const r = round;
      // Claimed oldest first: the hung and the slow ones fill the four lanes, the rest waits. Each
      // of the four on a host of its own (the client paces each host).
      const hung = [10, 11];
      const slow = [12, 13];
      const waiting = [14, 15, 16, 17];
      const ids = (indexes: number[]) => indexes.map((i) => idOf[i] as number);
      // Only the worker to stop is running while the sources are claimed: the other is paused.
      other.child.kill('SIGSTOP');
      const roundStartedAt = Date.now();
      try {
        for (const i of hung) hangOnce.add(i);
        for (const i of slow) slowOnce.set(i, 1_500);
        await makeDue(hung, 30);
        await makeDue(slow, 20);
        await makeDue(waiting, 10);
        await waitFor('four polls under way', async () => inFlight === 4, TICK_MS + MARGIN_MS);
        const claimed = await db
          .selectFrom('sources')
          .select('next_poll_at')
          .where('id', 'in', ids(hung))
          .execute();
        const leaseUntil = Math.min(...claimed.map((c) => c.next_poll_at.getTime()));
        const termAt = Date.now();
        stopping.child.kill('SIGTERM');
        const code = await exitOf(stopping.child);
        const exitMs = Date.now() - termAt;
        expect(code, stopping.output()).toBe(0);
        console.info(
          `SIGTERM with two polls hanging: exited 0 after ${exitMs} ms (deadline ${SHUTDOWN_SECONDS} s)`,
        );
        // It waited for the hung polls until the deadline, not for their HTTP timeout.
        expect(exitMs).toBeGreaterThanOrEqual(SHUTDOWN_SECONDS * 1000 - 500);
        expect(exitMs).toBeLessThan(SHUTDOWN_SECONDS * 1000 + 4_000);

        const rows = await db
          .selectFrom('sources')
          .select(['id', 'next_poll_at', 'last_success_at'])
          .where('id', 'in', ids([...hung, ...slow, ...waiting]))
          .execute();
        const row = (i: number) => rows.find((x) => x.id === idOf[i]);
        // The slow polls finished before the deadline and were stored.
        const succeededAt = (i: number) => row(i)?.last_success_at?.getTime() ?? 0;
        for (const i of slow) expect(succeededAt(i), `source ${i}`).toBeGreaterThanOrEqual(roundStartedAt);
        expect((await mentionsOfRound(r)).rows).toBe(slow.length * ITEMS_PER_ROUND);
        // The hung ones were given back, due now: not left leased until their lease runs out.
        for (const i of hung) {
          expect(succeededAt(i), `source ${i}`).toBeLessThan(roundStartedAt);
          expect(row(i)?.next_poll_at.getTime(), `source ${i}`).toBeLessThan(leaseUntil);
          expect(row(i)?.next_poll_at.getTime(), `source ${i}`).toBeLessThanOrEqual(Date.now());
        }
        // Nothing was claimed after SIGTERM: the waiting ones are still due, and were never fetched.
        for (const i of waiting) expect(row(i)?.next_poll_at.getTime(), `source ${i}`).toBeLessThan(termAt);
        expect(fetchesOf(r).filter((f) => waiting.includes(f.source))).toEqual([]);
      } finally {
        other.child.kill('SIGCONT');
      }

      // The other worker polls what was given back and what was waiting, at its next tick.
      await waitFor(
        'the other worker to poll the rest',
        async () => (await mentionsOfRound(r)).rows === 8 * ITEMS_PER_ROUND,
        TICK_MS + 2 * MARGIN_MS,
      );
      await sleep(1_000);
      const perSource = new Map<number, number>();
      for (const f of fetchesOf(r)) perSource.set(f.source, (perSource.get(f.source) ?? 0) + 1);
      expect(Object.fromEntries(perSource)).toEqual({
        10: 2,
        11: 2,
        12: 1,
        13: 1,
        14: 1,
        15: 1,
        16: 1,
        17: 1,
      });
      expect(await mentionsOfRound(r)).toEqual({ rows: 8 * ITEMS_PER_ROUND, distinct: 8 * ITEMS_PER_ROUND });
    }, 90_000);
  },
);
