/**
 * GitHub issues and pull requests through the issue search API
 * (`GET {baseUrl}/search/issues?q=<query> created:>=<ISO>&sort=created&order=desc`), newest first.
 * An optional token (`Authorization: Bearer`) raises the search limit.
 *
 * Upstream limits: search has its own bucket, 30 requests per minute with a token and 10 without,
 * reported in `X-RateLimit-Remaining` / `X-RateLimit-Reset`. When a response says 0 remain, paging
 * stops and the poll returns what it has, the reset time goes into the cursor, and a poll before that
 * time fails at once with a 429 carrying retryAfterMs (no request is sent), so the source backs off.
 * A 403/429 from GitHub itself fails the poll (the HTTP client keeps its Retry-After, if any). A query
 * yields at most 1,000 results (10 pages of 100); a poll makes at most MAX_PAGES requests. When that
 * does not reach back to the cursor, the window left over is kept in the cursor (`gap`) and searched
 * with `created:FROM..TO` by the next polls, after what is new, so a burst is delayed, not dropped,
 * and no single query has to page past the 1,000-result cap.
 *
 * Cursor `{ since, seen, gap?, rateLimitReset? }` (ISO times): `since` is the newest `created_at`
 * delivered; each poll asks for `created:>=` (since - OVERLAP_S), full ISO timestamp, because the
 * search index lags behind and several items share a second; `seen` (node_id → created_at of what
 * was delivered inside that overlap) drops the repeats.
 *
 * Cannot: see edits, new comments or deletions of items already fetched (`created`, not `updated`);
 * search comments (only issue and PR titles and bodies); find an item indexed more than OVERLAP_S
 * late; trust `incomplete_results` (a search that timed out upstream returns what it found, and
 * nothing tells what it missed); report a language.
 */
import { z } from 'zod';
import { parseFeedDate } from './dates.ts';
import { count, isRecord, text } from './guards.ts';
import { UpstreamError } from './http.ts';
import { fetchJson, joinUrl } from './json.ts';
import { BaseUrl, type Engagement, type FetchResult, SecretRef, type SourceConnector } from './types.ts';
import { type Hit, searchWindows, type WindowCursor } from './windowed-search.ts';

export const GitHubOptions = z.strictObject({
  /**
   * GitHub search syntax (`acme in:title,body is:issue -org:acme`); the connector adds `created:`.
   * A GitHub App user token needs `is:issue` or `is:pull-request` in it (else 422); other tokens
   * and anonymous requests get both.
   */
  query: z
    .string()
    .trim()
    .min(1)
    .max(256)
    .refine((q) => !/(^|[\s(])-?(created|sort):/i.test(q), {
      message: 'the query must not contain created: or sort: qualifiers (the connector adds its own)',
    }),
  /** A personal access token (no scopes needed for public repositories), or {"env": "NAME"}. */
  token: SecretRef.optional(),
  baseUrl: BaseUrl.default('https://api.github.com'),
});
export type GitHubOptions = z.infer<typeof GitHubOptions>;

export const PER_PAGE = 100;
/** Requests per poll, at most. */
export const MAX_PAGES = 5;
/** GitHub search returns at most this many results for one query. */
export const SEARCH_RESULT_CAP = 1000;
/** How far back each poll looks before the cursor, for items indexed late. */
export const OVERLAP_S = 600;
/** node_ids kept in the cursor, at most. */
const MAX_SEEN = 200;

const IsoTime = z.iso.datetime();
const Gap = z.object({ from: IsoTime, to: IsoTime });
const GitHubCursor = z.object({
  since: IsoTime,
  seen: z.record(z.string(), IsoTime).default({}),
  gap: Gap.optional(),
  rateLimitReset: IsoTime.optional(),
});

/** Epoch seconds → `2022-07-19T10:00:00Z`, the form the `created:` qualifier takes. */
function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function seconds(value: string): number {
  return Math.floor(Date.parse(value) / 1000);
}

function webUrl(value: unknown): string | null {
  const link = text(value);
  return link && /^https?:\/\//i.test(link) ? link : null;
}

/**
 * The user's query, parenthesised when it has a top-level OR, so that the `created:` qualifier added
 * after it applies to every alternative (`a OR b created:>=X` would read as `a OR (b created:>=X)`).
 */
export function scoped(query: string): string {
  return /\sOR\s/.test(query) ? `(${query})` : query;
}

/** One search result as a RawItem, with its creation time (epoch seconds) for the cursor; null to skip it. */
export function itemFromIssue(issue: unknown, now: Date): Hit | null {
  if (!isRecord(issue)) return null;
  const id =
    text(issue.node_id) ??
    (typeof issue.id === 'number' && Number.isSafeInteger(issue.id) ? String(issue.id) : null);
  if (!id) return null;
  const title = text(issue.title);
  const body = text(issue.body);
  const content = body ?? title;
  if (!content) return null;
  const publishedAt = parseFeedDate(issue.created_at, now);
  const engagement: Engagement = {};
  const comments = count(issue.comments);
  const reactions = isRecord(issue.reactions) ? count(issue.reactions.total_count) : undefined;
  if (comments !== undefined) engagement.replies = comments;
  if (reactions !== undefined) engagement.likes = reactions;
  return {
    item: {
      externalId: id,
      url: webUrl(issue.html_url),
      author: isRecord(issue.user) ? text(issue.user.login) : null,
      title,
      content,
      contentType: 'text',
      publishedAt,
      rating: null,
      language: null,
      engagement: Object.keys(engagement).length > 0 ? engagement : null,
    },
    time: publishedAt ? Math.floor(publishedAt.getTime() / 1000) : null,
  };
}

type Cursor = WindowCursor & { rateLimitReset?: number };

function readCursor(cursor: unknown): Cursor | null {
  const parsed = GitHubCursor.safeParse(cursor);
  if (!parsed.success) return null;
  const { since, seen, gap, rateLimitReset } = parsed.data;
  return {
    since: seconds(since),
    seen: new Map(Object.entries(seen).map(([id, at]) => [id, seconds(at)])),
    ...(gap ? { gap: { from: seconds(gap.from), to: seconds(gap.to) } } : {}),
    ...(rateLimitReset ? { rateLimitReset: Date.parse(rateLimitReset) } : {}),
  };
}

export const githubSource: SourceConnector<GitHubOptions> = {
  kind: 'github',
  optionsSchema: GitHubOptions,
  async fetchNew({ options, cursor, http, now, secret }): Promise<FetchResult> {
    const previous = readCursor(cursor);
    if (previous?.rateLimitReset !== undefined && previous.rateLimitReset > now.getTime()) {
      const wait = previous.rateLimitReset - now.getTime();
      throw new UpstreamError(
        'http',
        `GitHub search rate limit used up until ${new Date(previous.rateLimitReset).toISOString()}`,
        429,
        wait,
      );
    }
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    };
    if (options.token !== undefined) headers.authorization = `Bearer ${secret(options.token)}`;

    let rateLimitReset: number | undefined;
    const result = await searchWindows({
      previous,
      now,
      maxPages: MAX_PAGES,
      overlapSeconds: OVERLAP_S,
      maxSeen: MAX_SEEN,
      async fetchPage(window, index) {
        const page = index + 1;
        let qualifier = '';
        if (window.from !== undefined && window.to !== undefined)
          qualifier = ` created:${iso(window.from)}..${iso(window.to)}`;
        else if (window.from !== undefined) qualifier = ` created:>=${iso(window.from)}`;
        const url = joinUrl(options.baseUrl, '/search/issues', {
          q: `${scoped(options.query)}${qualifier}`,
          sort: 'created',
          order: 'desc',
          per_page: PER_PAGE,
          page,
        });
        const response = await fetchJson(http, { url, headers });
        const { data } = response;
        if (!isRecord(data) || !Array.isArray(data.items)) {
          throw new UpstreamError('invalid', `${url}: expected an object with an "items" array`);
        }
        const hits = data.items
          .map((raw) => itemFromIssue(raw, now))
          .filter((hit): hit is Hit => hit !== null);
        const remaining = response.headers.get('x-ratelimit-remaining');
        if (remaining !== null && remaining.trim() !== '' && Number(remaining) <= 0) {
          const reset = Number(response.headers.get('x-ratelimit-reset'));
          // Without a usable reset time, the search bucket refills within a minute.
          rateLimitReset = Number.isFinite(reset) && reset > 0 ? reset * 1000 : now.getTime() + 60_000;
        }
        const total = count(data.total_count);
        // GitHub serves at most SEARCH_RESULT_CAP results for one query.
        const more =
          data.items.length >= PER_PAGE &&
          page * PER_PAGE < Math.min(total ?? SEARCH_RESULT_CAP, SEARCH_RESULT_CAP);
        return { hits, more, stop: rateLimitReset !== undefined };
      },
    });

    const { since, gap } = result.cursor;
    return {
      items: result.items,
      cursor: {
        since: iso(since),
        seen: Object.fromEntries(result.seen.map(([id, time]) => [id, iso(time)])),
        ...(gap ? { gap: { from: iso(gap.from), to: iso(gap.to) } } : {}),
        ...(rateLimitReset !== undefined && rateLimitReset > now.getTime()
          ? { rateLimitReset: new Date(rateLimitReset).toISOString() }
          : {}),
      },
      notModified: false,
    };
  },
};
