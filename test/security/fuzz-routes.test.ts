/**
 * No input breaks the API: generated junk (random JSON bodies, query strings, path segments, content
 * types, SQL-injection and markup strings) thrown at every registered route always gets an answer
 * below 500, and every 4xx is the one error envelope with no stack trace. The routes come from the
 * app itself, so a new route is fuzzed without being listed here.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { loadDemo } from '../../src/cli/demo.ts';
import type { Deps } from '../../src/deps.ts';
import { routesOf } from '../helpers/app.ts';
import { BEARER } from '../helpers/auth.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const INJECTIONS = [
  "' OR 1=1 --",
  "'; drop table mentions; --",
  '1; select pg_sleep(10)',
  '" OR ""="',
  "1' union select password from pg_shadow --",
  '%27%20OR%201%3D1',
  '\\x00',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '${7*7}{{7*7}}',
  '9'.repeat(400),
  '-1',
  '0',
  '1e309',
  'NaN',
  '\u202E\u200B',
];

const junkString = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const junkJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(
    fc.constantFrom(
      'name',
      'kind',
      'options',
      'items',
      'source',
      'label',
      'brand',
      'url',
      'conditions',
      'channels',
      'text',
      'externalId',
      'include',
      'competitors',
    ),
    fc.oneof(junkString, fc.jsonValue({ maxDepth: 3 })),
  ),
);

/** A concrete path for a route pattern: params filled with junk or with ids that may exist. */
const pathFor = (pattern: string) =>
  fc
    .tuple(
      ...[...pattern.matchAll(/:(\w+)/g)].map(() =>
        fc.oneof(fc.constantFrom('1', '2', '999999', '0'), junkString),
      ),
    )
    .map((values) => {
      let i = 0;
      return pattern.replace(/:(\w+)/g, () => encodeURIComponent(values[i++] ?? ''));
    });

const queryFor = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'brand',
        'from',
        'to',
        'tz',
        'interval',
        'limit',
        'cursor',
        'label',
        'q',
        'theme',
        'by',
        'format',
        'status',
        'source',
        'with',
        'x',
      ),
      junkString,
    ),
    { maxLength: 4 },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());

describe('fuzzing every route', () => {
  let handle: DbHandle;
  let deps: Deps;
  let app: App;
  let routes: Array<{ method: string; path: string }>;

  beforeAll(async () => {
    handle = await createTestDb();
    await resetDb(handle.db);
    // Real data behind the ids, so junk reaches the queries rather than stopping at "not found".
    deps = createTestDeps(handle.db);
    await loadDemo(deps, { days: 5 });
    app = createApp(deps);
    routes = routesOf(app);
  }, 120_000);
  afterAll(() => handle.close());

  it('knows the routes it fuzzes', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes).toContainEqual({ method: 'POST', path: '/api/sources' });
  });

  it('SQL-injection strings in every filter are values, not SQL', async () => {
    const own = await handle.db
      .selectFrom('brands')
      .select('id')
      .where('kind', '=', 'own')
      .executeTakeFirstOrThrow();
    const before = await handle.db
      .selectFrom('mentions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const filters: Record<string, string[]> = {
      '/api/mentions': ['q', 'theme', 'touchpoint', 'intent', 'sourceKind', 'language', 'cursor', 'label'],
      [`/api/brands/${own.id}/trends`]: ['theme', 'touchpoint', 'source', 'language', 'tz'],
      [`/api/brands/${own.id}/themes`]: ['touchpoint', 'source', 'language'],
      [`/api/brands/${own.id}/compare/mentions`]: ['cursor'],
      [`/api/brands/${own.id}/breakdown`]: ['by', 'theme'],
      '/api/alerts': ['status', 'assignee', 'severity', 'cursor'],
    };
    for (const [path, names] of Object.entries(filters)) {
      for (const name of names) {
        for (const value of INJECTIONS) {
          const res = await app.request(
            `${path}?${new URLSearchParams({ [name]: value, ...(path.endsWith('breakdown') && name !== 'by' ? { by: 'source' } : {}) })}`,
            { headers: BEARER },
          );
          const text = await res.text();
          const where = `${path}?${name}=${value} → ${res.status} ${text.slice(0, 200)}`;
          expect(res.status, where).toBeLessThan(500);
          if (res.status === 200) {
            // A filter that matched as text finds nothing (no row has these values).
            const body = JSON.parse(text) as { items?: unknown[] };
            if (name === 'q' || name === 'theme') expect(body.items ?? [], where).toEqual([]);
          }
        }
      }
    }
    const after = await handle.db
      .selectFrom('mentions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  }, 300_000);
  it('answers junk with a 4xx in the error envelope (or a success), never a 5xx', async () => {
    const statuses = new Set<number>();
    const contentTypes = fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      '',
    );
    const bodies = fc.oneof(
      junkJson.map((v) => JSON.stringify(v)),
      junkString,
      fc.constant('{"unterminated": '),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }).chain((n) => {
          const route = routes[n % routes.length] as { method: string; path: string };
          return fc.record({
            route: fc.constant(route),
            path: pathFor(route.path),
            query: queryFor,
            body: bodies,
            type: contentTypes,
          });
        }),
        async ({ route, path, query, body, type }) => {
          // As an admin: junk must reach the routes' own validation, not stop at the token check.
          const init: RequestInit = {
            method: route.method,
            headers: { ...BEARER, ...(type ? { 'content-type': type } : {}) },
          };
          if (route.method !== 'GET' && route.method !== 'HEAD') init.body = body;
          const res = await app.request(`${path}${query ? `?${query}` : ''}`, init);
          const text = await res.text();
          statuses.add(res.status);
          const where = `${route.method} ${path}?${query} ${body.slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`;
          expect(res.status, where).toBeLessThan(500);
          expect(text, where).not.toMatch(/\n\s+at [\w.<>]+ \(|node_modules/);
          if (res.status >= 400 && (res.headers.get('content-type') ?? '').includes('json')) {
            const parsed = JSON.parse(text) as {
              error?: { code?: unknown; message?: unknown; requestId?: unknown };
            };
            expect(typeof parsed.error?.code, where).toBe('string');
            expect(typeof parsed.error?.message, where).toBe('string');
          }
        },
      ),
      {
        numRuns: Number(process.env.FUZZ_RUNS ?? 600),
        seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined,
      },
    );
    // The junk got past authentication to the routes: some of it succeeded, none was refused a token.
    expect(
      [...statuses].some((s) => s >= 200 && s < 300),
      [...statuses].join(','),
    ).toBe(true);
    expect(statuses.has(401) || statuses.has(403), [...statuses].join(',')).toBe(false);
  }, 300_000);
});
