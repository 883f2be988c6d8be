/** The dashboard's static files: a fixed list, the right content types, nothing else. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { BEARER } from '../helpers/auth.ts';
import { createTestDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const ASSETS = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'mentions.js': 'text/javascript; charset=utf-8',
  'alerts.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
  'uPlot.iife.min.js': 'text/javascript; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
};

describe('dashboard assets', () => {
  let handle: DbHandle;
  let app: App;

  beforeAll(async () => {
    handle = await createTestDb();
    app = createApp(createTestDeps(handle.db));
  });
  afterAll(() => handle.close());

  it('serves each listed asset with its content type, nosniff and a cache lifetime', async () => {
    for (const [name, type] of Object.entries(ASSETS)) {
      const res = await app.request(`/dashboard/assets/${name}`);
      const body = await res.text();
      expect(res.status, `${name}: ${body.slice(0, 200)}`).toBe(200);
      expect(res.headers.get('content-type'), name).toBe(type);
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(res.headers.get('cache-control'), name).toMatch(/max-age=\d+/);
      expect(body.length, name).toBeGreaterThan(100);
    }
    expect(await (await app.request('/dashboard/assets/uPlot.iife.min.js')).text()).toContain('uPlot');
    // The page loads what is served.
    const page = await (await app.request('/', { headers: BEARER })).text();
    expect(page).toContain('<html');
    for (const [, name] of page.matchAll(/(?:src|href)="\/dashboard\/assets\/([^"]+)"/g)) {
      expect(Object.keys(ASSETS), String(name)).toContain(name);
    }
  });

  it('answers 404 for anything not on the list', async () => {
    for (const path of [
      '/dashboard/assets/nope.js',
      '/dashboard/assets/..%2F..%2Fpackage.json',
      '/dashboard/assets/%2e%2e%2fassets.ts',
      '/dashboard/assets/assets.ts',
      '/dashboard/assets/toString',
      '/dashboard/assets/__proto__',
      '/dashboard/assets/',
    ]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('import');
    }
  });

  it('client modules insert text with textContent, never as HTML', async () => {
    for (const name of ['dashboard.js', 'api.js', 'charts.js', 'mentions.js', 'alerts.js']) {
      const js = await (await app.request(`/dashboard/assets/${name}`)).text();
      expect(js, name).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/,
      );
    }
  });
});
