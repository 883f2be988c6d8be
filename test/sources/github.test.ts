import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubOptions, githubSource, MAX_PAGES, OVERLAP_S, PER_PAGE } from '../../sources/github.ts';
import type { HttpClient } from '../../sources/http.ts';
import type { FetchResult, RawItem } from '../../sources/types.ts';
import { normaliseItem } from '../../src/ingest/normalise.ts';
import type { Json } from '../../src/types.ts';
import { describeUpstreamFailures } from '../helpers/failure-modes.ts';
import { type FakeUpstream, sendJson as json, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { hasFixtures, readFixture, SKIP_REASON } from '../helpers/shared.ts';
import { failure, fetchContext } from '../helpers/sources.ts';

const SEARCH = '/search/issues';
const NOW = new Date('2024-06-01T12:00:00Z');
/** 2024-06-01T00:00:00Z, in epoch seconds. */
const T0 = 1_717_200_000;

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream.close();
});

type Issue = Record<string, unknown>;
type Seen = { params: URLSearchParams; headers: IncomingMessage['headers'] };

/** `2024-06-01T00:00:00Z` from epoch seconds, as GitHub writes it. */
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** Registers a search handler under `prefix`; returns the query parameters and headers of every request. */
function route(
  prefix: string,
  handler: (params: URLSearchParams, req: IncomingMessage, res: ServerResponse) => void,
): Seen[] {
  const calls: Seen[] = [];
  upstream.on(`${prefix}${SEARCH}`, (req, res) => {
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    calls.push({ params, headers: req.headers });
    handler(params, req, res);
  });
  return calls;
}

function poll(
  prefix: string,
  options: Partial<GitHubOptions> = {},
  cursor: Json | null = null,
  overrides: { http?: HttpClient; now?: Date; secrets?: Record<string, string> } = {},
): Promise<FetchResult> {
  const parsed = GitHubOptions.parse({ query: 'acme', baseUrl: upstream.url(prefix), ...options });
  return githubSource.fetchNew(
    fetchContext(parsed, {
      cursor,
      http: overrides.http,
      now: overrides.now ?? NOW,
      secrets: overrides.secrets,
    }),
  );
}

function byId(items: RawItem[], id: string): RawItem {
  const item = items.find((candidate) => candidate.externalId === id);
  if (!item) throw new Error(`no item ${id} among ${JSON.stringify(items.map((i) => i.externalId))}`);
  return item;
}

const ids = (result: FetchResult) => result.items.map((item) => item.externalId);

/** The created: qualifier of a request's q. */
const created = (call: Seen | undefined) => /created:(\S+)/.exec(call?.params.get('q') ?? '')?.[1] ?? null;

/** A search result in the shape of the real one (trimmed to the fields the connector reads, plus a few). */
function issue(n: number, at: number, extra: Issue = {}): Issue {
  return {
    url: `https://api.github.com/repos/acme/widgets/issues/${n}`,
    html_url: `https://github.com/acme/widgets/issues/${n}`,
    id: 1_000_000 + n,
    node_id: `I_node${n}`,
    number: n,
    title: `Acme widget issue ${n}`,
    user: { login: `user${n}`, id: n, type: 'User' },
    labels: [],
    state: 'open',
    comments: 3,
    created_at: iso(at),
    updated_at: iso(at),
    closed_at: null,
    author_association: 'NONE',
    body: `The **Acme** widget broke (${n}).`,
    reactions: { total_count: 4, '+1': 4, '-1': 0 },
    score: 1,
    ...extra,
  };
}

function page(items: unknown[], totalCount = items.length) {
  return { total_count: totalCount, incomplete_results: false, items };
}

/** `count` issues numbered from `first`, one second apart going back from `newest`. */
function issues(first: number, count: number, newest: number): Issue[] {
  return Array.from({ length: count }, (_, i) => issue(first + i, newest - i));
}

describe('github options', () => {
  it('applies defaults and rejects bad options', () => {
    expect(GitHubOptions.parse({ query: ' acme is:issue ' }), 'defaults').toEqual({
      query: 'acme is:issue',
      baseUrl: 'https://api.github.com',
    });
    expect(GitHubOptions.parse({ query: 'acme', token: { env: 'GITHUB_TOKEN' } }).token, 'env token').toEqual(
      {
        env: 'GITHUB_TOKEN',
      },
    );
    const bad: Array<[string, unknown]> = [
      ['no query', {}],
      ['blank query', { query: ' ' }],
      ['query too long', { query: 'a'.repeat(257) }],
      ['own created: qualifier', { query: 'acme created:>2024-01-01' }],
      ['negated created: qualifier', { query: 'acme -created:>2024-01-01' }],
      ['own sort: qualifier', { query: 'acme sort:updated' }],
      ['empty token', { query: 'acme', token: '' }],
      ['bad env name', { query: 'acme', token: { env: 'lower-case' } }],
      ['non-http base URL', { query: 'acme', baseUrl: 'file:///etc/passwd' }],
      ['unknown key', { query: 'acme', perPage: 5 }],
    ];
    for (const [why, options] of bad) {
      expect(GitHubOptions.safeParse(options).success, why).toBe(false);
    }
  });
});

describe.skipIf(!hasFixtures)(
  `github connector on the recorded search${hasFixtures ? '' : ` (${SKIP_REASON})`}`,
  () => {
    type Recorded = { _request: string; _response_headers: Record<string, string>; body: { items: Issue[] } };
    const recorded = (): Recorded =>
      JSON.parse(readFixture('github/octokit-fixtures__search-issues_raw.json').toString('utf8'));
    const QUERY = 'sesame repo:octokit-fixture-org/tmp-scenario-search-issues-20220719044045959-jlcli';
    const RECORDED_NOW = new Date('2022-07-19T05:00:00Z');

    /** Serves the recorded body with its content type and rate-limit headers. */
    function serveRecorded(prefix: string, transform: (body: Recorded['body']) => unknown = (b) => b) {
      const { _response_headers: headers, body } = recorded();
      const kept = Object.fromEntries(
        Object.entries(headers).filter(([name]) =>
          /^(content-type|x-ratelimit-|x-github-media-type)/i.test(name),
        ),
      );
      return route(prefix, (_p, _q, res) => json(res, transform(body), 200, kept));
    }

    it('maps the recorded issues field by field and sends the GitHub headers', async () => {
      const calls = serveRecorded('/rec/basic');
      const result = await poll('/rec/basic', { query: QUERY, token: 'ghp_recorded_secret' }, null, {
        now: RECORDED_NOW,
      });
      expect(calls.length, 'first poll: one request').toBe(1);
      const sent = calls[0]!;
      expect(sent.params.get('q'), 'the query as written, no created: on a first poll').toBe(QUERY);
      expect(sent.params.get('sort'), 'sort').toBe('created');
      expect(sent.params.get('order'), 'order').toBe('desc');
      expect(sent.params.get('per_page'), 'per_page').toBe(String(PER_PAGE));
      expect(sent.params.get('page'), 'page').toBe('1');
      expect(sent.headers.accept, 'Accept').toBe('application/vnd.github+json');
      expect(sent.headers['x-github-api-version'], 'API version').toBe('2022-11-28');
      expect(sent.headers.authorization, 'the token').toBe('Bearer ghp_recorded_secret');

      expect(ids(result), 'both recorded issues, newest first').toEqual([
        'I_kwDOHrjvNc5OBUxc',
        'I_kwDOHrjvNc5OBUw7',
      ]);
      const newest = byId(result.items, 'I_kwDOHrjvNc5OBUxc');
      expect(newest, 'issue #2').toEqual({
        externalId: 'I_kwDOHrjvNc5OBUxc',
        url: 'https://github.com/octokit-fixture-org/tmp-scenario-search-issues-20220719044045959-jlcli/issues/2',
        author: 'octokit-fixture-user-b',
        title: 'Sesame seeds split without a pop!',
        content: 'I’ve waited all year long, but there was no pop 😭',
        contentType: 'text',
        publishedAt: new Date('2022-07-19T04:40:52Z'),
        rating: null,
        language: null,
        engagement: { replies: 0, likes: 0 },
      });
      const older = byId(result.items, 'I_kwDOHrjvNc5OBUw7');
      expect(older.author, 'author of #1').toBe('octokit-fixture-user-a');
      expect(older.title, 'title of #1').toBe('The doors don’t open');
      expect(older.content, 'markdown body kept as text').toBe(
        'I tried "open sesame" as seen on Wikipedia but no luck!',
      );
      expect(older.publishedAt?.toISOString(), 'created_at of #1').toBe('2022-07-19T04:40:49.000Z');
      expect(normaliseItem(older)?.text, 'normalised text').toBe(
        'I tried "open sesame" as seen on Wikipedia but no luck!',
      );

      expect(
        result.cursor,
        'cursor: newest created_at and the ids delivered (29 searches left: no reset)',
      ).toEqual({
        since: '2022-07-19T04:40:52Z',
        seen: { I_kwDOHrjvNc5OBUxc: '2022-07-19T04:40:52Z', I_kwDOHrjvNc5OBUw7: '2022-07-19T04:40:49Z' },
      });
      expect(JSON.stringify(result), 'the token appears nowhere in the result').not.toContain(
        'ghp_recorded_secret',
      );
    });

    it('a second poll with a newer issue added returns only that one', async () => {
      let withNew = false;
      const calls = serveRecorded('/rec/incremental', (body) => {
        if (!withNew) return body;
        const [template] = body.items;
        const fresh = {
          ...template,
          node_id: 'I_kwDOHrjvNc5OBUzz',
          id: 1308970999,
          number: 3,
          title: 'Sesame oil everywhere',
          created_at: '2022-07-19T04:45:00Z',
          comments: 2,
          reactions: { ...(template?.reactions as object), total_count: 5 },
        };
        return { ...body, total_count: 3, items: [fresh, ...body.items] };
      });
      const first = await poll('/rec/incremental', { query: QUERY }, null, { now: RECORDED_NOW });
      withNew = true;
      const second = await poll('/rec/incremental', { query: QUERY }, first.cursor, { now: RECORDED_NOW });
      expect(calls[1]?.params.get('q'), 'the cursor (minus the overlap) as a full ISO timestamp').toBe(
        `${QUERY} created:>=2022-07-19T04:30:52Z`,
      );
      expect(calls[1]?.headers.authorization, 'no token configured: no Authorization').toBeUndefined();
      expect(ids(second), 'only the new issue').toEqual(['I_kwDOHrjvNc5OBUzz']);
      expect(second.items[0]?.engagement, 'comments and reactions').toEqual({ replies: 2, likes: 5 });
      expect((second.cursor as { since: string }).since, 'the cursor advances').toBe('2022-07-19T04:45:00Z');
    });
  },
);

describe('github connector: items and credentials', () => {
  it('skips malformed items and keeps the rest of the page', async () => {
    route('/items/hostile', (_p, _q, res) =>
      json(
        res,
        page([
          null,
          7,
          'issue',
          { title: 'no id at all', body: 'x' },
          issue(1, T0, { title: null, body: null }),
          issue(2, T0, { node_id: null, id: 1_000_002 }),
          issue(3, T0, { created_at: 'yesterday', user: null, html_url: 'javascript:alert(1)' }),
          issue(4, T0, { body: null, comments: '3', reactions: null }),
          issue(5, T0 - 10, { user: { login: 42 }, reactions: { total_count: -1 } }),
        ]),
      ),
    );
    const result = await poll('/items/hostile');
    expect(ids(result), 'usable items').toEqual(['1000002', 'I_node3', 'I_node4', 'I_node5']);
    const noDate = byId(result.items, 'I_node3');
    expect(noDate.publishedAt, 'unreadable created_at').toBeNull();
    expect(noDate.author, 'no user').toBeNull();
    expect(noDate.url, 'a non-web html_url is dropped').toBeNull();
    const noBody = byId(result.items, 'I_node4');
    expect(noBody.content, 'no body: the title is the content').toBe('Acme widget issue 4');
    expect(noBody.engagement, 'non-numeric counts are dropped').toBeNull();
    expect(byId(result.items, 'I_node5').author, 'a non-string login').toBeNull();
    expect(byId(result.items, 'I_node5').engagement, 'negative reactions dropped').toEqual({ replies: 3 });
  });

  it('reads the token from an environment reference', async () => {
    const calls = route('/items/env', (_p, _q, res) => json(res, page([])));
    await poll('/items/env', { token: { env: 'GH_TOKEN' } }, null, { secrets: { GH_TOKEN: 'ghp_from_env' } });
    expect(calls[0]?.headers.authorization, 'Bearer from the environment').toBe('Bearer ghp_from_env');
    await expect(
      poll('/items/env', { token: { env: 'GH_TOKEN' } }),
      'a missing variable fails the poll',
    ).rejects.toThrow(/GH_TOKEN/);
    expect(calls.length, 'no request without the credential').toBe(1);
  });
});

describe('github connector: incremental polling', () => {
  it('first poll: one page; an empty search starts the cursor at now', async () => {
    const calls = route('/inc/first', (_p, _q, res) => json(res, page(issues(1, PER_PAGE, T0), 450)));
    const result = await poll('/inc/first');
    expect(calls.length, 'one request although there are 450 results').toBe(1);
    expect(result.items.length, 'the first page').toBe(PER_PAGE);
    expect((result.cursor as { since: string }).since, 'newest created_at').toBe(iso(T0));
    expect(result.cursor, 'no gap on a first poll').not.toHaveProperty('gap');

    route('/inc/empty', (_p, _q, res) => json(res, page([])));
    const empty = await poll('/inc/empty');
    expect(empty.cursor, 'cursor at now').toEqual({ since: iso(NOW.getTime() / 1000), seen: {} });
  });

  it('next polls ask from the cursor, return only new items, find same-second and late-indexed ones', async () => {
    let items: Issue[] = [issue(2, T0), issue(1, T0 - 30)];
    const calls = route('/inc/next', (_p, _q, res) => json(res, page(items)));
    const first = await poll('/inc/next');
    expect(first.cursor, 'first cursor').toEqual({
      since: iso(T0),
      seen: { I_node2: iso(T0), I_node1: iso(T0 - 30) },
    });

    items = [issue(3, T0 + 60), ...items];
    const second = await poll('/inc/next', {}, first.cursor);
    expect(calls[1]?.params.get('q'), 'created:>= the cursor minus the overlap, full timestamp').toBe(
      `acme created:>=${iso(T0 - OVERLAP_S)}`,
    );
    expect(ids(second), 'only the new issue').toEqual(['I_node3']);
    expect((second.cursor as { since: string }).since, 'the cursor advances').toBe(iso(T0 + 60));

    items = [issue(4, T0 + 60), items[0]!, issue(5, T0 + 20), ...items.slice(1)];
    const third = await poll('/inc/next', {}, second.cursor);
    expect(created(calls[2]), 'from the new cursor').toBe(`>=${iso(T0 + 60 - OVERLAP_S)}`);
    expect(ids(third), 'the same-second and the late-indexed issue').toEqual(['I_node4', 'I_node5']);

    const fourth = await poll('/inc/next', {}, third.cursor);
    expect(fourth.items, 'nothing new').toEqual([]);
    expect(fourth.cursor, 'the cursor stays').toEqual(third.cursor);
  });

  it('parenthesises a query with OR so that created: applies to every alternative', async () => {
    const calls = route('/inc/or', (_p, _q, res) => json(res, page([])));
    await poll('/inc/or', { query: 'acme OR "acme corp" is:issue' }, { since: iso(T0), seen: {} });
    expect(calls[0]?.params.get('q'), 'q with OR').toBe(
      `(acme OR "acme corp" is:issue) created:>=${iso(T0 - OVERLAP_S)}`,
    );
  });

  it('pages until a short page or total_count', async () => {
    const calls = route('/inc/pages', (params, _q, res) => {
      const n = Number(params.get('page'));
      const count = n < 4 ? PER_PAGE : 20;
      json(res, page(issues(n * PER_PAGE + 1, count, T0 + 3000 - n * PER_PAGE), 320));
    });
    const result = await poll('/inc/pages', {}, { since: iso(T0), seen: {} });
    expect(
      calls.map((c) => c.params.get('page')),
      'pages requested',
    ).toEqual(['1', '2', '3', '4']);
    expect(result.items.length, 'every item').toBe(3 * PER_PAGE + 20);
    expect(result.cursor, 'no gap').not.toHaveProperty('gap');

    const exact = route('/inc/exact', (params, _q, res) => {
      const n = Number(params.get('page'));
      json(res, page(issues(n * PER_PAGE + 1, PER_PAGE, T0 + 3000 - n * PER_PAGE), 2 * PER_PAGE));
    });
    await poll('/inc/exact', {}, { since: iso(T0), seen: {} });
    expect(exact.length, 'total_count reached: no request for an empty page').toBe(2);
  });

  it('stops at the page cap (well inside the 1000-result cap) and works the gap down with created:FROM..TO', async () => {
    let headTotal = 5000;
    const calls = route('/inc/cap', (params, _q, res) => {
      const n = Number(params.get('page'));
      const q = params.get('q') ?? '';
      if (q.includes('..')) {
        json(res, page([issue(9001, T0 + 100), issue(9002, T0 - 100)]));
        return;
      }
      const count = headTotal > PER_PAGE ? PER_PAGE : 1;
      json(res, page(issues((n - 1) * PER_PAGE + 1, count, T0 + 9000 - (n - 1) * PER_PAGE), headTotal));
    });
    const first = await poll('/inc/cap', {}, { since: iso(T0), seen: {} });
    expect(calls.length, `requests capped at ${MAX_PAGES}`).toBe(MAX_PAGES);
    const oldestRead = T0 + 9000 - MAX_PAGES * PER_PAGE + 1;
    expect(first.cursor, 'the unread window is kept').toMatchObject({
      since: iso(T0 + 9000),
      gap: { from: iso(T0 - OVERLAP_S), to: iso(oldestRead) },
    });

    headTotal = 1;
    const second = await poll('/inc/cap', {}, first.cursor);
    const gapCall = calls[MAX_PAGES + 1];
    expect(created(gapCall), 'the gap as a date-time range').toBe(
      `${iso(T0 - OVERLAP_S)}..${iso(oldestRead)}`,
    );
    expect(gapCall?.params.get('page'), 'the gap from its first page').toBe('1');
    expect(ids(second), 'the gap items').toEqual(['I_node9001', 'I_node9002']);
    expect(second.cursor, 'gap closed').not.toHaveProperty('gap');
    expect((second.cursor as { since: string }).since, 'the newest created_at is kept').toBe(iso(T0 + 9000));
  });

  it('stops paging when X-RateLimit-Remaining is 0, then fails fast with a 429 until the reset', async () => {
    const reset = NOW.getTime() / 1000 + 30;
    let remaining = 0;
    const calls = route('/inc/ratelimit', (params, _q, res) => {
      const n = Number(params.get('page'));
      json(res, page(issues((n - 1) * PER_PAGE + 1, PER_PAGE, T0 + 5000 - (n - 1) * PER_PAGE), 400), 200, {
        'x-ratelimit-limit': '10',
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': String(reset),
        'x-ratelimit-resource': 'search',
      });
    });
    const first = await poll('/inc/ratelimit', {}, { since: iso(T0), seen: {} });
    expect(calls.length, 'no second page with 0 searches left').toBe(1);
    expect(first.items.length, 'what was fetched is returned').toBe(PER_PAGE);
    expect(first.cursor, 'the reset and the unread window go into the cursor').toMatchObject({
      since: iso(T0 + 5000),
      gap: { from: iso(T0 - OVERLAP_S), to: iso(T0 + 5000 - PER_PAGE + 1) },
      rateLimitReset: new Date(reset * 1000).toISOString(),
    });

    const early = await failure(
      poll('/inc/ratelimit', {}, first.cursor, { now: new Date(NOW.getTime() + 10_000) }),
    );
    expect(early.kind, early.message).toBe('http');
    expect(early.status, 'reported as a 429').toBe(429);
    expect(early.retryAfterMs, 'until the reset').toBe(20_000);
    expect(calls.length, 'no request before the reset').toBe(1);

    remaining = 25;
    const later = await poll('/inc/ratelimit', {}, first.cursor, { now: new Date(NOW.getTime() + 40_000) });
    expect(calls.length, 'after the reset: head pages, then the gap').toBeGreaterThan(1);
    expect(later.cursor, 'the reset is forgotten').not.toHaveProperty('rateLimitReset');
  });

  it('a single page with 0 searches left still records the reset', async () => {
    const reset = NOW.getTime() / 1000 + 45;
    route('/inc/ratelimit-last', (_p, _q, res) =>
      json(res, page([issue(1, T0)]), 200, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset),
      }),
    );
    const result = await poll('/inc/ratelimit-last');
    expect(ids(result), 'the items').toEqual(['I_node1']);
    expect(result.cursor, 'reset in the cursor, no gap').toEqual({
      since: iso(T0),
      seen: { I_node1: iso(T0) },
      rateLimitReset: new Date(reset * 1000).toISOString(),
    });
  });

  it('ignores a cursor of the wrong shape (polls as the first time)', async () => {
    const calls = route('/inc/odd', (_p, _q, res) => json(res, page([issue(1, T0)])));
    for (const cursor of ['yesterday', { since: 'not a date' }, { since: 1717200000 }, [1]] as Json[]) {
      const result = await poll('/inc/odd', {}, cursor);
      expect(ids(result), `cursor ${JSON.stringify(cursor)}`).toEqual(['I_node1']);
    }
    expect(
      calls.map((c) => created(c)),
      'no created: from a bad cursor',
    ).toEqual([null, null, null, null]);
  });
});

const TOKEN = 'ghp_do_not_leak';

describeUpstreamFailures('github connector', {
  upstream: () => upstream,
  endpoint: (key) => ({
    path: `/std/${key}${SEARCH}`,
    fetch: (http) => poll(`/std/${key}`, { token: TOKEN }, null, { http }),
  }),
  validBody: page([issue(1, T0)]),
  expectValid: (result) => expect(ids(result), 'the retry succeeds').toEqual(['I_node1']),
  httpStatuses: [401, 403, 404, 422, 500],
  onHttpError: (error) => expect(error.message, 'no credential in the message').not.toContain(TOKEN),
});

describe('github connector: failures', () => {
  it('HTTP 403 rate limited (primary limit) → UpstreamError http 403', async () => {
    route('/fail/403', (_p, _q, res) =>
      json(res, { message: 'API rate limit exceeded' }, 403, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(NOW.getTime() / 1000 + 60),
      }),
    );
    const error = await failure(poll('/fail/403'));
    expect(error.kind, error.message).toBe('http');
    expect(error.status, 'status').toBe(403);
  });

  it('HTTP 403 secondary rate limit with Retry-After: the error carries retryAfterMs', async () => {
    route('/fail/403-secondary', (_p, _q, res) =>
      json(res, { message: 'You have exceeded a secondary rate limit' }, 403, { 'retry-after': '60' }),
    );
    const error = await failure(poll('/fail/403-secondary'));
    expect(error.status, error.message).toBe(403);
    expect(error.retryAfterMs, 'Retry-After for the scheduler').toBe(60_000);
  });

  it('JSON of the wrong shape → UpstreamError invalid', async () => {
    for (const [name, body] of [
      ['items-object', { total_count: 1, items: { 0: issue(1, T0) } }],
      ['array', [issue(1, T0)]],
      ['message', { message: 'Validation Failed' }],
    ] as const) {
      route(`/fail/shape-${name}`, (_p, _q, res) => json(res, JSON.stringify(body)));
      const error = await failure(poll(`/fail/shape-${name}`));
      expect(error.kind, `${name}: ${error.message}`).toBe('invalid');
      expect(error.message, `${name}: says what was wrong`).toContain('"items" array');
    }
  });
});
