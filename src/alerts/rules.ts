/**
 * Alert rules per brand: what fires (a negative mention, a volume spike or drop, a silent source, a
 * sentiment drop, an emerging negative theme), where it goes (channels), and how loudly (severity,
 * cooldown, quiet hours, digest, mute). Domain verbs used by the API and the config file alike.
 */
import { z } from 'zod';
import type { Executor } from '../../db/queries/brands.ts';
import type { AlertRuleRow } from '../../db/schema.ts';
import { TimeZoneName as TimeZone } from '../analytics/time.ts';
import type { Deps } from '../deps.ts';
import { AppError, conflictOnDuplicate, parseInput } from '../errors.ts';
import type { Json } from '../types.ts';
import { SEVERITIES } from './fire.ts';
import { NegativeMentionConditions } from './mention-rules.ts';
import { WINDOW_CONDITIONS } from './window-conditions.ts';

/** Conditions per rule kind. */
export const RULE_CONDITIONS = {
  negative_mention: NegativeMentionConditions,
  ...WINDOW_CONDITIONS,
} as const satisfies Record<string, z.ZodType>;
export type RuleKind = keyof typeof RULE_CONDITIONS;
export const RULE_KINDS = Object.keys(RULE_CONDITIONS) as [RuleKind, ...RuleKind[]];

const Ref = z.union([z.number().int().positive(), z.string().trim().min(1).max(200)]);
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day, HH:MM (24 h)');
const QuietHours = z.strictObject({ start: ClockTime, end: ClockTime, timeZone: TimeZone });
const Severity = z.enum(SEVERITIES);

const RuleFields = {
  brand: Ref,
  conditions: z.record(z.string(), z.unknown()).default({}),
  /** Channels by id or name. */
  channels: z.array(Ref).max(20).default([]),
  severity: Severity.default('warning'),
  /** An incident is not announced again within this many minutes of the last time. */
  cooldownMinutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .default(60),
  /** Deliveries wait for the end of quiet hours (urgent ones excepted). */
  quietHours: QuietHours.nullable().default(null),
  /** Held and sent as one message per hour or day (urgent ones excepted). */
  digest: z.enum(['hourly', 'daily']).nullable().default(null),
  /** Alerts at or above this severity skip the digest and quiet hours. */
  urgentSeverity: Severity.nullable().default(null),
  mutedUntil: z.iso.datetime({ offset: true }).nullable().default(null),
  enabled: z.boolean().default(true),
  /** Flood cap: past this many announcements in an hour the rest wait for the hourly digest (null: none). */
  maxAlertsPerHour: z.number().int().min(1).max(3600).nullable().default(30),
};

function checkConditions(kind: RuleKind, conditions: unknown, ctx: z.RefinementCtx): Json | undefined {
  const parsed = RULE_CONDITIONS[kind].safeParse(conditions);
  if (parsed.success) return parsed.data as Json;
  for (const issue of parsed.error.issues) {
    ctx.addIssue({ code: 'custom', path: ['conditions', ...issue.path.map(String)], message: issue.message });
  }
  return undefined;
}

export const RuleInput = z
  .strictObject({ name: z.string().trim().min(1).max(200), kind: z.enum(RULE_KINDS), ...RuleFields })
  .transform((rule, ctx) => ({
    ...rule,
    conditions: checkConditions(rule.kind, rule.conditions, ctx) ?? {},
  }));
export type RuleInput = z.input<typeof RuleInput>;

/** Every field but the kind may change; conditions are checked against the rule's kind. */
export const RulePatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  brand: RuleFields.brand.optional(),
  conditions: z.record(z.string(), z.unknown()).optional(),
  channels: z.array(Ref).max(20).optional(),
  severity: Severity.optional(),
  cooldownMinutes: RuleFields.cooldownMinutes.unwrap().optional(),
  quietHours: QuietHours.nullable().optional(),
  digest: z.enum(['hourly', 'daily']).nullable().optional(),
  urgentSeverity: Severity.nullable().optional(),
  mutedUntil: z.iso.datetime({ offset: true }).nullable().optional(),
  enabled: z.boolean().optional(),
  maxAlertsPerHour: RuleFields.maxAlertsPerHour.unwrap().optional(),
});

export type AlertRule = {
  id: number;
  name: string;
  brandId: number;
  kind: RuleKind;
  conditions: Json;
  channels: number[];
  severity: AlertRuleRow['severity'];
  cooldownMinutes: number;
  quietHours: Json | null;
  digest: AlertRuleRow['digest'];
  urgentSeverity: AlertRuleRow['urgent_severity'];
  mutedUntil: Date | null;
  enabled: boolean;
  maxAlertsPerHour: number | null;
  createdAt: Date;
  updatedAt: Date;
};

export function toRule(row: AlertRuleRow): AlertRule {
  return {
    id: row.id,
    name: row.name,
    brandId: row.brand_id,
    kind: row.kind as RuleKind,
    conditions: row.conditions,
    channels: row.channel_ids,
    severity: row.severity,
    cooldownMinutes: row.cooldown_minutes,
    quietHours: row.quiet_hours,
    digest: row.digest,
    urgentSeverity: row.urgent_severity,
    mutedUntil: row.muted_until,
    enabled: row.enabled,
    maxAlertsPerHour: row.max_alerts_per_hour,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function resolveRef(
  db: Executor,
  table: 'brands' | 'alert_channels',
  ref: number | string,
  what: string,
): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select('id')
    .where(typeof ref === 'number' ? 'id' : 'name', '=', ref)
    .executeTakeFirst();
  if (!row) throw new AppError('validation_failed', `${what} ${JSON.stringify(ref)} does not exist`);
  return row.id;
}

type RuleValues = Omit<Partial<z.output<typeof RuleInput>>, 'conditions'> & { conditions?: Json };

async function rowValues(db: Executor, rule: RuleValues, now: Date): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = { updated_at: now };
  if (rule.name !== undefined) values.name = rule.name;
  if (rule.kind !== undefined) values.kind = rule.kind;
  if (rule.brand !== undefined) values.brand_id = await resolveRef(db, 'brands', rule.brand, 'brand');
  if (rule.conditions !== undefined) values.conditions = JSON.stringify(rule.conditions);
  if (rule.channels !== undefined) {
    const ids: number[] = [];
    for (const ref of rule.channels) ids.push(await resolveRef(db, 'alert_channels', ref, 'channel'));
    values.channel_ids = [...new Set(ids)];
  }
  if (rule.severity !== undefined) values.severity = rule.severity;
  if (rule.cooldownMinutes !== undefined) values.cooldown_minutes = rule.cooldownMinutes;
  if (rule.quietHours !== undefined)
    values.quiet_hours = rule.quietHours === null ? null : JSON.stringify(rule.quietHours);
  if (rule.digest !== undefined) values.digest = rule.digest;
  if (rule.urgentSeverity !== undefined) values.urgent_severity = rule.urgentSeverity;
  if (rule.mutedUntil !== undefined)
    values.muted_until = rule.mutedUntil === null ? null : new Date(rule.mutedUntil);
  if (rule.enabled !== undefined) values.enabled = rule.enabled;
  if (rule.maxAlertsPerHour !== undefined) values.max_alerts_per_hour = rule.maxAlertsPerHour;
  return values;
}

export async function createRule({ deps, input }: { deps: Deps; input: unknown }): Promise<AlertRule> {
  const rule = parseInput(RuleInput, input, 'alert rule');
  const now = deps.now();
  const values = { ...(await rowValues(deps.db, rule, now)), created_at: now };
  const row = await conflictOnDuplicate(`an alert rule named "${rule.name}" already exists`, () =>
    deps.db
      .insertInto('alert_rules')
      .values(values as never)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  return toRule(row);
}

/**
 * Insert or update by name (the config file). An existing rule keeps its `created_at`: mentions
 * published before a rule existed never fire it, and re-reading the config changes nothing there.
 */
export async function upsertRule({ deps, input }: { deps: Deps; input: unknown }): Promise<AlertRule> {
  const rule = parseInput(RuleInput, input, 'alert rule');
  const now = deps.now();
  const values = await rowValues(deps.db, rule, now);
  const row = await deps.db
    .insertInto('alert_rules')
    .values({ ...values, created_at: now } as never)
    .onConflict((oc) => oc.column('name').doUpdateSet(values as never))
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRule(row);
}

/** What a rule has done lately, shown with it in lists (the alerts dashboard's rule table). */
export type RuleActivity = {
  /** When it last fired (its newest event), if ever. */
  lastFiredAt: Date | null;
  /** The newest delivery of its incidents: did channels hear about it? */
  lastDelivery: {
    id: number;
    channelId: number;
    status: string;
    attempts: number;
    createdAt: Date;
    deliveredAt: Date | null;
    lastStatusCode: number | null;
    lastError: string | null;
  } | null;
};

async function activityOf(db: Executor, ruleIds: readonly number[]): Promise<Map<number, RuleActivity>> {
  if (ruleIds.length === 0) return new Map();
  const [fired, delivered] = await Promise.all([
    db
      .selectFrom('alert_events')
      .select(['rule_id', (eb) => eb.fn.max('created_at').as('last_fired_at')])
      .where('rule_id', 'in', [...ruleIds])
      .groupBy('rule_id')
      .execute(),
    db
      .selectFrom('alert_deliveries as d')
      .innerJoin('incidents as i', 'i.id', 'd.incident_id')
      .distinctOn('i.rule_id')
      .select([
        'i.rule_id',
        'd.id',
        'd.channel_id',
        'd.status',
        'd.attempts',
        'd.created_at',
        'd.delivered_at',
        'd.last_status_code',
        'd.last_error',
      ])
      .where('i.rule_id', 'in', [...ruleIds])
      .orderBy('i.rule_id')
      .orderBy('d.id', 'desc')
      .execute(),
  ]);
  const activity = new Map<number, RuleActivity>(
    ruleIds.map((id) => [id, { lastFiredAt: null, lastDelivery: null }]),
  );
  for (const row of fired) {
    const entry = activity.get(row.rule_id);
    if (entry) entry.lastFiredAt = new Date(row.last_fired_at);
  }
  for (const d of delivered) {
    const entry = activity.get(d.rule_id);
    if (!entry) continue;
    entry.lastDelivery = {
      id: Number(d.id),
      channelId: d.channel_id,
      status: d.status,
      attempts: d.attempts,
      createdAt: d.created_at,
      deliveredAt: d.delivered_at,
      lastStatusCode: d.last_status_code,
      lastError: d.last_error,
    };
  }
  return activity;
}

async function withActivity(db: Executor, rows: AlertRuleRow[]): Promise<Array<AlertRule & RuleActivity>> {
  const activity = await activityOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => ({
    ...toRule(row),
    ...(activity.get(row.id) ?? { lastFiredAt: null, lastDelivery: null }),
  }));
}

/** Rules with their activity (last fired, last delivery). */
export async function listRules({
  deps,
  input = {},
}: {
  deps: Deps;
  input?: { brandId?: number };
}): Promise<Array<AlertRule & RuleActivity>> {
  let query = deps.db.selectFrom('alert_rules').selectAll().orderBy('id');
  if (input.brandId !== undefined) query = query.where('brand_id', '=', input.brandId);
  return withActivity(deps.db, await query.execute());
}

async function getRuleRow(db: Executor, id: number): Promise<AlertRuleRow> {
  const row = await db.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw AppError.notFound('alert rule', id);
  return row;
}

export async function getRule({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number };
}): Promise<AlertRule & RuleActivity> {
  const [rule] = await withActivity(deps.db, [await getRuleRow(deps.db, input.id)]);
  return rule as AlertRule & RuleActivity;
}

export async function updateRule({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; patch: unknown };
}): Promise<AlertRule> {
  const { conditions, ...patch } = parseInput(RulePatch, input.patch, 'alert rule');
  const current = await getRuleRow(deps.db, input.id);
  const kind = current.kind as RuleKind;
  const checked =
    conditions === undefined
      ? {}
      : {
          conditions: parseInput(
            RULE_CONDITIONS[kind],
            conditions,
            `alert rule conditions (${kind})`,
          ) as Json,
        };
  const values = await rowValues(deps.db, { ...patch, ...checked }, deps.now());
  const row = await conflictOnDuplicate(`an alert rule named "${patch.name}" already exists`, () =>
    deps.db
      .updateTable('alert_rules')
      .set(values as never)
      .where('id', '=', input.id)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  return toRule(row);
}

/** Deletes a rule with its incidents, events and queued deliveries. */
export async function deleteRule({ deps, input }: { deps: Deps; input: { id: number } }): Promise<void> {
  const deleted = await deps.db.deleteFrom('alert_rules').where('id', '=', input.id).executeTakeFirst();
  if (deleted.numDeletedRows === 0n) throw AppError.notFound('alert rule', input.id);
}
