/**
 * Hacker News stories and comments through the Algolia HN Search API
 * (`GET {baseUrl}/api/v1/search_by_date`, newest first). No credentials.
 *
 * Upstream limits: Algolia allows 10,000 requests per hour per IP and sends no rate-limit headers (it
 * blocks the IP when the limit is passed); one query pages through at most 1,000 hits. A poll makes at
 * most MAX_PAGES requests of HITS_PER_PAGE hits. When that does not reach back to the cursor, the
 * window left over is kept in the cursor (`gap`) and worked through by the next polls, after what is
 * new, so a burst is delayed but not dropped. A 429 (Retry-After honoured by the HTTP client) or any
 * other failure fails the whole poll; the cursor stays put and the next poll fetches the same items.
 *
 * Cursor `{ since, seen, gap? }`: `since` is the newest `created_at_i` delivered; each poll asks for
 * `created_at_i >= since - OVERLAP_S` so that an item indexed a little after newer ones (or created in
 * the same second) is still found, and `seen` (objectID → created_at_i of what was delivered inside
 * that overlap) drops the repeats.
 *
 * Cannot: see edits or deletions of items already fetched; find an item Algolia indexes more than
 * OVERLAP_S after a newer one moved the cursor on; report a language (HN declares none). Algolia's
 * matching is typo-tolerant and by prefix ("appla-uded" matched "apple"): the connector does not
 * filter, earshot re-checks brand terms on every item.
 */
import { z } from 'zod';
import { parseFeedDate } from './dates.ts';
import { count, isRecord, text } from './guards.ts';
import { UpstreamError } from './http.ts';
import { fetchJson, joinUrl } from './json.ts';
import { BaseUrl, type Engagement, type FetchResult, type SourceConnector } from './types.ts';
import { type Hit, searchWindows } from './windowed-search.ts';

export const HackerNewsOptions = z.strictObject({
  /** Algolia query, as written by the user (typo-tolerant, prefix matching). */
  query: z.string().trim().min(1).max(512),
  /** Stories, comments, or both. */
  tags: z.enum(['all', 'story', 'comment']).default('all'),
  baseUrl: BaseUrl.default('https://hn.algolia.com'),
});
export type HackerNewsOptions = z.infer<typeof HackerNewsOptions>;

export const HITS_PER_PAGE = 100;
/** Requests per poll, at most. */
export const MAX_PAGES = 5;
/** How far back each poll looks before the cursor, for items indexed late. */
export const OVERLAP_S = 600;
/** objectIDs kept in the cursor, at most. */
const MAX_SEEN = 500;

const TAGS: Record<HackerNewsOptions['tags'], string> = {
  all: '(story,comment)',
  story: '(story)',
  comment: '(comment)',
};

const Epoch = z.number().int().nonnegative();
const Gap = z.object({ from: Epoch, to: Epoch });
const HackerNewsCursor = z.object({
  since: Epoch,
  seen: z.record(z.string(), Epoch).default({}),
  gap: Gap.optional(),
});
type HackerNewsCursor = z.infer<typeof HackerNewsCursor>;

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One Algolia hit as a RawItem, with its creation time (epoch seconds) for the cursor; null to skip it. */
export function itemFromHit(hit: unknown, now: Date): Hit | null {
  if (!isRecord(hit)) return null;
  const rawId = hit.objectID;
  const id = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : text(rawId);
  // HN item ids are positive integers; anything else cannot be linked to.
  if (!id || !/^[1-9]\d{0,15}$/.test(id)) return null;
  const tags = Array.isArray(hit._tags) ? hit._tags : [];
  const commentText = text(hit.comment_text);
  const isComment = tags.includes('comment') || (commentText !== null && !tags.includes('story'));

  let title: string | null;
  let content: string | null;
  if (isComment) {
    // A comment has no title of its own: the story it belongs to is its context.
    title = text(hit.story_title);
    content = commentText;
  } else {
    title = text(hit.title);
    const link = text(hit.url);
    content = text(hit.story_text) ?? (link ? escapeHtml(link) : null) ?? (title ? escapeHtml(title) : null);
  }
  if (!content) return null;

  const epoch = count(hit.created_at_i);
  const date =
    epoch !== undefined
      ? parseFeedDate(new Date(Math.floor(epoch) * 1000), now)
      : parseFeedDate(hit.created_at, now);
  const engagement: Engagement = {};
  const points = count(hit.points);
  const comments = count(hit.num_comments);
  if (points !== undefined) engagement.score = points;
  if (comments !== undefined) engagement.replies = comments;

  return {
    item: {
      externalId: id,
      url: `https://news.ycombinator.com/item?id=${id}`,
      author: text(hit.author),
      title,
      content,
      contentType: 'html',
      publishedAt: date,
      rating: null,
      language: null,
      engagement: Object.keys(engagement).length > 0 ? engagement : null,
    },
    time: date ? Math.floor(date.getTime() / 1000) : null,
  };
}

function readCursor(cursor: unknown): HackerNewsCursor | null {
  const parsed = HackerNewsCursor.safeParse(cursor);
  return parsed.success ? parsed.data : null;
}

export const hackerNewsSource: SourceConnector<HackerNewsOptions> = {
  kind: 'hackernews',
  optionsSchema: HackerNewsOptions,
  async fetchNew({ options, cursor, http, now }): Promise<FetchResult> {
    const previous = readCursor(cursor);
    const result = await searchWindows({
      previous: previous && {
        since: previous.since,
        seen: new Map(Object.entries(previous.seen)),
        ...(previous.gap ? { gap: previous.gap } : {}),
      },
      now,
      maxPages: MAX_PAGES,
      overlapSeconds: OVERLAP_S,
      maxSeen: MAX_SEEN,
      async fetchPage(window, page) {
        const filters: string[] = [];
        if (window.from !== undefined) filters.push(`created_at_i>=${window.from}`);
        if (window.to !== undefined) filters.push(`created_at_i<=${window.to}`);
        const url = joinUrl(options.baseUrl, '/api/v1/search_by_date', {
          query: options.query,
          tags: TAGS[options.tags],
          numericFilters: filters.length > 0 ? filters.join(',') : undefined,
          hitsPerPage: HITS_PER_PAGE,
          page,
        });
        const { data } = await fetchJson(http, { url });
        if (!isRecord(data) || !Array.isArray(data.hits)) {
          throw new UpstreamError('invalid', `${url}: expected an object with a "hits" array`);
        }
        const hits = data.hits.map((raw) => itemFromHit(raw, now)).filter((hit): hit is Hit => hit !== null);
        const nbPages = count(data.nbPages);
        const more =
          data.hits.length > 0 &&
          (nbPages !== undefined ? page + 1 < nbPages : data.hits.length >= HITS_PER_PAGE);
        return { hits, more };
      },
    });
    return {
      items: result.items,
      cursor: {
        since: result.cursor.since,
        seen: Object.fromEntries(result.seen),
        ...(result.cursor.gap ? { gap: result.cursor.gap } : {}),
      },
      notModified: false,
    };
  },
};
