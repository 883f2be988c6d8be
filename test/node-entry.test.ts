/**
 * The Node entry end to end, as a user runs it: a real process with a config file, printing a fresh
 * install's first admin token (once: not on the next start), serving HTTP to that token, polling a
 * feed from a local fake upstream, refusing a second process on the same data directory, and
 * stopping cleanly on SIGTERM. Runs on PGlite, and also on PostgreSQL when TEST_DATABASE_URL is set.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createProcessDatabase, startEarshot } from './helpers/earshot-process.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from './helpers/fake-upstream.ts';

const _ROOT = resolve(import.meta.dirname, '..');
const FEED = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://example.com</link>
<description>d</description>
<item><guid>n1</guid><title>Acme support was rude and slow</title><description>Awful experience with Acme.</description>
<pubDate>Mon, 16 Nov 2026 10:00:00 GMT</pubDate></item>
<item><guid>n2</guid><title>Acme is great</title><description>I love the new Acme app.</description>
<pubDate>Mon, 16 Nov 2026 11:00:00 GMT</pubDate></item>
</channel></rss>`;

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null) resolvePromise(child.exitCode);
    else child.on('exit', (code) => resolvePromise(code));
  });
}

async function json(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  expect(res.ok, `${init?.method ?? 'GET'} ${url} -> ${res.status}: ${text}`).toBe(true);
  return JSON.parse(text);
}

describe('npm start (src/node.ts)', () => {
  let upstream: FakeUpstream;
  let dir: string;
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.on('/feed', serveFeed(FEED));
    dir = mkdtempSync(join(tmpdir(), 'earshot-e2e-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        brands: [{ name: 'Acme' }],
        sources: [
          { name: 'feed', kind: 'rss', options: { url: upstream.url('/feed') }, pollIntervalSeconds: 60 },
        ],
      }),
    );
    const database = await createProcessDatabase('earshot_e2e');
    databaseUrl = database?.url;
    dropDatabase = database?.drop;
  });
  afterAll(async () => {
    await upstream.close();
    await dropDatabase?.();
  });

  it('starts with a config file, prints its first admin token, polls, serves mentions and trends, and stops on SIGTERM', async () => {
    const env = {
      EARSHOT_DATA_DIR: join(dir, 'data'),
      EARSHOT_CONFIG: join(dir, 'config.json'),
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    };
    // At info level the log shares stdout with the notice: the token must appear there once, never logged.
    const server = await startEarshot({ ...env, LOG_LEVEL: 'info' });
    const token = server.token;
    try {
      expect(token, server.output()).toMatch(/^es_[A-Za-z0-9_-]{43}$/);
      const output = server.output();
      expect(output.split(token!)).toHaveLength(2);
      const notice = output.slice(0, output.indexOf('earshot listening on'));
      expect(notice).toContain('first admin token');
      expect(notice).toContain('shown once');
      expect(notice).toContain('stored only');
      expect(notice).toContain(`${server.url}/signin`);
      expect(notice).toContain('Authorization: Bearer');
      expect(notice).toContain('npx earshot token create');

      const health = await json(`${server.url}/health`);
      expect(health).toEqual({ status: 'ok', database: databaseUrl ? 'postgres' : 'pglite' });
      expect((await fetch(`${server.url}/api/brands`)).status).toBe(401);
      const wrong = await fetch(`${server.url}/api/brands`, { headers: bearer(`es_${'x'.repeat(43)}`) });
      expect(wrong.status).toBe(401);

      // The scheduler polls the configured source (due at once) within its 10-second tick.
      let mentions: { items: Array<{ title: string; sentiment: { label: string } }> } = { items: [] };
      for (let i = 0; i < 40 && mentions.items.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 500));
        mentions = await json(`${server.url}/api/mentions`, { headers: bearer(token) });
      }
      expect(mentions.items.map((m) => m.title).sort()).toEqual([
        'Acme is great',
        'Acme support was rude and slow',
      ]);

      const [brand] = (await json(`${server.url}/api/brands`, { headers: bearer(token) })).items;
      const trend = await json(
        `${server.url}/api/brands/${brand.id}/trends?interval=day&from=2026-11-15&to=2026-11-18&tz=America/New_York`,
        { headers: bearer(token) },
      );
      expect(trend.buckets.map((b: { volume: number }) => b.volume)).toEqual([0, 2, 0]);

      if (!databaseUrl) {
        // A second process on the same embedded database is refused with a clear message.
        await expect(startEarshot(env)).rejects.toThrow(/in use by another earshot process/);
      }
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await exitOf(server.child), server.output()).toBe(0);

    // The next start on the same database prints no token: the first one still works.
    const again = await startEarshot(env);
    try {
      expect(again.token, again.output()).toBeUndefined();
      expect(again.output()).not.toContain('first admin token');
      expect((await fetch(`${again.url}/api/brands`, { headers: bearer(token) })).status).toBe(200);
      expect((await fetch(`${again.url}/api/brands`)).status).toBe(401);
      expect((await fetch(`${again.url}/health`)).status).toBe(200);
    } finally {
      again.child.kill('SIGTERM');
    }
    expect(await exitOf(again.child), again.output()).toBe(0);
  }, 120_000);
});
