/**
 * Tokens of test deployments. Every test database holds TEST_ADMIN_TOKEN (an admin token), which
 * `call` and the page helpers send unless told otherwise; tests of access make their own tokens.
 */
import type { Kysely } from 'kysely';
import type { Database, Scope } from '../../db/schema.ts';
import { hashSecret } from '../../src/auth/tokens.ts';

const fixed = (ch: string) => `es_${ch.repeat(43)}`;

/** The admin token of every test database. */
export const TEST_ADMIN_TOKEN = fixed('A');

export const BEARER = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } as const;

/** Stores a token with a known secret (tests only: real tokens are random). */
export async function insertTestToken(
  db: Kysely<Database>,
  secret: string,
  scope: Scope,
  name = `test ${scope}`,
): Promise<number> {
  const row = await db
    .insertInto('api_tokens')
    .values({ name, scope, hash: hashSecret(secret), prefix: secret.slice(0, 11), created_by: 'test' })
    .onConflict((oc) => oc.column('hash').doUpdateSet({ revoked_at: null, scope }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
