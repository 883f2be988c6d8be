/**
 * The job registry: each job is one awaited, idempotent async function; schedules are cron
 * expressions in UTC (six fields: seconds first). Runtimes (node-cron in Node, cron triggers on
 * Workers) run these; none of the jobs knows which.
 */

import { deliverDueAlerts } from '../src/alerts/deliver.ts';
import { sendDueDigests } from '../src/alerts/digest.ts';
import type { Deps } from '../src/deps.ts';
import { evaluateAlerts } from './evaluate-alerts.ts';
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
  {
    name: 'deliver-alerts',
    schedule: '* * * * * *',
    description:
      'Sends queued alert deliveries (webhooks, Slack), retrying failures with backoff; an ingest that queues one also wakes it at once.',
    run: (deps) => deliverDueAlerts({ deps, input: {} }),
  },
  {
    name: 'evaluate-alerts',
    schedule: '0 * * * * *',
    description:
      'Evaluates window rules: volume spikes and drops, silent sources, sentiment drops, emerging negative themes.',
    run: (deps) => evaluateAlerts(deps),
  },
  {
    name: 'send-digests',
    schedule: '30 * * * * *',
    description: 'Sends the hourly and daily digests of rules that hold their alerts.',
    run: (deps) => sendDueDigests({ deps }),
  },
];
