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
import { deleteExpiredMentions } from './retention.ts';

export type JobSettings = {
  pollConcurrency: number;
  /** How long a claimed source is this process's to poll (default DEFAULT_POLL_LEASE_SECONDS). */
  pollLeaseSeconds?: number;
  /** Mentions older than this many days are deleted (0: kept forever). */
  retentionDays: number;
};

/** How the runtime tells a running job that the process is stopping. */
export type JobContext = {
  /** Aborted when the process starts stopping: claim no more work, finish what is under way. */
  stopping: AbortSignal;
  /** Aborted when the shutdown deadline passes: give back what is still claimed, now. */
  deadline: AbortSignal;
};

/** What a run did, as a few numbers (the job history keeps them; all zero: it did nothing). */
export type JobCounts = Record<string, number>;

export type Job = {
  name: string;
  schedule: string;
  description: string;
  /**
   * `context` says when the process stops. poll-sources claims one source at a time, so it stops
   * claiming and gives back what it is still polling; deliver-alerts gives back at once what it has
   * not started, finishes the sends under way, and gives those back too at the deadline. What a
   * process that dies held is retaken when its lease runs out.
   */
  run: (deps: Deps, settings: JobSettings, context?: JobContext) => Promise<JobCounts>;
};

export const JOBS: readonly Job[] = [
  {
    name: 'poll-sources',
    schedule: '*/10 * * * * *',
    description: 'Polls every source whose interval has elapsed (failing ones back off exponentially).',
    run: async (deps, settings, context) => {
      const polls = await pollDueSources({
        deps,
        input: {
          concurrency: settings.pollConcurrency,
          leaseSeconds: settings.pollLeaseSeconds,
          stop: context?.stopping,
          giveUp: context?.deadline,
        },
      });
      const sum = (field: 'fetched' | 'inserted') => polls.reduce((n, p) => n + p[field], 0);
      return {
        polled: polls.length,
        failed: polls.filter((p) => p.status === 'failed').length,
        fetched: sum('fetched'),
        inserted: sum('inserted'),
      };
    },
  },
  {
    name: 'deliver-alerts',
    schedule: '* * * * * *',
    description:
      'Sends queued alert deliveries (webhooks, Slack), retrying failures with backoff; an ingest that queues one also wakes it at once.',
    run: async (deps, _settings, context) => {
      const { disabledChannels, ...counts } = await deliverDueAlerts({
        deps,
        input: {},
        options: { stop: context?.stopping, giveUp: context?.deadline },
      });
      return { ...counts, disabledChannels: disabledChannels.length };
    },
  },
  {
    name: 'evaluate-alerts',
    schedule: '0 * * * * *',
    description:
      'Evaluates window rules: volume spikes and drops, silent sources, sentiment drops, emerging negative themes.',
    run: async (deps) => {
      const { rules, recorded, queued, outcomes } = await evaluateAlerts(deps);
      return { rules, recorded, queued, errors: outcomes.filter((o) => o.status === 'error').length };
    },
  },
  {
    name: 'send-digests',
    schedule: '30 * * * * *',
    description: 'Sends the hourly and daily digests of rules that hold their alerts.',
    run: async (deps) => {
      const { rules, events, queued } = await sendDueDigests({ deps });
      return { rules, events, queued };
    },
  },
  {
    name: 'retention',
    schedule: '0 17 3 * * *',
    description:
      'Deletes mentions older than EARSHOT_RETENTION_DAYS (0: never), a thousand at a time, one worker at a time; the analytics rollups keep their figures.',
    run: async (deps, settings) => {
      const { deleted, batches, runningElsewhere } = await deleteExpiredMentions({
        deps,
        input: { days: settings.retentionDays },
      });
      return { deleted, batches, runningElsewhere: runningElsewhere ? 1 : 0 };
    },
  },
];

/**
 * A job's schedule as a Cloudflare Workers cron trigger, which has five fields and fires once a
 * minute at most: the schedule without its seconds field. A job that ticks every few seconds on Node
 * runs every minute there; one at a set second of a set minute runs in that minute.
 */
export function workersCron(job: Pick<Job, 'name' | 'schedule'>): string {
  const fields = job.schedule.trim().split(/\s+/);
  if (fields.length === 6) return fields.slice(1).join(' ');
  if (fields.length === 5) return fields.join(' ');
  throw new Error(`job ${job.name}: "${job.schedule}" is not a cron expression of five or six fields`);
}

/** The jobs a Workers cron trigger runs, in registry order (see `workersCron`). */
export function jobsForCron(cron: string, jobs: readonly Job[] = JOBS): Job[] {
  const wanted = cron.trim().split(/\s+/).join(' ');
  return jobs.filter((job) => workersCron(job) === wanted);
}
