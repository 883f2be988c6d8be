/**
 * Job history: what each run of a scheduled job did (its counts), how it ended (`ok`, `failed`, or
 * `skipped` when the previous run of the job was still going) and which process ran it.
 *
 * Kept small on purpose. A run that did nothing (an `ok` whose counts are all zero: deliver-alerts
 * finds the outbox empty every second) is recorded only when this process recorded no run of that
 * job in the last minute; skipped ticks are recorded at most once a minute per job too, as one row
 * counting them (`counts.ticks`). Runs older than 14 days are deleted, in small batches, at most once
 * an hour per process.
 */
import { z } from 'zod';
import {
  deleteJobRunsBefore,
  insertJobRun,
  type JobRunRow,
  latestJobRuns,
  listJobRuns,
  type NewJobRun,
} from '../../db/queries/job-runs.ts';
import type { JobOutcome } from '../../db/schema.ts';
import { JOBS, type JobCounts } from '../../jobs/index.ts';
import { decodeCursor, encodeCursor } from '../analytics/mentions.ts';
import type { Deps } from '../deps.ts';
import { parseInput } from '../errors.ts';

export const JOB_OUTCOMES = ['ok', 'failed', 'skipped'] as const satisfies readonly JobOutcome[];

/** Runs kept this many days by default. */
export const KEEP_RUNS_DAYS = 14;
/** An idle run (or a skipped tick) is recorded at most this often per job and process. */
export const IDLE_RECORD_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
const PRUNE_BATCH = 1000;
/** A prune deletes at most this many batches; what is left goes at the next one. */
const PRUNE_MAX_BATCHES = 50;
const MAX_ERROR_CHARS = 200;

export type JobRun = {
  id: number;
  job: string;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  outcome: JobOutcome;
  error: string | null;
  counts: JobCounts;
  /** hostname:pid of the process that ran it. */
  worker: string;
};

function toJobRun(row: JobRunRow): JobRun {
  return {
    id: row.id,
    job: row.job,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.finished_at.getTime() - row.started_at.getTime(),
    outcome: row.outcome,
    error: row.error,
    counts: row.counts,
    worker: row.worker,
  };
}

/**
 * What a failed run's row says: the error's first line, at most 200 characters, with what could be
 * a credential masked (a URL's user info and query, bearer tokens, API tokens). Never a stack.
 */
export function describeError(error: unknown): string {
  const raw =
    error instanceof Error
      ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
      : String(error);
  const firstLine = raw.split('\n', 1)[0]?.trim() || 'failed';
  const masked = firstLine
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@')
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#]+)[?#]\S*/gi, '$1?***')
    .replace(/\b(bearer|basic)\s+\S+/gi, '$1 ***')
    .replace(/\bes_[A-Za-z0-9_-]{6,}/g, 'es_***')
    .replace(/\b(password|secret|token|key)=\S+/gi, '$1=***');
  return masked.length > MAX_ERROR_CHARS ? `${masked.slice(0, MAX_ERROR_CHARS - 1)}…` : masked;
}

/** Records one run as it is (no thinning: see `createRunRecorder`). */
export async function recordRun({
  deps,
  input,
}: {
  deps: Pick<Deps, 'db'>;
  input: NewJobRun;
}): Promise<void> {
  await insertJobRun(deps.db, {
    ...input,
    error: input.error === null ? null : input.error.slice(0, MAX_ERROR_CHARS),
  });
}

/** Deletes runs older than `keepDays`, in batches; answers how many it deleted. */
export async function pruneRuns({
  deps,
  input = {},
}: {
  deps: Pick<Deps, 'db' | 'now'>;
  input?: { keepDays?: number; batchSize?: number; maxBatches?: number };
}): Promise<number> {
  const { keepDays = KEEP_RUNS_DAYS, batchSize = PRUNE_BATCH, maxBatches = PRUNE_MAX_BATCHES } = input;
  const before = new Date(deps.now().getTime() - keepDays * 86_400_000);
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const n = await deleteJobRunsBefore(deps.db, before, batchSize);
    deleted += n;
    if (n < batchSize) break;
  }
  return deleted;
}

export const ListRunsInput = z.strictObject({
  job: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]{1,100}$/, 'a job name, such as poll-sources')
    .optional(),
  outcome: z.enum(JOB_OUTCOMES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

/** Runs, newest first, by keyset cursor. */
export async function listRuns({
  deps,
  input,
}: {
  deps: Pick<Deps, 'db'>;
  input: unknown;
}): Promise<{ items: JobRun[]; nextCursor: string | null }> {
  const q = parseInput(ListRunsInput, input, 'job runs query');
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const rows = await listJobRuns(deps.db, {
    job: q.job,
    outcome: q.outcome,
    before: after && { startedAt: after.occurredAt, id: after.id },
    limit: q.limit + 1,
  });
  const items = rows.slice(0, q.limit).map(toJobRun);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.startedAt, last.id) : null,
  };
}

export type JobSummary = {
  name: string;
  /** Cron, six fields (seconds first), UTC. */
  schedule: string;
  description: string;
  /** Idle runs are recorded at most once a minute: a job that runs every second shows one up to a minute old. */
  lastRun: JobRun | null;
  lastSuccess: JobRun | null;
  lastFailure: JobRun | null;
};

/** Every job of the registry with its schedule and its last run, last success and last failure. */
export async function listJobs({ deps }: { deps: Pick<Deps, 'db'> }): Promise<JobSummary[]> {
  const latest = await latestJobRuns(
    deps.db,
    JOBS.map((job) => job.name),
  );
  return JOBS.map((job) => {
    const runs = latest.get(job.name) ?? {};
    return {
      name: job.name,
      schedule: job.schedule,
      description: job.description,
      lastRun: runs.last ? toJobRun(runs.last) : null,
      lastSuccess: runs.ok ? toJobRun(runs.ok) : null,
      lastFailure: runs.failed ? toJobRun(runs.failed) : null,
    };
  });
}

/** How a scheduler reports runs; never throws (a history it cannot write is logged, not fatal). */
export type RunRecorder = {
  /** A run that ended: with its counts, or with the error it failed with. */
  finished: (
    job: string,
    startedAt: Date,
    result: { counts: JobCounts } | { error: unknown },
  ) => Promise<void>;
  /** A tick that found the previous run of the job still going. */
  skipped: (job: string, at: Date) => Promise<void>;
};

export type RunRecorderOptions = {
  /** This process: hostname:pid. */
  worker: string;
  keepDays?: number;
  idleRecordMs?: number;
  pruneEveryMs?: number;
};

type JobState = {
  /** When this process last recorded a run of the job. */
  lastRecordedAt?: number;
  lastSkipRecordedAt?: number;
  /** Skipped ticks not recorded yet, since `skippedSince`. */
  skipped: number;
  skippedSince?: Date;
};

const isIdle = (counts: JobCounts) => Object.values(counts).every((n) => n === 0);

/** The thinning recorder the scheduler uses (see the module's doc for the rules). */
export function createRunRecorder(
  deps: Pick<Deps, 'db' | 'now' | 'logger'>,
  options: RunRecorderOptions,
): RunRecorder {
  const {
    worker,
    keepDays = KEEP_RUNS_DAYS,
    idleRecordMs = IDLE_RECORD_MS,
    pruneEveryMs = PRUNE_EVERY_MS,
  } = options;
  const states = new Map<string, JobState>();
  let lastPruneAt: number | undefined;
  const stateOf = (job: string) => {
    let state = states.get(job);
    if (!state) {
      state = { skipped: 0 };
      states.set(job, state);
    }
    return state;
  };

  const write = async (run: Omit<NewJobRun, 'worker'>) => {
    try {
      await recordRun({ deps, input: { ...run, worker } });
      stateOf(run.job).lastRecordedAt = deps.now().getTime();
    } catch (error) {
      deps.logger.warn({ job: run.job, err: error }, 'could not record a job run');
    }
  };

  const maybePrune = async () => {
    const now = deps.now().getTime();
    if (lastPruneAt !== undefined && now - lastPruneAt < pruneEveryMs) return;
    lastPruneAt = now;
    try {
      await pruneRuns({ deps, input: { keepDays } });
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not prune the job history');
    }
  };

  const flushSkipped = async (job: string, until: Date) => {
    const state = stateOf(job);
    if (state.skipped === 0 || !state.skippedSince) return;
    const run = {
      job,
      startedAt: state.skippedSince,
      finishedAt: until,
      outcome: 'skipped' as const,
      error: null,
      counts: { ticks: state.skipped },
    };
    state.skipped = 0;
    state.skippedSince = undefined;
    state.lastSkipRecordedAt = deps.now().getTime();
    await write(run);
  };

  return {
    async finished(job, startedAt, result) {
      const finishedAt = deps.now();
      // Ticks skipped during this run and not recorded yet go first.
      await flushSkipped(job, finishedAt);
      const state = stateOf(job);
      if ('error' in result) {
        await write({
          job,
          startedAt,
          finishedAt,
          outcome: 'failed',
          error: describeError(result.error),
          counts: {},
        });
      } else {
        const recent =
          state.lastRecordedAt !== undefined && finishedAt.getTime() - state.lastRecordedAt < idleRecordMs;
        if (!(isIdle(result.counts) && recent)) {
          await write({ job, startedAt, finishedAt, outcome: 'ok', error: null, counts: result.counts });
        }
      }
      await maybePrune();
    },
    async skipped(job, at) {
      const state = stateOf(job);
      state.skipped++;
      state.skippedSince ??= at;
      const due =
        state.lastSkipRecordedAt === undefined || at.getTime() - state.lastSkipRecordedAt >= idleRecordMs;
      if (due) await flushSkipped(job, at);
    },
  };
}
