/**
 * Rate limiting per client address: past the budget, 429 with Retry-After in the one error envelope;
 * another address keeps its own budget; health checks are not counted. Through the real server too,
 * where the address is the socket's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import type { Deps } from '../../src/deps.ts';
import { serveApp } from '../helpers/browser.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

describe('rate limiting', () => {
  let handle: DbHandle;
  let deps: Deps;
  beforeAll(async () => {
    handle = await createTestDb();
    await resetDb(handle.db);
    deps = createTestDeps(handle.db);
  });
  afterAll(() => handle.close());

  it('is on by default in the configuration, and can be turned off', () => {
    expect(parseConfig({}).rateLimit).toBe(600);
    expect(parseConfig({ EARSHOT_RATE_LIMIT: '0' }).rateLimit).toBe(0);
    expect(() => parseConfig({ EARSHOT_RATE_LIMIT: 'lots' })).toThrow(/EARSHOT_RATE_LIMIT/);
  });

  it('answers 429 with Retry-After past the budget, per address (behind a trusted proxy)', async () => {
    const app = createApp(deps, { rateLimit: { perMinute: 5, trustProxy: true } });
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': `${ip}, 10.0.0.1` } });
    for (let i = 0; i < 5; i++) {
      const ok = await app.request('/api/brands', from('203.0.113.7'));
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(4 - i));
    }
    const limited = await app.request('/api/brands', from('203.0.113.7'));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await limited.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/at most 5 a minute/);
    expect((await app.request('/api/brands', from('198.51.100.9'))).status).toBe(200);
    expect((await app.request('/health', from('203.0.113.7'))).status).toBe(200);
  });

  it('ignores a forged X-Forwarded-For unless told to trust a proxy: the socket address counts', async () => {
    const server = await serveApp(createApp(deps, { rateLimit: { perMinute: 3 } }).fetch);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${server.url}/api/brands`, {
          headers: { 'x-forwarded-for': `192.0.2.${i}` },
        });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await server.close();
    }
  });
});
