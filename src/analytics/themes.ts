/**
 * Themes over time: a brand's top themes with their aspect sentiment and change against the previous
 * period, emerging themes (new or sharply rising, negative ones first), and themes side by side
 * across a competitor panel ("their customers complain about delivery, ours about price"). A theme's
 * own series is the trend filtered by the theme (`getSentimentTrend` with `theme`).
 */
import { z } from 'zod';
import { type KeySums, keySums } from '../../db/queries/analytics.ts';
import type { Deps } from '../deps.ts';
import { parseInput } from '../errors.ts';
import { aspectFigures, figures, relativeChange, round, sumMeasures } from './figures.ts';
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

const { theme: _theme, ...ThemeFilterFields } = FilterFields;

const ThemesInput = z
  .object({ ...RangeFields, ...ThemeFilterFields, limit: z.number().int().min(1).max(200).default(20) })
  .transform((input, ctx) => ({ ...input, ...resolveRange(input, ctx), filters: filtersOf(input) }));

export type ThemeStat = {
  theme: string;
  /** Mentions with the theme. */
  count: number;
  /** Of the brand's mentions in the range. */
  share: number | null;
  /** Sentences with the theme that were positive / negative, and their mean score. */
  aspectPositive: number;
  aspectNegative: number;
  aspectSentiment: number | null;
  /** Net sentiment of the mentions with the theme. */
  netSentiment: number | null;
  previousCount: number;
  /** Relative change of `count`; null when the theme is new. */
  change: number | null;
};

type Period = { from: Date; to: Date };

async function themeRanges(
  deps: Deps,
  q: { brandId: number; from: Date; to: Date; timeZone: string; filters: Filters },
) {
  const range = await alignedRange(deps, { unit: 'hour', timeZone: q.timeZone, from: q.from, to: q.to });
  return {
    range,
    source: chooseSource('theme', q.filters, range.rollups),
    all: chooseSource('all', q.filters, range.rollups),
  };
}

function themeStat(row: KeySums, previous: KeySums | undefined, brandVolume: number): ThemeStat {
  return {
    theme: row.key,
    count: row.volume,
    share: brandVolume > 0 ? round(row.volume / brandVolume) : null,
    ...aspectFigures(row),
    netSentiment: figures(row).netSentiment,
    previousCount: previous?.volume ?? 0,
    change: relativeChange(row.volume, previous?.volume ?? 0),
  };
}

/** A brand's most frequent themes in a range (widened to whole hours), against the previous period. */
export async function getTopThemes({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof ThemesInput>;
}): Promise<{
  brandId: number;
  filters: Filters;
  from: Date;
  to: Date;
  previous: Period;
  themes: ThemeStat[];
}> {
  const q = parseInput(ThemesInput, input, 'themes query');
  return withBrand(deps, q.brandId, async () => {
    const { range, source, all } = await themeRanges(deps, q);
    const brandIds = [q.brandId];
    const [current, total] = await Promise.all([
      keySums(deps.db, { brandIds, source, from: range.from, to: range.to, top: q.limit }),
      keySums(deps.db, { brandIds, source: all, from: range.from, to: range.to }),
    ]);
    const before = await previousByKey(deps, { brandIds, source, range }, current);
    const volume = sumMeasures(total).volume;
    return {
      brandId: q.brandId,
      filters: q.filters,
      from: range.from,
      to: range.to,
      previous: { from: range.previousFrom, to: range.from },
      themes: current.map((row) => themeStat(row, before.get(row.key), volume)),
    };
  });
}

const EmergingInput = z
  .object({
    ...RangeFields,
    ...ThemeFilterFields,
    limit: z.number().int().min(1).max(100).default(10),
    /** A theme needs at least this many mentions in the range. */
    minCount: z.number().int().min(1).max(10_000).default(3),
    /** …and at least this many times its count in the previous period. */
    minRatio: z.number().min(1).max(100).default(2),
  })
  .transform((input, ctx) => ({ ...input, ...resolveRange(input, ctx, 7), filters: filtersOf(input) }));

export type EmergingTheme = {
  theme: string;
  count: number;
  previousCount: number;
  isNew: boolean;
  /** Relative change of the count; null when new. */
  growth: number | null;
  /** Sentences with the theme that were negative, now and before. */
  negative: number;
  previousNegative: number;
  negativeShare: number | null;
  aspectSentiment: number | null;
  /** Rank: the rise in mentions over its expected noise, weighted up by the negative share. */
  score: number;
};

/** How many theme candidates an emerging query weighs (the most frequent in the range). */
const EMERGING_CANDIDATES = 500;

/**
 * Themes that are new or rising sharply against the previous period of the same length (7 days by
 * default), ranked by the rise over its noise (√(before + 1)) and weighted towards negative ones.
 */
export async function getEmergingThemes({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof EmergingInput>;
}): Promise<{
  brandId: number;
  filters: Filters;
  from: Date;
  to: Date;
  previous: Period;
  themes: EmergingTheme[];
}> {
  const q = parseInput(EmergingInput, input, 'emerging themes query');
  return withBrand(deps, q.brandId, async () => {
    const { range, source } = await themeRanges(deps, q);
    const brandIds = [q.brandId];
    const current = (
      await keySums(deps.db, { brandIds, source, from: range.from, to: range.to, top: EMERGING_CANDIDATES })
    ).filter((r) => r.volume >= q.minCount);
    const before = await previousByKey(deps, { brandIds, source, range }, current);
    const themes: EmergingTheme[] = [];
    for (const row of current) {
      const prior = before.get(row.key);
      const previousCount = prior?.volume ?? 0;
      if (row.volume < q.minRatio * previousCount) continue;
      const negativeShare = row.aspect_scored > 0 ? row.aspect_negative / row.aspect_scored : null;
      const rise = (row.volume - previousCount) / Math.sqrt(previousCount + 1);
      themes.push({
        theme: row.key,
        count: row.volume,
        previousCount,
        isNew: previousCount === 0,
        growth: relativeChange(row.volume, previousCount),
        negative: row.aspect_negative,
        previousNegative: prior?.aspect_negative ?? 0,
        negativeShare: round(negativeShare),
        aspectSentiment: aspectFigures(row).aspectSentiment,
        score: round(rise * (1 + (negativeShare ?? 0))) ?? 0,
      });
    }
    themes.sort((a, b) => b.score - a.score || a.theme.localeCompare(b.theme));
    return {
      brandId: q.brandId,
      filters: q.filters,
      from: range.from,
      to: range.to,
      previous: { from: range.previousFrom, to: range.from },
      themes: themes.slice(0, q.limit),
    };
  });
}

export type PanelTheme = {
  theme: string;
  /** Mentions with the theme across the panel. */
  count: number;
  brands: Array<{
    brandId: number;
    count: number;
    /** Of the brand's mentions in the range. */
    share: number | null;
    aspectSentiment: number | null;
    negativeShare: number | null;
  }>;
};

/**
 * The panel's most frequent themes with each brand's count, share and aspect sentiment side by
 * side: where competitors are weak and the brand is strong, and the reverse.
 */
export async function compareThemes({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof ThemesInput>;
}): Promise<{ brandId: number; filters: Filters; from: Date; to: Date; themes: PanelTheme[] }> {
  const q = parseInput(ThemesInput, input, 'themes query');
  const panel = await requirePanel(deps, q.brandId);
  const brandIds = panel.map((b) => b.id);
  const { range, source, all } = await themeRanges(deps, q);
  const [rows, totals] = await Promise.all([
    keySums(deps.db, { brandIds, source, from: range.from, to: range.to }),
    keySums(deps.db, { brandIds, source: all, from: range.from, to: range.to }),
  ]);
  const volumeOf = new Map<number, number>();
  for (const t of totals) volumeOf.set(t.brand_id, (volumeOf.get(t.brand_id) ?? 0) + t.volume);
  const byTheme = new Map<string, KeySums[]>();
  for (const row of rows) byTheme.set(row.key, [...(byTheme.get(row.key) ?? []), row]);
  const themes = [...byTheme.entries()]
    .map(([theme, themeRows]) => ({ theme, count: themeRows.reduce((s, r) => s + r.volume, 0), themeRows }))
    .sort((a, b) => b.count - a.count || a.theme.localeCompare(b.theme))
    .slice(0, q.limit)
    .map(({ theme, count, themeRows }) => ({
      theme,
      count,
      brands: brandIds.map((brandId) => {
        const row = themeRows.find((r) => r.brand_id === brandId);
        const volume = volumeOf.get(brandId) ?? 0;
        return {
          brandId,
          count: row?.volume ?? 0,
          share: volume > 0 ? round((row?.volume ?? 0) / volume) : null,
          aspectSentiment: row ? aspectFigures(row).aspectSentiment : null,
          negativeShare: row && row.aspect_scored > 0 ? round(row.aspect_negative / row.aspect_scored) : null,
        };
      }),
    }));
  return { brandId: q.brandId, filters: q.filters, from: range.from, to: range.to, themes };
}
