import { type RawBuilder, sql } from 'kysely';
import type { Json } from '../src/types.ts';

/**
 * A jsonb parameter. Sent as text and cast in SQL, because pg serialises a JS array as a
 * PostgreSQL array, not as JSON; this way both drivers send the same thing.
 */
export function jsonb<T extends Json>(value: T): RawBuilder<string> {
  return sql<string>`${storableJson(value)}::jsonb`;
}

/** Lone surrogates (which PostgreSQL's JSON parser refuses) as U+FFFD, and NULs (which text refuses) dropped. */
export function storableText(value: string): string {
  return value
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replaceAll('\u0000', '');
}

/**
 * JSON text PostgreSQL will take. JSON.stringify writes a lone surrogate as `\udXXX` and a NUL as
 * `\u0000`, both of which PostgreSQL refuses (a hostile feed would then fail its poll forever); the
 * rare value with either is written again with its strings made storable.
 */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!json.includes('\\ud') && !json.includes('\\u0000')) return json;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? storableText(v) : v));
}

/** PostgreSQL types of the columns of a record set, by column name. */
export type RecordColumns = Readonly<Record<string, string>>;

/**
 * `insert into table (columns) select columns from jsonb_to_recordset($1) as r(column type, …)`,
 * without its conflict clause: the rows go as ONE jsonb parameter. That costs one JSON.stringify,
 * where `values (…), (…)` costs a parameter per cell for the query builder and the driver to prepare
 * (4,000 for 200 mentions). Keys of `rows` not in `columns` are ignored; missing ones are null.
 */
export function insertRecords(
  table: string,
  rows: readonly object[],
  columns: RecordColumns,
): RawBuilder<unknown> {
  const names = Object.keys(columns);
  const definitions = sql.join(
    Object.entries(columns).map(([name, type]) => sql`${sql.ref(name)} ${sql.raw(type)}`),
  );
  return sql`insert into ${sql.table(table)} (${sql.join(names.map((n) => sql.ref(n)))})
    select ${sql.join(names.map((n) => sql.ref(`r.${n}`)))}
    from jsonb_to_recordset(${storableJson(rows)}::jsonb) as r(${definitions})`;
}
