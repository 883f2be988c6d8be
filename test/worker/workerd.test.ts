/**
 * The Cloudflare Workers target (src/worker.ts, wrangler.toml) as it deploys:
 * - `wrangler deploy --dry-run` bundles it within the 3 MiB (gzipped) of a free plan's worker, and
 *   wrangler.toml's cron triggers are exactly the jobs' schedules in Workers form;
 * - in workerd itself (`wrangler dev --local --test-scheduled`), on a database of its own on the
 *   TEST_DATABASE_URL server reached through the local Hyperdrive binding: the API answers (and
 *   refuses without a token), the scheduled handler polls an RSS feed served on 127.0.0.1 and the
 *   mentions land, each run in the job history, and no database connection outlives its invocation.
 *
 * The second part needs TEST_DATABASE_URL (PGlite is not for Workers). Wrangler runs with
 * WRANGLER_SEND_METRICS=false and CLOUDFLARE_CF_FETCH_ENABLED=false: nothing leaves the machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../db/create-db.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import type { Database } from '../../db/schema.ts';
import { JOBS, jobsForCron, workersCron } from '../../jobs/index.ts';
import { DASHBOARD_ASSETS } from '../../src/dashboard/assets.ts';
import { DOCS_ASSETS } from '../../src/routes/docs.ts';
import { readStaticAsset } from '../../src/static.ts';
import { BEARER, insertTestToken, TEST_ADMIN_TOKEN } from '../helpers/auth.ts';
import { TEST_DATABASE_URL } from '../helpers/db.ts';
import { createProcessDatabase, exitOf } from '../helpers/earshot-process.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from '../helpers/fake-upstream.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
/** What a free-plan worker may weigh, compressed. */
const MAX_GZIPPED_BYTES = 3 * 1024 * 1024;
/** The cron trigger of the polling jobs (poll-sources, deliver-alerts, …). */
const EVERY_MINUTE = '* * * * *';

/** Wrangler, with nothing sent to Cloudflare and its logs and registry kept in `scratch`. */
function wranglerEnv(scratch: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_LOG_PATH: join(scratch, 'logs'),
    WRANGLER_REGISTRY_PATH: join(scratch, 'registry'),
    NO_COLOR: '1',
    ...extra,
  };
}

/** Runs wrangler to its end; rejects with its output when it fails or outlives `timeoutMs`. */
function runWrangler(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(WRANGLER, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wrangler ${args.join(' ')} took over ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(output);
      else reject(new Error(`wrangler ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePromise(port) : reject(new Error('no free port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** The `crons = [...]` list of wrangler.toml. */
function declaredCrons(): string[] {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const list = /^crons\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (list === undefined) throw new Error('wrangler.toml declares no crons = [...]');
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
}

describe('the Workers bundle and its cron triggers', () => {
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'earshot-worker-bundle-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('declares one cron trigger per Workers schedule of the jobs, and each job runs on one', () => {
    const expected = [...new Set(JOBS.map(workersCron))].sort();
    expect(declaredCrons().sort()).toEqual(expected);
    for (const job of JOBS) expect(jobsForCron(workersCron(job)), job.name).toContain(job);
    expect(jobsForCron(EVERY_MINUTE).map((job) => job.name)).toEqual([
      'poll-sources',
      'deliver-alerts',
      'evaluate-alerts',
      'send-digests',
    ]);
    expect(jobsForCron('17 3 * * *').map((job) => job.name)).toEqual(['retention']);
    expect(jobsForCron('0 0 1 1 *')).toEqual([]);
  });

  it(`bundles within ${MAX_GZIPPED_BYTES / 1024 / 1024} MiB gzipped (wrangler deploy --dry-run)`, async () => {
    const outdir = join(scratch, 'dist');
    const metafile = join(scratch, 'meta.json');
    const output = await runWrangler(
      ['deploy', '--dry-run', '--outdir', outdir, '--metafile', metafile],
      wranglerEnv(scratch),
      180_000,
    );
    expect(output).toContain('--dry-run: exiting now.');
    // What is uploaded: the modules (source maps and wrangler's README stay behind).
    const modules = readdirSync(outdir).filter((name) => !name.endsWith('.map') && name !== 'README.md');
    expect(modules, output).toContain('worker.js');
    const gzipped = modules.reduce(
      (sum, name) => sum + gzipSync(readFileSync(join(outdir, name)), { level: 9 }).byteLength,
      0,
    );
    const raw = modules.reduce((sum, name) => sum + statSync(join(outdir, name)).size, 0);
    console.info(
      `worker bundle: ${(raw / 1024).toFixed(0)} KiB, ${(gzipped / 1024).toFixed(0)} KiB gzipped (${modules.join(', ')})`,
    );
    expect(gzipped, output).toBeLessThanOrEqual(MAX_GZIPPED_BYTES);
    // No PGlite (nor its WASM) in the bundle: Workers reach PostgreSQL through Hyperdrive only.
    const inputs = Object.keys((JSON.parse(readFileSync(metafile, 'utf8')) as { inputs: object }).inputs);
    expect(inputs.length).toBeGreaterThan(100);
    expect(inputs.filter((path) => /pglite|node-cron|@hono\/node-server|undici/.test(path))).toEqual([]);

    // The build step wrote the static files, byte for byte, where the app serves them on Node.
    const assets = join(ROOT, '.wrangler/earshot-assets');
    for (const [prefix, names] of [
      ['dashboard/assets', DASHBOARD_ASSETS],
      ['api/docs', DOCS_ASSETS],
    ] as const) {
      for (const name of names) {
        const served = await readStaticAsset(name);
        expect(readFileSync(join(assets, prefix, name)).equals(Buffer.from(served?.body ?? [])), name).toBe(
          true,
        );
      }
    }
  }, 200_000);
});

describe.skipIf(!TEST_DATABASE_URL)(
  'src/worker.ts in workerd (wrangler dev --test-scheduled) on PostgreSQL through the local Hyperdrive binding (needs TEST_DATABASE_URL; skipped on PGlite, which is not for Workers)',
  () => {
    let scratch = '';
    let database: { url: string; drop: () => Promise<void> } | undefined;
    let handle: DbHandle | undefined;
    let db: Kysely<Database>;
    let upstream: FakeUpstream;
    let wrangler: ChildProcess | undefined;
    let output = '';
    let base = '';
    const feedPath = '/acme.xml';
    const items = [
      { guid: 'workerd-1', title: 'Acme support kept me waiting for two hours', text: 'Nobody answered.' },
      { guid: 'workerd-2', title: 'I love the new Acme app', text: 'It is fast and delightful.' },
      { guid: 'workerd-3', title: 'Acme checkout failed twice', text: 'The payment page crashed on me.' },
    ];
    const feed = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Acme news</title>
      <link>https://example.com</link><description>d</description><language>en-us</language>
      ${items
        .map(
          (item) => `<item><guid>${item.guid}</guid><title>${item.title}</title>
          <link>https://example.com/${item.guid}</link><description>${item.title}. ${item.text}</description>
          <pubDate>${new Date().toUTCString()}</pubDate></item>`,
        )
        .join('\n')}</channel></rss>`;

    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { ...BEARER, ...(init.headers ?? {}) } });
    const json = async (response: Response) => {
      const text = await response.text();
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(`not JSON (${response.status}): ${text}\n--- wrangler:\n${output}`);
      }
    };
    const feedRequests = () => upstream.requests.filter((r) => r.path === feedPath).length;
    const jobRuns = () =>
      db
        .selectFrom('job_runs')
        .select(['job', 'outcome', 'counts', 'worker', 'error'])
        .orderBy('id')
        .execute();
    /** Backends connected to the worker's database, but the test's own. */
    const workerConnections = async () => {
      const name = new URL(database?.url ?? '').pathname.slice(1);
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where datname = $1 and application_name <> 'earshot-test'",
          [name],
        );
        return rows[0]?.n ?? 0;
      } finally {
        await admin.end();
      }
    };

    beforeAll(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'earshot-workerd-'));
      database = await createProcessDatabase('earshot_workerd');
      if (!database) throw new Error('no TEST_DATABASE_URL');
      // Migrations and the first token are made from outside, as the README's deploy steps do.
      const testUrl = new URL(database.url);
      testUrl.searchParams.set('application_name', 'earshot-test');
      handle = await createDb({ kind: 'postgres', url: testUrl.toString(), maxConnections: 2 });
      db = handle.db;
      await migrateToLatest(db);
      await insertTestToken(db, TEST_ADMIN_TOKEN, 'admin');

      upstream = await startFakeUpstream();
      upstream.on(feedPath, serveFeed(feed));

      // Wrangler's local Hyperdrive wants a password in the URL; a trust-authenticated server ignores it.
      const hyperdriveUrl = new URL(database.url);
      if (!hyperdriveUrl.password) hyperdriveUrl.password = 'unused';
      const [port, inspectorPort] = [await freePort(), await freePort()];
      wrangler = spawn(
        WRANGLER,
        [
          'dev',
          '--local',
          '--test-scheduled',
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--inspector-port',
          String(inspectorPort),
          '--persist-to',
          join(scratch, 'state'),
          '--show-interactive-dev-session=false',
        ],
        {
          cwd: ROOT,
          env: wranglerEnv(scratch, {
            CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdriveUrl.toString(),
          }),
          stdio: ['ignore', 'pipe', 'pipe'],
          // Its own process group: wrangler, workerd and the build step all stop together.
          detached: true,
        },
      );
      const child = wrangler;
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      base = `http://127.0.0.1:${port}`;
      await waitFor(
        'wrangler dev to serve /health',
        async () => {
          if (child.exitCode !== null)
            throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
          if (!output.includes('Ready on')) return false;
          try {
            return (await fetch(`${base}/health`)).status === 200;
          } catch {
            return false;
          }
        },
        100_000,
      );
    }, 150_000);

    afterAll(async () => {
      const child = wrangler;
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        const exited = exitOf(child);
        process.kill(-child.pid, 'SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
        if (!stopped) process.kill(-child.pid, 'SIGKILL');
        await exited;
      }
      await upstream?.close();
      await handle?.close();
      await database?.drop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }, 60_000);

    it('answers /health from PostgreSQL, and refuses the API without a valid token', async () => {
      const health = await fetch(`${base}/health`);
      expect(await json(health)).toEqual({ status: 'ok', database: 'postgres' });

      const anonymous = await fetch(`${base}/api/brands`);
      const refused = await json(anonymous);
      expect(anonymous.status, JSON.stringify(refused)).toBe(401);
      expect(refused.error.code).toBe('unauthorized');
      const wrong = await fetch(`${base}/api/brands`, {
        headers: { authorization: `Bearer es_${'B'.repeat(43)}` },
      });
      expect(wrong.status, await wrong.text()).toBe(401);
      // Unknown paths are the app's own 404 envelope, not the assets layer's.
      const missing = await call('/api/nothing-here');
      expect(missing.status).toBe(404);
      expect((await json(missing)).error.code).toBe('not_found');
    }, 60_000);

    it('polls a feed on the every-minute cron trigger: the mentions land, each job run is recorded', async () => {
      const brand = await call('/api/brands', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Acme', kind: 'own', include: ['Acme'] }),
      });
      expect(brand.status, JSON.stringify(await json(brand))).toBe(201);
      const source = await call('/api/sources', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Acme news', kind: 'rss', options: { url: upstream.url(feedPath) } }),
      });
      const created = await json(source);
      expect(source.status, JSON.stringify(created)).toBe(201);
      expect(feedRequests(), 'nothing polled before the trigger').toBe(0);

      const scheduled = await fetch(`${base}/__scheduled?cron=${encodeURIComponent(EVERY_MINUTE)}`);
      expect(scheduled.status, `${await scheduled.clone().text()}\n--- wrangler:\n${output}`).toBe(200);
      expect(feedRequests()).toBe(1);

      const page = await json(await call(`/api/mentions?source=${created.id}&limit=10`));
      expect(page.items.map((m: { externalId: string }) => m.externalId).sort()).toEqual(
        items.map((item) => item.guid).sort(),
      );
      for (const mention of page.items) {
        expect(['positive', 'negative', 'neutral', 'mixed'], JSON.stringify(mention)).toContain(
          mention.sentiment.label,
        );
        expect(mention.brands.map((b: { name: string }) => b.name)).toEqual(['Acme']);
      }
      const stored = await db
        .selectFrom('mentions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('source_id', '=', created.id)
        .executeTakeFirstOrThrow();
      expect(Number(stored.n)).toBe(items.length);

      const runs = await jobRuns();
      expect(runs.map((r) => r.job)).toEqual(jobsForCron(EVERY_MINUTE).map((job) => job.name));
      for (const run of runs) {
        expect(run.outcome, JSON.stringify(run)).toBe('ok');
        expect(run.worker).toMatch(/^workers:[0-9a-f]{8}$/);
      }
      expect(runs[0]?.counts).toEqual({
        polled: 1,
        failed: 0,
        fetched: items.length,
        inserted: items.length,
      });

      // The source is not due again for its interval: a second trigger polls nothing.
      const again = await fetch(`${base}/__scheduled?cron=${encodeURIComponent(EVERY_MINUTE)}`);
      expect(again.status, await again.text()).toBe(200);
      expect(feedRequests()).toBe(1);
      expect(
        Number(
          (
            await db
              .selectFrom('mentions')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ).toBe(items.length);
    }, 90_000);

    it('runs retention on its own trigger, and refuses a trigger no job runs on', async () => {
      const before = (await jobRuns()).length;
      const retention = await fetch(`${base}/__scheduled?cron=${encodeURIComponent('17 3 * * *')}`);
      expect(retention.status, await retention.text()).toBe(200);
      const runs = await jobRuns();
      expect(runs.slice(before).map((r) => [r.job, r.outcome])).toEqual([['retention', 'ok']]);

      const unknown = await fetch(`${base}/__scheduled?cron=${encodeURIComponent('0 0 1 1 *')}`);
      const failure = await unknown.text();
      expect(unknown.status, failure).toBe(500);
      expect(failure).toContain('no job runs on the cron trigger "0 0 1 1 *"');
      expect((await jobRuns()).length).toBe(runs.length);
    }, 60_000);

    it('serves the dashboard and API reference files from its static assets, and streams CSV to the end', async () => {
      for (const [path, type] of [
        ['/dashboard/assets/dashboard.css', 'text/css'],
        ['/dashboard/assets/uPlot.iife.min.js', 'javascript'],
        ['/api/docs/swagger-ui-bundle.js', 'javascript'],
      ] as const) {
        const response = await fetch(`${base}${path}`);
        const body = await response.text();
        expect(response.status, `${path}: ${body.slice(0, 200)}`).toBe(200);
        expect(response.headers.get('content-type')).toContain(type);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(body.length, path).toBeGreaterThan(1000);
      }
      const docs = await call('/api/docs');
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('/api/docs/swagger-ui-bundle.js?v=');

      // Rows stream after the handler returned: the database closes only once the body is sent.
      const csv = await call('/api/mentions?format=csv');
      const text = await csv.text();
      expect(csv.status, text).toBe(200);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      for (const item of items) expect(text).toContain(item.title);
      expect(text.trim().split('\n')).toHaveLength(items.length + 1);
    }, 60_000);

    it('gives each of many concurrent requests a database of its own', async () => {
      // Workers tie a socket to the request that opened it: a pool shared across requests (or a
      // request handed another's) hangs or fails here.
      const paths = Array.from(
        { length: 24 },
        (_, i) => ['/api/mentions?limit=2', '/api/brands', '/api/mentions?format=csv', '/health'][i % 4],
      ) as string[];
      const answers = await Promise.all(
        paths.map(async (path) => {
          const response = await call(path);
          return { path, status: response.status, body: await response.text() };
        }),
      );
      for (const { path, status, body } of answers) {
        expect(status, `${path}: ${body.slice(0, 300)}`).toBe(200);
        if (path.includes('csv')) expect(body.trim().split('\n'), path).toHaveLength(items.length + 1);
        else if (path.startsWith('/api/mentions')) expect(JSON.parse(body).items, path).toHaveLength(2);
        else if (path === '/api/brands')
          expect(JSON.parse(body).items.map((b: { name: string }) => b.name)).toEqual(['Acme']);
      }
      await waitFor(
        'the invocations’ connections to close',
        async () => (await workerConnections()) === 0,
        10_000,
      );
    }, 90_000);
  },
);
