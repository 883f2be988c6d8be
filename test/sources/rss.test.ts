import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFeedDate } from '../../sources/dates.ts';
import { createHttpClient } from '../../sources/http.ts';
import { rssSource } from '../../sources/rss.ts';
import type { FetchResult, RawItem } from '../../sources/types.ts';
import type { Json } from '../../src/types.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { hasFixtures, readFixture, SKIP_REASON } from '../helpers/shared.ts';
import { failure, fetchContext } from '../helpers/sources.ts';

const NOW = new Date('2024-06-01T12:00:00Z');
const http = createHttpClient({ retries: 0, timeoutMs: 10_000 });

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream.close();
});

function fetchFrom(path: string, cursor: Json | null = null, now = NOW): Promise<FetchResult> {
  return rssSource.fetchNew(fetchContext({ url: upstream.url(path) }, { cursor, http, now }));
}

function byTitle(items: RawItem[], title: string): RawItem {
  const item = items.find((candidate) => candidate.title === title);
  if (!item)
    throw new Error(
      `no item titled ${JSON.stringify(title)} among ${JSON.stringify(items.map((i) => i.title))}`,
    );
  return item;
}

// A small synthetic RSS 2.0 feed; NOW is 2024-06-01T12:00Z.
const RSS = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Example News</title>
    <link>https://news.example.com/</link>
    <language>en-GB</language>
    <item>
      <title>Acme launches &amp; ships</title>
      <link>https://news.example.com/a</link>
      <guid isPermaLink="false">news-1</guid>
      <description>&lt;p&gt;Acme &lt;b&gt;ships&lt;/b&gt; a phone.&lt;/p&gt;</description>
      <pubDate>Fri, 31 May 2024 09:30:00 GMT</pubDate>
      <dc:creator>Jane Doe</dc:creator>
    </item>
    <item>
      <title>No guid here</title>
      <link>https://news.example.com/b</link>
      <description>Second body</description>
      <pubDate>Fri, 31 May 2024 10:00:00 +0200</pubDate>
    </item>
    <item>
      <title>Neither guid nor link</title>
      <description>Third body</description>
      <pubDate>not a date at all</pubDate>
    </item>
    <item>
      <title>From the future</title>
      <guid>news-4</guid>
      <description>Fourth body</description>
      <pubDate>Mon, 03 Jun 2024 12:00:00 GMT</pubDate>
    </item>
    <item>
      <title>Slightly ahead</title>
      <guid>news-5</guid>
      <description><![CDATA[<p>Fifth <i>body</i></p>]]></description>
      <pubDate>Sat, 01 Jun 2024 13:00:00 GMT</pubDate>
    </item>
  </channel>
</rss>`;

const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">
  <title>Example Atom</title>
  <id>urn:example:feed</id>
  <updated>2024-05-31T10:00:00Z</updated>
  <link rel="self" href="https://atom.example.com/feed"/>
  <entry>
    <id>urn:example:entry-1</id>
    <title type="html">Grüße aus &lt;b&gt;Zürich&lt;/b&gt;</title>
    <link rel="alternate" href="https://atom.example.com/1"/>
    <published>2024-05-30T08:00:00+02:00</published>
    <updated>2024-05-31T09:00:00Z</updated>
    <author><name>Anna Muster</name></author>
    <content type="html">&lt;p&gt;Erster Beitrag&lt;/p&gt;</content>
  </entry>
  <entry>
    <id>urn:example:entry-2</id>
    <title>Only updated</title>
    <link href="https://atom.example.com/2"/>
    <updated>2024-05-29T07:00:00Z</updated>
    <summary>Zweiter Beitrag</summary>
  </entry>
  <entry>
    <id>urn:example:entry-3</id>
    <title>Broken date</title>
    <link href="https://atom.example.com/3"/>
    <published>yesterday-ish</published>
    <summary>Dritter Beitrag</summary>
  </entry>
</feed>`;

describe('rss connector on synthetic feeds', () => {
  it('reads an RSS 2.0 item: guid, url, title, content, date, author, language', async () => {
    upstream.on('/rss/basic', serveFeed(RSS));
    const result = await fetchFrom('/rss/basic');
    expect(result.notModified, 'a 200 is new content').toBe(false);
    expect(result.items.length, `items: ${JSON.stringify(result.items.map((i) => i.title))}`).toBe(5);
    const first = byTitle(result.items, 'Acme launches & ships');
    expect(first.externalId, 'externalId comes from <guid> (with attributes)').toBe('news-1');
    expect(first.url, 'url comes from <link>').toBe('https://news.example.com/a');
    expect(first.content, 'content is the (entity-decoded) HTML description').toBe(
      '<p>Acme <b>ships</b> a phone.</p>',
    );
    expect(first.contentType, 'feed bodies are HTML').toBe('html');
    expect(first.publishedAt?.toISOString(), 'RFC 822 pubDate').toBe('2024-05-31T09:30:00.000Z');
    expect(first.author, 'dc:creator').toBe('Jane Doe');
    expect(first.language, 'channel language, lower-cased').toBe('en-gb');
    expect(first.rating, 'no rating in a news feed').toBeNull();
    const cdata = byTitle(result.items, 'Slightly ahead');
    expect(cdata.content, 'CDATA description').toBe('<p>Fifth <i>body</i></p>');
    expect(cdata.publishedAt?.toISOString(), 'an hour ahead of now is tolerated (clock skew)').toBe(
      '2024-06-01T13:00:00.000Z',
    );
  });

  it('applies the zone offset of an RFC 822 date', async () => {
    upstream.on('/rss/offset', serveFeed(RSS));
    const item = byTitle((await fetchFrom('/rss/offset')).items, 'No guid here');
    expect(item.publishedAt?.toISOString(), '10:00 +0200').toBe('2024-05-31T08:00:00.000Z');
  });

  it('falls back to the link as externalId when there is no guid', async () => {
    upstream.on('/rss/no-guid', serveFeed(RSS));
    const item = byTitle((await fetchFrom('/rss/no-guid')).items, 'No guid here');
    expect(item.externalId, 'externalId without <guid>').toBe('https://news.example.com/b');
  });

  it('falls back to a stable sha256 id without guid and link', async () => {
    upstream.on('/rss/no-link', serveFeed(RSS));
    const first = byTitle((await fetchFrom('/rss/no-link')).items, 'Neither guid nor link');
    const again = byTitle((await fetchFrom('/rss/no-link')).items, 'Neither guid nor link');
    expect(first.externalId, 'externalId without <guid> and <link>').toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(again.externalId, 'the same item gets the same id on the next poll').toBe(first.externalId);
    expect(first.url, 'no link means no url').toBeNull();
  });

  it('keeps an item with an unreadable date, with publishedAt null', async () => {
    upstream.on('/rss/bad-date', serveFeed(RSS));
    const item = byTitle((await fetchFrom('/rss/bad-date')).items, 'Neither guid nor link');
    expect(item.publishedAt, '"not a date at all"').toBeNull();
    expect(item.content, 'the item itself is kept').toBe('Third body');
  });

  it('drops a date more than a day in the future to null', async () => {
    upstream.on('/rss/future', serveFeed(RSS));
    const item = byTitle((await fetchFrom('/rss/future')).items, 'From the future');
    expect(item.publishedAt, 'two days after now').toBeNull();
    expect(item.externalId, 'the item itself is kept').toBe('news-4');
  });

  it('stores ETag/Last-Modified in the cursor and gets a 304 with it next time', async () => {
    const etag = '"rss-v1"';
    const lastModified = 'Fri, 31 May 2024 10:00:00 GMT';
    upstream.on('/rss/conditional', (req, res) => {
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/rss+xml', etag, 'last-modified': lastModified })
        .end(RSS);
    });
    const first = await fetchFrom('/rss/conditional');
    expect(first.items.length, 'first poll returns the feed').toBe(5);
    expect(first.cursor, 'cursor holds the validators').toEqual({ etag, lastModified });

    const second = await fetchFrom('/rss/conditional', first.cursor);
    const sent = upstream.requests.filter((r) => r.path === '/rss/conditional')[1];
    expect(sent?.headers['if-none-match'], 'the ETag from the cursor is sent').toBe(etag);
    expect(sent?.headers['if-modified-since'], 'the Last-Modified from the cursor is sent').toBe(
      lastModified,
    );
    expect(second.notModified, 'a 304 is reported as notModified').toBe(true);
    expect(second.items, 'nothing new on a 304').toEqual([]);
    expect(second.cursor, 'the cursor is kept on a 304').toEqual(first.cursor);
  });

  it('ignores a cursor of the wrong shape instead of crashing', async () => {
    upstream.on('/rss/odd-cursor', serveFeed(RSS));
    const result = await fetchFrom('/rss/odd-cursor', 'not an object');
    expect(result.items.length, 'a full fetch happens').toBe(5);
    const sent = upstream.requests.find((r) => r.path === '/rss/odd-cursor');
    expect(sent?.headers['if-none-match'], 'no validator from a bad cursor').toBeUndefined();
  });

  it('reports a malformed feed as UpstreamError kind "invalid"', async () => {
    upstream.on(
      '/rss/truncated',
      serveFeed('<rss version="2.0"><channel><item><title>cut off</title></chan'),
    );
    const truncated = await failure(fetchFrom('/rss/truncated'));
    expect(truncated.kind, truncated.message).toBe('invalid');
    expect(truncated.message, 'names the feed, as other upstream errors name their request').toContain(
      `${upstream.url('/rss/truncated')}: not a valid RSS/Atom feed`,
    );

    upstream.on(
      '/rss/html',
      serveFeed('<!doctype html><html><body>Not a feed</body></html>', { contentType: 'text/html' }),
    );
    const html = await failure(fetchFrom('/rss/html'));
    expect(html.kind, `an HTML page instead of a feed (${html.message})`).toBe('invalid');

    upstream.on('/rss/empty', serveFeed(''));
    const empty = await failure(fetchFrom('/rss/empty'));
    expect(empty.kind, `an empty body (${empty.message})`).toBe('invalid');
  });

  it('passes an HTTP failure through as UpstreamError kind "http"', async () => {
    const error = await failure(fetchFrom('/rss/nowhere'));
    expect(error.kind, error.message).toBe('http');
    expect(error.status, 'status of the upstream').toBe(404);
  });

  it('reads an Atom 1.0 feed', async () => {
    upstream.on('/atom/basic', serveFeed(ATOM, { contentType: 'application/atom+xml' }));
    const { items } = await fetchFrom('/atom/basic');
    expect(
      items.map((i) => i.externalId),
      'one item per entry, id from <id>',
    ).toEqual(['urn:example:entry-1', 'urn:example:entry-2', 'urn:example:entry-3']);
    const [first, second] = items;
    expect(first?.url, 'alternate link').toBe('https://atom.example.com/1');
    expect(first?.title, 'html title, entity-decoded, umlauts intact').toBe('Grüße aus <b>Zürich</b>');
    expect(first?.content, 'html content').toBe('<p>Erster Beitrag</p>');
    expect(first?.author, 'author name').toBe('Anna Muster');
    expect(first?.publishedAt?.toISOString(), '<published> wins over <updated>').toBe(
      '2024-05-30T06:00:00.000Z',
    );
    expect(second?.content, '<summary> when there is no <content>').toBe('Zweiter Beitrag');
    expect(second?.url, 'a link without rel').toBe('https://atom.example.com/2');
    expect(second?.publishedAt?.toISOString(), '<updated> when there is no <published>').toBe(
      '2024-05-29T07:00:00.000Z',
    );
  });

  it('keeps an Atom entry with an unreadable date (and the rest of the feed)', async () => {
    upstream.on('/atom/bad-date', serveFeed(ATOM, { contentType: 'application/atom+xml' }));
    const { items } = await fetchFrom('/atom/bad-date');
    const broken = items.find((i) => i.externalId === 'urn:example:entry-3');
    expect(broken, 'the entry with <published>yesterday-ish</published> is kept').toBeDefined();
    expect(broken?.publishedAt, 'its date is null').toBeNull();
    expect(items.length, 'the other entries are not lost').toBe(3);
  });
});

describe.skipIf(!hasFixtures)(
  `rss connector on recorded feeds${hasFixtures ? '' : ` (${SKIP_REASON})`}`,
  () => {
    it('rss-parser__uolNoticias.rss: ISO-8859-1, no declaration, no version, Portuguese dates', async () => {
      upstream.on(
        '/fixture/uol',
        serveFeed(readFixture('rss/rss-parser__uolNoticias.rss'), { contentType: 'application/rss+xml' }),
      );
      const { items } = await fetchFrom('/fixture/uol', null, new Date());
      expect(items.length, 'items in the UOL feed').toBe(15);
      const texts = items.map((i) => `${i.title ?? ''}\n${i.content}`);
      expect(
        texts.some((t) => /[áéíóúâêôãõç]/i.test(t)),
        'Portuguese accents decoded from ISO-8859-1',
      ).toBe(true);
      const garbled = texts.filter((t) => /\ufffd|Ã[\u0080-\u00bf]/.test(t));
      expect(garbled, 'no replacement characters or UTF-8 mojibake').toEqual([]);
      const undated = items.filter((i) => i.publishedAt === null).map((i) => i.externalId);
      expect(undated, 'every "Seg, 24 Set 2018 …" style date parses').toEqual([]);
      for (const item of items) {
        expect(item.publishedAt?.getUTCFullYear(), `year of ${item.externalId}`).toBe(2018);
        expect(item.url, `url of ${item.externalId}`).toMatch(/^https?:\/\//);
      }
    });

    it('feeddeck__tagesschau.atom: Atom 0.3 with dates only in dc:date', async () => {
      upstream.on(
        '/fixture/tagesschau',
        serveFeed(readFixture('rss/feeddeck__tagesschau.atom'), { contentType: 'application/atom+xml' }),
      );
      const { items } = await fetchFrom('/fixture/tagesschau', null, new Date());
      expect(items.length, 'entries in the Atom 0.3 feed').toBeGreaterThan(0);
      for (const item of items) {
        expect(item.publishedAt, `publishedAt of ${item.externalId} (from dc:date)`).toBeInstanceOf(Date);
        expect(item.url, `url of ${item.externalId}`).toMatch(/^https:\/\//);
        expect(item.language, 'dc:language of the feed').toBe('de');
      }
    });

    it('feedjira__google_alerts_atom.xml: 20 Google Alerts entries', async () => {
      upstream.on(
        '/fixture/alerts',
        serveFeed(readFixture('google-alerts/feedjira__google_alerts_atom.xml'), {
          contentType: 'application/atom+xml',
        }),
      );
      const { items } = await fetchFrom('/fixture/alerts', null, new Date());
      expect(items.length, 'entries in the Google Alerts feed').toBe(20);
      expect(new Set(items.map((i) => i.externalId)).size, 'distinct ids').toBe(20);
      expect(
        items.filter((i) => i.publishedAt === null).map((i) => i.externalId),
        'entries without a date',
      ).toEqual([]);
    });
  },
);

describe('parseFeedDate', () => {
  const now = new Date('2024-06-01T12:00:00Z');
  const iso = (value: unknown) => parseFeedDate(value, now)?.toISOString() ?? null;

  it('parses RFC 822 dates', () => {
    expect(iso('Mon, 24 Sep 2018 19:37:00 GMT'), 'GMT').toBe('2018-09-24T19:37:00.000Z');
    expect(iso('Mon, 24 Sep 2018 19:37:00 -0300'), 'numeric offset').toBe('2018-09-24T22:37:00.000Z');
    expect(iso('24 Sep 2018 19:37 +0000'), 'no day name, no seconds').toBe('2018-09-24T19:37:00.000Z');
  });

  it('parses ISO 8601 dates', () => {
    expect(iso('2018-09-24T19:37:00Z'), 'Zulu').toBe('2018-09-24T19:37:00.000Z');
    expect(iso('2018-09-24T19:37:00+02:00'), 'offset').toBe('2018-09-24T17:37:00.000Z');
    expect(iso('2018-09-24T19:37:00.123Z'), 'fractional seconds').toBe('2018-09-24T19:37:00.123Z');
  });

  it('parses localised day and month names', () => {
    expect(iso('Seg, 24 Set 2018 19:37:00 -0300'), 'Portuguese').toBe('2018-09-24T22:37:00.000Z');
    expect(iso('Sáb, 06 Out 2018 08:00:00 -0300'), 'Portuguese, accented day name').toBe(
      '2018-10-06T11:00:00.000Z',
    );
    expect(iso('Qua, 12 Dez 2018 08:00:00 -0200'), 'Portuguese December').toBe('2018-12-12T10:00:00.000Z');
    expect(iso('Mi, 13 Mär 2024 10:00:00 +0100'), 'German, umlaut month').toBe('2024-03-13T09:00:00.000Z');
    expect(iso('jeu., 05 déc. 2019 10:00:00 +0100'), 'French, abbreviated with dots').toBe(
      '2019-12-05T09:00:00.000Z',
    );
    expect(iso('Mié, 24 Ago 2022 10:00:00 +0200'), 'Spanish').toBe('2022-08-24T08:00:00.000Z');
  });

  it('returns null for garbage and non-strings', () => {
    expect(iso('garbage'), '"garbage"').toBeNull();
    expect(iso(''), 'empty string').toBeNull();
    expect(iso('32 Foo 2018'), 'unknown month').toBeNull();
    expect(iso(undefined), 'undefined').toBeNull();
    expect(iso(null), 'null').toBeNull();
    expect(iso(1_700_000_000_000), 'a number').toBeNull();
  });

  it('refuses dates before 1990 and more than a day ahead', () => {
    expect(iso('Thu, 01 Jan 1970 00:00:00 GMT'), 'the epoch').toBeNull();
    expect(iso('1989-12-31T23:59:59Z'), 'just before 1990').toBeNull();
    expect(iso('1990-01-01T00:00:00Z'), '1990 itself').toBe('1990-01-01T00:00:00.000Z');
    expect(iso('2024-06-02T11:00:00Z'), '23 hours ahead is clock skew').toBe('2024-06-02T11:00:00.000Z');
    expect(iso('2024-06-02T13:00:00Z'), '25 hours ahead').toBeNull();
  });

  it('accepts a Date', () => {
    expect(iso(new Date('2020-02-02T02:02:02Z')), 'a Date object').toBe('2020-02-02T02:02:02.000Z');
    expect(iso(new Date('1980-01-01T00:00:00Z')), 'an old Date object').toBeNull();
  });
});
