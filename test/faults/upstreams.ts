/**
 * Synthetic upstreams for every polled connector, each behind its fault-injecting server: an RSS 2.0
 * feed (ETag), a Google Alerts Atom feed (Last-Modified), Algolia's HN search, GitHub issue search,
 * two Mastodon instances sharing a hashtag, a Bluesky PDS (sessions, refresh, search), the App Store
 * customer-reviews feed, and Reddit's OAuth search. Each serves a growing set of generated items with
 * the filters, paging, conditional GET and auth its real API has (the shapes follow the recorded
 * payloads in ../shared; no recorded text is used), so every item a connector should ever see is known.
 */
import {
  type Answer,
  type FaultTiming,
  type FaultUpstream,
  startFaultUpstream,
  type UpstreamRequest,
} from '../helpers/fault-upstream.ts';

/** One generated item: its sequence number, creation time, and words. */
export type Entry = { n: number; at: Date; title: string; text: string; author: string };

export type Synthetic = {
  /** Source name (unique) and kind. */
  name: string;
  kind: string;
  options: Record<string, unknown>;
  /** Its fault upstreams (two for Mastodon: one per instance). */
  servers: FaultUpstream[];
  /** The requests that fetch items (not a login or token request). */
  isData: (request: UpstreamRequest) => boolean;
  /** Adds new items, created at these times (ascending). */
  add: (times: Date[]) => void;
  /** The external ids of every item served so far, as the connector reports them. */
  expectedIds: () => string[];
};

type Clock = () => Date;
type Random = () => number;

const OPENERS = [
  'Tried the new Acme blender this morning',
  'Acme support finally answered my ticket',
  'The latest Acme app update',
  'My Acme headphones after a month',
  'Ordered from Acme on Monday',
  'The Acme Cloud dashboard',
  'Battery life on the Acme phone',
  'Acme checkout on the website',
  'Unboxed the Acme smart lamp',
  'Acme customer service over chat',
];
const VERDICTS = [
  'and it works far better than I expected.',
  'and honestly it was a letdown.',
  'took three days, which is far too slow.',
  'is fine, nothing special either way.',
  'keeps crashing when I open the settings.',
  'made the whole thing painless.',
  'charged me twice for one order.',
  'is the best purchase I made this year.',
];
const DETAILS = [
  'The price was fair.',
  'Setup took five minutes.',
  'The screen scratches easily.',
  'Shipping was quick.',
  'The manual is confusing.',
  'Refund took two weeks.',
  'The sound is crisp and loud.',
  'The agent was polite but could not help.',
];

const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

function entries(random: Random, label: string) {
  const list: Entry[] = [];
  return {
    list,
    add(times: Date[]): Entry[] {
      return times.map((at) => {
        const n = list.length + 1;
        const entry: Entry = {
          n,
          at,
          title: `${pick(random, OPENERS)} (${label} ${n})`,
          text: `${pick(random, OPENERS)} ${pick(random, VERDICTS)} ${pick(random, DETAILS)} Note ${label}-${n}.`,
          author: `user${1 + Math.floor(random() * 40)}`,
        };
        list.push(entry);
        return entry;
      });
    },
    /** Newest first; ties by sequence, newest first. */
    newestFirst(): Entry[] {
      return [...list].sort((a, b) => b.at.getTime() - a.at.getTime() || b.n - a.n);
    },
  };
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const json = (body: unknown, headers: Record<string, string> = {}, status = 200): Answer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

/** RSS 2.0 with an ETag: 304 when the client already has this version. */
async function rss(random: Random, timing: FaultTiming): Promise<Synthetic> {
  const items = entries(random, 'rss');
  const server = await startFaultUpstream((req): Answer => {
    const etag = `"feed-${items.list.length}"`;
    if (req.headers['if-none-match'] === etag) return { status: 304, headers: { etag } };
    const body = items
      .newestFirst()
      .map(
        (e) => `<item><guid isPermaLink="false">rss-${e.n}</guid><title>${escapeXml(e.title)}</title>
<link>https://news.example.com/acme/${e.n}</link><dc:creator>${e.author}</dc:creator>
<description><![CDATA[<p>${e.text}</p>]]></description><pubDate>${e.at.toUTCString()}</pubDate></item>`,
      )
      .join('\n');
    return {
      headers: { 'content-type': 'application/rss+xml; charset=utf-8', etag },
      body: `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Acme watch</title>
<link>https://news.example.com/</link><description>News</description><language>en-us</language>
${body}</channel></rss>`,
    };
  }, timing);
  return {
    name: 'rss-feed',
    kind: 'rss',
    options: { url: server.url('/feeds/acme.xml') },
    servers: [server],
    isData: () => true,
    add: (times) => void items.add(times),
    expectedIds: () => items.list.map((e) => `rss-${e.n}`),
  };
}

/** A Google Alerts Atom feed with Last-Modified: 304 when nothing changed since If-Modified-Since. */
async function googleAlerts(random: Random, timing: FaultTiming, clock: Clock): Promise<Synthetic> {
  const items = entries(random, 'alert');
  let lastModified = new Date(0);
  const server = await startFaultUpstream((req) => {
    const since = Date.parse(String(req.headers['if-modified-since'] ?? ''));
    const headers = { 'last-modified': lastModified.toUTCString() };
    if (Number.isFinite(since) && since >= Math.floor(lastModified.getTime() / 1000) * 1000)
      return { status: 304, headers };
    const body = items
      .newestFirst()
      .map(
        (e) => `<entry><id>tag:google.com,2013:googlealerts/feed:${9_000_000 + e.n}</id>
<title type="html">${escapeXml(e.title.replace('Acme', '<b>Acme</b>'))}</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://blog.example.org/${e.n}&amp;ct=ga"></link>
<published>${isoSeconds(e.at)}</published><updated>${isoSeconds(e.at)}</updated>
<content type="html">${escapeXml(e.text.replace('Acme', '<b>Acme</b>'))}</content><author><name></name></author></entry>`,
      )
      .join('');
    return {
      headers: { 'content-type': 'application/atom+xml; charset=utf-8', ...headers },
      body: `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">
<id>tag:google.com,2005:reader/user/00000000000000000000/state/com.google/alerts/1111111111111111111</id>
<title>Google Alert - Acme</title><link href="https://www.google.com/alerts/feeds/00000000000000000000/1111111111111111111" rel="self"></link>
<updated>${isoSeconds(lastModified)}</updated>${body}</feed>`,
    };
  }, timing);
  return {
    name: 'google-alerts',
    kind: 'rss',
    options: { url: server.url('/alerts/feeds/00000000000000000000/1111111111111111111') },
    servers: [server],
    isData: () => true,
    add: (times) => {
      // The feed changes when items arrive, not when they were written (several share a second).
      if (times.length > 0) lastModified = clock();
      items.add(times);
    },
    expectedIds: () => items.list.map((e) => `tag:google.com,2013:googlealerts/feed:${9_000_000 + e.n}`),
  };
}

/** Algolia's HN search_by_date: numericFilters on created_at_i, hitsPerPage, page. */
async function hackerNews(random: Random, timing: FaultTiming): Promise<Synthetic> {
  const items = entries(random, 'hn');
  const idOf = (e: Entry) => String(40_000_000 + e.n);
  const server = await startFaultUpstream((req) => {
    if (req.path !== '/api/v1/search_by_date') return json({ message: 'not found' }, {}, 404);
    let from = Number.NEGATIVE_INFINITY;
    let to = Number.POSITIVE_INFINITY;
    for (const filter of (req.query.get('numericFilters') ?? '').split(',').filter(Boolean)) {
      const match = /^created_at_i(>=|<=)(\d+)$/.exec(filter);
      if (!match) return json({ message: `bad filter ${filter}` }, {}, 400);
      if (match[1] === '>=') from = Number(match[2]);
      else to = Number(match[2]);
    }
    const perPage = Number(req.query.get('hitsPerPage') ?? 20);
    const page = Number(req.query.get('page') ?? 0);
    const matching = items.newestFirst().filter((e) => seconds(e.at) >= from && seconds(e.at) <= to);
    const hits = matching.slice(page * perPage, (page + 1) * perPage).map((e) =>
      e.n % 3 === 0
        ? {
            _tags: ['comment', `author_${e.author}`, `story_${39_000_000 + e.n}`],
            author: e.author,
            comment_text: `<p>${e.text}</p>`,
            story_title: e.title,
            created_at: e.at.toISOString(),
            created_at_i: seconds(e.at),
            objectID: idOf(e),
          }
        : {
            _tags: ['story', `author_${e.author}`, `story_${idOf(e)}`],
            author: e.author,
            title: e.title,
            url: `https://blog.example.org/hn/${e.n}`,
            story_text: e.text,
            points: e.n % 50,
            num_comments: e.n % 7,
            created_at: e.at.toISOString(),
            created_at_i: seconds(e.at),
            objectID: idOf(e),
          },
    );
    return json({
      hits,
      nbHits: matching.length,
      page,
      nbPages: Math.ceil(matching.length / perPage),
      hitsPerPage: perPage,
    });
  }, timing);
  return {
    name: 'hacker-news',
    kind: 'hackernews',
    options: { query: 'acme', baseUrl: server.origin },
    servers: [server],
    isData: () => true,
    add: (times) => void items.add(times),
    expectedIds: () => items.list.map(idOf),
  };
}

/** GitHub issue search: `created:>=X` or `created:X..Y` in q, newest first, per_page and page. */
async function github(random: Random, timing: FaultTiming): Promise<Synthetic> {
  const items = entries(random, 'gh');
  const idOf = (e: Entry) => `I_kwDOFault${e.n}`;
  const server = await startFaultUpstream((req) => {
    if (req.path !== '/search/issues') return json({ message: 'Not Found' }, {}, 404);
    if (req.headers.authorization !== 'Bearer ghp_faultTestToken')
      return json({ message: 'Bad credentials' }, {}, 401);
    const q = req.query.get('q') ?? '';
    let from = Number.NEGATIVE_INFINITY;
    let to = Number.POSITIVE_INFINITY;
    const range = /created:(\S+)\.\.(\S+)/.exec(q);
    const after = /created:>=(\S+)/.exec(q);
    if (range) {
      from = Date.parse(range[1] as string);
      to = Date.parse(range[2] as string);
    } else if (after) from = Date.parse(after[1] as string);
    const perPage = Number(req.query.get('per_page') ?? 30);
    const page = Number(req.query.get('page') ?? 1);
    const matching = items.newestFirst().filter((e) => e.at.getTime() >= from && e.at.getTime() <= to);
    return json(
      {
        total_count: matching.length,
        incomplete_results: false,
        items: matching.slice((page - 1) * perPage, page * perPage).map((e) => ({
          id: 2_000_000_000 + e.n,
          node_id: idOf(e),
          number: e.n,
          title: e.title,
          body: e.text,
          html_url: `https://github.com/acme/widgets/issues/${e.n}`,
          state: 'open',
          user: { login: e.author, type: 'User' },
          comments: e.n % 5,
          reactions: { total_count: e.n % 4 },
          created_at: isoSeconds(e.at),
          updated_at: isoSeconds(e.at),
        })),
      },
      { 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '29', 'x-ratelimit-resource': 'search' },
    );
  }, timing);
  return {
    name: 'github-issues',
    kind: 'github',
    options: { query: 'acme in:title,body', token: 'ghp_faultTestToken', baseUrl: server.origin },
    servers: [server],
    isData: () => true,
    add: (times) => void items.add(times),
    expectedIds: () => items.list.map(idOf),
  };
}

/**
 * Two Mastodon instances with the #acme timeline: each post federates to one or both, with each
 * instance's own status ids (the `uri` is the same everywhere). `min_id` pages forward, oldest first.
 */
async function mastodon(random: Random, timing: FaultTiming): Promise<Synthetic> {
  const items = entries(random, 'toot');
  // Decimal snowflakes, written as strings (they pass 2^53).
  const uriOf = (e: Entry) =>
    `https://origin.example/users/${e.author}/statuses/1100000${String(e.n).padStart(11, '0')}`;
  type Local = { id: bigint; entry: Entry };
  const timelines: Local[][] = [[], []];
  const counters = [111_000_000_000_000_000n, 112_000_000_000_000_000n];
  const serve = (instance: 0 | 1) => (req: UpstreamRequest) => {
    if (req.path !== '/api/v1/timelines/tag/acme') return json({ error: 'Record not found' }, {}, 404);
    const limit = Math.min(40, Number(req.query.get('limit') ?? 20));
    const minId = req.query.get('min_id');
    const timeline = timelines[instance] as Local[];
    const page = minId
      ? timeline.filter((s) => s.id > BigInt(minId)).slice(0, limit)
      : timeline.slice(-limit);
    return json(
      [...page].reverse().map(({ id, entry: e }) => ({
        id: String(id),
        created_at: e.at.toISOString(),
        uri: uriOf(e),
        url: `https://origin.example/@${e.author}/${e.n}`,
        content: `<p>${e.text} <a href="https://origin.example/tags/acme" class="mention hashtag">#<span>acme</span></a></p>`,
        spoiler_text: '',
        language: 'en',
        visibility: 'public',
        replies_count: e.n % 3,
        reblogs_count: e.n % 5,
        favourites_count: e.n % 11,
        reblog: null,
        account: { id: String(e.n), acct: `${e.author}@origin.example`, followers_count: 100 + e.n },
      })),
      { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '299' },
    );
  };
  const servers = [await startFaultUpstream(serve(0), timing), await startFaultUpstream(serve(1), timing)];
  return {
    name: 'mastodon-tag',
    kind: 'mastodon',
    options: { instances: servers.map((s) => s.origin), hashtags: ['acme'] },
    servers,
    isData: () => true,
    add: (times) => {
      for (const entry of items.add(times)) {
        // Federated to the first instance, the second, or (most often) both.
        const roll = random();
        const on = roll < 0.25 ? [0] : roll < 0.5 ? [1] : [0, 1];
        for (const instance of on) {
          counters[instance] = (counters[instance] as bigint) + 1n + BigInt(Math.floor(random() * 1000));
          timelines[instance]?.push({ id: counters[instance] as bigint, entry });
        }
      }
    },
    expectedIds: () => items.list.map(uriOf),
  };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A Bluesky PDS: createSession and refreshSession hand out JWTs whose `exp` follows the test's clock;
 * searchPosts wants a live access token and filters on sortAt (since inclusive, until exclusive),
 * newest first, paged with an opaque cursor.
 */
async function bluesky(random: Random, timing: FaultTiming, clock: Clock): Promise<Synthetic> {
  const items = entries(random, 'skeet');
  const uriOf = (e: Entry) => `at://did:plc:${e.author}faulttest/app.bsky.feed.post/3kfault${e.n}`;
  const IDENTIFIER = 'earshot-faults.bsky.social';
  const PASSWORD = 'abcd-efgh-ijkl-mnop';
  const accessTokens = new Map<string, number>();
  const refreshTokens = new Set<string>();
  let issued = 0;
  const session = () => {
    issued++;
    const now = clock().getTime();
    const accessExp = Math.floor(now / 1000) + 20 * 3600;
    const accessJwt = `${base64url({ typ: 'at+jwt', alg: 'ES256K' })}.${base64url({ scope: 'com.atproto.access', sub: 'did:plc:earshot', exp: accessExp })}.sig${issued}`;
    const refreshJwt = `${base64url({ typ: 'refresh+jwt', alg: 'ES256K' })}.${base64url({ scope: 'com.atproto.refresh', sub: 'did:plc:earshot', exp: Math.floor(now / 1000) + 90 * 86400 })}.rsig${issued}`;
    accessTokens.set(accessJwt, accessExp * 1000);
    refreshTokens.add(refreshJwt);
    return json({ did: 'did:plc:earshot', handle: IDENTIFIER, accessJwt, refreshJwt, active: true });
  };
  const server = await startFaultUpstream((req) => {
    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (req.path === '/xrpc/com.atproto.server.createSession') {
      const body = JSON.parse(req.body || '{}') as { identifier?: string; password?: string };
      if (body.identifier !== IDENTIFIER || body.password !== PASSWORD)
        return json({ error: 'AuthenticationRequired', message: 'Invalid identifier or password' }, {}, 401);
      return session();
    }
    if (req.path === '/xrpc/com.atproto.server.refreshSession') {
      if (!refreshTokens.has(bearer))
        return json({ error: 'ExpiredToken', message: 'Token has been revoked' }, {}, 400);
      refreshTokens.delete(bearer);
      return session();
    }
    if (req.path !== '/xrpc/app.bsky.feed.searchPosts')
      return json({ error: 'MethodNotImplemented' }, {}, 501);
    const exp = accessTokens.get(bearer);
    if (exp === undefined) return json({ error: 'InvalidToken', message: 'Bad token' }, {}, 401);
    if (exp <= clock().getTime())
      return json({ error: 'ExpiredToken', message: 'Token has expired' }, {}, 400);
    const since = Date.parse(req.query.get('since') ?? '');
    const until = Date.parse(req.query.get('until') ?? '');
    const limit = Number(req.query.get('limit') ?? 25);
    const offset = Number(req.query.get('cursor') ?? 0);
    const matching = items
      .newestFirst()
      .filter(
        (e) =>
          (!Number.isFinite(since) || e.at.getTime() >= since) &&
          (!Number.isFinite(until) || e.at.getTime() < until),
      );
    const posts = matching.slice(offset, offset + limit).map((e) => ({
      uri: uriOf(e),
      cid: `bafyreifault${e.n}`,
      author: { did: `did:plc:${e.author}faulttest`, handle: `${e.author}.bsky.social` },
      record: { $type: 'app.bsky.feed.post', text: e.text, createdAt: e.at.toISOString(), langs: ['en'] },
      // Indexed a moment after it was written: sortAt is createdAt.
      indexedAt: new Date(e.at.getTime() + 2000).toISOString(),
      likeCount: e.n % 9,
      repostCount: e.n % 4,
      replyCount: e.n % 3,
      quoteCount: 0,
    }));
    const next = offset + limit < matching.length ? String(offset + limit) : undefined;
    return json(
      { posts, hitsTotal: matching.length, ...(next ? { cursor: next } : {}) },
      { 'ratelimit-limit': '3000', 'ratelimit-remaining': '2999', 'ratelimit-policy': '3000;w=300' },
    );
  }, timing);
  return {
    name: 'bluesky-search',
    kind: 'bluesky',
    options: { baseUrl: server.origin, query: 'acme', identifier: IDENTIFIER, appPassword: PASSWORD },
    servers: [server],
    isData: (req) => req.path.endsWith('searchPosts'),
    add: (times) => void items.add(times),
    expectedIds: () => items.list.map(uriOf),
  };
}

/** The App Store customer-reviews JSON feed: 50 a page, newest first, pages 1–10. */
async function appStore(random: Random, timing: FaultTiming): Promise<Synthetic> {
  const items = entries(random, 'review');
  const APP = '987654321';
  const idOf = (e: Entry) => String(11_000_000_000 + e.n);
  // Apple writes local time with an offset.
  const pacific = (at: Date) =>
    new Date(at.getTime() - 7 * 3600_000).toISOString().replace(/\.\d{3}Z$/, '-07:00');
  const server = await startFaultUpstream((req) => {
    const match = /^\/us\/rss\/customerreviews\/page=(\d+)\/id=(\d+)\/sortby=mostrecent\/json$/.exec(
      req.path,
    );
    if (!match || match[2] !== APP) return json({ feed: {} });
    const page = Number(match[1]);
    if (page > 10)
      return {
        headers: { 'content-type': 'text/plain' },
        body: 'CustomerReviews RSS page depth is limited to 10',
      };
    const all = items.newestFirst();
    const last = Math.max(1, Math.min(10, Math.ceil(all.length / 50)));
    const feedUrl = (p: number) =>
      `https://itunes.apple.com/us/rss/customerreviews/page=${p}/id=${APP}/sortby=mostrecent/json`;
    const entry = all.slice((page - 1) * 50, page * 50).map((e) => ({
      author: {
        uri: { label: `https://itunes.apple.com/us/reviews/id${e.n}` },
        name: { label: e.author },
        label: '',
      },
      updated: { label: pacific(e.at) },
      'im:rating': { label: String(1 + (e.n % 5)) },
      'im:version': { label: '4.2.0' },
      id: { label: idOf(e) },
      title: { label: e.title },
      content: { label: e.text, attributes: { type: 'text' } },
      link: {
        attributes: {
          rel: 'related',
          href: `https://itunes.apple.com/us/review?id=${APP}&type=Purple%20Software`,
        },
      },
      'im:voteSum': { label: String(e.n % 3) },
      'im:contentType': { attributes: { term: 'Application', label: 'Application' } },
      'im:voteCount': { label: String(e.n % 4) },
    }));
    return json({
      feed: {
        author: { name: { label: 'iTunes Store' }, uri: { label: 'http://www.apple.com/uk/itunes/' } },
        ...(entry.length > 0 ? { entry } : {}),
        updated: { label: pacific(new Date()) },
        link: [
          {
            attributes: {
              rel: 'alternate',
              type: 'text/html',
              href: `https://apps.apple.com/us/app/id${APP}`,
            },
          },
          { attributes: { rel: 'self', href: feedUrl(page) } },
          { attributes: { rel: 'first', href: feedUrl(1) } },
          { attributes: { rel: 'last', href: feedUrl(last) } },
        ],
        id: { label: feedUrl(page) },
      },
    });
  }, timing);
  return {
    name: 'app-store',
    kind: 'appstore',
    options: { appId: APP, country: 'us', baseUrl: server.origin },
    servers: [server],
    isData: () => true,
    add: (times) => void items.add(times),
    expectedIds: () => items.list.map(idOf),
  };
}

/** Reddit: client-credentials tokens, then `sort=new` search Listings paged with `after`. */
async function reddit(random: Random, timing: FaultTiming): Promise<Synthetic> {
  const items = entries(random, 'post');
  const nameOf = (e: Entry) => `t3_${(1_000_000 + e.n).toString(36)}`;
  const CLIENT_ID = 'fault-client-id';
  const CLIENT_SECRET = 'fault-client-secret';
  const tokens = new Set<string>();
  const server = await startFaultUpstream((req) => {
    if (req.path === '/api/v1/access_token') {
      const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
      if (
        req.method !== 'POST' ||
        req.headers.authorization !== basic ||
        req.body !== 'grant_type=client_credentials'
      )
        return json({ message: 'Unauthorized', error: 401 }, {}, 401);
      const token = `eyJfault.${tokens.size + 1}`;
      tokens.add(token);
      return json({ access_token: token, token_type: 'bearer', expires_in: 3600, scope: '*' });
    }
    if (req.path !== '/search') return json({ message: 'Not Found', error: 404 }, {}, 404);
    if (!tokens.has(String(req.headers.authorization ?? '').replace(/^bearer /, '')))
      return json({ message: 'Unauthorized', error: 401 }, {}, 401);
    const limit = Number(req.query.get('limit') ?? 25);
    const after = req.query.get('after');
    const all = items.newestFirst();
    const start = after ? all.findIndex((e) => nameOf(e) === after) + 1 : 0;
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return json(
      {
        kind: 'Listing',
        data: {
          after: more && page.length > 0 ? nameOf(page[page.length - 1] as Entry) : null,
          dist: page.length,
          children: page.map((e) => ({
            kind: 't3',
            data: {
              name: nameOf(e),
              id: nameOf(e).slice(3),
              subreddit: 'acme',
              title: e.title,
              selftext: `**${e.text.split(' ')[0]}** ${e.text.split(' ').slice(1).join(' ')}`,
              author: e.author,
              created_utc: seconds(e.at),
              permalink: `/r/acme/comments/${nameOf(e).slice(3)}/post_${e.n}/`,
              url: `https://www.reddit.com/r/acme/comments/${nameOf(e).slice(3)}/post_${e.n}/`,
              is_self: true,
              score: e.n % 40,
              num_comments: e.n % 6,
            },
          })),
        },
      },
      { 'x-ratelimit-remaining': '598.0', 'x-ratelimit-used': '2', 'x-ratelimit-reset': '300' },
    );
  }, timing);
  return {
    name: 'reddit-search',
    kind: 'reddit',
    options: {
      query: 'acme',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      baseUrl: server.origin,
      authBaseUrl: server.origin,
    },
    servers: [server],
    isData: (req) => req.path === '/search',
    add: (times) => void items.add(times),
    expectedIds: () => items.list.map(nameOf),
  };
}

/** Every polled connector's synthetic upstream (push sources are not polled: nothing to fault). */
export async function startSyntheticUpstreams(
  random: Random,
  timing: FaultTiming,
  clock: Clock,
): Promise<Synthetic[]> {
  return [
    await rss(random, timing),
    await googleAlerts(random, timing, clock),
    await hackerNews(random, timing),
    await github(random, timing),
    await mastodon(random, timing),
    await bluesky(random, timing, clock),
    await appStore(random, timing),
    await reddit(random, timing),
  ];
}
