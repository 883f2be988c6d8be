/**
 * bench:ingest — end-to-end ingest throughput against the NLP alone. The labelled sentences of
 * ../shared/data/sentiment (UCI, Kotzias et al. KDD 2015; VADER ground truth, Hutto & Gilbert ICWSM
 * 2014), each prefixed with the brand's name, are served as RSS feeds by a local upstream on
 * 127.0.0.1 and go through the whole pipeline into PostgreSQL: fetch (outbound guard, HTTP client),
 * parse, normalise, brand match, NLP, store, rollups and negative-mention alert evaluation.
 *
 *   npm run bench:ingest [-- --items N] [-- --sources N]   (default 8000 items over 40 sources)
 *
 * Rows, in one run on the same texts:
 * - NLP only: the pipeline's own analyzer (`analyze(text, { ignoreWords })`) over the item texts, one
 *   thread, best of 2 timed passes after a warm-up;
 * - e2e, 1 worker: `pollDueSources` with concurrency 4 in this process, until every source is polled;
 * - e2e, 2 workers: two worker processes (test/bench/ingest-worker.ts) sharing the claims, after the
 *   mentions, rollups and alerts are truncated and the sources reset; their throughput is the total
 *   stored over the wall time from `go` to the last one done.
 * Where the 1-worker run's time went: the analyzer's own time inside the pipeline (timed around each
 * call), the rest of the main thread's busy time (glue), and the CPU seconds of this process and of
 * PostgreSQL (its own throwaway cluster only: the postmaster and its children, from /proc). Their sum
 * per mention bounds the throughput the machine's cores allow, printed as a ceiling with its ratio.
 * mentions/s = mentions stored / seconds. RSS is sampled every 100 ms in each process: peak, and steady
 * (the median); the main process also holds the corpus and the upstream's feeds. The alert rule's one channel is disabled:
 * its outbox rows commit with the alerts and wait, nothing leaves the machine. Feeds are dated after
 * the rule exists, so the rule is evaluated for real (default cooldown and flood cap).
 *
 * Targets (reported, not asserted): 1-worker e2e ≥ 60% of NLP-only throughput; steady RSS < 300 MB
 * per worker process. Uses DATABASE_URL when set, else a throwaway cluster (test/helpers/postgres.ts, fsync
 * off), in a private schema dropped at the end. Skips when ../shared is absent.
 * Ends with `RESULT e2e_per_s=… nlp_per_s=… ratio=… rss_mb=…`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { performance as nodePerformance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { pollDueSources } from '../../jobs/poll-sources.ts';
import { createChannel } from '../../src/alerts/channels-catalog.ts';
import { createRule } from '../../src/alerts/rules.ts';
import type { Runtime } from '../../src/bootstrap.ts';
import { createBrand } from '../../src/catalog/brands.ts';
import { createSource } from '../../src/catalog/sources.ts';
import { START_HEAP_FLAGS } from '../helpers/earshot-process.ts';
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../helpers/postgres.ts';
import { intArg } from './args.ts';
import { hasSentimentData, loadSentimentSets, SENTIMENT_DIR } from './data.ts';
import { openBenchRuntime, type PollTally, type RssFigures, sampleRss, tally } from './ingest-runtime.ts';
import type { WorkerMessage, WorkerStart } from './ingest-worker.ts';

const RATIO_TARGET = 0.6;
const RSS_TARGET_MB = 300;
const CONCURRENCY = 4;
const WORKERS = 2;
const WARMUP_TEXTS = 500;
const NLP_ROUNDS = 2;
const BRAND = 'Northwind';

// ---------------------------------------------------------------------------------------------- args

const ITEMS = intArg('items', 8000);
const SOURCES = Math.min(intArg('sources', 40), ITEMS);

function progress(message: string): void {
  process.stderr.write(`[bench:ingest] ${message}\n`);
}

if (!hasSentimentData()) {
  console.log(`skipped: ${SENTIMENT_DIR} is absent (the labelled sentences live in ../shared)`);
  console.log('RESULT skipped=1');
  process.exit(0);
}

// ------------------------------------------------------------------------------------------ corpus
/** Characters XML does not allow (C0 controls, lone surrogates, U+FFFE/FFFF) as spaces: the feed must parse. */
function xmlSafe(text: string): string {
  return Array.from(text, (c) => {
    const code = c.codePointAt(0)!;
    const control = code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r';
    return control || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff ? ' ' : c;
  }).join('');
}

/** N distinct texts spread evenly over all the sets (short tweets to long reviews alike). */
function pickTexts(n: number): string[] {
  const all = [
    ...new Set(loadSentimentSets().flatMap((set) => set.items.map((item) => xmlSafe(item.text).trim()))),
  ].filter((text) => text.length > 0);
  if (n > all.length) {
    console.error(`--items ${n}: the corpus has ${all.length} distinct texts`);
    process.exit(2);
  }
  const stride = all.length / n;
  return Array.from({ length: n }, (_, i) => `${BRAND}: ${all[Math.floor(i * stride)]!}`);
}

const texts = pickTexts(ITEMS);

const escapeMarkup = (value: string) =>
  value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * Source k's feed: items k, k + S, k + 2S… The description is HTML inside XML, so the text is escaped
 * twice: what the pipeline reads after parsing and HTML-to-text is the text itself.
 */
function feedXml(k: number, publishedAt: Date): string {
  const items: string[] = [];
  const date = publishedAt.toUTCString();
  for (let i = k; i < texts.length; i += SOURCES) {
    items.push(
      `<item><guid isPermaLink="false">bench-${i}</guid><link>https://news.example/${k}/${i}</link>` +
        `<description>${escapeMarkup(escapeMarkup(texts[i]!))}</description><pubDate>${date}</pubDate></item>`,
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>bench feed ${k}</title>` +
    `<link>https://news.example/${k}</link><description>bench:ingest</description><language>en</language>\n` +
    `${items.join('\n')}\n</channel></rss>\n`
  );
}

// ------------------------------------------------------------------------------------------ helpers
const fixed = (value: number, digits = 1) => value.toFixed(digits);

function printTable(headers: string[], rows: string[][]): void {
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log('');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Database = { url: string; schemas: string[]; admin: (statement: string) => Promise<void> };

async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A fresh schema holding one brand, the RSS sources and a negative-mention rule (a disabled webhook
 * channel); the feeds are then dated after the rule was created, so its mentions are recent enough
 * to fire.
 */
async function prepare(
  database: Database,
  upstream: FakeUpstream,
  feeds: Map<number, string>,
): Promise<{ schema: string; runtime: Runtime }> {
  const schema = `bench_ingest_${randomBytes(4).toString('hex')}`;
  await database.admin(`create schema ${schema}`);
  database.schemas.push(schema);
  const runtime = await openBenchRuntime(database.url, schema);
  const deps = runtime.deps;
  await createBrand({ deps, input: { name: BRAND } });
  for (let k = 0; k < SOURCES; k++) {
    await createSource({
      deps,
      input: {
        name: `bench feed ${k}`,
        kind: 'rss',
        options: { url: upstream.url(`/feeds/${k}.xml`) },
        pollIntervalSeconds: 3600,
      },
    });
  }
  // Disabled: its outbox rows are written with the alerts and wait; nothing is ever sent.
  await createChannel({
    deps,
    input: { name: 'hook', kind: 'webhook', url: 'https://hooks.example/earshot', enabled: false },
  });
  await armRule(runtime, feeds);
  return { schema, runtime };
}

/** Creates the negative-mention rule, then dates the feeds after it so their items can fire it. */
async function armRule(runtime: Runtime, feeds: Map<number, string>): Promise<void> {
  await createRule({
    deps: runtime.deps,
    input: { name: 'negative mentions', brand: BRAND, kind: 'negative_mention', channels: ['hook'] },
  });
  // pubDate has whole seconds: a second later, every item is published after the rule existed.
  await sleep(1100);
  const now = new Date();
  for (let k = 0; k < SOURCES; k++) feeds.set(k, feedXml(k, now));
}

/**
 * Back to before the first poll, for the next run on the same schema: no mentions, rollups or alerts,
 * every source new and due, the rule created anew.
 */
async function reset(runtime: Runtime, feeds: Map<number, string>): Promise<void> {
  const db = runtime.deps.db;
  await sql`truncate mentions, rollup_hourly, rollup_daily, rollup_weekly, incidents, alert_deliveries cascade`.execute(
    db,
  );
  await db.deleteFrom('alert_rules').execute();
  await db
    .updateTable('sources')
    .set({
      next_poll_at: sql`now()`,
      cursor: null,
      last_polled_at: null,
      last_success_at: null,
      last_error: null,
      last_error_at: null,
      last_error_status: null,
      consecutive_failures: 0,
      empty_polls: 0,
    })
    .execute();
  await sql`vacuum analyze`.execute(db);
  await armRule(runtime, feeds);
}

type Stored = { mentions: number; alerts: number; incidents: number; outbox: number; failedSources: number };

async function stored(runtime: Runtime): Promise<Stored> {
  const db = runtime.deps.db;
  const count = async (table: 'mentions' | 'alert_events' | 'incidents' | 'alert_deliveries') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const failedSources = Number(
    (
      await db
        .selectFrom('sources')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('last_success_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );
  return {
    mentions: await count('mentions'),
    alerts: await count('alert_events'),
    incidents: await count('incidents'),
    outbox: await count('alert_deliveries'),
    failedSources,
  };
}

type Row = {
  mode: string;
  items: number;
  seconds: number;
  perSecond: number;
  rss: RssFigures;
  detail?: string;
};

// ------------------------------------------------------------------------------------------ phases
function nlpOnly(runtime: Runtime, ignoreWords: string[]): Row {
  const analyzer = runtime.deps.analyzer;
  for (const text of texts.slice(0, WARMUP_TEXTS)) analyzer.analyze(text, { ignoreWords });
  const rss = sampleRss();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < NLP_ROUNDS; round++) {
    const started = performance.now();
    for (const text of texts) analyzer.analyze(text, { ignoreWords });
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  return {
    mode: `NLP only (1 thread, best of ${NLP_ROUNDS})`,
    items: texts.length,
    seconds: best,
    perSecond: texts.length / best,
    rss: rss.stop(),
  };
}

/**
 * CPU seconds the database server uses from now: call the result at the end of a run. Null when the
 * database is not this bench's own cluster (DATABASE_URL).
 */
type DatabaseCpu = () => () => number | null;

/** Where one run's time went: the main thread's NLP and glue, this process's and the database's CPU. */
type TimeSplit = { nlpSeconds: number; processCpu: number; databaseCpu: number | null };

async function oneWorker(
  runtime: Runtime,
  databaseCpu: DatabaseCpu,
): Promise<Row & { tally: PollTally; busy: number; split: TimeSplit }> {
  // The analyzer's own time inside the pipeline, measured around each call.
  const analyzer = runtime.deps.analyzer;
  const analyze = analyzer.analyze;
  let nlpMs = 0;
  analyzer.analyze = (text, options) => {
    const started = performance.now();
    try {
      return analyze(text, options);
    } finally {
      nlpMs += performance.now() - started;
    }
  };
  const rss = sampleRss();
  const loop = nodePerformance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const databaseUsed = databaseCpu();
  const started = performance.now();
  try {
    const results = await pollDueSources({ deps: runtime.deps, input: { concurrency: CONCURRENCY } });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const databaseSeconds = databaseUsed();
    const counts = tally(results);
    return {
      mode: `e2e, 1 worker (this process, concurrency ${CONCURRENCY})`,
      items: counts.inserted,
      seconds,
      perSecond: counts.inserted / seconds,
      rss: rss.stop(),
      tally: counts,
      // The share of the run the main thread was busy (NLP and glue) rather than waiting on I/O.
      busy: nodePerformance.eventLoopUtilization(loop).utilization,
      split: {
        nlpSeconds: nlpMs / 1000,
        processCpu: (used.user + used.system) / 1e6,
        databaseCpu: databaseSeconds,
      },
    };
  } finally {
    analyzer.analyze = analyze;
  }
}

const WORKER_FILE = fileURLToPath(new URL('./ingest-worker.ts', import.meta.url));
const REPO_ROOT = dirname(dirname(dirname(WORKER_FILE)));

async function workerProcesses(
  url: string,
  schema: string,
  ignoreWords: string[],
  children: ChildProcess[],
): Promise<Row & { tally: PollTally }> {
  type Done = Extract<WorkerMessage, { type: 'done' }>;
  const readies: Promise<void>[] = [];
  const dones: Promise<Done>[] = [];
  for (let w = 0; w < WORKERS; w++) {
    // `--import tsx` works for processes (only worker threads need nlp.ts's eval bootstrap).
    const child = fork(WORKER_FILE, [], {
      cwd: REPO_ROOT,
      execArgv: [...START_HEAP_FLAGS, '--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    let onReady = () => {};
    readies.push(new Promise<void>((resolve) => (onReady = resolve)));
    dones.push(
      new Promise<Done>((resolve, reject) => {
        child.on('message', (received) => {
          const message = received as WorkerMessage;
          if (message.type === 'ready') onReady();
          else if (message.type === 'done') resolve(message);
          else reject(new Error(`worker ${w + 1}: ${message.message}`));
        });
        child.on('error', (error) => reject(new Error(`worker ${w + 1}: ${error.message}`)));
        child.on('exit', (code) =>
          reject(new Error(`worker ${w + 1} exited with code ${code} before finishing`)),
        );
      }),
    );
    // A worker that dies before `ready` must not leave the run waiting for it.
    dones.at(-1)!.catch(() => onReady());
    const start: WorkerStart = {
      type: 'start',
      url,
      schema,
      concurrency: CONCURRENCY,
      warmup: texts.slice(0, WARMUP_TEXTS),
      ignoreWords,
    };
    child.send(start);
  }
  await Promise.all(readies);
  const started = performance.now();
  for (const child of children) child.send({ type: 'go' });
  const results = await Promise.all(dones);
  const seconds = (performance.now() - started) / 1000;
  const counts: PollTally = {
    polled: results.reduce((n, r) => n + r.polled, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    inserted: results.reduce((n, r) => n + r.inserted, 0),
    fetched: results.reduce((n, r) => n + r.fetched, 0),
    errors: results.flatMap((r) => r.errors),
  };
  return {
    mode: `e2e, ${WORKERS} worker processes (concurrency ${CONCURRENCY} each)`,
    items: counts.inserted,
    seconds,
    perSecond: counts.inserted / seconds,
    rss: {
      peakMb: Math.max(...results.map((r) => r.rss.peakMb)),
      steadyMb: Math.max(...results.map((r) => r.rss.steadyMb)),
    },
    detail: results
      .map(
        (r, i) =>
          `worker ${i + 1}: ${r.polled} sources, ${r.inserted} mentions in ${fixed(r.seconds, 2)} s, RSS ${fixed(r.rss.steadyMb, 0)} MB steady, ${fixed(r.rss.peakMb, 0)} MB peak`,
      )
      .join('; '),
    tally: counts,
  };
}

// --------------------------------------------------------------------------------------------- run
async function main(): Promise<number> {
  const envUrl = process.env.DATABASE_URL || undefined;
  let cluster: ThrowawayPostgres | undefined;
  let upstream: FakeUpstream | undefined;
  const runtimes: Runtime[] = [];
  const children: ChildProcess[] = [];
  let database: Database | undefined;
  let failed = false;
  try {
    if (!envUrl) {
      progress('starting a throwaway PostgreSQL');
      cluster = await startThrowawayPostgres();
    }
    const url = envUrl ?? cluster!.url;
    database = { url, schemas: [], admin: (statement) => adminQuery(url, statement) };

    const feeds = new Map<number, string>();
    upstream = await startFakeUpstream();
    for (let k = 0; k < SOURCES; k++) {
      upstream.on(`/feeds/${k}.xml`, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
        res.end(feeds.get(k) ?? '');
      });
    }
    const feedBytes = () => [...feeds.values()].reduce((n, body) => n + Buffer.byteLength(body), 0);

    // ------------------------------------------------------------------ NLP only and 1 worker
    progress(`schema: ${SOURCES} sources, ${ITEMS} items`);
    const first = await prepare(database, upstream, feeds);
    runtimes.push(first.runtime);
    const version = (
      await sql<{ v: string }>`select current_setting('server_version') as v`.execute(first.runtime.deps.db)
    ).rows[0]?.v;
    const ignoreWords = (
      await first.runtime.deps.db.selectFrom('brands').select('include_terms').executeTakeFirstOrThrow()
    ).include_terms;
    progress('NLP only');
    const nlp = nlpOnly(first.runtime, ignoreWords);
    progress('e2e, 1 worker');
    const databaseCpu: DatabaseCpu = () => {
      const before = cluster?.cpuSeconds() ?? null;
      return () => {
        const after = cluster?.cpuSeconds() ?? null;
        return before === null || after === null ? null : after - before;
      };
    };
    const one = await oneWorker(first.runtime, databaseCpu);
    const oneStored = await stored(first.runtime);

    // --------------------------------------------------------------------------- 2 workers
    progress(`reset; e2e, ${WORKERS} worker processes`);
    await reset(first.runtime, feeds);
    const twoDatabaseUsed = databaseCpu();
    const two = await workerProcesses(url, first.schema, ignoreWords, children);
    const twoDatabase = twoDatabaseUsed();
    const twoStored = await stored(first.runtime);

    // ------------------------------------------------------------------------------ report
    console.log(`# bench:ingest (${ITEMS} items over ${SOURCES} RSS sources)`);
    console.log('');
    console.log(
      `PostgreSQL ${version} (${envUrl ? 'DATABASE_URL, private schema' : 'throwaway cluster, fsync off'}), ` +
        `Node ${process.version}, ${availableParallelism()} cores, load ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}; upstream on 127.0.0.1 (${fixed(feedBytes() / 1024 / 1024, 1)} MB of feeds, ` +
        `~${Math.round(ITEMS / SOURCES)} items each); data: ${SENTIMENT_DIR} (UCI: Kotzias et al. 2015, CC BY 4.0; ` +
        `VADER: Hutto & Gilbert 2014, MIT), each text prefixed "${BRAND}: "`,
    );
    console.log('');
    const rows: Row[] = [nlp, one, two];
    printTable(
      ['mode', 'items', 'seconds', 'mentions/s', 'ratio to NLP-only', 'steady RSS MB', 'peak RSS MB'],
      rows.map((r) => [
        r.mode,
        String(r.items),
        fixed(r.seconds, 2),
        String(Math.round(r.perSecond)),
        fixed(r.perSecond / nlp.perSecond, 2),
        fixed(r.rss.steadyMb, 0),
        fixed(r.rss.peakMb, 0),
      ]),
    );
    const perMention = (seconds: number, items = one.items) =>
      `${Math.round((seconds / items) * 1e6)} µs per mention`;
    const { nlpSeconds, processCpu, databaseCpu: oneDatabase } = one.split;
    const busySeconds = one.busy * one.seconds;
    console.log(
      `- 1 worker, where the time went: the main thread was busy ${fixed(one.busy * 100, 0)}% of the run ` +
        `(${fixed(busySeconds, 2)} s): NLP ${fixed(nlpSeconds, 2)} s (${perMention(nlpSeconds)}; ` +
        `${perMention(nlp.seconds)} in the NLP-only row), glue ${fixed(busySeconds - nlpSeconds, 2)} s ` +
        `(fetch, parse, match, queries, rollups and alerts: ${perMention(busySeconds - nlpSeconds)}); the rest ` +
        'it waited on the database and the upstream',
    );
    if (oneDatabase === null) {
      console.log(
        `- 1 worker, CPU: this process ${fixed(processCpu, 2)} s; the database's CPU is not measured (DATABASE_URL: not this bench's own cluster)`,
      );
    } else {
      const total = processCpu + oneDatabase;
      const cores = availableParallelism();
      const ceiling = (one.items / total) * cores;
      console.log(
        `- 1 worker, CPU: this process ${fixed(processCpu, 2)} s (with the upstream it serves), PostgreSQL ` +
          `${fixed(oneDatabase, 2)} s (${perMention(oneDatabase)}): ${perMention(total)} in all. On ${cores} cores ` +
          `that allows at most ~${Math.round(ceiling)} mentions/s with every core busy (ratio ${fixed(ceiling / nlp.perSecond, 2)})`,
      );
    }
    if (twoDatabase !== null) {
      console.log(
        `- ${WORKERS} workers, CPU: PostgreSQL ${fixed(twoDatabase, 2)} s (${perMention(twoDatabase, two.items)})`,
      );
    }
    if (two.detail) console.log(`- ${two.detail}`);
    for (const [name, row, db] of [
      ['1 worker', one, oneStored],
      [`${WORKERS} workers`, two, twoStored],
    ] as const) {
      console.log(
        `- ${name}: ${row.tally.polled} polls (${row.tally.failed} failed), ${row.tally.fetched} items fetched, ` +
          `${db.mentions} mentions stored, ${db.alerts} alert events in ${db.incidents} incidents, ${db.outbox} outbox rows (channel disabled)`,
      );
      for (const error of row.tally.errors) console.log(`  - poll error: ${error}`);
      if (db.mentions !== ITEMS || row.tally.failed > 0 || db.failedSources > 0) {
        failed = true;
        console.log(`  - INCOMPLETE: expected ${ITEMS} mentions and every source polled once`);
      }
    }
    console.log(
      `- RSS: steady = median of 100 ms samples over the run. The first two rows are the bench's own process, which ` +
        `also holds the corpus, the feeds and the upstream; the ${WORKERS}-worker row is the larger of the two worker ` +
        'processes (each has its own analyzer and connection pool): the footprint of an earshot worker',
    );
    console.log('');
    const ratio = one.perSecond / nlp.perSecond;
    const rssMb = two.rss.steadyMb;
    console.log(
      `target e2e ≥ ${RATIO_TARGET * 100}% of NLP-only (1 worker): ${ratio >= RATIO_TARGET ? 'met' : 'NOT met'} (${fixed(ratio * 100, 0)}%)`,
    );
    console.log(
      `target steady RSS < ${RSS_TARGET_MB} MB per worker process: ${rssMb < RSS_TARGET_MB ? 'met' : 'NOT met'} ` +
        `(${fixed(rssMb, 0)} MB; peak ${fixed(two.rss.peakMb, 0)} MB)`,
    );
    console.log(
      `RESULT e2e_per_s=${Math.round(one.perSecond)} nlp_per_s=${Math.round(nlp.perSecond)} ratio=${ratio.toFixed(2)} rss_mb=${Math.round(rssMb)}`,
    );
  } catch (error) {
    failed = true;
    console.error(error);
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
    for (const runtime of runtimes) await runtime.close().catch((error) => console.error('closing:', error));
    await upstream?.close();
    if (database && envUrl) {
      for (const schema of database.schemas) {
        await database
          .admin(`drop schema ${schema} cascade`)
          .catch((error) => console.error(`dropping schema ${schema}:`, error));
      }
    }
    await cluster?.stop().catch((error) => console.error('stopping PostgreSQL:', error));
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
