/**
 * Crash and fault proof (issue #9): worker processes (real `src/node.ts`, EARSHOT_ROLE=worker) are
 * SIGKILLed at random moments, again and again, while they poll RSS feeds that keep growing and
 * deliver the alerts those mentions fire to a webhook receiver that is sometimes slow (so kills land
 * mid-delivery) and sometimes busy (503: retried). Each kill is followed by a restart; now and then a
 * worker is stopped with SIGTERM instead, and must exit 0 having handed back what it held.
 *
 * After each restart: no mention stored twice or made up, and every stored mention has its alert and
 * that alert its outbox row (one transaction). At the end, after a calm period: every feed item stored
 * exactly once, every alert delivered, every request the receiver got signed and under a webhook-id
 * that is exactly one delivery's, and an alert seen twice only under the same webhook-id (the
 * documented at-least-once duplicate: counted and reported).
 *
 * Time is driven through the database, as in workers.test.ts: sources are made due just before the
 * workers' 10-second poll tick; deliveries claimed by a killed worker have their five-minute lease
 * ended once the claim is clearly stranded (none of it sent for 8 s, when a live run sends one every
 * second or two), as the clock would.
 *
 * The test's choices (feed items, kill moments and signals, receiver answers) come from one seed,
 * printed; KILL_TEST_SEED=<seed> replays them (process timing is the machine's own).
 *
 * Needs TEST_DATABASE_URL: PGlite is one process, so there is nothing to share there.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../db/create-db.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { insertBrand } from '../../db/queries/brands.ts';
import { insertSource } from '../../db/queries/sources.ts';
import type { Database } from '../../db/schema.ts';
import { generateWebhookSecret } from '../../src/alerts/channels.ts';
import type { AlertMessage } from '../../src/alerts/message.ts';
import { TEST_DATABASE_URL } from '../helpers/db.ts';
import { createProcessDatabase, exitOf, type Started, startEarshot } from '../helpers/earshot-process.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { seededRandom } from '../helpers/fault-upstream.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const SOURCES = 24;
/** The HTTP client paces requests per host: a few hosts, so pacing is not what is measured. */
const HOSTS = 8;
const WORKERS = 3;
const MIN_SIGKILLS = 20;
/** A stop is a SIGTERM rather than a SIGKILL this often. */
const SIGTERM_SHARE = 0.12;
const LEASE_SECONDS = 10;
const SHUTDOWN_SECONDS = 2;
/** The poll-sources job's tick (jobs/index.ts): every 10 s on the wall clock. */
const TICK_MS = 10_000;
/** A claim none of whose deliveries was sent for this long is stranded (its worker was killed). */
const STALLED_MS = 8_000;

const SEED = Number(process.env.KILL_TEST_SEED ?? Math.floor(Math.random() * 2 ** 32));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

const pick = <T>(random: () => number, list: readonly T[]): T =>
  list[Math.floor(random() * list.length)] as T;

/** Short texts (under the 12 words syndication compares), so no two items read as one story. */
const SUBJECTS = ['parcel', 'refund', 'app', 'checkout', 'support chat', 'invoice', 'courier', 'update'];
const VERDICTS = [
  'was late again, awful',
  'works great, thank you',
  'broke after a week',
  'is fine I guess',
  'never answered me, terrible',
  'arrived early, love it',
  'charged me twice',
];

type FeedItem = { guid: string; title: string; text: string; pubDate: string };
type Kill = { worker: number; signal: 'SIGKILL' | 'SIGTERM'; msAfterTick: number; code: number | null };

describe.skipIf(!TEST_DATABASE_URL)(
  'workers killed at random moments during ingest and delivery (needs TEST_DATABASE_URL; skipped on PGlite, which is one process)',
  () => {
    let database: { url: string; drop: () => Promise<void> } | undefined;
    let handle: DbHandle;
    let db: Kysely<Database>;
    let receiver: WebhookReceiver;
    const upstreams: FakeUpstream[] = [];
    const started: Started[] = [];
    const dataDir = mkdtempSync(join(tmpdir(), 'earshot-kill-'));
    const secret = generateWebhookSecret();
    /** Every item each source's feed has served or serves: the feed only grows. */
    const feeds: FeedItem[][] = Array.from({ length: SOURCES }, () => []);
    const fetches: number[] = Array.from({ length: SOURCES }, () => 0);
    const idOf: number[] = [];
    const feedRandom = seededRandom(SEED);
    const answerRandom = seededRandom(SEED ^ 0x5bd1e995);

    const startWorker = async () => {
      const worker = await startEarshot({
        DATABASE_URL: database?.url ?? '',
        EARSHOT_ROLE: 'worker',
        EARSHOT_DATA_DIR: dataDir,
        EARSHOT_POLL_CONCURRENCY: '4',
        EARSHOT_POLL_LEASE_SECONDS: String(LEASE_SECONDS),
        EARSHOT_SHUTDOWN_SECONDS: String(SHUTDOWN_SECONDS),
      });
      started.push(worker);
      return worker;
    };

    /** New items at the top of some feeds (each source gets one, a few two). */
    function growFeeds(): void {
      for (const [s, feed] of feeds.entries()) {
        const count = feedRandom() < 0.25 ? 2 : 1;
        for (let k = 0; k < count; k++) {
          const guid = `k${s}-${feed.length}`;
          feed.push({
            guid,
            title: `Acme ${pick(feedRandom, SUBJECTS)} ${guid}`,
            text: `The Acme ${pick(feedRandom, SUBJECTS)} ${pick(feedRandom, VERDICTS)}.`,
            pubDate: new Date().toUTCString(),
          });
        }
      }
    }

    function feedXml(s: number): string {
      const items = (feeds[s] ?? [])
        .map(
          (item) => `<item><guid>${item.guid}</guid><title>${item.title}</title>
            <link>https://reviews.example.com/${item.guid}</link>
            <description>${item.text}</description><pubDate>${item.pubDate}</pubDate></item>`,
        )
        .join('\n');
      return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>feed ${s}</title>
        <link>https://reviews.example.com</link><description>d</description><language>en-us</language>
        ${items}</channel></rss>`;
    }

    const generated = () => feeds.reduce((n, f) => n + f.length, 0);

    /**
     * Makes due the sources that wait for their next interval (polled, an hour away), not those a
     * worker holds (leased for seconds): as time passing would.
     */
    async function makeIdleSourcesDue(only?: readonly number[]): Promise<void> {
      let update = db
        .updateTable('sources')
        .set({ next_poll_at: sql`now() - interval '1 second'` })
        .where('next_poll_at', '>', sql<Date>`now() + interval '60 seconds'`);
      if (only) {
        if (only.length === 0) return;
        update = update.where('id', 'in', [...only]);
      }
      await update.execute();
    }

    /** Deliveries still 'sending' per claim (a claim's rows share its lease), and since when. */
    const claims = new Map<number, { sending: number; since: number }>();
    let endedClaims = 0;
    /**
     * Ends the lease of each claim that has sent nothing for STALLED_MS: its worker is gone, and
     * the clock would end it. What a live worker holds moves every second or two.
     */
    async function endStrandedLeases(): Promise<number> {
      const rows = await db
        .selectFrom('alert_deliveries')
        .select(['lease_until', (eb) => eb.fn.countAll<number>().as('n')])
        .where('status', '=', 'sending')
        .where('lease_until', '>', sql<Date>`now()`)
        .groupBy('lease_until')
        .execute();
      const now = Date.now();
      const current = new Set<number>();
      let ended = 0;
      for (const row of rows) {
        const leaseUntil = row.lease_until as Date;
        const key = leaseUntil.getTime();
        current.add(key);
        const seen = claims.get(key);
        if (!seen || seen.sending !== Number(row.n)) {
          claims.set(key, { sending: Number(row.n), since: now });
          continue;
        }
        if (now - seen.since < STALLED_MS) continue;
        const result = await db
          .updateTable('alert_deliveries')
          .set({ lease_until: sql`now() - interval '1 millisecond'` })
          .where('status', '=', 'sending')
          .where('lease_until', '=', leaseUntil)
          .executeTakeFirst();
        ended += Number(result.numUpdatedRows);
        endedClaims++;
      }
      for (const key of claims.keys()) if (!current.has(key)) claims.delete(key);
      return ended;
    }

    const count = async (query: ReturnType<typeof sql<{ n: number }>>) =>
      Number((await query.execute(db)).rows[0]?.n ?? 0);

    /** What must hold at any moment, whatever was killed when. */
    async function expectConsistent(when: string): Promise<void> {
      const stored = await db.selectFrom('mentions').select(['source_id', 'external_id']).execute();
      const served = new Set(feeds.flatMap((f, s) => f.map((item) => `${idOf[s]}/${item.guid}`)));
      const keys = stored.map((m) => `${m.source_id}/${m.external_id}`);
      expect(new Set(keys).size, `${when}: a mention stored twice`).toBe(keys.length);
      expect(
        keys.filter((k) => !served.has(k)),
        `${when}: mentions no feed served`,
      ).toEqual([]);
      // A mention, its alert and that alert's outbox row commit together or not at all.
      expect(
        await count(sql<{ n: number }>`select count(*) as n from mentions m
          where not exists (select 1 from alert_events e where e.mention_id = m.id)`),
        `${when}: mentions without their alert`,
      ).toBe(0);
      expect(
        await count(sql<{ n: number }>`select count(*) as n from alert_events e
          where not exists (select 1 from alert_deliveries d
            where (d.payload -> 'events' -> 0 ->> 'id')::bigint = e.id)`),
        `${when}: alerts without their delivery`,
      ).toBe(0);
      expect(
        await count(sql<{ n: number }>`select count(*) as n from alert_deliveries
          where status not in ('pending', 'sending', 'delivered')`),
        `${when}: deliveries failed or cancelled`,
      ).toBe(0);
    }

    beforeAll(async () => {
      database = await createProcessDatabase('earshot_kill');
      if (!database) throw new Error('no TEST_DATABASE_URL');
      handle = await createDb({ kind: 'postgres', url: database.url, maxConnections: 4 });
      db = handle.db;
      await migrateToLatest(db);

      receiver = await startWebhookReceiver({ secret });
      receiver.answer(() => {
        const r = answerRandom();
        if (r < 0.02) return { status: 503, body: 'busy' };
        if (r < 0.25) return { status: 200, body: 'ok', delayMs: 300 + Math.floor(answerRandom() * 1_200) };
        return { status: 200, body: 'ok' };
      });

      for (let h = 0; h < HOSTS; h++) upstreams.push(await startFakeUpstream());
      const brand = await insertBrand(db, {
        name: 'Acme',
        kind: 'own',
        include_terms: ['Acme'],
        exclude_terms: [],
      });
      for (let s = 0; s < SOURCES; s++) {
        const upstream = upstreams[s % HOSTS] as FakeUpstream;
        const path = `/feed/${s}`;
        upstream.on(path, (req, res) => {
          fetches[s] = (fetches[s] ?? 0) + 1;
          return serveFeed(feedXml(s))(req, res);
        });
        const source = await insertSource(db, {
          name: `feed ${s}`,
          kind: 'rss',
          options: { url: upstream.url(path) },
          pollIntervalSeconds: 3600,
        });
        idOf[s] = source.id;
      }
      await db.updateTable('sources').set({ next_poll_at: sql`now() + interval '1 day'` }).execute();

      const channel = await db
        .insertInto('alert_channels')
        .values({
          name: 'kill hook',
          kind: 'webhook',
          url: JSON.stringify(receiver.url()),
          secret: JSON.stringify(secret),
          updated_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      // Every mention fires, each its own alert (no grouping, no cooldown, no flood cap).
      const anHourAgo = new Date(Date.now() - 3_600_000);
      await db
        .insertInto('alert_rules')
        .values({
          name: 'every mention',
          brand_id: brand.id,
          kind: 'negative_mention',
          conditions: JSON.stringify({
            labels: ['negative', 'mixed', 'neutral', 'positive'],
            groupWindowMinutes: 0,
          }),
          channel_ids: [channel.id],
          cooldown_minutes: 0,
          max_alerts_per_hour: null,
          created_at: anHourAgo,
          updated_at: anHourAgo,
        })
        .execute();
    }, 60_000);

    afterAll(async () => {
      for (const w of started) {
        if (w.child.exitCode === null && w.child.signalCode === null) {
          w.child.kill('SIGKILL');
          await exitOf(w.child);
        }
      }
      await receiver?.close();
      await Promise.all(upstreams.map((u) => u.close()));
      await handle?.close();
      await database?.drop();
    });

    it(`loses and duplicates nothing across at least ${MIN_SIGKILLS} SIGKILLs, and delivers every alert`, async () => {
      const t0 = Date.now();
      console.info(`kill test seed ${SEED} (KILL_TEST_SEED=${SEED} replays the test's choices)`);
      const slots: Started[] = await Promise.all(Array.from({ length: WORKERS }, () => startWorker()));
      const kills: Kill[] = [];
      const sigkills = () => kills.filter((k) => k.signal === 'SIGKILL').length;
      let over = false;
      let rounds = 0;
      let stranded = 0;
      const restarts: number[] = [];

      // Just before each poll tick: new items in every feed, and the sources not held made due.
      const feeder = async () => {
        while (!over) {
          const nextTick = Math.ceil((Date.now() + 2_500) / TICK_MS) * TICK_MS;
          await sleep(nextTick - 2_000 - Date.now());
          if (over) break;
          growFeeds();
          rounds++;
          await makeIdleSourcesDue();
        }
      };

      // Each worker slot: wait for a moment, stop the worker (mostly SIGKILL), restart it, check.
      const killer = async (slot: number) => {
        const random = seededRandom(SEED + 1 + slot);
        while (!over && sigkills() < MIN_SIGKILLS) {
          // Most kills in the 3 s after a poll tick (ingest, and the deliveries its commits wake):
          // this tick's if there is time left, else the next one's. The rest at any moment
          // (deliveries of the backlog, retries, idle).
          const now = Date.now();
          const tick = Math.floor(now / TICK_MS) * TICK_MS;
          const inWindow = now < tick + 2_500;
          const at =
            random() < 0.6
              ? inWindow
                ? now + random() * (tick + 3_000 - now)
                : tick + TICK_MS + random() * 3_000
              : now + 300 + random() * 4_000;
          const signal = random() < SIGTERM_SHARE ? 'SIGTERM' : 'SIGKILL';
          await sleep(at - Date.now());
          if (over || sigkills() >= MIN_SIGKILLS) break;
          const victim = slots[slot] as Started;
          const msAfterTick = Date.now() % TICK_MS;
          victim.child.kill(signal);
          const code = await exitOf(victim.child);
          kills.push({ worker: slot, signal, msAfterTick, code });
          if (signal === 'SIGTERM') expect(code, victim.output()).toBe(0);
          const restartAt = Date.now();
          slots[slot] = await startWorker();
          restarts.push(Date.now() - restartAt);
          await expectConsistent(`after restart ${kills.length} (${signal} of worker ${slot})`);
        }
      };

      // Calm: the workers run undisturbed until every item is stored and every alert delivered;
      // then everything is checked.
      const calm = async () => {
        const chaosMs = Date.now() - t0;
        await waitFor(
          `all ${generated()} feed items stored`,
          async () => {
            const stored = await db
              .selectFrom('mentions')
              .select(['source_id', (eb) => eb.fn.countAll<number>().as('n')])
              .groupBy('source_id')
              .execute();
            const have = new Map(stored.map((r) => [r.source_id, Number(r.n)]));
            const behind = idOf.filter((id, s) => (have.get(id) ?? 0) < (feeds[s]?.length ?? 0));
            // A poll that fetched before the last items were added: its source is due once more.
            await makeIdleSourcesDue(behind);
            return behind.length === 0;
          },
          LEASE_SECONDS * 1000 + 3 * TICK_MS,
        );
        await waitFor(
          'every alert delivered',
          async () =>
            (await count(
              sql<{ n: number }>`select count(*) as n from alert_deliveries where status <> 'delivered'`,
            )) === 0,
          60_000,
        );
        // Anything still on its way would arrive now.
        await sleep(1_500);
        await expectConsistent('at the end');

        // Every feed item stored exactly once.
        const stored = await db.selectFrom('mentions').select(['id', 'source_id', 'external_id']).execute();
        for (const [s, feed] of feeds.entries()) {
          const ids = stored
            .filter((m) => m.source_id === idOf[s])
            .map((m) => m.external_id)
            .sort();
          expect(ids, `source ${s}`).toEqual(feed.map((item) => item.guid).sort());
        }
        expect(stored.length).toBe(generated());

        // Every mention one alert, every alert one delivery, delivered.
        const events = await db.selectFrom('alert_events').select(['id', 'mention_id']).execute();
        expect(events.map((e) => Number(e.mention_id)).sort((a, b) => a - b)).toEqual(
          stored.map((m) => Number(m.id)).sort((a, b) => a - b),
        );
        const deliveries = await db
          .selectFrom('alert_deliveries')
          .select(['id', 'message_id', 'status', 'attempts', 'payload'])
          .execute();
        const eventOf = (payload: unknown) => (payload as AlertMessage).events[0]?.id;
        expect(deliveries.map((d) => eventOf(d.payload)).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
          events.map((e) => Number(e.id)).sort((a, b) => a - b),
        );
        expect(deliveries.filter((d) => d.status !== 'delivered')).toEqual([]);

        // At the receiver: signed, under a webhook-id that is one delivery's, the message it holds;
        // every delivery arrived; an alert seen twice only under its one webhook-id.
        const byMessageId = new Map(deliveries.map((d) => [d.message_id, d]));
        const received = receiver.received;
        expect(
          received.filter((r) => !r.verified),
          'requests that fail verification',
        ).toEqual([]);
        const idsOfEvent = new Map<number, Set<string>>();
        for (const r of received) {
          const id = String(r.headers['webhook-id']);
          const delivery = byMessageId.get(id);
          expect(delivery, `webhook-id ${id} is no delivery's`).toBeDefined();
          expect(JSON.parse(r.body), `the body under ${id}`).toEqual(delivery?.payload);
          const event = eventOf(JSON.parse(r.body)) ?? 0;
          idsOfEvent.set(event, (idsOfEvent.get(event) ?? new Set()).add(id));
        }
        expect(
          [...idsOfEvent].filter(([, ids]) => ids.size > 1),
          'an alert under two webhook-ids',
        ).toEqual([]);
        const accepted = receiver.accepted().map((r) => String(r.headers['webhook-id']));
        const acceptedIds = new Set(accepted);
        expect(
          deliveries.filter((d) => !acceptedIds.has(d.message_id)).map((d) => d.message_id),
          'delivered but never accepted by the receiver',
        ).toEqual([]);

        expect(sigkills()).toBeGreaterThanOrEqual(MIN_SIGKILLS);
        const sigterms = kills.filter((k) => k.signal === 'SIGTERM');
        expect(sigterms.map((k) => k.code)).toEqual(sigterms.map(() => 0));
        // A duplicate is a send whose outcome was lost: one under way in a stopped worker (a worker
        // has at most two, the kick's run and the job's, one channel each) or in a claim whose lease
        // this test ended. More would be two workers sending one delivery at once.
        const duplicates = accepted.length - acceptedIds.size;
        expect(duplicates, 'more duplicates than stops can explain').toBeLessThanOrEqual(
          2 * kills.length + endedClaims,
        );
        const refused = received.length - accepted.length;
        const fetched = fetches.reduce((a, b) => a + b, 0);
        const handedBack = started
          .map((w) => (w.output().match(/given back/g) ?? []).length)
          .reduce((a, b) => a + b, 0);
        console.info(
          [
            `seed ${SEED}: ${sigkills()} SIGKILLs and ${sigterms.length} SIGTERMs (each followed by a restart) ` +
              `in ${rounds} rounds over ${Math.round(chaosMs / 1000)} s (a restart took ` +
              `${Math.round(Math.min(...restarts) / 1000)}–${Math.round(Math.max(...restarts) / 1000)} s); ` +
              `${kills.filter((k) => k.msAfterTick < 3_000).length} within 3 s of a poll tick`,
            `${generated()} feed items stored once each (${fetched} feed fetches); ${deliveries.length} alerts ` +
              `delivered; the receiver got ${received.length} requests: ${duplicates} at-least-once ` +
              `duplicates under the same webhook-id, ${refused} answered 503 and retried`,
            `${stranded} deliveries in ${endedClaims} claims stranded by kills retaken after their lease; ` +
              `${handedBack} hand-backs logged by SIGTERMed workers; total ${Math.round((Date.now() - t0) / 1000)} s`,
            `stops (worker:signal+ms after a tick): ${kills
              .map((k) => `${k.worker}:${k.signal === 'SIGKILL' ? 'K' : 'T'}+${k.msAfterTick}`)
              .join(' ')}`,
          ].join('\n'),
        );
      };

      // The delivery leases' clock, until every alert is delivered.
      let clockStopped = false;
      const leaseClock = async () => {
        while (!clockStopped) {
          stranded += await endStrandedLeases();
          await sleep(1_000);
        }
      };
      const clock = leaseClock();
      try {
        const feeding = feeder();
        // One killer failing stops the others (none leaves a worker behind for afterAll to miss).
        const killing = await Promise.allSettled(
          slots.map((_, slot) =>
            killer(slot).catch((error: unknown) => {
              over = true;
              throw error;
            }),
          ),
        );
        over = true;
        await feeding;
        const failed = killing.find((k): k is PromiseRejectedResult => k.status === 'rejected');
        if (failed) throw failed.reason;
        await calm();
      } finally {
        over = true;
        clockStopped = true;
        await clock;
      }
    }, 360_000);
  },
);
