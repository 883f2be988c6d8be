// Frozen: never edit a migration after it has landed; add a new one.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  // `mixed`: strong sentences of both polarities in one mention.
  await sql`alter table mentions drop constraint if exists mentions_sentiment_label_check`.execute(db);
  await sql`alter table mentions add constraint mentions_sentiment_label_check
    check (sentiment_label in ('negative', 'neutral', 'positive', 'mixed'))`.execute(db);
  // Why the mention got its label: the features that moved its score most.
  await db.schema.alterTable('mentions').addColumn('sentiment_reasons', 'jsonb').execute();
  // The parts of the customer journey a mention is about, and what support acts on.
  await db.schema
    .alterTable('mentions')
    .addColumn('touchpoints', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('intents', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();
  await sql`create index mentions_touchpoints_idx on mentions using gin (touchpoints)`.execute(db);
  await sql`create index mentions_intents_idx on mentions using gin (intents)`.execute(db);

  // Label corrections by users: the mention's label is changed (trends follow it) and each
  // correction is kept as feedback for export and for retraining the model.
  await db.schema
    .createTable('sentiment_feedback')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('mention_id', 'bigint', (c) => c.notNull().references('mentions.id').onDelete('cascade'))
    .addColumn('model_label', 'text')
    .addColumn('model_score', 'real')
    .addColumn('label', 'text', (c) =>
      c.notNull().check(sql`label in ('negative', 'neutral', 'positive', 'mixed')`),
    )
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('sentiment_feedback_mention_idx')
    .on('sentiment_feedback')
    .column('mention_id')
    .execute();
  await db.schema
    .alterTable('mentions')
    .addColumn('label_corrected', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('mentions').dropColumn('label_corrected').execute();
  await db.schema.dropTable('sentiment_feedback').execute();
  await db.schema.alterTable('mentions').dropColumn('intents').dropColumn('touchpoints').execute();
  await db.schema.alterTable('mentions').dropColumn('sentiment_reasons').execute();
  await sql`update mentions set sentiment_label = 'neutral' where sentiment_label = 'mixed'`.execute(db);
  await sql`alter table mentions drop constraint if exists mentions_sentiment_label_check`.execute(db);
  await sql`alter table mentions add constraint mentions_sentiment_label_check
    check (sentiment_label in ('negative', 'neutral', 'positive'))`.execute(db);
}
