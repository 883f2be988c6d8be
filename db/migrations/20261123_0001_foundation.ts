// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('brands')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('own', 'competitor')`))
    .addColumn('include_terms', sql`text[]`, (c) => c.notNull())
    .addColumn('exclude_terms', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('sources')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('options', 'jsonb', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('poll_interval_seconds', 'integer', (c) => c.notNull().check(sql`poll_interval_seconds >= 10`))
    .addColumn('cursor', 'jsonb')
    .addColumn('next_poll_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_polled_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'timestamptz')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('sources_due_idx').on('sources').columns(['enabled', 'next_poll_at']).execute();

  await db.schema
    .createTable('mentions')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('source_id', 'integer', (c) => c.notNull().references('sources.id').onDelete('cascade'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('author', 'text')
    .addColumn('title', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz')
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('occurred_at', 'timestamptz', (c) =>
      c.notNull().generatedAlwaysAs(sql`coalesce(published_at, fetched_at)`).stored(),
    )
    .addColumn('rating', 'real')
    .addColumn('language', 'text')
    .addColumn('sentiment_score', 'real')
    .addColumn('sentiment_label', 'text', (c) =>
      c.check(sql`sentiment_label in ('negative', 'neutral', 'positive')`),
    )
    .addColumn('sentences', 'jsonb')
    .addUniqueConstraint('mentions_source_external_key', ['source_id', 'external_id'])
    .execute();
  await db.schema
    .createIndex('mentions_occurred_idx')
    .on('mentions')
    .columns(['occurred_at desc', 'id desc'])
    .execute();

  await db.schema
    .createTable('mention_brands')
    .addColumn('mention_id', 'bigint', (c) => c.notNull().references('mentions.id').onDelete('cascade'))
    .addColumn('brand_id', 'integer', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('matched_terms', sql`text[]`, (c) => c.notNull())
    .addPrimaryKeyConstraint('mention_brands_pkey', ['mention_id', 'brand_id'])
    .execute();
  await db.schema
    .createIndex('mention_brands_brand_time_idx')
    .on('mention_brands')
    .columns(['brand_id', 'occurred_at desc', 'mention_id desc'])
    .execute();

  await db.schema
    .createTable('mention_themes')
    .addColumn('mention_id', 'bigint', (c) => c.notNull().references('mentions.id').onDelete('cascade'))
    .addColumn('theme', 'text', (c) => c.notNull())
    .addColumn('sentiment_score', 'real')
    .addPrimaryKeyConstraint('mention_themes_pkey', ['mention_id', 'theme'])
    .execute();
  await db.schema.createIndex('mention_themes_theme_idx').on('mention_themes').column('theme').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['mention_themes', 'mention_brands', 'mentions', 'sources', 'brands']) {
    await db.schema.dropTable(table).execute();
  }
}
