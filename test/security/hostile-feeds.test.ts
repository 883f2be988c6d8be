/**
 * Hostile upstreams, through the real poll path: entity expansion (billion laughs), external
 * entities, deeply nested JSON, a 100 MB answer, invalid UTF-8 and a slow drip. Each ends in a
 * recorded source state within the timeout, with bounded memory, never a crash; nothing an entity
 * points at is fetched or read.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { createHttpClient } from '../../sources/http.ts';
import { createBrand } from '../../src/catalog/brands.ts';
import { createSource } from '../../src/catalog/sources.ts';
import type { Deps } from '../../src/deps.ts';
import { pollSource } from '../../src/ingest/poll-source.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { type FakeUpstream, type Handler, serveFeed, startFakeUpstream } from '../helpers/fake-upstream.ts';

const TIMEOUT_MS = 1_500;

const rss = (doctype: string, title: string, description: string) => `<?xml version="1.0"?>
${doctype}
<rss version="2.0"><channel><title>t</title>
<item><guid>1</guid><title>${title}</title><description>${description}</description>
<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>`;

const LAUGHS = `<!DOCTYPE lolz [
<!ENTITY lol "lol">
${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('\n')}
]>`;

describe('hostile upstream payloads', () => {
  let handle: DbHandle;
  let upstream: FakeUpstream;
  let deps: Deps;

  beforeAll(async () => {
    handle = await createTestDb();
    upstream = await startFakeUpstream();
    deps = createTestDeps(handle.db, {
      http: createHttpClient({ retries: 0, timeoutMs: TIMEOUT_MS, perHostIntervalMs: 0 }),
    });
  });
  afterAll(async () => {
    await upstream.close();
    await handle.close();
  });
  beforeEach(async () => {
    await resetDb(handle.db);
    await createBrand({ deps, input: { name: 'Acme' } });
  });

  async function poll(kind: 'rss' | 'hackernews', path: string, handler: Handler) {
    upstream.on(path, handler);
    const options =
      kind === 'rss' ? { url: upstream.url(path) } : { query: 'acme', baseUrl: upstream.url('') };
    const source = await createSource({ deps, input: { name: path, kind, options } });
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    const result = await pollSource({ deps, input: { sourceId: source.id } });
    const row = await handle.db
      .selectFrom('sources')
      .selectAll()
      .where('id', '=', source.id)
      .executeTakeFirstOrThrow();
    const mentions = await handle.db.selectFrom('mentions').select(['title', 'text']).execute();
    return {
      result,
      row,
      mentions,
      elapsedMs: Date.now() - started,
      heapGrowth: process.memoryUsage().heapUsed - heapBefore,
    };
  }

  it('billion laughs: entities are not expanded', async () => {
    const body = rss(LAUGHS, 'Acme outage &lol9;', 'Acme is down &lol9;');
    const { result, mentions, heapGrowth } = await poll('rss', '/laughs.xml', serveFeed(body));
    expect(['ok', 'failed']).toContain(result.status);
    for (const m of mentions) expect(`${m.title} ${m.text}`).not.toContain('lollol');
    // A billion "lol"s would be gigabytes.
    expect(heapGrowth).toBeLessThan(200 * 1024 * 1024);
  });

  it('external entities are never resolved: no file read, no request made', async () => {
    upstream.requests.length = 0;
    const doctype = `<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY net SYSTEM "${upstream.url('/exfil')}">]>`;
    const body = rss(doctype, 'Acme &xxe; news', 'Acme &net; text');
    const { result, mentions } = await poll('rss', '/xxe.xml', serveFeed(body));
    expect(['ok', 'failed']).toContain(result.status);
    for (const m of mentions) expect(`${m.title} ${m.text}`).not.toMatch(/root:|\/bin\/(ba)?sh/);
    expect(upstream.requests.map((r) => r.path)).toEqual(['/xxe.xml']);
  });

  it('deeply nested JSON is recorded (no item, or an error), not a stack overflow', async () => {
    const depth = 1_000_000;
    const body = `{"hits":[${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}]}`;
    const { result, row, mentions } = await poll('hackernews', '/api/v1/search_by_date', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    expect(['ok', 'failed']).toContain(result.status);
    expect(mentions).toHaveLength(0);
    // The poll was recorded either way: a success with nothing readable, or the error.
    expect(row.last_success_at !== null || row.last_error !== null).toBe(true);
  });

  it('a 100 MB answer is cut off at the size cap, in bounded memory', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const { result, row, heapGrowth } = await poll('rss', '/huge.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      let sent = 0;
      const pump = () => {
        while (sent < 100) {
          sent++;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => {});
      pump();
    });
    expect(result.status).toBe('failed');
    expect(row.last_error).toMatch(/too large|exceeds|bytes/i);
    expect(heapGrowth).toBeLessThan(60 * 1024 * 1024);
  });

  it('invalid UTF-8 is decoded with replacement characters, never a crash', async () => {
    const head = Buffer.from(rss('', 'Acme review', 'Acme is great XX'), 'utf8');
    const at = head.indexOf('XX');
    head[at] = 0xff;
    head[at + 1] = 0xc3;
    const { result, mentions } = await poll('rss', '/bad-utf8.xml', serveFeed(head));
    expect(result.status).toBe('ok');
    expect(mentions).toHaveLength(1);
    expect(mentions[0]?.text).toContain('\uFFFD');
  });

  it('a slow drip ends at the timeout with a recorded error', async () => {
    const { result, row, elapsedMs } = await poll('rss', '/drip.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const timer = setInterval(() => res.write('<'), 100);
      res.on('close', () => clearInterval(timer));
    });
    expect(result.status).toBe('failed');
    expect(row.last_error).toMatch(/within 1500 ms/);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS * 4);
  });
});
