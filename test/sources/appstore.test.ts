import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPSTORE_MAX_PAGES, AppStoreOptions, appStoreSource } from '../../sources/appstore.ts';
import type { HttpClient } from '../../sources/http.ts';
import type { FetchResult, RawItem } from '../../sources/types.ts';
import type { Json } from '../../src/types.ts';
import { describeUpstreamFailures } from '../helpers/failure-modes.ts';
import { type FakeUpstream, sendJson, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { hasFixtures, readFixture, SKIP_REASON } from '../helpers/shared.ts';
import { failure, fetchContext, testHttpClient } from '../helpers/sources.ts';

const NOW = new Date('2024-06-01T12:00:00Z');
const http = testHttpClient();
const LOCAL_FIXTURES = join(import.meta.dirname, '../fixtures/appstore');

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream.close();
});

type Feed = { feed: Record<string, unknown> & { entry?: unknown } };
type Entry = Record<string, unknown>;

function feedPath(country: string, appId: string, page: number): string {
  return `/${country}/rss/customerreviews/page=${page}/id=${appId}/sortby=mostrecent/json`;
}

/** Serves a body at page `page` of the feed of `appId` in `country`. */
function servePage(country: string, appId: string, page: number, body: unknown): void {
  upstream.on(feedPath(country, appId, page), (_req, res) => sendJson(res, body));
}

function pagesRequested(appId: string, country = '[a-z]{2}'): number[] {
  return upstream.requests
    .map((r) => new RegExp(`/${country}/rss/customerreviews/page=(\\d+)/id=${appId}/`).exec(r.path)?.[1])
    .filter((page): page is string => page !== undefined)
    .map(Number);
}

function fetchReviews(
  appId: string,
  country: string,
  cursor: Json | null = null,
  client: HttpClient = http,
): Promise<FetchResult> {
  const options = AppStoreOptions.parse({ appId, country, baseUrl: upstream.url('') });
  return appStoreSource.fetchNew(fetchContext(options, { cursor, http: client, now: NOW }));
}

function byId(items: RawItem[], id: string): RawItem {
  const item = items.find((candidate) => candidate.externalId === id);
  if (!item) throw new Error(`no review ${id} among ${JSON.stringify(items.map((i) => i.externalId))}`);
  return item;
}

function fixtureFeed(name: string): Feed {
  return JSON.parse(readFixture(`appstore/${name}`).toString('utf8')) as Feed;
}

function entriesOf(feed: Feed): Entry[] {
  const entry = feed.feed.entry;
  return Array.isArray(entry) ? (entry as Entry[]) : [entry as Entry];
}

/** The same feed with other entries (e.g. the real page without its newest reviews). */
function withEntries(feed: Feed, entries: Entry[]): Feed {
  return { feed: { ...feed.feed, entry: entries } };
}

function idOf(entry: Entry): string {
  return (entry.id as { label: string }).label;
}

// A synthetic review entry shaped like the real ones, for tests that must run without ../shared.
function review(id: string, extra: Partial<Record<string, unknown>> = {}): Entry {
  return {
    author: {
      uri: { label: `https://itunes.apple.com/gb/reviews/id${id}9` },
      name: { label: `user${id}` },
      label: '',
    },
    'im:version': { label: '2.0.1' },
    'im:rating': { label: '4' },
    id: { label: id },
    title: { label: `Review ${id}` },
    content: { label: `Body of review ${id}`, attributes: { type: 'text' } },
    link: {
      attributes: { rel: 'related', href: 'https://itunes.apple.com/gb/review?id=42&type=Purple%20Software' },
    },
    'im:voteSum': { label: '0' },
    'im:contentType': { attributes: { term: 'Application', label: 'Application' } },
    'im:voteCount': { label: '0' },
    ...extra,
  };
}

function syntheticFeed(entries: Entry[] | Entry | undefined, lastPage?: number): Feed {
  const link = [
    { attributes: { rel: 'self', href: 'https://itunes.apple.com/gb/rss/customerreviews/json' } },
  ];
  if (lastPage !== undefined)
    link.push({
      attributes: {
        rel: 'last',
        href: `https://itunes.apple.com/gb/rss/customerreviews/page=${lastPage}/id=42/sortby=mostrecent/xml`,
      },
    });
  return {
    feed: {
      author: { name: { label: 'iTunes Store' } },
      ...(entries === undefined ? {} : { entry: entries }),
      updated: { label: '2024-05-31T10:00:00-07:00' },
      title: { label: 'iTunes Store: Customer Reviews' },
      link,
    },
  };
}

describe.skipIf(!hasFixtures)(
  `appstore connector on recorded feeds${hasFixtures ? '' : ` (${SKIP_REASON})`}`,
  () => {
    it('497799835_fr_1: 50 Xcode reviews in the fr storefront, field by field', async () => {
      servePage('fr', '497799835', 1, readFixture('appstore/app-store-reviews-swift__497799835_fr_1.json'));
      const result = await fetchReviews('497799835', 'fr');
      expect(result.notModified, 'a 200 is new content').toBe(false);
      expect(result.items.length, 'reviews on the page').toBe(50);
      expect(pagesRequested('497799835'), 'the first poll reads page 1 only').toEqual([1]);

      const first = byId(result.items, '6918761820');
      expect(first, 'first review').toMatchObject({
        url: 'https://itunes.apple.com/fr/review?id=497799835&l=en&type=Purple%20Software',
        author: 'Fouinneur@',
        title: 'Superbe application...',
        contentType: 'text',
        rating: 4,
        language: null,
        publishedAt: null,
        engagement: { likes: 0 },
      });
      expect(first.content, 'plain-text body, accents intact').toMatch(
        /^Mais un vraie galère pour l'installation/,
      );
      expect(first.publishedAt, 'the 2021 JSON feed has no per-entry updated').toBeNull();

      const second = byId(result.items, '6856326071');
      expect(second.author, 'author of the second review').toBe('Maxime3874');
      expect(second.rating, 'one star').toBe(1);
      expect(second.engagement, 'im:voteSum → likes').toEqual({ likes: 2 });
      expect(second.content, 'newlines in the body are kept').toContain(
        '"Not enough free space"...\nThank you Apple !',
      );
      expect(second.language, 'an English review in the fr storefront: no language guessed').toBeNull();

      expect(result.cursor, 'cursor: the 50 ids newest first, no date').toEqual({
        seen: result.items.map((i) => i.externalId),
        updated: null,
      });
    });

    it('single_item_feed: feed.entry is an object, with an updated date', async () => {
      servePage('al', '915056765', 1, readFixture('appstore/AppReviewPostman__single_item_feed.json'));
      const result = await fetchReviews('915056765', 'al');
      expect(result.items.length, 'the one review').toBe(1);
      expect(result.items[0], 'the single review').toEqual({
        externalId: '7870240882',
        url: 'https://itunes.apple.com/al/review?id=915056765&type=Purple%20Software',
        author: 'GeriolR',
        title: 'Not alot of features for small countries of europe',
        content: 'Make it better',
        contentType: 'text',
        publishedAt: new Date('2021-10-02T18:28:40.000Z'),
        rating: 3,
        language: null,
        engagement: { likes: 0 },
      });
      expect(result.cursor, 'cursor holds the id and the newest updated date').toEqual({
        seen: ['7870240882'],
        updated: '2021-10-02T18:28:40.000Z',
      });
    });

    it('497799835_cn_10: Chinese text and helpfulness votes', async () => {
      servePage('cn', '497799835', 1, readFixture('appstore/app-store-reviews-swift__497799835_cn_10.json'));
      const { items } = await fetchReviews('497799835', 'cn');
      expect(items.length, 'reviews on the page').toBe(50);
      const first = byId(items, '6455612413');
      expect(first.title, 'Chinese title').toBe('越来越烂');
      expect(first.content, 'Chinese body').toBe('其他的工具都是越开发越好用，就Xcode例外，越开发越难用');
      expect(first.author, 'author').toBe('lxzyzwoout');
      expect(first.rating, 'rating').toBe(1);
      expect(first.engagement, 'voteSum 1 of voteCount 2').toEqual({ likes: 1 });
    });

    it('AppReviewPostman__feed: 7 au reviews', async () => {
      servePage('au', '1477376905', 1, readFixture('appstore/AppReviewPostman__feed.json'));
      const { items } = await fetchReviews('1477376905', 'au');
      expect(items.length, 'reviews').toBe(7);
      const cant = byId(items, '6151828483');
      expect(cant.title, 'title').toBe('Cant sign in.');
      expect(cant.author, 'author').toBe('CProetti');
      expect(cant.content, 'multi-paragraph body').toContain('\n\nMy device is an iPhone Xs Max.');
      expect(new Set(items.map((i) => i.externalId)).size, 'distinct ids').toBe(7);
    });

    it.each([
      ['AppReviewPostman__empty_feed.json', 'bh', '915056765', 'a feed without entry'],
      ['app-store-reviews-swift__empty_page.json', 'cn', '555731861', 'an app without reviews'],
      ['app-store-reviews-swift__100000000_gb_1.json', 'gb', '100000000', 'an unknown app id (status 200)'],
      ['app-store-reviews-swift__1510826067_gb_2.json', 'gb', '1510826099', 'a page past the end'],
    ])('%s: %s gives no reviews and no error', async (file, country, appId) => {
      servePage(country, appId, 1, readFixture(`appstore/${file}`));
      const result = await fetchReviews(appId, country);
      expect(result.items, `${file}: no reviews`).toEqual([]);
      expect(result.cursor, `${file}: an empty cursor`).toEqual({ seen: [], updated: null });
    });

    it('555731861_us_11: the plain-text page-depth answer ends the walk, it is not an error', async () => {
      const page1 = fixtureFeed('app-store-reviews-swift__497799835_fr_1.json');
      servePage('us', '555731861', 1, page1);
      const pageDepth = readFixture('appstore/app-store-reviews-swift__555731861_us_11.json');
      const servePageDepth = (path: string) =>
        upstream.on(path, (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(pageDepth);
        });
      servePageDepth(feedPath('us', '555731861', 2));
      servePageDepth(feedPath('us', '555731862', 1));
      const result = await fetchReviews('555731861', 'us', { seen: ['1'], updated: null });
      expect(result.items.length, 'page 1 is kept').toBe(50);
      expect(pagesRequested('555731861', 'us'), 'pages asked for').toEqual([1, 2]);

      const alone = await fetchReviews('555731862', 'us');
      expect(alone.items, 'nothing on a first page that answers the page-depth text').toEqual([]);
    });

    it('1510826067_gb_1: entries without updated, and the rel="last" link stops the walk', async () => {
      servePage('gb', '1510826067', 1, readFixture('appstore/app-store-reviews-swift__1510826067_gb_1.json'));
      const result = await fetchReviews('1510826067', 'gb', { seen: ['999'], updated: null });
      expect(
        result.items.map((i) => i.externalId),
        'the 4 reviews',
      ).toEqual(['6504352127', '6108405527', '6096833863', '6091772301']);
      expect(pagesRequested('1510826067'), 'last page is page 1: no page 2 asked for').toEqual([1]);
      expect(result.items[0]?.content, 'emoji intact').toMatch(/places you've been to! 👏$/);
      expect(result.items[3]?.author, 'author with @').toBe('Kel@Kai boon');
    });

    it('skips an app-metadata entry before the reviews (older feeds)', async () => {
      const metadata = JSON.parse(
        readFileSync(join(LOCAL_FIXTURES, 'app_metadata_entry.json'), 'utf8'),
      ) as Entry;
      const real = fixtureFeed('app-store-reviews-swift__1510826067_gb_1.json');
      servePage('gb', '1510826001', 1, withEntries(real, [metadata, ...entriesOf(real)]));
      const { items } = await fetchReviews('1510826001', 'gb');
      expect(
        items.map((i) => i.externalId),
        'the metadata entry is not a review',
      ).toEqual(['6504352127', '6108405527', '6096833863', '6091772301']);
    });

    it('a second poll returns only the reviews newer than the first', async () => {
      const real = fixtureFeed('app-store-reviews-swift__497799835_fr_1.json');
      const entries = entriesOf(real);
      // The earlier poll saw the page before its 5 newest reviews arrived.
      let body: Feed = withEntries(real, entries.slice(5));
      upstream.on(feedPath('fr', '497799801', 1), (_req, res) => sendJson(res, body));
      const first = await fetchReviews('497799801', 'fr');
      expect(first.items.length, 'first poll: the 45 older reviews').toBe(45);

      body = real;
      const second = await fetchReviews('497799801', 'fr', first.cursor);
      expect(
        second.items.map((i) => i.externalId),
        'second poll: the 5 new reviews only',
      ).toEqual(entries.slice(0, 5).map(idOf));
      expect(pagesRequested('497799801'), 'one page per poll: the known review is on page 1').toEqual([1, 1]);
      const cursor = second.cursor as { seen: string[] };
      expect(cursor.seen.slice(0, 6), 'the cursor leads with the new ids').toEqual(
        entries.slice(0, 6).map(idOf),
      );
      expect(cursor.seen.length, 'all 50 ids kept').toBe(50);

      const third = await fetchReviews('497799801', 'fr', second.cursor);
      expect(third.items, 'nothing new on a third poll').toEqual([]);
      expect(third.cursor, 'cursor unchanged').toEqual(second.cursor);
    });

    it('walks to page 2 when the last seen review is there', async () => {
      const page1 = fixtureFeed('app-store-reviews-swift__497799835_fr_1.json');
      const page2 = fixtureFeed('app-store-reviews-swift__497799835_cn_10.json');
      servePage('fr', '497799802', 1, page1);
      servePage('fr', '497799802', 2, page2);
      const known = idOf(entriesOf(page2)[2] as Entry);
      const result = await fetchReviews('497799802', 'fr', { seen: [known, 'older'], updated: null });
      expect(result.items.length, '50 from page 1 and the 2 before the known one on page 2').toBe(52);
      expect(pagesRequested('497799802'), 'pages asked for').toEqual([1, 2]);
      expect((result.cursor as { seen: string[] }).seen.slice(52), 'old ids after the new ones').toEqual([
        '6455378274',
        'older',
      ]);
    });
  },
);

describe('appstore connector on synthetic feeds', () => {
  it('stops at the first review older than the newest date seen', async () => {
    servePage(
      'gb',
      '101',
      1,
      syntheticFeed([
        review('3', { updated: { label: '2024-05-31T10:00:00-07:00' } }),
        review('2', { updated: { label: '2024-05-30T10:00:00-07:00' } }),
        review('1', { updated: { label: '2024-05-29T10:00:00-07:00' } }),
      ]),
    );
    servePage('gb', '101', 2, syntheticFeed([review('0')]));
    const result = await fetchReviews('101', 'gb', { seen: ['gone'], updated: '2024-05-31T00:00:00.000Z' });
    expect(
      result.items.map((i) => i.externalId),
      'only the review after the date',
    ).toEqual(['3']);
    expect(result.items[0]?.publishedAt?.toISOString(), 'the date with its offset').toBe(
      '2024-05-31T17:00:00.000Z',
    );
    expect(pagesRequested('101'), 'no page 2').toEqual([1]);
    expect(result.cursor, 'the cursor date advances').toEqual({
      seen: ['3', 'gone'],
      updated: '2024-05-31T17:00:00.000Z',
    });
  });

  it('passes over a known review that moved back to the top (edited), stops at the next known one', async () => {
    servePage(
      'gb',
      '102',
      1,
      syntheticFeed([
        review('5', { updated: { label: '2024-05-31T12:00:00Z' } }),
        review('4', { updated: { label: '2024-05-31T11:00:00Z' } }),
        review('3', { updated: { label: '2024-05-30T12:00:00Z' } }),
        review('2', { updated: { label: '2024-05-29T12:00:00Z' } }),
      ]),
    );
    const result = await fetchReviews('102', 'gb', {
      seen: ['3', '5', '2'],
      updated: '2024-05-30T12:00:00Z',
    });
    expect(
      result.items.map((i) => i.externalId),
      'the one new review',
    ).toEqual(['4']);
  });

  it('reads at most 10 pages and never asks for page 11', async () => {
    for (let page = 1; page <= 11; page++) {
      servePage('gb', '103', page, syntheticFeed([review(`${page}01`), review(`${page}02`)], 10));
    }
    const result = await fetchReviews('103', 'gb', { seen: ['nothing-known'], updated: null });
    expect(pagesRequested('103'), 'pages 1..10').toEqual(
      Array.from({ length: APPSTORE_MAX_PAGES }, (_, i) => i + 1),
    );
    expect(result.items.length, '2 per page').toBe(20);
    expect((result.cursor as { seen: string[] }).seen.slice(0, 3), 'newest ids first').toEqual([
      '101',
      '102',
      '201',
    ]);
  });

  it('keeps the seen list bounded', async () => {
    servePage('gb', '104', 1, syntheticFeed([review('new')], 1));
    const old = Array.from({ length: 250 }, (_, i) => `old${i}`);
    const result = await fetchReviews('104', 'gb', { seen: old, updated: null });
    const seen = (result.cursor as { seen: string[] }).seen;
    expect(seen.length, 'at most 200 ids').toBe(200);
    expect(seen[0], 'the new id first').toBe('new');
  });

  it('treats a cursor of the wrong shape as a first poll', async () => {
    servePage('gb', '105', 1, syntheticFeed([review('1')], 3));
    const result = await fetchReviews('105', 'gb', 'not a cursor');
    expect(result.items.length, 'the page is read').toBe(1);
    expect(pagesRequested('105'), 'first poll: page 1 only').toEqual([1]);
  });

  it('guards every field: a bad entry is skipped or degraded, never crashes the page', async () => {
    servePage(
      'gb',
      '106',
      1,
      syntheticFeed([
        review('no-id', { id: undefined }),
        review('empty', { title: { label: '' }, content: { label: '  ' } }),
        review('odd', {
          'im:rating': { label: 'five' },
          author: 'not an object',
          updated: { label: 'sometime' },
          link: undefined,
          'im:voteSum': { label: '-3' },
        }),
        review('html-ish', {
          content: [
            { label: '<b>x</b>', attributes: { type: 'html' } },
            { label: 'plain x', attributes: { type: 'text' } },
          ],
        }),
        null as unknown as Entry,
        review('fine', { 'im:rating': { label: '5' } }),
      ]),
    );
    const { items } = await fetchReviews('106', 'gb');
    expect(
      items.map((i) => i.externalId),
      'entries kept',
    ).toEqual(['odd', 'html-ish', 'fine']);
    const odd = byId(items, 'odd');
    expect(odd.rating, 'an unreadable rating is null').toBeNull();
    expect(odd.author, 'an unreadable author is null').toBeNull();
    expect(odd.publishedAt, 'an unreadable date is null').toBeNull();
    expect(odd.engagement, 'a negative vote count is dropped').toBeNull();
    expect(odd.url, 'no link: the app review page').toBe(
      'https://apps.apple.com/gb/app/id106?see-all=reviews',
    );
    expect(byId(items, 'html-ish').content, 'the text flavour of a two-part content').toBe('plain x');
    expect(byId(items, 'fine').rating, 'rating 5').toBe(5);
  });

  it('requests the storefront in lower case, under a base URL with a path', async () => {
    upstream.on(`/proxy${feedPath('de', '107', 1)}`, (_req, res) =>
      sendJson(res, syntheticFeed([review('1')])),
    );
    const options = AppStoreOptions.parse({ appId: '107', country: 'DE', baseUrl: upstream.url('/proxy') });
    const result = await appStoreSource.fetchNew(fetchContext(options, { http, now: NOW }));
    expect(result.items.length, 'served under /proxy/de/…').toBe(1);
    expect(upstream.requests.at(-1)?.path, 'request path').toBe(
      '/proxy/de/rss/customerreviews/page=1/id=107/sortby=mostrecent/json',
    );
    expect(result.items[0]?.url, 'the review link of the entry').toBe(
      'https://itunes.apple.com/gb/review?id=42&type=Purple%20Software',
    );
  });
});

let failingApps = 30_000;

describeUpstreamFailures('appstore connector', {
  upstream: () => upstream,
  endpoint: () => {
    const appId = String(++failingApps);
    return { path: feedPath('gb', appId, 1), fetch: (client) => fetchReviews(appId, 'gb', null, client) };
  },
  validBody: syntheticFeed([review('1')]),
  expectValid: (result) =>
    expect(
      result.items.map((i) => i.externalId),
      'the retry succeeded',
    ).toEqual(['1']),
});

describe('appstore connector failures', () => {
  it('an empty body → kind "invalid"', async () => {
    upstream.on(feedPath('gb', '20003', 1), (_req, res) => sendJson(res, ''));
    const empty = await failure(fetchReviews('20003', 'gb'));
    expect(empty.kind, empty.message).toBe('invalid');
  });

  it.each([
    ['a JSON array', []],
    ['no feed object', { feed: 'x' }],
    ['entry of the wrong type', { feed: { entry: 'text' } }],
  ])('a page of the wrong shape (%s) → kind "invalid"', async (label, body) => {
    const appId = `2100${label.length}`;
    servePage('gb', appId, 1, body);
    const error = await failure(fetchReviews(appId, 'gb'));
    expect(error.kind, `${label}: ${error.message}`).toBe('invalid');
  });
});

describe('appstore options', () => {
  it('applies the defaults', () => {
    expect(AppStoreOptions.parse({ appId: '284882215' }), 'country and baseUrl defaults').toEqual({
      appId: '284882215',
      country: 'us',
      baseUrl: 'https://itunes.apple.com',
    });
  });

  it.each([
    ['no appId', {}],
    ['appId with letters', { appId: 'id284882215' }],
    ['appId as a number', { appId: 284882215 }],
    ['three-letter country', { appId: '1', country: 'usa' }],
    ['a non-http baseUrl', { appId: '1', baseUrl: 'ftp://itunes.apple.com' }],
    ['an unknown option', { appId: '1', lang: 'en' }],
  ])('rejects %s', (label, options) => {
    expect(AppStoreOptions.safeParse(options).success, label).toBe(false);
  });
});
