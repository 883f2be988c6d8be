/**
 * The pg pool every runtime opens PostgreSQL with: int8 and numeric come back as JS numbers and,
 * where the connection allows startup options, the session time zone is UTC. Kept apart from
 * create-db.ts (which also opens PGlite) so that the Workers bundle carries no PGlite.
 */
import pg from 'pg';

export const INT8_OID = 20;
export const NUMERIC_OID = 1700;

export function toNumber(value: string): number {
  return Number(value);
}

export type PostgresPoolOptions = {
  url: string;
  searchPath?: string;
  maxConnections?: number;
  /**
   * Whether to send `-c TimeZone=UTC` (and the search path) as startup options; default true.
   * A transaction-mode pooler such as Hyperdrive gets none: set the database's own default instead
   * (`alter database … set timezone to 'UTC'`).
   */
  startupOptions?: boolean;
  /** Told when an idle connection breaks (the pool replaces it; nothing is lost). */
  onIdleError?: (error: Error) => void;
};

export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const startup: string[] = [];
  if (options.startupOptions !== false) {
    startup.push('-c TimeZone=UTC');
    if (options.searchPath) startup.push(`-c search_path=${options.searchPath}`);
  } else if (options.searchPath) {
    throw new Error('a search path is set through startup options, and these are turned off');
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    ...(startup.length > 0 ? { options: startup.join(' ') } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID || oid === NUMERIC_OID
          ? toNumber
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server ends (a restart, a failover, an administrator, a dropped database)
  // is discarded by the pool, and the next query opens a new one. Without a listener, node-postgres
  // raises that error as an uncaught exception, which would end the process.
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}
