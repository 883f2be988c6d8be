import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import type { Database } from '../../db/schema.ts';
import { createHttpClient } from '../../sources/http.ts';
import { createConnectorRegistry } from '../../sources/index.ts';
import type { Deps } from '../../src/deps.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { type Analyzer, createAnalyzer } from '../../src/nlp/analyzer.ts';
import { createTestDb, resetDb } from './db.ts';

/** The at-rest key of test deployments (stored secrets are sealed with it). */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

let analyzer: Analyzer | undefined;

/** One analyzer per test process: loading the model is the slow part. */
export function testAnalyzer(): Analyzer {
  analyzer ??= createAnalyzer();
  return analyzer;
}

export function createTestDeps(db: Kysely<Database>, overrides: Partial<Deps> = {}): Deps {
  return {
    db,
    dbKind: process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite',
    analyzer: testAnalyzer(),
    http: createHttpClient({ retries: 0, timeoutMs: 2_000, perHostIntervalMs: 0 }),
    connectors: createConnectorRegistry(),
    logger: silentLogger,
    now: () => new Date(),
    readSecret: (name) => (name === 'EARSHOT_SECRET_KEY' ? TEST_SECRET_KEY : process.env[name]),
    // Its own counters per deps, so what one test counts is not another's.
    metrics: createMetrics(),
    ...overrides,
  };
}

/**
 * A migrated test database and deps over it for the enclosing describe block: created before its
 * tests, emptied before each one, closed after. Read `handle` and `deps` inside hooks and tests.
 */
export function useTestDeps(overrides: Partial<Deps> = {}): {
  readonly handle: DbHandle;
  readonly deps: Deps;
} {
  let current: { handle: DbHandle; deps: Deps } | undefined;
  const get = () => {
    if (!current) throw new Error('useTestDeps: the database is only there inside hooks and tests');
    return current;
  };
  beforeAll(async () => {
    const handle = await createTestDb();
    current = { handle, deps: createTestDeps(handle.db, overrides) };
  });
  afterAll(() => current?.handle.close());
  beforeEach(() => resetDb(get().handle.db));
  return {
    get handle() {
      return get().handle;
    },
    get deps() {
      return get().deps;
    },
  };
}
