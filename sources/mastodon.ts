/**
 * Mastodon (and Mastodon-API servers): hashtag timelines and, optionally, status search, on a chosen
 * list of instances. There is no global Mastodon search; each instance only knows the posts that
 * federated to it, so polling several big instances and de-duplicating on the status `uri` (the
 * ActivityPub id, the same on every server) gives the widest coverage.
 *
 * - Hashtag timeline `GET {instance}/api/v1/timelines/tag/{tag}?limit=40&min_id=…`: public, no token
 *   (unless an admin restricted hashtag feeds, Mastodon 4.5+: then 401 or an empty list).
 * - Status search `GET {instance}/api/v2/search?q=…&type=statuses&resolve=false&limit=40&min_id=…`:
 *   most instances refuse it (401) or answer `statuses: []` without a user token, and even with one it
 *   finds only posts of accounts that opted into search. The token (`accessToken`) belongs to ONE
 *   instance (`accessTokenInstance`, default: the first) and is sent to that instance only.
 *
 * Incremental: status ids are per instance, so the cursor keeps the newest id per instance and stream
 * (tag or search) and pages forward with `min_id` (oldest-first pages, newest-first inside a page),
 * at most 5 pages per stream and 25 requests per instance per poll; the first poll of a stream reads
 * one page. Limits: 300 requests / 5 min per IP by default; `X-RateLimit-Remaining` 0 stops that
 * instance for the poll, and its `X-RateLimit-Reset` is kept in the cursor so the next poll skips the
 * instance until then. A failing instance (or stream) keeps its cursor and does not lose the others'
 * items; its error is kept in the cursor's `warnings`; only when every stream fails does the poll
 * fail (with the first error).
 *
 * Cannot: see posts that never federated to a polled instance, report accurate counts for remote posts
 * (an instance only counts what it saw), notice deletions, or search without an opted-in token.
 */
import { z } from 'zod';
import type { Json } from '../src/types.ts';
import { parseFeedDate } from './dates.ts';
import { count, isRecord, text as nonBlank } from './guards.ts';
import { UpstreamError } from './http.ts';
import { fetchJson, joinUrl } from './json.ts';
import {
  BaseUrl,
  type Engagement,
  type FetchContext,
  type FetchResult,
  type RawItem,
  SecretRef,
  type SourceConnector,
} from './types.ts';

const PAGE_LIMIT = 40;
const MAX_PAGES_PER_STREAM = 5;
/** Bounds the items too: at most 25 × 40 = 1000 statuses per instance per poll. */
const MAX_REQUESTS_PER_INSTANCE = 25;
const MAX_WARNINGS = 20;
/** Mastodon's default rate-limit window, used when a Reset header is missing or unreadable. */
const DEFAULT_WINDOW_MS = 5 * 60 * 1000;

const Hashtag = z
  .string()
  .trim()
  .transform((tag) => tag.replace(/^#/, ''))
  .pipe(
    z
      .string()
      .min(1, 'a hashtag needs at least one character')
      .max(100)
      .regex(/^[\p{L}\p{M}\p{N}_·]+$/u, 'a hashtag is letters, digits and underscores only (no "#")'),
  );

export const MastodonOptions = z
  .strictObject({
    /** Instance base URLs, e.g. "https://mastodon.social". */
    instances: z.array(BaseUrl).min(1).max(10),
    /** Hashtags to follow, without "#". */
    hashtags: z.array(Hashtag).max(10).optional(),
    /** Plain status search (`/api/v2/search`); most instances need `accessToken` for it. */
    query: z.string().trim().min(1).max(500).optional(),
    /** A user token of ONE instance (scope `read:search` or `read`); sent to that instance only. */
    accessToken: SecretRef.optional(),
    /** The instance `accessToken` belongs to; default: the first of `instances`. */
    accessTokenInstance: BaseUrl.optional(),
  })
  .superRefine((options, ctx) => {
    if ((options.hashtags?.length ?? 0) === 0 && !options.query) {
      ctx.addIssue({
        code: 'custom',
        message: 'a mastodon source needs at least one of "hashtags" or "query"',
        path: ['hashtags'],
      });
    }
    const instances = options.instances.map(normaliseBase);
    if (
      options.accessTokenInstance !== undefined &&
      !instances.includes(normaliseBase(options.accessTokenInstance))
    ) {
      ctx.addIssue({
        code: 'custom',
        message: '"accessTokenInstance" must be one of "instances"',
        path: ['accessTokenInstance'],
      });
    }
    if (options.accessTokenInstance !== undefined && options.accessToken === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: '"accessTokenInstance" without "accessToken"',
        path: ['accessTokenInstance'],
      });
    }
  });
export type MastodonOptions = z.infer<typeof MastodonOptions>;

const MastodonCursor = z.object({
  /** Newest status id seen per stream ("<instance> tag:<tag>" / "<instance> search:<query>"). */
  streams: z.record(z.string(), z.string()).catch({}),
  /** Instances whose rate limit ran out, and until when (ISO). */
  limitedUntil: z.record(z.string(), z.string()).catch({}),
});

type Stream = { key: string; label: string; kind: 'tag' | 'search'; tag?: string };

type InstanceOutcome = {
  instance: string;
  /** Statuses (as items) read from this instance, with the stream they came from. */
  items: RawItem[];
  /** New cursor per stream that succeeded. */
  advanced: Record<string, string>;
  /** Streams that succeeded (at least their first page). */
  succeeded: number;
  errors: UpstreamError[];
  warnings: string[];
  limitedUntil: Date | null;
};

type Status = Record<string, unknown>;

function normaliseBase(url: string): string {
  return url.replace(/\/+$/, '');
}

function webUrl(value: unknown): string | null {
  const text = nonBlank(value);
  if (!text) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function language(value: unknown): string | null {
  const text = nonBlank(value);
  return text && /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(text) ? text.toLowerCase() : null;
}

/**
 * Orders status ids. Mastodon ids are decimal snowflakes (compare by length, then digits); other
 * servers use opaque strings, which are not compared (returns null).
 */
export function compareStatusIds(a: string, b: string): number | null {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return null;
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The newer of two ids; for ids that cannot be compared, the one the server listed first. */
function newer(current: string | null, candidate: string): string {
  if (current === null) return candidate;
  const order = compareStatusIds(candidate, current);
  return order !== null && order > 0 ? candidate : current;
}

/** A status as a RawItem (the reblogged original for a reblog), or null when it is unusable. */
export function statusToItem(status: Status, instanceHost: string, now: Date): RawItem | null {
  const post = isRecord(status.reblog) ? status.reblog : status;
  const uri = nonBlank(post.uri);
  if (!uri) return null;
  const body = typeof post.content === 'string' ? post.content : '';
  const warning = nonBlank(post.spoiler_text);
  const content = warning ? `<p>${escapeHtml(warning.trim())}</p>${body}` : body;
  if (!content.trim()) return null;
  const account = isRecord(post.account) ? post.account : {};
  const acct = nonBlank(account.acct)?.trim().replace(/^@/, '') ?? null;
  const author = acct ? (acct.includes('@') ? acct : `${acct}@${instanceHost}`) : null;
  const engagement: Engagement = {};
  const likes = count(post.favourites_count);
  const reposts = count(post.reblogs_count);
  const replies = count(post.replies_count);
  const followers = count(account.followers_count);
  if (likes !== undefined) engagement.likes = likes;
  if (reposts !== undefined) engagement.reposts = reposts;
  if (replies !== undefined) engagement.replies = replies;
  if (followers !== undefined) engagement.authorFollowers = followers;
  return {
    externalId: uri,
    url: webUrl(post.url) ?? webUrl(uri),
    author,
    title: null,
    content,
    contentType: 'html',
    publishedAt: parseFeedDate(nonBlank(post.created_at), now),
    rating: null,
    language: language(post.language),
    engagement: Object.keys(engagement).length > 0 ? engagement : null,
  };
}

/** Keeps the first copy of a post and the highest count of each kind seen on any instance. */
function mergeInto(byUri: Map<string, RawItem>, item: RawItem): void {
  const existing = byUri.get(item.externalId);
  if (!existing) {
    byUri.set(item.externalId, item);
    return;
  }
  if (!item.engagement) return;
  const merged: Engagement = { ...existing.engagement };
  for (const [key, value] of Object.entries(item.engagement) as Array<[keyof Engagement, number]>) {
    merged[key] = Math.max(merged[key] ?? 0, value);
  }
  existing.engagement = merged;
}

function withMessage(error: UpstreamError, message: string): UpstreamError {
  return new UpstreamError(error.kind, message, error.status, error.retryAfterMs);
}

function asUpstreamError(error: unknown, instance: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  return new UpstreamError('network', `${instance}: ${(error as Error)?.message ?? String(error)}`);
}

/** Errors that say the instance itself is unwell: its remaining streams are not tried this poll. */
function instanceIsDown(error: UpstreamError): boolean {
  if (error.kind === 'network' || error.kind === 'timeout') return true;
  return error.kind === 'http' && error.status !== undefined && (error.status === 429 || error.status >= 500);
}

function parseReset(value: string | null, now: Date): Date {
  if (value) {
    const trimmed = value.trim();
    // Mastodon sends an ISO timestamp; accept epoch seconds too.
    const at = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed);
    if (Number.isFinite(at) && at > now.getTime()) return new Date(Math.min(at, now.getTime() + 3_600_000));
  }
  return new Date(now.getTime() + DEFAULT_WINDOW_MS);
}

async function pollInstance(
  ctx: FetchContext<MastodonOptions>,
  instance: string,
  streams: Stream[],
  cursorStreams: Record<string, string>,
  token: string | null,
): Promise<InstanceOutcome> {
  const { http, now, options } = ctx;
  const outcome: InstanceOutcome = {
    instance,
    items: [],
    advanced: {},
    succeeded: 0,
    errors: [],
    warnings: [],
    limitedUntil: null,
  };
  const host = new URL(instance).hostname;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let requests = 0;

  for (const stream of streams) {
    if (outcome.limitedUntil || requests >= MAX_REQUESTS_PER_INSTANCE) break;
    const previous = cursorStreams[stream.key] ?? null;
    let minId = previous;
    let newest: string | null = previous;
    let pages = 0;
    let firstError: UpstreamError | null = null;

    for (;;) {
      const query: Record<string, string | number | undefined> = {
        limit: PAGE_LIMIT,
        min_id: minId ?? undefined,
      };
      const url =
        stream.kind === 'tag'
          ? joinUrl(instance, `/api/v1/timelines/tag/${encodeURIComponent(stream.tag ?? '')}`, query)
          : joinUrl(instance, '/api/v2/search', {
              q: options.query,
              type: 'statuses',
              resolve: 'false',
              ...query,
            });
      let statuses: unknown[];
      let responseHeaders: Headers;
      requests++;
      try {
        const response = await fetchJson<unknown>(http, { url, headers });
        responseHeaders = response.headers;
        const data = response.data;
        if (stream.kind === 'tag') {
          if (!Array.isArray(data))
            throw new UpstreamError('invalid', `${url}: expected an array of statuses, got ${typeof data}`);
          statuses = data;
        } else {
          if (!isRecord(data) || !Array.isArray(data.statuses))
            throw new UpstreamError('invalid', `${url}: expected a search result with a "statuses" array`);
          statuses = data.statuses;
        }
      } catch (error) {
        firstError = asUpstreamError(error, instance);
        break;
      }
      pages++;

      const remaining = Number(responseHeaders.get('x-ratelimit-remaining') ?? Number.NaN);
      if (Number.isFinite(remaining) && remaining <= 0) {
        outcome.limitedUntil = parseReset(responseHeaders.get('x-ratelimit-reset'), now);
      }

      let pageNewest: string | null = null;
      for (const status of statuses) {
        if (!isRecord(status)) continue;
        const id = nonBlank(status.id);
        // Without min_id support a server would answer old statuses again: drop what the cursor covers.
        if (id && minId !== null && (compareStatusIds(id, minId) ?? 1) <= 0) continue;
        if (id) pageNewest = newer(pageNewest, id);
        const item = statusToItem(status, host, now);
        if (item) outcome.items.push(item);
      }
      if (pageNewest !== null) newest = newer(newest, pageNewest);

      if (stream.kind === 'search' && statuses.length === 0 && previous === null && !token) {
        outcome.warnings.push(
          `${instance}: status search for "${options.query}" found nothing without an accessToken ` +
            '(most instances search statuses only for signed-in users, and only posts that opted in)',
        );
      }

      const more =
        previous !== null && // the first poll of a stream reads one page
        statuses.length >= PAGE_LIMIT &&
        pageNewest !== null &&
        pageNewest !== minId &&
        pages < MAX_PAGES_PER_STREAM &&
        requests < MAX_REQUESTS_PER_INSTANCE &&
        !outcome.limitedUntil;
      if (!more) break;
      minId = pageNewest;
    }

    if (pages === 0 && firstError) {
      let error = firstError;
      if (stream.kind === 'search' && !token && (error.status === 401 || error.status === 403)) {
        error = withMessage(
          error,
          `${error.message}: status search on ${instance} needs an accessToken of that instance`,
        );
      } else if (stream.kind === 'tag' && (error.status === 401 || error.status === 403)) {
        error = withMessage(
          error,
          `${error.message}: ${instance} does not serve the #${stream.tag} timeline to anonymous clients`,
        );
      }
      outcome.errors.push(error);
      if (instanceIsDown(error)) break;
      continue;
    }
    if (firstError) {
      // Later pages failed: keep what the first pages brought (they follow the cursor without gaps).
      outcome.warnings.push(`${stream.label}: stopped paging: ${firstError.message}`);
    }
    outcome.succeeded++;
    if (newest !== null && newest !== previous) outcome.advanced[stream.key] = newest;
  }
  if (outcome.limitedUntil) {
    outcome.warnings.push(
      `${instance}: rate limit exhausted (X-RateLimit-Remaining 0) until ${outcome.limitedUntil.toISOString()}`,
    );
  }
  return outcome;
}

export const mastodonSource: SourceConnector<MastodonOptions> = {
  kind: 'mastodon',
  optionsSchema: MastodonOptions,
  async fetchNew(ctx): Promise<FetchResult> {
    const { options, now } = ctx;
    const parsed = MastodonCursor.safeParse(ctx.cursor ?? {});
    const cursor = parsed.success ? parsed.data : { streams: {}, limitedUntil: {} };

    const instances = [...new Set(options.instances.map(normaliseBase))];
    const tokenInstance =
      options.accessToken !== undefined
        ? normaliseBase(options.accessTokenInstance ?? options.instances[0] ?? '')
        : null;
    const token = options.accessToken !== undefined ? ctx.secret(options.accessToken) : null;

    const tags = [...new Map((options.hashtags ?? []).map((tag) => [tag.toLowerCase(), tag])).values()];
    const streamsOf = (instance: string): Stream[] => [
      ...tags.map((tag) => ({
        key: `${instance} tag:${tag.toLowerCase()}`,
        label: `${instance} #${tag}`,
        kind: 'tag' as const,
        tag,
      })),
      ...(options.query
        ? [
            {
              key: `${instance} search:${options.query}`,
              label: `${instance} search "${options.query}"`,
              kind: 'search' as const,
            },
          ]
        : []),
    ];

    const outcomes = await Promise.all(
      instances.map(async (instance): Promise<InstanceOutcome> => {
        const until = Date.parse(cursor.limitedUntil[instance] ?? '');
        if (Number.isFinite(until) && until > now.getTime()) {
          const waitMs = until - now.getTime();
          return {
            instance,
            items: [],
            advanced: {},
            succeeded: 0,
            errors: [
              new UpstreamError(
                'http',
                `${instance}: rate limit exhausted until ${new Date(until).toISOString()}; skipped this poll`,
                429,
                waitMs,
              ),
            ],
            warnings: [],
            limitedUntil: new Date(until),
          };
        }
        try {
          return await pollInstance(
            ctx,
            instance,
            streamsOf(instance),
            cursor.streams,
            instance === tokenInstance ? token : null,
          );
        } catch (error) {
          return {
            instance,
            items: [],
            advanced: {},
            succeeded: 0,
            errors: [asUpstreamError(error, instance)],
            warnings: [],
            limitedUntil: null,
          };
        }
      }),
    );

    if (outcomes.every((outcome) => outcome.succeeded === 0)) {
      const first = outcomes.flatMap((outcome) => outcome.errors)[0];
      if (first) throw first;
    }

    const byUri = new Map<string, RawItem>();
    for (const outcome of outcomes) for (const item of outcome.items) mergeInto(byUri, item);

    // Streams of the current options only: a removed tag or changed query drops its entry.
    const liveKeys = new Set(instances.flatMap((instance) => streamsOf(instance).map((s) => s.key)));
    const streams: Record<string, Json> = {};
    for (const [key, id] of Object.entries(cursor.streams)) if (liveKeys.has(key)) streams[key] = id;
    for (const outcome of outcomes) Object.assign(streams, outcome.advanced);

    const limitedUntil: Record<string, Json> = {};
    for (const outcome of outcomes) {
      if (outcome.limitedUntil && outcome.limitedUntil.getTime() > now.getTime())
        limitedUntil[outcome.instance] = outcome.limitedUntil.toISOString();
    }
    const warnings = outcomes
      .flatMap((outcome) => [...outcome.errors.map((error) => error.message), ...outcome.warnings])
      .slice(0, MAX_WARNINGS)
      .map((warning) => warning.slice(0, 500));

    return {
      items: [...byUri.values()],
      cursor: { streams, limitedUntil, warnings },
      notModified: false,
    };
  },
};
