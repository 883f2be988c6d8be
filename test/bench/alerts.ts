/**
 * bench:alerts — how soon a matching negative mention reaches a healthy webhook receiver after its
 * ingest commits: the alert and its outbox row commit with the mention, the delivery worker is woken
 * at once (`alertsQueued`), signs with Standard Webhooks and posts to a receiver on 127.0.0.1 that
 * verifies the signature.
 *
 *   npm run bench:alerts [-- --alerts=N]   (default 200)
 *
 * Rows: "woken" is the path above (the process that ingested also delivers); "tick" leaves the wake
 * out, as when another process ingested: the deliver-alerts job's 1-second tick finds the row. The
 * baseline is one signed POST to the same receiver, sent directly: the ratios say what the outbox
 * adds to the network round trip. Embedded database (PGlite) unless DATABASE_URL is set (a private
 * schema, dropped at the end). Ends with `RESULT p50_ms=… p95_ms=…` (the woken path).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { createDb, type DbHandle } from '../../db/create-db.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { generateWebhookSecret } from '../../src/alerts/channels.ts';
import { createChannel } from '../../src/alerts/channels-catalog.ts';
import { deliverDueAlerts } from '../../src/alerts/deliver.ts';
import { createKick } from '../../src/alerts/kick.ts';
import { createRule } from '../../src/alerts/rules.ts';
import { createBrand } from '../../src/catalog/brands.ts';
import { createSource } from '../../src/catalog/sources.ts';
import type { Deps } from '../../src/deps.ts';
import { pushItems } from '../../src/ingest/push-items.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { intArg } from './args.ts';

const ALERTS = intArg('alerts', 200);
const TICK_ALERTS = Math.max(5, Math.round(ALERTS / 8));
const GAP_MS = 20;

type Stats = { n: number; p50: number; p95: number; p99: number; max: number };
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s.at(-1) ?? Number.NaN };
}
const ms = (v: number) => v.toFixed(1);
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

/** A receiver that verifies every signature and notes when each item's alert arrived. */
function startReceiver(secret: string) {
  const verifier = new Webhook(secret);
  const arrived = new Map<string, number>();
  let rejected = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const message = verifier.verify(body, req.headers as Record<string, string>) as {
          events?: Array<{ mention?: { url?: string | null } | null }>;
        };
        const key = message.events?.[0]?.mention?.url ?? `direct:${req.headers['webhook-id']}`;
        if (!arrived.has(key)) arrived.set(key, at);
        res.writeHead(204).end();
      } catch {
        rejected++;
        res.writeHead(400).end();
      }
    });
  });
  return new Promise<{
    url: string;
    arrived: Map<string, number>;
    rejected: () => number;
    close: () => Promise<void>;
  }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
        arrived,
        rejected: () => rejected,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > until) return false;
    await sleep(2);
  }
  return true;
}

async function openDb(): Promise<{ handle: DbHandle; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL || undefined;
  if (!url) return { handle: await createDb({ kind: 'pglite', dataDir: null }), drop: async () => {} };
  const schema = `bench_alerts_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    handle: await createDb({ kind: 'postgres', url, searchPath: schema }),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: url });
      await dropper.connect();
      await dropper.query(`drop schema ${schema} cascade`);
      await dropper.end();
    },
  };
}

async function main(): Promise<number> {
  const secret = generateWebhookSecret();
  const receiver = await startReceiver(secret);
  const { handle, drop } = await openDb();
  try {
    await migrateToLatest(handle.db);
    const committed = new Map<string, number>();
    let current = '';
    let wake = true;
    const deps: Deps = createTestDeps(handle.db, {
      dbKind: process.env.DATABASE_URL ? 'postgres' : 'pglite',
    });
    const kick = createKick(
      () => deliverDueAlerts({ deps, input: {} }),
      (error) => console.error('delivery failed', error),
    );
    deps.alertsQueued = () => {
      committed.set(current, performance.now());
      if (wake) kick();
    };
    await createBrand({ deps, input: { name: 'Acme' } });
    await createSource({ deps, input: { name: 'helpdesk', kind: 'push', options: {} } });
    await createChannel({ deps, input: { name: 'hook', kind: 'webhook', url: receiver.url, secret } });
    await createRule({
      deps,
      input: {
        name: 'negative',
        brand: 'Acme',
        kind: 'negative_mention',
        channels: ['hook'],
        cooldownMinutes: 0,
        // Every alert is measured on its own: no flood cap folding the burst into a digest.
        maxAlertsPerHour: null,
      },
    });

    const push = async (key: string) => {
      current = key;
      await pushItems({
        deps,
        input: {
          source: 'helpdesk',
          items: [
            {
              externalId: key,
              url: key,
              text: `Acme lost my parcel again and support never answered (${key}). Terrible service.`,
              publishedAt: new Date().toISOString(),
            },
          ],
        },
      });
    };
    // Warm-up: the first pushes load the model and compile the statements.
    for (let k = 0; k < 10; k++) await push(`https://bench.example/warm/${k}`);
    await kick.idle();

    const run = async (label: string, count: number, timeoutMs: number) => {
      const latencies: number[] = [];
      let lost = 0;
      for (let k = 0; k < count; k++) {
        const key = `https://bench.example/${label}/${k}`;
        await push(key);
        if (!(await waitFor(() => receiver.arrived.has(key), timeoutMs))) {
          lost++;
          continue;
        }
        const at = committed.get(key);
        if (at !== undefined) latencies.push((receiver.arrived.get(key) as number) - at);
        await sleep(GAP_MS);
      }
      return { stats: stats(latencies), lost };
    };

    // Baseline: a signed POST straight to the receiver, as the worker sends it.
    const signer = new Webhook(secret);
    const direct: number[] = [];
    for (let k = 0; k < ALERTS; k++) {
      const id = `msg_direct_${k}`;
      const body = JSON.stringify({ type: 'test', events: [] });
      const at = new Date();
      const started = performance.now();
      const res = await fetch(receiver.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(id, at, body),
        },
        body,
      });
      await res.arrayBuffer();
      direct.push(performance.now() - started);
    }

    const woken = await run('woken', ALERTS, 10_000);
    wake = false;
    const ticker = setInterval(() => void deliverDueAlerts({ deps, input: {} }).catch(() => {}), 1000);
    const tick = await run('tick', TICK_ALERTS, 10_000);
    clearInterval(ticker);

    const baseline = stats(direct);
    console.log(`# bench:alerts (${ALERTS} alerts woken, ${TICK_ALERTS} by tick)`);
    console.log('');
    console.log(
      `${handle.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL, private schema)' : 'PGlite (embedded)'}, Node ${
        process.version
      }, ${availableParallelism()} cores, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(
          ' ',
        )}; receiver on 127.0.0.1 verifying Standard Webhooks signatures (rejected: ${receiver.rejected()})`,
    );
    console.log('');
    console.log('| path | n | lost | p50 ms | p95 ms | p99 ms | max ms | p95 / baseline p95 |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    const row = (name: string, s: Stats, lost: number) =>
      console.log(
        `| ${name} | ${s.n} | ${lost} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.max)} | ${(s.p95 / baseline.p95).toFixed(1)} |`,
      );
    row('baseline: one signed POST', baseline, 0);
    row('ingest commit → received (woken)', woken.stats, woken.lost);
    row('ingest commit → received (1 s tick)', tick.stats, tick.lost);
    console.log('');
    const met = woken.lost === 0 && woken.stats.p95 <= 1000;
    console.log(`target p95 ≤ 1000 ms from commit to receipt (woken): ${met ? 'met' : 'MISSED'}`);
    console.log(`RESULT p50_ms=${ms(woken.stats.p50)} p95_ms=${ms(woken.stats.p95)}`);
    await kick.idle();
    return woken.lost === 0 && receiver.rejected() === 0 ? 0 : 1;
  } finally {
    await handle.close();
    await drop();
    await receiver.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
