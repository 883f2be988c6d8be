// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

const MEASURE_COLUMNS = [
  ['volume', 'integer'],
  ['positive', 'integer'],
  ['neutral', 'integer'],
  ['negative', 'integer'],
  ['mixed', 'integer'],
  ['scored', 'integer'],
  ['score_sum', 'float8'],
  ['rated', 'integer'],
  ['rating_sum', 'float8'],
  ['rating_high', 'integer'],
  ['aspect_scored', 'integer'],
  ['aspect_sum', 'float8'],
  ['aspect_positive', 'integer'],
  ['aspect_negative', 'integer'],
  ['wins', 'integer'],
  ['losses', 'integer'],
] as const;

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  // A brand's competitor panel.
  await db.schema
    .createTable('brand_competitors')
    .addColumn('brand_id', 'integer', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addColumn('competitor_id', 'integer', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('brand_competitors_pkey', ['brand_id', 'competitor_id'])
    .addCheckConstraint('brand_competitors_not_self', sql`brand_id <> competitor_id`)
    .execute();

  // The brand's own sentiment in a mention (the sentences naming it), for head-to-head comparisons.
  await db.schema.alterTable('mention_brands').addColumn('sentiment_score', 'real').execute();

  // Sums per brand, dimension, key and UTC hour / UTC day (see db/queries/rollups.ts).
  for (const table of ['rollup_hourly', 'rollup_daily']) {
    let create = db.schema
      .createTable(table)
      .addColumn('brand_id', 'integer', (c) => c.notNull().references('brands.id').onDelete('cascade'))
      .addColumn('dim', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull());
    for (const [name, type] of MEASURE_COLUMNS) {
      create = create.addColumn(name, type, (c) => c.notNull().defaultTo(0));
    }
    await create.addPrimaryKeyConstraint(`${table}_pkey`, ['brand_id', 'dim', 'key', 'at']).execute();
    // Range scans over every key of a dimension (top themes, breakdowns).
    await db.schema.createIndex(`${table}_range_idx`).on(table).columns(['brand_id', 'dim', 'at']).execute();
  }
  // Which definition of the rollups the stored sums follow; a newer one rebuilds them at migrate time.
  await db.schema
    .createTable('rollup_state')
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await sql`insert into rollup_state (version) values (0)`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['rollup_state', 'rollup_daily', 'rollup_hourly', 'brand_competitors']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('mention_brands').dropColumn('sentiment_score').execute();
}
