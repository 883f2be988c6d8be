/**
 * A fresh, migrated database for a test file: in-memory PGlite by default, or a private schema on
 * the PostgreSQL server named by TEST_DATABASE_URL (dropped afterwards), so the same suite runs on
 * both. `resetDb` empties every table between tests.
 */
import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { createDb, type DbHandle } from '../../db/create-db.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import type { Database } from '../../db/schema.ts';
import { insertTestToken, TEST_ADMIN_TOKEN } from './auth.ts';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

export async function createTestDb(): Promise<DbHandle> {
  if (!TEST_DATABASE_URL) {
    const handle = await createDb({ kind: 'pglite', dataDir: null });
    await migrateToLatest(handle.db);
    await insertTestToken(handle.db, TEST_ADMIN_TOKEN, 'admin');
    return handle;
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const handle = await createDb({
    kind: 'postgres',
    url: TEST_DATABASE_URL,
    searchPath: schema,
    maxConnections: 5,
  });
  await migrateToLatest(handle.db);
  await insertTestToken(handle.db, TEST_ADMIN_TOKEN, 'admin');
  return {
    ...handle,
    close: async () => {
      await handle.close();
      const dropper = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await dropper.connect();
      await dropper.query(`drop schema ${schema} cascade`);
      await dropper.end();
    },
  };
}

export async function resetDb(db: Kysely<Database>): Promise<void> {
  await sql`truncate job_runs, alert_delivery_attempts, alert_deliveries, alert_events, incident_notes, incidents, alert_rules, alert_channels, rollup_hourly, rollup_daily, rollup_weekly, brand_competitors, sentiment_feedback, mention_themes, mention_brands, mentions, sources, brands restart identity cascade`.execute(
    db,
  );
  await sql`update rollup_state set closed_before = null`.execute(db);
}
