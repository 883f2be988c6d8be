/**
 * Firing a rule: the one way an alert comes to exist, called inside the transaction that caused it
 * (an ingest, a window evaluation). It records the event, opens or joins the incident of its group,
 * and writes the outbox rows the delivery worker sends — or holds them (mute, cooldown, digest,
 * quiet hours). Nothing is sent here; a crash after the commit loses nothing.
 *
 * Incidents, not noise: an event joins the open incident of its rule and group key (a story, a
 * theme, or the rule's own series) rather than alerting again; the incident is re-announced only
 * once its rule's cooldown has passed since channels were last told.
 */
import { randomUUID } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import { insertRecords } from '../../db/json.ts';
import type { Executor } from '../../db/queries/brands.ts';
import type { AlertRuleRow, IncidentRow, Severity } from '../../db/schema.ts';
import { zoneOffsetMs } from '../analytics/time.ts';
import type { Json } from '../types.ts';
import { type AlertMessage, MESSAGE_TEXT_LIMIT, type MessageEvent, type MessageMention } from './message.ts';

export const SEVERITIES = ['info', 'warning', 'critical'] as const satisfies readonly Severity[];
const rank = (s: Severity) => SEVERITIES.indexOf(s);

export type Firing = {
  rule: AlertRuleRow;
  /** Events with one group key share an incident while it is not resolved. */
  groupKey: string;
  /**
   * Finds an open incident this event belongs to under another key (the same theme across sources);
   * run under the rule's lock, so two concurrent events cannot both open one.
   */
  joinGroup?: (db: Executor) => Promise<{ groupKey: string; why: string } | undefined>;
  /** Unique per rule: firing again with the same key adds nothing (re-runs are harmless). */
  dedupeKey: string;
  severity: Severity;
  /** The incident's title when this event opens one. */
  title: string;
  /** One line for this event. */
  summary: string;
  /** The explanation (figures, baseline, top themes and sources, examples). */
  details: Json;
  mentionId?: number | null;
  /** Mentions this event adds to the incident: 1 for a mention event by default, else 0. */
  mentionCount?: number;
};

export type Fired = {
  eventId: number;
  incidentId: number;
  /** The event opened a new incident. */
  opened: boolean;
  /** The group key of the incident it joined or opened. */
  groupKey: string;
  /** Deliveries were queued now (not muted, cooled down, held for a digest or for quiet hours). */
  queued: number;
  /** Why nothing was queued, when nothing was. */
  held?: 'muted' | 'cooldown' | 'digest' | 'flood' | 'no_channel';
};

/** Events not yet announced that an incident's update lists alongside the new one. */
export const PENDING_EVENT_LIMIT = 9;

export type QuietHours = { start: string; end: string; timeZone: string };

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

/** When quiet hours that hold at `now` end; undefined when `now` is not in quiet hours. */
export function quietHoursEnd(quiet: QuietHours, now: Date): Date | undefined {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return undefined;
  const offset = zoneOffsetMs(now.getTime(), quiet.timeZone);
  const local = now.getTime() + offset;
  const minute = Math.floor((((local / 60_000) % 1440) + 1440) % 1440);
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inside) return undefined;
  const dayStart = local - (((local % 86_400_000) + 86_400_000) % 86_400_000);
  let localEnd = dayStart + end * 60_000;
  if (localEnd <= local) localEnd += 86_400_000;
  // The offset at the end (a DST change overnight moves it).
  const guess = localEnd - offset;
  return new Date(localEnd - zoneOffsetMs(guess, quiet.timeZone));
}

/** The next digest boundary after `now`: the next whole UTC hour, or the next midnight in `timeZone`. */
export function nextDigestAt(digest: 'hourly' | 'daily', now: Date, timeZone = 'UTC'): Date {
  if (digest === 'hourly') return new Date((Math.floor(now.getTime() / 3_600_000) + 1) * 3_600_000);
  const offset = zoneOffsetMs(now.getTime(), timeZone);
  const midnight = (Math.floor((now.getTime() + offset) / 86_400_000) + 1) * 86_400_000;
  // The offset at midnight itself (a DST change in between moves it).
  return new Date(midnight - zoneOffsetMs(midnight - offset, timeZone));
}

async function loadMention(db: Executor, mentionId: number): Promise<MessageMention | null> {
  const row = await db
    .selectFrom('mentions as m')
    .innerJoin('sources as s', 's.id', 'm.source_id')
    .select([
      'm.id',
      'm.url',
      'm.author',
      'm.title',
      'm.text',
      'm.published_at',
      'm.sentiment_label',
      'm.sentiment_score',
      'm.rating',
      'm.sentiment_reasons',
      's.kind as source_kind',
      's.name as source_name',
    ])
    .where('m.id', '=', mentionId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: Number(row.id),
    url: row.url,
    author: row.author,
    title: row.title,
    text: row.text.length > MESSAGE_TEXT_LIMIT ? `${row.text.slice(0, MESSAGE_TEXT_LIMIT - 1)}…` : row.text,
    sourceKind: row.source_kind,
    sourceName: row.source_name,
    publishedAt: row.published_at?.toISOString() ?? null,
    sentimentLabel: row.sentiment_label,
    sentimentScore: row.sentiment_score,
    rating: row.rating,
    reasons: (row.sentiment_reasons ?? []) as Json,
  };
}

/**
 * An event for a group whose incident is open joins it: its events and mentions are added, the
 * latest event time kept, and the severity raised to the event's if higher.
 */
const JOIN_OPEN_INCIDENT = sql`on conflict (rule_id, group_key) where status <> 'resolved' do update set
  events = incidents.events + excluded.events,
  mention_count = incidents.mention_count + excluded.mention_count,
  last_event_at = greatest(incidents.last_event_at, excluded.last_event_at),
  severity = case when array_position(array['info', 'warning', 'critical'], excluded.severity)
    > array_position(array['info', 'warning', 'critical'], incidents.severity)
    then excluded.severity else incidents.severity end`;

/** The rule's events announced in the hour before `now` (what the flood cap counts), as an expression. */
export function announcedLastHour(ruleId: number, now: Date): RawBuilder<number> {
  return sql<number>`(select count(*)::int from alert_events where rule_id = ${ruleId}
    and announced_at > ${new Date(now.getTime() - 3_600_000)})`;
}

/**
 * Opens the group's incident or joins the open one (escalating its severity), and records the event
 * in it: one statement.
 */
async function recordEvent(
  db: Executor,
  f: Firing,
  now: Date,
  mentions: number,
  digestDue: Date | null,
): Promise<IncidentRow & { opened: boolean; event_id: number }> {
  const result = await sql<IncidentRow & { opened: boolean; event_id: string | number }>`
    with incident as (
      insert into incidents (rule_id, brand_id, kind, group_key, severity, title, events, mention_count,
        opened_at, last_event_at)
      values (${f.rule.id}, ${f.rule.brand_id}, ${f.rule.kind}, ${f.groupKey}, ${f.severity}, ${f.title}, 1,
        ${mentions}, ${now}, ${now})
      ${JOIN_OPEN_INCIDENT}
      returning *, (xmax = 0) as opened
    ),
    event as (
      insert into alert_events (incident_id, rule_id, dedupe_key, mention_id, severity, summary, details,
        created_at, digest_due_at)
      values ((select id from incident), ${f.rule.id}, ${f.dedupeKey}, ${f.mentionId ?? null}, ${f.severity},
        ${f.summary}, ${JSON.stringify(f.details)}::jsonb, ${now}, ${digestDue})
      returning id
    )
    select incident.*, (select id from event) as event_id from incident`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('fireAlert: no incident row');
  return { ...row, id: Number(row.id), event_id: Number(row.event_id) };
}

/** What the rule's open incident and recent announcements say about a new event. */
export type RuleState = {
  /** When channels were last told about the open incident of the event's group (null: never, or none open). */
  notifiedAt: Date | null;
  /** Events of the rule announced in the last hour (the flood cap counts them). */
  announcedLastHour: number;
};

/**
 * Whether an event is announced now or held (muted, for a digest, by the flood cap, or cooling down
 * since its incident was last announced), and when a held one goes out in a digest.
 */
export function decideFate(rule: AlertRuleRow, severity: Severity, state: RuleState, now: Date) {
  const urgent = rule.urgent_severity !== null && rank(severity) >= rank(rule.urgent_severity);
  const quiet = rule.quiet_hours as QuietHours | null;
  const muted = rule.muted_until !== null && rule.muted_until > now;
  const cooling =
    state.notifiedAt !== null && state.notifiedAt.getTime() > now.getTime() - rule.cooldown_minutes * 60_000;
  const flooded =
    !muted &&
    !cooling &&
    (rule.digest === null || urgent) &&
    rule.max_alerts_per_hour !== null &&
    state.announcedLastHour >= rule.max_alerts_per_hour;
  const digestDue =
    !muted && ((rule.digest !== null && !urgent) || flooded)
      ? nextDigestAt(flooded ? 'hourly' : (rule.digest ?? 'hourly'), now, quiet?.timeZone ?? 'UTC')
      : null;
  const held: Fired['held'] = muted
    ? 'muted'
    : digestDue
      ? flooded
        ? 'flood'
        : 'digest'
      : cooling
        ? 'cooldown'
        : undefined;
  return { urgent, quiet, digestDue, held };
}

/**
 * Records a firing inside the caller's transaction; undefined when this rule already fired with
 * this dedupe key. Firings of one rule are serialised (a transaction-scoped advisory lock), so two
 * workers evaluating the same window cannot both record it.
 */
export async function fireAlert(
  db: Executor,
  firing: Firing,
  now: Date,
  options: { ruleLocked?: boolean } = {},
): Promise<Fired | undefined> {
  if (!options.ruleLocked) await lockRule(db, firing.rule.id);
  const joined = firing.joinGroup ? await firing.joinGroup(db) : undefined;
  const f = joined
    ? { ...firing, groupKey: joined.groupKey, summary: `${firing.summary} (joins: ${joined.why})` }
    : firing;
  const mentions = f.mentionCount ?? (f.mentionId ? 1 : 0);
  // What decides the event's fate, in one round trip: a repeat, the open incident's last
  // announcement (cooldown), and the rule's announcements in the last hour (flood cap).
  const announced = f.rule.max_alerts_per_hour === null ? sql`0` : announcedLastHour(f.rule.id, now);
  const { rows } = await sql<{ seen: boolean; notified_at: Date | null; announced: number }>`
    select
      exists (select 1 from alert_events where rule_id = ${f.rule.id} and dedupe_key = ${f.dedupeKey}) as seen,
      (select notified_at from incidents where rule_id = ${f.rule.id} and group_key = ${f.groupKey}
        and status <> 'resolved') as notified_at,
      ${announced} as announced`.execute(db);
  const state = rows[0];
  if (!state || state.seen) return undefined;

  const notifiedAt = state.notified_at === null ? null : new Date(state.notified_at);
  const { urgent, quiet, digestDue, held } = decideFate(
    f.rule,
    f.severity,
    { notifiedAt, announcedLastHour: state.announced },
    now,
  );

  const incident = await recordEvent(db, f, now, mentions, digestDue);
  const eventId = incident.event_id;
  const fired = { eventId, incidentId: incident.id, opened: incident.opened, groupKey: f.groupKey };

  if (held) return { ...fired, queued: 0, held };

  const brand = await db
    .selectFrom('brands')
    .select(['id', 'name'])
    .where('id', '=', f.rule.brand_id)
    .executeTakeFirst();
  const eventMessage: MessageEvent = {
    id: eventId,
    at: now.toISOString(),
    severity: f.severity,
    summary: f.summary,
    mention: f.mentionId ? await loadMention(db, f.mentionId) : null,
  };
  const message: AlertMessage = {
    type: incident.opened ? 'incident.opened' : 'incident.updated',
    createdAt: now.toISOString(),
    brand: brand ? { id: brand.id, name: brand.name } : null,
    rule: { id: f.rule.id, name: f.rule.name, kind: f.rule.kind },
    incident: {
      id: incident.id,
      status: incident.status,
      severity: incident.severity,
      title: incident.title,
      openedAt: incident.opened_at.toISOString(),
      events: incident.events,
      mentionCount: incident.mention_count,
    },
    summary: f.summary,
    details: f.details,
    // An update also lists what joined the incident since channels were last told (cooldown).
    events: [
      eventMessage,
      ...(incident.opened ? [] : await pendingEvents(db, incident.id, eventId, notifiedAt)),
    ],
  };
  const notBefore = urgent || !quiet ? now : (quietHoursEnd(quiet, now) ?? now);
  const queued = await queueDeliveries(db, f.rule.channel_ids, message, {
    incidentId: incident.id,
    notBefore,
  });
  if (queued === 0) return { ...fired, queued, held: 'no_channel' };
  await db.updateTable('incidents').set({ notified_at: now }).where('id', '=', incident.id).execute();
  await db.updateTable('alert_events').set({ announced_at: now }).where('id', '=', eventId).execute();
  return { ...fired, queued };
}

/** A firing the caller already decided is held (see `decideFate`), with its final group key. */
export type HeldFiring = { firing: Firing; digestDue: Date | null; held: NonNullable<Fired['held']> };

/**
 * Records held firings of one rule in two statements, as `fireAlert` would one by one: their events,
 * and the incidents they open or join (counts added, severity escalated). For a caller that holds
 * the rule's lock (`lockRule`) and has decided each one's fate from the rule's state.
 */
export async function recordHeldEvents(
  db: Executor,
  rule: AlertRuleRow,
  held: readonly HeldFiring[],
  now: Date,
): Promise<Fired[]> {
  if (held.length === 0) return [];
  const groups = new Map<string, { title: string; severity: Severity; events: number; mentions: number }>();
  for (const { firing: f } of held) {
    const mentions = f.mentionCount ?? (f.mentionId ? 1 : 0);
    const group = groups.get(f.groupKey);
    if (!group) groups.set(f.groupKey, { title: f.title, severity: f.severity, events: 1, mentions });
    else {
      group.events++;
      group.mentions += mentions;
      if (rank(f.severity) > rank(group.severity)) group.severity = f.severity;
    }
  }
  const keys = [...groups.keys()];
  const column = <T>(
    pick: (g: { title: string; severity: Severity; events: number; mentions: number }) => T,
  ) => keys.map((k) => pick(groups.get(k) as NonNullable<ReturnType<typeof groups.get>>));
  const incidents = await sql<{ id: string | number; group_key: string; opened: boolean }>`
    insert into incidents (rule_id, brand_id, kind, group_key, severity, title, events, mention_count,
      opened_at, last_event_at)
    select ${rule.id}::int, ${rule.brand_id}::int, ${rule.kind}::text, g.key, g.severity, g.title, g.events, g.mentions,
      ${now}::timestamptz, ${now}::timestamptz
    from unnest(${keys}::text[], ${column((g) => g.severity)}::text[], ${column((g) => g.title)}::text[],
      ${column((g) => g.events)}::int[], ${column((g) => g.mentions)}::int[])
      as g(key, severity, title, events, mentions)
    order by g.key
    ${JOIN_OPEN_INCIDENT}
    returning id, group_key, (xmax = 0) as opened`.execute(db);
  const incidentOf = new Map(
    incidents.rows.map((r) => [r.group_key, { id: Number(r.id), opened: r.opened }]),
  );
  // One jsonb parameter for the batch (a poll's negative mentions can be hundreds of events).
  const records = held.map(({ firing: f, digestDue }) => ({
    incident_id: incidentOf.get(f.groupKey)?.id ?? 0,
    rule_id: rule.id,
    dedupe_key: f.dedupeKey,
    mention_id: f.mentionId ?? null,
    severity: f.severity,
    summary: f.summary,
    details: f.details,
    created_at: now,
    digest_due_at: digestDue,
  }));
  const events = await sql<{ id: string | number; dedupe_key: string }>`
    ${insertRecords('alert_events', records, EVENT_RECORD)}
    returning id, dedupe_key`.execute(db);
  const eventOf = new Map(events.rows.map((e) => [e.dedupe_key, Number(e.id)]));
  const opening = new Set(keys.filter((k) => incidentOf.get(k)?.opened));
  return held.map(({ firing: f, held: why }) => {
    const incident = incidentOf.get(f.groupKey);
    if (!incident) throw new Error(`recordHeldEvents: no incident for ${f.groupKey}`);
    // The first event of a group opens its incident; the others join it.
    const opened = opening.delete(f.groupKey);
    return {
      eventId: eventOf.get(f.dedupeKey) ?? 0,
      incidentId: incident.id,
      opened,
      groupKey: f.groupKey,
      queued: 0,
      held: why,
    };
  });
}

/** The columns an alert event is written with, and their types (see `insertRecords`). */
const EVENT_RECORD = {
  incident_id: 'bigint',
  rule_id: 'integer',
  dedupe_key: 'text',
  mention_id: 'bigint',
  severity: 'text',
  summary: 'text',
  details: 'jsonb',
  created_at: 'timestamptz',
  digest_due_at: 'timestamptz',
};

/** The incident's events since channels were last told, newest first (the new event excluded). */
async function pendingEvents(
  db: Executor,
  incidentId: number,
  newEventId: number,
  since: Date | null,
): Promise<MessageEvent[]> {
  let query = db
    .selectFrom('alert_events')
    .select(['id', 'created_at', 'severity', 'summary'])
    .where('incident_id', '=', incidentId)
    .where('digest_due_at', 'is', null)
    .where('id', '<>', newEventId);
  if (since) query = query.where('created_at', '>', since);
  const rows = await query.orderBy('id', 'desc').limit(PENDING_EVENT_LIMIT).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.created_at.toISOString(),
    severity: r.severity,
    summary: r.summary,
    mention: null,
  }));
}

/** Key space of the advisory locks taken here (the other key is the rule id). */
const ALERT_LOCK_SPACE = 7_301;

/**
 * Serialises the firings of one rule until the caller's transaction ends (taken again by each
 * `fireAlert`; a caller that reads the rule's open incidents first takes it before reading).
 */
export async function lockRule(db: Executor, ruleId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${ALERT_LOCK_SPACE}, ${ruleId})`.execute(db);
}

/**
 * One outbox row per channel that exists (a disabled channel's rows wait for it to be enabled
 * again). The message id is the webhook-id of every attempt.
 */
export async function queueDeliveries(
  db: Executor,
  channelIds: readonly number[],
  message: AlertMessage,
  options: { incidentId: number | null; notBefore: Date; kind?: 'alert' | 'digest' | 'test' },
): Promise<number> {
  if (channelIds.length === 0) return 0;
  const channels = await db
    .selectFrom('alert_channels')
    .select('id')
    .where('id', 'in', [...channelIds])
    .execute();
  if (channels.length === 0) return 0;
  await db
    .insertInto('alert_deliveries')
    .values(
      channels.map((c) => ({
        message_id: `msg_${randomUUID().replaceAll('-', '')}`,
        channel_id: c.id,
        incident_id: options.incidentId,
        kind: options.kind ?? 'alert',
        payload: JSON.stringify(message),
        next_attempt_at: options.notBefore,
      })),
    )
    .execute();
  return channels.length;
}
