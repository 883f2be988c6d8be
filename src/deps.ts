import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { HttpClient } from '../sources/http.ts';
import type { ConnectorRegistry } from '../sources/index.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Analyzer } from './nlp/analyzer.ts';

/** Everything domain verbs need, built once by a runtime entry and passed in. */
export type Deps = {
  db: Kysely<Database>;
  dbKind: 'pglite' | 'postgres';
  analyzer: Analyzer;
  http: HttpClient;
  /**
   * How webhooks and other raw outbound requests go out; the Node runtime passes one that refuses
   * private addresses (src/net/outbound.ts). Absent: the global fetch.
   */
  fetch?: typeof fetch;
  connectors: ConnectorRegistry;
  logger: Logger;
  now: () => Date;
  /** Reads a credential from the environment by name (see `SecretRef`). */
  readSecret: (name: string) => string | undefined;
  /** Called after a commit that queued alert deliveries: wakes this process's delivery worker. */
  alertsQueued?: () => void;
  /** What `GET /metrics` reports (src/metrics.ts); absent: nothing is counted and /metrics is 404. */
  metrics?: Metrics;
};
