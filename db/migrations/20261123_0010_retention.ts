// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  // The retention horizon (a UTC week start): mentions before it are being deleted, while the rollup
  // rows before it are kept as they are; a rebuild of the rollups leaves them, and ingest takes no
  // item from before it (its period's figures are final). Null: nothing was ever deleted.
  await db.schema.alterTable('rollup_state').addColumn('closed_before', 'timestamptz').execute();
  // Deleting a mention sets the reference of the alert events naming it to null: without this
  // index, each deleted mention would scan every alert event.
  await sql`create index alert_events_mention_idx on alert_events (mention_id)`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('alert_events_mention_idx').execute();
  await db.schema.alterTable('rollup_state').dropColumn('closed_before').execute();
}
