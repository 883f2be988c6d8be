/**
 * Negative-mention rules, fired inside the ingest transaction: a mention that matches is an alert
 * the moment it is committed (the outbox row commits with it), so support hears within seconds and
 * a crash loses nothing.
 *
 * No storm: a backfill or a new source's first poll brings old items. A mention fires only when it
 * was published after the rule existed AND within the rule's recent window (default 24 h) — both, as
 * a week-old rule would otherwise fire on a new source's week of history. An item with no date of
 * its own counts as published when fetched, except on a source's first poll.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Executor } from '../../db/queries/brands.ts';
import type { AlertRuleRow, SourceRow } from '../../db/schema.ts';
import type { Json, SentimentLabel } from '../types.ts';
import {
  announcedLastHour,
  decideFate,
  type Fired,
  type Firing,
  fireAlert,
  type HeldFiring,
  lockRule,
  recordHeldEvents,
} from './fire.ts';

const Labels = z.enum(['negative', 'mixed', 'neutral', 'positive']);
const Names = z.array(z.string().trim().min(1).max(100)).min(1).max(100);

export const NegativeMentionConditions = z.strictObject({
  /** Labels that fire (default: negative). */
  labels: z.array(Labels).min(1).max(4).default(['negative']),
  /** …and only at or below this score (−1..1), e.g. −0.5 for clearly negative ones. */
  maxScore: z.number().min(-1).max(1).optional(),
  /** A review rated at or below this fires whatever its text's label. */
  maxRating: z.number().int().min(1).max(5).optional(),
  sourceKinds: Names.optional(),
  /** Any of these touchpoints (service, price, delivery…). */
  touchpoints: Names.optional(),
  /** Any of these intents (churn, help…). */
  intents: Names.optional(),
  languages: Names.optional(),
  /** Likes + shares + replies… where the source reports engagement; items without it pass. */
  minEngagement: z.number().min(0).optional(),
  /**
   * A mention sharing a negative theme with an alert of this rule's open incident from the last
   * this-many minutes joins that incident, whatever its source (0: group syndicated copies only).
   */
  groupWindowMinutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .default(60),
  /** Older mentions never fire (no storm on backfills and first polls). */
  recentMinutes: z
    .number()
    .int()
    .min(1)
    .max(60 * 24 * 30)
    .default(60 * 24),
});
export type NegativeMentionConditions = z.output<typeof NegativeMentionConditions>;

export type IngestedMention = {
  id: number;
  brandIds: number[];
  /** The earlier copy of the same story, if this is a syndicated copy. */
  duplicateOf: number | null;
  occurredAt: Date;
  publishedAt: Date | null;
  title: string | null;
  text: string;
  label: SentimentLabel | null;
  score: number | null;
  rating: number | null;
  language: string | null;
  touchpoints: string[];
  intents: string[];
  engagement: Json | null;
  /** Themes with the sentiment of the sentences that hold them (aspect sentiment). */
  themes: { theme: string; score: number | null }[];
};

/** Sum of the numbers an upstream reports as engagement (likes, reposts, replies, points…). */
export function engagementTotal(engagement: Json | null): number | undefined {
  if (engagement === null || typeof engagement !== 'object' || Array.isArray(engagement)) return undefined;
  let total = 0;
  let any = false;
  for (const value of Object.values(engagement)) {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
      total += value;
      any = true;
    }
  }
  return any ? total : undefined;
}

const anyOf = (wanted: readonly string[] | undefined, have: readonly string[]) =>
  wanted === undefined || have.some((h) => wanted.includes(h));

export function mentionMatches(
  c: NegativeMentionConditions,
  m: IngestedMention,
  source: { kind: string },
): boolean {
  const byText =
    m.label !== null &&
    c.labels.includes(m.label) &&
    (c.maxScore === undefined || (m.score ?? 0) <= c.maxScore);
  const byRating = c.maxRating !== undefined && m.rating !== null && m.rating <= c.maxRating;
  if (!byText && !byRating) return false;
  if (c.sourceKinds && !c.sourceKinds.includes(source.kind)) return false;
  if (c.languages && (m.language === null || !c.languages.includes(m.language))) return false;
  if (!anyOf(c.touchpoints, m.touchpoints) || !anyOf(c.intents, m.intents)) return false;
  if (c.minEngagement !== undefined) {
    const total = engagementTotal(m.engagement);
    if (total !== undefined && total < c.minEngagement) return false;
  }
  return true;
}

/** Whether a mention is recent enough to fire (see the module comment). */
export function isFresh(
  rule: { created_at: Date },
  c: NegativeMentionConditions,
  m: IngestedMention,
  now: Date,
  firstPoll: boolean,
): boolean {
  if (m.publishedAt === null && firstPoll) return false;
  return (
    m.occurredAt >= rule.created_at && m.occurredAt.getTime() >= now.getTime() - c.recentMinutes * 60_000
  );
}

function snippet(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Fires the brands' enabled negative-mention rules on mentions just written, in the caller's
 * transaction. Returns what fired (queued deliveries mean the delivery worker has work).
 */
export async function fireMentionRules(
  db: Executor,
  batch: {
    source: SourceRow;
    mentions: readonly IngestedMention[];
    brandNames: ReadonlyMap<number, string>;
    now: Date;
    firstPoll: boolean;
  },
): Promise<Fired[]> {
  const brandIds = [...new Set(batch.mentions.flatMap((m) => m.brandIds))];
  if (brandIds.length === 0) return [];
  const rules = await db
    .selectFrom('alert_rules')
    .selectAll()
    .where('kind', '=', 'negative_mention')
    .where('enabled', '=', true)
    .where('brand_id', 'in', brandIds)
    .orderBy('id')
    .execute();
  if (rules.length === 0) return [];
  const fired: Fired[] = [];
  for (const rule of rules) {
    const conditions = NegativeMentionConditions.safeParse(rule.conditions);
    if (!conditions.success) continue; // Validated on write; a rule edited in SQL by hand is skipped.
    const c = conditions.data;
    const firing = batch.mentions.filter(
      (m) =>
        m.brandIds.includes(rule.brand_id) &&
        isFresh(rule, c, m, batch.now, batch.firstPoll) &&
        mentionMatches(c, m, batch.source),
    );
    if (firing.length > 0) fired.push(...(await fireRule(db, rule, c, firing, batch)));
  }
  return fired;
}

/**
 * One rule over a batch, under the rule's lock (a concurrent ingest waits, then sees ours): the
 * rule's state is read once, each mention's group and fate decided in order as `fireAlert` would,
 * and the held events (the many, in a storm: cooling down, flood-capped, for a digest) written
 * together; an event to announce goes through `fireAlert` itself. A few statements per batch
 * rather than several per mention, so the lock is held briefly.
 */
async function fireRule(
  db: Executor,
  rule: AlertRuleRow,
  c: NegativeMentionConditions,
  firing: readonly IngestedMention[],
  batch: { source: SourceRow; brandNames: ReadonlyMap<number, string>; now: Date },
): Promise<Fired[]> {
  await lockRule(db, rule.id);
  const { now } = batch;
  const themed = await recentThemeGroups(db, rule, c, firing, now);
  const state = await ruleState(db, rule, firing, themed, now);
  const fired: Fired[] = [];
  let held: HeldFiring[] = [];
  const flush = async () => {
    fired.push(...(await recordHeldEvents(db, rule, held, now)));
    held = [];
  };
  for (const [index, m] of firing.entries()) {
    const base = mentionFiring(rule, m, batch);
    if (state.seen.has(base.dedupeKey)) continue;
    const joined = relatedIncident(c, m, themed, state.stories);
    const f = joined
      ? { ...base, groupKey: joined.groupKey, summary: `${base.summary} (joins: ${joined.why})` }
      : base;
    const fate = decideFate(
      rule,
      f.severity,
      { notifiedAt: state.notified.get(f.groupKey) ?? null, announcedLastHour: state.announced },
      now,
    );
    if (fate.held) {
      held.push({ firing: f, digestDue: fate.digestDue, held: fate.held });
      if (!state.notified.has(f.groupKey)) state.notified.set(f.groupKey, null);
    } else {
      await flush();
      const result = await fireAlert(db, f, now, { ruleLocked: true });
      if (!result) continue;
      fired.push(result);
      if (result.queued > 0) {
        state.notified.set(f.groupKey, now);
        state.announced++;
      } else if (!state.notified.has(f.groupKey)) state.notified.set(f.groupKey, null);
    }
    state.stories.set(m.id, f.groupKey);
    // Later than anything stored: an ordering key, never written.
    const latest = {
      groupKey: f.groupKey,
      at: now.getTime(),
      eventId: Number.MAX_SAFE_INTEGER - firing.length + index,
    };
    for (const theme of groupingThemes(m)) themed.set(theme, latest);
  }
  await flush();
  return fired;
}

/**
 * What the rule's stored events and incidents say about this batch: dedupe keys already fired, the
 * open incidents of the stories these mentions copy, the open incidents among the groups they may
 * join (with when channels were last told), and the announcements of the last hour.
 */
async function ruleState(
  db: Executor,
  rule: AlertRuleRow,
  mentions: readonly IngestedMention[],
  themed: ReadonlyMap<string, ThemeGroup>,
  now: Date,
) {
  const originals = [...new Set(mentions.flatMap((m) => (m.duplicateOf === null ? [] : [m.duplicateOf])))];
  const stories = new Map<number, string>();
  if (originals.length > 0) {
    const rows = await db
      .selectFrom('alert_events as e')
      .innerJoin('incidents as i', 'i.id', 'e.incident_id')
      .select(['e.mention_id', 'i.group_key'])
      .where('i.rule_id', '=', rule.id)
      .where('i.status', '<>', 'resolved')
      .where('e.mention_id', 'in', originals)
      .orderBy('e.id')
      .execute();
    for (const r of rows) {
      if (r.mention_id !== null && !stories.has(Number(r.mention_id)))
        stories.set(Number(r.mention_id), r.group_key);
    }
  }
  const keys = [
    ...new Set([
      ...mentions.map((m) => storyKey(m)),
      ...stories.values(),
      ...[...themed.values()].map((t) => t.groupKey),
    ]),
  ];
  const [seen, open, announced] = await Promise.all([
    db
      .selectFrom('alert_events')
      .select('dedupe_key')
      .where('rule_id', '=', rule.id)
      .where(
        'dedupe_key',
        'in',
        mentions.map((m) => dedupeKey(m)),
      )
      .execute(),
    db
      .selectFrom('incidents')
      .select(['group_key', 'notified_at'])
      .where('rule_id', '=', rule.id)
      .where('status', '<>', 'resolved')
      .where('group_key', 'in', keys)
      .execute(),
    rule.max_alerts_per_hour === null
      ? Promise.resolve(0)
      : sql<{ n: number }>`select ${announcedLastHour(rule.id, now)} as n`
          .execute(db)
          .then((r) => Number(r.rows[0]?.n ?? 0)),
  ]);
  return {
    seen: new Set(seen.map((r) => r.dedupe_key)),
    stories,
    notified: new Map<string, Date | null>(open.map((r) => [r.group_key, r.notified_at])),
    announced,
  };
}

const storyKey = (m: IngestedMention) => `story:${m.duplicateOf ?? m.id}`;
const dedupeKey = (m: IngestedMention) => `mention:${m.id}`;

/** Themes a mention can be grouped on: those not praised where they appear. */
const groupingThemes = (m: IngestedMention) =>
  m.themes.filter((t) => t.score === null || t.score <= 0).map((t) => t.theme);

/** The incident a theme last alerted in, and when (event time, then event id: the most recent wins). */
type ThemeGroup = { groupKey: string; at: number; eventId: number };

/**
 * For each negative theme of these mentions, the open incident of this rule that last alerted on a
 * mention with it within the rule's group window: one query per batch, kept current by the caller as
 * the batch fires (a later event is always the most recent).
 */
async function recentThemeGroups(
  db: Executor,
  rule: AlertRuleRow,
  c: NegativeMentionConditions,
  mentions: readonly IngestedMention[],
  now: Date,
): Promise<Map<string, ThemeGroup>> {
  const themes = [...new Set(mentions.flatMap(groupingThemes))];
  if (c.groupWindowMinutes === 0 || themes.length === 0) return new Map();
  const rows = await db
    .selectFrom('alert_events as e')
    .innerJoin('incidents as i', 'i.id', 'e.incident_id')
    .innerJoin('mention_themes as mt', 'mt.mention_id', 'e.mention_id')
    .distinctOn('mt.theme')
    .select(['mt.theme', 'i.group_key', 'e.created_at', 'e.id'])
    .where('e.rule_id', '=', rule.id)
    .where('i.status', '<>', 'resolved')
    .where('e.created_at', '>=', new Date(now.getTime() - c.groupWindowMinutes * 60_000))
    .where('mt.theme', 'in', themes)
    .where((eb) => eb.or([eb('mt.sentiment_score', 'is', null), eb('mt.sentiment_score', '<=', 0)]))
    .orderBy('mt.theme')
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id', 'desc')
    .execute();
  return new Map(
    rows.map((r) => [r.theme, { groupKey: r.group_key, at: r.created_at.getTime(), eventId: Number(r.id) }]),
  );
}

/**
 * The open incident of this rule a mention belongs to: its original's (a syndicated copy), else the
 * one that last alerted on a mention with one of its themes within the window (the same complaint
 * across sources). `stories`: original mention id → its incident's group key.
 */
function relatedIncident(
  c: NegativeMentionConditions,
  m: IngestedMention,
  themed: ReadonlyMap<string, ThemeGroup>,
  stories: ReadonlyMap<number, string>,
): { groupKey: string; why: string } | undefined {
  if (m.duplicateOf !== null) {
    const story = stories.get(m.duplicateOf);
    if (story !== undefined) return { groupKey: story, why: `a copy of mention ${m.duplicateOf}` };
  }
  if (c.groupWindowMinutes === 0) return undefined;
  let found: (ThemeGroup & { theme: string }) | undefined;
  for (const theme of groupingThemes(m)) {
    const group = themed.get(theme);
    if (
      group &&
      (!found || group.at > found.at || (group.at === found.at && group.eventId > found.eventId))
    ) {
      found = { ...group, theme };
    }
  }
  return found ? { groupKey: found.groupKey, why: `same theme “${found.theme}”` } : undefined;
}

function mentionFiring(
  rule: AlertRuleRow,
  m: IngestedMention,
  batch: { source: SourceRow; brandNames: ReadonlyMap<number, string>; now: Date },
): Firing {
  const brand = batch.brandNames.get(rule.brand_id) ?? `brand ${rule.brand_id}`;
  const what = m.label ?? (m.rating !== null ? `${m.rating}★` : 'matching');
  const score = m.score === null ? '' : ` (${m.score.toFixed(2)})`;
  const text = snippet(m.title ? `${m.title} — ${m.text}` : m.text);
  return {
    rule,
    // Copies of one story (syndication) join the original's incident.
    groupKey: storyKey(m),
    dedupeKey: dedupeKey(m),
    severity: rule.severity,
    title: `${what[0]?.toUpperCase()}${what.slice(1)} mention of ${brand} on ${batch.source.name}`,
    summary: `${what}${score} on ${batch.source.kind}: “${text}”`,
    details: {
      mentionId: m.id,
      source: { id: batch.source.id, kind: batch.source.kind, name: batch.source.name },
      label: m.label,
      score: m.score,
      rating: m.rating,
      touchpoints: m.touchpoints,
      intents: m.intents,
      engagement: m.engagement,
      duplicateOf: m.duplicateOf,
      themes: m.themes.map((t) => t.theme),
    } as Json,
    mentionId: m.id,
  };
}
