/**
 * Bluesky post search (`app.bsky.feed.searchPosts`) through the account's PDS (default
 * https://bsky.social, which proxies to the AppView). Search without a session has been refused
 * upstream since January 2025, so a source needs a handle (or email) and an app password.
 *
 * Session: `com.atproto.server.createSession` once, then the access token is reused across polls
 * from a module-level cache keyed by base URL + identifier (never in the cursor, items or messages).
 * An access token close to its expiry (JWT `exp`) is refreshed first with
 * `com.atproto.server.refreshSession`; a search answered 401, or 400 (how the PDS reports
 * `ExpiredToken` — the shared HTTP client does not expose the error body, so any 400 is treated as a
 * possibly expired token) refreshes the session (or logs in again when the refresh fails) and retries
 * once. Session creation has tight upstream limits (tens per 5 minutes per account), hence the cache.
 *
 * Incremental: `sort=latest&since=<newest sortAt seen − 60 s>` where sortAt is the earlier of
 * `record.createdAt` and `indexedAt` (what the AppView compares `since` with; it is inclusive), and
 * the URIs already seen inside that overlap are dropped. Pages with the response `cursor` within one
 * poll, at most 5 pages of 100 per poll; the first poll reads one page. Search pages newest-first, so
 * a poll cut short (page cap or rate limit) keeps the unread older part as a `gap` in the cursor, and
 * the next polls read it with `since`/`until` once the new posts are in: a burst is delayed, not lost.
 *
 * Limits: `RateLimit-Remaining`/`RateLimit-Reset` (observed `RateLimit-Policy: 3000;w=300`); at 0
 * paging stops, and the reset time is kept in the cursor so the next poll before it fails with a
 * 429 carrying the wait. Cannot: see posts the search index drops or never indexed (search is
 * best-effort; the firehose is the complete alternative), follower counts (need getProfiles).
 */
import { z } from 'zod';
import type { Json } from '../src/types.ts';
import { parseFeedDate } from './dates.ts';
import { count, isRecord, text as nonBlank } from './guards.ts';
import { type HttpClient, UpstreamError } from './http.ts';
import { fetchJson, joinUrl } from './json.ts';
import {
  BaseUrl,
  type Engagement,
  type FetchResult,
  type RawItem,
  SecretRef,
  type SourceConnector,
} from './types.ts';

const PAGE_LIMIT = 100;
const MAX_PAGES = 5;
const OVERLAP_MS = 60_000;
const MAX_SEEN = 500;
/** Refresh an access token this long before its `exp`. */
const EXPIRY_MARGIN_MS = 60_000;
const DEFAULT_WINDOW_MS = 5 * 60 * 1000;
/** A "now" for parsing stored cursor dates (they were validated when written). */
const FAR_FUTURE = new Date(8.64e15 - 86_400_000);

export const BlueskyOptions = z.strictObject({
  baseUrl: BaseUrl.default('https://bsky.social'),
  /** The upstream search query (Lucene-like syntax; earshot re-checks brand terms locally). */
  query: z.string().trim().min(1).max(500),
  /** Handle (e.g. "earshot.bsky.social"), DID or account email. */
  identifier: z.string().trim().min(1).max(256),
  /** An app password (Settings → App passwords), never the account password. */
  appPassword: SecretRef,
});
export type BlueskyOptions = z.infer<typeof BlueskyOptions>;

const BlueskyCursor = z.object({
  /** Newest sortAt seen (ISO). */
  since: z.string().nullable().catch(null),
  /** URIs seen with a sortAt inside the overlap window before `since`. */
  seen: z.array(z.string()).catch([]),
  /** The search rate limit ran out until then (ISO). */
  limitedUntil: z.string().nullable().optional().catch(null),
  /** An older window a cut-short poll could not finish (ISO bounds; `until` exclusive). */
  gap: z.object({ since: z.string(), until: z.string() }).nullable().optional().catch(null),
});

type Pass = { complete: boolean; oldest: Date | null };

type Session = { accessJwt: string; refreshJwt: string; did: string; handle: string };

type Credentials = { baseUrl: string; identifier: string; password: string };

const sessions = new Map<string, Session>();
const pending = new Map<string, Promise<Session>>();

function sessionKey(baseUrl: string, identifier: string): string {
  return `${baseUrl}\n${identifier.toLowerCase()}`;
}

/** The `exp` of a JWT in ms, or null when the token is not a readable JWT. */
function jwtExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return isRecord(claims) && typeof claims.exp === 'number' ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

function expiresSoon(token: string, now: Date): boolean {
  const exp = jwtExpiry(token);
  return exp !== null && exp - EXPIRY_MARGIN_MS <= now.getTime();
}

function sessionFrom(data: unknown, url: string): Session {
  if (!isRecord(data)) throw new UpstreamError('invalid', `${url}: expected a session object`);
  const accessJwt = nonBlank(data.accessJwt);
  const refreshJwt = nonBlank(data.refreshJwt);
  if (!accessJwt || !refreshJwt)
    throw new UpstreamError('invalid', `${url}: the session has no accessJwt/refreshJwt`);
  return { accessJwt, refreshJwt, did: nonBlank(data.did) ?? '', handle: nonBlank(data.handle) ?? '' };
}

async function createSession(http: HttpClient, credentials: Credentials): Promise<Session> {
  const url = joinUrl(credentials.baseUrl, '/xrpc/com.atproto.server.createSession');
  try {
    const response = await fetchJson(http, {
      url,
      method: 'POST',
      body: { identifier: credentials.identifier, password: credentials.password },
    });
    return sessionFrom(response.data, url);
  } catch (error) {
    if (error instanceof UpstreamError && (error.status === 401 || error.status === 400)) {
      throw new UpstreamError(
        'http',
        `${url}: login as "${credentials.identifier}" refused (HTTP ${error.status}); check the identifier and the app password`,
        error.status,
      );
    }
    throw error;
  }
}

async function refreshSession(http: HttpClient, baseUrl: string, session: Session): Promise<Session> {
  const url = joinUrl(baseUrl, '/xrpc/com.atproto.server.refreshSession');
  const response = await fetchJson(http, {
    url,
    method: 'POST',
    headers: { authorization: `Bearer ${session.refreshJwt}` },
  });
  return sessionFrom(response.data, url);
}

/** One session operation per account at a time (two sources of one account share the session). */
function single(key: string, run: () => Promise<Session>): Promise<Session> {
  const running = pending.get(key);
  if (running) return running;
  const promise = run()
    .then((session) => {
      sessions.set(key, session);
      return session;
    })
    .finally(() => pending.delete(key));
  pending.set(key, promise);
  return promise;
}

/** A usable session: the cached one, refreshed when expired (or when `stale` says so), else a new login. */
function getSession(
  http: HttpClient,
  credentials: Credentials,
  now: Date,
  stale?: Session,
): Promise<Session> {
  const key = sessionKey(credentials.baseUrl, credentials.identifier);
  const cached = sessions.get(key);
  if (cached && cached !== stale && !expiresSoon(cached.accessJwt, now)) return Promise.resolve(cached);
  return single(key, async () => {
    if (cached && !expiresSoon(cached.refreshJwt, now)) {
      try {
        return await refreshSession(http, credentials.baseUrl, cached);
      } catch {
        // A refresh token that was revoked, rotated away or expired: log in again.
      }
    }
    sessions.delete(key);
    return createSession(http, credentials);
  });
}

/** The AppView's sortAt: the earlier of createdAt and indexedAt (a future createdAt is clock skew). */
function sortAt(post: Record<string, unknown>, record: Record<string, unknown>, now: Date): Date | null {
  const created = parseFeedDate(nonBlank(record.createdAt), now);
  const indexed = parseFeedDate(nonBlank(post.indexedAt), now);
  if (created && indexed) return created < indexed ? created : indexed;
  return indexed ?? created;
}

/** A PostView as a RawItem, or null when it is unusable. */
export function postToItem(post: Record<string, unknown>, now: Date): RawItem | null {
  const uri = nonBlank(post.uri);
  if (!uri?.startsWith('at://')) return null;
  const record = isRecord(post.record) ? post.record : null;
  const text = record && typeof record.text === 'string' ? record.text : '';
  if (!record || !text.trim()) return null;
  const author = isRecord(post.author) ? post.author : {};
  const handle = nonBlank(author.handle);
  const usableHandle = handle && handle !== 'handle.invalid' ? handle : null;
  const profile = usableHandle ?? nonBlank(author.did);
  const rkey = uri.split('/').filter(Boolean).pop() ?? '';
  const langs = Array.isArray(record.langs) ? record.langs : [];
  const lang = nonBlank(langs[0]);
  const engagement: Engagement = {};
  const likes = count(post.likeCount);
  const reposts = count(post.repostCount);
  const quotes = count(post.quoteCount);
  const replies = count(post.replyCount);
  if (likes !== undefined) engagement.likes = likes;
  if (reposts !== undefined || quotes !== undefined) engagement.reposts = (reposts ?? 0) + (quotes ?? 0);
  if (replies !== undefined) engagement.replies = replies;
  return {
    externalId: uri,
    url: profile && rkey ? `https://bsky.app/profile/${profile}/post/${encodeURIComponent(rkey)}` : null,
    author: usableHandle ?? nonBlank(author.did),
    title: null,
    content: text.replace(/\r\n?/g, '\n'),
    contentType: 'text',
    publishedAt:
      parseFeedDate(nonBlank(record.createdAt), now) ?? parseFeedDate(nonBlank(post.indexedAt), now),
    rating: null,
    language: lang && /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(lang) ? lang.toLowerCase() : null,
    engagement: Object.keys(engagement).length > 0 ? engagement : null,
  };
}

function resetAt(value: string | null, now: Date): Date {
  if (value && /^\d+$/.test(value.trim())) {
    const at = Number(value.trim()) * 1000;
    if (at > now.getTime()) return new Date(Math.min(at, now.getTime() + 3_600_000));
  }
  return new Date(now.getTime() + DEFAULT_WINDOW_MS);
}

function retriable(error: unknown): boolean {
  return error instanceof UpstreamError && (error.status === 401 || error.status === 400);
}

export const blueskySource: SourceConnector<BlueskyOptions> = {
  kind: 'bluesky',
  optionsSchema: BlueskyOptions,
  async fetchNew(ctx): Promise<FetchResult> {
    const { options, http, now } = ctx;
    const parsed = BlueskyCursor.safeParse(ctx.cursor ?? {});
    const previous = parsed.success ? parsed.data : { since: null, seen: [], limitedUntil: null, gap: null };

    const limited = Date.parse(previous.limitedUntil ?? '');
    if (Number.isFinite(limited) && limited > now.getTime()) {
      throw new UpstreamError(
        'http',
        `${options.baseUrl}: search rate limit exhausted until ${new Date(limited).toISOString()}`,
        429,
        limited - now.getTime(),
      );
    }

    const credentials: Credentials = {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      identifier: options.identifier,
      password: ctx.secret(options.appPassword),
    };
    const previousSince = parseFeedDate(previous.since, FAR_FUTURE);
    const since = previousSince ? new Date(previousSince.getTime() - OVERLAP_MS) : null;
    const seen = new Set(previous.seen);

    let session = await getSession(http, credentials, now);
    const search = async (url: string) => {
      try {
        return await fetchJson(http, { url, headers: { authorization: `Bearer ${session.accessJwt}` } });
      } catch (error) {
        if (!retriable(error)) throw error;
        session = await getSession(http, credentials, now, session);
        return fetchJson(http, { url, headers: { authorization: `Bearer ${session.accessJwt}` } });
      }
    };

    const items: RawItem[] = [];
    const times = new Map<string, number>();
    let newest = previousSince;
    const limit: { until: Date | null } = { until: null };
    let pagesLeft = since === null ? 1 : MAX_PAGES;

    /**
     * Pages through one window (newest first); `complete` when the upstream had nothing more, or when
     * a page reaches below `known` (the previous newest) with nothing unseen there: the overlap is
     * only re-read as far as it brings something new.
     */
    const pass = async (from: Date | null, until: Date | null, known: Date | null): Promise<Pass> => {
      let oldest: Date | null = null;
      let pageCursor: string | null = null;
      while (pagesLeft > 0 && !limit.until) {
        pagesLeft--;
        const url = joinUrl(credentials.baseUrl, '/xrpc/app.bsky.feed.searchPosts', {
          q: options.query,
          sort: 'latest',
          since: from?.toISOString(),
          until: until?.toISOString(),
          limit: PAGE_LIMIT,
          cursor: pageCursor ?? undefined,
        });
        const response = await search(url);
        const data = response.data;
        if (!isRecord(data) || !Array.isArray(data.posts))
          throw new UpstreamError('invalid', `${url}: expected a search result with a "posts" array`);

        let reachedKnown = false;
        let unseenBelowKnown = false;
        for (const post of data.posts) {
          if (!isRecord(post)) continue;
          const record = isRecord(post.record) ? post.record : {};
          const uri = nonBlank(post.uri);
          const at = sortAt(post, record, now);
          const belowKnown = known !== null && at !== null && at < known;
          if (belowKnown) reachedKnown = true;
          if (uri && at) {
            times.set(uri, at.getTime());
            if (!newest || at > newest) newest = at;
            if (!oldest || at < oldest) oldest = at;
          }
          if (uri && seen.has(uri)) continue;
          if (belowKnown) unseenBelowKnown = true;
          const item = postToItem(post, now);
          if (item) {
            items.push(item);
            if (uri) seen.add(uri);
          }
        }

        const remaining = Number(response.headers.get('ratelimit-remaining') ?? Number.NaN);
        if (Number.isFinite(remaining) && remaining <= 0)
          limit.until = resetAt(response.headers.get('ratelimit-reset'), now);
        pageCursor = nonBlank(data.cursor);
        if (!pageCursor || data.posts.length === 0 || (reachedKnown && !unseenBelowKnown))
          return { complete: true, oldest };
      }
      return { complete: false, oldest };
    };

    const fresh = await pass(since, null, previousSince);
    // A window cut short (page cap or rate limit) leaves its older part as a gap, read with `until`
    // by the next polls, so a burst is delayed rather than lost. The first poll does not backfill.
    let gap = previous.gap ?? null;
    const gapSince = parseFeedDate(gap?.since ?? null, FAR_FUTURE);
    const gapUntil = parseFeedDate(gap?.until ?? null, FAR_FUTURE);
    if (since !== null && !fresh.complete && fresh.oldest) {
      const from = gapSince && gapSince < since ? gapSince : since;
      gap = { since: from.toISOString(), until: new Date(fresh.oldest.getTime() + 1).toISOString() };
    } else if (gap && gapSince && gapUntil && pagesLeft > 0 && !limit.until) {
      const filled = await pass(gapSince, gapUntil, null);
      if (filled.complete) gap = null;
      else if (filled.oldest)
        gap = { since: gap.since, until: new Date(filled.oldest.getTime() + 1).toISOString() };
    }

    const windowStart = newest ? newest.getTime() - OVERLAP_MS : Number.POSITIVE_INFINITY;
    const recent = [...times.entries()]
      .filter(([, at]) => at >= windowStart)
      .sort((a, b) => b[1] - a[1])
      .map(([uri]) => uri);
    // While `since` stands still the window does too: URIs seen before stay in it even when this
    // poll did not see them again.
    const stayed = newest?.getTime() === previousSince?.getTime() ? previous.seen : [];
    const keep = [...new Set([...recent, ...stayed])].slice(0, MAX_SEEN);
    const cursor: Record<string, Json> = {
      since: newest ? newest.toISOString() : null,
      seen: keep,
    };
    if (gap) cursor.gap = gap;
    if (limit.until) cursor.limitedUntil = limit.until.toISOString();
    return { items, cursor, notModified: false };
  },
};
