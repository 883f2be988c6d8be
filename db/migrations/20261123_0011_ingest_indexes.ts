// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

const BAND_SHIFTS = [36, 24, 12, 0];

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  // Syndication looks a new mention's SimHash up by its 12-bit bands (db/queries/mentions.ts,
  // `findSyndicationCandidates`) instead of comparing it with every recent mention.
  for (const shift of BAND_SHIFTS) {
    await sql`create index ${sql.raw(`mentions_simhash_band${shift}_idx`)} on mentions
      (((text_simhash >> ${sql.raw(String(shift))}) & 4095))
      where text_simhash is not null and duplicate_of is null`.execute(db);
  }
  // Grouping a negative mention with its rule's recent alerts on the same theme reads the rule's
  // events of the last hour or so.
  await sql`create index alert_events_rule_created_idx on alert_events (rule_id, created_at)`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('alert_events_rule_created_idx').execute();
  for (const shift of BAND_SHIFTS) await db.schema.dropIndex(`mentions_simhash_band${shift}_idx`).execute();
}
