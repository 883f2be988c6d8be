// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('brands')
    .addColumn('blocked_authors', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('blocked_domains', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();

  // Sources whose every item is about given brands (App Store reviews of our app rarely name it).
  await db.schema
    .alterTable('sources')
    .addColumn('assign_brand_ids', sql`integer[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('last_error_status', 'integer')
    .execute();

  await db.schema
    .alterTable('mentions')
    .addColumn('engagement', 'jsonb')
    // Syndication: the same story from several sources is linked to its first copy, not counted twice.
    .addColumn('canonical_url', 'text')
    .addColumn('text_simhash', 'bigint')
    .addColumn('duplicate_of', 'bigint', (c) => c.references('mentions.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('mentions_canonical_url_idx').on('mentions').column('canonical_url').execute();
  await db.schema.createIndex('mentions_duplicate_of_idx').on('mentions').column('duplicate_of').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('mentions_duplicate_of_idx').execute();
  await db.schema.dropIndex('mentions_canonical_url_idx').execute();
  await db.schema
    .alterTable('mentions')
    .dropColumn('duplicate_of')
    .dropColumn('text_simhash')
    .dropColumn('canonical_url')
    .dropColumn('engagement')
    .execute();
  await db.schema
    .alterTable('sources')
    .dropColumn('last_error_status')
    .dropColumn('assign_brand_ids')
    .execute();
  await db.schema.alterTable('brands').dropColumn('blocked_domains').dropColumn('blocked_authors').execute();
}
