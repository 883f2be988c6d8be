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
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Deletes the mentions older than `days` (0: keeps everything), in batches. The cutoff is rounded
 * down to the start of a UTC week, so a mention is kept `days` to `days + 6` days. The analytics
 * rollups keep the deleted mentions' figures: the retention horizon is moved to the cutoff first,
 * which makes the periods before it final (see db/queries/rollups.ts). Some mentions wait for a
 * later run (see `deleteMentionsBefore`). Idempotent: a run that stops half way is finished by the
 * next.
 */
export async function deleteExpiredMentions({
  deps,
  input,
  options = {},
}: {
  deps: Pick<Deps, 'db' | 'now'>;
  input: { days: number; batchSize?: number; pauseMs?: number };
  options?: { sleep?: (ms: number) => Promise<void> };
}): Promise<RetentionReport> {
  const { days, batchSize = RETENTION_BATCH, pauseMs = RETENTION_PAUSE_MS } = input;
  if (!Number.isInteger(days) || days < 0)
    throw new Error(`retention: days must be an integer >= 0, got ${days}`);
  if (days === 0) return { cutoff: null, deleted: 0, batches: 0 };
  const sleep = options.sleep ?? defaultSleep;
  const cutoff = startOfUtcWeek(new Date(deps.now().getTime() - days * 86_400_000));
  await closeRollupsBefore(deps.db, cutoff);
  const report: RetentionReport = { cutoff, deleted: 0, batches: 0 };
  for (;;) {
    const deleted = await deleteMentionsBefore(deps.db, cutoff, batchSize);
    if (deleted === 0) break;
    report.deleted += deleted;
    report.batches++;
    if (deleted < batchSize) break;
    await sleep(pauseMs);
  }
  return report;
}
