import { sql } from 'kysely';
import type { Json } from '../../src/types.ts';
import { jsonb } from '../json.ts';
import type { SourceRow } from '../schema.ts';
import type { Executor } from './brands.ts';
import { applyToRollups } from './rollups.ts';

export type SourceInput = {
  name: string;
  kind: string;
  options: Json;
  enabled?: boolean;
  pollIntervalSeconds: number;
  brandIds?: number[];
};

export function listSources(db: Executor): Promise<SourceRow[]> {
  return db.selectFrom('sources').selectAll().orderBy('id').execute();
}

export function getSource(db: Executor, id: number): Promise<SourceRow | undefined> {
  return db.selectFrom('sources').selectAll().where('id', '=', id).executeTakeFirst();
}

function sourceValues(input: SourceInput) {
  return {
    name: input.name,
    kind: input.kind,
    options: jsonb(input.options),
    enabled: input.enabled ?? true,
    poll_interval_seconds: input.pollIntervalSeconds,
    assign_brand_ids: input.brandIds ?? [],
  };
}

export function getSourceByName(db: Executor, name: string): Promise<SourceRow | undefined> {
  return db.selectFrom('sources').selectAll().where('name', '=', name).executeTakeFirst();
}

export function insertSource(db: Executor, input: SourceInput): Promise<SourceRow> {
  return db.insertInto('sources').values(sourceValues(input)).returningAll().executeTakeFirstOrThrow();
}

export function updateSource(
  db: Executor,
  id: number,
  patch: Partial<SourceInput>,
): Promise<SourceRow | undefined> {
  return db
    .updateTable('sources')
    .set({
      ...(patch.name === undefined ? {} : { name: patch.name }),
      // New options describe another feed: the old cursor no longer applies.
      ...(patch.options === undefined ? {} : { options: jsonb(patch.options), cursor: null }),
      ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
      ...(patch.pollIntervalSeconds === undefined
        ? {}
        : { poll_interval_seconds: patch.pollIntervalSeconds }),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Deletes a source and its mentions (run it in a transaction). The rollups lose those mentions, and
 * gain the copies of their stories in other sources, which now count as the originals.
 */
export async function deleteSource(db: Executor, id: number): Promise<boolean> {
  const owned = await db.selectFrom('mentions').select('id').where('source_id', '=', id).execute();
  const ownedIds = owned.map((r) => r.id);
  const copies =
    ownedIds.length === 0
      ? []
      : await db
          .selectFrom('mentions')
          .select('id')
          .where('duplicate_of', 'in', ownedIds)
          .where('source_id', '<>', id)
          .execute();
  await applyToRollups(db, ownedIds, -1);
  const result = await db.deleteFrom('sources').where('id', '=', id).executeTakeFirst();
  await applyToRollups(
    db,
    copies.map((r) => r.id),
    1,
  );
  return result.numDeletedRows > 0n;
}

/**
 * Insert or update by name (the config file). Changing a source's kind or options resets its cursor,
 * since the old cursor describes another feed.
 */
export function upsertSourceByName(db: Executor, input: SourceInput): Promise<SourceRow> {
  return db
    .insertInto('sources')
    .values(sourceValues(input))
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        kind: eb.ref('excluded.kind'),
        options: eb.ref('excluded.options'),
        enabled: eb.ref('excluded.enabled'),
        poll_interval_seconds: eb.ref('excluded.poll_interval_seconds'),
        assign_brand_ids: eb.ref('excluded.assign_brand_ids'),
        cursor: sql<
          string | null
        >`case when sources.kind = excluded.kind and sources.options = excluded.options
          then sources.cursor else null end`,
        updated_at: new Date(),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Claims up to `limit` enabled sources whose poll is due, oldest first, by pushing their next poll
 * out by a lease. Whoever claims a source polls it; if that process dies, the lease runs out and the
 * source is due again. SKIP LOCKED lets several workers claim at once without waiting on each other.
 */
export async function claimDueSources(
  db: Executor,
  now: Date,
  limit: number,
  leaseSeconds: number,
  kinds: readonly string[],
): Promise<SourceRow[]> {
  if (kinds.length === 0) return [];
  const leaseUntil = new Date(now.getTime() + leaseSeconds * 1000);
  return db
    .updateTable('sources')
    .set({ next_poll_at: leaseUntil })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('sources')
        .select('id')
        .where('enabled', '=', true)
        .where('kind', 'in', kinds)
        .where('next_poll_at', '<=', now)
        .orderBy('next_poll_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}

/** A claimed source: its id and the lease (`next_poll_at` as claimed) that makes it ours. */
export type SourceLease = { id: number; leaseUntil: Date };

/**
 * Gives a claimed source back, due at `dueAt` (a worker stopping before its poll finished). Only
 * while the lease is ours: a poll that finished meanwhile has set the next poll already, and a
 * source taken over by another worker after the lease ran out is left to that worker.
 */
export async function releaseSourceLease(db: Executor, lease: SourceLease, dueAt: Date): Promise<boolean> {
  const result = await db
    .updateTable('sources')
    .set({ next_poll_at: dueAt })
    .where('id', '=', lease.id)
    .where('next_poll_at', '=', lease.leaseUntil)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Records a successful poll (or push). `newMentions` counts the mentions it stored: none adds one to
 * `empty_polls`, any resets it ("silence" alerts). New stored mentions rather than items fetched,
 * because a feed without conditional GET returns its same old items on every poll.
 */
export function recordPollSuccess(
  db: Executor,
  id: number,
  at: Date,
  cursor: Json | null,
  nextPollAt: Date,
  newMentions: number,
): Promise<unknown> {
  return db
    .updateTable('sources')
    .set((eb) => ({
      cursor: jsonb(cursor),
      last_polled_at: at,
      last_success_at: at,
      consecutive_failures: 0,
      next_poll_at: nextPollAt,
      empty_polls: newMentions > 0 ? 0 : eb('empty_polls', '+', 1),
    }))
    .where('id', '=', id)
    .execute();
}

/** Max back-off after repeated failures, unless the source's own interval is longer. */
export const MAX_BACKOFF_SECONDS = 6 * 3600;

/**
 * Records a failed poll and backs off: the next poll waits interval × 2^failures, capped at
 * MAX_BACKOFF_SECONDS (or the interval itself if that is longer), and never less than the upstream
 * asked for.
 */
export function recordPollFailure(
  db: Executor,
  id: number,
  at: Date,
  error: string,
  status: number | null = null,
  /** The upstream asked us to wait until then (Retry-After, rate-limit reset). */
  notBefore: Date | null = null,
  /** The failure's class (timeout, http_5xx…). */
  kind: string | null = null,
): Promise<SourceRow | undefined> {
  return db
    .updateTable('sources')
    .set((eb) => ({
      last_polled_at: at,
      last_error: error.slice(0, 2000),
      last_error_status: status,
      last_error_kind: kind,
      last_error_at: at,
      consecutive_failures: eb('consecutive_failures', '+', 1),
      next_poll_at: sql<Date>`greatest(${at}::timestamptz + make_interval(secs => greatest(poll_interval_seconds,
        least(poll_interval_seconds * power(2, least(consecutive_failures + 1, 20)), ${MAX_BACKOFF_SECONDS}))),
        ${notBefore ?? at}::timestamptz)`,
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
