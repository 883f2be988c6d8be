/**
 * RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom 0.3/1.0 feeds, including Google Alerts and YouTube channel
 * feeds. Fetched with the shared client (conditional GET) and parsed with rss-parser's
 * `parseString` (its `parseURL` mishandles 304, gzip and timeouts).
 */
import Parser from 'rss-parser';
import { z } from 'zod';
import { parseFeedDate } from './dates.ts';
import { decodeBody, UpstreamError } from './http.ts';
import type { FetchResult, RawItem, SourceConnector } from './types.ts';

export const RssOptions = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
});
export type RssOptions = z.infer<typeof RssOptions>;

const RssCursor = z.object({
  etag: z.string().nullable().optional(),
  lastModified: z.string().nullable().optional(),
});

type FeedItem = Record<string, unknown>;

const parser: Parser<Record<string, unknown>, FeedItem> = new Parser({
  customFields: {
    feed: ['language', 'dc:language'],
    item: [
      'id',
      'summary',
      'updated',
      'published',
      'issued',
      'modified',
      'created',
      'dc:date',
      'dc:creator',
      'media:group',
      'author',
    ],
  },
});

// rss-parser 3.x turns an Atom entry's <published>/<updated> into `new Date(x).toISOString()`, which throws
// on an unparseable date and so loses the whole feed. We read those two fields ourselves (parseFeedDate),
// so hide them from its own date handling and hand them back raw.
const atomInternals = parser as unknown as { parseItemAtom: (entry: Record<string, unknown>) => FeedItem };
const parseItemAtom = atomInternals.parseItemAtom.bind(parser);
atomInternals.parseItemAtom = (entry) => {
  const { published, updated, ...rest } = entry;
  const item = parseItemAtom(rest);
  if (Array.isArray(published)) item.published = published[0];
  if (Array.isArray(updated)) item.updated = updated[0];
  return item;
};

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() || null;
  if (Array.isArray(value)) return text(value[0]);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // xml2js shapes: { _: 'text', $: {...} } or { name: [...] } (Atom author).
    return text(record._ ?? record.name ?? record['#'] ?? null);
  }
  return null;
}

function mediaDescription(item: FeedItem): string | null {
  const group = item['media:group'] as Record<string, unknown> | undefined;
  return group ? text(group['media:description']) : null;
}

function feedLanguage(feed: Record<string, unknown>): string | null {
  const value = text(feed.language) ?? text(feed['dc:language']);
  if (!value) return null;
  return /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(value) ? value.toLowerCase() : null;
}

async function digest(value: string): Promise<string> {
  const bytes = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return [...new Uint8Array(bytes).slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function itemsFromFeed(xml: string, now: Date): Promise<RawItem[]> {
  let feed: Awaited<ReturnType<typeof parser.parseString>>;
  try {
    // rss-parser rejects a leading blank line before the XML declaration (seen in YouTube feeds) and
    // an <rss> root without a version attribute (seen in real Brazilian news feeds).
    const cleaned = xml
      .replace(/^\s+/, '')
      .replace(/<rss(?![^>]*\bversion\s*=)(?=[\s>])/, '<rss version="2.0"');
    feed = await parser.parseString(cleaned);
  } catch (error) {
    throw new UpstreamError(
      'invalid',
      `not a valid RSS/Atom feed: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const language = feedLanguage(feed as Record<string, unknown>);
  const items: RawItem[] = [];
  for (const item of feed.items ?? []) {
    const link = text(item.link);
    const title = text(item.title);
    const html =
      text(item['content:encoded']) ??
      text(item.content) ??
      text(item.summary) ??
      mediaDescription(item) ??
      null;
    const content = html ?? title ?? '';
    // The first date field the item actually fills in (an empty <pubDate/> must not hide a dc:date).
    const dateValue = [
      item.isoDate,
      item.pubDate,
      item['dc:date'],
      item.published,
      item.updated,
      item.issued,
      item.modified,
      item.created,
    ]
      .map(text)
      .find((value) => value !== null);
    const publishedAt = parseFeedDate(dateValue ?? null, now);
    const externalId =
      text(item.guid) ??
      text(item.id) ??
      link ??
      (content ? `sha256:${await digest(`${title ?? ''}\n${content}`)}` : null);
    if (!externalId || !content) continue;
    items.push({
      externalId,
      url: link,
      author: text(item.creator) ?? text(item['dc:creator']) ?? text(item.author),
      title,
      content,
      contentType: 'html',
      publishedAt,
      rating: null,
      language,
    });
  }
  return items;
}

export const rssSource: SourceConnector<RssOptions> = {
  kind: 'rss',
  optionsSchema: RssOptions,
  async fetchNew({ options, cursor, http, now }): Promise<FetchResult> {
    const previous = RssCursor.safeParse(cursor ?? {});
    const validators = previous.success ? previous.data : {};
    const response = await http.get({
      url: options.url,
      etag: validators.etag ?? null,
      lastModified: validators.lastModified ?? null,
      headers: {
        accept: 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5',
      },
    });
    if (response.notModified) return { items: [], cursor: cursor ?? null, notModified: true };
    const xml = decodeBody(response.body, response.headers.get('content-type'));
    let items: RawItem[];
    try {
      items = await itemsFromFeed(xml, now);
    } catch (error) {
      // Name the feed, as every other upstream error names its request: health shows which URL broke.
      if (!(error instanceof UpstreamError)) throw error;
      throw new UpstreamError(error.kind, `${options.url}: ${error.message}`, error.status);
    }
    return {
      items,
      cursor: {
        etag: response.headers.get('etag'),
        lastModified: response.headers.get('last-modified'),
      },
      notModified: false,
    };
  },
};
