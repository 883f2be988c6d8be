/**
 * Apple App Store customer reviews, from the public iTunes customer-reviews feed (JSON flavour):
 * `GET {baseUrl}/{country}/rss/customerreviews/page={n}/id={appId}/sortby=mostrecent/json`.
 *
 * Upstream limits and what this connector does about them:
 * - No credentials, no documented rate limit and no rate-limit headers. The shared client paces requests
 *   per host, retries 5xx/429 and honours Retry-After; a poll asks for at most 10 pages (one on the
 *   first poll, usually one afterwards).
 * - The feed is the 500 newest reviews of ONE storefront (50 per page, pages 1–10; page 11 answers the
 *   plain text "CustomerReviews RSS page depth is limited to 10", read here as the end of the pages).
 *   Older reviews, and reviews left in other storefronts, cannot be reached through it; one source per
 *   app × storefront.
 * - There is no `since` parameter: pages are walked newest first and the walk stops at the first review
 *   already seen (the cursor keeps the newest ids) or older than the newest date seen.
 * - An unknown app id is not an error upstream (an empty feed with status 200), so it is not one here.
 * - Review links are the app's review listing, not a per-review page (Apple has none); the storefront is
 *   a country, not a language, so `language` stays null. The app version (`im:version`) is not kept.
 */
import { z } from 'zod';
import { parseFeedDate } from './dates.ts';
import { isRecord } from './guards.ts';
import { decodeBody, type HttpClient, UpstreamError } from './http.ts';
import { joinUrl } from './json.ts';
import { BaseUrl, type FetchResult, type RawItem, type SourceConnector } from './types.ts';

export const AppStoreOptions = z.strictObject({
  /** The numeric App Store id (the digits of `…/app/name/id284882215`). */
  appId: z.string().regex(/^\d{1,15}$/, 'appId must be the numeric App Store id, e.g. "284882215"'),
  /** Two-letter storefront (ISO 3166-1 alpha-2), e.g. "us", "gb", "fr". */
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'country must be a two-letter storefront code, e.g. "us"')
    .default('us'),
  baseUrl: BaseUrl.default('https://itunes.apple.com'),
});
export type AppStoreOptions = z.infer<typeof AppStoreOptions>;

/** Apple serves at most 10 pages of 50 reviews. */
export const APPSTORE_MAX_PAGES = 10;
/** Review ids kept in the cursor to recognise where the last poll stopped. */
export const APPSTORE_SEEN_IDS = 200;

const AppStoreCursor = z.object({
  seen: z.array(z.string()).max(10_000),
  updated: z.string().nullable().optional(),
});
type AppStoreCursor = z.infer<typeof AppStoreCursor>;

const PAGE_DEPTH = /page depth is limited/i;

type Entry = Record<string, unknown>;

/** The feed wraps every value as `{ "label": … }`. */
function label(value: unknown): string | null {
  if (!isRecord(value)) return null;
  return typeof value.label === 'string' ? value.label : null;
}

/** `content` is one object; some feed versions gave a list (text and html): prefer the text one. */
function contentLabel(value: unknown): string | null {
  if (!Array.isArray(value)) return label(value);
  const text = value.find(
    (part) => isRecord(part) && isRecord(part.attributes) && part.attributes.type === 'text',
  );
  return label(text ?? value[0]);
}

function linkHref(value: unknown): string | null {
  const links = Array.isArray(value) ? value : [value];
  for (const link of links) {
    if (!isRecord(link) || !isRecord(link.attributes)) continue;
    const href = link.attributes.href;
    if (typeof href === 'string' && /^https?:\/\//i.test(href.trim())) return href.trim();
  }
  return null;
}

function count(value: unknown): number | undefined {
  const raw = label(value);
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The page number of the feed's `rel="last"` link, when it names one. */
function lastPage(feed: Record<string, unknown>): number | null {
  const links = Array.isArray(feed.link) ? feed.link : [feed.link];
  for (const link of links) {
    if (!isRecord(link) || !isRecord(link.attributes) || link.attributes.rel !== 'last') continue;
    const href = link.attributes.href;
    const page = typeof href === 'string' ? /\/page=(\d+)\//.exec(href)?.[1] : undefined;
    return page ? Number(page) : null;
  }
  return null;
}

type Review = { item: RawItem; updated: Date | null };

function reviewFromEntry(entry: Entry, options: AppStoreOptions, now: Date): Review | null {
  // Older feeds put the app's own metadata in the first entry: it has no rating.
  if (!('im:rating' in entry)) return null;
  const externalId = label(entry.id)?.trim();
  if (!externalId) return null;
  const title = label(entry.title)?.trim() || null;
  const content = contentLabel(entry.content)?.trim() ?? '';
  if (!content && !title) return null;
  const ratingText = label(entry['im:rating'])?.trim() ?? '';
  const rating = /^[1-5]$/.test(ratingText) ? Number(ratingText) : null;
  const name = isRecord(entry.author) ? label(entry.author.name)?.trim() || null : null;
  const updated = parseFeedDate(label(entry.updated), now);
  const country = options.country.toLowerCase();
  const likes = count(entry['im:voteSum']);
  return {
    item: {
      externalId,
      url: linkHref(entry.link) ?? `https://apps.apple.com/${country}/app/id${options.appId}?see-all=reviews`,
      author: name,
      title,
      content,
      contentType: 'text',
      publishedAt: updated,
      rating,
      language: null,
      engagement: likes === undefined ? null : { likes },
    },
    updated,
  };
}

type Page = { entries: Entry[]; lastPage: number | null; end: boolean };

async function fetchPage(http: HttpClient, url: string): Promise<Page> {
  const response = await http.get({ url, headers: { accept: 'application/json' } });
  const text = decodeBody(response.body, response.headers.get('content-type'));
  // Past the last allowed page Apple answers plain text with status 200: the end, not a failure.
  if (PAGE_DEPTH.test(text.slice(0, 200))) return { entries: [], lastPage: null, end: true };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const preview = text.replace(/\s+/g, ' ').trim().slice(0, 80);
    throw new UpstreamError(
      'invalid',
      `${url}: expected JSON, got ${preview ? `"${preview}…"` : 'an empty body'}`,
    );
  }
  if (!isRecord(data) || !isRecord(data.feed)) {
    throw new UpstreamError('invalid', `${url}: expected a customer-reviews feed ({"feed": …})`);
  }
  const entry = data.feed.entry;
  // No `entry`: no reviews at all, past the last page, or an unknown app id (Apple answers 200 to all).
  if (entry === undefined || entry === null) return { entries: [], lastPage: null, end: true };
  // Exactly one entry comes as an object, not a one-element array.
  const list = Array.isArray(entry) ? entry : [entry];
  if (!list.every((e) => isRecord(e) || e === null)) {
    throw new UpstreamError('invalid', `${url}: feed.entry is neither an entry nor a list of entries`);
  }
  return { entries: list.filter(isRecord), lastPage: lastPage(data.feed), end: false };
}

function readCursor(cursor: unknown): AppStoreCursor | null {
  const parsed = AppStoreCursor.safeParse(cursor);
  return parsed.success ? parsed.data : null;
}

export const appStoreSource: SourceConnector<AppStoreOptions> = {
  kind: 'appstore',
  optionsSchema: AppStoreOptions,
  async fetchNew({ options, cursor, http, now }): Promise<FetchResult> {
    const previous = readCursor(cursor);
    const seen = new Set(previous?.seen ?? []);
    const since = parseFeedDate(previous?.updated ?? null, now);
    const country = options.country.toLowerCase();
    // The first poll reads the newest page only: no backfill of the 500 newest reviews.
    const maxPages = previous ? APPSTORE_MAX_PAGES : 1;

    const reviews: Review[] = [];
    const fresh = new Set<string>();
    pages: for (let page = 1; page <= maxPages; page++) {
      const url = joinUrl(
        options.baseUrl,
        `${country}/rss/customerreviews/page=${page}/id=${options.appId}/sortby=mostrecent/json`,
      );
      const result = await fetchPage(http, url);
      if (result.end) break;
      let anyReview = false;
      for (const entry of result.entries) {
        const review = reviewFromEntry(entry, options, now);
        if (!review) continue;
        anyReview = true;
        const id = review.item.externalId;
        const edited = review.updated !== null && since !== null && review.updated > since;
        // Newest first: the first review we already know marks where the last poll began, unless it is
        // dated after everything we saw (an edited review that moved back to the top).
        if (seen.has(id) && !edited) break pages;
        // Older than the newest review seen: the rest is older still (the seen ids were lost or rolled off).
        if (review.updated !== null && since !== null && review.updated < since) break pages;
        if (seen.has(id) || fresh.has(id)) continue;
        fresh.add(id);
        reviews.push(review);
      }
      if (!anyReview) break;
      if (result.lastPage !== null && page >= result.lastPage) break;
    }

    const newest = reviews.reduce<Date | null>(
      (max, r) => (r.updated && (!max || r.updated > max) ? r.updated : max),
      since,
    );
    const nextCursor = {
      seen: [...new Set([...reviews.map((r) => r.item.externalId), ...(previous?.seen ?? [])])].slice(
        0,
        APPSTORE_SEEN_IDS,
      ),
      updated: newest ? newest.toISOString() : null,
    };
    return { items: reviews.map((r) => r.item), cursor: nextCursor, notModified: false };
  },
};
