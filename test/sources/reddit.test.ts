import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../sources/http.ts';
import {
  markdownToText,
  REDDIT_MAX_PAGES,
  RedditOptions,
  redditSource,
  resetRedditState,
} from '../../sources/reddit.ts';
import type { FetchResult, RawItem } from '../../sources/types.ts';
import type { Json } from '../../src/types.ts';
import { describeUpstreamFailures } from '../helpers/failure-modes.ts';
import { type FakeUpstream, sendJson as send, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { hasFixtures, readFixture, SKIP_REASON } from '../helpers/shared.ts';
import { failure, fetchContext, testHttpClient } from '../helpers/sources.ts';

const NOW = new Date('2024-06-01T12:00:00Z');
const CLIENT_ID = 'test-client-id';
const CLIENT_SECRET = 'super-secret-value-42';
const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
const LOCAL_FIXTURES = join(import.meta.dirname, '../fixtures/reddit');
const TOKEN_ANSWER = JSON.parse(readFileSync(join(LOCAL_FIXTURES, 'access_token.json'), 'utf8')) as {
  access_token: string;
};

type Listing = { kind: string; data: { after: string | null; children: Array<{ kind: string; data: any }> } };
type Seen = {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
};

let upstream: FakeUpstream;
/** Every request to the fake Reddit, with its query and body (the shared helper keeps only the path). */
let seen: Seen[] = [];
/** Tokens the fake auth endpoint hands out, in order; the last one repeats. */
let issuedTokens: string[] = [];
let tokenCount = 0;
/** Tokens the fake API accepts. */
let validTokens = new Set<string>();

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream.close();
});

beforeEach(() => {
  resetRedditState();
  seen = [];
  issuedTokens = [TOKEN_ANSWER.access_token];
  tokenCount = 0;
  validTokens = new Set([TOKEN_ANSWER.access_token]);
  upstream.on('/api/v1/access_token', async (req, res) => {
    await record(req);
    if (req.headers.authorization !== BASIC) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"message": "Unauthorized", "error": 401}');
      return;
    }
    const token = issuedTokens[Math.min(tokenCount, issuedTokens.length - 1)];
    tokenCount++;
    sendJson(res, { ...TOKEN_ANSWER, access_token: token });
  });
});

async function record(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', 'http://x');
  seen.push({
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
  });
  return body;
}

function sendJson(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  send(res, body, 200, headers);
}

/**
 * Serves search pages at `path`, like oauth.reddit.com: a valid bearer token is required; `pages` maps
 * the `after` parameter ('' for the first page) to a listing.
 */
function serveSearch(
  path: string,
  pages: Record<string, unknown> | ((after: string) => unknown),
  headers: Record<string, string> = {},
): void {
  upstream.on(path, async (req, res) => {
    await record(req);
    const bearer = /^bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !validTokens.has(bearer)) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"message": "Unauthorized", "error": 401}');
      return;
    }
    const after = new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? '';
    const page = typeof pages === 'function' ? pages(after) : pages[after];
    if (page === undefined) {
      res.writeHead(404).end();
      return;
    }
    sendJson(res, page, headers);
  });
}

function searches(path: string): Seen[] {
  return seen.filter((s) => s.path === path);
}

function tokenRequests(): Seen[] {
  return seen.filter((s) => s.path === '/api/v1/access_token');
}

function options(extra: Record<string, unknown> = {}): RedditOptions {
  return RedditOptions.parse({
    query: 'acme',
    clientId: CLIENT_ID,
    clientSecret: { env: 'REDDIT_SECRET' },
    baseUrl: upstream.url(''),
    authBaseUrl: upstream.url(''),
    ...extra,
  });
}

function poll(
  opts: RedditOptions,
  cursor: Json | null = null,
  client: HttpClient = testHttpClient(),
  now = NOW,
): Promise<FetchResult> {
  return redditSource.fetchNew(
    fetchContext(opts, { cursor, http: client, now, secrets: { REDDIT_SECRET: CLIENT_SECRET } }),
  );
}

function byId(items: RawItem[], id: string): RawItem {
  const item = items.find((candidate) => candidate.externalId === id);
  if (!item) throw new Error(`no post ${id} among ${JSON.stringify(items.map((i) => i.externalId))}`);
  return item;
}

function fixtureListing(name: string): Listing {
  return JSON.parse(readFixture(`reddit/${name}`).toString('utf8')) as Listing;
}

/** A listing with other children (and `after`), keeping the real envelope. */
function withChildren(
  listing: Listing,
  children: Listing['data']['children'],
  after: string | null,
): Listing {
  return { ...listing, data: { ...listing.data, children, after } };
}

// A synthetic post shaped like the real t3 children, for tests that must run without ../shared.
function post(id: string, created: number, extra: Record<string, unknown> = {}) {
  return {
    kind: 't3',
    data: {
      name: `t3_${id}`,
      id,
      author: `user_${id}`,
      title: `Post ${id} about Acme`,
      selftext: `Body of ${id}`,
      is_self: true,
      url: `https://www.reddit.com/r/test/comments/${id}/post/`,
      permalink: `/r/test/comments/${id}/post/`,
      created_utc: created,
      score: 3,
      num_comments: 1,
      removed_by_category: null,
      ...extra,
    },
  };
}

function listing(children: unknown[], after: string | null = null) {
  return { kind: 'Listing', data: { after, before: null, dist: children.length, modhash: '', children } };
}

describe.skipIf(!hasFixtures)(
  `reddit connector on recorded payloads${hasFixtures ? '' : ` (${SKIP_REASON})`}`,
  () => {
    it('exchanges client credentials like the recorded praw session', async () => {
      const cassette = JSON.parse(
        readFixture('reddit/praw__TestSubreddit.test_search.cassette.json').toString(),
      ) as {
        interactions: Array<{ request: any; response: any }>;
      };
      const recorded = cassette.interactions[0]!;
      // Answer with the recorded token response (placeholder token and all).
      const recordedAnswer = JSON.parse(recorded.response.body.string) as { access_token: string };
      upstream.on('/api/v1/access_token', async (req, res) => {
        await record(req);
        sendJson(res, recorded.response.body.string);
      });
      validTokens = new Set([recordedAnswer.access_token]);
      serveSearch('/search', { '': listing([post('aaa', 1_717_000_000)]) });

      await poll(options());
      const [token] = tokenRequests();
      expect(token, 'one token request').toBeDefined();
      expect(recorded.request.method, 'recorded method').toBe('POST');
      expect(new URL(recorded.request.uri).pathname, 'recorded path').toBe('/api/v1/access_token');
      expect(token!.method, 'method as recorded').toBe(recorded.request.method);
      expect(token!.body, 'form body as recorded').toBe(recorded.request.body);
      expect(token!.headers['content-type'], 'content type as recorded').toBe(
        recorded.request.headers['Content-Type'][0],
      );
      expect(recorded.request.headers.Authorization[0], 'recorded auth scheme').toMatch(/^Basic /);
      expect(token!.headers.authorization, 'HTTP Basic client_id:secret').toBe(BASIC);
      const [search] = searches('/search');
      expect(search?.headers.authorization, 'bearer header of the recorded search').toBe(
        cassette.interactions[1]!.request.headers.Authorization[0],
      );
    });

    it('praw__search_listing: 6 posts, field by field', async () => {
      serveSearch('/search', { '': readFixture('reddit/praw__search_listing.json') });
      const result = await poll(options({ query: 'praw oauth search' }));
      expect(result.items.length, 'posts in the listing').toBe(6);

      const solved = byId(result.items, 't3_3gpbiu');
      expect(solved.url, 'permalink without ?ref=search_posts').toBe(
        'https://www.reddit.com/r/redditdev/comments/3gpbiu/prawoauth2util_problem_using_get_banned_raise/',
      );
      expect(solved.author, 'u/ handle').toBe('u/dClauzel');
      expect(solved.title, 'title').toBe(
        '[PRAW][OAuth2Util] Problem using get_banned() : raise Forbidden(_raw=response)',
      );
      expect(solved.content, 'markdown heading and rule become plain text').toMatch(
        /^solved\n\nProblem solved with this: \/r\/redditdev\/comments\/3gpbiu\/.*\n\nI am a moderator of \/r\/Europe/,
      );
      expect(solved.content, 'no rule line left').not.toMatch(/^----$/m);
      expect(solved.contentType, 'plain text').toBe('text');
      expect(solved.publishedAt?.toISOString(), 'created_utc 1439370514').toBe('2015-08-12T09:08:34.000Z');
      expect(solved.rating, 'no rating').toBeNull();
      expect(solved.language, 'no lang in 2016 payloads').toBeNull();
      expect(solved.engagement, 'score and num_comments').toEqual({ score: 0, replies: 21 });

      const subscribed = byId(result.items, 't3_3x4kt2');
      expect(subscribed.author, 'author').toBe('u/GrinningMouth38');
      expect(subscribed.content, 'a plain selftext is unchanged').toBe(
        "As the title says.  I have done a bit of looking around and I can't seem to find an easy way of doing this.  I am simply looking to return a list of my own subscribed subs and then do a quick search through each of them.\n\nThanks",
      );
      expect(subscribed.engagement, 'engagement').toEqual({ score: 2, replies: 5 });

      const japanese = byId(result.items, 't3_4at068');
      expect(japanese.url, 'non-ASCII permalink').toBe(
        'https://www.reddit.com/r/p18s/comments/4at068/たびたび話題になるサイドバーの閲覧中ユーザ数についてまた調べた/',
      );
      expect(japanese.content, 'heading marks and link targets dropped').toMatch(
        /^tl;dr\n\n- https:\/\/github\.com\/reddit\/reddit\/compare\/b71d8b\.\.\.20759d\n- \[reddit change\] 'Users online' text adjusted; value fuzzed for low values; added to JSON API : changelog\n/,
      );
      expect(japanese.content, 'a link text in Japanese, without its URL').toContain(
        'まず、ブラウザのインスペクタで閲覧中ユーザ数',
      );

      expect(result.cursor, 'cursor: the newest created_utc and the post seen then').toEqual({
        since: 1458221634,
        ids: ['t3_4at068'],
      });
    });

    it('sends the search the way Reddit wants it', async () => {
      serveSearch('/search', { '': readFixture('reddit/praw__search_listing.json') });
      await poll(options({ query: 'acme "phone"', userAgent: 'linux:earshot-test:0.1 (by /u/earshot)' }));
      const [search] = searches('/search');
      expect(search, 'one search request').toBeDefined();
      expect(Object.fromEntries(search!.query), 'query parameters').toEqual({
        q: 'acme "phone"',
        sort: 'new',
        t: 'all',
        type: 'link',
        limit: '100',
        raw_json: '1',
      });
      expect(search!.headers.authorization, 'bearer token').toBe(`bearer ${TOKEN_ANSWER.access_token}`);
      expect(search!.headers['user-agent'], 'the configured user agent').toBe(
        'linux:earshot-test:0.1 (by /u/earshot)',
      );
      expect(tokenRequests()[0]?.headers['user-agent'], 'the same user agent on the token request').toBe(
        'linux:earshot-test:0.1 (by /u/earshot)',
      );
    });

    it('praw__subreddit_new_listing: a second poll returns only the newer posts', async () => {
      const real = fixtureListing('praw__subreddit_new_listing.json');
      const children = real.data.children;
      // The earlier poll ran before the 10 newest posts were made.
      let page: Listing = withChildren(real, children.slice(10), real.data.after);
      serveSearch('/r/AskReddit/search', () => page);
      const opts = options({ subreddit: 'AskReddit' });

      const first = await poll(opts);
      expect(first.items.length, 'first poll: one page, 90 posts').toBe(90);
      expect(searches('/r/AskReddit/search').length, 'first poll: one request, no paging').toBe(1);
      expect(
        searches('/r/AskReddit/search')[0]?.query.get('restrict_sr'),
        'restricted to the subreddit',
      ).toBe('1');
      expect(first.cursor, 'cursor after the first poll').toEqual({ since: 1456821144, ids: ['t3_48fb54'] });

      page = real;
      const second = await poll(opts, first.cursor);
      expect(
        second.items.map((i) => i.externalId),
        'second poll: the 10 new posts, newest first',
      ).toEqual(children.slice(0, 10).map((c) => c.data.name));
      expect(searches('/r/AskReddit/search').length, 'the known posts are on page 1: no paging').toBe(2);
      expect(second.cursor, 'cursor advances to the newest post').toEqual({
        since: 1456821458,
        ids: ['t3_48fbm9'],
      });

      const first10 = byId(second.items, 't3_48fbm9');
      expect(first10, 'newest post').toMatchObject({
        url: 'https://www.reddit.com/r/AskReddit/comments/48fbm9/serious_parents_of_reddit_whats_the_biggest_lie/',
        author: 'u/RedHeadQc',
        title: "[Serious] Parents of Reddit, what's the biggest lie about yourself you've told your kids?",
        content: '',
        engagement: { score: 1, replies: 1 },
      });
      expect(first10.publishedAt?.toISOString(), 'created_utc').toBe('2016-03-01T08:37:38.000Z');
    });

    it('keeps an unseen post from the cursor second and skips the seen one', async () => {
      const real = fixtureListing('praw__subreddit_new_listing.json');
      serveSearch('/r/AskReddit/search', { '': real });
      // t3_48f7w5 and t3_48f7w3 were both made at 1456819048.
      const result = await poll(options({ subreddit: 'AskReddit' }), {
        since: 1456819048,
        ids: ['t3_48f7w5'],
      });
      expect(result.items.length, '72 newer posts and the other one of that second').toBe(73);
      expect(result.items.at(-1)?.externalId, 'the unseen post of the cursor second').toBe('t3_48f7w3');
    });

    it('pages with after until the cursor, then stops', async () => {
      const real = fixtureListing('praw__subreddit_new_listing.json');
      const oldest = real.data.children.at(-1)!.data.created_utc as number;
      const page2 = listing(
        [
          post('p2a', oldest - 10),
          post('p2b', oldest - 20),
          post('p2c', oldest - 30),
          post('p2d', oldest - 40),
        ],
        't3_p2d',
      );
      serveSearch('/r/AskReddit/search', { '': real, t3_48f6io: page2 });
      const result = await poll(options({ subreddit: 'AskReddit' }), { since: oldest - 30, ids: ['t3_p2c'] });
      const requests = searches('/r/AskReddit/search');
      expect(
        requests.map((r) => r.query.get('after')),
        'after of each request',
      ).toEqual([null, 't3_48f6io']);
      expect(result.items.length, '100 from page 1 and 2 from page 2').toBe(102);
      expect(
        result.items.slice(-2).map((i) => i.externalId),
        'the page-2 posts newer than the cursor',
      ).toEqual(['t3_p2a', 't3_p2b']);
    });

    it('graw removed thread: a post removed by a moderator is skipped, the cursor still moves', async () => {
      const [postListing] = JSON.parse(
        readFixture('reddit/graw__ThreadRemovedByCategoryModerator_comments_json.json').toString(),
      ) as [Listing];
      expect(postListing.data.children[0]?.data.removed_by_category, 'the fixture is the removed one').toBe(
        'moderator',
      );
      serveSearch('/search', { '': postListing });
      const result = await poll(options());
      expect(result.items, 'nothing to read in a removed post').toEqual([]);
      expect(result.cursor, 'the watermark covers it').toEqual({ since: 1689578012, ids: ['t3_151unk5'] });
    });

    it('graw thread with preview: a link post carries its outbound link as content', async () => {
      const [postListing] = JSON.parse(
        readFixture('reddit/graw__ThreadWithPreview_comments_json.json').toString(),
      ) as [Listing];
      serveSearch('/search', { '': postListing });
      const { items } = await poll(options());
      expect(items, 'one link post').toEqual([
        {
          externalId: 't3_116yyx6',
          url: 'https://www.reddit.com/r/holdmyredbull/comments/116yyx6/_/',
          author: 'u/low-vibe',
          title: '🔥😆',
          content: 'https://v.redd.it/cwx8m5iuc7ja1',
          contentType: 'text',
          publishedAt: new Date(1676871913 * 1000),
          rating: null,
          language: null,
          engagement: { score: 1659, replies: 25 },
        },
      ]);
    });
  },
);

describe('reddit connector: token handling', () => {
  it('fetches the token once for two polls', async () => {
    serveSearch('/search', { '': listing([post('a1', 1_717_000_000)]) });
    const opts = options();
    await poll(opts);
    const second = await poll(opts, { since: 1_717_000_000, ids: ['t3_a1'] });
    expect(second.items, 'nothing new').toEqual([]);
    expect(tokenRequests().length, 'one token request for two polls').toBe(1);
    expect(searches('/search').length, 'two searches').toBe(2);
  });

  it('fetches a new token once the old one is about to expire', async () => {
    serveSearch('/search', { '': listing([post('a2', 1_717_000_000)]) });
    const opts = options();
    await poll(opts);
    await poll(opts, null, testHttpClient(), new Date(NOW.getTime() + 3_550_000));
    expect(tokenRequests().length, 'a token with 50 s left is renewed').toBe(2);
  });

  it('a 401 on search gets one new token and succeeds', async () => {
    issuedTokens = ['revoked-token', 'fresh-token'];
    validTokens = new Set(['fresh-token']);
    serveSearch('/search', { '': listing([post('b1', 1_717_000_000)]) });
    const result = await poll(options());
    expect(
      result.items.map((i) => i.externalId),
      'the search succeeded',
    ).toEqual(['t3_b1']);
    expect(tokenRequests().length, 'one refresh').toBe(2);
    expect(
      searches('/search').map((s) => s.headers.authorization),
      'retried with the new token',
    ).toEqual(['bearer revoked-token', 'bearer fresh-token']);

    await poll(options());
    expect(tokenRequests().length, 'the fresh token is cached').toBe(2);
  });

  it('a 401 that persists after the refresh fails with status 401 (one retry only)', async () => {
    validTokens = new Set();
    serveSearch('/search', { '': listing([]) });
    const error = await failure(poll(options()));
    expect(error.kind, error.message).toBe('http');
    expect(error.status, error.message).toBe(401);
    expect(tokenRequests().length, 'one refresh').toBe(2);
    expect(searches('/search').length, 'two tries').toBe(2);
  });

  it('bad client credentials: 401 from access_token, and no secret in the error', async () => {
    serveSearch('/search', { '': listing([]) });
    const opts = options({ clientSecret: 'wrong-secret-value-99' });
    const error = await failure(poll(opts));
    expect(error.kind, error.message).toBe('http');
    expect(error.status, error.message).toBe(401);
    expect(error.message, 'says what is wrong').toMatch(/client credentials/);
    for (const secret of [
      'wrong-secret-value-99',
      CLIENT_ID,
      Buffer.from(`${CLIENT_ID}:wrong-secret-value-99`).toString('base64'),
    ]) {
      expect(error.message, 'no credential in the message').not.toContain(secret);
      expect(String(error.stack), 'no credential in the stack').not.toContain(secret);
    }
    expect(searches('/search').length, 'no search without a token').toBe(0);
  });

  it('an env credential that is not set fails clearly before any request', async () => {
    const opts = options({ clientSecret: { env: 'REDDIT_SECRET_MISSING' } });
    await expect(poll(opts), 'missing env').rejects.toThrow(/REDDIT_SECRET_MISSING/);
    expect(seen.length, 'no request').toBe(0);
  });

  it('a token answer without access_token → kind "invalid"', async () => {
    upstream.on('/api/v1/access_token', (_req, res) => sendJson(res, { error: 'unsupported_grant_type' }));
    const error = await failure(poll(options()));
    expect(error.kind, error.message).toBe('invalid');
    expect(error.message, 'names the error code').toContain('unsupported_grant_type');
  });

  it('never puts the token or the credentials in items or cursor', async () => {
    serveSearch('/search', { '': listing([post('c1', 1_717_000_000), post('c2', 1_716_000_000)]) });
    const result = await poll(options());
    const text = JSON.stringify(result);
    for (const secret of [TOKEN_ANSWER.access_token, CLIENT_SECRET, CLIENT_ID])
      expect(text, 'no credential in the result').not.toContain(secret);
  });
});

describe('reddit connector on synthetic listings', () => {
  it('skips removed and deleted posts, keeps a post whose author deleted the account', async () => {
    serveSearch('/search', {
      '': listing([
        post('r1', 1_717_000_050, { author: '[deleted]', selftext: '[removed]' }),
        post('r2', 1_717_000_040, { author: '[deleted]', selftext: '[deleted]' }),
        post('r3', 1_717_000_030, { removed_by_category: 'deleted' }),
        post('r4', 1_717_000_020, { author: '[deleted]', selftext: 'Still **here**' }),
        post('r5', 1_717_000_010),
      ]),
    });
    const result = await poll(options());
    expect(
      result.items.map((i) => i.externalId),
      'kept posts',
    ).toEqual(['t3_r4', 't3_r5']);
    expect(byId(result.items, 't3_r4').author, 'no handle for a deleted account').toBeNull();
    expect(byId(result.items, 't3_r4').content, 'markdown emphasis dropped').toBe('Still here');
    expect(result.cursor, 'the newest (removed) post still moves the watermark').toEqual({
      since: 1_717_000_050,
      ids: ['t3_r1'],
    });
  });

  it('skips malformed children without losing the page', async () => {
    serveSearch('/search', {
      '': listing([
        null,
        { kind: 't1', data: { name: 't1_comment', created_utc: 1_717_000_100 } },
        { kind: 't3', data: 'not an object' },
        post('noname', 1_717_000_090, { name: 42 }),
        post('nodate', 1_717_000_080, { created_utc: 'yesterday' }),
        // Nothing readable: no title, no selftext, and a link that is not a web link.
        post('unreadable', 1_717_000_070, {
          title: 17,
          selftext: null,
          is_self: false,
          url: 'javascript:alert(1)',
        }),
        post('float', 1_676_871_913.0),
      ]),
    });
    const { items } = await poll(options());
    expect(
      items.map((i) => i.externalId),
      'kept posts',
    ).toEqual(['t3_float']);
    expect(items[0]?.publishedAt?.toISOString(), 'a float created_utc').toBe('2023-02-20T05:45:13.000Z');
  });

  it('degrades odd fields to null instead of dropping the post', async () => {
    serveSearch('/search', {
      '': listing([
        post('odd', 1_717_000_070, {
          author: null,
          permalink: 'https://evil.example/x',
          score: 'many',
          num_comments: -1,
          lang: 'EN',
        }),
      ]),
    });
    const [odd] = (await poll(options())).items;
    expect(odd?.author, 'no author').toBeNull();
    expect(odd?.url, 'a permalink that is not a reddit path is not used').toBeNull();
    expect(odd?.engagement, 'a non-numeric score and a negative count are dropped').toBeNull();
    expect(odd?.language, 'declared lang, lower-cased').toBe('en');
    expect(odd?.content, 'the selftext is still there').toBe('Body of odd');
  });

  it('an item with neither title nor text is skipped', async () => {
    serveSearch('/search', { '': listing([post('empty', 1_717_000_000, { title: '', selftext: '' })]) });
    expect((await poll(options())).items, 'nothing to read').toEqual([]);
  });

  it('stops after the page cap', async () => {
    let n = 0;
    serveSearch('/search', () => {
      n++;
      return listing(
        [post(`cap${n}a`, 1_717_000_000 - n * 10), post(`cap${n}b`, 1_717_000_000 - n * 10 - 5)],
        `t3_cap${n}b`,
      );
    });
    const result = await poll(options(), { since: 1_600_000_000, ids: [] });
    expect(searches('/search').length, 'pages requested').toBe(REDDIT_MAX_PAGES);
    expect(result.items.length, '2 per page').toBe(2 * REDDIT_MAX_PAGES);
    expect(result.cursor, 'cursor at the newest post').toEqual({ since: 1_716_999_990, ids: ['t3_cap1a'] });
  });

  it('ignores a cursor of the wrong shape (a first poll: one page)', async () => {
    serveSearch('/search', {
      '': listing([post('w1', 1_717_000_000)], 't3_w1'),
      t3_w1: listing([post('w0', 1_716_000_000)]),
    });
    const result = await poll(options(), { since: 'yesterday' });
    expect(
      result.items.map((i) => i.externalId),
      'page 1 only',
    ).toEqual(['t3_w1']);
    expect(searches('/search').length, 'one request').toBe(1);
  });

  it('keeps the cursor when nothing is found', async () => {
    serveSearch('/search', { '': listing([]) });
    const cursor = { since: 1_717_000_000, ids: ['t3_x'] };
    const result = await poll(options(), cursor);
    expect(result, 'empty result').toEqual({ items: [], cursor, notModified: false });
  });
});

describe('reddit connector: rate limits', () => {
  it('stops paging when no request is left, then backs off with a 429 until the reset', async () => {
    serveSearch(
      '/search',
      { '': listing([post('l1', 1_717_000_020), post('l2', 1_717_000_010)], 't3_l2'), t3_l2: listing([]) },
      { 'x-ratelimit-remaining': '0.0', 'x-ratelimit-used': '100', 'x-ratelimit-reset': '120' },
    );
    const opts = options();
    const result = await poll(opts, { since: 1_600_000_000, ids: [] });
    expect(result.items.length, 'the fetched page is returned').toBe(2);
    expect(searches('/search').length, 'no second page with nothing left').toBe(1);

    const error = await failure(
      poll(opts, result.cursor, testHttpClient(), new Date(NOW.getTime() + 20_000)),
    );
    expect(error.kind, error.message).toBe('http');
    expect(error.status, error.message).toBe(429);
    expect(error.retryAfterMs, 'until the reset').toBe(100_000);
    expect(searches('/search').length, 'no request while exhausted').toBe(1);

    const later = await poll(opts, result.cursor, testHttpClient(), new Date(NOW.getTime() + 121_000));
    expect(later.items, 'after the reset the search runs again').toEqual([]);
    expect(searches('/search').length, 'one more request').toBe(2);
  });

  it('keeps paging while requests remain', async () => {
    serveSearch(
      '/search',
      { '': listing([post('m1', 1_717_000_020)], 't3_m1'), t3_m1: listing([post('m2', 1_717_000_010)]) },
      { 'x-ratelimit-remaining': '57.0', 'x-ratelimit-used': '43', 'x-ratelimit-reset': '300' },
    );
    const result = await poll(options(), { since: 1_600_000_000, ids: [] });
    expect(
      result.items.map((i) => i.externalId),
      'both pages',
    ).toEqual(['t3_m1', 't3_m2']);
  });
});

describeUpstreamFailures('reddit connector', {
  upstream: () => upstream,
  endpoint: (key) => ({
    path: `/r/${key}/search`,
    fetch: (client) => poll(options({ subreddit: key }), null, client),
  }),
  validBody: listing([post('ok1', 1_717_000_000)]),
  expectValid: (result) =>
    expect(
      result.items.map((i) => i.externalId),
      'the retry succeeded',
    ).toEqual(['t3_ok1']),
  httpStatuses: [403, 404, 500],
  onHttpError: (_error, status) =>
    expect(tokenRequests().length, `a ${status} is not a token problem`).toBe(1),
});

describe('reddit connector failures', () => {
  it.each([
    ['a JSON array', []],
    ['not a Listing', { kind: 't3', data: {} }],
    ['children not a list', { kind: 'Listing', data: { children: {} } }],
  ])('a page of the wrong shape (%s) → kind "invalid"', async (label, body) => {
    serveSearch('/search', { '': body });
    const error = await failure(poll(options()));
    expect(error.kind, `${label}: ${error.message}`).toBe('invalid');
  });
});

describe('reddit options', () => {
  it('applies the defaults', () => {
    expect(
      RedditOptions.parse({ query: ' acme ', clientId: 'id', clientSecret: { env: 'REDDIT_SECRET' } }),
      'defaults',
    ).toEqual({
      query: 'acme',
      clientId: 'id',
      clientSecret: { env: 'REDDIT_SECRET' },
      baseUrl: 'https://oauth.reddit.com',
      authBaseUrl: 'https://www.reddit.com',
    });
  });

  it('accepts a multi-subreddit search', () => {
    expect(
      RedditOptions.safeParse({
        query: 'acme',
        subreddit: 'gadgets+Android',
        clientId: 'a',
        clientSecret: 'b',
      }).success,
      'a+b',
    ).toBe(true);
  });

  it.each([
    ['no query', { clientId: 'a', clientSecret: 'b' }],
    ['an empty query', { query: '  ', clientId: 'a', clientSecret: 'b' }],
    ['no clientSecret', { query: 'acme', clientId: 'a' }],
    ['a subreddit with r/', { query: 'acme', subreddit: 'r/gadgets', clientId: 'a', clientSecret: 'b' }],
    [
      'a subreddit with a slash',
      { query: 'acme', subreddit: 'gadgets/new', clientId: 'a', clientSecret: 'b' },
    ],
    ['a lower-case env name', { query: 'acme', clientId: 'a', clientSecret: { env: 'secret' } }],
    ['a non-http baseUrl', { query: 'acme', clientId: 'a', clientSecret: 'b', baseUrl: 'file:///etc' }],
    ['an unknown option', { query: 'acme', clientId: 'a', clientSecret: 'b', sort: 'hot' }],
  ])('rejects %s', (label, value) => {
    expect(RedditOptions.safeParse(value).success, label).toBe(false);
  });
});

describe('markdownToText', () => {
  it.each([
    ['# Title\n\ntext', 'Title\n\ntext'],
    ['**bold**, *it*, _it_, ~~gone~~ and `code`', 'bold, it, it, gone and code'],
    ['snake_case_name and 2*3*4 stay', 'snake_case_name and 2*3*4 stay'],
    ['[Acme site](https://acme.example/x_(y)) and ![img](https://i.example/a.png)', 'Acme site and img'],
    ['> quoted\n>> twice', 'quoted\ntwice'],
    ['* one\n+ two\n- three', '- one\n- two\n- three'],
    ['a\n\n---\n\nb', 'a\n\nb'],
    ['| a | b |\n|---|:-:|\n| 1 | 2 |', 'a | b\n1 | 2'],
    ['`*args*` and `_x_`', '*args* and _x_'],
    ['```\n**kept** as is\n```', '**kept** as is'],
    ['>!spoiler!< and ^(super script) and ^up', 'spoiler and super script and up'],
    ['AT&amp;T &#x200B; &lt;3 &#8364;', 'AT&T \u200b <3 €'],
    ['escaped \\*stars\\* and \\_under\\_', 'escaped *stars* and _under_'],
  ])('%j', (markdown, text) => {
    expect(markdownToText(markdown), JSON.stringify(markdown)).toBe(text);
  });
});
