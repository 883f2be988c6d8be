/**
 * Incidents: what the alerts API calls an alert — one story or problem, gaining events and mentions
 * rather than repeating, worked open → acknowledged → resolved with an assignee and notes.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { IncidentRow } from '../../db/schema.ts';
import { decodeCursor, encodeCursor } from '../analytics/mentions.ts';
import type { Deps } from '../deps.ts';
import { AppError, parseInput } from '../errors.ts';
import type { Json } from '../types.ts';
import { SEVERITIES } from './fire.ts';

export type Incident = {
  id: number;
  ruleId: number;
  brandId: number;
  kind: string;
  groupKey: string;
  status: IncidentRow['status'];
  severity: IncidentRow['severity'];
  title: string;
  assignee: string | null;
  /** Events (firings) the incident gathered. */
  eventCount: number;
  mentionCount: number;
  openedAt: Date;
  lastEventAt: Date;
  notifiedAt: Date | null;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
};

export function toIncident(row: IncidentRow): Incident {
  return {
    id: Number(row.id),
    ruleId: row.rule_id,
    brandId: row.brand_id,
    kind: row.kind,
    groupKey: row.group_key,
    status: row.status,
    severity: row.severity,
    title: row.title,
    assignee: row.assignee,
    eventCount: row.events,
    mentionCount: row.mention_count,
    openedAt: row.opened_at,
    lastEventAt: row.last_event_at,
    notifiedAt: row.notified_at,
    acknowledgedAt: row.acknowledged_at,
    resolvedAt: row.resolved_at,
  };
}

const STATUSES = ['open', 'acknowledged', 'resolved'] as const;

export const ListAlertsInput = z.strictObject({
  /** Comma-separated statuses; default: open and acknowledged (what needs attention). */
  status: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.enum(STATUSES)).min(1))
    .optional(),
  brand: z.coerce.number().int().positive().optional(),
  rule: z.coerce.number().int().positive().optional(),
  severity: z.enum(SEVERITIES).optional(),
  assignee: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

/** Incidents, most recently active first, by keyset cursor. */
export async function listAlerts({
  deps,
  input,
}: {
  deps: Deps;
  input: unknown;
}): Promise<{ items: Incident[]; nextCursor: string | null }> {
  const q = parseInput(ListAlertsInput, input, 'alerts query');
  let query = deps.db
    .selectFrom('incidents')
    .selectAll()
    .where('status', 'in', q.status ?? ['open', 'acknowledged']);
  if (q.brand !== undefined) query = query.where('brand_id', '=', q.brand);
  if (q.rule !== undefined) query = query.where('rule_id', '=', q.rule);
  if (q.severity !== undefined) query = query.where('severity', '=', q.severity);
  if (q.assignee !== undefined) query = query.where('assignee', '=', q.assignee);
  if (q.cursor !== undefined) {
    const cursor = decodeCursor(q.cursor);
    query = query.where(
      sql<boolean>`(last_event_at, id) < (${cursor.occurredAt}::timestamptz, ${cursor.id}::bigint)`,
    );
  }
  const rows = await query
    .orderBy('last_event_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const items = rows.slice(0, q.limit).map(toIncident);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.lastEventAt, last.id) : null,
  };
}

export type IncidentDetail = Incident & {
  /** The latest 100 events, newest first. */
  events: Array<{
    id: number;
    at: Date;
    severity: string;
    summary: string;
    mentionId: number | null;
    details: Json;
  }>;
  notes: Array<{ id: number; author: string | null; text: string; at: Date }>;
  deliveries: Array<{
    id: number;
    messageId: string;
    channelId: number;
    kind: string;
    status: string;
    attempts: number;
    nextAttemptAt: Date;
    lastStatusCode: number | null;
    lastError: string | null;
    createdAt: Date;
    deliveredAt: Date | null;
    log: Array<{ at: Date; statusCode: number | null; error: string | null; latencyMs: number }>;
  }>;
};

async function getIncidentRow(deps: Deps, id: number): Promise<IncidentRow> {
  const row = await deps.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw AppError.notFound('alert', id);
  return row;
}

/** One incident with its latest events, notes, and every delivery with its attempt log. */
export async function getAlert({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number };
}): Promise<IncidentDetail> {
  const row = await getIncidentRow(deps, input.id);
  const [events, notes, deliveries, attempts] = await Promise.all([
    deps.db
      .selectFrom('alert_events')
      .selectAll()
      .where('incident_id', '=', input.id)
      .orderBy('id', 'desc')
      .limit(100)
      .execute(),
    deps.db
      .selectFrom('incident_notes')
      .selectAll()
      .where('incident_id', '=', input.id)
      .orderBy('id')
      .execute(),
    deps.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('incident_id', '=', input.id)
      .orderBy('id')
      .execute(),
    deps.db
      .selectFrom('alert_delivery_attempts as a')
      .innerJoin('alert_deliveries as d', 'd.id', 'a.delivery_id')
      .select(['a.delivery_id', 'a.attempted_at', 'a.status_code', 'a.error', 'a.latency_ms'])
      .where('d.incident_id', '=', input.id)
      .orderBy('a.id')
      .execute(),
  ]);
  return {
    ...toIncident(row),
    events: events.map((e) => ({
      id: Number(e.id),
      at: e.created_at,
      severity: e.severity,
      summary: e.summary,
      mentionId: e.mention_id === null ? null : Number(e.mention_id),
      details: e.details,
    })),
    notes: notes.map((n) => ({ id: Number(n.id), author: n.author, text: n.text, at: n.created_at })),
    deliveries: deliveries.map((d) => ({
      id: Number(d.id),
      messageId: d.message_id,
      channelId: d.channel_id,
      kind: d.kind,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.next_attempt_at,
      lastStatusCode: d.last_status_code,
      lastError: d.last_error,
      createdAt: d.created_at,
      deliveredAt: d.delivered_at,
      log: attempts
        .filter((a) => Number(a.delivery_id) === Number(d.id))
        .map((a) => ({
          at: a.attempted_at,
          statusCode: a.status_code,
          error: a.error,
          latencyMs: a.latency_ms,
        })),
    })),
  };
}

export const Actor = z.strictObject({
  /** Who did it (recorded with the note). */
  by: z.string().trim().min(1).max(200).optional(),
  note: z.string().trim().min(1).max(10_000).optional(),
});

async function addNote(deps: Deps, id: number, author: string | undefined, text: string, now: Date) {
  await deps.db
    .insertInto('incident_notes')
    .values({ incident_id: id, author: author ?? null, text, created_at: now })
    .execute();
}

/** Acknowledges an open incident ("someone is on it"); also takes the assignee when none is set. */
export async function acknowledgeAlert({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; body?: unknown };
}): Promise<Incident> {
  const actor = parseInput(Actor, input.body ?? {}, 'acknowledgement');
  const row = await getIncidentRow(deps, input.id);
  if (row.status === 'resolved') throw new AppError('conflict', `alert ${input.id} is resolved`);
  const now = deps.now();
  const updated = await deps.db
    .updateTable('incidents')
    .set({
      status: 'acknowledged',
      acknowledged_at: row.acknowledged_at ?? now,
      assignee: row.assignee ?? actor.by ?? null,
    })
    .where('id', '=', input.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (actor.note) await addNote(deps, input.id, actor.by, actor.note, now);
  return toIncident(updated);
}

/** Resolves an incident; a later matching event opens a new one. */
export async function resolveAlert({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; body?: unknown };
}): Promise<Incident> {
  const actor = parseInput(Actor, input.body ?? {}, 'resolution');
  const row = await getIncidentRow(deps, input.id);
  if (row.status === 'resolved') return toIncident(row);
  const now = deps.now();
  const updated = await deps.db
    .updateTable('incidents')
    .set({ status: 'resolved', resolved_at: now, acknowledged_at: row.acknowledged_at ?? now })
    .where('id', '=', input.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (actor.note) await addNote(deps, input.id, actor.by, actor.note, now);
  return toIncident(updated);
}

export const AlertPatch = z.strictObject({ assignee: z.string().trim().min(1).max(200).nullable() });

export async function updateAlert({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; patch: unknown };
}): Promise<Incident> {
  const patch = parseInput(AlertPatch, input.patch, 'alert');
  await getIncidentRow(deps, input.id);
  const row = await deps.db
    .updateTable('incidents')
    .set({ assignee: patch.assignee })
    .where('id', '=', input.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toIncident(row);
}

export const NoteInput = z.strictObject({ text: z.string().trim().min(1).max(10_000), by: Actor.shape.by });

export async function addAlertNote({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; body: unknown };
}): Promise<{ id: number; author: string | null; text: string; at: Date }> {
  const note = parseInput(NoteInput, input.body, 'note');
  await getIncidentRow(deps, input.id);
  const row = await deps.db
    .insertInto('incident_notes')
    .values({ incident_id: input.id, author: note.by ?? null, text: note.text, created_at: deps.now() })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { id: Number(row.id), author: row.author, text: row.text, at: row.created_at };
}
