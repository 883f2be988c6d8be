import { sql } from 'kysely';
import { deleteMentionsBefore } from '../db/queries/mentions.ts';
import { closeRollupsBefore, startOfUtcWeek } from '../db/queries/rollups.ts';
import type { Deps } from '../src/deps.ts';

/** Mentions deleted per statement: each one is a short transaction, so ingest never waits long. */
export const RETENTION_BATCH = 1000;
/** Between two statements, room for the other writers. */
export const RETENTION_PAUSE_MS = 200;

export type RetentionReport = {
  /** Mentions older than this were deleted; null when retention is off. */
  cutoff: Date | null;
  deleted: number;
  /** Statements that deleted something. */
  batches: number;
  /** Another process was running retention: this run left the work to it. */
  runningElsewhere: boolean;
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Key space of the advisory lock that keeps retention to one run at a time (the other key is 0). */
const RETENTION_LOCK_SPACE = 7_303;

/**
 * Runs `work` unless another process is running retention; undefined then. On PostgreSQL the lock
 * is a transaction-scoped advisory lock held by a transaction of its own, open for the whole run
 * while the batches commit one by one on other connections: it works through a transaction-pooling
 * proxy, and goes with the connection when a process dies. `stillOurs` (between batches) keeps that
 * transaction busy and fails if its connection was lost. PGlite is one process whose scheduler never
 * overlaps a job with itself, and its one connection cannot hold a transaction open beside the
 * batches: no lock there.
 */
async function alone<T>(
  deps: Pick<Deps, 'db' | 'dbKind'>,
  work: (stillOurs: () => Promise<void>) => Promise<T>,
): Promise<T | undefined> {
  if (deps.dbKind !== 'postgres') return work(async () => {});
  return deps.db.transaction().execute(async (tx) => {
    const lock = await sql<{ locked: boolean }>`
      select pg_try_advisory_xact_lock(${RETENTION_LOCK_SPACE}, 0) as locked`.execute(tx);
    if (!lock.rows[0]?.locked) return undefined;
    return work(async () => {
      await sql`select 1`.execute(tx);
    });
  });
}

/**
 * Deletes the mentions older than `days` (0: keeps everything), in batches. The cutoff is rounded
 * down to the start of a UTC week, so a mention is kept `days` to `days + 6` days. The analytics
 * rollups keep the deleted mentions' figures: the retention horizon is moved to the cutoff first,
 * which makes the periods before it final (see db/queries/rollups.ts). Some mentions wait for a
 * later run (see `deleteMentionsBefore`). One run at a time across processes: with several workers,
 * the one that gets the lock does the work and the others leave it (`runningElsewhere`). Idempotent:
 * a run that stops half way is finished by the next.
 */
export async function deleteExpiredMentions({
  deps,
  input,
  options = {},
}: {
  deps: Pick<Deps, 'db' | 'dbKind' | 'now'>;
  input: { days: number; batchSize?: number; pauseMs?: number };
  options?: { sleep?: (ms: number) => Promise<void> };
}): Promise<RetentionReport> {
  const { days, batchSize = RETENTION_BATCH, pauseMs = RETENTION_PAUSE_MS } = input;
  if (!Number.isInteger(days) || days < 0)
    throw new Error(`retention: days must be an integer >= 0, got ${days}`);
  if (days === 0) return { cutoff: null, deleted: 0, batches: 0, runningElsewhere: false };
  const sleep = options.sleep ?? defaultSleep;
  const cutoff = startOfUtcWeek(new Date(deps.now().getTime() - days * 86_400_000));
  const report: RetentionReport = { cutoff, deleted: 0, batches: 0, runningElsewhere: false };
  const ran = await alone(deps, async (stillOurs) => {
    await closeRollupsBefore(deps.db, cutoff);
    for (;;) {
      const deleted = await deleteMentionsBefore(deps.db, cutoff, batchSize);
      if (deleted === 0) break;
      report.deleted += deleted;
      report.batches++;
      if (deleted < batchSize) break;
      await sleep(pauseMs);
      await stillOurs();
    }
    return true;
  });
  if (!ran) report.runningElsewhere = true;
  return report;
}
