/**
 * Worker for bench:nlp's pool measurement: each worker creates its own analyzer and scores the
 * batches of texts it is sent, answering with how many it scored and the sum of their scores (so the
 * main thread can check the pool computes what a single thread computes). Started by bench:nlp through
 * an eval bootstrap that registers tsx in the worker thread (`execArgv: ['--import', 'tsx']` does not
 * work for workers on Node 20; see nlp.ts).
 *
 * Also exports `readEarshot`, the one place the benchmark turns an analysis into a score and a
 * "predicted negative" flag, tolerant of the analyzer being rewritten (see below).
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { createAnalyzer } from '../../src/nlp/analyzer.ts';

/** What the benchmark relies on in an analysis; `score` may be absent or null (non-English). */
type LooseAnalysis = {
  score?: number | null;
  label?: string | null;
  sentiment?: unknown;
};

export type Prediction = { score: number; negative: boolean };

/**
 * Score in -1..1 (missing, null or non-finite, or `sentiment: null`, counts as 0) and whether
 * earshot calls the text negative: label 'negative', or 'mixed' leaning negative.
 */
export function readEarshot(analysis: unknown): Prediction {
  const a = (analysis ?? {}) as LooseAnalysis;
  const unscored = a.sentiment === null;
  const score = !unscored && typeof a.score === 'number' && Number.isFinite(a.score) ? a.score : 0;
  const label = unscored ? 'neutral' : a.label;
  return { score, negative: label === 'negative' || (label === 'mixed' && score < 0) };
}

export type WorkerRequest = { id: number; texts: string[] };
export type WorkerReply = { id: number; count: number; sum: number };

if (!isMainThread && parentPort) {
  const port = parentPort;
  const analyzer = createAnalyzer();
  port.on('message', (request: WorkerRequest) => {
    let sum = 0;
    for (const text of request.texts) sum += readEarshot(analyzer.analyze(text)).score;
    const reply: WorkerReply = { id: request.id, count: request.texts.length, sum };
    port.postMessage(reply);
  });
}
