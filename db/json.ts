import { type RawBuilder, sql } from 'kysely';
import type { Json } from '../src/types.ts';

/**
 * A jsonb parameter. Sent as text and cast in SQL, because pg serialises a JS array as a
 * PostgreSQL array, not as JSON; this way both drivers send the same thing.
 */
export function jsonb<T extends Json>(value: T): RawBuilder<string> {
  return sql<string>`${JSON.stringify(value)}::jsonb`;
}
