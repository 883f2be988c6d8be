/**
 * Operational metrics in the Prometheus text format (`GET /metrics`, src/routes/metrics.ts): what
 * polls, ingest, NLP and alert delivery did (counted as it happens), how much work is waiting (read
 * from the database at scrape time), how long HTTP requests take by route pattern, and the process's
 * own figures. Every name starts with `earshot_`.
 *
 * One `Metrics` per runtime (`deps.metrics`, built by `createMetrics`), so each test's app counts
 * only what it did. The process figures (CPU, memory, event loop, GC) belong to the process, not to
 * an app: they are collected once per process and added to every scrape.
 *
 * Recording never throws into the caller: a metric is never worth a failed poll or delivery.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { countDueDeliveries, countDueSources, countSourcesByState } from '../db/queries/metrics.ts';
import { classifySourceError, type SourceErrorClass } from '../sources/http.ts';
import { pollableKinds } from '../sources/index.ts';
import { type SourceHealth, sourceStatus } from './catalog/sources.ts';
import type { Deps } from './deps.ts';
import { AppError } from './errors.ts';

export const METRIC_PREFIX = 'earshot_';

export type PollOutcome = 'ok' | 'not_modified' | 'failed';

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'deferred';

export type Metrics = {
  registry: Registry;
  /** A poll finished; a failed one also counts its error's class. */
  recordPoll: (kind: string, outcome: PollOutcome, error?: unknown) => void;
  /** A batch was written (polled or pushed). */
  recordIngest: (kind: string, counts: { fetched: number; inserted: number; duplicates: number }) => void;
  /** One document was analysed in this many seconds. */
  recordAnalysis: (seconds: number) => void;
  recordDelivery: (channelKind: string, outcome: DeliveryOutcome) => void;
  /** `route` is the matched route pattern ("/api/brands/:id"), never the raw path. */
  recordHttpRequest: (method: string, route: string, status: number, seconds: number) => void;
  /** Scrape-time gauges, set from the database just before a scrape. */
  gauges: {
    queueDepth: Gauge<'queue'>;
    sources: Gauge<'status'>;
  };
};

export { classifySourceError, type SourceErrorClass };

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Every source status, so a status with no source reads 0 rather than vanishing. */
const SOURCE_STATUSES: Record<SourceHealth['status'], true> = {
  new: true,
  ok: true,
  degraded: true,
  failing: true,
  disabled: true,
  push: true,
};

let processRegistry: Registry | undefined;

/** CPU, memory, event loop lag, GC… of this process: started once, whatever the number of apps. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: METRIC_PREFIX });
  }
  return processRegistry;
}

export function createMetrics(options: { logger?: Deps['logger'] } = {}): Metrics {
  processMetrics();
  const registry = new Registry();
  const registers = [registry];
  const polls = new Counter({
    name: `${METRIC_PREFIX}polls_total`,
    help: 'Source polls, by source kind and outcome (ok, not_modified, failed).',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const sourceErrors = new Counter({
    name: `${METRIC_PREFIX}source_errors_total`,
    help: 'Failed polls, by source kind and error class (timeout, http_4xx, http_5xx, rate_limited, parse, network, other).',
    labelNames: ['kind', 'error'] as const,
    registers,
  });
  const fetched = new Counter({
    name: `${METRIC_PREFIX}mentions_fetched_total`,
    help: 'Items received from upstreams or pushed, by source kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const inserted = new Counter({
    name: `${METRIC_PREFIX}mentions_inserted_total`,
    help: 'New mentions stored, by source kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const duplicates = new Counter({
    name: `${METRIC_PREFIX}mentions_duplicate_total`,
    help: 'Items naming a brand that were stored before (not stored again), by source kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const nlpDocuments = new Counter({
    name: `${METRIC_PREFIX}nlp_documents_total`,
    help: 'Documents analysed (sentiment, themes, touchpoints, language).',
    registers,
  });
  const nlpSeconds = new Histogram({
    name: `${METRIC_PREFIX}nlp_seconds`,
    help: 'Time to analyse one document, in seconds.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const deliveries = new Counter({
    name: `${METRIC_PREFIX}alert_deliveries_total`,
    help: 'Alert delivery attempts and hold-backs, by channel kind and outcome (delivered, retry, failed, deferred).',
    labelNames: ['channel_kind', 'outcome'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP request durations, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const queueDepth = new Gauge({
    name: `${METRIC_PREFIX}queue_depth`,
    help: 'Work due now: alert deliveries a worker would claim (queue="deliveries"), sources due for a poll (queue="polls").',
    labelNames: ['queue'] as const,
    registers,
  });
  const sources = new Gauge({
    name: `${METRIC_PREFIX}sources`,
    help: 'Sources by health status (new, ok, degraded, failing, disabled, push), as the health API shows them.',
    labelNames: ['status'] as const,
    registers,
  });

  /** Runs a recording; a failure is logged, never thrown. */
  const safely =
    <A extends unknown[]>(name: string, record: (...args: A) => void) =>
    (...args: A): void => {
      try {
        record(...args);
      } catch (error) {
        options.logger?.warn({ err: error, metric: name }, 'metrics: recording failed');
      }
    };

  return {
    registry,
    recordPoll: safely('poll', (kind, outcome, error) => {
      polls.inc({ kind, outcome });
      if (outcome === 'failed') sourceErrors.inc({ kind, error: classifySourceError(error) });
    }),
    recordIngest: safely('ingest', (kind, counts) => {
      if (counts.fetched > 0) fetched.inc({ kind }, counts.fetched);
      if (counts.inserted > 0) inserted.inc({ kind }, counts.inserted);
      if (counts.duplicates > 0) duplicates.inc({ kind }, counts.duplicates);
    }),
    recordAnalysis: safely('analysis', (seconds) => {
      nlpDocuments.inc();
      nlpSeconds.observe(seconds);
    }),
    recordDelivery: safely('delivery', (channelKind, outcome) => {
      deliveries.inc({ channel_kind: channelKind, outcome });
    }),
    recordHttpRequest: safely('http', (method, route, status, seconds) => {
      const m = method.toUpperCase();
      httpDuration.observe(
        { method: HTTP_METHODS.has(m) ? m : 'other', route, status: String(status) },
        seconds,
      );
    }),
    gauges: { queueDepth, sources },
  };
}

export type Scrape = { contentType: string; text: string };

/**
 * What `GET /metrics` answers: the gauges read from the database now, then every metric. A database
 * that does not answer leaves those gauges out (logged), so the rest is still scraped.
 */
export async function scrapeMetrics({ deps }: { deps: Deps }): Promise<Scrape> {
  const metrics = deps.metrics;
  if (!metrics) throw new AppError('not_found', 'this runtime collects no metrics');
  const { queueDepth, sources } = metrics.gauges;
  try {
    const now = deps.now();
    const [dueDeliveries, duePolls, states] = await Promise.all([
      countDueDeliveries(deps.db, now),
      countDueSources(deps.db, now, pollableKinds(deps.connectors)),
      countSourcesByState(deps.db),
    ]);
    const byStatus = new Map<string, number>(Object.keys(SOURCE_STATUSES).map((s) => [s, 0]));
    for (const state of states) {
      const status = sourceStatus(state, deps.connectors.get(state.kind)?.push === true);
      byStatus.set(status, (byStatus.get(status) ?? 0) + state.count);
    }
    queueDepth.set({ queue: 'deliveries' }, dueDeliveries);
    queueDepth.set({ queue: 'polls' }, duePolls);
    for (const [status, count] of byStatus) sources.set({ status }, count);
  } catch (error) {
    queueDepth.reset();
    sources.reset();
    deps.logger.warn({ err: error }, 'metrics: cannot read the queue and source gauges');
  }
  const merged = Registry.merge([processMetrics(), metrics.registry]);
  return { contentType: metrics.registry.contentType, text: await merged.metrics() };
}
