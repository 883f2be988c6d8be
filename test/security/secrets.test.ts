/**
 * Secrets at rest: upstream credentials and webhook URLs and secrets are stored encrypted
 * (AES-256-GCM under EARSHOT_SECRET_KEY), never shown by the API after creation, never logged; a
 * missing or wrong key is a clear error at start.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { deliverDueAlerts } from '../../src/alerts/deliver.ts';
import { queueDeliveries } from '../../src/alerts/fire.ts';
import { createApp } from '../../src/app.ts';
import type { Deps } from '../../src/deps.ts';
import { pollSource } from '../../src/ingest/poll-source.ts';
import { LOGGER_OPTIONS } from '../../src/logger.ts';
import { checkStoredSecrets, resolveSecretRef, seal, unseal } from '../../src/secrets.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps, TEST_SECRET_KEY } from '../helpers/deps.ts';

const TOKEN = 'ghp_SuperSecretToken1234567890';
const HOOK_SECRET = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==';
const SLACK_PATH = '/services/T000/B000/XXXXSECRETPATH';

describe('secrets at rest', () => {
  let handle: DbHandle;
  let deps: Deps;
  let logs: string[];
  let upstream: Server;
  let port: number;

  beforeAll(async () => {
    handle = await createTestDb();
    upstream = createServer((req, res) => {
      // A hostile upstream echoing the credential it was sent.
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: req.headers }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    port = (upstream.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => upstream.close(r));
    await handle.close();
  });
  beforeEach(async () => {
    await resetDb(handle.db);
    logs = [];
    const logger = pino({ ...LOGGER_OPTIONS, level: 'trace' }, { write: (line: string) => logs.push(line) });
    deps = createTestDeps(handle.db, { logger });
  });

  const key = Buffer.from(TEST_SECRET_KEY, 'base64');

  it("an {env} reference cannot name earshot's own secrets (the key, the database address)", () => {
    const env: Record<string, string> = { EARSHOT_SECRET_KEY: 'k', DATABASE_URL: 'postgres://x', GH: 'ghp' };
    const read = (name: string) => env[name];
    expect(resolveSecretRef(read, { env: 'GH' })).toBe('ghp');
    expect(() => resolveSecretRef(read, { env: 'EARSHOT_SECRET_KEY' }, 'options.token')).toThrow(
      /refused: EARSHOT_SECRET_KEY \(options.token\) is earshot's own secret/,
    );
    expect(() => resolveSecretRef(read, { env: 'DATABASE_URL' })).toThrow(/own secret/);
  });

  it('seals with AES-256-GCM: a fresh IV each time, tampering and a wrong key detected', () => {
    const a = seal(key, TOKEN);
    expect(a).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(seal(key, TOKEN)).not.toBe(a);
    expect(unseal(key, a)).toBe(TOKEN);
    const [v, iv, body, tag] = a.split('.') as [string, string, string, string];
    // Flip one bit of the ciphertext itself (editing a base64 character can leave the bytes unchanged).
    const bytes = Buffer.from(body, 'base64url');
    bytes[0] = (bytes[0] as number) ^ 1;
    const flipped = `${v}.${iv}.${bytes.toString('base64url')}.${tag}`;
    expect(flipped).not.toBe(a);
    expect(() => unseal(key, flipped)).toThrow(/cannot be decrypted/);
    expect(() => unseal(Buffer.alloc(32, 1), a)).toThrow(/EARSHOT_SECRET_KEY is not the key/);
  });

  it('a source credential is stored sealed, masked in answers and logs, and used when polling', async () => {
    const app = createApp(deps);
    const created = await call(app, 'POST', '/api/sources', {
      name: 'gh',
      kind: 'github',
      options: { query: 'acme', token: TOKEN, baseUrl: `http://127.0.0.1:${port}` },
    });
    expectStatus(created, 201);
    expect(created.text).not.toContain(TOKEN);
    expect(created.body.options.token).toBe('********');
    const row = await handle.db.selectFrom('sources').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(row.options)).not.toContain(TOKEN);
    expect(resolveSecretRef(deps.readSecret, (row.options as { token: unknown }).token)).toBe(TOKEN);

    // Sending the mask back keeps the credential.
    expectStatus(
      await call(app, 'PATCH', `/api/sources/${created.body.id}`, {
        options: { query: 'acme corp', token: '********', baseUrl: `http://127.0.0.1:${port}` },
      }),
      200,
    );
    const after = await handle.db.selectFrom('sources').selectAll().executeTakeFirstOrThrow();
    expect(resolveSecretRef(deps.readSecret, (after.options as { token: unknown }).token)).toBe(TOKEN);

    // The poll sends it (the upstream echoes it back) and fails; nothing of it reaches logs or health.
    const result = await pollSource({ deps, input: { sourceId: created.body.id } });
    expect(result.status).toBe('failed');
    const health = await call(app, 'GET', `/api/sources/${created.body.id}`);
    expect(health.text).not.toContain(TOKEN);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(TOKEN);
  });

  it('a channel URL and signing secret are stored sealed; the answer shows the origin only; logs stay clean', async () => {
    const app = createApp(deps);
    const receiver = createServer((_req, res) => res.writeHead(500).end('down'));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${SLACK_PATH}`;
    try {
      const created = await call(app, 'POST', '/api/channels', {
        name: 'hook',
        kind: 'webhook',
        url,
        secret: HOOK_SECRET,
      });
      expectStatus(created, 201);
      expect(created.text).not.toContain('SECRETPATH');
      expect(created.text).not.toContain(HOOK_SECRET);
      expect(created.body.url).toEqual({ origin: new URL(url).origin });
      const row = await handle.db.selectFrom('alert_channels').selectAll().executeTakeFirstOrThrow();
      expect(JSON.stringify([row.url, row.secret])).not.toMatch(/SECRETPATH|whsec_/);

      await queueDeliveries(
        handle.db,
        [created.body.id],
        {
          type: 'test',
          createdAt: new Date().toISOString(),
          brand: null,
          rule: null,
          incident: null,
          summary: 'x',
          details: {},
          events: [],
        },
        { incidentId: null, notBefore: new Date(0) },
      );
      const report = await deliverDueAlerts({ deps, input: {} });
      expect(report.failed + report.retried).toBeGreaterThan(0);
      const all = logs.join('\n');
      expect(all).toContain('alert delivery');
      expect(all).not.toContain('SECRETPATH');
      expect(all).not.toContain(HOOK_SECRET);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  it('without a key, a literal credential is refused with what to do; an {env} reference needs none', async () => {
    const keyless = createTestDeps(handle.db, {
      readSecret: (name) => (name === 'GH_TOKEN' ? TOKEN : undefined),
    });
    const app = createApp(keyless);
    const refused = await call(app, 'POST', '/api/sources', {
      name: 'gh',
      kind: 'github',
      options: { query: 'acme', token: TOKEN },
    });
    expectError(refused, 400, 'validation_failed');
    expect(refused.body.error.message).toMatch(/EARSHOT_SECRET_KEY/);
    expect(refused.text).not.toContain(TOKEN);
    expectStatus(
      await call(app, 'POST', '/api/sources', {
        name: 'gh',
        kind: 'github',
        options: { query: 'acme', token: { env: 'GH_TOKEN' } },
      }),
      201,
    );
  });

  it('at start: stored secrets without the key, or with another key, are a clear error; old literals get sealed', async () => {
    await handle.db
      .insertInto('sources')
      .values({
        name: 'legacy',
        kind: 'github',
        options: JSON.stringify({ query: 'acme', token: TOKEN }),
        next_poll_at: new Date(),
        poll_interval_seconds: 900,
      } as never)
      .execute();
    expect(await checkStoredSecrets({ db: handle.db, readSecret: () => undefined })).toEqual({ sealed: 0 });
    expect(await checkStoredSecrets(deps)).toEqual({ sealed: 1 });
    const row = await handle.db.selectFrom('sources').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(row.options)).not.toContain(TOKEN);
    await expect(checkStoredSecrets({ db: handle.db, readSecret: () => undefined })).rejects.toThrow(
      /1 stored secret\(s\) are encrypted at rest and EARSHOT_SECRET_KEY is not set/,
    );
    const other = Buffer.alloc(32, 9).toString('base64');
    await expect(
      checkStoredSecrets({
        db: handle.db,
        readSecret: (n) => (n === 'EARSHOT_SECRET_KEY' ? other : undefined),
      }),
    ).rejects.toThrow(/not the key it was sealed with/);
    await expect(
      checkStoredSecrets({
        db: handle.db,
        readSecret: (n) => (n === 'EARSHOT_SECRET_KEY' ? 'short' : undefined),
      }),
    ).rejects.toThrow(/must be 32 bytes/);
  });
});
