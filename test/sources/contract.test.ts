/**
 * The connector contract, checked on every recorded XML feed: served by a local upstream, fetched through
 * the rss connector, normalised. Failures name the fixture file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../sources/http.ts';
import { rssSource } from '../../sources/rss.ts';
import { normaliseItem } from '../../src/ingest/normalise.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { hasFixtures, listFixtures, readFixture, SKIP_REASON } from '../helpers/shared.ts';
import { fetchContext } from '../helpers/sources.ts';

const FEED_FILE = /\.(rss|atom|xml)$/;
const FEED_FOLDERS = ['rss', 'google-alerts', 'youtube', 'mastodon', 'reddit', 'hackernews', 'stackexchange'];
const feeds = FEED_FOLDERS.flatMap((folder) => listFixtures(folder, FEED_FILE));

const TAG = /<\/?[a-z][^>]*>/gi;
const ESCAPED_LT = /&(lt|#0*60|#x0*3c);/gi;

/**
 * Tag-like strings in the plain text that cannot come from escaped text. A code sample such as
 * `#include <iostream>` is escaped in the HTML (`&lt;iostream&gt;`) and is legitimately text once decoded;
 * so every `<` in the text must be matched by an escaped `<` in the HTML, or a tag was left over.
 */
function leftoverTags(text: string, html: string): string[] {
  const tags = text.match(TAG) ?? [];
  if (tags.length === 0) return [];
  const literal = text.split('<').length - 1;
  const escaped = html.match(ESCAPED_LT)?.length ?? 0;
  return literal <= escaped ? [] : tags;
}

let upstream: FakeUpstream;
const http = createHttpClient({ retries: 0, timeoutMs: 10_000 });

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream?.close();
});

describe('rss contract on every recorded feed', () => {
  if (!hasFixtures) it.skip(`recorded feeds: ${SKIP_REASON}`, () => {});

  it('the leftover-tag check tells escaped code from real markup', () => {
    expect(leftoverTags('a <b>bold</b> word', 'a <b>bold</b> word'), 'markup that leaked').toEqual([
      '<b>',
      '</b>',
    ]);
    expect(
      leftoverTags('#include <iostream>', '<code>#include &lt;iostream&gt;</code>'),
      'escaped code',
    ).toEqual([]);
    expect(leftoverTags('plain text', '<p>plain text</p>'), 'no tags at all').toEqual([]);
  });

  it.skipIf(!hasFixtures)('finds the recorded feeds', () => {
    expect(feeds.length, `XML feeds under ${FEED_FOLDERS.join(', ')}`).toBeGreaterThan(10);
  });

  it.each(feeds)('%s', async (file) => {
    const path = `/${file}`;
    // No charset in the Content-Type: the body's own declaration (or detection) must decide.
    upstream.on(path, serveFeed(readFixture(file), { contentType: 'application/xml' }));
    const result = await rssSource.fetchNew(fetchContext({ url: upstream.url(path) }, { http }));

    expect(result.notModified, `${file}: a 200 is new content`).toBe(false);
    expect(result.items.length, `${file}: items`).toBeGreaterThan(0);

    const ids = result.items.map((item) => item.externalId);
    const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);
    expect(duplicates, `${file}: externalIds must be unique`).toEqual([]);

    for (const item of result.items) {
      const where = `${file} item ${item.externalId}`;
      expect(
        item.publishedAt === null ||
          (item.publishedAt instanceof Date && !Number.isNaN(item.publishedAt.getTime())),
        `${where}: publishedAt is a valid Date or null (got ${String(item.publishedAt)})`,
      ).toBe(true);

      const normalised = normaliseItem(item);
      expect(normalised, `${where}: normaliseItem kept it`).not.toBeNull();
      if (!normalised) continue;
      expect(normalised.text.trim().length, `${where}: non-empty text`).toBeGreaterThan(0);
      expect(normalised.text, `${where}: no replacement characters`).not.toContain('\ufffd');
      expect(leftoverTags(normalised.text, item.content), `${where}: HTML tags left in the text`).toEqual([]);
      if (normalised.title !== null) {
        expect(
          leftoverTags(normalised.title, item.title ?? ''),
          `${where}: HTML tags left in the title`,
        ).toEqual([]);
      }
      if (normalised.url !== null) {
        expect(normalised.url, `${where}: url is http(s)`).toMatch(/^https?:\/\//);
      }
      if (file.startsWith('google-alerts/')) {
        expect(normalised.url, `${where}: Google redirect unwrapped`).not.toBeNull();
        expect(normalised.url, `${where}: Google redirect unwrapped`).not.toMatch(
          /^https?:\/\/(www\.)?google\.[a-z.]+\/url\b/i,
        );
      }
    }
  });
});
