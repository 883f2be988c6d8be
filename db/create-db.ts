/**
 * `createDb` opens the database: embedded PGlite (real PostgreSQL in WASM) in a data directory by
 * default, or a PostgreSQL server when a URL is given. Both are normalised to behave alike:
 * int8 and numeric come back as JS numbers, and the session time zone is UTC.
 */
import { Kysely, PostgresDialect } from 'kysely';
import { acquireLockFile } from './lock-file.ts';
import { createPostgresPool, INT8_OID, NUMERIC_OID, toNumber } from './postgres.ts';
import type { Database } from './schema.ts';

export type DbTarget =
  | { kind: 'postgres'; url: string; searchPath?: string; maxConnections?: number }
  /** `dataDir: null` is an in-memory database (tests). */
  | { kind: 'pglite'; dataDir: string | null };

export type DbHandle = {
  db: Kysely<Database>;
  kind: DbTarget['kind'];
  close: () => Promise<void>;
};

export async function createDb(
  target: DbTarget,
  options: { onIdleError?: (error: Error) => void } = {},
): Promise<DbHandle> {
  if (target.kind === 'postgres') {
    const pool = createPostgresPool({ ...target, onIdleError: options.onIdleError });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }

  const lock = target.dataDir === null ? null : acquireLockFile(target.dataDir);
  try {
    // Loaded only here: PGlite's WASM build costs a PostgreSQL-backed process some 90 MB it never uses.
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('kysely-pglite-dialect'),
    ]);
    const pglite = new PGlite({
      ...(target.dataDir === null ? {} : { dataDir: target.dataDir }),
      parsers: { [INT8_OID]: toNumber, [NUMERIC_OID]: toNumber },
    });
    await pglite.waitReady;
    await pglite.exec(`SET TIME ZONE 'UTC'`);
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    return {
      db,
      kind: 'pglite',
      close: async () => {
        try {
          await db.destroy();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/** The target a config names: PostgreSQL when a URL is set, else PGlite in the data directory. */
export function dbTargetFor(config: { databaseUrl: string | undefined; dataDir: string }): DbTarget {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl }
    : { kind: 'pglite', dataDir: `${config.dataDir.replace(/\/+$/, '')}/pglite` };
}
