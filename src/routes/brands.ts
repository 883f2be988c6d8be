import { Hono } from 'hono';
import { z } from 'zod';
import { TREND_UNITS } from '../../db/queries/analytics.ts';
import { getSentimentTrend, getTopThemes } from '../analytics/trends.ts';
import { createBrand, deleteBrand, getBrand, listBrands, updateBrand } from '../catalog/brands.ts';
import type { Deps } from '../deps.ts';
import { IdParam, Instant, TimeZone, validate } from './validate.ts';

const TrendQuery = z.strictObject({
  interval: z.enum(TREND_UNITS).optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  tz: TimeZone.default('UTC'),
});

const ThemesQuery = z.strictObject({
  from: Instant.optional(),
  to: Instant.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});

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
      const { tz, ...query } = c.req.valid('query');
      return c.json(
        await getSentimentTrend({
          deps,
          input: { brandId: c.req.valid('param').id, timeZone: tz, ...query },
        }),
      );
    })
    .get('/:id/themes', validate('param', IdParam), validate('query', ThemesQuery), async (c) =>
      c.json(
        await getTopThemes({ deps, input: { brandId: c.req.valid('param').id, ...c.req.valid('query') } }),
      ),
    );
}
