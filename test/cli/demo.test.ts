/**
 * `earshot demo`: the sample goes through the real write path (analysis, themes, rollups, alert
 * rules) and fills every view a new user opens; running it again stores nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { createApp } from '../../src/app.ts';
import { loadDemo } from '../../src/cli/demo.ts';
import type { Deps } from '../../src/deps.ts';
import { call, expectStatus } from '../helpers/app.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const NOW = new Date('2026-11-20T12:00:00Z');

describe('earshot demo', () => {
  let handle: DbHandle;
  let deps: Deps;

  beforeAll(async () => {
    handle = await createTestDb();
    await resetDb(handle.db);
    deps = createTestDeps(handle.db, { now: () => NOW });
  });
  afterAll(() => handle.close());

  it('loads brands with a competitor panel, five sources, reviews, themes and open incidents; once', async () => {
    const first = await loadDemo(deps, { days: 10 });
    expect(first.brands).toEqual(['Cloudflare', 'Fastly', 'Akamai']);
    expect(first.inserted).toBeGreaterThan(200);
    expect(first.incidents).toBeGreaterThan(0);
    const app = createApp(deps);

    const brands = (await call(app, 'GET', '/api/brands')).body.items;
    const own = brands.find((b: { name: string }) => b.name === 'Cloudflare');
    expect(own.competitors).toHaveLength(2);

    const bySource = await call(app, 'GET', `/api/brands/${own.id}/breakdown?by=source&from=2026-11-01`);
    expectStatus(bySource, 200);
    const kinds = bySource.body.rows.map((r: { key: string }) => r.key).sort();
    expect(kinds).toEqual(['appstore', 'bluesky', 'hackernews', 'push', 'reddit']);

    const trends = await call(app, 'GET', `/api/brands/${own.id}/trends?from=2026-11-10&to=2026-11-20`);
    expect(trends.body.buckets.every((b: { volume: number }) => b.volume > 0)).toBe(true);
    const rated = await call(app, 'GET', '/api/mentions?sourceKind=appstore&limit=5');
    expect(rated.body.items.every((m: { rating: number | null }) => m.rating !== null)).toBe(true);
    const themes = await call(app, 'GET', `/api/brands/${own.id}/themes?from=2026-11-10`);
    expect(themes.body.themes.map((t: { theme: string }) => t.theme)).toContain('login page');

    // The live complaints about the login page are one incident that gained mentions.
    const alerts = await call(app, 'GET', '/api/alerts');
    expect(
      Math.max(...alerts.body.items.map((i: { mentionCount: number }) => i.mentionCount)),
    ).toBeGreaterThan(1);

    const again = await loadDemo(deps, { days: 10 });
    expect(again.inserted).toBe(0);
    expect(again.incidents).toBe(first.incidents);
  });
});
