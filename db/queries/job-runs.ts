/**
 * The job history (`job_runs`): one row per recorded run of a scheduled job, newest first by
 * (started_at, id).
 */
import { type Selectable, sql } from 'kysely';
import { jsonb } from '../json.ts';
import type { JobOutcome, JobRunsTable } from '../schema.ts';
import type { Executor } from './brands.ts';

export type JobRunRow = Selectable<JobRunsTable>;

export type NewJobRun = {
  job: string;
  startedAt: Date;
  finishedAt: Date;
  outcome: JobOutcome;
  error: string | null;
  counts: Record<string, number>;
  worker: string;
};

export async function insertJobRun(db: Executor, run: NewJobRun): Promise<void> {
  await db
    .insertInto('job_runs')
    .values({
      job: run.job,
      started_at: run.startedAt,
      finished_at: run.finishedAt,
      outcome: run.outcome,
      error: run.error,
      counts: jsonb(run.counts),
      worker: run.worker,
    })
    .execute();
}

export type JobRunFilter = {
  job?: string;
  outcome?: JobOutcome;
  /** Runs strictly before this (started_at, id): the keyset of the previous page's last run. */
  before?: { startedAt: Date; id: number };
  limit: number;
};

/** Runs, newest first. */
export function listJobRuns(db: Executor, filter: JobRunFilter): Promise<JobRunRow[]> {
  let query = db.selectFrom('job_runs').selectAll();
  if (filter.job !== undefined) query = query.where('job', '=', filter.job);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
  if (filter.before !== undefined) {
    const { startedAt, id } = filter.before;
    query = query.where(sql<boolean>`(started_at, id) < (${startedAt}::timestamptz, ${id}::bigint)`);
  }
  return query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export type LatestRuns = { last?: JobRunRow; ok?: JobRunRow; failed?: JobRunRow };

/** Per job: its last run, its last successful run and its last failed one (one index probe each). */
export async function latestJobRuns(db: Executor, jobs: readonly string[]): Promise<Map<string, LatestRuns>> {
  const latest = new Map<string, LatestRuns>(jobs.map((job) => [job, {}]));
  if (jobs.length === 0) return latest;
  const names = sql`unnest(${[...jobs]}::text[]) as j(name)`;
  const newest = (outcome?: JobOutcome) => sql`(
    select * from job_runs r
    where r.job = j.name ${outcome === undefined ? sql`` : sql`and r.outcome = ${outcome}`}
    order by r.started_at desc, r.id desc
    limit 1)`;
  const result = await sql<JobRunRow & { kind: keyof LatestRuns }>`
    select 'last' as kind, r.* from ${names} cross join lateral ${newest()} r
    union all
    select 'ok' as kind, r.* from ${names} cross join lateral ${newest('ok')} r
    union all
    select 'failed' as kind, r.* from ${names} cross join lateral ${newest('failed')} r`.execute(db);
  for (const { kind, ...row } of result.rows) {
    const entry = latest.get(row.job);
    if (entry) entry[kind] = row;
  }
  return latest;
}

/** Deletes up to `limit` runs started before `before`, oldest first; answers how many. */
export async function deleteJobRunsBefore(db: Executor, before: Date, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('job_runs')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('job_runs')
        .select('id')
        .where('started_at', '<', before)
        .orderBy('started_at')
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
