// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  // A burst of distinct alerts past this many announcements in an hour goes to the next hourly
  // digest instead of one message each (null: no cap).
  await db.schema
    .alterTable('alert_rules')
    .addColumn('max_alerts_per_hour', 'integer', (c) => c.defaultTo(30))
    .execute();
  // When channels were told of this event (queued for delivery); counts against the flood cap, and
  // an incident's update lists the events not yet announced.
  await db.schema.alterTable('alert_events').addColumn('announced_at', 'timestamptz').execute();
  await sql`create index alert_events_announced_idx on alert_events (rule_id, announced_at)
    where announced_at is not null`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('alert_events_announced_idx').execute();
  await db.schema.alterTable('alert_events').dropColumn('announced_at').execute();
  await db.schema.alterTable('alert_rules').dropColumn('max_alerts_per_hour').execute();
}
