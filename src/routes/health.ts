import { createRoute } from '@hono/zod-openapi';
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { createOpenApiApp, jsonResponse } from './openapi.ts';
import * as answers from './responses.ts';

export function healthRoutes(deps: Deps) {
  const app = createOpenApiApp();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['Health'],
      security: [],
      summary: 'Health check',
      responses: {
        200: jsonResponse('The API and its database are up', answers.Health),
        503: jsonResponse('The database is unreachable', answers.Health),
      },
    }),
    async (c) => {
      try {
        await sql`select 1`.execute(deps.db);
        return c.json({ status: 'ok' as const, database: deps.dbKind }, 200);
      } catch (error) {
        deps.logger.error({ err: error }, 'health check: database unreachable');
        return c.json({ status: 'unavailable' as const, database: deps.dbKind }, 503);
      }
    },
  );
  return app;
}
