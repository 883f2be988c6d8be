// Frozen: never edit a migration after it has landed; add a new one.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  // The class of a source's last failure (timeout, http_4xx, http_5xx, rate_limited, parse, network,
  // other), stored with its message: source health answers "whose side is it" without parsing text.
  await db.schema.alterTable('sources').addColumn('last_error_kind', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sources').dropColumn('last_error_kind').execute();
}
