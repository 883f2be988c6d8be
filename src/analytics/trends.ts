/**
 * Sentiment trends and top themes of a brand: the figures brand teams watch.
 */
import { z } from 'zod';
import {
  approximateBucketCount,
  getBrandTrend,
  getTopThemes as queryTopThemes,
  TREND_UNITS,
  type TrendBucket,
} from '../../db/queries/analytics.ts';
import { getBrand } from '../../db/queries/brands.ts';
import type { Deps } from '../deps.ts';
import { AppError, parseInput } from '../errors.ts';
import { InstantInput, resolveInstant } from './time.ts';

export const MAX_BUCKETS = 2000;

const DAY_MS = 24 * 3600 * 1000;

export const TrendInput = z
  .object({
    brandId: z.number().int().positive(),
    interval: z.enum(TREND_UNITS).optional(),
    from: InstantInput.optional(),
    to: InstantInput.optional(),
    timeZone: z.string().default('UTC'),
  })
  .transform((input, ctx) => {
    const to = input.to === undefined ? new Date() : resolveInstant(input.to, input.timeZone);
    const from =
      input.from === undefined
        ? new Date(to.getTime() - 30 * DAY_MS)
        : resolveInstant(input.from, input.timeZone);
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: '"from" must be before "to"' });
    // Hourly by default for ranges under 7 days, daily otherwise.
    const interval = input.interval ?? (to.getTime() - from.getTime() < 7 * DAY_MS ? 'hour' : 'day');
    if (approximateBucketCount(interval, from, to) > MAX_BUCKETS) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: `more than ${MAX_BUCKETS} ${interval} buckets: narrow the range or use a longer interval`,
      });
    }
    return { ...input, from, to, interval };
  });

export type TrendPoint = {
  start: Date;
  volume: number;
  positive: number;
  neutral: number;
  negative: number;
  mixed: number;
  meanSentiment: number | null;
  netSentiment: number | null;
};

export type Trend = {
  brandId: number;
  interval: (typeof TREND_UNITS)[number];
  timeZone: string;
  from: Date;
  to: Date;
  buckets: TrendPoint[];
  totals: Omit<TrendPoint, 'start'>;
};

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10000) / 10000;
}

function toPoint(b: TrendBucket): TrendPoint {
  return {
    start: b.bucket_start,
    volume: b.volume,
    positive: b.positive,
    neutral: b.neutral,
    negative: b.negative,
    mixed: b.mixed,
    meanSentiment: round(b.mean_sentiment),
    netSentiment: round(b.net_sentiment),
  };
}

function totalsOf(buckets: TrendBucket[]): Trend['totals'] {
  let volume = 0;
  let positive = 0;
  let neutral = 0;
  let negative = 0;
  let mixed = 0;
  let scored = 0;
  let scoreSum = 0;
  for (const b of buckets) {
    volume += b.volume;
    positive += b.positive;
    neutral += b.neutral;
    negative += b.negative;
    mixed += b.mixed;
    const bucketScored = b.volume - b.unscored;
    if (b.mean_sentiment !== null && bucketScored > 0) {
      scored += bucketScored;
      scoreSum += b.mean_sentiment * bucketScored;
    }
  }
  const labelled = positive + neutral + negative + mixed;
  return {
    volume,
    positive,
    neutral,
    negative,
    mixed,
    meanSentiment: scored > 0 ? round(scoreSum / scored) : null,
    netSentiment: labelled > 0 ? round((positive - negative) / labelled) : null,
  };
}

async function requireBrand(deps: Deps, brandId: number): Promise<void> {
  if (!(await getBrand(deps.db, brandId))) throw AppError.notFound('brand', brandId);
}

export async function getSentimentTrend({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof TrendInput>;
}): Promise<Trend> {
  const q = parseInput(TrendInput, input, 'trend query');
  await requireBrand(deps, q.brandId);
  const rows = await getBrandTrend(deps.db, {
    brandId: q.brandId,
    unit: q.interval,
    from: q.from,
    to: q.to,
    timeZone: q.timeZone,
  });
  return {
    brandId: q.brandId,
    interval: q.interval,
    timeZone: q.timeZone,
    from: q.from,
    to: q.to,
    buckets: rows.map(toPoint),
    totals: totalsOf(rows),
  };
}

export const ThemesInput = z
  .object({
    brandId: z.number().int().positive(),
    from: InstantInput.optional(),
    to: InstantInput.optional(),
    limit: z.number().int().min(1).max(200).default(20),
  })
  .transform((input, ctx) => {
    const to = input.to === undefined ? new Date() : resolveInstant(input.to, 'UTC');
    const from =
      input.from === undefined ? new Date(to.getTime() - 30 * DAY_MS) : resolveInstant(input.from, 'UTC');
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: '"from" must be before "to"' });
    return { ...input, from, to };
  });

export type ThemeStat = {
  theme: string;
  count: number;
  positive: number;
  negative: number;
  meanSentiment: number | null;
};

export async function getTopThemes({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof ThemesInput>;
}): Promise<{ brandId: number; from: Date; to: Date; themes: ThemeStat[] }> {
  const q = parseInput(ThemesInput, input, 'themes query');
  await requireBrand(deps, q.brandId);
  const rows = await queryTopThemes(deps.db, q);
  return {
    brandId: q.brandId,
    from: q.from,
    to: q.to,
    themes: rows.map((r) => ({
      theme: r.theme,
      count: r.count,
      positive: r.positive,
      negative: r.negative,
      meanSentiment: round(r.mean_sentiment),
    })),
  };
}
