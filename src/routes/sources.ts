import { createRoute } from '@hono/zod-openapi';
import {
  createSource,
  deleteSource,
  getSource,
  getSourceHealth,
  listSources,
  SourceInput,
  SourcePatch,
  updateSource,
} from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { pollSource } from '../ingest/poll-source.ts';
import {
  createOpenApiApp,
  describeBodies,
  errorResponses,
  jsonResponse,
  resourceRoutes,
  type Tag,
} from './openapi.ts';
import * as answers from './responses.ts';
import { IdParam } from './validate.ts';

const tags: Tag[] = ['Sources'];

export function sourceRoutes(deps: Deps) {
  const app = createOpenApiApp();
  const bodies = describeBodies(app, {
    SourceInput: {
      schema: SourceInput,
      description: 'The source; `options` are checked by the connector of its `kind` (see the README)',
    },
    SourcePatch: { schema: SourcePatch, description: 'Any of the fields; new options reset the cursor' },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'List sources',
      responses: { 200: jsonResponse('Every source, with its health', answers.SourceList) },
    }),
    async (c) => c.json({ items: await listSources({ deps }) }, 200),
  );

  resourceRoutes(app, {
    tags,
    noun: 'source',
    location: '/api/sources',
    bodies: { create: bodies.SourceInput, patch: bodies.SourcePatch },
    answers: { created: answers.Source, read: answers.Source, updated: answers.Source },
    create: (input) => createSource({ deps, input }),
    read: (id) => getSource({ deps, input: { id } }),
    update: (id, patch) => updateSource({ deps, input: { id, patch } }),
    remove: (id) => deleteSource({ deps, input: { id } }),
    deleteSummary: 'Delete a source and its mentions',
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/health',
      tags,
      summary: "A source's health",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(
          'Status, last success, last error, failures, next poll',
          answers.SourceHealthAnswer,
        ),
        ...errorResponses(400, 404),
      },
    }),
    async (c) => c.json(await getSourceHealth({ deps, input: c.req.valid('param') }), 200),
  );

  // "Fetch now": polls at once and answers with what the poll found (a failed poll is a 200 with
  // status "failed": the request worked, the upstream did not).
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/poll',
      tags,
      summary: 'Poll a source now',
      description: 'A failed poll is a 200 with `status: failed`: the request worked, the upstream did not.',
      request: { params: IdParam },
      responses: {
        200: jsonResponse('What the poll found', answers.PollResult),
        ...errorResponses(400, 404),
      },
    }),
    async (c) => c.json(await pollSource({ deps, input: { sourceId: c.req.valid('param').id } }), 200),
  );

  return app;
}
