/**
 * Analytics reads: sums of MEASURES per bucket or per key, from the rollups where they can answer
 * and from the raw mentions (`factsSql`) where they cannot. Both paths return the same shapes, and
 * the equivalence tests hold them to the same answers.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Executor } from './brands.ts';
import {
  type FactsWhere,
  factsSql,
  MEASURES,
  type Measure,
  type Measures,
  type RollupDim,
} from './rollups.ts';

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
  if (q.unit === 'hour') return alignHours(db, q);
  const step = `1 ${q.unit}`;
  const result = await sql<{ from: Date; to: Date; buckets: number; previous_from: Date }>`
    with local as (
      select date_trunc(${q.unit}, ${q.from}::timestamptz at time zone ${q.timeZone}) as lf,
        ${q.to}::timestamptz at time zone ${q.timeZone} as lt
    ),
    bounds as (
      -- Compared as instants: a day whose midnight is skipped starts after its local 00:00.
      select lf, case when date_trunc(${q.unit}, lt) at time zone ${q.timeZone} < ${q.to}::timestamptz
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

/** The start of the local hour an instant is in: the instant less its local minutes and seconds. */
function localHourStart(instant: RawBuilder<unknown>, timeZone: string): RawBuilder<unknown> {
  return sql`(${instant} - make_interval(
    mins => extract(minute from ${instant} at time zone ${timeZone})::int,
    secs => extract(second from ${instant} at time zone ${timeZone})))`;
}

/**
 * Hours are counted in elapsed time, not on the wall clock: a day that falls back has 25 hourly
 * buckets (the repeated hour twice), and the previous period is as many real hours.
 */
async function alignHours(
  db: Executor,
  q: { timeZone: string; from: Date; to: Date },
): Promise<AlignedRange> {
  const from = sql`${q.from}::timestamptz`;
  const to = sql`${q.to}::timestamptz`;
  const result = await sql<{ from: Date; to: Date; buckets: number; previous_from: Date }>`
    with floors as (
      select ${localHourStart(from, q.timeZone)} as f, ${localHourStart(to, q.timeZone)} as t
    ),
    bounds as (
      select f, case when t < ${to} then t + interval '1 hour' else t end as t from floors
    )
    select f as from, t as to, ceil(extract(epoch from t - f) / 3600)::int as buckets,
      f - ceil(extract(epoch from t - f) / 3600)::int * interval '1 hour' as previous_from
    from bounds`.execute(db);
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
  table: RollupTable,
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
): RawBuilder<unknown> {
  if (source.kind === 'raw') return factsSql(source.dim, { ...source.where, brandIds, from, to });
  return rollupRows('rollup_hourly', brandIds, source, sql`at >= ${from} and at < ${to}`);
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** UTC weeks start on Monday (as `date_trunc('week', …)`); 1970-01-05 was one. */
const MONDAY_MS = 4 * DAY_MS;

function floorTo(ms: number, unit: number, origin = 0): number {
  return Math.floor((ms - origin) / unit) * unit + origin;
}
function ceilTo(ms: number, unit: number, origin = 0): number {
  return Math.ceil((ms - origin) / unit) * unit + origin;
}

/**
 * [from, to) cut into the coarsest rollup pieces that fit: whole UTC weeks, then whole days, then
 * hours at the edges. A 90-day range reads about 13 weeks, 12 days and 46 hours per key.
 */
export function rangePieces(from: Date, to: Date): Array<{ table: RollupTable; from: Date; to: Date }> {
  const start = from.getTime();
  const end = to.getTime();
  const firstDay = ceilTo(start, DAY_MS);
  const lastDay = floorTo(end, DAY_MS);
  if (firstDay >= lastDay) return [{ table: 'rollup_hourly', from, to }];
  const firstWeek = ceilTo(firstDay, WEEK_MS, MONDAY_MS);
  const lastWeek = floorTo(lastDay, WEEK_MS, MONDAY_MS);
  const pieces: Array<{ table: RollupTable; from: number; to: number }> = [
    { table: 'rollup_hourly', from: start, to: firstDay },
    { table: 'rollup_hourly', from: lastDay, to: end },
  ];
  if (firstWeek >= lastWeek) {
    pieces.push({ table: 'rollup_daily', from: firstDay, to: lastDay });
  } else {
    pieces.push(
      { table: 'rollup_daily', from: firstDay, to: firstWeek },
      { table: 'rollup_weekly', from: firstWeek, to: lastWeek },
      { table: 'rollup_daily', from: lastWeek, to: lastDay },
    );
  }
  return pieces
    .filter((p) => p.from < p.to)
    .map((p) => ({ table: p.table, from: new Date(p.from), to: new Date(p.to) }));
}

type RollupTable = 'rollup_hourly' | 'rollup_daily' | 'rollup_weekly';

/**
 * Facts of these brands in [from, to) for totals (no buckets): from rollups, the coarsest pieces
 * that fit (`rangePieces`).
 */
function rangeFacts(
  brandIds: readonly number[],
  source: FactSource,
  from: Date,
  to: Date,
  keys?: readonly string[],
): RawBuilder<unknown> {
  if (source.kind === 'raw') return hourlyFacts(brandIds, source, from, to);
  const selector = { ...source, keys };
  return sql.join(
    rangePieces(from, to).map((piece) =>
      rollupRows(piece.table, brandIds, selector, sql`at >= ${piece.from} and at < ${piece.to}`),
    ),
    sql` union all `,
  );
}

/** `bucket_start` in epoch milliseconds. */
export type BucketSums = Measures & { brand_id: number; bucket_start: number };

/**
 * Rows come back as one JSON text (`json_agg`): thousands of buckets parse in a fraction of the time
 * the driver needs for as many rows.
 */
async function jsonRows<T>(db: Executor, query: RawBuilder<unknown>, orderBy: string): Promise<T[]> {
  const result = await sql<{ rows: string | null }>`select
    coalesce(json_agg(r order by ${sql.raw(orderBy)}), '[]')::text as rows
    from (${query}) r`.execute(db);
  return JSON.parse(result.rows[0]?.rows ?? '[]') as T[];
}

const HOUR_MS = 3_600_000;

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
    /** The zone is UTC all year (its days are UTC days). */
    dailyBuckets?: boolean;
  },
): Promise<BucketSums[]> {
  if (q.unit === 'hour' && q.source.kind === 'rollup')
    return hourlyBucketSums(db, { ...q, source: q.source });
  const step = `1 ${q.unit}`;
  const tz = q.timeZone;
  // Days, weeks and months of a zone that is UTC all year are whole UTC days: the daily rollup answers.
  const daily = q.source.kind === 'rollup' && q.dailyBuckets === true && q.unit !== 'hour';
  const facts = daily
    ? rollupRows('rollup_daily', q.brandIds, q.source, sql`at >= ${q.range.from} and at < ${q.range.to}`)
    : hourlyFacts(q.brandIds, q.source, q.range.from, q.range.to);
  // Hour buckets are elapsed hours from the range's start; longer ones are local calendar units,
  // matched on their local start (a day whose midnight is skipped still starts at "00:00").
  const from = sql`${q.range.from}::timestamptz`;
  const series =
    q.unit === 'hour'
      ? sql`select gs as bucket_start from generate_series(${from},
          ${q.range.to}::timestamptz - interval '1 microsecond', interval '1 hour') gs`
      : sql`select * from (select gs at time zone ${tz} as bucket_start from generate_series(
          date_trunc(${q.unit}, ${from} at time zone ${tz}),
          ${q.range.to}::timestamptz at time zone ${tz},
          ${step}::interval) gs) s where bucket_start < ${q.range.to}::timestamptz`;
  const bucketOf =
    q.unit === 'hour'
      ? sql`${from} + floor(extract(epoch from at - ${from}) / 3600) * interval '1 hour'`
      : sql`date_trunc(${q.unit}, at at time zone ${tz}) at time zone ${tz}`;
  const rows = await jsonRows<BucketSums & { bucket_start: string }>(
    db,
    sql`
    with series as (${series}),
    agg as (
      select brand_id, ${bucketOf} as bucket_start, ${SUMS}
      from (${facts}) f
      group by 1, 2
    )
    select b.brand_id, s.bucket_start,
      ${sql.raw(MEASURES.map((m) => `coalesce(a.${m}, 0) as ${m}`).join(', '))}
    from unnest(${[...q.brandIds]}::int[]) as b(brand_id)
    cross join series s
    left join agg a on a.brand_id = b.brand_id and a.bucket_start = s.bucket_start`,
    'r.brand_id, r.bucket_start',
  );
  return rows.map((r) => ({ ...r, bucket_start: Date.parse(r.bucket_start) }));
}

/** Measures a bucket series carries (head-to-head counts are not per bucket; aspects only for themes). */
function seriesMeasures(dim: RollupDim): Measure[] {
  return MEASURES.filter(
    (m) => m !== 'wins' && m !== 'losses' && (dim === 'theme' || !m.startsWith('aspect')),
  );
}

/**
 * Hourly buckets straight from the hourly rollup (a whole-hour zone's hours are UTC hours), the
 * empty ones filled in here. Thousands of rows come back as one JSON array of number arrays, which
 * PostgreSQL writes and Node reads far faster than rows or JSON objects.
 */
async function hourlyBucketSums(
  db: Executor,
  q: { brandIds: readonly number[]; range: AlignedRange; source: Extract<FactSource, { kind: 'rollup' }> },
): Promise<BucketSums[]> {
  const measures = seriesMeasures(q.source.dim);
  const values = sql.raw(['brand_id', "(date_part('epoch', at) * 1000)::bigint", ...measures].join(', '));
  // '[[b,t,…],[b,t,…]]': JSON.parse reads numbers natively, several times faster than splitting text.
  const result = await sql<{ rows: string | null }>`
    select '[[' || string_agg(concat_ws(',', ${values}), '],[') || ']]' as rows
    from (${hourlyFacts(q.brandIds, q.source, q.range.from, q.range.to)}) f`.execute(db);
  const from = q.range.from.getTime();
  const hours = Math.round((q.range.to.getTime() - from) / HOUR_MS);
  // Per brand, one slot per hour of the range: [brand, at, ...measures] or empty.
  const byBrand = new Map(q.brandIds.map((id) => [id, new Array<number[] | undefined>(hours)]));
  for (const numbers of JSON.parse(result.rows[0]?.rows ?? '[]') as number[][]) {
    const slots = byBrand.get(numbers[0] as number);
    const hour = ((numbers[1] as number) - from) / HOUR_MS;
    if (slots === undefined || !(hour >= 0 && hour < hours)) continue;
    const known = slots[hour];
    if (known) for (let i = 2; i < numbers.length; i++) known[i] = (known[i] ?? 0) + (numbers[i] ?? 0);
    else slots[hour] = numbers;
  }
  // Positions of the measures in a row; absent ones (not carried by this dimension) read as 0.
  const at = Object.fromEntries(measures.map((m, i) => [m, i + 2])) as Partial<Record<Measure, number>>;
  const read = (n: number[] | undefined, i: number | undefined) =>
    n === undefined || i === undefined ? 0 : (n[i] as number);
  const out: BucketSums[] = [];
  for (const brandId of q.brandIds) {
    const slots = byBrand.get(brandId) as Array<number[] | undefined>;
    for (let hour = 0; hour < hours; hour++) {
      const n = slots[hour];
      out.push({
        brand_id: brandId,
        bucket_start: from + hour * HOUR_MS,
        volume: read(n, at.volume),
        positive: read(n, at.positive),
        neutral: read(n, at.neutral),
        negative: read(n, at.negative),
        mixed: read(n, at.mixed),
        scored: read(n, at.scored),
        score_sum: read(n, at.score_sum),
        rated: read(n, at.rated),
        rating_sum: read(n, at.rating_sum),
        rating_high: read(n, at.rating_high),
        aspect_scored: read(n, at.aspect_scored),
        aspect_sum: read(n, at.aspect_sum),
        aspect_positive: read(n, at.aspect_positive),
        aspect_negative: read(n, at.aspect_negative),
        wins: 0,
        losses: 0,
      });
    }
  }
  return out;
}

export type KeySums = Measures & { brand_id: number; key: string };

/**
 * Sums per brand and key over [from, to), for keys with mentions (rollup rows emptied by corrections
 * or deletions are left out, as the raw mentions would). `keys` restricts the keys; `top` keeps, per
 * query, the `top` keys with the most volume (ties by key).
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
  return jsonRows<KeySums>(
    db,
    sql`
    select brand_id, key, ${SUMS}
    from (${facts}) f
    ${keyFilter}
    group by 1, 2
    having sum(volume) > 0
    order by volume desc, brand_id, key
    ${limit}`,
    'r.volume desc, r.brand_id, r.key',
  );
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
