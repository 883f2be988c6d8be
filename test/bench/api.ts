/**
 * bench:api — latency of the read API on a real PostgreSQL holding half a year of a busy
 * deployment: 1,000,000 mentions over 20 brands and 180 days (test/bench/api-seed.ts, deterministic).
 *
 *   npm run bench:api [-- --mentions=N] [-- --samples=N]
 *
 * Seeds N/10 mentions (default N = 1,000,000), measures, adds the other 9N/10 over the same 180
 * days (ten times as dense), measures again. Each query: 20 warm-up requests, then --samples timed
 * ones (default 300), rotating the brand so no cache answers twice in a row; in-process
 * (`app.request`) and over HTTP on loopback (@hono/node-server, keep-alive fetch). Queries: trends
 * (day and hour buckets over 90 days), compare (5-brand panels), themes, mentions (negative, page 1
 * and page 50 by keyset cursor), each sent with an admin token (`Authorization: Bearer`: its check
 * is measured too), without rate limits. A route that answers 404 "no route" is reported n/a; any
 * other non-200 answer is printed and makes the run exit 1 (the other queries are still measured).
 *
 * Targets (reported, not asserted): HTTP p95 ≤ 25 ms for every query at N, and HTTP p95 at N no more
 * than 1.5 × HTTP p95 at N/10. Uses DATABASE_URL when set (in a private schema, dropped at the end),
 * else a throwaway cluster (test/helpers/postgres.ts).
 * Prints markdown tables and ends with one `RESULT p95_ms_max=… ratio_1m_100k=…` line.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { serve } from '@hono/node-server';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, type DbHandle } from '../../db/create-db.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { createApp } from '../../src/app.ts';
import { BEARER, insertTestToken, TEST_ADMIN_TOKEN } from '../helpers/auth.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../helpers/postgres.ts';
import {
  BRAND_COUNT,
  finishSeed,
  PANEL_OWNERS,
  SEED_DAYS,
  SEED_END,
  seedCatalog,
  seedMentions,
  tableSizes,
} from './api-seed.ts';
import { intArg } from './args.ts';

const P95_TARGET_MS = 25;
const RATIO_TARGET = 1.5;
const WARMUP = 20;
const PAGE_DEPTH = 50;
const PAGE_SIZE = 50;

// ---------------------------------------------------------------------------------------------- args

const TOTAL = intArg('mentions', 1_000_000);
const SMALL = Math.max(1, Math.round(TOTAL / 10));
const SAMPLES = intArg('samples', 300);

// ------------------------------------------------------------------------------------------ helpers
const ms = (value: number) => value.toFixed(2);
const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;

function scaleName(n: number): string {
  if (n >= 1_000_000 && n % 100_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1000 && n % 100 === 0) return `${n / 1000}k`;
  return String(n);
}

function printTable(headers: string[], rows: string[][]): void {
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log('');
}

function progress(message: string): void {
  process.stderr.write(`[bench:api] ${message}\n`);
}

type Stats = { p50: number; p95: number; p99: number };

/** Nearest-rank percentiles. */
function percentiles(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

// ------------------------------------------------------------------------------------------ queries
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
const TO = SEED_END;
const FROM = new Date(TO.getTime() - 90 * 86_400_000);
const RANGE = `from=${iso(FROM)}&to=${iso(TO)}`;
const ALL_BRANDS = Array.from({ length: BRAND_COUNT }, (_, i) => i + 1);

type Query = { name: string; brands: number[]; path: (brand: number) => string };

function queries(page50: Map<number, string>): Query[] {
  return [
    {
      name: 'trends day (90 d)',
      brands: ALL_BRANDS,
      path: (b) => `/api/brands/${b}/trends?interval=day&${RANGE}&tz=UTC`,
    },
    {
      name: 'trends hour (90 d)',
      brands: ALL_BRANDS,
      path: (b) => `/api/brands/${b}/trends?interval=hour&${RANGE}&tz=UTC`,
    },
    {
      name: 'compare (5 brands)',
      brands: PANEL_OWNERS,
      path: (b) => `/api/brands/${b}/compare?interval=day&${RANGE}`,
    },
    { name: 'themes (90 d)', brands: ALL_BRANDS, path: (b) => `/api/brands/${b}/themes?${RANGE}&limit=20` },
    { name: 'mentions page 1', brands: ALL_BRANDS, path: mentionsPath },
    {
      name: `mentions page ${PAGE_DEPTH}`,
      brands: [...page50.keys()],
      path: (b) => `${mentionsPath(b)}&cursor=${encodeURIComponent(page50.get(b)!)}`,
    },
  ];
}

function mentionsPath(brand: number): string {
  return `/api/mentions?brand=${brand}&label=negative&limit=${PAGE_SIZE}`;
}

type Send = (path: string) => Promise<Response>;
type Outcome =
  | { status: 'ok'; stats: Stats }
  | { status: 'n/a'; reason: string }
  | { status: 'error'; message: string };

function isNoRoute(status: number, body: string): boolean {
  if (status !== 404) return false;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } };
    return parsed.error?.message?.startsWith('no route') === true;
  } catch {
    return false;
  }
}

class RequestFailed extends Error {}

async function call(send: Send, path: string, label: string): Promise<string> {
  const response = await send(path);
  const body = await response.text();
  if (response.status !== 200) {
    if (isNoRoute(response.status, body)) throw new RequestFailed('no route');
    const message = `${label}: HTTP ${response.status} for GET ${path}\n${body.slice(0, 2000)}`;
    progress(`ERROR ${message}`);
    throw new RequestFailed(`HTTP ${response.status}: ${body.slice(0, 300)}`);
  }
  return body;
}

async function measure(send: Send, query: Query, label: string): Promise<Outcome> {
  if (query.brands.length === 0) {
    return { status: 'n/a', reason: `no brand has ${PAGE_DEPTH} pages of negative mentions at this scale` };
  }
  const pathAt = (k: number) => query.path(query.brands[k % query.brands.length]!);
  try {
    for (let k = 0; k < WARMUP; k++) await call(send, pathAt(k), label);
    const samples: number[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      const path = pathAt(WARMUP + k);
      const started = performance.now();
      const response = await send(path);
      const body = await response.text();
      samples.push(performance.now() - started);
      if (response.status !== 200) {
        progress(`ERROR ${label}: HTTP ${response.status} for GET ${path}\n${body.slice(0, 2000)}`);
        return { status: 'error', message: `HTTP ${response.status}: ${body.slice(0, 300)}` };
      }
    }
    return { status: 'ok', stats: percentiles(samples) };
  } catch (error) {
    if (error instanceof RequestFailed) {
      return error.message === 'no route'
        ? { status: 'n/a', reason: 'no route (404)' }
        : { status: 'error', message: error.message };
    }
    progress(`ERROR ${label}: ${(error as Error).stack ?? String(error)}`);
    return { status: 'error', message: String((error as Error).message ?? error) };
  }
}

/** The page-50 cursor of each brand that has that many pages of negative mentions (untimed). */
async function page50Cursors(send: Send, brands: readonly number[]): Promise<Map<number, string>> {
  const cursors = new Map<number, string>();
  for (const brand of brands) {
    let cursor: string | null = null;
    let page = 1;
    for (; page < PAGE_DEPTH; page++) {
      const path: string = cursor === null ? mentionsPath(brand) : `${mentionsPath(brand)}&cursor=${cursor}`;
      let body: string;
      try {
        body = await call(send, path, `mentions page ${page} (setup)`);
      } catch {
        return cursors; // Reported by the page-1 measurement.
      }
      const next = (JSON.parse(body) as { nextCursor?: string | null }).nextCursor ?? null;
      if (next === null) break;
      cursor = encodeURIComponent(next);
    }
    if (page === PAGE_DEPTH && cursor !== null) cursors.set(brand, decodeURIComponent(cursor));
  }
  return cursors;
}

type ScaleResult = {
  mentions: number;
  results: Array<{ query: string; inProcess: Outcome; http: Outcome }>;
};

async function measureScale(
  inProcess: Send,
  http: Send,
  mentions: number,
  page50Brands: readonly number[],
): Promise<{ scale: ScaleResult; page50: number[] }> {
  const cursors = await page50Cursors(inProcess, page50Brands);
  const results: ScaleResult['results'] = [];
  for (const query of queries(cursors)) {
    progress(`${scaleName(mentions)}: ${query.name}, in-process`);
    const local = await measure(inProcess, query, `${query.name} (in-process)`);
    let remote: Outcome = local;
    if (local.status === 'ok') {
      progress(`${scaleName(mentions)}: ${query.name}, HTTP`);
      remote = await measure(http, query, `${query.name} (HTTP)`);
    }
    results.push({ query: query.name, inProcess: local, http: remote });
  }
  return { scale: { mentions, results }, page50: [...cursors.keys()] };
}

function cells(outcome: Outcome): string[] {
  if (outcome.status === 'ok') return [ms(outcome.stats.p50), ms(outcome.stats.p95), ms(outcome.stats.p99)];
  const text = outcome.status === 'n/a' ? 'n/a' : 'ERROR';
  return [text, text, text];
}

function printScale(scale: ScaleResult, page50: readonly number[]): void {
  console.log(
    `## ${scaleName(scale.mentions)} mentions: latency in ms (${SAMPLES} requests after ${WARMUP} warm-up)`,
  );
  console.log('');
  const rows: string[][] = [];
  for (const r of scale.results) {
    rows.push([r.query, 'in-process', ...cells(r.inProcess)]);
    rows.push([r.query, 'HTTP', ...cells(r.http)]);
  }
  printTable(['query', 'via', 'p50', 'p95', 'p99'], rows);
  for (const r of scale.results) {
    const outcome = r.inProcess.status !== 'ok' ? r.inProcess : r.http;
    if (outcome.status === 'n/a') console.log(`- ${r.query}: n/a (${outcome.reason})`);
    if (outcome.status === 'error') console.log(`- ${r.query}: ERROR ${outcome.message.split('\n')[0]}`);
  }
  console.log(
    `- brands rotated: all ${BRAND_COUNT}; compare: panel owners ${PANEL_OWNERS.join(', ')}; ` +
      `page ${PAGE_DEPTH}: ${page50.length > 0 ? page50.join(', ') : 'none'}`,
  );
  console.log('');
}

// --------------------------------------------------------------------------------------------- run
type SeedRow = { phase: string; wall: number; parts: string[]; sizes: Record<string, number> };

async function seedPhase(db: DbHandle['db'], first: number, last: number): Promise<SeedRow> {
  progress(`seeding mentions ${first}..${last}`);
  const started = performance.now();
  const inserted = await seedMentions(db, first, last, {
    onProgress: (done, total) =>
      progress(`  ${done}/${total} mentions (${seconds(performance.now() - started)})`),
  });
  progress('rebuilding rollups, vacuum analyze');
  const finished = await finishSeed(db);
  const sizes = await tableSizes(db);
  return {
    phase: `${scaleName(first - 1)} → ${scaleName(last)}`,
    wall: performance.now() - started,
    parts: [
      seconds(inserted.wall),
      `${seconds(inserted.mentions)} / ${seconds(inserted.brands)} / ${seconds(inserted.themes)}`,
      seconds(finished.rollups),
      seconds(finished.vacuum),
    ],
    sizes,
  };
}

async function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<Server> {
  return new Promise((resolve) => {
    const server = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () =>
      resolve(server as Server),
    ) as Server;
  });
}

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL || undefined;
  let cluster: ThrowawayPostgres | undefined;
  let schema: string | undefined;
  let handle: DbHandle | undefined;
  let server: Server | undefined;
  let failed = false;
  try {
    const clusterStarted = performance.now();
    if (!url) {
      progress('starting a throwaway PostgreSQL');
      cluster = await startThrowawayPostgres();
    }
    const target = url ?? cluster!.url;
    if (url) {
      schema = `bench_api_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
    }
    handle = await createDb({ kind: 'postgres', url: target, ...(schema ? { searchPath: schema } : {}) });
    const db = handle.db;
    await migrateToLatest(db);
    // Every request carries a token, as in production (its check is part of what is measured).
    await insertTestToken(db, TEST_ADMIN_TOKEN, 'admin', 'bench');
    await seedCatalog(db);
    const version = (await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db))
      .rows[0]?.v;
    const setupMs = performance.now() - clusterStarted;

    const app = createApp(createTestDeps(db, { dbKind: 'postgres' }));
    server = await listen(app.fetch);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const inProcess: Send = async (path) => app.request(path, { headers: BEARER });
    const http: Send = (path) => fetch(`${base}${path}`, { headers: BEARER });

    console.log(`# bench:api (${scaleName(SMALL)} then ${scaleName(TOTAL)} mentions)`);
    console.log('');
    console.log(
      `PostgreSQL ${version} (${url ? 'DATABASE_URL, private schema' : 'throwaway cluster, fsync off'}), ` +
        `Node ${process.version}, ${availableParallelism()} cores, load ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}; ${BRAND_COUNT} brands, ${SEED_DAYS} days ending ${iso(SEED_END)}, ` +
        `queries over ${iso(FROM)} .. ${iso(TO)}; setup ${seconds(setupMs)}`,
    );
    console.log('');

    const seeds: SeedRow[] = [];
    const scales: ScaleResult[] = [];
    let page50Brands: readonly number[] = ALL_BRANDS;
    for (const [first, last] of [
      [1, SMALL],
      [SMALL + 1, TOTAL],
    ] as const) {
      const seeded = await seedPhase(db, first, last);
      seeds.push(seeded);
      const measured = await measureScale(inProcess, http, last, page50Brands);
      // The same brands at both scales (those deep enough at the small one), when there are any.
      if (scales.length === 0 && measured.page50.length > 0) page50Brands = measured.page50;
      scales.push(measured.scale);
      console.log(
        `## seeding ${seeded.phase}: ${seconds(seeded.wall)} — insert ${seeded.parts[0]} ` +
          `(statements mentions / brands / themes: ${seeded.parts[1]}), rollups ${seeded.parts[2]}, ` +
          `vacuum analyze ${seeded.parts[3]}`,
      );
      console.log(
        `rows: ${Object.entries(seeded.sizes)
          .map(([table, n]) => `${table} ${n}`)
          .join(', ')}`,
      );
      console.log('');
      printScale(measured.scale, measured.page50);
    }

    // ------------------------------------------------------------------------------- comparison
    const [small, large] = scales as [ScaleResult, ScaleResult];
    console.log(`## HTTP p95 (ms): ${scaleName(SMALL)} vs ${scaleName(TOTAL)} mentions`);
    console.log('');
    const rows: string[][] = [];
    const leftOut: string[] = [];
    let worstP95: { value: number; query: string } | undefined;
    let worstRatio: { value: number; query: string } | undefined;
    for (const [index, r] of large.results.entries()) {
      const before = small.results[index]!.http;
      const after = r.http;
      for (const outcome of [before, after, small.results[index]!.inProcess, r.inProcess]) {
        if (outcome.status === 'error') failed = true;
      }
      if (after.status !== 'ok') {
        leftOut.push(`${r.query} (${after.status === 'n/a' ? `n/a: ${after.reason}` : 'error'})`);
        rows.push([
          r.query,
          before.status === 'ok' ? ms(before.stats.p95) : before.status,
          after.status,
          '',
          '',
          '',
        ]);
        continue;
      }
      if (!worstP95 || after.stats.p95 > worstP95.value)
        worstP95 = { value: after.stats.p95, query: r.query };
      const ratio = before.status === 'ok' ? after.stats.p95 / before.stats.p95 : undefined;
      if (ratio === undefined)
        leftOut.push(`${r.query} (ratio only: ${before.status} at ${scaleName(SMALL)})`);
      if (ratio !== undefined && (!worstRatio || ratio > worstRatio.value))
        worstRatio = { value: ratio, query: r.query };
      rows.push([
        r.query,
        before.status === 'ok' ? ms(before.stats.p95) : before.status,
        ms(after.stats.p95),
        ratio === undefined ? 'n/a' : ratio.toFixed(2),
        after.stats.p95 <= P95_TARGET_MS ? 'yes' : 'NO',
        ratio === undefined ? 'n/a' : ratio <= RATIO_TARGET ? 'yes' : 'NO',
      ]);
    }
    printTable(
      [
        'query',
        `p95 @${scaleName(SMALL)}`,
        `p95 @${scaleName(TOTAL)}`,
        'ratio',
        `p95 ≤ ${P95_TARGET_MS} ms`,
        `ratio ≤ ${RATIO_TARGET}`,
      ],
      rows,
    );
    console.log(
      `target p95 ≤ ${P95_TARGET_MS} ms over HTTP at ${scaleName(TOTAL)}: ${
        worstP95
          ? `${worstP95.value <= P95_TARGET_MS ? 'met' : 'NOT met'} (worst ${ms(worstP95.value)} ms, ${worstP95.query})`
          : 'n/a'
      }`,
    );
    console.log(
      `target ratio ${scaleName(TOTAL)}/${scaleName(SMALL)} ≤ ${RATIO_TARGET}: ${
        worstRatio
          ? `${worstRatio.value <= RATIO_TARGET ? 'met' : 'NOT met'} (worst ${worstRatio.value.toFixed(2)}, ${worstRatio.query})`
          : 'n/a'
      }`,
    );
    if (failed) console.log('some queries failed: see the errors above (exit 1)');
    console.log(`left out of RESULT: ${leftOut.length > 0 ? leftOut.join('; ') : 'none'}`);
    console.log(
      `RESULT p95_ms_max=${worstP95 ? ms(worstP95.value) : 'n/a'} ratio_1m_100k=${worstRatio ? worstRatio.value.toFixed(2) : 'n/a'}`,
    );
  } catch (error) {
    failed = true;
    console.error(error);
  } finally {
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    await handle?.close().catch((error) => console.error('closing the database:', error));
    if (schema && url) {
      const admin = new pg.Client({ connectionString: url });
      await admin
        .connect()
        .then(() => admin.query(`drop schema ${schema} cascade`))
        .catch((error) => console.error(`dropping schema ${schema}:`, error))
        .finally(() => admin.end());
    }
    await cluster?.stop().catch((error) => console.error('stopping PostgreSQL:', error));
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
