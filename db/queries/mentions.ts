import { type SqlBool, sql } from 'kysely';
import type { Json, SentimentLabel } from '../../src/types.ts';
import { insertRecords } from '../json.ts';
import type { MentionRow, Reason, SentenceScore } from '../schema.ts';
import type { Executor } from './brands.ts';
import { applyToRollups } from './rollups.ts';

/** What an item says, once normalised: the part of a mention that comes from its source. */
export type MentionContent = {
  externalId: string;
  url: string | null;
  author: string | null;
  title: string | null;
  text: string;
  publishedAt: Date | null;
  rating: number | null;
  language: string | null;
};

export type NewMention = MentionContent & {
  sourceId: number;
  fetchedAt: Date;
  sentimentScore: number | null;
  sentimentLabel: SentimentLabel | null;
  sentences: SentenceScore[] | null;
  sentimentReasons: Reason[] | null;
  touchpoints: string[];
  intents: string[];
  engagement: Json | null;
  canonicalUrl: string | null;
  textSimhash: number | null;
};

/**
 * Inserts mentions, skipping those already stored (unique source + external id).
 * Returns the rows actually inserted, with their ids.
 */
export async function insertMentions(
  db: Executor,
  mentions: readonly NewMention[],
): Promise<Array<Pick<MentionRow, 'id' | 'external_id' | 'occurred_at'>>> {
  if (mentions.length === 0) return [];
  const records = mentions.map((m) => ({
    source_id: m.sourceId,
    external_id: m.externalId,
    url: m.url,
    author: m.author,
    title: m.title,
    text: m.text,
    published_at: m.publishedAt,
    fetched_at: m.fetchedAt,
    rating: m.rating,
    language: m.language,
    sentiment_score: m.sentimentScore,
    sentiment_label: m.sentimentLabel,
    sentences: m.sentences,
    sentiment_reasons: m.sentimentReasons,
    touchpoints: m.touchpoints,
    intents: m.intents,
    engagement: m.engagement,
    canonical_url: m.canonicalUrl,
    text_simhash: m.textSimhash,
  }));
  const inserted = await sql<Pick<MentionRow, 'id' | 'external_id' | 'occurred_at'>>`
    ${insertRecords('mentions', records, MENTION_RECORD)}
    on conflict (source_id, external_id) do nothing
    returning id, external_id, occurred_at`.execute(db);
  return inserted.rows;
}

/** The columns a new mention is written with, and their types (see `insertRecords`). */
const MENTION_RECORD = {
  source_id: 'integer',
  external_id: 'text',
  url: 'text',
  author: 'text',
  title: 'text',
  text: 'text',
  published_at: 'timestamptz',
  fetched_at: 'timestamptz',
  rating: 'real',
  language: 'text',
  sentiment_score: 'real',
  sentiment_label: 'text',
  sentences: 'jsonb',
  sentiment_reasons: 'jsonb',
  touchpoints: 'text[]',
  intents: 'text[]',
  engagement: 'jsonb',
  canonical_url: 'text',
  text_simhash: 'bigint',
} as const;

/**
 * SimHash bands for an indexed lookup: the 48 bits as 4 bands of 12. Two hashes within 6 bits of
 * each other differ by at most 1 bit in at least one band (pigeonhole: 4 bands × 2 bits > 6), so
 * every near copy shares a band value, or a one-bit neighbour of one, with its original.
 * Migration 0011 indexes `(text_simhash >> shift) & 4095` for each shift.
 */
export const SIMHASH_BAND_SHIFTS = [36, 24, 12, 0] as const;
const BAND_MASK = 0xfff;

/** An earlier mention a new one may be a copy of: the same canonical URL, or near-identical text. */
export type SyndicationCandidate = { copyId: number; originalId: number; byUrl: boolean };

/**
 * Earlier mentions, not themselves copies, that new ones may repeat: the same canonical URL, or text
 * whose SimHash is within `maxDistance` bits and published within `windowDays` of it. One query for
 * a batch; the text side probes the band indexes (see `SIMHASH_BAND_SHIFTS`) rather than scanning
 * every recent mention. `resolveSyndication` picks the original from these.
 */
export async function findSyndicationCandidates(
  db: Executor,
  mentions: readonly { id: number; canonicalUrl: string | null; simhash: number | null; occurredAt: Date }[],
  options: { maxDistance: number; windowDays: number },
): Promise<SyndicationCandidate[]> {
  if (options.maxDistance >= 2 * SIMHASH_BAND_SHIFTS.length) {
    throw new Error(
      `findSyndicationCandidates: the bands find copies within ${2 * SIMHASH_BAND_SHIFTS.length - 1} bits`,
    );
  }
  const parts = [];
  const withUrl = mentions.filter((m) => m.canonicalUrl !== null);
  if (withUrl.length > 0) {
    parts.push(sql`
      select b.id as copy_id, m.id as original_id, true as by_url
      from unnest(${withUrl.map((m) => m.id)}::bigint[], ${withUrl.map((m) => m.canonicalUrl)}::text[]) as b(id, url)
      join mentions m on m.canonical_url = b.url and m.id < b.id and m.duplicate_of is null`);
  }
  const hashed = mentions.filter((m) => m.simhash !== null);
  const windowMs = options.windowDays * 24 * 3600 * 1000;
  // Per band, the new hash's band value and its 12 one-bit neighbours, made in SQL: the probes per
  // batch are 13 per band per mention, and sending them would cost more than finding them.
  const neighbours = sql.raw('(case when g.bit < 0 then 0 else 1 << g.bit end)');
  for (const shift of hashed.length > 0 ? SIMHASH_BAND_SHIFTS : []) {
    const band = (column: string) => sql.raw(`((${column} >> ${shift}) & ${BAND_MASK})`);
    parts.push(sql`
      select b.id as copy_id, m.id as original_id, false as by_url
      from hashed b cross join generate_series(-1, 11) as g(bit)
      join mentions m on ${band('m.text_simhash')} = ${band('b.hash')} # ${neighbours}
        and m.text_simhash is not null and m.duplicate_of is null and m.id < b.id
        and m.occurred_at between b.at - ${`${windowMs} milliseconds`}::interval
          and b.at + ${`${windowMs} milliseconds`}::interval
        and bit_count((m.text_simhash # b.hash)::bit(64)) <= ${options.maxDistance}`);
  }
  if (parts.length === 0) return [];
  const result = await sql<{ copy_id: string | number; original_id: string | number; by_url: boolean }>`
    with hashed as (
      select * from unnest(${hashed.map((m) => m.id)}::bigint[], ${hashed.map((m) => m.simhash)}::bigint[],
        ${hashed.map((m) => m.occurredAt)}::timestamptz[]) as b(id, hash, at)
    )
    ${sql.join(parts, sql` union `)}`.execute(db);
  return result.rows.map((r) => ({
    copyId: Number(r.copy_id),
    originalId: Number(r.original_id),
    byUrl: r.by_url,
  }));
}

/** Links copies to their originals (copy id → original id). */
export async function markDuplicates(db: Executor, originals: ReadonlyMap<number, number>): Promise<void> {
  if (originals.size === 0) return;
  await sql`
    update mentions set duplicate_of = d.original
    from unnest(${[...originals.keys()]}::bigint[], ${[...originals.values()]}::bigint[]) as d(id, original)
    where mentions.id = d.id`.execute(db);
}

export type NewMatch = {
  mentionId: number;
  brandId: number;
  occurredAt: Date;
  matchedTerms: string[];
  /** The brand's own sentiment in the mention (see src/ingest/brand-stance.ts). */
  sentimentScore: number | null;
};

export async function insertMatches(db: Executor, matches: readonly NewMatch[]): Promise<void> {
  if (matches.length === 0) return;
  const records = matches.map((m) => ({
    mention_id: m.mentionId,
    brand_id: m.brandId,
    occurred_at: m.occurredAt,
    matched_terms: m.matchedTerms,
    sentiment_score: m.sentimentScore,
  }));
  await sql`${insertRecords('mention_brands', records, MATCH_RECORD)} on conflict do nothing`.execute(db);
}

const MATCH_RECORD = {
  mention_id: 'bigint',
  brand_id: 'integer',
  occurred_at: 'timestamptz',
  matched_terms: 'text[]',
  sentiment_score: 'real',
} as const;

export type NewTheme = { mentionId: number; theme: string; sentimentScore: number | null };

export async function insertThemes(db: Executor, themes: readonly NewTheme[]): Promise<void> {
  if (themes.length === 0) return;
  const records = themes.map((t) => ({
    mention_id: t.mentionId,
    theme: t.theme,
    sentiment_score: t.sentimentScore,
  }));
  await sql`${insertRecords('mention_themes', records, THEME_RECORD)} on conflict do nothing`.execute(db);
}

const THEME_RECORD = { mention_id: 'bigint', theme: 'text', sentiment_score: 'real' } as const;

export type MentionFilter = {
  id?: number;
  brandId?: number;
  sourceId?: number;
  /** Sources of this kind. */
  sourceKind?: string;
  label?: SentimentLabel;
  touchpoint?: string;
  intent?: string;
  theme?: string;
  language?: string;
  from?: Date;
  to?: Date;
  /** Case-insensitive substring of title or text. */
  q?: string;
  /** Keyset: rows strictly after this (occurred_at desc, id desc) position. */
  after?: { occurredAt: Date; id: number };
  limit: number;
};

export type MentionListItem = MentionRow & {
  source_name: string;
  source_kind: string;
  brands: Array<{ id: number; name: string }>;
  themes: string[];
};

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Mentions newest first, with their brands and themes, paged by keyset. With a brand, the brand's
 * (brand, time) index drives the scan, so a deep page costs what the first one does.
 */
export async function listMentions(db: Executor, filter: MentionFilter): Promise<MentionListItem[]> {
  const { brandId, sourceId, label, from, to, q, after } = filter;
  // Order and keyset columns: the brand match's copy of the time where there is a brand.
  const [time, id] = brandId === undefined ? ['m.occurred_at', 'm.id'] : ['fb.occurred_at', 'fb.mention_id'];
  let query = db
    .selectFrom('mentions as m')
    .innerJoin('sources as s', 's.id', 'm.source_id')
    .$if(brandId !== undefined, (qb) =>
      qb.innerJoin('mention_brands as fb', (join) =>
        join.onRef('fb.mention_id', '=', 'm.id').on('fb.brand_id', '=', brandId as number),
      ),
    )
    .selectAll('m')
    .select(['s.name as source_name', 's.kind as source_kind'])
    .select((eb) => [
      eb
        .selectFrom('mention_brands as mb')
        .innerJoin('brands as b', 'b.id', 'mb.brand_id')
        .whereRef('mb.mention_id', '=', 'm.id')
        .select(
          sql<Array<{ id: number; name: string }>>`coalesce(jsonb_agg(jsonb_build_object('id', b.id,
          'name', b.name) order by b.id), '[]'::jsonb)`.as('agg'),
        )
        .as('brands'),
      eb
        .selectFrom('mention_themes as mt')
        .whereRef('mt.mention_id', '=', 'm.id')
        .select(sql<string[]>`coalesce(array_agg(mt.theme order by mt.theme), '{}')`.as('agg'))
        .as('themes'),
    ]);

  if (filter.id !== undefined) query = query.where('m.id', '=', filter.id);
  if (sourceId !== undefined) query = query.where('m.source_id', '=', sourceId);
  if (filter.sourceKind !== undefined) query = query.where('s.kind', '=', filter.sourceKind);
  if (label !== undefined) query = query.where('m.sentiment_label', '=', label);
  if (filter.touchpoint !== undefined)
    query = query.where(sql<boolean>`${filter.touchpoint} = any(m.touchpoints)`);
  if (filter.intent !== undefined) query = query.where(sql<boolean>`${filter.intent} = any(m.intents)`);
  if (filter.language !== undefined) query = query.where('m.language', '=', filter.language);
  if (filter.theme !== undefined) {
    const theme = filter.theme;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('mention_themes as ft')
          .select(sql`1`.as('one'))
          .whereRef('ft.mention_id', '=', 'm.id')
          .where('ft.theme', '=', theme),
      ),
    );
  }
  if (from !== undefined) query = query.where(sql.ref(time), '>=', from);
  if (to !== undefined) query = query.where(sql.ref(time), '<', to);
  if (q !== undefined) {
    const pattern = `%${escapeLike(q)}%`;
    query = query.where((eb) => eb.or([eb('m.text', 'ilike', pattern), eb('m.title', 'ilike', pattern)]));
  }
  if (after !== undefined) {
    query = query.where(
      sql<SqlBool>`(${sql.ref(time)}, ${sql.ref(id)}) < (${after.occurredAt}, ${after.id})`,
    );
  }
  const rows = await query
    .orderBy(sql.ref(time), 'desc')
    .orderBy(sql.ref(id), 'desc')
    .limit(filter.limit)
    .execute();
  return rows.map((row) => ({ ...row, brands: row.brands ?? [], themes: row.themes ?? [] }));
}

/**
 * Records a user's label for a mention: the mention takes the label (trends follow it) and the
 * correction is kept with what the model had said, for export and retraining.
 */
export async function correctLabel(
  db: Executor,
  input: { mentionId: number; label: SentimentLabel; note: string | null },
): Promise<boolean> {
  const mention = await db
    .selectFrom('mentions')
    .select(['sentiment_label', 'sentiment_score', 'label_corrected'])
    .where('id', '=', input.mentionId)
    .forUpdate()
    .executeTakeFirst();
  if (!mention) return false;
  // What the model said: the first feedback row keeps it, later corrections repeat it.
  const first = mention.label_corrected
    ? await db
        .selectFrom('sentiment_feedback')
        .select(['model_label', 'model_score'])
        .where('mention_id', '=', input.mentionId)
        .orderBy('id')
        .limit(1)
        .executeTakeFirst()
    : undefined;
  await db
    .insertInto('sentiment_feedback')
    .values({
      mention_id: input.mentionId,
      model_label: first ? first.model_label : mention.sentiment_label,
      model_score: first ? first.model_score : mention.sentiment_score,
      label: input.label,
      note: input.note,
    })
    .execute();
  // The rollups follow the label: the mention's facts leave with the old label and return with the new.
  await applyToRollups(db, [input.mentionId], -1);
  await db
    .updateTable('mentions')
    .set({ sentiment_label: input.label, label_corrected: true })
    .where('id', '=', input.mentionId)
    .execute();
  await applyToRollups(db, [input.mentionId], 1);
  return true;
}

export type FeedbackRow = {
  id: number;
  mention_id: number;
  text: string;
  title: string | null;
  rating: number | null;
  model_label: SentimentLabel | null;
  model_score: number | null;
  label: SentimentLabel;
  note: string | null;
  created_at: Date;
};

/** The include terms of the brands each of these mentions names (mention id → terms). */
export async function brandTermsOfMentions(
  db: Executor,
  mentionIds: readonly number[],
): Promise<Map<number, string[]>> {
  const terms = new Map<number, string[]>();
  if (mentionIds.length === 0) return terms;
  const rows = await db
    .selectFrom('mention_brands as mb')
    .innerJoin('brands as b', 'b.id', 'mb.brand_id')
    .select(['mb.mention_id', 'b.include_terms'])
    .where('mb.mention_id', 'in', [...mentionIds])
    .execute();
  for (const row of rows) {
    const id = Number(row.mention_id);
    terms.set(id, [...(terms.get(id) ?? []), ...row.include_terms]);
  }
  return terms;
}

/** Corrections, oldest first; only the latest correction of each mention when `latestOnly`. */
export async function listFeedback(
  db: Executor,
  options: { latestOnly: boolean; afterId?: number; limit: number },
): Promise<FeedbackRow[]> {
  let query = db
    .selectFrom('sentiment_feedback as f')
    .innerJoin('mentions as m', 'm.id', 'f.mention_id')
    .select([
      'f.id',
      'f.mention_id',
      'm.text',
      'm.title',
      'm.rating',
      'f.model_label',
      'f.model_score',
      'f.label',
      'f.note',
      'f.created_at',
    ]);
  if (options.latestOnly) {
    query = query.where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('sentiment_feedback as later')
            .select(sql`1`.as('one'))
            .whereRef('later.mention_id', '=', 'f.mention_id')
            .whereRef('later.id', '>', 'f.id'),
        ),
      ),
    );
  }
  if (options.afterId !== undefined) query = query.where('f.id', '>', options.afterId);
  return query.orderBy('f.id').limit(options.limit).execute();
}

/**
 * Deletes up to `limit` mentions from before `before`, oldest first (their brand matches, themes and
 * label corrections go with them; alert events keep their history with no mention), and answers how
 * many. The rollups are left alone: they keep the figures of the deleted mentions. Kept until later:
 * the first copy of a story whose later copies are not being deleted (deleting it would make a copy
 * count as the original), and mentions of alerts that are not resolved yet.
 */
export async function deleteMentionsBefore(db: Executor, before: Date, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('mentions')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('mentions as m')
        .select('m.id')
        .where('m.occurred_at', '<', before)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('mentions as copy')
                .select(sql`1`.as('one'))
                .whereRef('copy.duplicate_of', '=', 'm.id')
                .where('copy.occurred_at', '>=', before),
            ),
          ),
        )
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('alert_events as e')
                .innerJoin('incidents as i', 'i.id', 'e.incident_id')
                .select(sql`1`.as('one'))
                .whereRef('e.mention_id', '=', 'm.id')
                .where('i.status', '<>', 'resolved'),
            ),
          ),
        )
        .orderBy('m.occurred_at')
        .orderBy('m.id')
        .limit(limit)
        // Concurrent runs (one per worker process) share the work instead of waiting on each other.
        .forUpdate()
        .skipLocked(),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
