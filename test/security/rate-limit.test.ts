/**
 * Rate limiting per client address: past the budget, 429 with Retry-After in the one error envelope;
 * another address keeps its own budget; health checks are not counted. Through the real server too,
 * where the address is the socket's. And per API token: a default budget per token, or the token's
 * own, each token counted apart, with or without the per-address budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import type { Deps } from '../../src/deps.ts';
import { call, expectStatus } from '../helpers/app.ts';
import { BEARER, insertTestToken } from '../helpers/auth.ts';
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
    expect(parseConfig({}).tokenRateLimit).toBe(600);
    expect(parseConfig({ EARSHOT_TOKEN_RATE_LIMIT: '0' }).tokenRateLimit).toBe(0);
    expect(() => parseConfig({ EARSHOT_TOKEN_RATE_LIMIT: 'lots' })).toThrow(/EARSHOT_TOKEN_RATE_LIMIT/);
  });

  it('answers 429 with Retry-After past the budget, per address (behind a trusted proxy)', async () => {
    const app = createApp(deps, { rateLimit: { perMinute: 5, trustProxy: true } });
    const from = (ip: string) => ({ headers: { ...BEARER, 'x-forwarded-for': `${ip}, 10.0.0.1` } });
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
          headers: { ...BEARER, 'x-forwarded-for': `192.0.2.${i}` },
        });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await server.close();
    }
  });

  it("answers 429 with Retry-After past a token's budget, per token", async () => {
    const app = createApp(deps, { rateLimit: { perMinute: 1000, perToken: 3 } });
    const other = `es_${'B'.repeat(43)}`;
    await insertTestToken(handle.db, other, 'read', 'another reader');
    for (let i = 0; i < 3; i++) {
      const ok = await app.request('/api/brands', { headers: BEARER });
      expect(ok.status).toBe(200);
      // The token's budget is the one closer to running out: its headers are shown.
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(2 - i));
    }
    const limited = await app.request('/api/brands', { headers: BEARER });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await limited.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/at most 3 a minute for this token/);
    // Same address, another token: its own budget.
    expect((await app.request('/api/brands', { headers: { authorization: `Bearer ${other}` } })).status).toBe(
      200,
    );
    expect((await app.request('/health', { headers: BEARER })).status).toBe(200);
  });

  it('holds a token to its own limit (rateLimitPerMinute) rather than the default', async () => {
    const app = createApp(deps, { rateLimit: { perMinute: 1000, perToken: 3 } });
    const made = await call(app, 'POST', '/api/tokens', {
      name: 'slow script',
      scope: 'read',
      rateLimitPerMinute: 2,
    });
    expectStatus(made, 201);
    expect(made.body.token.rateLimitPerMinute).toBe(2);
    const headers = { authorization: `Bearer ${made.body.secret}` };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/api/brands', { headers });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
          /at most 2 a minute/,
        );
      }
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('limits tokens without a per-address budget (EARSHOT_RATE_LIMIT=0, EARSHOT_TOKEN_RATE_LIMIT set)', async () => {
    const app = createApp(deps, { rateLimit: { perToken: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.request('/api/brands', { headers: BEARER })).status);
    expect(statuses).toEqual([200, 200, 429]);
    // No per-address budget: a request without a token is refused as such, not counted.
    for (let i = 0; i < 5; i++) expect((await app.request('/api/brands')).status).toBe(401);
  });
});
