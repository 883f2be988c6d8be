import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { MAX_PUSH_ITEMS, PushBatch, PushItem, pushItems } from '../ingest/push-items.ts';
import { createOpenApiApp, describeBodies, errorResponses, jsonResponse, registerSchema } from './openapi.ts';
import * as answers from './responses.ts';
import { jsonBody } from './validate.ts';

export function ingestRoutes(deps: Deps) {
  const app = createOpenApiApp();
  // The batch is validated by the verb, item by item, so one bad item does not sink the others; the
  // document shows the shape each item is checked against (PushItem).
  const item = registerSchema(app, 'PushItem', PushItem);
  const bodies = describeBodies(app, {
    PushBatch: {
      schema: PushBatch.extend({ items: z.array(item).min(1).max(MAX_PUSH_ITEMS) }),
      description:
        'Items for a push source (by id or name). Each item is checked on its own: an invalid one is reported in `rejected` with its index, the others are stored.',
    },
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['Ingest'],
      summary: 'Push items',
      request: { body: bodies.PushBatch },
      responses: {
        200: jsonResponse('What was stored, and each rejected item', answers.PushResult),
        ...errorResponses(400, 404, 413),
      },
    }),
    async (c) => c.json(await pushItems({ deps, input: await jsonBody(c) }), 200),
  );

  return app;
}
