import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { pollDueSources } from '../../jobs/poll-sources.ts';
import { createBrand } from '../../src/catalog/brands.ts';
import { createSource } from '../../src/catalog/sources.ts';
import type { Deps } from '../../src/deps.ts';
import { pollSource } from '../../src/ingest/poll-source.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from '../helpers/fake-upstream.ts';

function rssFeed(
  items: Array<{ guid: string; title: string; description: string; pubDate?: string }>,
): string {
  const body = items
    .map(
      (i) => `<item><guid>${i.guid}</guid><title>${i.title}</title><link>https://example.com/${i.guid}</link>
      <description><![CDATA[${i.description}]]></description>${i.pubDate ? `<pubDate>${i.pubDate}</pubDate>` : ''}</item>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://example.com</link>
    <description>d</description><language>en-us</language>${body}</channel></rss>`;
}

const ITEMS = [
  {
    guid: 'a1',
    title: 'Acme support is terrible',
    description:
      '<p>I waited three hours and the <b>Acme</b> support agent was rude. Awful delivery too.</p>',
    pubDate: 'Mon, 16 Nov 2026 10:00:00 GMT',
  },
  {
    guid: 'a2',
    title: 'Loving my new Acme phone',
    description: 'The camera is superb and the battery lasts for days. Great job!',
    pubDate: 'Tue, 17 Nov 2026 12:30:00 GMT',
  },
  {
    guid: 'a3',
    title: 'Acme vs Globex: which cloud is better?',
    description: 'Globex was faster, but Acme had the nicer dashboard.',
    pubDate: 'Wed, 18 Nov 2026 08:00:00 GMT',
  },
  {
    guid: 'x1',
    title: 'Unrelated news',
    description: 'Nothing about any brand here.',
    pubDate: 'Wed, 18 Nov 2026 09:00:00 GMT',
  },
  {
    guid: 'x2',
    title: 'Acme pie recipe',
    description: 'An Acme pie is excluded by the brand terms.',
    pubDate: 'Wed, 18 Nov 2026 09:30:00 GMT',
  },
];

describe('pollSource', () => {
  let handle: DbHandle;
  let upstream: FakeUpstream;
  let deps: Deps;

  beforeAll(async () => {
    handle = await createTestDb();
    upstream = await startFakeUpstream();
    deps = createTestDeps(handle.db, { now: () => new Date('2026-11-20T00:00:00Z') });
  });
  afterAll(async () => {
    await upstream.close();
    await handle.close();
  });
  beforeEach(async () => {
    await resetDb(handle.db);
    upstream.requests.length = 0;
    await createBrand({ deps, input: { name: 'Acme', include: ['Acme'], exclude: ['Acme pie'] } });
    await createBrand({ deps, input: { name: 'Globex', kind: 'competitor' } });
  });

  async function addSource(path: string, name = 'feed') {
    return createSource({ deps, input: { name, kind: 'rss', options: { url: upstream.url(path) } } });
  }

  async function counts() {
    const one = async (table: 'mentions' | 'mention_brands' | 'mention_themes') =>
      Number(
        (
          await handle.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      mentions: await one('mentions'),
      matches: await one('mention_brands'),
      themes: await one('mention_themes'),
    };
  }

  it('stores matching items with brands, sentiment and themes, and a re-poll inserts nothing', async () => {
    upstream.on('/feed', serveFeed(rssFeed(ITEMS)));
    const source = await addSource('/feed');

    const first = await pollSource({ deps, input: { sourceId: source.id } });
    expect(first, JSON.stringify(first)).toMatchObject({
      status: 'ok',
      fetched: 5,
      matched: 3,
      inserted: 3,
      duplicates: 0,
    });

    const mentions = await handle.db.selectFrom('mentions').selectAll().orderBy('external_id').execute();
    expect(mentions.map((m) => m.external_id)).toEqual(['a1', 'a2', 'a3']);
    const [complaint, praise] = mentions;
    expect(complaint?.text).toContain('support agent was rude');
    expect(complaint?.text).not.toContain('<b>');
    expect(complaint?.sentiment_label).toBe('negative');
    expect(praise?.sentiment_label).toBe('positive');
    expect(complaint?.published_at?.toISOString()).toBe('2026-11-16T10:00:00.000Z');
    expect(complaint?.language).toBe('en-us');
    expect(complaint?.url).toBe('https://example.com/a1');
    expect(Array.isArray(complaint?.sentences) && complaint.sentences.length > 0).toBe(true);

    const comparison = await handle.db
      .selectFrom('mention_brands as mb')
      .innerJoin('brands as b', 'b.id', 'mb.brand_id')
      .innerJoin('mentions as m', 'm.id', 'mb.mention_id')
      .where('m.external_id', '=', 'a3')
      .select('b.name')
      .orderBy('b.name')
      .execute();
    expect(comparison.map((r) => r.name)).toEqual(['Acme', 'Globex']);
    const before = await counts();
    expect(before.themes).toBeGreaterThan(0);

    const second = await pollSource({ deps, input: { sourceId: source.id } });
    expect(second).toMatchObject({ status: 'ok', inserted: 0, duplicates: 3 });
    expect(await counts()).toEqual(before);

    const row = await handle.db
      .selectFrom('sources')
      .selectAll()
      .where('id', '=', source.id)
      .executeTakeFirstOrThrow();
    expect(row.consecutive_failures).toBe(0);
    expect(row.last_success_at?.toISOString()).toBe('2026-11-20T00:00:00.000Z');
  });

  it('sends the stored ETag and treats 304 as nothing new', async () => {
    upstream.on('/etag', serveFeed(rssFeed(ITEMS.slice(0, 1)), { etag: '"v1"' }));
    const source = await addSource('/etag');
    expect(await pollSource({ deps, input: { sourceId: source.id } })).toMatchObject({ inserted: 1 });
    const again = await pollSource({ deps, input: { sourceId: source.id } });
    expect(again).toMatchObject({ status: 'not_modified', fetched: 0, inserted: 0 });
    expect(upstream.requests.at(-1)?.headers['if-none-match']).toBe('"v1"');
  });

  it('loses nothing when it fails between fetch and commit, and the next poll stores everything once', async () => {
    upstream.on('/crash', serveFeed(rssFeed(ITEMS), { etag: '"crash"' }));
    const source = await addSource('/crash');
    // A failure inside the transaction, after the mentions are inserted: everything must roll back.
    await sql`create function earshot_test_fail() returns trigger language plpgsql as $$
      begin raise exception 'simulated crash before commit'; end $$`.execute(handle.db);
    await sql`create trigger earshot_test_fail before insert on mention_themes
      for each statement execute function earshot_test_fail()`.execute(handle.db);
    try {
      const failed = await pollSource({ deps, input: { sourceId: source.id } });
      expect(failed.status).toBe('failed');
      expect(failed.error).toContain('simulated crash');
      expect(await counts()).toEqual({ mentions: 0, matches: 0, themes: 0 });
      const row = await handle.db
        .selectFrom('sources')
        .selectAll()
        .where('id', '=', source.id)
        .executeTakeFirstOrThrow();
      expect(row.cursor, 'cursor must not advance').toBeNull();
      expect(row.consecutive_failures).toBe(1);
      expect(row.last_error).toContain('simulated crash');
    } finally {
      await sql`drop trigger earshot_test_fail on mention_themes`.execute(handle.db);
      await sql`drop function earshot_test_fail()`.execute(handle.db);
    }
    // The cursor did not advance, so the ETag is not sent and the feed comes again in full.
    const retry = await pollSource({ deps, input: { sourceId: source.id } });
    expect(retry).toMatchObject({ status: 'ok', inserted: 3 });
    expect(upstream.requests.at(-1)?.headers['if-none-match']).toBeUndefined();
    expect((await counts()).mentions).toBe(3);
  });

  it('records a failing source, backs it off, and keeps polling the others', async () => {
    upstream.on('/good', serveFeed(rssFeed(ITEMS)));
    upstream.on('/bad', (_req, res) => {
      res.writeHead(500).end('boom');
    });
    const bad = await addSource('/bad', 'bad');
    const good = await addSource('/good', 'good');
    // Both due now.
    await handle.db
      .updateTable('sources')
      .set({ next_poll_at: new Date('2026-11-19T00:00:00Z') })
      .execute();

    const results = await pollDueSources({ deps, input: { concurrency: 2 } });
    const byId = new Map(results.map((r) => [r.sourceId, r]));
    expect(byId.get(bad.id)?.status).toBe('failed');
    expect(byId.get(good.id)).toMatchObject({ status: 'ok', inserted: 3 });

    const badRow = await handle.db
      .selectFrom('sources')
      .selectAll()
      .where('id', '=', bad.id)
      .executeTakeFirstOrThrow();
    expect(badRow.last_error).toContain('HTTP 500');
    expect(badRow.consecutive_failures).toBe(1);
    // Back-off: twice the 15-minute default interval after the first failure.
    expect(badRow.next_poll_at.toISOString()).toBe('2026-11-20T00:30:00.000Z');

    // Nothing is due any more: a second run polls nothing.
    expect(await pollDueSources({ deps, input: { concurrency: 2 } })).toEqual([]);
  });

  it('keeps items with unparseable dates, dated when they were fetched', async () => {
    upstream.on('/dates', serveFeed(rssFeed([{ ...ITEMS[0]!, pubDate: 'not a date at all' }])));
    const source = await addSource('/dates');
    expect(await pollSource({ deps, input: { sourceId: source.id } })).toMatchObject({ inserted: 1 });
    const row = await handle.db.selectFrom('mentions').selectAll().executeTakeFirstOrThrow();
    expect(row.published_at).toBeNull();
    expect(row.occurred_at.toISOString()).toBe('2026-11-20T00:00:00.000Z');
  });
});

describe('back-off honours the upstream', () => {
  let handle: DbHandle;
  let upstream: FakeUpstream;
  beforeAll(async () => {
    handle = await createTestDb();
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await upstream.close();
    await handle.close();
  });

  it('waits at least as long as Retry-After asks', async () => {
    const deps = createTestDeps(handle.db, { now: () => new Date('2026-11-20T00:00:00Z') });
    upstream.on('/slow-down', (_req, res) => {
      res.writeHead(429, { 'retry-after': '7200' }).end();
    });
    const source = await createSource({
      deps,
      input: { name: 'limited', kind: 'rss', options: { url: upstream.url('/slow-down') } },
    });
    const result = await pollSource({ deps, input: { sourceId: source.id } });
    expect(result.status).toBe('failed');
    // The exponential back-off alone would be 30 minutes; the upstream asked for two hours.
    expect(result.nextPollAt?.toISOString()).toBe('2026-11-20T02:00:00.000Z');
    const row = await handle.db
      .selectFrom('sources')
      .selectAll()
      .where('id', '=', source.id)
      .executeTakeFirstOrThrow();
    expect(row.last_error_status).toBe(429);
    expect(row.last_error_kind, 'the failure class is stored with it').toBe('rate_limited');
  });
});
