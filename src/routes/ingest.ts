import { Hono } from 'hono';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { pushItems } from '../ingest/push-items.ts';
import { validate } from './validate.ts';

export function ingestRoutes(deps: Deps) {
  // The batch is validated by the verb, item by item, so one bad item does not sink the others.
  return new Hono().post('/', validate('json', z.unknown()), async (c) =>
    c.json(await pushItems({ deps, input: c.req.valid('json') })),
  );
}
