/**
 * The alert outbox as the delivery worker sees it. A delivery is claimed with a lease (status
 * 'sending', `lease_until`); every later write names that lease, so a worker that lost its lease
 * (it was too slow and another reclaimed the row) changes nothing.
 */
import { sql } from 'kysely';
import type { AlertChannelRow, AlertDeliveryRow } from '../schema.ts';
import type { Executor } from './brands.ts';

/** A claimed delivery: its id and the lease that makes it ours. */
export type DeliveryLease = { id: number; leaseUntil: Date };

/**
 * Claims up to `limit` due deliveries: pending ones whose time has come, and 'sending' ones whose
 * lease expired (their sender crashed). Deliveries of disabled channels stay where they are.
 * Rows another worker is claiming are skipped, not waited for.
 */
export function claimDueDeliveries(
  db: Executor,
  claim: { now: Date; leaseUntil: Date; limit: number },
): Promise<AlertDeliveryRow[]> {
  return db
    .updateTable('alert_deliveries')
    .set({ status: 'sending', lease_until: claim.leaseUntil })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('alert_deliveries as d')
        .innerJoin('alert_channels as c', 'c.id', 'd.channel_id')
        .select('d.id')
        .where('d.status', 'in', ['pending', 'sending'])
        .where('d.next_attempt_at', '<=', claim.now)
        .where((w) =>
          w.or([
            w('d.status', '=', 'pending'),
            w('d.lease_until', 'is', null),
            w('d.lease_until', '<', claim.now),
          ]),
        )
        .where('c.enabled', '=', true)
        .orderBy('d.next_attempt_at')
        .orderBy('d.id')
        .limit(claim.limit)
        .forUpdate('d')
        .skipLocked(),
    )
    .returningAll()
    .execute();
}

export function getDeliveryChannels(db: Executor, ids: readonly number[]): Promise<AlertChannelRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('alert_channels')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
}

export function getDeliveryChannel(db: Executor, id: number): Promise<AlertChannelRow | undefined> {
  return db.selectFrom('alert_channels').selectAll().where('id', '=', id).executeTakeFirst();
}

export type AttemptRecord = {
  deliveryId: number;
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
};

export async function recordDeliveryAttempt(db: Executor, attempt: AttemptRecord): Promise<void> {
  await db
    .insertInto('alert_delivery_attempts')
    .values({
      delivery_id: attempt.deliveryId,
      attempted_at: attempt.attemptedAt,
      status_code: attempt.statusCode,
      error: attempt.error,
      latency_ms: Math.max(0, Math.round(attempt.latencyMs)),
    })
    .execute();
}

/** Only while the lease is ours: a row reclaimed or cancelled meanwhile is left alone. */
function updateLeased(db: Executor, lease: DeliveryLease) {
  return db
    .updateTable('alert_deliveries')
    .where('id', '=', lease.id)
    .where('status', '=', 'sending')
    .where('lease_until', '=', lease.leaseUntil);
}

async function applied(result: Promise<{ numUpdatedRows: bigint }>): Promise<boolean> {
  return (await result).numUpdatedRows > 0n;
}

export function markDeliveryDelivered(
  db: Executor,
  lease: DeliveryLease,
  done: { at: Date; statusCode: number },
): Promise<boolean> {
  return applied(
    updateLeased(db, lease)
      .set((eb) => ({
        status: 'delivered',
        attempts: eb('attempts', '+', 1),
        lease_until: null,
        delivered_at: done.at,
        last_status_code: done.statusCode,
        last_error: null,
      }))
      .executeTakeFirst(),
  );
}

/** An attempt failed in a way that may pass: try again at `nextAttemptAt`. */
export function rescheduleDelivery(
  db: Executor,
  lease: DeliveryLease,
  retry: { nextAttemptAt: Date; statusCode: number | null; error: string },
): Promise<boolean> {
  return applied(
    updateLeased(db, lease)
      .set((eb) => ({
        status: 'pending',
        attempts: eb('attempts', '+', 1),
        lease_until: null,
        next_attempt_at: retry.nextAttemptAt,
        last_status_code: retry.statusCode,
        last_error: retry.error,
      }))
      .executeTakeFirst(),
  );
}

export function markDeliveryFailed(
  db: Executor,
  lease: DeliveryLease,
  failure: { statusCode: number | null; error: string },
): Promise<boolean> {
  return applied(
    updateLeased(db, lease)
      .set((eb) => ({
        status: 'failed',
        attempts: eb('attempts', '+', 1),
        lease_until: null,
        last_status_code: failure.statusCode,
        last_error: failure.error,
      }))
      .executeTakeFirst(),
  );
}

/** Puts a claimed delivery back untried (no attempt counted): it waits for `nextAttemptAt`. */
export function releaseDelivery(db: Executor, lease: DeliveryLease, nextAttemptAt: Date): Promise<boolean> {
  return applied(
    updateLeased(db, lease)
      .set({ status: 'pending', lease_until: null, next_attempt_at: nextAttemptAt })
      .executeTakeFirst(),
  );
}

/**
 * Gives claimed deliveries back untried (a stopping worker's): pending, due when they were due, no
 * attempt counted, so the next claim of any worker takes them. Answers how many were still ours.
 */
export async function handBackDeliveries(db: Executor, leases: readonly DeliveryLease[]): Promise<number> {
  if (leases.length === 0) return 0;
  const result = await db
    .updateTable('alert_deliveries')
    .set({ status: 'pending', lease_until: null })
    .where('status', '=', 'sending')
    .where((eb) =>
      eb.or(leases.map((l) => eb.and([eb('id', '=', l.id), eb('lease_until', '=', l.leaseUntil)]))),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Stops delivery to a channel (its receiver said 404 or 410); the first reason given is kept. */
export function disableChannel(
  db: Executor,
  channel: { id: number; reason: string; at: Date },
): Promise<boolean> {
  return applied(
    db
      .updateTable('alert_channels')
      .set({
        enabled: false,
        disabled_reason: channel.reason,
        disabled_at: channel.at,
        updated_at: channel.at,
      })
      .where('id', '=', channel.id)
      .where('enabled', '=', true)
      .executeTakeFirst(),
  );
}

/**
 * Slack pacing, one message per second per webhook across processes: takes the channel's next free
 * slot, a second after the last one taken, unless that is later than `latest` — then nothing is
 * taken (a slot nobody uses would delay everyone after it) and `freeAt` says when to come back.
 */
export async function claimSlackSlot(
  db: Executor,
  slot: { channelId: number; now: Date; latest: Date },
): Promise<{ slot: Date } | { freeAt: Date }> {
  const taken = await sql<{ slot: Date }>`
    update alert_channels
    set next_send_at = greatest(next_send_at + interval '1 second', ${slot.now}::timestamptz)
    where id = ${slot.channelId} and next_send_at + interval '1 second' <= ${slot.latest}::timestamptz
    returning next_send_at as slot`.execute(db);
  const row = taken.rows[0];
  if (row) return { slot: new Date(row.slot) };
  const free = await sql<{ free_at: Date }>`
    select greatest(next_send_at + interval '1 second', ${slot.now}::timestamptz) as free_at
    from alert_channels where id = ${slot.channelId}`.execute(db);
  return { freeAt: new Date(free.rows[0]?.free_at ?? slot.now) };
}

/**
 * Moves the channel's last slot to when the message actually left, if that is later: the next
 * slot is then a full second after the real send, not after the slot it was meant for.
 */
export async function markSlackSend(db: Executor, send: { channelId: number; at: Date }): Promise<void> {
  await sql`update alert_channels set next_send_at = greatest(next_send_at, ${send.at}::timestamptz)
    where id = ${send.channelId}`.execute(db);
}

export type DeliveryAttemptRow = {
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
};

export type DeliveryLogEntry = AlertDeliveryRow & { log: DeliveryAttemptRow[] };

/** Deliveries of an incident or a channel, newest first, each with its attempts in order. */
export async function listDeliveryLog(
  db: Executor,
  filter: { incidentId?: number; channelId?: number; limit?: number },
): Promise<DeliveryLogEntry[]> {
  let query = db.selectFrom('alert_deliveries').selectAll();
  if (filter.incidentId !== undefined) query = query.where('incident_id', '=', filter.incidentId);
  if (filter.channelId !== undefined) query = query.where('channel_id', '=', filter.channelId);
  const deliveries = await query
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 100)
    .execute();
  if (deliveries.length === 0) return [];
  const attempts = await db
    .selectFrom('alert_delivery_attempts')
    .select(['delivery_id', 'attempted_at', 'status_code', 'error', 'latency_ms'])
    .where(
      'delivery_id',
      'in',
      deliveries.map((d) => d.id),
    )
    .orderBy('id')
    .execute();
  const byDelivery = new Map<number, DeliveryAttemptRow[]>();
  for (const a of attempts) {
    const log = byDelivery.get(Number(a.delivery_id)) ?? [];
    log.push({
      attemptedAt: a.attempted_at,
      statusCode: a.status_code,
      error: a.error,
      latencyMs: a.latency_ms,
    });
    byDelivery.set(Number(a.delivery_id), log);
  }
  return deliveries.map((d) => ({ ...d, log: byDelivery.get(Number(d.id)) ?? [] }));
}
