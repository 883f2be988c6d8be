/**
 * The job registry: each job is one awaited, idempotent async function; schedules are cron
 * expressions in UTC (six fields: seconds first). Runtimes (node-cron in Node, cron triggers on
 * Workers) run these; none of the jobs knows which.
 */
import type { Deps } from '../src/deps.ts';
import { pollDueSources } from './poll-sources.ts';

export type JobSettings = { pollConcurrency: number };

export type Job = {
  name: string;
  schedule: string;
  description: string;
  run: (deps: Deps, settings: JobSettings) => Promise<unknown>;
};

export const JOBS: readonly Job[] = [
  {
    name: 'poll-sources',
    schedule: '*/10 * * * * *',
    description: 'Polls every source whose interval has elapsed (failing ones back off exponentially).',
    run: (deps, settings) => pollDueSources({ deps, input: { concurrency: settings.pollConcurrency } }),
  },
];
