/**
 * Runs the job registry on node-cron in the Node process: UTC, no overlapping runs of one job, and
 * a stop that lets running jobs finish. node-cron only ticks: which process does what work is
 * decided by the database (claims with leases). Every run goes to the job history
 * (src/jobs/history.ts): what it did, or how it failed, or that it was skipped because the previous
 * one was still going.
 */
import { hostname } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import type { Job, JobContext, JobSettings } from '../jobs/index.ts';
import type { Deps } from './deps.ts';
import { createRunRecorder, type RunRecorder } from './jobs/history.ts';

export type Scheduler = {
  /**
   * Stops ticking and tells running jobs to claim nothing more, then waits for them; past
   * `deadlineMs` (default: no deadline) they are told to give back what they still hold, and
   * given a few seconds for that. `finished` is false when the deadline passed.
   */
  stop: (deadlineMs?: number) => Promise<{ finished: boolean }>;
};

/** After the deadline, how long jobs get to give their claims back before the stop returns anyway. */
const GIVE_BACK_MS = 3_000;

/** Whether `work` settled within `ms`. */
function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([work.then(() => true as const), timeout]).finally(() => clearTimeout(timer));
}

export type SchedulerOptions = {
  /** Where runs are reported; default: the job history, as this process (hostname:pid). */
  recorder?: RunRecorder;
};

export function startScheduler(
  deps: Deps,
  jobs: readonly Job[],
  settings: JobSettings,
  options: SchedulerOptions = {},
): Scheduler {
  const recorder = options.recorder ?? createRunRecorder(deps, { worker: `${hostname()}:${process.pid}` });
  const running = new Set<Promise<unknown>>();
  const busy = new Set<string>();
  const stopping = new AbortController();
  const deadline = new AbortController();
  const context: JobContext = { stopping: stopping.signal, deadline: deadline.signal };
  const skip = (job: Job) => {
    const recorded = recorder.skipped(job.name, deps.now()).finally(() => running.delete(recorded));
    running.add(recorded);
  };
  const tasks: ScheduledTask[] = jobs.map((job) => {
    const task = cron.schedule(
      job.schedule,
      async () => {
        if (stopping.signal.aborted) return;
        if (busy.has(job.name)) {
          skip(job); // the previous run is still going
          return;
        }
        busy.add(job.name);
        const startedAt = deps.now();
        const run = job
          .run(deps, settings, context)
          .then(
            (counts) => recorder.finished(job.name, startedAt, { counts }),
            (error: unknown) => {
              deps.logger.error({ job: job.name, err: error }, 'job failed');
              return recorder.finished(job.name, startedAt, { error });
            },
          )
          .finally(() => {
            busy.delete(job.name);
            running.delete(run);
          });
        running.add(run);
        await run;
      },
      { name: job.name, timezone: 'Etc/UTC', noOverlap: true },
    );
    // With noOverlap, node-cron itself holds back a tick while the previous run is going.
    task.on('execution:overlap', () => skip(job));
    return task;
  });
  return {
    async stop(deadlineMs = Number.POSITIVE_INFINITY) {
      stopping.abort();
      for (const task of tasks) await task.stop();
      const settled = Promise.allSettled([...running]);
      if (!Number.isFinite(deadlineMs)) {
        await settled;
        return { finished: true };
      }
      if (await within(settled, deadlineMs)) return { finished: true };
      deps.logger.warn(
        { deadlineMs },
        'stopping: jobs still running at the deadline; giving their work back',
      );
      deadline.abort();
      await within(settled, GIVE_BACK_MS);
      return { finished: false };
    },
  };
}
