/**
 * Heap measurements for long runs: `heapUsed` after a full collection, so what is measured is what
 * stays reachable. vitest starts its workers without --expose-gc; V8 can still hand out `gc` at run time.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Bytes reachable after a full collection. */
export function heapAfterGc(gc: () => void): number {
  gc();
  return process.memoryUsage().heapUsed;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export type HeapGrowth = { firstThird: number; lastThird: number; growth: number };

/**
 * Growth from the first third of a run's samples to the last third, median against median: one
 * noisy sample moves neither, a leak that grows round after round moves the second.
 */
export function heapGrowth(samples: readonly number[]): HeapGrowth {
  if (samples.length < 6) throw new Error(`too few heap samples (${samples.length}) to compare thirds`);
  const third = Math.floor(samples.length / 3);
  const firstThird = median(samples.slice(0, third));
  const lastThird = median(samples.slice(-third));
  return { firstThird, lastThird, growth: lastThird - firstThird };
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
