/**
 * Analytics reads: sums of MEASURES per bucket or per key, from the rollups where they can answer
 * and from the raw mentions (`factsSql`) where they cannot. Both paths return the same shapes, and
 * the equivalence tests hold them to the same answers.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Executor } from './brands.ts';
import { type FactsWhere, factsSql, MEASURES, type Measures, type RollupDim } from './rollups.ts';

export const TREND_UNITS = ['hour', 'day', 'week', 'month'] as const;
export type TrendUnit = (typeof TREND_UNITS)[number];

/** How many buckets a range spans at most, counted generously (used to refuse huge series). */
export function approximateBucketCount(unit: TrendUnit, from: Date, to: Date): number {
  const hours = (to.getTime() - from.getTime()) / 3_600_000;
  const perBucket = { hour: 1, day: 24, week: 168, month: 28 * 24 }[unit];
  return Math.ceil(hours / perBucket) + 1;
}

export type AlignedRange = {
  /** Start of the first bucket and end of the last, in the time zone's calendar. */
  from: Date;
  to: Date;
  buckets: number;
  /** The same number of buckets immediately before `from`. */
  previousFrom: Date;
};

/**
 * Widens [from, to) to whole buckets of `unit` in `timeZone` (a day is a local day, DST included)
 * and gives the previous period of as many buckets.
 */
export async function alignRange(
  db: Executor,
  q: { unit: TrendUnit; timeZone: string; from: Date; to: Date },
): Promise<AlignedRange> {
  const step = `1 ${q.unit}`;
  const result = await sql<{ from: Date; to: Date; buckets: number; previous_from: Date }>`
    with local as (
      select date_trunc(${q.unit}, ${q.from}::timestamptz at time zone ${q.timeZone}) as lf,
        ${q.to}::timestamptz at time zone ${q.timeZone} as lt
    ),
    bounds as (
      select lf, case when date_trunc(${q.unit}, lt) < lt
        then date_trunc(${q.unit}, lt) + ${step}::interval else date_trunc(${q.unit}, lt) end as lt
      from local
    ),
    counted as (
      select lf, lt, (select count(*) from generate_series(lf, lt - interval '1 microsecond', ${step}::interval))::int as n
      from bounds
    )
    select lf at time zone ${q.timeZone} as from, lt at time zone ${q.timeZone} as to, n as buckets,
      (lf - n * ${step}::interval) at time zone ${q.timeZone} as previous_from
    from counted`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('alignRange: no row');
  return { from: row.from, to: row.to, buckets: row.buckets, previousFrom: row.previous_from };
}

/**
 * Where facts come from: a rollup dimension (and key), or the raw mentions with any filters.
 * Rollups need a range of whole UTC hours.
 */
export type FactSource =
  | { kind: 'rollup'; dim: RollupDim; key?: string }
  | { kind: 'raw'; dim: RollupDim; where: Omit<FactsWhere, 'brandIds' | 'from' | 'to' | 'mentionIds'> };

const FLOAT_MEASURES = new Set(['score_sum', 'rating_sum', 'aspect_sum']);
const SUMS = sql.raw(
  MEASURES.map((m) => `coalesce(sum(${m}), 0)::${FLOAT_MEASURES.has(m) ? 'float8' : 'int'} as ${m}`).join(
    ', ',
  ),
);
const MEASURE_LIST = sql.raw(MEASURES.join(', '));

function rollupRows(
  table: 'rollup_hourly' | 'rollup_daily',
  brandIds: readonly number[],
  source: { dim: RollupDim; key?: string; keys?: readonly string[] },
  range: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const key =
    source.key !== undefined
      ? sql`and key = ${source.key}`
      : source.keys
        ? sql`and key = any(${[...source.keys]}::text[])`
        : sql``;
  return sql`select brand_id, key, at, ${MEASURE_LIST} from ${sql.table(table)}
    where brand_id = any(${[...brandIds]}::int[]) and dim = ${source.dim} ${key} and ${range}`;
}

/** Facts of these brands in [from, to) at hour precision (rollups) or per mention (raw). */
function hourlyFacts(
  brandIds: readonly number[],
  source: FactSource,
  from: Date,
  to: Date,
  keys?: readonly string[],
): RawBuilder<unknown> {
  if (source.kind === 'raw') {
    return factsSql(source.dim, { ...source.where, brandIds, from, to });
  }
  return rollupRows('rollup_hourly', brandIds, { ...source, keys }, sql`at >= ${from} and at < ${to}`);
}

const DAY_MS = 86_400_000;

/**
 * Facts of these brands in [from, to) for totals (no buckets): from rollups, whole UTC days come
 * from the daily table and the hours at either edge from the hourly one.
 */
function rangeFacts(
  brandIds: readonly number[],
  source: FactSource,
  from: Date,
  to: Date,
  keys?: readonly string[],
): RawBuilder<unknown> {
  if (source.kind === 'raw') return hourlyFacts(brandIds, source, from, to);
  const firstDay = new Date(Math.ceil(from.getTime() / DAY_MS) * DAY_MS);
  const lastDay = new Date(Math.floor(to.getTime() / DAY_MS) * DAY_MS);
  if (firstDay >= lastDay) return hourlyFacts(brandIds, source, from, to, keys);
  const selector = { ...source, keys };
  return sql`${rollupRows('rollup_daily', brandIds, selector, sql`at >= ${firstDay} and at < ${lastDay}`)}
    union all
    ${rollupRows(
      'rollup_hourly',
      brandIds,
      selector,
      sql`((at >= ${from} and at < ${firstDay}) or (at >= ${lastDay} and at < ${to}))`,
    )}`;
}

export type BucketSums = Measures & { brand_id: number; bucket_start: Date };

/**
 * Sums per brand and bucket over an aligned range; every bucket of every brand is present, empty
 * ones as zeros. Ordered by brand, then time.
 */
export async function bucketSums(
  db: Executor,
  q: {
    brandIds: readonly number[];
    unit: TrendUnit;
    timeZone: string;
    range: AlignedRange;
    source: FactSource;
  },
): Promise<BucketSums[]> {
  const step = `1 ${q.unit}`;
  const tz = q.timeZone;
  const facts = hourlyFacts(q.brandIds, q.source, q.range.from, q.range.to);
  const result = await sql<BucketSums>`
    with series as (
      select gs as local_start from generate_series(
        ${q.range.from}::timestamptz at time zone ${tz},
        (${q.range.to}::timestamptz at time zone ${tz}) - interval '1 microsecond',
        ${step}::interval) gs
    ),
    agg as (
      select brand_id, date_trunc(${q.unit}, at at time zone ${tz}) as local_start, ${SUMS}
      from (${facts}) f
      group by 1, 2
    )
    select b.brand_id, s.local_start at time zone ${tz} as bucket_start,
      ${sql.raw(MEASURES.map((m) => `coalesce(a.${m}, 0) as ${m}`).join(', '))}
    from unnest(${[...q.brandIds]}::int[]) as b(brand_id)
    cross join series s
    left join agg a on a.brand_id = b.brand_id and a.local_start = s.local_start
    order by b.brand_id, s.local_start`.execute(db);
  return result.rows;
}

export type KeySums = Measures & { brand_id: number; key: string };

/**
 * Sums per brand and key over [from, to), for keys with mentions (rollup rows emptied by corrections
 * or deletions are left out, as the raw mentions would). `keys` restricts the keys; `top` keeps, per query, the
 * `top` keys with the most volume (ties by key).
 */
export async function keySums(
  db: Executor,
  q: {
    brandIds: readonly number[];
    source: FactSource;
    from: Date;
    to: Date;
    keys?: readonly string[];
    top?: number;
  },
): Promise<KeySums[]> {
  const facts = rangeFacts(q.brandIds, q.source, q.from, q.to, q.keys);
  const keyFilter = q.keys && q.source.kind === 'raw' ? sql`where key = any(${[...q.keys]}::text[])` : sql``;
  const limit = q.top === undefined ? sql`` : sql`limit ${q.top}`;
  const result = await sql<KeySums>`
    select brand_id, key, ${SUMS}
    from (${facts}) f
    ${keyFilter}
    group by 1, 2
    having sum(volume) > 0
    order by volume desc, brand_id, key
    ${limit}`.execute(db);
  return result.rows;
}

export type ComparisonMention = {
  id: number;
  occurred_at: Date;
  title: string | null;
  text: string;
  url: string | null;
  source_kind: string;
  brands: Array<{ brandId: number; stance: number | null }>;
};

/**
 * Mentions naming `brandId` and at least one other brand of `panel`, newest first, with each panel
 * brand's stance; keyset-paged on (occurred_at, id).
 */
export async function listComparisonMentions(
  db: Executor,
  q: {
    brandId: number;
    panel: readonly number[];
    from: Date;
    to: Date;
    limit: number;
    after?: { occurredAt: Date; id: number };
  },
): Promise<ComparisonMention[]> {
  const after = q.after
    ? sql`and (mb.occurred_at, mb.mention_id) < (${q.after.occurredAt}, ${q.after.id})`
    : sql``;
  const result = await sql<ComparisonMention>`
    select m.id, m.occurred_at, m.title, left(m.text, 1000) as text, m.url, s.kind as source_kind,
      (select jsonb_agg(jsonb_build_object('brandId', o.brand_id, 'stance', o.sentiment_score) order by o.brand_id)
       from mention_brands o where o.mention_id = m.id and o.brand_id = any(${[...q.panel]}::int[])) as brands
    from mention_brands mb
    join mentions m on m.id = mb.mention_id
    join sources s on s.id = m.source_id
    where mb.brand_id = ${q.brandId}
      and mb.occurred_at >= ${q.from} and mb.occurred_at < ${q.to}
      and m.duplicate_of is null
      and exists (select 1 from mention_brands o where o.mention_id = mb.mention_id
        and o.brand_id <> mb.brand_id and o.brand_id = any(${[...q.panel]}::int[]))
      ${after}
    order by mb.occurred_at desc, mb.mention_id desc
    limit ${q.limit}`.execute(db);
  return result.rows;
}

/** The competitor panel of a brand (its competitors' ids, ascending). */
export async function listCompetitorIds(db: Executor, brandId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('brand_competitors')
    .select('competitor_id')
    .where('brand_id', '=', brandId)
    .orderBy('competitor_id')
    .execute();
  return rows.map((r) => r.competitor_id);
}

/** Replaces a brand's competitor panel. */
export async function setCompetitors(db: Executor, brandId: number, competitorIds: readonly number[]) {
  await db.deleteFrom('brand_competitors').where('brand_id', '=', brandId).execute();
  if (competitorIds.length === 0) return;
  await db
    .insertInto('brand_competitors')
    .values(competitorIds.map((competitor_id) => ({ brand_id: brandId, competitor_id })))
    .execute();
}
