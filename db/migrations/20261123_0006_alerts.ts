// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  // Where alerts go: a signed generic webhook or a Slack incoming webhook. URL and signing secret are
  // secret references (a literal or {"env": NAME}), resolved at send time.
  await db.schema
    .createTable('alert_channels')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('webhook', 'slack')`))
    .addColumn('url', 'jsonb', (c) => c.notNull())
    .addColumn('secret', 'jsonb')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('disabled_reason', 'text')
    .addColumn('disabled_at', 'timestamptz')
    // Slack takes one message per second per webhook: the next free slot, claimed atomically.
    .addColumn('next_send_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`'-infinity'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('alert_rules')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('brand_id', 'integer', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    // Kind-specific conditions (filters, thresholds, windows), validated by src/alerts/rules.ts.
    .addColumn('conditions', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('channel_ids', sql`integer[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('severity', 'text', (c) => c.notNull().defaultTo('warning'))
    .addColumn('cooldown_minutes', 'integer', (c) => c.notNull().defaultTo(60))
    // {"start": "22:00", "end": "07:00", "timeZone": "Europe/Paris"}
    .addColumn('quiet_hours', 'jsonb')
    .addColumn('digest', 'text', (c) => c.check(sql`digest in ('hourly', 'daily')`))
    // Alerts at or above this severity skip the digest (and quiet hours).
    .addColumn('urgent_severity', 'text')
    .addColumn('muted_until', 'timestamptz')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    // Mentions published before this (less the recent window) never fire: no storm on backfills.
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('alert_rules_brand_idx').on('alert_rules').columns(['brand_id']).execute();

  // What support acts on: one incident per story or theme (its group key) while it is not resolved;
  // later matches join it rather than alerting again.
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('rule_id', 'integer', (c) => c.notNull().references('alert_rules.id').onDelete('cascade'))
    .addColumn('brand_id', 'integer', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('open').check(sql`status in ('open', 'acknowledged', 'resolved')`),
    )
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('assignee', 'text')
    .addColumn('events', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('mention_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_event_at', 'timestamptz', (c) => c.notNull())
    // The last time a channel was told (cooldown counts from here).
    .addColumn('notified_at', 'timestamptz')
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('resolved_at', 'timestamptz')
    .execute();
  await sql`create unique index incidents_live_group_idx on incidents (rule_id, group_key)
    where status <> 'resolved'`.execute(db);
  await sql`create index incidents_list_idx on incidents (last_event_at desc, id desc)`.execute(db);

  await db.schema
    .createTable('incident_notes')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('incident_id', 'bigint', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('author', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('incident_notes_incident_idx')
    .on('incident_notes')
    .columns(['incident_id'])
    .execute();

  // Each time a rule fired: for a mention, or for an evaluation window. The dedupe key makes firing
  // idempotent (a re-run ingest or evaluation adds nothing).
  await db.schema
    .createTable('alert_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('incident_id', 'bigint', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('rule_id', 'integer', (c) => c.notNull().references('alert_rules.id').onDelete('cascade'))
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('mention_id', 'bigint', (c) => c.references('mentions.id').onDelete('set null'))
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    // The explanation: figures, baseline, top themes and sources, example mentions.
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Held for the rule's digest (null once sent, or when it went out on its own).
    .addColumn('digest_due_at', 'timestamptz')
    .execute();
  await sql`create unique index alert_events_dedupe_idx on alert_events (rule_id, dedupe_key)`.execute(db);
  await db.schema
    .createIndex('alert_events_incident_idx')
    .on('alert_events')
    .columns(['incident_id', 'id'])
    .execute();
  await sql`create index alert_events_digest_idx on alert_events (digest_due_at) where digest_due_at is not null`.execute(
    db,
  );

  // The outbox: written in the transaction that created the event; the delivery worker sends it.
  // `message_id` is the webhook-id, the same on every retry (receivers de-duplicate on it).
  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('channel_id', 'integer', (c) =>
      c.notNull().references('alert_channels.id').onDelete('cascade'),
    )
    .addColumn('incident_id', 'bigint', (c) => c.references('incidents.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('alert'))
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'sending', 'delivered', 'failed', 'cancelled')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lease_until', 'timestamptz')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await sql`create index alert_deliveries_due_idx on alert_deliveries (next_attempt_at)
    where status in ('pending', 'sending')`.execute(db);
  await db.schema
    .createIndex('alert_deliveries_incident_idx')
    .on('alert_deliveries')
    .columns(['incident_id'])
    .execute();

  await db.schema
    .createTable('alert_delivery_attempts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('delivery_id', 'bigint', (c) =>
      c.notNull().references('alert_deliveries.id').onDelete('cascade'),
    )
    .addColumn('attempted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('alert_delivery_attempts_delivery_idx')
    .on('alert_delivery_attempts')
    .columns(['delivery_id'])
    .execute();

  // "A source returned nothing for N polls": polls in a row that stored no new mention, reset by one.
  await sql`alter table sources add column empty_polls integer not null default 0`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table sources drop column empty_polls`.execute(db);
  for (const table of [
    'alert_delivery_attempts',
    'alert_deliveries',
    'alert_events',
    'incident_notes',
    'incidents',
    'alert_rules',
    'alert_channels',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
