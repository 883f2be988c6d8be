/**
 * Two earshot databases in two schemas of one PostgreSQL server migrate independently: Kysely's
 * bookkeeping tables are looked for in earshot's own schema, not in whichever schema has them first.
 * Without that, the second schema's migration found the first's `kysely_migration_lock`, skipped
 * creating its own and failed (a flaky CI run, when two test files set up at once).
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestDb, TEST_DATABASE_URL } from '../helpers/db.ts';

describe.skipIf(!TEST_DATABASE_URL)('migrations in a shared PostgreSQL (needs TEST_DATABASE_URL)', () => {
  it('a second schema migrates while the first one exists, and each keeps its own bookkeeping', async () => {
    const first = await createTestDb();
    try {
      const second = await createTestDb();
      try {
        for (const handle of [first, second]) {
          const { rows } = await sql<{ schema: string; tables: number }>`
            select current_schema() as schema,
                   (select count(*)::int from pg_tables
                     where schemaname = current_schema()
                       and tablename in ('kysely_migration', 'kysely_migration_lock')) as tables`.execute(
            handle.db,
          );
          expect(rows[0]?.tables).toBe(2);
        }
        const count = await second.db
          .selectFrom('brands')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst();
        expect(Number(count?.n)).toBe(0);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});
