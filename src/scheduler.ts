/**
 * Runs the job registry on node-cron in the Node process: UTC, no overlapping runs of one job, and
 * a stop that waits for running jobs to finish.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Job, JobSettings } from '../jobs/index.ts';
import type { Deps } from './deps.ts';

export type Scheduler = { stop: () => Promise<void> };

export function startScheduler(deps: Deps, jobs: readonly Job[], settings: JobSettings): Scheduler {
  const running = new Set<Promise<unknown>>();
  const busy = new Set<string>();
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        if (busy.has(job.name)) return; // the previous run is still going
        busy.add(job.name);
        const run = job
          .run(deps, settings)
          .catch((error: unknown) => deps.logger.error({ job: job.name, err: error }, 'job failed'))
          .finally(() => {
            busy.delete(job.name);
            running.delete(run);
          });
        running.add(run);
        await run;
      },
      { name: job.name, timezone: 'Etc/UTC', noOverlap: true },
    ),
  );
  return {
    async stop() {
      for (const task of tasks) await task.stop();
      await Promise.allSettled([...running]);
    },
  };
}
