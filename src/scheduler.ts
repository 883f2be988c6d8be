/**
 * Runs the job registry on node-cron in the Node process: UTC, no overlapping runs of one job, and
 * a stop that waits for running jobs to finish. Every run goes to the job history (src/jobs/history.ts):
 * what it did, or how it failed, or that it was skipped because the previous one was still going.
 */
import { hostname } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import type { Job, JobSettings } from '../jobs/index.ts';
import type { Deps } from './deps.ts';
import { createRunRecorder, type RunRecorder } from './jobs/history.ts';

export type Scheduler = { stop: () => Promise<void> };

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
  const skip = (job: Job) => {
    const recorded = recorder.skipped(job.name, deps.now()).finally(() => running.delete(recorded));
    running.add(recorded);
  };
  const tasks: ScheduledTask[] = jobs.map((job) => {
    const task = cron.schedule(
      job.schedule,
      async () => {
        if (busy.has(job.name)) {
          skip(job); // the previous run is still going
          return;
        }
        busy.add(job.name);
        const startedAt = deps.now();
        const run = job
          .run(deps, settings)
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
    async stop() {
      for (const task of tasks) await task.stop();
      await Promise.allSettled([...running]);
    },
  };
}
