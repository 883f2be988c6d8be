// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  // One row per run of a scheduled job that did something, failed or was skipped (idle runs are
  // thinned, old runs pruned: see src/jobs/history.ts). `counts` is a small object of numbers.
  await db.schema
    .createTable('job_runs')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('ok', 'failed', 'skipped')`))
    .addColumn('error', 'text')
    .addColumn('counts', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // hostname:pid of the process that ran it.
    .addColumn('worker', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('job_runs_job_idx')
    .on('job_runs')
    .columns(['job', 'started_at desc', 'id desc'])
    .execute();
  // A job's last success and last failure, however rare failures are.
  await db.schema
    .createIndex('job_runs_outcome_idx')
    .on('job_runs')
    .columns(['job', 'outcome', 'started_at desc', 'id desc'])
    .execute();
  await db.schema
    .createIndex('job_runs_started_idx')
    .on('job_runs')
    .columns(['started_at desc', 'id desc'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('job_runs').execute();
}
