import { Hono } from 'hono';
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';

export function healthRoutes(deps: Deps) {
  return new Hono().get('/', async (c) => {
    try {
      await sql`select 1`.execute(deps.db);
      return c.json({ status: 'ok', database: deps.dbKind });
    } catch (error) {
      deps.logger.error({ err: error }, 'health check: database unreachable');
      return c.json({ status: 'unavailable', database: deps.dbKind }, 503);
    }
  });
}
