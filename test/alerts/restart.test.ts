/**
 * An alert survives the process dying: earshot (a real `src/node.ts` process) stores a negative
 * mention and its alert while the receiver is down, is killed with SIGKILL before it could deliver,
 * and delivers the alert — signed, with the id it was queued with — after a restart on the same
 * data directory. Runs on PGlite (and on PostgreSQL when TEST_DATABASE_URL is set, in its own database).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../src/alerts/channels.ts';
import { bearer, createProcessDatabase, startEarshot } from '../helpers/earshot-process.ts';

const _ROOT = resolve(import.meta.dirname, '../..');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('alerts across a crash (SIGKILL)', () => {
  const secret = generateWebhookSecret();
  const received: Array<{ id: string; body: string }> = [];
  let healthy = false;
  let receiver: Server;
  let hookUrl: string;
  let dir: string;
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    const verifier = new Webhook(secret);
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!healthy) return void res.writeHead(503).end();
        const body = Buffer.concat(chunks).toString('utf8');
        try {
          verifier.verify(body, req.headers as Record<string, string>);
        } catch {
          return void res.writeHead(400).end();
        }
        received.push({ id: String(req.headers['webhook-id']), body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    dir = mkdtempSync(join(tmpdir(), 'earshot-alerts-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        brands: [{ name: 'Acme' }],
        sources: [{ name: 'helpdesk', kind: 'push', options: {} }],
        channels: [{ name: 'hook', kind: 'webhook', url: hookUrl, secret: { env: 'TEST_HOOK_SECRET' } }],
        alertRules: [{ name: 'complaints', brand: 'Acme', kind: 'negative_mention', channels: ['hook'] }],
      }),
    );
    const database = await createProcessDatabase('earshot_alerts');
    databaseUrl = database?.url;
    dropDatabase = database?.drop;
  });

  afterAll(async () => {
    running?.kill('SIGKILL');
    await new Promise<void>((r) => receiver.close(() => r()));
    await dropDatabase?.();
  });

  it('delivers after a restart what was queued before the kill, once, with its id', async () => {
    const env = {
      EARSHOT_DATA_DIR: dir,
      EARSHOT_CONFIG: join(dir, 'config.json'),
      TEST_HOOK_SECRET: secret,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    };
    const first = await startEarshot(env);
    running = first.child;
    // The fresh database's first admin token, printed by the first start (and by no later one).
    const token = first.token;
    expect(token, first.output()).toBeDefined();
    const auth = bearer(token);
    const pushed = await fetch(`${first.url}/api/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({
        source: 'helpdesk',
        items: [
          {
            externalId: 'crash-1',
            text: 'Acme lost my parcel and nobody answers. Worst service ever.',
            publishedAt: new Date().toISOString(),
          },
        ],
      }),
    });
    expect(pushed.status, await pushed.text()).toBe(200);
    // Queued and tried (the receiver is down), not delivered.
    const queued = await until('a failed first attempt', async () => {
      const list = (await (await fetch(`${first.url}/api/alerts`, { headers: auth })).json()) as {
        items: Array<{ id: number }>;
      };
      const id = list.items[0]?.id;
      if (id === undefined) return undefined;
      const detail = (await (await fetch(`${first.url}/api/alerts/${id}`, { headers: auth })).json()) as {
        deliveries: Array<{ messageId: string; attempts: number; status: string }>;
      };
      const delivery = detail.deliveries[0];
      return delivery && delivery.attempts >= 1 ? delivery : undefined;
    });
    expect(queued.status).toBe('pending');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(received).toHaveLength(0);

    healthy = true;
    const second = await startEarshot(env);
    running = second.child;
    expect(second.token, second.output()).toBeUndefined();
    await until('the alert at the receiver', async () => (received.length > 0 ? true : undefined), 60_000);
    expect(received.map((r) => r.id)).toEqual([queued.messageId]);
    const message = JSON.parse(received[0]?.body ?? '{}') as {
      type: string;
      events: Array<{ mention: { text: string } }>;
    };
    expect(message.type).toBe('incident.opened');
    expect(message.events[0]?.mention.text).toContain('lost my parcel');
    // Nothing more arrives (no second copy under another id).
    await new Promise((r) => setTimeout(r, 2_000));
    expect(received).toHaveLength(1);
    // The first start's token still works after the restart.
    const alerts = await fetch(`${second.url}/api/alerts`, { headers: auth });
    expect(alerts.status, await alerts.text()).toBe(200);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    running = undefined;
  }, 120_000);
});
