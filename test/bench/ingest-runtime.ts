/**
 * What bench:ingest's main process and its worker processes share: the production runtime
 * (`openRuntime`: migrations, analyzer, outbound guard, connectors, metrics) on one schema, with two
 * changes for a benchmark whose upstream is one loopback host — the outbound guard lets 127.0.0.1 through,
 * and the HTTP client's per-host politeness gate (2 requests at a time, 250 ms between starts) is
 * widened, since in production the sources sit on many hosts and that gate would be all this measured.
 */
import { createHttpClient } from '../../sources/http.ts';
import { openRuntime, type Runtime } from '../../src/bootstrap.ts';
import type { PollResult } from '../../src/ingest/poll-source.ts';
import { silentLogger } from '../../src/logger.ts';
import { createOutboundFetch } from '../../src/net/outbound.ts';
import { TEST_SECRET_KEY } from '../helpers/deps.ts';

export const LOOPBACK_ALLOW = ['127.0.0.1'];

export async function openBenchRuntime(url: string, schema: string): Promise<Runtime> {
  const runtime = await openRuntime(
    {
      databaseUrl: url,
      dataDir: '',
      // No file: the shipped sentiment model, as in a deployment that never ran `earshot train`.
      modelPath: '',
      vocabularyPath: undefined,
      outboundAllow: LOOPBACK_ALLOW,
      readSecret: (name) => (name === 'EARSHOT_SECRET_KEY' ? TEST_SECRET_KEY : undefined),
    },
    silentLogger,
    { kind: 'postgres', url, searchPath: schema },
  );
  const outbound = createOutboundFetch({ allow: LOOPBACK_ALLOW });
  runtime.deps.http = createHttpClient({ fetch: outbound, perHostConcurrency: 16, perHostIntervalMs: 0 });
  runtime.deps.fetch = outbound;
  return runtime;
}

export type PollTally = {
  polled: number;
  failed: number;
  inserted: number;
  fetched: number;
  errors: string[];
};

export function tally(results: readonly PollResult[]): PollTally {
  const errors = results.filter((r) => r.status === 'failed').map((r) => `source ${r.sourceId}: ${r.error}`);
  return {
    polled: results.length,
    failed: errors.length,
    inserted: results.reduce((n, r) => n + r.inserted, 0),
    fetched: results.reduce((n, r) => n + r.fetched, 0),
    errors: errors.slice(0, 5),
  };
}

/** A process's resident memory over a run: the highest sample and the median (the steady level). */
export type RssFigures = { peakMb: number; steadyMb: number };

/** This process's RSS, sampled every 100 ms until `stop()`. */
export function sampleRss(): { stop: () => RssFigures } {
  const samples = [process.memoryUsage().rss];
  const timer = setInterval(() => samples.push(process.memoryUsage().rss), 100);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      samples.push(process.memoryUsage().rss);
      const sorted = [...samples].sort((x, y) => x - y);
      const mb = (bytes: number) => bytes / (1024 * 1024);
      return { peakMb: mb(sorted.at(-1) ?? 0), steadyMb: mb(sorted[Math.floor(sorted.length / 2)] ?? 0) };
    },
  };
}
