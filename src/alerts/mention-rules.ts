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
import { z } from 'zod';
import type { Executor } from '../../db/queries/brands.ts';
import type { AlertRuleRow, SourceRow } from '../../db/schema.ts';
import type { Json, SentimentLabel } from '../types.ts';
import { type Fired, fireAlert } from './fire.ts';

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
    for (const m of batch.mentions) {
      if (!m.brandIds.includes(rule.brand_id)) continue;
      if (!isFresh(rule, conditions.data, m, batch.now, batch.firstPoll)) continue;
      if (!mentionMatches(conditions.data, m, batch.source)) continue;
      const result = await fireAlert(db, mentionFiring(rule, conditions.data, m, batch), batch.now);
      if (result) fired.push(result);
    }
  }
  return fired;
}

/** Themes a mention can be grouped on: those not praised where they appear. */
const groupingThemes = (m: IngestedMention) =>
  m.themes.filter((t) => t.score === null || t.score <= 0).map((t) => t.theme);

/**
 * The open incident of this rule a mention belongs to: its original's (a syndicated copy), else one
 * that alerted on a mention with one of its themes within the window (the same complaint across
 * sources).
 */
async function relatedIncident(
  db: Executor,
  rule: AlertRuleRow,
  c: NegativeMentionConditions,
  m: IngestedMention,
  now: Date,
): Promise<{ groupKey: string; why: string } | undefined> {
  const open = db
    .selectFrom('incidents as i')
    .innerJoin('alert_events as e', 'e.incident_id', 'i.id')
    .select('i.group_key')
    .where('i.rule_id', '=', rule.id)
    .where('i.status', '<>', 'resolved');
  if (m.duplicateOf !== null) {
    const story = await open.where('e.mention_id', '=', m.duplicateOf).executeTakeFirst();
    if (story) return { groupKey: story.group_key, why: `a copy of mention ${m.duplicateOf}` };
  }
  const themes = groupingThemes(m);
  if (c.groupWindowMinutes === 0 || themes.length === 0) return undefined;
  const row = await open
    .innerJoin('mention_themes as mt', 'mt.mention_id', 'e.mention_id')
    .select('mt.theme')
    .where('e.created_at', '>=', new Date(now.getTime() - c.groupWindowMinutes * 60_000))
    .where('mt.theme', 'in', themes)
    .where((eb) => eb.or([eb('mt.sentiment_score', 'is', null), eb('mt.sentiment_score', '<=', 0)]))
    .orderBy('e.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { groupKey: row.group_key, why: `same theme “${row.theme}”` } : undefined;
}

function mentionFiring(
  rule: AlertRuleRow,
  c: NegativeMentionConditions,
  m: IngestedMention,
  batch: { source: SourceRow; brandNames: ReadonlyMap<number, string>; now: Date },
) {
  const brand = batch.brandNames.get(rule.brand_id) ?? `brand ${rule.brand_id}`;
  const what = m.label ?? (m.rating !== null ? `${m.rating}★` : 'matching');
  const score = m.score === null ? '' : ` (${m.score.toFixed(2)})`;
  const text = snippet(m.title ? `${m.title} — ${m.text}` : m.text);
  return {
    rule,
    // Copies of one story (syndication) join the original's incident.
    groupKey: `story:${m.duplicateOf ?? m.id}`,
    // …and so does the same complaint from another source within the window.
    joinGroup: (db: Executor) => relatedIncident(db, rule, c, m, batch.now),
    dedupeKey: `mention:${m.id}`,
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
