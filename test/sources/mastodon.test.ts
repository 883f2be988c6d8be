import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../sources/http.ts';
import { compareStatusIds, MastodonOptions, mastodonSource } from '../../sources/mastodon.ts';
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

// After every recorded status (the newest is 2026-08-01T13:55:55Z).
const NOW = new Date('2026-08-02T00:00:00Z');
const TIMELINE = '/api/v1/timelines/tag';

let upstream: FakeUpstream;
let prefixes = 0;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream.close();
});

/** A fresh instance base URL on the fake upstream, so tests do not share handlers or cursors. */
function instance(): { base: string; path: (p: string) => string } {
  const prefix = `/i${++prefixes}`;
  return { base: upstream.url(prefix), path: (p) => `${prefix}${p}` };
}

type Status = Record<string, any>;
type Wrapped = { _request: string; _response_headers: Record<string, string[]>; body: any };

function wrapped(name: string): Wrapped {
  return JSON.parse(readFixture(`mastodon/${name}`).toString('utf8')) as Wrapped;
}

/** The recorded response headers worth replaying (no hop-by-hop or encoding headers). */
function replayHeaders(recorded: Record<string, string[]>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(recorded)) {
    if (/^(date|content-length|content-encoding|transfer-encoding|connection)$/i.test(name)) continue;
    if (values[0] !== undefined) headers[name.toLowerCase()] = values[0];
  }
  return headers;
}

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://x').searchParams;
}

/** Records the query string of every request a handler answers. */
function recording(
  seen: URLSearchParams[],
  handler: (params: URLSearchParams, req: IncomingMessage, res: ServerResponse) => void,
): Handler {
  return (req, res) => {
    const params = query(req);
    seen.push(params);
    handler(params, req, res);
  };
}

function fetchNew(
  options: Record<string, unknown>,
  overrides: { cursor?: Json | null; http?: HttpClient; secrets?: Record<string, string> } = {},
): Promise<FetchResult> {
  const parsed = MastodonOptions.parse(options);
  return mastodonSource.fetchNew(fetchContext(parsed, { now: NOW, http: testHttpClient(), ...overrides }));
}

function byId(items: RawItem[], externalId: string): RawItem {
  const item = items.find((candidate) => candidate.externalId === externalId);
  if (!item)
    throw new Error(
      `no item ${JSON.stringify(externalId)} among ${JSON.stringify(items.map((i) => i.externalId))}`,
    );
  return item;
}

function streams(cursor: Json | null): Record<string, string> {
  return ((cursor as Record<string, Json>)?.streams ?? {}) as Record<string, string>;
}

function warnings(cursor: Json | null): string[] {
  return ((cursor as Record<string, Json>)?.warnings ?? []) as string[];
}

/** A synthetic status shaped like the recorded ones. */
function status(id: string, overrides: Status = {}): Status {
  return {
    id,
    created_at: '2026-08-01T12:00:00.000Z',
    spoiler_text: '',
    visibility: 'public',
    language: 'en',
    uri: `https://remote.example/users/alice/statuses/${id}`,
    url: `https://remote.example/@alice/${id}`,
    replies_count: 0,
    reblogs_count: 0,
    favourites_count: 0,
    content: `<p>status ${id}</p>`,
    reblog: null,
    account: { id: '1', username: 'alice', acct: 'alice@remote.example', followers_count: 10 },
    ...overrides,
  };
}

describe.skipIf(!hasFixtures)(
  `mastodon on recorded payloads${hasFixtures ? '' : ` (${SKIP_REASON})`}`,
  () => {
    it('timelines_tag_hoot.json: maps a hashtag-timeline status field by field', async () => {
      const { base, path } = instance();
      const recorded = wrapped('mastodonpy__timelines_tag_hoot.json');
      const seen: URLSearchParams[] = [];
      upstream.on(
        path(`${TIMELINE}/hoot`),
        recording(seen, (_p, req, res) =>
          json(recorded.body, replayHeaders(recorded._response_headers))(req, res),
        ),
      );
      const result = await fetchNew({ instances: [base], hashtags: ['hoot'] });

      expect(seen[0]?.get('limit'), 'asks for the maximum page').toBe('40');
      expect(seen[0]?.has('min_id'), 'the first poll has no min_id').toBe(false);
      expect(result.items.length, 'one status on the #hoot timeline').toBe(1);
      const item = result.items[0]!;
      expect(item.externalId, 'externalId is the ActivityPub uri').toBe(
        'http://localhost:3000/ap/users/117020566092212359/statuses/117020593741189701',
      );
      expect(item.url, 'url is the status page').toBe(
        'http://localhost:3000/@mastodonpy_test_2/117020593741189701',
      );
      expect(item.author, 'a local acct is qualified with the instance host').toBe(
        'mastodonpy_test_2@127.0.0.1',
      );
      expect(item.title, 'statuses have no title').toBeNull();
      expect(item.content, 'the status HTML').toBe(
        '<p><a href="http://localhost:3000/tags/hoot" class="mention hashtag" rel="tag">#<span>hoot</span></a> (hashtag toot)</p>',
      );
      expect(item.contentType, 'status content is HTML').toBe('html');
      expect(normaliseItem(item)?.text, 'the normaliser turns the hashtag markup into text').toBe(
        '#hoot (hashtag toot)',
      );
      expect(item.publishedAt?.toISOString(), 'created_at').toBe('2026-08-01T13:55:55.867Z');
      expect(item.language, 'the (client-set) language').toBe('ja');
      expect(item.rating, 'not a review').toBeNull();
      expect(item.engagement, 'counts and followers').toEqual({
        likes: 0,
        reposts: 0,
        replies: 0,
        authorFollowers: 0,
      });
      expect(streams(result.cursor), 'the cursor keeps the newest id of the stream').toEqual({
        [`${base} tag:hoot`]: '117020593741189701',
      });
    });

    it('timelines_public_anonymous.json: eight statuses, mentions markup, two accounts', async () => {
      const { base, path } = instance();
      const recorded = wrapped('mastodonpy__timelines_public_anonymous.json');
      upstream.on(path(`${TIMELINE}/planes`), json(recorded.body, replayHeaders(recorded._response_headers)));
      const { items, cursor } = await fetchNew({ instances: [base], hashtags: ['planes'] });

      expect(items.length, 'all eight statuses').toBe(8);
      const plane = byId(
        items,
        'http://localhost:3000/ap/users/117020565693913441/statuses/117020588242324937',
      );
      expect(plane.content, 'entities stay encoded in the HTML').toBe(
        '<p>on the internet, nobody knows you&#39;re a plane</p>',
      );
      expect(plane.author, 'admin, qualified').toBe('admin@127.0.0.1');
      expect(plane.language, 'en').toBe('en');
      expect(plane.publishedAt?.toISOString(), 'created_at').toBe('2026-08-01T13:54:31.959Z');
      expect(plane.engagement?.authorFollowers, 'admin has one follower').toBe(1);
      const mention = byId(
        items,
        'http://localhost:3000/ap/users/117020565693913441/statuses/117020588169351887',
      );
      expect(mention.content, 'an h-card mention is kept as HTML for the normaliser').toContain(
        'class="h-card"',
      );
      expect(streams(cursor)[`${base} tag:planes`], 'the newest id of the page').toBe('117020593134559451');
    });

    it('mastodon.social search: remote statuses, token sent, search parameters', async () => {
      const { base, path } = instance();
      const recorded = wrapped('mastodonpy__mastodon.social_search_v2_q_halcy.json');
      const seen: URLSearchParams[] = [];
      let authorization: string | undefined;
      upstream.on(
        path('/api/v2/search'),
        recording(seen, (_p, req, res) => {
          authorization = req.headers.authorization;
          json(recorded.body, replayHeaders(recorded._response_headers))(req, res);
        }),
      );
      const { items, cursor } = await fetchNew(
        { instances: [base], query: 'halcy', accessToken: { env: 'MASTODON_TOKEN' } },
        { secrets: { MASTODON_TOKEN: 'tok-123' } },
      );

      expect(authorization, 'the token goes in the Authorization header').toBe('Bearer tok-123');
      const params = seen[0]!;
      expect(Object.fromEntries(params), 'search parameters: statuses only, no resolving, max page').toEqual({
        q: 'halcy',
        type: 'statuses',
        resolve: 'false',
        limit: '40',
      });
      expect(items.length, 'the two statuses (accounts and hashtags are ignored)').toBe(2);
      const greg = byId(items, 'https://icosahedron.website/users/greg/statuses/116388148912635764');
      expect(greg.url, 'the remote status page').toBe('https://icosahedron.website/@greg/116388148912635764');
      expect(greg.author, 'a remote acct is already qualified').toBe('greg@icosahedron.website');
      expect(greg.publishedAt?.toISOString(), 'created_at').toBe('2026-04-11T21:16:53.000Z');
      expect(greg.engagement, 'counts as this instance saw them').toEqual({
        likes: 0,
        reposts: 0,
        replies: 1,
        authorFollowers: 455,
      });
      const jo = byId(items, 'https://social.sublingual.xyz/users/Jo/statuses/116388107097123650');
      expect(jo.engagement, 'Jo: 4 favourites, 1 reblog').toEqual({
        likes: 4,
        reposts: 1,
        replies: 0,
        authorFollowers: 893,
      });
      expect(streams(cursor), 'the cursor keeps the instance-local id, not the uri').toEqual({
        [`${base} search:halcy`]: '116388149027005349',
      });
      expect(JSON.stringify(cursor), 'the token is never in the cursor').not.toContain('tok-123');
    });

    it('mastodon.social statuses: content warning prepended, edited status, local and remote accounts', async () => {
      const { base, path } = instance();
      const recorded = JSON.parse(
        readFixture('mastodon/mastodonpy__mastodon.social_statuses.json').toString(),
      );
      const bodies = (recorded as Wrapped[]).map((entry) => entry.body);
      upstream.on(path(`${TIMELINE}/ThisIsAHashtag`), json(bodies));
      const { items } = await fetchNew({ instances: [base], hashtags: ['ThisIsAHashtag'] });

      const warned = byId(items, 'https://icosahedron.website/users/halcy/statuses/110446222386355655');
      expect(
        warned.content.startsWith('<p>test post for mastodon.py stuff</p><p><span class="h-card">'),
        warned.content,
      ).toBe(true);
      expect(warned.author, 'remote account').toBe('halcy@icosahedron.website');
      expect(warned.language, 'language as declared').toBe('de');
      expect(warned.publishedAt?.toISOString(), 'created_at, not edited_at').toBe('2023-05-28T12:06:50.000Z');
      expect(warned.engagement, 'one favourite; 3553 followers').toEqual({
        likes: 1,
        reposts: 0,
        replies: 0,
        authorFollowers: 3553,
      });
      const local = byId(items, 'https://mastodon.social/users/halcy/statuses/110446183735368325');
      expect(local.content, 'no warning: content only').toBe('<p>test?</p>');
      expect(local.author, 'a local acct gets the polled instance host').toBe('halcy@127.0.0.1');
    });

    it('a reblog yields the original post (its uri, author, counts)', async () => {
      const { base, path } = instance();
      const original = (
        JSON.parse(readFixture('mastodon/mastodonpy__mastodon.social_statuses.json').toString()) as Wrapped[]
      )[0]!.body;
      const reblog = status('900', {
        uri: 'https://127.0.0.1/users/booster/statuses/900/activity',
        url: null,
        content: '',
        account: { acct: 'booster', followers_count: 2 },
        reblog: original,
      });
      upstream.on(path(`${TIMELINE}/boosted`), json([reblog]));
      const { items, cursor } = await fetchNew({ instances: [base], hashtags: ['boosted'] });
      expect(
        items.map((i) => i.externalId),
        'the original uri',
      ).toEqual(['https://icosahedron.website/users/halcy/statuses/110446222386355655']);
      expect(items[0]?.author, 'the original author, not the booster').toBe('halcy@icosahedron.website');
      expect(items[0]?.url, 'the original url').toBe('https://icosahedron.website/@halcy/110446222386355655');
      expect(streams(cursor)[`${base} tag:boosted`], 'paging uses the reblog entry id').toBe('900');
    });

    it('the same post on two instances and via hashtag + search is one item', async () => {
      const a = instance();
      const b = instance();
      const recorded = wrapped('mastodonpy__mastodon.social_search_v2_q_halcy.json').body
        .statuses as Status[];
      const greg = recorded[0]!;
      // Instance B knows the same post under its own id, with more favourites.
      const gregOnB = { ...greg, id: '5', favourites_count: 7 };
      upstream.on(a.path(`${TIMELINE}/halcy`), json([greg]));
      upstream.on(a.path('/api/v2/search'), json({ accounts: [], statuses: recorded, hashtags: [] }));
      upstream.on(b.path(`${TIMELINE}/halcy`), json([gregOnB]));
      upstream.on(b.path('/api/v2/search'), json({ accounts: [], statuses: [], hashtags: [] }));
      const { items, cursor } = await fetchNew({
        instances: [a.base, b.base],
        hashtags: ['halcy'],
        query: 'halcy',
        accessToken: 'tok',
      });
      expect(items.map((i) => i.externalId).sort(), 'greg once, Jo once').toEqual([
        'https://icosahedron.website/users/greg/statuses/116388148912635764',
        'https://social.sublingual.xyz/users/Jo/statuses/116388107097123650',
      ]);
      const merged = byId(items, 'https://icosahedron.website/users/greg/statuses/116388148912635764');
      expect(merged.engagement?.likes, 'the highest count any instance saw').toBe(7);
      expect(merged.engagement?.replies, 'replies kept').toBe(1);
      expect(streams(cursor), 'ids per instance').toEqual({
        [`${a.base} tag:halcy`]: '116388149027005349',
        [`${a.base} search:halcy`]: '116388149027005349',
        [`${b.base} tag:halcy`]: '5',
      });
    });
  },
);

describe.skipIf(!hasFixtures)(`mastodon incremental polls${hasFixtures ? '' : ` (${SKIP_REASON})`}`, () => {
  it('sends min_id from the cursor and returns only the newer statuses', async () => {
    const { base, path } = instance();
    const all = wrapped('mastodonpy__timelines_public_anonymous.json').body as Status[];
    // The earlier poll saw the four oldest statuses; the newest-first page of the next poll has the rest.
    const older = all.slice(4);
    const newer = all.slice(0, 4);
    const seen: URLSearchParams[] = [];
    upstream.on(
      path(`${TIMELINE}/planes`),
      recording(seen, (params, req, res) => {
        const minId = params.get('min_id');
        const page = minId === null ? older : minId === older[0]!.id ? newer : [];
        json(page, { 'x-ratelimit-remaining': '250' })(req, res);
      }),
    );
    const options = { instances: [base], hashtags: ['planes'] };
    const first = await fetchNew(options);
    expect(first.items.length, 'first poll: the older four').toBe(4);
    const key = `${base} tag:planes`;
    expect(streams(first.cursor)[key], 'cursor = newest id seen').toBe('117020588169351887');

    const second = await fetchNew(options, { cursor: first.cursor });
    expect(seen[1]?.get('min_id'), 'the cursor id is sent as min_id').toBe('117020588169351887');
    expect(
      second.items.map((i) => i.externalId),
      'only the four newer statuses',
    ).toEqual(newer.map((s) => s.uri));
    expect(streams(second.cursor)[key], 'the cursor advances to the newest').toBe('117020593134559451');
    expect(seen.length, 'a short page ends the poll').toBe(2);

    const third = await fetchNew(options, { cursor: second.cursor });
    expect(seen[2]?.get('min_id'), 'next poll asks past the newest').toBe('117020593134559451');
    expect(third.items, 'nothing new').toEqual([]);
    expect(streams(third.cursor)[key], 'the cursor stays').toBe('117020593134559451');
  });
});

describe('mastodon paging and edge cases', () => {
  it('pages forward with min_id while pages are full, the first poll reads one page', async () => {
    const { base, path } = instance();
    // 100 statuses with ids 1001..1100; min_id answers the 40 just above it, newest first.
    const statuses = Array.from({ length: 100 }, (_, i) => status(String(1001 + i)));
    const seen: URLSearchParams[] = [];
    upstream.on(
      path(`${TIMELINE}/acme`),
      recording(seen, (params, req, res) => {
        const minId = params.get('min_id');
        const above = minId === null ? statuses : statuses.filter((s) => Number(s.id) > Number(minId));
        const page = minId === null ? above.slice(-40) : above.slice(0, 40);
        json(page.reverse())(req, res);
      }),
    );
    const options = { instances: [base], hashtags: ['acme'] };
    const first = await fetchNew(options);
    expect(seen.length, 'one request on the first poll').toBe(1);
    expect(first.items.length, 'the newest 40').toBe(40);
    expect(streams(first.cursor)[`${base} tag:acme`], 'newest id').toBe('1100');

    const cursor = { streams: { [`${base} tag:acme`]: '1010' } };
    const later = await fetchNew(options, { cursor });
    expect(
      seen.slice(1).map((p) => p.get('min_id')),
      'min_id walks forward page by page until a short page',
    ).toEqual(['1010', '1050', '1090']);
    expect(later.items.length, '1011..1100').toBe(90);
    expect(streams(later.cursor)[`${base} tag:acme`], 'newest id').toBe('1100');
  });

  it('stops after five pages per stream and resumes from there next poll', async () => {
    const { base, path } = instance();
    const seen: URLSearchParams[] = [];
    upstream.on(
      path(`${TIMELINE}/busy`),
      recording(seen, (params, req, res) => {
        const from = Number(params.get('min_id') ?? 0);
        json(Array.from({ length: 40 }, (_, i) => status(String(from + 40 - i))))(req, res);
      }),
    );
    const result = await fetchNew(
      { instances: [base], hashtags: ['busy'] },
      { cursor: { streams: { [`${base} tag:busy`]: '1000' } } },
    );
    expect(seen.length, 'five pages at most').toBe(5);
    expect(result.items.length, '5 × 40').toBe(200);
    expect(streams(result.cursor)[`${base} tag:busy`], 'the next poll resumes here').toBe('1200');
  });

  it('drops statuses the cursor already covers when a server ignores min_id', async () => {
    const { base, path } = instance();
    upstream.on(path(`${TIMELINE}/old`), json([status('30'), status('20'), status('10')]));
    const result = await fetchNew(
      { instances: [base], hashtags: ['old'] },
      { cursor: { streams: { [`${base} tag:old`]: '20' } } },
    );
    expect(
      result.items.map((i) => i.externalId),
      'only id 30',
    ).toEqual(['https://remote.example/users/alice/statuses/30']);
  });

  it('skips malformed statuses and keeps the rest', async () => {
    const { base, path } = instance();
    upstream.on(
      path(`${TIMELINE}/messy`),
      json([
        null,
        'a string',
        status('5', { uri: null }),
        status('6', { content: 42, spoiler_text: null }),
        status('7', {
          account: null,
          created_at: 'yesterday',
          language: 'not a language!',
          favourites_count: -3,
          reblogs_count: 'many',
          url: 'javascript:alert(1)',
        }),
        status('8', { spoiler_text: 'CW <b>&', content: '<p>body</p>' }),
      ]),
    );
    const { items } = await fetchNew({ instances: [base], hashtags: ['messy'] });
    expect(
      items.map((i) => i.externalId),
      'statuses 7 and 8 survive',
    ).toEqual([
      'https://remote.example/users/alice/statuses/7',
      'https://remote.example/users/alice/statuses/8',
    ]);
    const odd = items[0]!;
    expect(odd.author, 'no account').toBeNull();
    expect(odd.publishedAt, 'unreadable date').toBeNull();
    expect(odd.language, 'invalid language tag').toBeNull();
    expect(odd.url, 'a javascript: url falls back to the uri').toBe(
      'https://remote.example/users/alice/statuses/7',
    );
    expect(odd.engagement, 'only sane counts').toEqual({ replies: 0 });
    expect(items[1]?.content, 'the warning is escaped plain text').toBe(
      '<p>CW &lt;b&gt;&amp;</p><p>body</p>',
    );
  });

  it('compares snowflake ids numerically, and refuses to order opaque ids', () => {
    expect(compareStatusIds('99', '100'), 'shorter is older').toBeLessThan(0);
    expect(compareStatusIds('117020593741189701', '117020593134559451'), 'same length').toBeGreaterThan(0);
    expect(compareStatusIds('AbC', '100'), 'opaque').toBeNull();
  });
});

describe('mastodon instances failing independently', () => {
  it('keeps the other instances items and the failed instance cursor', async () => {
    const good = instance();
    const bad = instance();
    upstream.on(good.path(`${TIMELINE}/acme`), json([status('12'), status('11')]));
    upstream.on(bad.path(`${TIMELINE}/acme`), json({ error: 'boom' }, {}, 500));
    const cursor = {
      streams: { [`${good.base} tag:acme`]: '10', [`${bad.base} tag:acme`]: '777' },
    };
    const result = await fetchNew({ instances: [good.base, bad.base], hashtags: ['acme'] }, { cursor });
    expect(result.items.length, 'the good instance items').toBe(2);
    expect(streams(result.cursor), 'good advances, bad keeps its cursor').toEqual({
      [`${good.base} tag:acme`]: '12',
      [`${bad.base} tag:acme`]: '777',
    });
    expect(warnings(result.cursor).join('\n'), 'the failure is recorded in the cursor').toMatch(/HTTP 500/);
  });

  it('throws the first error when every instance fails', async () => {
    const a = instance();
    const b = instance();
    upstream.on(b.path(`${TIMELINE}/acme`), json({ error: 'boom' }, {}, 500));
    const error = await failure(fetchNew({ instances: [a.base, b.base], hashtags: ['acme'] }));
    expect(error.kind, error.message).toBe('http');
    expect(error.status, 'the first instance (404) is reported').toBe(404);
  });

  it('a restricted hashtag timeline (401) says so', async () => {
    const { base, path } = instance();
    upstream.on(
      path(`${TIMELINE}/acme`),
      json({ error: 'This API requires an authenticated user' }, {}, 401),
    );
    const error = await failure(fetchNew({ instances: [base], hashtags: ['acme'] }));
    expect(error.status, error.message).toBe(401);
    expect(error.message, 'explains the restriction').toMatch(
      /does not serve the #acme timeline to anonymous/,
    );
  });

  it('search refused without a token: a clear error, hashtags still delivered', async () => {
    const { base, path } = instance();
    upstream.on(path(`${TIMELINE}/acme`), json([status('3')]));
    upstream.on(path('/api/v2/search'), json({ error: 'The access token is invalid' }, {}, 401));
    const result = await fetchNew({ instances: [base], hashtags: ['acme'], query: 'acme corp' });
    expect(result.items.length, 'the hashtag timeline still counts').toBe(1);
    expect(warnings(result.cursor).join('\n'), 'the search failure is recorded').toMatch(
      /HTTP 401.*needs an accessToken/,
    );
    expect(
      streams(result.cursor)[`${base} search:acme corp`],
      'no cursor for the failed search',
    ).toBeUndefined();

    const only = await failure(fetchNew({ instances: [base], query: 'acme corp' }));
    expect(only.status, only.message).toBe(401);
    expect(only.message, 'search-only source fails with the explanation').toMatch(/needs an accessToken/);
  });

  it.skipIf(!hasFixtures)(
    `empty search results without a token are recorded ${hasFixtures ? '' : SKIP_REASON}`,
    async () => {
      const { base, path } = instance();
      const recorded = wrapped('mastodonpy__search_v2_statuses_empty.json');
      upstream.on(path('/api/v2/search'), json(recorded.body, replayHeaders(recorded._response_headers)));
      const result = await fetchNew({ instances: [base], query: 'mastodonpy_test' });
      expect(result.items, 'no statuses').toEqual([]);
      expect(warnings(result.cursor).join('\n'), 'a hint about the missing token').toMatch(
        /found nothing without an accessToken/,
      );
    },
  );

  it('sends the token only to its own instance', async () => {
    const home = instance();
    const other = instance();
    const auth: Record<string, string | undefined> = {};
    for (const [name, inst] of [
      ['home', home],
      ['other', other],
    ] as const) {
      upstream.on(inst.path(`${TIMELINE}/acme`), (req, res) => {
        auth[name] = req.headers.authorization;
        json([])(req, res);
      });
    }
    await fetchNew({
      instances: [other.base, home.base],
      hashtags: ['acme'],
      accessToken: 'secret-token',
      accessTokenInstance: home.base,
    });
    expect(auth, 'Authorization only on the home instance').toEqual({
      home: 'Bearer secret-token',
      other: undefined,
    });
  });
});

describe('mastodon rate limits', () => {
  it('stops an instance at X-RateLimit-Remaining 0 and skips it until the reset', async () => {
    const { base, path } = instance();
    const seen: URLSearchParams[] = [];
    upstream.on(
      path(`${TIMELINE}/one`),
      recording(seen, (_p, req, res) =>
        json(
          Array.from({ length: 40 }, (_, i) => status(String(2040 - i))),
          {
            'x-ratelimit-limit': '300',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': '2026-08-02T00:03:00.000Z',
          },
        )(req, res),
      ),
    );
    upstream.on(
      path(`${TIMELINE}/two`),
      recording(seen, (_p, req, res) => json([])(req, res)),
    );
    const options = { instances: [base], hashtags: ['one', 'two'] };
    const first = await fetchNew(options, { cursor: { streams: { [`${base} tag:one`]: '2000' } } });
    expect(seen.length, 'no second page and no second tag after remaining 0').toBe(1);
    expect(first.items.length, 'the page already fetched is kept').toBe(40);
    expect((first.cursor as Record<string, Json>).limitedUntil, 'the reset is remembered').toEqual({
      [base]: '2026-08-02T00:03:00.000Z',
    });

    const error = await failure(fetchNew(options, { cursor: first.cursor }));
    expect(seen.length, 'no request before the reset').toBe(1);
    expect(error.status, error.message).toBe(429);
    expect(error.retryAfterMs, 'wait until the reset').toBe(180_000);
  });
});

describeUpstreamFailures('mastodon', {
  upstream: () => upstream,
  endpoint: () => {
    const { base, path } = instance();
    return {
      path: path(`${TIMELINE}/acme`),
      fetch: (http) => fetchNew({ instances: [base], hashtags: ['acme'] }, { http }),
    };
  },
  validBody: [status('1')],
  expectValid: (result) => expect(result.items.length, 'the retry succeeded').toBe(1),
});

describe('mastodon upstream failures', () => {
  const options = (base: string) => ({ instances: [base], hashtags: ['acme'] });

  it('JSON of the wrong shape (timeline or search) is kind "invalid"', async () => {
    const shape = instance();
    upstream.on(shape.path(`${TIMELINE}/acme`), json({ error: 'Record not found' }));
    const wrong = await failure(fetchNew(options(shape.base)));
    expect(wrong.kind, wrong.message).toBe('invalid');
    expect(wrong.message, 'says what was expected').toMatch(/expected an array of statuses/);

    const search = instance();
    upstream.on(search.path('/api/v2/search'), json([]));
    const badSearch = await failure(fetchNew({ instances: [search.base], query: 'acme' }));
    expect(badSearch.kind, badSearch.message).toBe('invalid');
  });

  it('ignores a cursor of the wrong shape', async () => {
    const { base, path } = instance();
    const seen: URLSearchParams[] = [];
    upstream.on(
      path(`${TIMELINE}/acme`),
      recording(seen, (_p, req, res) => json([status('1')])(req, res)),
    );
    const result = await fetchNew(options(base), { cursor: 'garbage' });
    expect(seen[0]?.has('min_id'), 'a fresh start').toBe(false);
    expect(result.items.length, 'items read').toBe(1);
  });
});

describe('mastodon options', () => {
  it('accepts hashtags and/or a query, strips "#", rejects the rest', () => {
    const parsed = MastodonOptions.parse({
      instances: ['https://mastodon.social', 'https://hachyderm.io'],
      hashtags: ['#Acme', 'acme_corp'],
    });
    expect(parsed.hashtags, '"#" is stripped').toEqual(['Acme', 'acme_corp']);
    expect(
      MastodonOptions.safeParse({ instances: ['https://m.example'], query: 'acme' }).success,
      'query only',
    ).toBe(true);
    const bad: Array<[string, unknown]> = [
      ['no instances', { instances: [], hashtags: ['acme'] }],
      ['missing instances', { hashtags: ['acme'] }],
      ['not a URL', { instances: ['mastodon.social'], hashtags: ['acme'] }],
      ['ftp URL', { instances: ['ftp://mastodon.social'], hashtags: ['acme'] }],
      ['neither hashtags nor query', { instances: ['https://m.example'] }],
      ['empty hashtags and no query', { instances: ['https://m.example'], hashtags: [] }],
      ['a hashtag with a space', { instances: ['https://m.example'], hashtags: ['acme corp'] }],
      ['an empty query', { instances: ['https://m.example'], query: '  ' }],
      ['unknown key', { instances: ['https://m.example'], hashtags: ['acme'], tags: ['x'] }],
      [
        'token instance not listed',
        {
          instances: ['https://m.example'],
          query: 'acme',
          accessToken: 'x',
          accessTokenInstance: 'https://other.example',
        },
      ],
      [
        'token instance without token',
        { instances: ['https://m.example'], query: 'acme', accessTokenInstance: 'https://m.example' },
      ],
      ['bad secret ref', { instances: ['https://m.example'], query: 'acme', accessToken: { env: 'lower' } }],
    ];
    for (const [why, options] of bad) {
      expect(MastodonOptions.safeParse(options).success, why).toBe(false);
    }
  });
});
