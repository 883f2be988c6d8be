/**
 * One ingest worker process for bench:ingest's multi-worker run: opens the production runtime
 * (test/bench/ingest-runtime.ts) on the schema it is given, warms its analyzer on the texts sent, says
 * `ready`, and on `go` polls every due source (`pollDueSources`, the claims shared with the other
 * workers through FOR UPDATE SKIP LOCKED), then answers with what it stored, how long it took and its
 * peak RSS (sampled every 100 ms). Started by ingest.ts with `fork` and `--import tsx`.
 */
import { pollDueSources } from '../../jobs/poll-sources.ts';
import { openBenchRuntime, type PollTally, type RssFigures, sampleRss, tally } from './ingest-runtime.ts';

export type WorkerStart = {
  type: 'start';
  url: string;
  schema: string;
  concurrency: number;
  warmup: string[];
  ignoreWords: string[];
};
export type WorkerGo = { type: 'go' };
export type WorkerMessage =
  | { type: 'ready' }
  | ({ type: 'done'; seconds: number; rss: RssFigures } & PollTally)
  | { type: 'error'; message: string };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

async function run(start: WorkerStart): Promise<void> {
  const rss = sampleRss();
  const runtime = await openBenchRuntime(start.url, start.schema);
  try {
    for (const text of start.warmup) runtime.deps.analyzer.analyze(text, { ignoreWords: start.ignoreWords });
    const go = new Promise<void>((resolve) => {
      process.once('message', (message) => {
        if ((message as WorkerGo).type === 'go') resolve();
      });
    });
    await send({ type: 'ready' });
    await go;
    const started = performance.now();
    const results = await pollDueSources({ deps: runtime.deps, input: { concurrency: start.concurrency } });
    const seconds = (performance.now() - started) / 1000;
    await send({ type: 'done', seconds, rss: rss.stop(), ...tally(results) });
  } finally {
    await runtime.close();
  }
}

if (process.send) {
  process.once('message', (message) => {
    run(message as WorkerStart).then(
      () => process.disconnect(),
      async (error: unknown) => {
        await send({ type: 'error', message: (error as Error).stack ?? String(error) });
        process.exit(1);
      },
    );
  });
}
