/**
 * Security headers on every response (API, errors, dashboard, API reference, assets), and CORS: off
 * unless origins are configured, and then only for those.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import type { Deps } from '../../src/deps.ts';
import { BEARER } from '../helpers/auth.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const PATHS: Array<[method: string, path: string]> = [
  ['GET', '/health'],
  ['GET', '/api/brands'],
  ['GET', '/api/brands/999'],
  ['GET', '/api/mentions?label=furious'],
  ['POST', '/api/brands'],
  ['GET', '/api/nope'],
  ['GET', '/'],
  ['GET', '/mentions'],
  ['GET', '/api/docs'],
  ['GET', '/api/openapi.json'],
  ['GET', '/dashboard/assets/dashboard.css'],
];

describe('security headers and CORS', () => {
  let handle: DbHandle;
  let deps: Deps;
  beforeAll(async () => {
    handle = await createTestDb();
    await resetDb(handle.db);
    deps = createTestDeps(handle.db);
  });
  afterAll(() => handle.close());

  it.each(PATHS)('%s %s carries them', async (method, path) => {
    const res = await createApp(deps).request(path, {
      method,
      ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
    });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('CORS is off by default: a preflight from another origin gets no permission', async () => {
    const res = await createApp(deps).request('/api/brands', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('configured origins, and only they, are allowed', async () => {
    const config = parseConfig({ EARSHOT_CORS_ORIGINS: 'https://app.example.com, https://bi.example.com' });
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'https://bi.example.com']);
    expect(() => parseConfig({ EARSHOT_CORS_ORIGINS: 'javascript:alert(1)' })).toThrow(
      /EARSHOT_CORS_ORIGINS/,
    );
    const app = createApp(deps, { corsOrigins: config.corsOrigins });
    const allowed = await app.request('/api/brands', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await app.request('/api/brands', {
      headers: { ...BEARER, origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
