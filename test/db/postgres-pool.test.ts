/**
 * The pg pool survives the server ending an idle connection (a restart, a failover, an administrator):
 * the error is reported, not thrown at the process, and the next query gets a new connection.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresPool } from '../../db/postgres.ts';
import { TEST_DATABASE_URL } from '../helpers/db.ts';

describe.skipIf(!TEST_DATABASE_URL)('the PostgreSQL pool (needs TEST_DATABASE_URL)', () => {
  it('reports an idle connection the server ends, and carries on with a new one', async () => {
    const errors: Error[] = [];
    const pool = createPostgresPool({ url: TEST_DATABASE_URL as string, onIdleError: (e) => errors.push(e) });
    try {
      const before = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
      const pid = before.rows[0]?.pid;
      expect(pool.idleCount).toBe(1);

      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await admin.end();
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBe(1);
      expect(errors[0]?.message).toMatch(/terminating connection/);

      const after = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
      expect(after.rows[0]?.pid).not.toBe(pid);
    } finally {
      await pool.end();
    }
  });
});
