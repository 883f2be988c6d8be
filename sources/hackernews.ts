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
import { UpstreamError } from './http.ts';
import { fetchJson, joinUrl } from './json.ts';
import { BaseUrl, type Engagement, type FetchResult, type RawItem, type SourceConnector } from './types.ts';

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
type Gap = z.infer<typeof Gap>;
const HackerNewsCursor = z.object({
  since: Epoch,
  seen: z.record(z.string(), Epoch).default({}),
  gap: Gap.optional(),
});
type HackerNewsCursor = z.infer<typeof HackerNewsCursor>;

type Hit = { item: RawItem; time: number | null };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

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

type Window = { from?: number; to?: number };
type WindowResult = { complete: boolean; oldest: number | null; pages: number };

export const hackerNewsSource: SourceConnector<HackerNewsOptions> = {
  kind: 'hackernews',
  optionsSchema: HackerNewsOptions,
  async fetchNew({ options, cursor, http, now }): Promise<FetchResult> {
    const previous = readCursor(cursor);
    const seen = new Map<string, number>(Object.entries(previous?.seen ?? {}));
    const items = new Map<string, RawItem>();
    let newest: number | null = previous?.since ?? null;

    /** Pages through one time window, newest first; `complete` when it reached the window's end. */
    async function search(window: Window, maxPages: number): Promise<WindowResult> {
      const filters: string[] = [];
      if (window.from !== undefined) filters.push(`created_at_i>=${window.from}`);
      if (window.to !== undefined) filters.push(`created_at_i<=${window.to}`);
      let oldest: number | null = null;
      for (let page = 0; page < maxPages; page++) {
        const url = joinUrl(options.baseUrl, '/api/v1/search_by_date', {
          query: options.query,
          tags: TAGS[options.tags],
          numericFilters: filters.length > 0 ? filters.join(',') : undefined,
          hitsPerPage: HITS_PER_PAGE,
          page,
        });
        const { data, notModified } = await fetchJson(http, { url });
        if (notModified) return { complete: true, oldest, pages: page + 1 };
        if (!isRecord(data) || !Array.isArray(data.hits)) {
          throw new UpstreamError('invalid', `${url}: expected an object with a "hits" array`);
        }
        for (const raw of data.hits) {
          const hit = itemFromHit(raw, now);
          if (!hit) continue;
          const { item, time } = hit;
          if (time !== null) {
            oldest = oldest === null ? time : Math.min(oldest, time);
            // Algolia applied the filter; an item outside the window is an upstream slip, not new.
            if (window.from !== undefined && time < window.from) continue;
          }
          if (seen.has(item.externalId) || items.has(item.externalId)) continue;
          items.set(item.externalId, item);
          if (time !== null) {
            seen.set(item.externalId, time);
            newest = newest === null ? time : Math.max(newest, time);
          }
        }
        const nbPages = count(data.nbPages);
        const more =
          data.hits.length > 0 &&
          (nbPages !== undefined ? page + 1 < nbPages : data.hits.length >= HITS_PER_PAGE);
        if (!more) return { complete: true, oldest, pages: page + 1 };
      }
      return { complete: false, oldest, pages: maxPages };
    }

    let gap: Gap | undefined;
    if (!previous) {
      // First poll: the newest page only, no backfill.
      await search({}, 1);
    } else {
      const from = Math.max(0, previous.since - OVERLAP_S);
      const head = await search({ from }, MAX_PAGES);
      gap = previous.gap;
      if (!head.complete) {
        // The pages ran out before reaching the cursor: [from, oldest] is still to do.
        gap = mergeGaps(gap, { from, to: head.oldest ?? previous.since });
      } else if (gap && head.pages < MAX_PAGES) {
        const rest = await search(gap, MAX_PAGES - head.pages);
        gap = rest.complete ? undefined : shrinkGap(gap, rest.oldest);
      }
    }

    const since = newest ?? Math.floor(now.getTime() / 1000);
    return {
      items: [...items.values()],
      cursor: {
        since,
        seen: Object.fromEntries(
          [...seen]
            .filter(([, time]) => time >= since - OVERLAP_S)
            .sort((a, b) => b[1] - a[1])
            .slice(0, MAX_SEEN),
        ),
        ...(gap ? { gap } : {}),
      },
      notModified: false,
    };
  },
};

function mergeGaps(a: Gap | undefined, b: Gap): Gap | undefined {
  const merged = a ? { from: Math.min(a.from, b.from), to: Math.max(a.to, b.to) } : b;
  return merged.to >= merged.from ? merged : a;
}

/** What is left of a gap once it was searched down to `oldest`; always makes progress. */
function shrinkGap(gap: Gap, oldest: number | null): Gap | undefined {
  const to = oldest !== null && oldest < gap.to ? oldest : gap.to - 1;
  return to >= gap.from ? { from: gap.from, to } : undefined;
}
