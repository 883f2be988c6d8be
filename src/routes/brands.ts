import { createRoute } from '@hono/zod-openapi';
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
import {
  BrandInput,
  BrandPatch,
  createBrand,
  deleteBrand,
  getBrand,
  listBrands,
  updateBrand,
} from '../catalog/brands.ts';
import type { Deps } from '../deps.ts';
import { type Columns, csvResponse, FormatField, wantsCsv } from './csv.ts';
import {
  createOpenApiApp,
  describeBodies,
  errorResponses,
  jsonOrCsvResponse,
  jsonResponse,
  resourceRoutes,
  type Tag,
} from './openapi.ts';
import * as answers from './responses.ts';
import { IdParam, Instant, TimeZone } from './validate.ts';

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
/** Theme lists are per theme already: a theme filter is refused. */
const NoTheme = z.never().optional().openapi({ type: 'string', not: {}, description: 'Not accepted here' });
const Limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

const TrendQuery = z.strictObject({ ...Range, ...Filters, interval: z.enum(TREND_UNITS).optional() });
const ThemesQuery = z.strictObject({
  ...Range,
  ...Filters,
  theme: NoTheme,
  limit: Limit(200, 20),
});
const EmergingQuery = z.strictObject({
  ...Range,
  ...Filters,
  theme: NoTheme,
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

const tags: Tag[] = ['Brands'];
const analytics: Tag[] = ['Analytics'];
const ANALYTICS_ERRORS = errorResponses(400, 404);

export function brandRoutes(deps: Deps) {
  const app = createOpenApiApp();
  const bodies = describeBodies(app, {
    BrandInput: { schema: BrandInput, description: 'The brand; `include` defaults to its name' },
    BrandPatch: { schema: BrandPatch, description: 'Any of the fields' },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'List brands',
      responses: { 200: jsonResponse('Every brand', answers.BrandList) },
    }),
    async (c) => c.json({ items: await listBrands({ deps }) }, 200),
  );

  resourceRoutes(app, {
    tags: ['Brands'],
    noun: 'brand',
    location: '/api/brands',
    bodies: { create: bodies.BrandInput, patch: bodies.BrandPatch },
    answers: { created: answers.Brand, read: answers.Brand, updated: answers.Brand },
    create: (input) => createBrand({ deps, input }),
    read: (id) => getBrand({ deps, input: { id } }),
    update: (id, patch) => updateBrand({ deps, input: { id, patch } }),
    remove: (id) => deleteBrand({ deps, input: { id } }),
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/trends',
      tags: analytics,
      summary: 'Sentiment trend',
      description:
        'The figures per bucket, cut in `tz`; every bucket present, empty ones as zeros; totals, the previous period and the change. With `theme=`, that theme’s own series with its aspect sentiment.',
      request: { params: IdParam, query: TrendQuery },
      responses: { 200: jsonOrCsvResponse('The trend', answers.Trend), ...ANALYTICS_ERRORS },
    }),
    async (c) => {
      const { tz, format, ...query } = c.req.valid('query');
      const trend = await getSentimentTrend({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(trend, 200);
      const columns = query.theme === undefined ? COLUMNS.trend : [...COLUMNS.trend, ...ASPECT];
      return csvResponse(c, `trend-${trend.brandId}`, columns, trend.buckets);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/compare',
      tags: analytics,
      summary: 'Compare with the competitor panel',
      description:
        'The brand and its competitor panel side by side, per bucket and in total, with share of voice; head to head for each pair of the panel.',
      request: { params: IdParam, query: TrendQuery },
      responses: { 200: jsonOrCsvResponse('The comparison', answers.Comparison), ...ANALYTICS_ERRORS },
    }),
    async (c) => {
      const { tz, format, ...query } = c.req.valid('query');
      const comparison = await compareBrands({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(comparison, 200);
      const names = new Map(comparison.panel.map((b) => [b.id, b.name]));
      const rows = comparison.buckets.flatMap((bucket) =>
        bucket.brands.map((b) => ({ ...b, start: bucket.start, brandName: names.get(b.brandId) })),
      );
      return csvResponse(c, `compare-${comparison.brandId}`, COLUMNS.compare, rows);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/compare/themes',
      tags: analytics,
      summary: 'Themes across the competitor panel',
      request: { params: IdParam, query: ThemesQuery },
      responses: {
        200: jsonOrCsvResponse('The panel’s top themes', answers.PanelThemes),
        ...ANALYTICS_ERRORS,
      },
    }),
    async (c) => {
      const { tz, format, theme: _theme, ...query } = c.req.valid('query');
      const brandId = c.req.valid('param').id;
      const result = await compareThemes({ deps, input: { brandId, timeZone: tz, ...query } });
      if (!wantsCsv(c, format)) return c.json(result, 200);
      const names = new Map((await listBrands({ deps })).map((b) => [b.id, b.name]));
      const rows = result.themes.flatMap((t) =>
        t.brands.map((b) => ({ ...b, theme: t.theme, brandName: names.get(b.brandId) })),
      );
      return csvResponse(c, `compare-themes-${brandId}`, COLUMNS.panelThemes, rows);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/compare/mentions',
      tags: analytics,
      summary: 'Direct comparisons',
      description:
        'Mentions naming the brand and a competitor, newest first, with each brand’s stance and the winner.',
      request: { params: IdParam, query: ComparisonsQuery },
      responses: {
        200: jsonOrCsvResponse('A page of comparisons', answers.ComparisonPage),
        ...ANALYTICS_ERRORS,
      },
    }),
    async (c) => {
      const { tz, format, ...query } = c.req.valid('query');
      const brandId = c.req.valid('param').id;
      const page = await listComparisons({ deps, input: { brandId, timeZone: tz, ...query } });
      if (!wantsCsv(c, format)) return c.json(page, 200);
      const rows = page.items.map((m) => ({
        ...m,
        brands: m.brands.map((b) => `${b.brandId}:${b.stance ?? ''}`),
      }));
      return csvResponse(c, `comparisons-${brandId}`, COLUMNS.comparisons, rows);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/themes',
      tags: analytics,
      summary: 'Top themes',
      request: { params: IdParam, query: ThemesQuery },
      responses: { 200: jsonOrCsvResponse('The top themes', answers.TopThemes), ...ANALYTICS_ERRORS },
    }),
    async (c) => {
      const { tz, format, theme: _theme, ...query } = c.req.valid('query');
      const result = await getTopThemes({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(result, 200);
      return csvResponse(c, `themes-${result.brandId}`, COLUMNS.themes, result.themes);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/themes/emerging',
      tags: analytics,
      summary: 'Emerging themes',
      description:
        'Themes new or rising sharply against the previous period (default range: the last 7 days), negative ones weighted up.',
      request: { params: IdParam, query: EmergingQuery },
      responses: {
        200: jsonOrCsvResponse('The emerging themes', answers.EmergingThemes),
        ...ANALYTICS_ERRORS,
      },
    }),
    async (c) => {
      const { tz, format, theme: _theme, ...query } = c.req.valid('query');
      const result = await getEmergingThemes({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(result, 200);
      return csvResponse(c, `emerging-themes-${result.brandId}`, COLUMNS.emerging, result.themes);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/breakdown',
      tags: analytics,
      summary: 'Breakdown by source kind, touchpoint or language',
      request: { params: IdParam, query: BreakdownQuery },
      responses: { 200: jsonOrCsvResponse('The figures per key', answers.Breakdown), ...ANALYTICS_ERRORS },
    }),
    async (c) => {
      const { tz, format, ...query } = c.req.valid('query');
      const result = await getBreakdown({
        deps,
        input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
      });
      if (!wantsCsv(c, format)) return c.json(result, 200);
      return csvResponse(c, `breakdown-${result.by}-${result.brandId}`, COLUMNS.breakdown, result.rows);
    },
  );

  return app;
}
