import { Hono } from 'hono';
import { z } from 'zod';
import {
  createSource,
  deleteSource,
  getSource,
  getSourceHealth,
  listSources,
  updateSource,
} from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { pollSource } from '../ingest/poll-source.ts';
import { IdParam, validate } from './validate.ts';

export function sourceRoutes(deps: Deps) {
  return (
    new Hono()
      .get('/', async (c) => c.json({ items: await listSources({ deps }) }))
      .post('/', validate('json', z.unknown()), async (c) => {
        const source = await createSource({ deps, input: c.req.valid('json') });
        return c.json(source, 201, { location: `/api/sources/${source.id}` });
      })
      .get('/:id', validate('param', IdParam), async (c) =>
        c.json(await getSource({ deps, input: c.req.valid('param') })),
      )
      .get('/:id/health', validate('param', IdParam), async (c) =>
        c.json(await getSourceHealth({ deps, input: c.req.valid('param') })),
      )
      .patch('/:id', validate('param', IdParam), validate('json', z.unknown()), async (c) =>
        c.json(
          await updateSource({ deps, input: { id: c.req.valid('param').id, patch: c.req.valid('json') } }),
        ),
      )
      .delete('/:id', validate('param', IdParam), async (c) => {
        await deleteSource({ deps, input: c.req.valid('param') });
        return c.body(null, 204);
      })
      // "Fetch now": polls at once and answers with what the poll found (a failed poll is a 200 with
      // status "failed": the request worked, the upstream did not).
      .post('/:id/poll', validate('param', IdParam), async (c) =>
        c.json(await pollSource({ deps, input: { sourceId: c.req.valid('param').id } })),
      )
  );
}
