/**
 * Migrations are listed in code (a file-based provider breaks under bundlers and vitest), named by
 * timestamp, and frozen once landed.
 */
import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from 'kysely';
import * as foundation from './migrations/20261123_0001_foundation.ts';
import * as sourcesAndSyndication from './migrations/20261123_0002_sources_and_syndication.ts';
import * as mixedAndReasons from './migrations/20261123_0003_mixed_and_reasons.ts';
import * as analyticsRollups from './migrations/20261123_0004_analytics_rollups.ts';
import * as weeklyRollups from './migrations/20261123_0005_weekly_rollups.ts';
import * as alerts from './migrations/20261123_0006_alerts.ts';
import * as alertGrouping from './migrations/20261123_0007_alert_grouping_and_flood_cap.ts';
import * as apiTokens from './migrations/20261123_0008_api_tokens.ts';
import * as jobRuns from './migrations/20261123_0009_job_runs.ts';
import * as retention from './migrations/20261123_0010_retention.ts';
import * as ingestIndexes from './migrations/20261123_0011_ingest_indexes.ts';
import * as sourceErrorKind from './migrations/20261123_0012_source_error_kind.ts';
import { ensureRollups } from './queries/rollups.ts';
import type { Database } from './schema.ts';

export const MIGRATIONS: Record<string, Migration> = {
  '20261123_0001_foundation': foundation,
  '20261123_0002_sources_and_syndication': sourcesAndSyndication,
  '20261123_0003_mixed_and_reasons': mixedAndReasons,
  '20261123_0004_analytics_rollups': analyticsRollups,
  '20261123_0005_weekly_rollups': weeklyRollups,
  '20261123_0006_alerts': alerts,
  '20261123_0007_alert_grouping_and_flood_cap': alertGrouping,
  '20261123_0008_api_tokens': apiTokens,
  '20261123_0009_job_runs': jobRuns,
  '20261123_0010_retention': retention,
  '20261123_0011_ingest_indexes': ingestIndexes,
  '20261123_0012_source_error_kind': sourceErrorKind,
};

export type MigrationLog = (message: string) => void;

export async function migrateToLatest(db: Kysely<Database>, log: MigrationLog = () => {}): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one: with earshot in
  // one schema and another Kysely user (or a second earshot) in another, it would find theirs, skip
  // creating its own, and fail. They live in earshot's schema, the first on its search path.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('migration failed: no schema on the search path to create tables in');
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableSchema: schema,
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  const applied: string[] = [];
  for (const r of result.results ?? []) {
    if (r.status === 'Success') applied.push(r.migrationName);
    log(`migration ${r.migrationName}: ${r.status.toLowerCase()}`);
  }
  if (result.error) {
    throw new Error(`migration failed: ${String((result.error as Error).message ?? result.error)}`, {
      cause: result.error,
    });
  }
  if (await ensureRollups(db)) log('analytics rollups rebuilt for the current definition');
  return applied;
}
