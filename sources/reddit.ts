/**
 * Reddit post search through the OAuth API with app-only credentials ("client credentials" grant):
 * `POST {authBaseUrl}/api/v1/access_token` for a bearer token, then
 * `GET {baseUrl}/search` (or `/r/{subreddit}/search`) with `sort=new`.
 *
 * Upstream limits and what this connector does about them:
 * - Unauthenticated `.json` endpoints answer 403 nowadays, so a Reddit API app (client id + secret) is
 *   required; since Nov 2025 new apps need Reddit's approval. The token (valid ~1 h) is cached in memory
 *   per auth host + client id until a minute before it expires, fetched again after a 401 (one retry),
 *   and never written to cursors, items, errors or logs.
 * - Rate limit: ~100 requests/min per client id, reported in `X-Ratelimit-Remaining`, `-Used` and
 *   `-Reset` (seconds until the window resets). When fewer than one request remains, paging stops and
 *   what was fetched is returned; a poll that starts while the window is known to be exhausted fails at
 *   once with a 429 UpstreamError carrying `retryAfterMs`, so the source backs off. The shared client
 *   also retries 429/5xx and honours Retry-After. Reddit requires a descriptive User-Agent: the shared
 *   client sends one, the `userAgent` option can replace it (`platform:app:version (by /u/name)`).
 * - Search is `sort=new`, 100 posts a page, at most 5 pages a poll (1 on the first poll): a burst of
 *   more than 500 new matches between two polls loses the oldest of them. Reddit's search index lags
 *   and listings stop around 1000 items; a post indexed late with a creation time before the cursor is
 *   not picked up. Only posts (t3) are searched, not comments.
 * - Removed or deleted posts are skipped. Selftext is markdown and comes back as plain text; link posts
 *   carry their outbound link as content.
 */
import { z } from 'zod';
import { isRecord } from './guards.ts';
import { type HttpClient, UpstreamError } from './http.ts';
import { fetchJson, joinUrl } from './json.ts';
import { BaseUrl, type FetchResult, type RawItem, SecretRef, type SourceConnector } from './types.ts';

export const RedditOptions = z.strictObject({
  /** Reddit search syntax, e.g. `"acme phone" OR acmephone`. */
  query: z.string().trim().min(1).max(512),
  /** Search one subreddit (or several joined with "+") instead of all of Reddit. */
  subreddit: z
    .string()
    .regex(
      /^[A-Za-z0-9_]{2,21}(\+[A-Za-z0-9_]{2,21})*$/,
      'subreddit must be a subreddit name without "r/", e.g. "technology"',
    )
    .optional(),
  clientId: SecretRef,
  clientSecret: SecretRef,
  /** Reddit's preferred form: `<platform>:<app id>:<version> (by /u/<reddit username>)`. */
  userAgent: z.string().trim().min(1).max(256).optional(),
  baseUrl: BaseUrl.default('https://oauth.reddit.com'),
  authBaseUrl: BaseUrl.default('https://www.reddit.com'),
});
export type RedditOptions = z.infer<typeof RedditOptions>;

export const REDDIT_PAGE_SIZE = 100;
export const REDDIT_MAX_PAGES = 5;

const RedditCursor = z.object({
  /** created_utc (epoch seconds) of the newest post seen. */
  since: z.number().finite(),
  /** Fullnames of the posts seen at exactly that second. */
  ids: z.array(z.string()).max(1000),
});
type RedditCursor = z.infer<typeof RedditCursor>;

type Token = { value: string; expiresAt: number };

/** Bearer tokens per auth host + client id; in memory only. */
const tokens = new Map<string, Token>();
const pendingTokens = new Map<string, Promise<Token>>();
/** Rate-limit windows per API host + client id, as last reported by Reddit. */
const rateWindows = new Map<string, { remaining: number; resetAt: number }>();

/** Forgets cached tokens and rate-limit windows (tests). */
export function resetRedditState(): void {
  tokens.clear();
  pendingTokens.clear();
  rateWindows.clear();
}

function userAgentHeader(options: RedditOptions): Record<string, string> {
  return options.userAgent ? { 'user-agent': options.userAgent } : {};
}

async function requestToken(
  http: HttpClient,
  options: RedditOptions,
  clientId: string,
  clientSecret: string,
  now: number,
): Promise<Token> {
  const url = joinUrl(options.authBaseUrl, 'api/v1/access_token');
  let data: unknown;
  try {
    ({ data } = await fetchJson(http, {
      url,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...userAgentHeader(options),
      },
      body: 'grant_type=client_credentials',
    }));
  } catch (error) {
    if (error instanceof UpstreamError && (error.status === 401 || error.status === 403)) {
      throw new UpstreamError(
        'http',
        `${url}: Reddit refused the client credentials (HTTP ${error.status}); check clientId and clientSecret`,
        error.status,
      );
    }
    throw error;
  }
  if (!isRecord(data) || typeof data.access_token !== 'string' || !data.access_token) {
    const code =
      isRecord(data) && typeof data.error === 'string' && /^[\w.-]{1,60}$/.test(data.error)
        ? ` (error: ${data.error})`
        : '';
    throw new UpstreamError('invalid', `${url}: no access_token in the answer${code}`);
  }
  const lifetime =
    typeof data.expires_in === 'number' && Number.isFinite(data.expires_in) && data.expires_in > 0
      ? data.expires_in * 1000
      : 600_000;
  // Renew a little before Reddit would refuse it.
  return { value: data.access_token, expiresAt: now + lifetime - Math.min(60_000, lifetime / 10) };
}

async function bearerToken(
  http: HttpClient,
  options: RedditOptions,
  clientId: string,
  clientSecret: string,
  now: number,
): Promise<Token> {
  const key = `${options.authBaseUrl}\u0000${clientId}`;
  const cached = tokens.get(key);
  if (cached && cached.expiresAt > now) return cached;
  // Two sources sharing an app and polled together ask for one token.
  let pending = pendingTokens.get(key);
  if (!pending) {
    pending = requestToken(http, options, clientId, clientSecret, now)
      .then((token) => {
        tokens.set(key, token);
        return token;
      })
      .finally(() => pendingTokens.delete(key));
    pendingTokens.set(key, pending);
  }
  return pending;
}

function dropToken(options: RedditOptions, clientId: string, token: Token): void {
  const key = `${options.authBaseUrl}\u0000${clientId}`;
  if (tokens.get(key) === token) tokens.delete(key);
}

function headerNumber(headers: Headers, name: string): number | null {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (match, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return ENTITIES[name.toLowerCase()] ?? match;
  });
}

/**
 * Plain text from Reddit markdown: markup dropped, link texts kept (not their targets, as for HTML),
 * code kept verbatim, entities (`&amp;`, `&#x200B;` from the rich-text editor) decoded.
 */
export function markdownToText(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let inFence = false;
  for (const raw of lines) {
    if (/^\s*(```|~~~)/.test(raw)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      out.push(raw);
      continue;
    }
    let line = raw;
    // Horizontal rules and table alignment rows carry no text.
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) continue;
    if (/^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/.test(line) && line.includes('|')) continue;
    // Escaped characters and code spans are set aside so that no rule below touches them.
    const kept: string[] = [];
    const keep = (text: string) => `\uE000${kept.push(text) - 1}\uE001`;
    line = line
      .replace(/\\([\\`*_{}[\]()#+\-.!>~^|])/g, (_m, c: string) => keep(c))
      .replace(/`([^`]+)`/g, (_m, code: string) => keep(code));
    line = line
      .replace(/^\s{0,3}(>(?!!)\s?)+/, '') // blockquotes, not spoilers
      .replace(/^\s{0,3}#{1,6}\s+/, '') // headings
      .replace(/\s+#+\s*$/, '')
      .replace(/^(\s*)[*+]\s+/, '$1- ') // bullets, so they are not read as emphasis
      .replace(/^\s*\|(.*)\|\s*$/, (_m, cells: string) => cells.trim()); // table rows: outer pipes
    line = line
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1') // images
      .replace(/\[((?:[^[\]]|\[[^\]]*\])+)\]\((?:[^()]|\([^)]*\))*\)/g, '$1') // links, [[tag] text](url) too
      .replace(/>!(.+?)!</g, '$1') // spoilers
      .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
      .replace(/(^|[^\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)/g, '$1$2')
      .replace(/(^|[^\w])_(?=\S)(.+?)(?<=\S)_(?!\w)/g, '$1$2')
      .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '$1')
      .replace(/\^\(([^)]*)\)/g, '$1') // superscript
      .replace(/\^(?=\S)/g, '')
      .replace(/\uE000(\d+)\uE001/g, (_m, index: string) => kept[Number(index)] ?? '');
    out.push(line);
  }
  return decodeEntities(out.join('\n'))
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** A t3 child: its time and fullname (for the cursor), and the item, null when there is nothing to read. */
function postFrom(child: unknown): { created: number; name: string; item: RawItem | null } | null {
  if (!isRecord(child) || child.kind !== 't3' || !isRecord(child.data)) return null;
  const d = child.data;
  const name = typeof d.name === 'string' && /^t3_[a-z0-9]+$/i.test(d.name) ? d.name : null;
  const created =
    typeof d.created_utc === 'number' && Number.isFinite(d.created_utc) && d.created_utc > 0
      ? d.created_utc
      : null;
  if (!name || created === null) return null;
  const author = typeof d.author === 'string' ? d.author.trim() : '';
  const selftext = typeof d.selftext === 'string' ? d.selftext : '';
  // Removed by moderators, Reddit or the author: nothing left to read.
  const removed =
    (typeof d.removed_by_category === 'string' && d.removed_by_category !== '') ||
    (author === '[deleted]' && (selftext === '[removed]' || selftext === '[deleted]'));
  if (removed) return { created, name, item: null };
  const permalink = typeof d.permalink === 'string' && d.permalink.startsWith('/') ? d.permalink : null;
  const title = typeof d.title === 'string' ? d.title.trim() || null : null;
  const link =
    d.is_self !== true && typeof d.url === 'string' && /^https?:\/\//i.test(d.url) ? d.url.trim() : null;
  const content = [markdownToText(selftext), link].filter((part) => part).join('\n\n');
  if (!content && !title) return { created, name, item: null };
  const language =
    typeof d.lang === 'string' && /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(d.lang) ? d.lang.toLowerCase() : null;
  const engagement: NonNullable<RawItem['engagement']> = {};
  if (typeof d.score === 'number' && Number.isFinite(d.score)) engagement.score = d.score;
  if (typeof d.num_comments === 'number' && Number.isFinite(d.num_comments) && d.num_comments >= 0)
    engagement.replies = d.num_comments;
  return {
    created,
    name,
    item: {
      externalId: name,
      // The permalink without its `?ref=search_posts` tail.
      url: permalink ? `https://www.reddit.com${permalink.split(/[?#]/)[0]}` : null,
      author: author && author !== '[deleted]' ? `u/${author}` : null,
      title,
      content,
      contentType: 'text',
      publishedAt: new Date(created * 1000),
      rating: null,
      language,
      engagement: Object.keys(engagement).length > 0 ? engagement : null,
    },
  };
}

type Listing = { children: unknown[]; after: string | null };

function readListing(data: unknown, url: string): Listing {
  if (
    !isRecord(data) ||
    data.kind !== 'Listing' ||
    !isRecord(data.data) ||
    !Array.isArray(data.data.children)
  ) {
    throw new UpstreamError('invalid', `${url}: expected a Listing with data.children`);
  }
  const after = typeof data.data.after === 'string' && data.data.after ? data.data.after : null;
  return { children: data.data.children, after };
}

export const redditSource: SourceConnector<RedditOptions> = {
  kind: 'reddit',
  optionsSchema: RedditOptions,
  async fetchNew({ options, cursor, http, now, secret }): Promise<FetchResult> {
    const parsedCursor = RedditCursor.safeParse(cursor);
    const previous: RedditCursor | null = parsedCursor.success ? parsedCursor.data : null;
    const clientId = secret(options.clientId);
    const clientSecret = secret(options.clientSecret);
    const nowMs = now.getTime();
    const windowKey = `${options.baseUrl}\u0000${clientId}`;

    const window = rateWindows.get(windowKey);
    if (window && window.remaining < 1 && window.resetAt > nowMs) {
      const retryAfterMs = window.resetAt - nowMs;
      throw new UpstreamError(
        'http',
        `${options.baseUrl}: Reddit rate limit used up; resets in ${Math.ceil(retryAfterMs / 1000)} s`,
        429,
        retryAfterMs,
      );
    }

    const path = options.subreddit ? `r/${options.subreddit}/search` : 'search';
    const maxPages = previous ? REDDIT_MAX_PAGES : 1;
    const items: RawItem[] = [];
    const seenNames = new Set<string>();
    let newest: { since: number; ids: Set<string> } | null = null;
    let after: string | null = null;

    for (let page = 0; page < maxPages; page++) {
      const url = joinUrl(options.baseUrl, path, {
        q: options.query,
        sort: 'new',
        t: 'all',
        type: 'link',
        limit: REDDIT_PAGE_SIZE,
        raw_json: 1,
        restrict_sr: options.subreddit ? 1 : undefined,
        after: after ?? undefined,
      });
      let token = await bearerToken(http, options, clientId, clientSecret, nowMs);
      const get = (bearer: Token) =>
        fetchJson(http, {
          url,
          headers: { authorization: `bearer ${bearer.value}`, ...userAgentHeader(options) },
        });
      let response: Awaited<ReturnType<typeof get>>;
      try {
        response = await get(token);
      } catch (error) {
        if (!(error instanceof UpstreamError && error.status === 401)) throw error;
        // Revoked or expired early: one new token, one more try.
        dropToken(options, clientId, token);
        token = await bearerToken(http, options, clientId, clientSecret, nowMs);
        response = await get(token);
      }

      const listing = readListing(response.data, url);
      let reachedCursor = false;
      for (const child of listing.children) {
        const post = postFrom(child);
        if (!post || seenNames.has(post.name)) continue;
        seenNames.add(post.name);
        if (!newest || post.created > newest.since)
          newest = { since: post.created, ids: new Set([post.name]) };
        else if (post.created === newest.since) newest.ids.add(post.name);
        if (previous) {
          if (post.created < previous.since) {
            reachedCursor = true;
            break;
          }
          if (post.created === previous.since && previous.ids.includes(post.name)) continue;
        }
        if (post.item) items.push(post.item);
      }

      const remaining = headerNumber(response.headers, 'x-ratelimit-remaining');
      const reset = headerNumber(response.headers, 'x-ratelimit-reset');
      if (remaining !== null) {
        rateWindows.set(windowKey, { remaining, resetAt: nowMs + Math.max(0, reset ?? 60) * 1000 });
      }
      if (reachedCursor || !listing.after || (remaining !== null && remaining < 1)) break;
      after = listing.after;
    }

    let nextCursor: RedditCursor | null = previous;
    if (newest && (!previous || newest.since > previous.since)) {
      nextCursor = { since: newest.since, ids: [...newest.ids] };
    } else if (newest && previous && newest.since === previous.since) {
      nextCursor = { since: previous.since, ids: [...new Set([...previous.ids, ...newest.ids])] };
    }
    return { items, cursor: nextCursor, notModified: false };
  },
};
