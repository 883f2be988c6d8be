/**
 * Sentiment trends of a brand, its competitor panel side by side, and its figures per source kind,
 * touchpoint or language: what brand teams and marketers read every day. Each answer carries the
 * previous period's figures and the change, so "up 40% on last week" needs no second call.
 */
import { z } from 'zod';
import {
  approximateBucketCount,
  bucketSums,
  keySums,
  listComparisonMentions,
  TREND_UNITS,
  type TrendUnit,
} from '../../db/queries/analytics.ts';
import { type Measures, VERSUS_MARGIN } from '../../db/queries/rollups.ts';
import type { Deps } from '../deps.ts';
import { AppError, parseInput } from '../errors.ts';
import {
  type AspectFigures,
  aspectFigures,
  type Change,
  change,
  type Figures,
  figures,
  round,
  sumMeasures,
} from './figures.ts';
import { decodeCursor, encodeCursor } from './mentions.ts';
import {
  alignedRange,
  chooseSource,
  FilterFields,
  type Filters,
  filtersOf,
  previousByKey,
  RangeFields,
  requirePanel,
  resolveRange,
  withBrand,
} from './query.ts';
import { DAY_MS, isoInstant } from './time.ts';

/** Hourly buckets over a year fit. */
export const MAX_BUCKETS = 10_000;

const BucketedInput = z
  .object({ ...RangeFields, ...FilterFields, interval: z.enum(TREND_UNITS).optional() })
  .transform((input, ctx) => {
    const { from, to } = resolveRange(input, ctx);
    // Hourly by default for ranges under 7 days, daily otherwise.
    const interval: TrendUnit =
      input.interval ?? (to.getTime() - from.getTime() < 7 * DAY_MS ? 'hour' : 'day');
    if (approximateBucketCount(interval, from, to) > MAX_BUCKETS) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: `more than ${MAX_BUCKETS} ${interval} buckets: narrow the range or use a longer interval`,
      });
    }
    return { ...input, from, to, interval, filters: filtersOf(input) };
  });
export const TrendInput = BucketedInput;
export const CompareInput = BucketedInput;

export type Period = { from: Date; to: Date };

/** `start` is ISO 8601 UTC text. */
export type TrendPoint = Figures & Partial<AspectFigures> & { start: string };

export type Trend = {
  brandId: number;
  interval: TrendUnit;
  timeZone: string;
  filters: Filters;
  /** The requested range widened to whole buckets. */
  from: Date;
  to: Date;
  buckets: TrendPoint[];
  totals: Figures & Partial<AspectFigures>;
  /** The same number of buckets just before `from`. */
  previous: Period & { totals: Figures };
  change: Change;
};

export async function getSentimentTrend({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof TrendInput>;
}): Promise<Trend> {
  const q = parseInput(TrendInput, input, 'trend query');
  return withBrand(deps, q.brandId, async () => {
    const range = await alignedRange(deps, {
      unit: q.interval,
      timeZone: q.timeZone,
      from: q.from,
      to: q.to,
    });
    const source = chooseSource('all', q.filters, range.rollups);
    const brandIds = [q.brandId];
    const [rows, previousRows] = await Promise.all([
      bucketSums(deps.db, {
        brandIds,
        unit: q.interval,
        timeZone: q.timeZone,
        range,
        source,
        dailyBuckets: range.dailyBuckets,
      }),
      keySums(deps.db, { brandIds, source, from: range.previousFrom, to: range.from }),
    ]);
    const withAspect = q.filters.theme !== undefined;
    const point = (m: Measures) => (withAspect ? { ...figures(m), ...aspectFigures(m) } : figures(m));
    const totals = sumMeasures(rows);
    const previous = figures(sumMeasures(previousRows));
    return {
      brandId: q.brandId,
      interval: q.interval,
      timeZone: q.timeZone,
      filters: q.filters,
      from: range.from,
      to: range.to,
      buckets: rows.map((r) => ({ start: isoInstant(r.bucket_start), ...point(r) })),
      totals: point(totals),
      previous: { from: range.previousFrom, to: range.from, totals: previous },
      change: change(figures(totals), previous),
    };
  });
}

export type PanelBrand = { id: number; name: string; kind: string };
export type BrandShare = Figures & { brandId: number; shareOfVoice: number | null };
export type HeadToHead = {
  brands: [number, number];
  /** Mentions naming both. */
  mentions: number;
  /** How many of them each brand came out better in (by its own stance in the mention). */
  wins: Record<string, number>;
  ties: number;
};

export type Comparison = {
  brandId: number;
  panel: PanelBrand[];
  interval: TrendUnit;
  timeZone: string;
  filters: Filters;
  from: Date;
  to: Date;
  buckets: Array<{ start: string; volume: number; brands: BrandShare[] }>;
  totals: Array<BrandShare & { previous: BrandShare; change: Change & { shareOfVoice: number | null } }>;
  headToHead: HeadToHead[];
  previous: Period;
};

function shares(rows: Array<Measures & { brand_id: number }>): BrandShare[] {
  const total = rows.reduce((sum, r) => sum + r.volume, 0);
  return rows.map((r) => ({
    brandId: r.brand_id,
    ...figures(r),
    shareOfVoice: total > 0 ? round(r.volume / total) : null,
  }));
}

function byBrand<T extends { brand_id: number }>(rows: T[], brandIds: readonly number[]): Map<number, T[]> {
  const map = new Map<number, T[]>(brandIds.map((id) => [id, []]));
  for (const row of rows) map.get(row.brand_id)?.push(row);
  return map;
}

/**
 * A brand against its competitor panel: share of voice and sentiment per bucket and in total, and
 * head to head, for each pair of the panel, the mentions naming both and who came out better.
 */
export async function compareBrands({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof CompareInput>;
}): Promise<Comparison> {
  const q = parseInput(CompareInput, input, 'compare query');
  const panel = await requirePanel(deps, q.brandId);
  const ids = panel.map((b) => b.id);
  const range = await alignedRange(deps, { unit: q.interval, timeZone: q.timeZone, from: q.from, to: q.to });
  const source = chooseSource('all', q.filters, range.rollups);
  const versus = chooseSource('versus', q.filters, range.rollups);
  const [rows, previousRows, versusRows] = await Promise.all([
    bucketSums(deps.db, {
      brandIds: ids,
      unit: q.interval,
      timeZone: q.timeZone,
      range,
      source,
      dailyBuckets: range.dailyBuckets,
    }),
    keySums(deps.db, { brandIds: ids, source, from: range.previousFrom, to: range.from }),
    keySums(deps.db, {
      brandIds: ids,
      source: versus,
      from: range.from,
      to: range.to,
      keys: ids.map(String),
    }),
  ]);

  const series = byBrand(rows, ids);
  const buckets: Comparison['buckets'] = [];
  const first = series.get(q.brandId) ?? [];
  for (const [i, bucket] of first.entries()) {
    const brandRows = ids.map((id) => series.get(id)?.[i]).filter((r) => r !== undefined);
    const brandShares = shares(brandRows);
    buckets.push({
      start: isoInstant(bucket.bucket_start),
      volume: brandShares.reduce((s, b) => s + b.volume, 0),
      brands: brandShares,
    });
  }
  const now = shares(ids.map((id) => ({ brand_id: id, ...sumMeasures(series.get(id) ?? []) })));
  const previousByBrand = byBrand(previousRows, ids);
  const before = shares(ids.map((id) => ({ brand_id: id, ...sumMeasures(previousByBrand.get(id) ?? []) })));
  const totals = now.map((current, k) => {
    const previous = before[k] as BrandShare;
    const shareChange =
      current.shareOfVoice === null || previous.shareOfVoice === null
        ? null
        : round(current.shareOfVoice - previous.shareOfVoice);
    return { ...current, previous, change: { ...change(current, previous), shareOfVoice: shareChange } };
  });

  const headToHead: HeadToHead[] = [];
  for (const row of versusRows) {
    const other = Number(row.key);
    // Each pair once: from the requested brand's side where it is in the pair.
    const first = other === q.brandId ? false : row.brand_id === q.brandId || row.brand_id < other;
    if (!first) continue;
    headToHead.push({
      brands: [row.brand_id, other],
      mentions: row.volume,
      wins: { [row.brand_id]: row.wins, [other]: row.losses },
      ties: row.volume - row.wins - row.losses,
    });
  }
  // The requested brand's pairs first, then by how often the pair is compared.
  const own = (h: HeadToHead) => Number(h.brands[0] === q.brandId);
  headToHead.sort(
    (a, b) =>
      own(b) - own(a) || b.mentions - a.mentions || a.brands[0] - b.brands[0] || a.brands[1] - b.brands[1],
  );

  return {
    brandId: q.brandId,
    panel: panel.map((b) => ({ id: b.id, name: b.name, kind: b.kind })),
    interval: q.interval,
    timeZone: q.timeZone,
    filters: q.filters,
    from: range.from,
    to: range.to,
    buckets,
    totals,
    headToHead,
    previous: { from: range.previousFrom, to: range.from },
  };
}

export const BREAKDOWN_DIMS = ['source', 'touchpoint', 'language'] as const;

const BreakdownInput = z
  .object({ ...RangeFields, ...FilterFields, by: z.enum(BREAKDOWN_DIMS) })
  .transform((input, ctx) => ({ ...input, ...resolveRange(input, ctx), filters: filtersOf(input) }));

export type BreakdownRow = Figures & { key: string | null; previous: Figures; change: Change };

/**
 * A brand's figures per source kind, touchpoint or language, side by side with the previous period
 * (consistency across channels is what CX teams check). Ranges are widened to whole hours.
 */
export async function getBreakdown({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof BreakdownInput>;
}): Promise<{
  brandId: number;
  by: string;
  filters: Filters;
  from: Date;
  to: Date;
  previous: Period;
  rows: BreakdownRow[];
}> {
  const q = parseInput(BreakdownInput, input, 'breakdown query');
  return withBrand(deps, q.brandId, async () => {
    const range = await alignedRange(deps, { unit: 'hour', timeZone: q.timeZone, from: q.from, to: q.to });
    const source = chooseSource(q.by, q.filters, range.rollups);
    const brandIds = [q.brandId];
    const current = await keySums(deps.db, { brandIds, source, from: range.from, to: range.to });
    const before = await previousByKey(deps, { brandIds, source, range }, current);
    const empty = figures(sumMeasures([]));
    return {
      brandId: q.brandId,
      by: q.by,
      filters: q.filters,
      from: range.from,
      to: range.to,
      previous: { from: range.previousFrom, to: range.from },
      rows: current.map((r) => {
        const now = figures(r);
        const prior = before.get(r.key);
        const previous = prior ? figures(prior) : empty;
        return { key: r.key === '' ? null : r.key, ...now, previous, change: change(now, previous) };
      }),
    };
  });
}

const ComparisonMentionsInput = z
  .object({
    ...RangeFields,
    with: z.number().int().positive().optional(),
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .transform((input, ctx) => ({ ...input, ...resolveRange(input, ctx) }));

export type ComparisonItem = {
  id: number;
  occurredAt: Date;
  title: string | null;
  text: string;
  url: string | null;
  sourceKind: string;
  brands: Array<{ brandId: number; stance: number | null }>;
  /** The panel brand that came out better, or null for a tie. */
  winner: number | null;
};

/** The mentions naming a brand and at least one of its competitors, newest first, with the winner. */
export async function listComparisons({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof ComparisonMentionsInput>;
}): Promise<{ items: ComparisonItem[]; nextCursor: string | null }> {
  const q = parseInput(ComparisonMentionsInput, input, 'comparison query');
  const panel = await requirePanel(deps, q.brandId);
  let others = panel.slice(1).map((b) => b.id);
  if (q.with !== undefined) {
    if (!others.includes(q.with)) {
      throw new AppError('validation_failed', `brand ${q.with} is not a competitor of brand ${q.brandId}`);
    }
    others = [q.with];
  }
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const rows = await listComparisonMentions(deps.db, {
    brandId: q.brandId,
    panel: [q.brandId, ...others],
    from: q.from,
    to: q.to,
    limit: q.limit + 1,
    after,
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: Number(r.id),
      occurredAt: r.occurred_at,
      title: r.title,
      text: r.text,
      url: r.url,
      sourceKind: r.source_kind,
      brands: r.brands,
      winner: winnerOf(r.brands),
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.occurred_at, Number(last.id)) : null,
  };
}

/** The brand whose stance beats every other's by the versus margin, if one does. */
export function winnerOf(brands: ReadonlyArray<{ brandId: number; stance: number | null }>): number | null {
  const scored = brands.filter((b): b is { brandId: number; stance: number } => b.stance !== null);
  if (scored.length < 2) return null;
  const sorted = [...scored].sort((a, b) => b.stance - a.stance);
  const [top, next] = sorted as [(typeof sorted)[0], (typeof sorted)[0]];
  // Stances are kept to 3 decimals: compare them so (as the rollups do).
  return Math.round((top.stance - next.stance) * 1000) / 1000 > VERSUS_MARGIN ? top.brandId : null;
}
