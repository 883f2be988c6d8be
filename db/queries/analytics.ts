import { sql } from 'kysely';
import type { Executor } from './brands.ts';

export const TREND_UNITS = ['hour', 'day', 'week', 'month'] as const;
export type TrendUnit = (typeof TREND_UNITS)[number];

export type TrendQuery = { brandId: number; unit: TrendUnit; from: Date; to: Date; timeZone: string };

export type TrendBucket = {
  bucket_start: Date;
  volume: number;
  positive: number;
  neutral: number;
  negative: number;
  mixed: number;
  unscored: number;
  mean_sentiment: number | null;
  net_sentiment: number | null;
};

/** How many buckets a range spans at most, counted generously (used to refuse huge series). */
export function approximateBucketCount(unit: TrendUnit, from: Date, to: Date): number {
  const hours = (to.getTime() - from.getTime()) / 3_600_000;
  const perBucket = { hour: 1, day: 24, week: 168, month: 28 * 24 }[unit];
  return Math.ceil(hours / perBucket) + 1;
}

/**
 * Volume and sentiment of a brand's mentions per bucket. Buckets are cut in the requested time zone
 * (a day is a local day, DST included) and every bucket of the range is present, empty ones as zeros.
 * Syndicated copies (duplicate_of set) are left out: a story counts once.
 */
export async function getBrandTrend(db: Executor, q: TrendQuery): Promise<TrendBucket[]> {
  const step = `1 ${q.unit}`;
  const result = await sql<TrendBucket>`
    with series as (
      select gs as local_start
      from generate_series(
        date_trunc(${q.unit}, ${q.from}::timestamptz at time zone ${q.timeZone}),
        (${q.to}::timestamptz at time zone ${q.timeZone}) - interval '1 microsecond',
        ${step}::interval
      ) as gs
    ),
    agg as (
      select
        date_trunc(${q.unit}, mb.occurred_at at time zone ${q.timeZone}) as local_start,
        count(*)::int as volume,
        (count(*) filter (where m.sentiment_label = 'positive'))::int as positive,
        (count(*) filter (where m.sentiment_label = 'neutral'))::int as neutral,
        (count(*) filter (where m.sentiment_label = 'negative'))::int as negative,
        (count(*) filter (where m.sentiment_label = 'mixed'))::int as mixed,
        (count(*) filter (where m.sentiment_label is null))::int as unscored,
        avg(m.sentiment_score)::float8 as mean_sentiment
      from mention_brands mb
      join mentions m on m.id = mb.mention_id
      where mb.brand_id = ${q.brandId}
        and m.duplicate_of is null
        and mb.occurred_at >= ${q.from}
        and mb.occurred_at < ${q.to}
      group by 1
    )
    select
      (s.local_start at time zone ${q.timeZone}) as bucket_start,
      coalesce(a.volume, 0) as volume,
      coalesce(a.positive, 0) as positive,
      coalesce(a.neutral, 0) as neutral,
      coalesce(a.negative, 0) as negative,
      coalesce(a.mixed, 0) as mixed,
      coalesce(a.unscored, 0) as unscored,
      a.mean_sentiment,
      case when coalesce(a.volume, 0) - coalesce(a.unscored, 0) > 0
        then (a.positive - a.negative)::float8 / (a.volume - a.unscored) end as net_sentiment
    from series s
    left join agg a on a.local_start = s.local_start
    order by s.local_start
  `.execute(db);
  return result.rows;
}

export type ThemeQuery = { brandId: number; from: Date; to: Date; limit: number };

export type ThemeSummary = {
  theme: string;
  count: number;
  positive: number;
  negative: number;
  mean_sentiment: number | null;
};

/** Theme sentence scores with a magnitude at or below this count as neutral. */
export const NEUTRAL_BAND = 0.15;

/** A brand's most frequent themes in a range, with the sentiment of the sentences they appear in. */
export function getTopThemes(db: Executor, q: ThemeQuery): Promise<ThemeSummary[]> {
  return db
    .selectFrom('mention_brands as mb')
    .innerJoin('mention_themes as mt', 'mt.mention_id', 'mb.mention_id')
    .innerJoin('mentions as m', 'm.id', 'mb.mention_id')
    .where('mb.brand_id', '=', q.brandId)
    .where('m.duplicate_of', 'is', null)
    .where('mb.occurred_at', '>=', q.from)
    .where('mb.occurred_at', '<', q.to)
    .groupBy('mt.theme')
    .select([
      'mt.theme as theme',
      sql<number>`count(*)::int`.as('count'),
      sql<number>`(count(*) filter (where mt.sentiment_score > ${NEUTRAL_BAND}))::int`.as('positive'),
      sql<number>`(count(*) filter (where mt.sentiment_score < ${-NEUTRAL_BAND}))::int`.as('negative'),
      sql<number | null>`avg(mt.sentiment_score)::float8`.as('mean_sentiment'),
    ])
    .orderBy('count', 'desc')
    .orderBy('mt.theme')
    .limit(q.limit)
    .execute();
}
