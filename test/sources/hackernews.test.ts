import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HackerNewsOptions,
  HITS_PER_PAGE,
  hackerNewsSource,
  MAX_PAGES,
  OVERLAP_S,
} from '../../sources/hackernews.ts';
import type { HttpClient } from '../../sources/http.ts';
import type { FetchResult, RawItem } from '../../sources/types.ts';
import { normaliseItem } from '../../src/ingest/normalise.ts';
import type { Json } from '../../src/types.ts';
import { describeUpstreamFailures } from '../helpers/failure-modes.ts';
import { type FakeUpstream, sendJson as json, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { hasFixtures, readFixture, SKIP_REASON } from '../helpers/shared.ts';
import { failure, fetchContext } from '../helpers/sources.ts';

const SEARCH = '/api/v1/search_by_date';
const NOW = new Date('2024-06-01T12:00:00Z');
/** 2024-06-01T00:00:00Z */
const T0 = 1_717_200_000;

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream.close();
});

type Hit = Record<string, unknown>;

/** Registers a search handler under `prefix` and returns the query parameters of every request it gets. */
function route(
  prefix: string,
  handler: (params: URLSearchParams, req: IncomingMessage, res: ServerResponse) => void,
): URLSearchParams[] {
  const calls: URLSearchParams[] = [];
  upstream.on(`${prefix}${SEARCH}`, (req, res) => {
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    calls.push(params);
    handler(params, req, res);
  });
  return calls;
}

function poll(
  prefix: string,
  options: Partial<HackerNewsOptions> = {},
  cursor: Json | null = null,
  overrides: { http?: HttpClient; now?: Date } = {},
): Promise<FetchResult> {
  const parsed = HackerNewsOptions.parse({ query: 'acme', baseUrl: upstream.url(prefix), ...options });
  return hackerNewsSource.fetchNew(
    fetchContext(parsed, { cursor, http: overrides.http, now: overrides.now ?? NOW }),
  );
}

function byId(items: RawItem[], id: string): RawItem {
  const item = items.find((candidate) => candidate.externalId === id);
  if (!item) throw new Error(`no item ${id} among ${JSON.stringify(items.map((i) => i.externalId))}`);
  return item;
}

const ids = (result: FetchResult) => result.items.map((item) => item.externalId);

/** A story hit in today's Algolia schema. */
function story(id: number, at: number, extra: Hit = {}): Hit {
  return {
    _tags: ['story', `author_user${id}`, `story_${id}`],
    author: `user${id}`,
    children: [],
    created_at: new Date(at * 1000).toISOString(),
    created_at_i: at,
    num_comments: 2,
    objectID: String(id),
    points: 5,
    story_id: id,
    title: `Acme story ${id}`,
    updated_at: new Date(at * 1000).toISOString(),
    url: `https://example.com/${id}?a=1&b=2`,
    ...extra,
  };
}

/** A comment hit in today's Algolia schema (no points, no num_comments). */
function comment(id: number, at: number, extra: Hit = {}): Hit {
  return {
    _tags: ['comment', `author_user${id}`, 'story_1'],
    author: `user${id}`,
    comment_text: `<p>Acme comment ${id}</p>`,
    created_at: new Date(at * 1000).toISOString(),
    created_at_i: at,
    objectID: String(id),
    parent_id: 1,
    story_id: 1,
    story_title: 'Acme story 1',
    story_url: 'https://example.com/1',
    updated_at: new Date(at * 1000).toISOString(),
    ...extra,
  };
}

function reply(hits: unknown[], page = 0, nbPages = 1) {
  return {
    exhaustive: { nbHits: true, typo: true },
    hits,
    hitsPerPage: HITS_PER_PAGE,
    nbHits: hits.length,
    nbPages,
    page,
    params: 'query=acme',
    processingTimeMS: 1,
    query: 'acme',
  };
}

describe('hackernews options', () => {
  it('applies defaults and rejects bad options', () => {
    expect(HackerNewsOptions.parse({ query: ' apple ' }), 'defaults').toEqual({
      query: 'apple',
      tags: 'all',
      baseUrl: 'https://hn.algolia.com',
    });
    expect(HackerNewsOptions.parse({ query: 'apple', tags: 'comment' }).tags, 'comments only').toBe(
      'comment',
    );
    const bad: Array<[string, unknown]> = [
      ['no query', {}],
      ['blank query', { query: '   ' }],
      ['unknown tag', { query: 'apple', tags: 'poll' }],
      ['non-http base URL', { query: 'apple', baseUrl: 'ftp://hn.example.com' }],
      ['unknown key', { query: 'apple', hitsPerPage: 5 }],
    ];
    for (const [why, options] of bad) {
      expect(HackerNewsOptions.safeParse(options).success, why).toBe(false);
    }
  });
});

describe.skipIf(!hasFixtures)(
  `hackernews connector on recorded Algolia replies${hasFixtures ? '' : ` (${SKIP_REASON})`}`,
  () => {
    type Recorded = { url: string; reply: unknown };
    const recorded = (): Recorded[] =>
      JSON.parse(readFixture('hackernews/node-hacker-news-api__search_by_date_2014.json').toString('utf8'));

    /** Serves each recorded reply for the request with the same tags and page. */
    function serveRecorded(prefix: string) {
      const replies = recorded();
      return route(prefix, (params, _req, res) => {
        const match = replies.find((r) => {
          const recordedParams = new URL(r.url, 'http://x').searchParams;
          return (
            recordedParams.get('tags') === params.get('tags') &&
            (recordedParams.get('page') ?? '0') === params.get('page')
          );
        });
        if (match) json(res, match.reply);
        else res.writeHead(404).end('no recording');
      });
    }

    it('reads a 2014 comment hit: story title as context, fuzzy match kept (not filtered)', async () => {
      const calls = serveRecorded('/rec/comment');
      const result = await poll('/rec/comment', { query: 'apple', tags: 'comment' }, null, {
        now: new Date(),
      });
      expect(calls.length, 'first poll: one request, although nbPages is 1000').toBe(1);
      const sent = calls[0]!;
      expect(sent.get('query'), 'query parameter').toBe('apple');
      expect(sent.get('tags'), 'tags parameter').toBe('(comment)');
      expect(sent.get('hitsPerPage'), 'hitsPerPage').toBe(String(HITS_PER_PAGE));
      expect(sent.get('page'), 'page').toBe('0');
      expect(sent.get('numericFilters'), 'no date filter without a cursor').toBeNull();

      expect(ids(result), 'the one recorded hit').toEqual(['7919418']);
      const item = byId(result.items, '7919418');
      expect(item.url, 'HN item link').toBe('https://news.ycombinator.com/item?id=7919418');
      expect(item.author, 'author').toBe('fleitz');
      expect(item.title, 'the story title is the context').toBe(
        "Starbucks admits it's not contributing to scholarship fund",
      );
      expect(item.contentType, 'comment_text is HTML').toBe('html');
      expect(item.content, 'comment_text as served').toMatch(/^Yeah the article seems stupid/);
      expect(item.content, 'the fuzzy match ("appla-uded" for "apple") is not filtered out').toContain(
        'shouldn&#x27;t be applauded',
      );
      expect(item.publishedAt?.toISOString(), 'from created_at_i').toBe('2014-06-20T03:32:34.000Z');
      expect(item.engagement, 'points; num_comments is null on a comment').toEqual({ score: 1 });
      expect(item.rating, 'no rating').toBeNull();
      expect(item.language, 'HN declares no language').toBeNull();
      const text = normaliseItem(item)?.text ?? '';
      expect(text, 'normalised: entities decoded, tags gone').toContain("shouldn't be applauded");
      expect(text, 'normalised: no tags left').not.toMatch(/<[a-z]/i);
      expect(result.cursor, 'cursor: the newest second and the ids seen then').toEqual({
        since: 1403235154,
        seen: { '7919418': 1403235154 },
      });
    });

    it('reads a 2014 link story: title, url as content, points and comments', async () => {
      const calls = serveRecorded('/rec/story');
      const result = await poll('/rec/story', { query: 'apple', tags: 'story' }, null, { now: new Date() });
      expect(calls[0]?.get('tags'), 'tags parameter').toBe('(story)');
      const item = byId(result.items, '7919424');
      expect(item.title, 'title').toBe('Judge says concerned about Apple, Google hiring settlement');
      expect(item.content, 'empty story_text: the link is the content').toBe(
        'http://in.reuters.com/article/2014/06/19/apple-google-settlement-idINL2N0P01ZI20140619',
      );
      expect(item.url, 'HN item link, not the outbound link').toBe(
        'https://news.ycombinator.com/item?id=7919424',
      );
      expect(item.author, 'author').toBe('bradleyjg');
      expect(item.publishedAt?.toISOString(), 'publishedAt').toBe('2014-06-20T03:35:46.000Z');
      expect(item.engagement, 'points and num_comments').toEqual({ score: 1, replies: 0 });
    });

    it('reads a 2014 Ask HN story: story_text as content, empty url ignored', async () => {
      const askHn = recorded().find((r) => r.url.includes('ask_hn'));
      expect(askHn, 'the ask_hn recording').toBeDefined();
      route('/rec/ask', (_params, _req, res) => json(res, askHn?.reply));
      const result = await poll('/rec/ask', { query: 'apple', tags: 'story' }, null, { now: new Date() });
      const item = byId(result.items, '7915384');
      expect(item.title, 'title').toBe('Ask HN: How can I get Swag from Startups?');
      expect(item.content, 'story_text').toMatch(/^\\tHello HN,\\nI&#x27;m a college student from India/);
      expect(item.url, 'HN item link').toBe('https://news.ycombinator.com/item?id=7915384');
      expect(item.author, 'author').toBe('techidse');
      expect(item.publishedAt?.toISOString(), 'publishedAt').toBe('2014-06-19T09:53:30.000Z');
      expect(item.engagement, 'points and comments').toEqual({ score: 1, replies: 3 });
    });

    it('a second poll on the recorded comment, with a newer hit added, returns only the new one', async () => {
      const [first] = recorded();
      const base = first?.reply as { hits: Hit[] };
      const old = base.hits[0]!;
      const newer = { ...old, objectID: '7919500', created_at_i: 1403235300, author: 'someone' };
      let hits = [old];
      const calls = route('/rec/incremental', (_params, _req, res) =>
        json(res, { ...base, hits, nbPages: 1 }),
      );
      const now = new Date();
      const firstPoll = await poll('/rec/incremental', { query: 'apple', tags: 'comment' }, null, { now });
      hits = [newer, old];
      const second = await poll('/rec/incremental', { query: 'apple', tags: 'comment' }, firstPoll.cursor, {
        now,
      });
      expect(calls[1]?.get('numericFilters'), 'the cursor minus the overlap').toBe(
        `created_at_i>=${1403235154 - OVERLAP_S}`,
      );
      expect(ids(second), 'only the new comment').toEqual(['7919500']);
      expect((second.cursor as { since: number }).since, 'the cursor advances').toBe(1403235300);
    });
  },
);

describe('hackernews connector: items', () => {
  it('maps stories and comments field by field', async () => {
    route('/items/basic', (_p, _q, res) =>
      json(
        res,
        reply([
          comment(11, T0 + 30),
          story(10, T0 + 20),
          story(9, T0 + 10, {
            url: null,
            story_text: '<p>Text <i>post</i></p>',
            num_comments: 0,
            points: 12,
          }),
          story(8, T0, { url: '', story_text: '' }),
        ]),
      ),
    );
    const result = await poll('/items/basic');
    expect(ids(result), 'all four, newest first').toEqual(['11', '10', '9', '8']);
    const c = byId(result.items, '11');
    expect(c, 'comment').toEqual({
      externalId: '11',
      url: 'https://news.ycombinator.com/item?id=11',
      author: 'user11',
      title: 'Acme story 1',
      content: '<p>Acme comment 11</p>',
      contentType: 'html',
      publishedAt: new Date((T0 + 30) * 1000),
      rating: null,
      language: null,
      engagement: null,
    });
    expect(byId(result.items, '10').content, 'link story: the escaped link').toBe(
      'https://example.com/10?a=1&amp;b=2',
    );
    expect(byId(result.items, '10').engagement, 'points and comments').toEqual({ score: 5, replies: 2 });
    expect(byId(result.items, '9').content, 'text story: story_text').toBe('<p>Text <i>post</i></p>');
    expect(byId(result.items, '9').engagement, 'zero comments is a number').toEqual({
      score: 12,
      replies: 0,
    });
    expect(byId(result.items, '8').content, 'neither text nor link: the title').toBe('Acme story 8');
  });

  it('skips malformed hits and keeps the rest of the page', async () => {
    route('/items/hostile', (_p, _q, res) =>
      json(
        res,
        reply([
          null,
          42,
          'hit',
          [],
          { objectID: null, title: 'no id' },
          { objectID: 'abc', _tags: ['story'], title: 'not a number' },
          comment(20, T0, { comment_text: null }),
          comment(21, T0, { created_at_i: 'soon', created_at: 'garbage' }),
          story(22, T0, { points: '7', num_comments: -1, author: 42, title: ['x'] }),
          story(23, Math.floor(NOW.getTime() / 1000) + 3 * 86_400),
          comment(24, T0, { created_at_i: undefined }),
          story(25, T0 - 5),
        ]),
      ),
    );
    const result = await poll('/items/hostile');
    expect(ids(result), 'the usable hits').toEqual(['21', '22', '23', '24', '25']);
    expect(byId(result.items, '21').publishedAt, 'no readable date: null').toBeNull();
    const odd = byId(result.items, '22');
    expect(odd.engagement, 'a string and a negative count are dropped').toBeNull();
    expect(odd.author, 'a non-string author').toBeNull();
    expect(odd.title, 'a non-string title').toBeNull();
    expect(byId(result.items, '23').publishedAt, 'three days in the future: null').toBeNull();
    expect(
      byId(result.items, '24').publishedAt?.toISOString(),
      'created_at when created_at_i is missing',
    ).toBe(new Date(T0 * 1000).toISOString());
    expect((result.cursor as { since: number }).since, 'undated items do not move the cursor').toBe(T0);
  });

  it('sends tags for stories, comments or both', async () => {
    const calls = route('/items/tags', (_p, _q, res) => json(res, reply([])));
    await poll('/items/tags');
    await poll('/items/tags', { tags: 'story' });
    await poll('/items/tags', { tags: 'comment' });
    expect(
      calls.map((c) => c.get('tags')),
      'tags per option',
    ).toEqual(['(story,comment)', '(story)', '(comment)']);
  });
});

describe('hackernews connector: incremental polling', () => {
  it('first poll: the newest page only; an empty search starts the cursor at now', async () => {
    const calls = route('/inc/first', (_p, _q, res) =>
      json(res, reply([comment(3, T0), story(2, T0), story(1, T0 - 30)], 0, 7)),
    );
    const result = await poll('/inc/first');
    expect(calls.length, 'one request although nbPages is 7').toBe(1);
    expect(ids(result), 'the first page').toEqual(['3', '2', '1']);
    expect(result.cursor, 'cursor: newest second; the ids delivered within the overlap').toEqual({
      since: T0,
      seen: { '3': T0, '2': T0, '1': T0 - 30 },
    });

    route('/inc/empty', (_p, _q, res) => json(res, reply([])));
    const empty = await poll('/inc/empty');
    expect(empty.items, 'nothing found').toEqual([]);
    expect(empty.cursor, 'the cursor starts at now').toEqual({ since: NOW.getTime() / 1000, seen: {} });
  });

  it('next polls ask from the cursor, return only new items, find same-second and late-indexed ones', async () => {
    let hits: Hit[] = [comment(3, T0), story(2, T0), story(1, T0 - 30)];
    const calls = route('/inc/next', (_p, _q, res) => json(res, reply(hits)));
    const first = await poll('/inc/next');

    hits = [story(4, T0 + 60), ...hits];
    const second = await poll('/inc/next', {}, first.cursor);
    expect(calls[1]?.get('numericFilters'), 'the request carries the cursor (minus the overlap)').toBe(
      `created_at_i>=${T0 - OVERLAP_S}`,
    );
    expect(calls[1]?.get('page'), 'from the first page').toBe('0');
    expect(ids(second), 'only the new story').toEqual(['4']);
    expect(second.cursor, 'the cursor advances').toEqual({
      since: T0 + 60,
      seen: { '4': T0 + 60, '3': T0, '2': T0, '1': T0 - 30 },
    });

    // Indexed after the last poll: one in the same second as the newest, one older than it.
    hits = [story(5, T0 + 60), ...hits.slice(0, 1), comment(6, T0 + 20), ...hits.slice(1)];
    const third = await poll('/inc/next', {}, second.cursor);
    expect(calls[2]?.get('numericFilters'), 'from the new cursor').toBe(
      `created_at_i>=${T0 + 60 - OVERLAP_S}`,
    );
    expect(ids(third).sort(), 'the same-second and the late-indexed item').toEqual(['5', '6']);
    expect((third.cursor as { since: number }).since, 'the newest second stays').toBe(T0 + 60);

    const fourth = await poll('/inc/next', {}, third.cursor);
    expect(fourth.items, 'nothing new').toEqual([]);
    expect(fourth.cursor, 'the cursor stays').toEqual(third.cursor);
  });

  it('forgets seen ids older than the overlap', async () => {
    route('/inc/prune', (_p, _q, res) => json(res, reply([story(31, T0 + 7200)])));
    const result = await poll('/inc/prune', {}, { since: T0, seen: { '30': T0 } });
    expect(result.cursor, 'only ids within the overlap of the new cursor').toEqual({
      since: T0 + 7200,
      seen: { '31': T0 + 7200 },
    });
  });

  it('pages through nbPages when there is a cursor', async () => {
    const calls = route('/inc/pages', (params, _q, res) => {
      const page = Number(params.get('page'));
      json(
        res,
        reply(
          [story(100 + page * 2, T0 + 300 - page * 10), story(101 + page * 2, T0 + 295 - page * 10)],
          page,
          3,
        ),
      );
    });
    const result = await poll('/inc/pages', {}, { since: T0, seen: {} });
    expect(
      calls.map((c) => c.get('page')),
      'pages requested',
    ).toEqual(['0', '1', '2']);
    expect(ids(result), 'items of every page').toEqual(['100', '101', '102', '103', '104', '105']);
    expect(result.cursor, 'no gap when all pages were read').not.toHaveProperty('gap');
  });

  it('stops at the page cap, keeps the rest as a gap and works it down on the next polls', async () => {
    // Head: 20 pages of two hits each, newest T0 + 1000, 10 s apart per page.
    let headPages = 20;
    const gapPages: Hit[][] = [
      [story(60, T0 + 900), story(61, T0 + 800)],
      [story(62, T0 + 700)],
      [story(63, T0 + 600)],
      [story(64, T0 + 500)],
    ];
    let gapNbPages = 10;
    const calls = route('/inc/cap', (params, _q, res) => {
      const page = Number(params.get('page'));
      const filters = params.get('numericFilters') ?? '';
      if (filters.includes('<=')) {
        json(res, reply(gapPages[page] ?? [], page, gapNbPages));
        return;
      }
      json(
        res,
        reply(
          [story(100 + page * 2, T0 + 1000 - page * 20), story(101 + page * 2, T0 + 995 - page * 20)],
          page,
          headPages,
        ),
      );
    });

    const first = await poll('/inc/cap', {}, { since: T0, seen: {} });
    expect(calls.length, `requests capped at ${MAX_PAGES}`).toBe(MAX_PAGES);
    expect(first.items.length, 'the items of the pages read').toBe(MAX_PAGES * 2);
    const oldestRead = T0 + 995 - (MAX_PAGES - 1) * 20;
    expect(first.cursor, 'the unread window is kept as a gap').toMatchObject({
      since: T0 + 1000,
      gap: { from: T0 - OVERLAP_S, to: oldestRead },
    });

    // Nothing new at the head now; the gap is searched with the pages left, and is not done.
    headPages = 1;
    const second = await poll('/inc/cap', {}, first.cursor);
    const secondCalls = calls.slice(MAX_PAGES);
    expect(secondCalls[0]?.get('numericFilters'), 'head first').toBe(
      `created_at_i>=${T0 + 1000 - OVERLAP_S}`,
    );
    expect(secondCalls[1]?.get('numericFilters'), 'then the gap').toBe(
      `created_at_i>=${T0 - OVERLAP_S},created_at_i<=${oldestRead}`,
    );
    expect(secondCalls.length, 'still capped per poll').toBe(MAX_PAGES);
    expect(ids(second), 'the gap items on the four pages left').toEqual(['60', '61', '62', '63', '64']);
    expect(second.cursor, 'the gap shrinks to what is still unread').toMatchObject({
      since: T0 + 1000,
      gap: { from: T0 - OVERLAP_S, to: T0 + 500 },
    });

    gapNbPages = 1;
    gapPages[0] = [story(65, T0 + 100)];
    const third = await poll('/inc/cap', {}, second.cursor);
    expect(ids(third), 'the rest of the gap').toEqual(['65']);
    expect(third.cursor, 'the gap is closed').not.toHaveProperty('gap');
    expect((third.cursor as { since: number }).since, 'the newest second is kept').toBe(T0 + 1000);
  });

  it('ignores a cursor of the wrong shape (polls as the first time)', async () => {
    const calls = route('/inc/odd', (_p, _q, res) => json(res, reply([story(1, T0)], 0, 5)));
    for (const cursor of ['yesterday', { since: 'x' }, { since: -5 }, [1, 2]] as Json[]) {
      const result = await poll('/inc/odd', {}, cursor);
      expect(ids(result), `cursor ${JSON.stringify(cursor)}`).toEqual(['1']);
    }
    expect(
      calls.map((c) => c.get('numericFilters')),
      'no filter from a bad cursor',
    ).toEqual([null, null, null, null]);
  });
});

describeUpstreamFailures('hackernews connector', {
  upstream: () => upstream,
  endpoint: (key) => ({
    path: `/std/${key}${SEARCH}`,
    fetch: (http) => poll(`/std/${key}`, {}, null, { http }),
  }),
  validBody: reply([story(1, T0)]),
  expectValid: (result) => expect(ids(result), 'the retry succeeds').toEqual(['1']),
});

describe('hackernews connector: failures', () => {
  const cursor = { since: T0, seen: {} };

  it('HTTP 404 (wrong base URL) → UpstreamError http 404', async () => {
    const error = await failure(poll('/fail/nowhere'));
    expect(error.kind, error.message).toBe('http');
    expect(error.status, 'status').toBe(404);
  });

  it('a failing later page fails the whole poll', async () => {
    route('/fail/page2', (params, _q, res) => {
      if (params.get('page') === '0') json(res, reply([story(1, T0 + 10)], 0, 3));
      else json(res, 'oops', 502);
    });
    const error = await failure(poll('/fail/page2', {}, cursor));
    expect(error.status, error.message).toBe(502);
  });

  it('JSON of the wrong shape → UpstreamError invalid', async () => {
    for (const [name, body] of [
      ['hits-string', { hits: 'none' }],
      ['array', [story(1, T0)]],
      ['null', null],
      ['error-object', { message: 'invalid query', status: 400 }],
    ] as const) {
      route(`/fail/shape-${name}`, (_p, _q, res) => json(res, JSON.stringify(body)));
      const error = await failure(poll(`/fail/shape-${name}`));
      expect(error.kind, `${name}: ${error.message}`).toBe('invalid');
      expect(error.message, `${name}: says what was wrong`).toContain('"hits" array');
    }
  });
});
