// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  // Sums per UTC week (ISO, from Monday): totals over long ranges (top themes over 90 days) read a
  // dozen weeks instead of ninety days, so their cost stays flat as theme variety grows with data.
  await sql`create table rollup_weekly (like rollup_daily including defaults including constraints)`.execute(
    db,
  );
  await sql`alter table rollup_weekly add constraint rollup_weekly_pkey primary key (brand_id, dim, key, at)`.execute(
    db,
  );
  await sql`alter table rollup_weekly add constraint rollup_weekly_brand_id_fkey
    foreign key (brand_id) references brands (id) on delete cascade`.execute(db);
  await db.schema
    .createIndex('rollup_weekly_range_idx')
    .on('rollup_weekly')
    .columns(['brand_id', 'dim', 'at'])
    .execute();
  // The rollups are rebuilt at migrate time for their new definition (ROLLUPS_VERSION), weeks included.
  await sql`update rollup_state set version = 0`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rollup_weekly').execute();
}
