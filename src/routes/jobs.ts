import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../deps.ts';
import { ListRunsInput, listJobs, listRuns } from '../jobs/history.ts';
import { createOpenApiApp, errorResponses, jsonResponse, type Tag } from './openapi.ts';
import * as answers from './responses.ts';

const tags: Tag[] = ['Jobs'];

/** The scheduled jobs and their history (read only). */
export function jobRoutes(deps: Deps) {
  const app = createOpenApiApp();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'List jobs',
      description:
        'Every scheduled job with its schedule and its last run, last success and last failure. A run that did nothing is recorded at most once a minute per job and process, so the last run of a job that runs every second can be a minute old.',
      responses: { 200: jsonResponse('The jobs', answers.JobList) },
    }),
    async (c) => c.json({ items: await listJobs({ deps }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs',
      tags,
      summary: 'List job runs',
      description:
        'Newest first, 50 a page by default (at most 200); pages with `cursor` = the previous answer’s `nextCursor`. Kept 14 days; runs that did nothing are thinned to one a minute per job and process.',
      request: { query: ListRunsInput },
      responses: {
        200: jsonResponse('A page of runs', answers.JobRunPage),
        ...errorResponses(400),
      },
    }),
    async (c) => c.json(await listRuns({ deps, input: c.req.valid('query') }), 200),
  );

  return app;
}
