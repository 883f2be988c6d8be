/**
 * Issue #9, "crash and fault proof": every polled connector (RSS, a Google Alerts Atom feed, Hacker
 * News, GitHub, Mastodon on two instances, Bluesky, the App Store, Reddit) against its fault-injecting
 * upstream for a sustained run. Push sources (POST /api/ingest, CSV import) are never polled: there is
 * no upstream to fault.
 *
 * Each round the upstreams grow (a few items, two bursts that make polls page), the seeded schedule
 * (./schedule.ts) queues the round's faults, the clock moves on past the longest back-off so every
 * source is due, and the real poll path runs: `pollDueSources` with the production HTTP transport
 * (createOutboundFetch, 127.0.0.1 allowed), one retry, retry waits recorded rather than slept, and a
 * 1.5 s client timeout in the slow rounds (10 s in the others, whose faults fail fast). After every
 * round, from the fault log of each upstream:
 * - a poll fails exactly when a fault was left unanswered (its request never answered whole on a
 *   later try), and its health names that request, with the right kind (timeout, network, http with
 *   the status, invalid), one more consecutive failure, and a next poll no sooner than Retry-After;
 * - a poll that succeeds leaves nothing unanswered, unless the connector is built to get past it
 *   (Bluesky logs in again when a refresh fails; Mastodon keeps what the other instance or the first
 *   pages brought, and says so in its warnings), and resets the failures;
 * - a Retry-After the client may wait for was waited for, in full;
 * - the mentions stored are the ones the polls reported (no failure is recorded after a commit);
 * - nothing is polled twice in one instant, nothing stays claimed, nothing is logged as an
 *   unexpected error.
 * After two fault-free rounds: every item served was stored exactly once, every fault kind fired at
 * every connector and every failure kind showed in its health, /metrics counted each failure in its
 * class, every source went through "failing" and is healthy again, and the heap (after a full
 * collection) did not grow from the first third of the run to the last.
 *
 * The seed is printed; FAULT_SEED=<seed> replays a schedule.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import type { SourceRow } from '../../db/schema.ts';
import { pollDueSources } from '../../jobs/poll-sources.ts';
import { createHttpClient, type HttpClient, type UpstreamErrorKind } from '../../sources/http.ts';
import { createBrand } from '../../src/catalog/brands.ts';
import { createSource, healthOf } from '../../src/catalog/sources.ts';
import type { Deps } from '../../src/deps.ts';
import type { PollResult } from '../../src/ingest/poll-source.ts';
import type { Logger } from '../../src/logger.ts';
import { createOutboundFetch } from '../../src/net/outbound.ts';
import { createTestDb, TEST_DATABASE_URL } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import {
  describeFault,
  type Exchange,
  expectedKind,
  type Fault,
  type FaultKind,
  faultStatus,
  seededRandom,
} from '../helpers/fault-upstream.ts';
import { exposeGc, heapAfterGc, heapGrowth, mb } from './heap.ts';
import { createSchedule, type Schedule } from './schedule.ts';
import { type Synthetic, startSyntheticUpstreams } from './upstreams.ts';

const SEED = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
/** FAULT_ROUNDS=<n> runs a longer soak (at least 28 rounds: every case needs its own). */
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 32);
/** The client timeout of slow rounds, the only ones with faults that cost a timeout. */
const TIMEOUT_MS = 1500;
/**
 * The client timeout of the other rounds: their faults fail fast, and a generous timeout keeps this
 * process's own work (NLP, PGlite, the upstreams) from timing out a request no fault touched.
 */
const FAST_ROUND_TIMEOUT_MS = 10_000;
/** Waits the client sits out in-process; a longer Retry-After fails the poll (the source backs off). */
const MAX_RETRY_AFTER_MS = 10_000;
const T0 = Date.UTC(2030, 0, 7);
/** Longer than the longest back-off (6 h) and Retry-After (4 h): every source is due each round. */
const STEP_MS = 7 * 3600_000;
const HEAP_GROWTH_LIMIT = 30 * 1024 * 1024;
const EVERY_FAULT: readonly FaultKind[] = [
  'hang',
  'late',
  'reset-headers',
  'reset-body',
  'server-error',
  'rate-limit',
  'short-body',
  'chunked-cut',
  'slow-ok',
  'slow-timeout',
  'cut-body',
];
const EVERY_KIND: readonly UpstreamErrorKind[] = ['timeout', 'network', 'http', 'invalid'];

const replay = `seed ${SEED}: FAULT_SEED=${SEED} replays it`;

/** The kind of failure a source's health shows: its stored class (`last_error_kind`), as an UpstreamErrorKind. */
function healthKind(row: SourceRow): string {
  switch (row.last_error_kind) {
    case 'timeout':
      return 'timeout';
    case 'network':
      return 'network';
    case 'parse':
      return 'invalid';
    case 'http_4xx':
    case 'http_5xx':
    case 'rate_limited':
      return row.last_error_status === null ? `http without a status (${row.last_error})` : 'http';
    default:
      return `unrecognised (${row.last_error_kind}: ${row.last_error})`;
  }
}

/** The metrics class of a fault's failure (src/metrics.ts). */
function metricsClass(fault: Fault): string {
  switch (expectedKind(fault)) {
    case 'timeout':
      return 'timeout';
    case 'network':
      return 'network';
    case 'invalid':
      return 'parse';
    default:
      return fault.kind === 'rate-limit' ? 'rate_limited' : 'http_5xx';
  }
}

/** A logger that keeps error logs (an unexpected error in the poll loop) and drops the rest. */
function errorRecorder(errors: string[]): Logger {
  const logger: Logger = {
    info: () => {},
    debug: () => {},
    warn: () => {},
    error: (fields: object | string, message?: string) => {
      if (errors.length < 50) errors.push(`${message ?? ''} ${JSON.stringify(fields)}`);
    },
    child: () => logger,
  };
  return logger;
}

type Unanswered = { server: number; url: string; exchange: Exchange & { fault: Fault } };

describe(`sustained faults against every polled connector (${replay})`, () => {
  let handle: DbHandle;
  let deps: Deps;
  let slowClient: HttpClient;
  let fastClient: HttpClient;
  let sims: Synthetic[];
  let schedule: Schedule;
  let simNow = new Date(T0);
  const gc = exposeGc();
  const sourceIds = new Map<string, number>();
  const waits: number[] = [];
  const loggedErrors: string[] = [];
  const violations: string[] = [];
  const heap: number[] = [];
  /** Typed arrays and buffers (response bodies, PGlite's in-memory files) live outside the V8 heap. */
  const buffers: number[] = [];
  const inserted = new Map<string, number>();
  const reported = new Map<number, number>();
  const timings: string[] = [];
  /** Per connector kind: faults that fired, failure kinds health showed, failure classes expected. */
  const fired = new Map<string, Set<FaultKind>>();
  const healthKinds = new Map<string, Set<string>>();
  const expectedClasses = new Map<string, number>();
  const reachedFailing = new Set<string>();
  let polls = 0;
  let failedPolls = 0;
  let faultsFired = 0;
  let completed = false;

  const add = <K, V>(map: Map<K, Set<V>>, key: K, value: V) => {
    const set = map.get(key) ?? new Set<V>();
    set.add(value);
    map.set(key, set);
  };

  beforeAll(async () => {
    console.log(`sustained fault run: ${replay}`);
    handle = await createTestDb();
    const jitter = seededRandom(SEED ^ 0x5eed);
    const client = (timeoutMs: number) =>
      createHttpClient({
        fetch: createOutboundFetch({ allow: ['127.0.0.1'] }),
        timeoutMs,
        retries: 1,
        maxRetryAfterMs: MAX_RETRY_AFTER_MS,
        perHostIntervalMs: 0,
        random: jitter,
        // Waits are recorded and cut short: the run checks them without sitting them out.
        sleep: (ms) => {
          waits.push(ms);
          return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
        },
      });
    slowClient = client(TIMEOUT_MS);
    fastClient = client(FAST_ROUND_TIMEOUT_MS);
    deps = createTestDeps(handle.db, {
      now: () => simNow,
      logger: errorRecorder(loggedErrors),
      http: fastClient,
    });
    await createBrand({ deps, input: { name: 'Acme', include: ['Acme'] } });
    const content = seededRandom(SEED ^ 0xc0ffee);
    sims = await startSyntheticUpstreams(content, { clientTimeoutMs: TIMEOUT_MS }, () => simNow);
    schedule = createSchedule(
      SEED,
      seededRandom(SEED),
      sims.map((s) => ({ name: s.name, servers: s.servers.length, pages: s.kind !== 'rss' })),
      ROUNDS,
    );
    for (const sim of sims) {
      const source = await createSource({
        deps,
        input: { name: sim.name, kind: sim.kind, options: sim.options },
      });
      sourceIds.set(sim.name, source.id);
    }
  });

  afterAll(async () => {
    for (const sim of sims ?? []) for (const server of sim.servers) await server.close();
    await handle?.close();
  });

  async function sourceRows(): Promise<Map<number, SourceRow>> {
    const rows = await handle.db.selectFrom('sources').selectAll().execute();
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Creation times for `count` new items in the round ending now, a few sharing a second. */
  function itemTimes(count: number, random: () => number): Date[] {
    const start = simNow.getTime() - STEP_MS;
    const gap = Math.floor(STEP_MS / (count + 1));
    const times: Date[] = [];
    for (let k = 0; k < count; k++) {
      const previous = times[k - 1];
      times.push(
        previous && random() < 0.2 ? previous : new Date(Math.floor((start + (k + 1) * gap) / 1000) * 1000),
      );
    }
    return times;
  }

  /** The faults each server left unanswered: the last exchange of a request was broken. */
  function unansweredOf(sim: Synthetic, exchanges: Exchange[][]): Unanswered[] {
    const out: Unanswered[] = [];
    exchanges.forEach((list, server) => {
      const last = new Map<string, Exchange>();
      for (const exchange of list) {
        last.set(`${exchange.method} ${exchange.target}`, exchange);
        if (exchange.fault) {
          add(fired, sim.kind, exchange.fault.kind);
          faultsFired++;
        }
      }
      for (const exchange of last.values()) {
        if (exchange.fault && expectedKind(exchange.fault) !== null)
          out.push({
            server,
            url: (sim.servers[server]?.origin ?? '') + exchange.target,
            exchange: exchange as Unanswered['exchange'],
          });
      }
    });
    return out;
  }

  /** Faults a successful poll may leave unanswered, because the connector is built to get past them. */
  function tolerated(sim: Synthetic, fault: Unanswered, row: SourceRow): boolean {
    // A refresh that fails falls back to a new login.
    if (sim.kind === 'bluesky') return fault.exchange.target.endsWith('com.atproto.server.refreshSession');
    // One instance (or a later page) failing keeps what the rest brought, and says so.
    if (sim.kind === 'mastodon') return healthOf(row, false).warnings.some((w) => w.includes(fault.url));
    return false;
  }

  function checkSource(
    round: number,
    sim: Synthetic,
    results: PollResult[],
    before: SourceRow,
    after: SourceRow,
    exchanges: Exchange[][],
  ): void {
    const episode = round < ROUNDS ? schedule.episode(sim.name, round) : undefined;
    const where = `round ${round}, ${sim.name}, ${episode ? `"${episode.label}"` : 'no fault queued'}`;
    const violation = (what: string) =>
      violations.push(
        `${where}: ${what}\n    exchanges: ${exchanges
          .map((list, i) =>
            list
              .map((e) => `[${i}] ${e.method} ${e.target} → ${e.fault ? describeFault(e.fault) : e.status}`)
              .join('; '),
          )
          .join(' | ')}`,
      );
    const unanswered = unansweredOf(sim, exchanges);
    const mine = results.filter((r) => r.sourceId === before.id);
    if (mine.length !== 1) {
      violation(`polled ${mine.length} times in one round`);
      return;
    }
    const result = mine[0] as PollResult;
    polls++;
    inserted.set(sim.name, (inserted.get(sim.name) ?? 0) + result.inserted);
    if (healthOf(after, false).status === 'failing') reachedFailing.add(sim.name);

    if (result.status === 'failed') {
      failedPolls++;
      if (after.consecutive_failures !== before.consecutive_failures + 1)
        violation(`consecutive failures ${before.consecutive_failures} → ${after.consecutive_failures}`);
      if (after.last_error_at?.getTime() !== simNow.getTime()) violation('the failure is not dated now');
      if (after.next_poll_at.getTime() <= simNow.getTime()) violation('a failed source is due again at once');
      if (unanswered.length === 0) {
        violation(`failed with every fault answered: ${result.error}`);
        return;
      }
      const cause = unanswered.find((u) => after.last_error?.startsWith(u.url));
      if (!cause) {
        violation(`health "${after.last_error}" names none of the unanswered requests`);
        return;
      }
      const expected = expectedKind(cause.exchange.fault) as UpstreamErrorKind;
      const shown = healthKind(after);
      add(healthKinds, sim.kind, shown);
      const key = `${sim.kind} ${metricsClass(cause.exchange.fault)}`;
      expectedClasses.set(key, (expectedClasses.get(key) ?? 0) + 1);
      if (shown !== expected)
        violation(
          `${describeFault(cause.exchange.fault)} shows as ${shown} in health, not ${expected}: ${after.last_error}`,
        );
      const status = faultStatus(cause.exchange.fault);
      if ((after.last_error_status ?? undefined) !== status)
        violation(`health status ${after.last_error_status}, the fault answered ${status ?? 'no status'}`);
      if (cause.exchange.fault.kind === 'rate-limit') {
        // An HTTP date has whole seconds and ages while the answer travels: a few seconds' slack
        // (the back-off alone would be half an hour, not hours).
        const { seconds, retryAfter } = cause.exchange.fault;
        const notBefore = simNow.getTime() + seconds * 1000 - (retryAfter === 'date' ? 5000 : 0);
        if (after.next_poll_at.getTime() < notBefore)
          violation(`next poll ${after.next_poll_at.toISOString()} comes before Retry-After`);
      }
      return;
    }
    for (const fault of unanswered) {
      if (!tolerated(sim, fault, after))
        violation(
          `${describeFault(fault.exchange.fault)} on ${fault.url} was never answered, yet the poll succeeded`,
        );
    }
    if (after.consecutive_failures !== 0)
      violation(`a good poll left ${after.consecutive_failures} failures`);
    if (after.last_success_at?.getTime() !== simNow.getTime()) violation('a good poll is not dated now');
  }

  /**
   * Retry-After waits the client may sit out: each 429 that was retried was waited for as long as it
   * asked (delta-seconds exactly; an HTTP date, to the second, less the time its answer took to read).
   */
  function checkWaits(round: number, roundWaits: number[], exchanges: Exchange[][][]): void {
    const asked: Array<{ seconds: number; form: 'seconds' | 'date' }> = [];
    for (const perServer of exchanges)
      for (const list of perServer)
        list.forEach((exchange, i) => {
          const fault = exchange.fault;
          if (fault?.kind !== 'rate-limit' || fault.seconds * 1000 > MAX_RETRY_AFTER_MS) return;
          const retried = list
            .slice(i + 1)
            .some((e) => e.method === exchange.method && e.target === exchange.target);
          if (retried) asked.push({ seconds: fault.seconds, form: fault.retryAfter });
        });
    // Backoff waits without Retry-After are 125–250 ms (one retry); Retry-After ones are longer.
    const long = roundWaits.filter((ms) => ms > 400).sort((a, b) => a - b);
    // Delta-seconds are waited exactly; each HTTP date takes one of the other waits, none longer than it asked.
    const rest = [...long];
    const exact = asked
      .filter((a) => a.form === 'seconds')
      .every(({ seconds }) => {
        const at = rest.indexOf(seconds * 1000);
        return at >= 0 && rest.splice(at, 1).length === 1;
      });
    const dates = asked
      .filter((a) => a.form === 'date')
      .map((a) => a.seconds * 1000)
      .sort((a, b) => a - b);
    const ok = exact && rest.length === dates.length && rest.every((wait, k) => wait <= (dates[k] as number));
    if (!ok)
      violations.push(
        `round ${round}: Retry-After waits ${JSON.stringify(long)} for retried 429s asking ${JSON.stringify(asked)}`,
      );
  }

  async function runRound(round: number): Promise<void> {
    const started = performance.now();
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const faulty = round < ROUNDS;
    simNow = new Date(T0 + round * STEP_MS);
    const content = seededRandom(SEED + round);
    for (const sim of sims) {
      const count = faulty ? schedule.newItems(sim.name, round) : round === ROUNDS ? 2 : 0;
      sim.add(itemTimes(count, content));
      const episode = faulty ? schedule.episode(sim.name, round) : undefined;
      sim.servers.forEach((server, i) => {
        if (episode && (episode.server === undefined || episode.server === i))
          server.inject({
            faults: episode.faults,
            skip: episode.skip,
            match: episode.dataOnly ? sim.isData : undefined,
          });
        else server.inject({ faults: [] });
      });
    }
    const before = await sourceRows();
    waits.length = 0;
    // A burst round polls one source at a time: its ingest (NLP, a big transaction) would otherwise hold
    // this one event loop long enough to time out another source's request, which no fault caused.
    const burst = faulty && schedule.kindOf(round) === 'burst';
    deps.http = faulty && schedule.kindOf(round) === 'slow' ? slowClient : fastClient;
    const results = await pollDueSources({ deps, input: { concurrency: burst ? 1 : sims.length } });
    const again = await pollDueSources({ deps, input: { concurrency: sims.length } });
    if (again.length > 0)
      violations.push(`round ${round}: ${again.length} sources polled twice in one instant`);
    const after = await sourceRows();
    // What the polls say they stored is what is stored: no poll reports a failure after its commit.
    const stored = await handle.db
      .selectFrom('mentions')
      .select(['source_id', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('source_id')
      .execute();
    for (const result of results)
      reported.set(result.sourceId, (reported.get(result.sourceId) ?? 0) + result.inserted);
    for (const row of stored) {
      if (Number(row.n) !== (reported.get(row.source_id) ?? 0))
        violations.push(
          `round ${round}: source ${row.source_id} has ${row.n} mentions, its polls reported ${reported.get(row.source_id) ?? 0}: ${JSON.stringify(results.find((r) => r.sourceId === row.source_id))}`,
        );
      reported.set(row.source_id, Number(row.n));
    }
    const exchanges = sims.map((sim) => sim.servers.map((server) => server.takeExchanges()));
    sims.forEach((sim, i) => {
      const id = sourceIds.get(sim.name) as number;
      checkSource(
        round,
        sim,
        results,
        before.get(id) as SourceRow,
        after.get(id) as SourceRow,
        exchanges[i] as Exchange[][],
      );
    });
    checkWaits(round, waits, exchanges);
    lag.disable();
    timings.push(`${round}:${Math.round(performance.now() - started)}ms/lag${Math.round(lag.max / 1e6)}`);
    heap.push(heapAfterGc(gc));
    buffers.push(process.memoryUsage().arrayBuffers);
  }

  it(`polls ${ROUNDS} rounds of faults, then two clean ones, and every outcome matches its faults`, {
    timeout: 240_000,
  }, async () => {
    for (let round = 0; round < ROUNDS + 2; round++) await runRound(round);
    completed = true;
    console.log(`rounds (wall time / worst event-loop delay): ${timings.join(' ')}`);
    const schedules = await handle.db
      .selectFrom('sources')
      .select(['name', 'next_poll_at', 'poll_interval_seconds'])
      .orderBy('name')
      .execute();
    console.log(
      `sustained fault run (${replay}): ${polls} polls, ${failedPolls} failed, ${faultsFired} faults fired, ` +
        `${[...inserted.values()].reduce((a, b) => a + b, 0)} mentions stored`,
    );
    expect(
      violations,
      `${violations.length} outcomes do not match their faults (${replay}):\n${violations.join('\n')}`,
    ).toEqual([]);
    expect(loggedErrors, `unexpected errors in the poll loop (${replay})`).toEqual([]);
    expect(
      schedules.map((r) => [r.name, r.next_poll_at.getTime() - simNow.getTime()]),
      'after a good poll each source is due one interval later: none left claimed or backed off',
    ).toEqual(schedules.map((r) => [r.name, r.poll_interval_seconds * 1000]));
  });

  it('stores every item served exactly once, none missing, none twice', async () => {
    expect(completed, `the run did not complete (${replay})`).toBe(true);
    const rows = await handle.db
      .selectFrom('mentions')
      .select(['source_id', 'external_id', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy(['source_id', 'external_id'])
      .execute();
    for (const sim of sims) {
      const id = sourceIds.get(sim.name);
      const stored = new Map(rows.filter((r) => r.source_id === id).map((r) => [r.external_id, Number(r.n)]));
      const expected = sim.expectedIds();
      const wanted = new Set(expected);
      expect(wanted.size, `${sim.name}: the upstream served distinct ids`).toBe(expected.length);
      const report = {
        missing: expected.filter((x) => !stored.has(x)),
        twice: [...stored].filter(([, n]) => n > 1).map(([x]) => x),
        unexpected: [...stored.keys()].filter((x) => !wanted.has(x)),
      };
      expect(
        report,
        `${sim.name}: ${expected.length} items served, ${stored.size} stored (${replay})`,
      ).toEqual({
        missing: [],
        twice: [],
        unexpected: [],
      });
      expect(inserted.get(sim.name), `${sim.name}: the polls reported every insert once`).toBe(
        expected.length,
      );
    }
  });

  it('fires every fault kind at every connector, and health shows every failure kind for each', () => {
    expect(completed, `the run did not complete (${replay})`).toBe(true);
    for (const kind of new Set(sims.map((s) => s.kind))) {
      expect([...(fired.get(kind) ?? [])].sort(), `${kind}: faults fired (${replay})`).toEqual(
        [...EVERY_FAULT].sort(),
      );
      expect(
        [...(healthKinds.get(kind) ?? [])].sort(),
        `${kind}: failure kinds in health (${replay})`,
      ).toEqual([...EVERY_KIND].sort());
    }
  });

  it('counts every failed poll by its class in /metrics', async () => {
    expect(completed, `the run did not complete (${replay})`).toBe(true);
    const metric = deps.metrics?.registry.getSingleMetric('earshot_source_errors_total');
    const counted = new Map<string, number>();
    for (const value of (await metric?.get())?.values ?? []) {
      counted.set(`${value.labels.kind} ${value.labels.error}`, value.value);
    }
    expect(Object.fromEntries(counted), `source errors by connector and class (${replay})`).toEqual(
      Object.fromEntries(expectedClasses),
    );
  });

  it('sees every source fail three polls in a row, then recover to healthy', async () => {
    expect(completed, `the run did not complete (${replay})`).toBe(true);
    expect([...reachedFailing].sort(), `sources that reached "failing" (${replay})`).toEqual(
      sims.map((s) => s.name).sort(),
    );
    const rows = await handle.db.selectFrom('sources').selectAll().orderBy('name').execute();
    expect(
      rows.map((row) => ({
        name: row.name,
        status: healthOf(row, false).status,
        failures: row.consecutive_failures,
      })),
      `health after the clean rounds (${replay})`,
    ).toEqual(
      sims
        .map((s) => ({ name: s.name, status: 'ok', failures: 0 }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    const total = await sql<{ n: string }>`select count(*) as n from mentions`.execute(handle.db);
    expect(Number(total.rows[0]?.n), 'mentions stored in all').toBe(
      sims.reduce((n, s) => n + s.expectedIds().length, 0),
    );
  });

  it(`keeps the heap bounded (growth under ${mb(HEAP_GROWTH_LIMIT)} from the first third to the last)`, () => {
    expect(completed, `the run did not complete (${replay})`).toBe(true);
    const growth = heapGrowth(heap);
    console.log(
      `heap after GC: first third ${mb(growth.firstThird)}, last third ${mb(growth.lastThird)}, growth ${mb(growth.growth)}; ` +
        `samples ${heap.map((b) => (b / 1024 / 1024).toFixed(0)).join(' ')} MB; ` +
        `array buffers ${buffers.map((b) => (b / 1024 / 1024).toFixed(0)).join(' ')} MB`,
    );
    expect(growth.growth, `heap growth ${mb(growth.growth)} (${replay})`).toBeLessThan(HEAP_GROWTH_LIMIT);
    // Response bodies are typed arrays, outside the V8 heap. On PGlite the database's files are too
    // (they grow with the data); on PostgreSQL nothing else is, so a kept body would show here.
    if (TEST_DATABASE_URL) {
      const outside = heapGrowth(buffers);
      expect(outside.growth, `array buffer growth ${mb(outside.growth)} (${replay})`).toBeLessThan(
        HEAP_GROWTH_LIMIT,
      );
    }
  });
});
