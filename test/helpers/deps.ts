import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { createHttpClient } from '../../sources/http.ts';
import { createConnectorRegistry } from '../../sources/index.ts';
import type { Deps } from '../../src/deps.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { type Analyzer, createAnalyzer } from '../../src/nlp/analyzer.ts';

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
