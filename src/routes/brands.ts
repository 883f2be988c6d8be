import { Hono } from 'hono';
import { z } from 'zod';
import { TREND_UNITS } from '../../db/queries/analytics.ts';
import { compareThemes, getEmergingThemes, getTopThemes } from '../analytics/themes.ts';
import {
  BREAKDOWN_DIMS,
  compareBrands,
  getBreakdown,
  getSentimentTrend,
  listComparisons,
} from '../analytics/trends.ts';
import { createBrand, deleteBrand, getBrand, listBrands, updateBrand } from '../catalog/brands.ts';
import type { Deps } from '../deps.ts';
import { type Columns, csvResponse, FormatField, wantsCsv } from './csv.ts';
import { IdParam, Instant, TimeZone, validate } from './validate.ts';

const Filter = z.string().trim().min(1).max(100);
const Range = {
  from: Instant.optional(),
  to: Instant.optional(),
  tz: TimeZone.default('UTC'),
  ...FormatField,
};
const Filters = {
  source: Filter.optional(),
  touchpoint: Filter.optional(),
  theme: Filter.optional(),
  language: Filter.optional(),
};
const Limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

const TrendQuery = z.strictObject({ ...Range, ...Filters, interval: z.enum(TREND_UNITS).optional() });
const ThemesQuery = z.strictObject({
  ...Range,
  ...Filters,
  theme: z.never().optional(),
  limit: Limit(200, 20),
});
const EmergingQuery = z.strictObject({
  ...Range,
  ...Filters,
  theme: z.never().optional(),
  limit: Limit(100, 10),
  minCount: z.coerce.number().int().min(1).max(10_000).optional(),
  minRatio: z.coerce.number().min(1).max(100).optional(),
});
const BreakdownQuery = z.strictObject({ ...Range, ...Filters, by: z.enum(BREAKDOWN_DIMS) });
const ComparisonsQuery = z.strictObject({
  ...Range,
  with: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
  cursor: z.string().max(200).optional(),
  limit: Limit(200, 50),
});

const FIGURES = [
  'volume',
  'positive',
  'neutral',
  'negative',
  'mixed',
  'unscored',
  'meanSentiment',
  'netSentiment',
  'rated',
  'meanRating',
  'csat',
];
const ASPECT = ['aspectPositive', 'aspectNegative', 'aspectSentiment'];
const CHANGE = ['volume', 'positive', 'negative', 'meanSentiment', 'netSentiment', 'meanRating', 'csat'];
const COLUMNS = {
  trend: ['start', ...FIGURES],
  compare: ['start', 'brandId', 'brandName', 'shareOfVoice', ...FIGURES],
  breakdown: ['key', ...FIGURES, ...FIGURES.map((f) => `previous.${f}`), ...CHANGE.map((f) => `change.${f}`)],
  themes: ['theme', 'count', 'share', ...ASPECT, 'netSentiment', 'previousCount', 'change'],
  emerging: [
    'theme',
    'count',
    'previousCount',
    'isNew',
    'growth',
    'negative',
    'previousNegative',
    'negativeShare',
    'aspectSentiment',
    'score',
  ],
  panelThemes: ['theme', 'brandId', 'brandName', 'count', 'share', 'aspectSentiment', 'negativeShare'],
  comparisons: ['id', 'occurredAt', 'sourceKind', 'url', 'winner', 'brands', 'title', 'text'],
} satisfies Record<string, Columns>;

export function brandRoutes(deps: Deps) {
  return new Hono()
    .get('/', async (c) => c.json({ items: await listBrands({ deps }) }))
    .post('/', validate('json', z.unknown()), async (c) => {
      const brand = await createBrand({ deps, input: c.req.valid('json') });
      return c.json(brand, 201, { location: `/api/brands/${brand.id}` });
    })
    .get('/:id', validate('param', IdParam), async (c) =>
      c.json(await getBrand({ deps, input: c.req.valid('param') })),
    )
    .patch('/:id', validate('param', IdParam), validate('json', z.unknown()), async (c) =>
      c.json(await updateBrand({ deps, input: { id: c.req.valid('param').id, patch: c.req.valid('json') } })),
    )
    .delete('/:id', validate('param', IdParam), async (c) => {
      await deleteBrand({ deps, input: c.req.valid('param') });
      return c.body(null, 204);
    })
    .get('/:id/trends', validate('param', IdParam), validate('query', TrendQuery), async (c) => {
      const { tz, format, ...query } = c.req.valid('query');
      const trend = await getSentimentTrend({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(trend);
      const columns = query.theme === undefined ? COLUMNS.trend : [...COLUMNS.trend, ...ASPECT];
      return csvResponse(c, `trend-${trend.brandId}`, columns, trend.buckets);
    })
    .get('/:id/compare', validate('param', IdParam), validate('query', TrendQuery), async (c) => {
      const { tz, format, ...query } = c.req.valid('query');
      const comparison = await compareBrands({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(comparison);
      const names = new Map(comparison.panel.map((b) => [b.id, b.name]));
      const rows = comparison.buckets.flatMap((bucket) =>
        bucket.brands.map((b) => ({ ...b, start: bucket.start, brandName: names.get(b.brandId) })),
      );
      return csvResponse(c, `compare-${comparison.brandId}`, COLUMNS.compare, rows);
    })
    .get('/:id/compare/themes', validate('param', IdParam), validate('query', ThemesQuery), async (c) => {
      const { tz, format, theme: _theme, ...query } = c.req.valid('query');
      const brandId = c.req.valid('param').id;
      const result = await compareThemes({ deps, input: { brandId, timeZone: tz, ...query } });
      if (!wantsCsv(c, format)) return c.json(result);
      const names = new Map((await listBrands({ deps })).map((b) => [b.id, b.name]));
      const rows = result.themes.flatMap((t) =>
        t.brands.map((b) => ({ ...b, theme: t.theme, brandName: names.get(b.brandId) })),
      );
      return csvResponse(c, `compare-themes-${brandId}`, COLUMNS.panelThemes, rows);
    })
    .get(
      '/:id/compare/mentions',
      validate('param', IdParam),
      validate('query', ComparisonsQuery),
      async (c) => {
        const { tz, format, ...query } = c.req.valid('query');
        const brandId = c.req.valid('param').id;
        const page = await listComparisons({ deps, input: { brandId, timeZone: tz, ...query } });
        if (!wantsCsv(c, format)) return c.json(page);
        const rows = page.items.map((m) => ({
          ...m,
          brands: m.brands.map((b) => `${b.brandId}:${b.stance ?? ''}`),
        }));
        return csvResponse(c, `comparisons-${brandId}`, COLUMNS.comparisons, rows);
      },
    )
    .get('/:id/themes', validate('param', IdParam), validate('query', ThemesQuery), async (c) => {
      const { tz, format, theme: _theme, ...query } = c.req.valid('query');
      const result = await getTopThemes({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(result);
      return csvResponse(c, `themes-${result.brandId}`, COLUMNS.themes, result.themes);
    })
    .get('/:id/themes/emerging', validate('param', IdParam), validate('query', EmergingQuery), async (c) => {
      const { tz, format, theme: _theme, ...query } = c.req.valid('query');
      const result = await getEmergingThemes({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(result);
      return csvResponse(c, `emerging-themes-${result.brandId}`, COLUMNS.emerging, result.themes);
    })
    .get('/:id/breakdown', validate('param', IdParam), validate('query', BreakdownQuery), async (c) => {
      const { tz, format, ...query } = c.req.valid('query');
      const result = await getBreakdown({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(result);
      return csvResponse(c, `breakdown-${result.by}-${result.brandId}`, COLUMNS.breakdown, result.rows);
    });
}
