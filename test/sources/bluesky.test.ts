import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlueskyOptions, blueskySource } from '../../sources/bluesky.ts';
import type { HttpClient } from '../../sources/http.ts';
import type { FetchResult, RawItem } from '../../sources/types.ts';
import { normaliseItem } from '../../src/ingest/normalise.ts';
import type { Json } from '../../src/types.ts';
import { describeUpstreamFailures } from '../helpers/failure-modes.ts';
import {
  type FakeUpstream,
  type Handler,
  jsonHandler as json,
  startFakeUpstream,
} from '../helpers/fake-upstream.ts';
import { hasFixtures, readFixture, SKIP_REASON } from '../helpers/shared.ts';
import { failure, fetchContext, testHttpClient } from '../helpers/sources.ts';

// After every recorded post (the newest was indexed 2025-05-19T17:10:09Z) and inside the lifetime of
// the access token in test/fixtures/bluesky/createSession.json (17:33:20Z → 19:33:20Z).
const NOW = new Date('2025-05-19T18:00:00Z');
const PASSWORD = 'abcd-efgh-ijkl-mnop';
const SEARCH = '/xrpc/app.bsky.feed.searchPosts';
const CREATE = '/xrpc/com.atproto.server.createSession';
const REFRESH = '/xrpc/com.atproto.server.refreshSession';

type Post = Record<string, any>;
type Session = { accessJwt: string; refreshJwt: string; did: string; handle: string };

function localFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/bluesky', name), 'utf8')) as T;
}
const CREATED = localFixture<Session>('createSession.json');
const REFRESHED = localFixture<Session>('refreshSession.json');
const EXPIRED_TOKEN = localFixture<object>('error_ExpiredToken.json');
const AUTH_REQUIRED = localFixture<object>('error_AuthenticationRequired.json');
const INVALID_TOKEN = localFixture<object>('error_InvalidToken.json');

type Recorded = {
  _request: string;
  _response_headers: Record<string, string>;
  body: { posts: Post[]; cursor?: string };
};
const recorded = (): Recorded =>
  JSON.parse(readFixture('bluesky/bskyr__searchPosts_q_redistricting.json').toString('utf8')) as Recorded;

/** The recorded headers worth replaying (no hop-by-hop or encoding headers). */
function replayHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (/^(date|content-length|content-encoding|transfer-encoding|connection|vary)$/i.test(name)) continue;
    kept[name.toLowerCase()] = value;
  }
  return kept;
}

let upstream: FakeUpstream;
let prefixes = 0;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream.close();
});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

type Call = { path: string; params: URLSearchParams; authorization?: string; body?: string };

/**
 * A PDS on a fresh path prefix (so the module-level session cache and handlers are not shared):
 * createSession/refreshSession answer the fixtures unless overridden, every call is recorded.
 */
function pds(
  handlers: {
    search?: (call: Call, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
    create?: Handler;
    refresh?: Handler;
  } = {},
) {
  const prefix = `/pds${++prefixes}`;
  const calls: Call[] = [];
  const record =
    (
      path: string,
      handler: (call: Call, req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
    ): Handler =>
    async (req, res) => {
      const call: Call = {
        path,
        params: new URL(req.url ?? '/', 'http://x').searchParams,
        authorization: req.headers.authorization,
        body: await readBody(req),
      };
      calls.push(call);
      await handler(call, req, res);
    };
  upstream.on(
    `${prefix}${CREATE}`,
    record(CREATE, (_c, req, res) => (handlers.create ?? json(CREATED))(req, res)),
  );
  upstream.on(
    `${prefix}${REFRESH}`,
    record(REFRESH, (_c, req, res) => (handlers.refresh ?? json(REFRESHED))(req, res)),
  );
  upstream.on(
    `${prefix}${SEARCH}`,
    record(SEARCH, handlers.search ?? ((_c, req, res) => json({ posts: [] })(req, res))),
  );
  const baseUrl = upstream.url(prefix);
  return {
    baseUrl,
    calls,
    paths: () => calls.map((c) => c.path),
    options: (extra: Record<string, unknown> = {}) => ({
      baseUrl,
      query: 'redistricting',
      identifier: 'earshot-test.bsky.social',
      appPassword: { env: 'BSKY_APP_PASSWORD' },
      ...extra,
    }),
  };
}

function fetchNew(
  options: Record<string, unknown>,
  overrides: { cursor?: Json | null; http?: HttpClient; now?: Date } = {},
): Promise<FetchResult> {
  const parsed = BlueskyOptions.parse(options);
  return blueskySource.fetchNew(
    fetchContext(parsed, {
      now: NOW,
      http: testHttpClient(),
      secrets: { BSKY_APP_PASSWORD: PASSWORD },
      ...overrides,
    }),
  );
}

function byId(items: RawItem[], externalId: string): RawItem {
  const item = items.find((candidate) => candidate.externalId === externalId);
  if (!item)
    throw new Error(
      `no item ${JSON.stringify(externalId)} among ${JSON.stringify(items.map((i) => i.externalId))}`,
    );
  return item;
}

/** The AppView's sortAt: the earlier of createdAt and indexedAt. */
function sortAt(post: Post): number {
  return Math.min(Date.parse(post.record.createdAt), Date.parse(post.indexedAt));
}

/**
 * A search like the AppView's: `since` (inclusive) and `until` (exclusive) on sortAt, newest first,
 * pages with an offset cursor.
 */
function searchOver(posts: Post[], pageSize = 100, headers: () => Record<string, string> = () => ({})) {
  return (call: Call, req: IncomingMessage, res: ServerResponse) => {
    const since = call.params.get('since');
    const until = call.params.get('until');
    const matching = posts
      .filter((p) => !since || sortAt(p) >= Date.parse(since))
      .filter((p) => !until || sortAt(p) < Date.parse(until))
      .sort((a, b) => sortAt(b) - sortAt(a));
    const offset = Number(call.params.get('cursor') ?? 0);
    const size = Math.min(pageSize, Number(call.params.get('limit') ?? 25));
    const page = matching.slice(offset, offset + size);
    const next = offset + size < matching.length ? String(offset + size) : undefined;
    json({ posts: page, ...(next ? { cursor: next } : {}) }, headers())(req, res);
  };
}

/** A synthetic post shaped like the recorded ones. */
function post(rkey: string, at: string, overrides: Post = {}): Post {
  return {
    uri: `at://did:plc:testauthor/app.bsky.feed.post/${rkey}`,
    cid: `bafy${rkey}`,
    author: { did: 'did:plc:testauthor', handle: 'tester.bsky.social' },
    record: { $type: 'app.bsky.feed.post', createdAt: at, text: `post ${rkey}`, langs: ['en'] },
    replyCount: 0,
    repostCount: 0,
    likeCount: 0,
    quoteCount: 0,
    indexedAt: at,
    labels: [],
    ...overrides,
  };
}

describe.skipIf(!hasFixtures)(
  `bluesky on the recorded search${hasFixtures ? '' : ` (${SKIP_REASON})`}`,
  () => {
    it('bskyr__searchPosts_q_redistricting.json: logs in, searches, maps posts field by field', async () => {
      const { body, _response_headers } = recorded();
      const server = pds({
        search: (_c, req, res) => json(body, replayHeaders(_response_headers))(req, res),
      });
      const result = await fetchNew(server.options());

      expect(server.paths(), 'one login, one search').toEqual([CREATE, SEARCH]);
      const login = JSON.parse(server.calls[0]?.body ?? '{}');
      expect(login, 'createSession body').toEqual({
        identifier: 'earshot-test.bsky.social',
        password: PASSWORD,
      });
      const search = server.calls[1]!;
      expect(search.authorization, 'the access token as Bearer').toBe(`Bearer ${CREATED.accessJwt}`);
      expect(Object.fromEntries(search.params), 'first poll: latest posts, no since, no cursor').toEqual({
        q: 'redistricting',
        sort: 'latest',
        limit: '100',
      });
      expect(result.items.length, 'all 25 posts').toBe(25);

      const paper = byId(
        result.items,
        'at://did:plc:kkergqgbhb56ptpwj2wenkje/app.bsky.feed.post/3lpk2u6qo222m',
      );
      expect(paper.url, 'bsky.app link from handle and rkey').toBe(
        'https://bsky.app/profile/socpaperbot.bsky.social/post/3lpk2u6qo222m',
      );
      expect(paper.author, 'handle').toBe('socpaperbot.bsky.social');
      expect(paper.title, 'posts have no title').toBeNull();
      expect(
        paper.content.startsWith('Ends Versus Means: Public Opinion on Congressional Redistricting'),
        paper.content,
      ).toBe(true);
      expect(paper.contentType, 'record.text is plain text').toBe('text');
      expect(paper.publishedAt?.toISOString(), 'createdAt with a 6-digit fraction').toBe(
        '2025-05-19T17:10:09.561Z',
      );
      expect(paper.language, 'a bot post without langs').toBeNull();
      expect(paper.rating, 'not a review').toBeNull();
      expect(paper.engagement, 'zero counts are reported').toEqual({ likes: 0, reposts: 0, replies: 0 });

      const nyhan = byId(
        result.items,
        'at://did:plc:clxs5bimkdx2zvxzrbs6v3pw/app.bsky.feed.post/3lpjneeyp6c2w',
      );
      expect(nyhan.author, 'handle').toBe('brendannyhan.bsky.social');
      expect(nyhan.language, 'first of langs').toBe('en');
      expect(nyhan.engagement, 'reposts include the quote').toEqual({ likes: 20, reposts: 6, replies: 2 });
      expect(nyhan.publishedAt?.toISOString(), 'createdAt').toBe('2025-05-19T13:08:40.742Z');

      const crlf = byId(
        result.items,
        'at://did:plc:qogyzvlh3vivathu2piavvpv/app.bsky.feed.post/3lpii6nwbyt2m',
      );
      expect(crlf.publishedAt?.toISOString(), 'a +00:00 createdAt').toBe('2025-05-19T02:03:20.286Z');
      expect(crlf.content, 'CRLF line ends become LF').toContain(
        'Automated disqualification from services\n\n\n118.',
      );
      expect(normaliseItem(crlf)?.text, 'the normaliser folds the blank lines').toMatch(
        /^Automated disqualification from services\n\n118\. Manipulat/,
      );

      const skewed = byId(
        result.items,
        'at://did:plc:mhbp4wx4zsjf6537frktqux2/app.bsky.feed.post/3lpikwarowc2o',
      );
      expect(skewed.publishedAt?.toISOString(), 'createdAt even when after indexedAt').toBe(
        '2025-05-19T02:52:19.333Z',
      );

      expect(result.cursor, 'since = newest sortAt (createdAt < indexedAt); its URI is seen').toEqual({
        since: '2025-05-19T17:10:09.561Z',
        seen: ['at://did:plc:kkergqgbhb56ptpwj2wenkje/app.bsky.feed.post/3lpk2u6qo222m'],
      });
      const stored = JSON.stringify(result.cursor);
      expect(stored, 'no credentials in the cursor').not.toContain(PASSWORD);
      expect(stored, 'no token in the cursor').not.toContain(CREATED.accessJwt);
    });

    it('the next poll sends since (minus the overlap), pages with cursor, and returns only new posts', async () => {
      const posts = recorded().body.posts;
      // The earlier poll saw the search without its five newest posts, in pages of 10.
      const state = { posts: posts.slice(5), pageSize: 10 };
      const server = pds({
        search: (call, req, res) => searchOver(state.posts, state.pageSize)(call, req, res),
      });
      const searches = () => server.calls.filter((c) => c.path === SEARCH);
      const first = await fetchNew(server.options());
      expect(first.items.length, 'first poll: one page only').toBe(10);
      expect(first.cursor, 'newest sortAt of those posts (its createdAt), and its URI').toEqual({
        since: '2025-05-19T14:09:34.606Z',
        seen: ['at://did:plc:koh6ega53iul5n6qomu6e7an/app.bsky.feed.post/3lpjqrblspk2n'],
      });

      // Five newer posts arrive; the search now pages by 2.
      state.posts = posts;
      state.pageSize = 2;
      const second = await fetchNew(server.options(), { cursor: first.cursor });
      const polled = searches().slice(1);
      expect(polled[0]?.params.get('since'), 'since = cursor minus 60 s of overlap').toBe(
        '2025-05-19T14:08:34.606Z',
      );
      expect(
        polled.map((c) => c.params.get('cursor')),
        'pages follow the response cursor until there is none',
      ).toEqual([null, '2', '4']);
      expect(
        second.items.map((i) => i.externalId),
        'the five new posts, not the one already seen',
      ).toEqual(posts.slice(0, 5).map((p) => p.uri));
      expect(second.cursor, 'since advances to the newest').toEqual({
        since: '2025-05-19T17:10:09.561Z',
        seen: ['at://did:plc:kkergqgbhb56ptpwj2wenkje/app.bsky.feed.post/3lpk2u6qo222m'],
      });

      const third = await fetchNew(server.options(), { cursor: second.cursor });
      expect(searches().at(-1)?.params.get('since'), 'since from the advanced cursor').toBe(
        '2025-05-19T17:09:09.561Z',
      );
      expect(third.items, 'nothing new').toEqual([]);
      expect(third.cursor, 'the cursor stays').toEqual(second.cursor);
      expect(server.paths().filter((p) => p === CREATE).length, 'one login for the three polls').toBe(1);
    });
  },
);

describe('bluesky sessions', () => {
  it('reuses the session across polls: one createSession for two polls', async () => {
    const server = pds();
    await fetchNew(server.options());
    await fetchNew(server.options());
    expect(server.paths(), 'login once, search twice').toEqual([CREATE, SEARCH, SEARCH]);
    expect(server.calls[2]?.authorization, 'the cached token').toBe(`Bearer ${CREATED.accessJwt}`);
  });

  it('an expired token (400 ExpiredToken) is refreshed and the search retried once', async () => {
    const server = pds({
      search: (call, req, res) => {
        if (call.authorization === `Bearer ${CREATED.accessJwt}`) json(EXPIRED_TOKEN, {}, 400)(req, res);
        else json({ posts: [post('a1', '2025-05-19T17:50:00.000Z')] })(req, res);
      },
    });
    const result = await fetchNew(server.options());
    expect(server.paths(), 'login, search (expired), refresh, search').toEqual([
      CREATE,
      SEARCH,
      REFRESH,
      SEARCH,
    ]);
    expect(server.calls[2]?.authorization, 'refresh with the refresh token').toBe(
      `Bearer ${CREATED.refreshJwt}`,
    );
    expect(server.calls[3]?.authorization, 'retry with the new access token').toBe(
      `Bearer ${REFRESHED.accessJwt}`,
    );
    expect(
      result.items.map((i) => i.externalId),
      'the retry result',
    ).toEqual(['at://did:plc:testauthor/app.bsky.feed.post/a1']);

    await fetchNew(server.options());
    expect(server.calls.at(-1)?.authorization, 'the refreshed session is cached').toBe(
      `Bearer ${REFRESHED.accessJwt}`,
    );
    expect(server.paths().filter((p) => p === CREATE).length, 'no second login').toBe(1);
  });

  it('a failed refresh logs in again', async () => {
    const second: Session = {
      ...CREATED,
      accessJwt: 'second-login-access',
      refreshJwt: 'second-login-refresh',
    };
    let logins = 0;
    const server = pds({
      create: (req, res) => json(++logins === 1 ? CREATED : second)(req, res),
      refresh: json(INVALID_TOKEN, {}, 401),
      search: (call, req, res) => {
        if (call.authorization === 'Bearer second-login-access') json({ posts: [] })(req, res);
        else json(EXPIRED_TOKEN, {}, 401)(req, res);
      },
    });
    const result = await fetchNew(server.options());
    expect(server.paths(), 'login, search 401, refresh 401, login, search').toEqual([
      CREATE,
      SEARCH,
      REFRESH,
      CREATE,
      SEARCH,
    ]);
    expect(result.items, 'the retried search answered').toEqual([]);
  });

  it('refreshes ahead of time when the access token has expired (JWT exp)', async () => {
    const server = pds();
    await fetchNew(server.options());
    // 19:40 is after the access token's exp (19:33:20), long before the refresh token's.
    await fetchNew(server.options(), { now: new Date('2025-05-19T19:40:00Z') });
    expect(server.paths(), 'no failed search: refresh first').toEqual([CREATE, SEARCH, REFRESH, SEARCH]);
    expect(server.calls[3]?.authorization, 'the refreshed token').toBe(`Bearer ${REFRESHED.accessJwt}`);
  });

  it('a search still refused after the refresh fails with 401', async () => {
    const server = pds({ search: (_c, req, res) => json(EXPIRED_TOKEN, {}, 401)(req, res) });
    const error = await failure(fetchNew(server.options()));
    expect(error.status, error.message).toBe(401);
    expect(server.paths(), 'one refresh, one retry').toEqual([CREATE, SEARCH, REFRESH, SEARCH]);
  });

  it('bad credentials: 401 on createSession, a clear message without the password', async () => {
    const server = pds({ create: json(AUTH_REQUIRED, {}, 401) });
    const error = await failure(fetchNew(server.options()));
    expect(error.kind, error.message).toBe('http');
    expect(error.status, error.message).toBe(401);
    expect(error.message, 'names the account and what to check').toMatch(
      /login as "earshot-test\.bsky\.social" refused \(HTTP 401\); check the identifier and the app password/,
    );
    expect(error.message, 'never the password').not.toContain(PASSWORD);
    expect(server.paths(), 'no search without a session').toEqual([CREATE]);

    const literal = pds({ create: json(AUTH_REQUIRED, {}, 401) });
    const again = await failure(fetchNew(literal.options({ appPassword: 'literal-secret-pw' })));
    expect(again.message, 'a literal password is not echoed either').not.toContain('literal-secret-pw');
  });

  it('a 429 on createSession passes through with its wait', async () => {
    const server = pds({ create: json({ error: 'RateLimitExceeded' }, { 'retry-after': '120' }, 429) });
    const error = await failure(fetchNew(server.options()));
    expect(error.status, error.message).toBe(429);
    expect(error.retryAfterMs, 'Retry-After').toBe(120_000);
  });

  it('an unset password variable is a clear configuration error', async () => {
    const server = pds();
    const parsed = BlueskyOptions.parse(server.options({ appPassword: { env: 'BSKY_UNSET' } }));
    await expect(
      blueskySource.fetchNew(fetchContext(parsed, { now: NOW, http: testHttpClient() })),
      'missing env var',
    ).rejects.toThrow(/BSKY_UNSET is not set/);
    expect(server.paths(), 'nothing sent').toEqual([]);
  });
});

describe('bluesky rate limits and edge cases', () => {
  it('stops paging at RateLimit-Remaining 0, refuses to poll before the reset, then fills the gap', async () => {
    const posts = Array.from({ length: 6 }, (_, i) => post(`r${i}`, `2025-05-19T17:5${i}:00.000Z`));
    const reset = String(Math.floor(NOW.getTime() / 1000) + 240);
    const state = { remaining: '0' };
    const server = pds({
      search: searchOver(posts, 2, () => ({
        'ratelimit-limit': '3000',
        'ratelimit-remaining': state.remaining,
        'ratelimit-reset': reset,
        'ratelimit-policy': '3000;w=300',
      })),
    });
    const searches = () => server.calls.filter((c) => c.path === SEARCH);
    const cursor = { since: '2025-05-19T17:00:00.000Z', seen: [] };
    const result = await fetchNew(server.options(), { cursor });
    expect(searches().length, 'no second page').toBe(1);
    expect(
      result.items.map((i) => i.externalId),
      'the first page is kept',
    ).toEqual([posts[5]!.uri, posts[4]!.uri]);
    expect(result.cursor, 'the reset and the unread older window are remembered').toEqual({
      since: '2025-05-19T17:55:00.000Z',
      seen: [posts[5]!.uri, posts[4]!.uri],
      gap: { since: '2025-05-19T16:59:00.000Z', until: '2025-05-19T17:54:00.001Z' },
      limitedUntil: '2025-05-19T18:04:00.000Z',
    });

    const error = await failure(fetchNew(server.options(), { cursor: result.cursor }));
    expect(error.status, error.message).toBe(429);
    expect(error.retryAfterMs, 'until the reset').toBe(240_000);
    expect(searches().length, 'no request before the reset').toBe(1);

    state.remaining = '2900';
    const later = await fetchNew(server.options(), {
      cursor: result.cursor,
      now: new Date('2025-05-19T18:05:00Z'),
    });
    const sent = searches().slice(1);
    expect(
      sent.map((c) => [c.params.get('since'), c.params.get('until'), c.params.get('cursor')]),
      'new posts first, then the gap with since/until',
    ).toEqual([
      ['2025-05-19T17:54:00.000Z', null, null],
      ['2025-05-19T16:59:00.000Z', '2025-05-19T17:54:00.001Z', null],
      ['2025-05-19T16:59:00.000Z', '2025-05-19T17:54:00.001Z', '2'],
      ['2025-05-19T16:59:00.000Z', '2025-05-19T17:54:00.001Z', '4'],
    ]);
    expect(
      later.items.map((i) => i.externalId),
      'the older posts the rate limit held back',
    ).toEqual([posts[3]!.uri, posts[2]!.uri, posts[1]!.uri, posts[0]!.uri]);
    expect(later.cursor, 'gap filled, limit gone, since unchanged').toEqual({
      since: '2025-05-19T17:55:00.000Z',
      seen: [posts[5]!.uri, posts[4]!.uri],
    });
  });

  it('a poll cut short by the page cap leaves a gap the next poll fills', async () => {
    const start = Date.parse('2025-05-19T17:00:00Z');
    const posts = Array.from({ length: 14 }, (_, i) =>
      post(`p${i}`, new Date(start + i * 1000).toISOString()),
    );
    const server = pds({ search: searchOver(posts, 2) });
    const searches = () => server.calls.filter((c) => c.path === SEARCH);
    const first = await fetchNew(server.options(), {
      cursor: { since: '2025-05-19T16:00:00.000Z', seen: [] },
    });
    expect(searches().length, 'five pages').toBe(5);
    expect(first.items.length, '5 × 2 newest').toBe(10);
    expect((first.cursor as Record<string, Json>).gap, 'the unread older window').toEqual({
      since: '2025-05-19T15:59:00.000Z',
      until: '2025-05-19T17:00:04.001Z',
    });

    const second = await fetchNew(server.options(), { cursor: first.cursor });
    expect(
      searches()
        .slice(5)
        .map((c) => [c.params.get('since'), c.params.get('until'), c.params.get('cursor')]),
      'one page reaches known posts, then the gap is read',
    ).toEqual([
      ['2025-05-19T16:59:13.000Z', null, null],
      ['2025-05-19T15:59:00.000Z', '2025-05-19T17:00:04.001Z', null],
      ['2025-05-19T15:59:00.000Z', '2025-05-19T17:00:04.001Z', '2'],
      ['2025-05-19T15:59:00.000Z', '2025-05-19T17:00:04.001Z', '4'],
    ]);
    expect(
      second.items.map((i) => i.externalId),
      'the four oldest posts, nothing twice',
    ).toEqual([posts[3]!.uri, posts[2]!.uri, posts[1]!.uri, posts[0]!.uri]);
    expect((second.cursor as Record<string, Json>).gap, 'gap closed').toBeUndefined();
  });

  it('skips malformed posts and keeps the rest', async () => {
    const server = pds({
      search: (_c, req, res) =>
        json({
          posts: [
            null,
            post('bad1', '2025-05-19T17:00:00Z', { uri: 'https://not-at-uri' }),
            post('bad2', '2025-05-19T17:00:00Z', { record: null }),
            post('bad3', '2025-05-19T17:00:00Z', { record: { text: 42 } }),
            post('ok1', '2025-05-19T17:00:00Z', {
              author: { did: 'did:plc:nohandle', handle: 'handle.invalid' },
              record: { text: 'kept', createdAt: 'garbage', langs: [7] },
              indexedAt: '2025-05-19T17:01:00.000Z',
              likeCount: 'lots',
              repostCount: -1,
              quoteCount: 2,
            }),
          ],
        })(req, res),
    });
    const { items } = await fetchNew(server.options());
    expect(
      items.map((i) => i.externalId),
      'only the usable post',
    ).toEqual(['at://did:plc:testauthor/app.bsky.feed.post/ok1']);
    const item = items[0]!;
    expect(item.author, 'the DID when the handle is invalid').toBe('did:plc:nohandle');
    expect(item.url, 'profile link by DID').toBe('https://bsky.app/profile/did:plc:nohandle/post/ok1');
    expect(item.publishedAt?.toISOString(), 'indexedAt when createdAt is unreadable').toBe(
      '2025-05-19T17:01:00.000Z',
    );
    expect(item.language, 'a non-string lang').toBeNull();
    expect(item.engagement, 'only sane counts; quotes count as reposts').toEqual({ reposts: 2, replies: 0 });
  });

  it('ignores a cursor of the wrong shape', async () => {
    const server = pds();
    await fetchNew(server.options(), { cursor: ['nonsense'] });
    expect(server.calls.at(-1)?.params.has('since'), 'a fresh start').toBe(false);
  });
});

let failingServer: ReturnType<typeof pds> | undefined;

describeUpstreamFailures('bluesky', {
  upstream: () => upstream,
  endpoint: async () => {
    const server = pds();
    failingServer = server;
    await fetchNew(server.options()); // log in first with the default client (the session answer is > 1000 bytes)
    return {
      path: `${new URL(server.baseUrl).pathname}${SEARCH}`,
      fetch: (http) => fetchNew(server.options(), { http }),
    };
  },
  validBody: { posts: [post('w1', '2025-05-19T17:00:00.000Z')] },
  expectValid: (result) => expect(result.items.length, 'the retry succeeded').toBe(1),
  httpStatuses: [403, 404, 500],
  onHttpError: () =>
    expect(failingServer?.paths().includes(REFRESH), 'no refresh for a non-auth failure').toBe(false),
});

describe('bluesky upstream failures', () => {
  it('JSON of the wrong shape (search or session) is kind "invalid"', async () => {
    const shape = pds({ search: (_c, req, res) => json({ posts: 'none' })(req, res) });
    const wrong = await failure(fetchNew(shape.options()));
    expect(wrong.kind, wrong.message).toBe('invalid');
    expect(wrong.message, 'says what was expected').toMatch(/"posts" array/);

    const badSession = pds({ create: json({ did: 'did:plc:x' }) });
    const noTokens = await failure(fetchNew(badSession.options()));
    expect(noTokens.kind, noTokens.message).toBe('invalid');
  });
});

describe('bluesky options', () => {
  it('defaults baseUrl and rejects bad options', () => {
    const parsed = BlueskyOptions.parse({
      query: 'acme',
      identifier: 'brand.bsky.social',
      appPassword: { env: 'BSKY_APP_PASSWORD' },
    });
    expect(parsed.baseUrl, 'the bsky.social PDS').toBe('https://bsky.social');
    const bad: Array<[string, unknown]> = [
      ['no query', { identifier: 'a', appPassword: 'x' }],
      ['empty query', { query: ' ', identifier: 'a', appPassword: 'x' }],
      ['no identifier', { query: 'acme', appPassword: 'x' }],
      ['no app password', { query: 'acme', identifier: 'a' }],
      ['bad env name', { query: 'acme', identifier: 'a', appPassword: { env: 'lower-case' } }],
      ['bad baseUrl', { query: 'acme', identifier: 'a', appPassword: 'x', baseUrl: 'bsky.social' }],
      ['unknown key', { query: 'acme', identifier: 'a', appPassword: 'x', password: 'x' }],
    ];
    for (const [why, options] of bad) expect(BlueskyOptions.safeParse(options).success, why).toBe(false);
  });
});
