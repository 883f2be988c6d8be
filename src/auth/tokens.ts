/**
 * API tokens and dashboard sessions. A token is `es_` and 256 random bits (base64url); only its
 * SHA-256 is stored, so a database leak gives no usable token. A token is shown once, when it is
 * made. Scopes are ordered: read < write < admin. A session is opened by signing in to the
 * dashboard with a token; it holds that token's scope and ends with it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { Database, Scope } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';

export const SCOPES = ['read', 'write', 'admin'] as const satisfies readonly Scope[];
export type { Scope };

const RANK: Record<Scope, number> = { read: 0, write: 1, admin: 2 };

/** Whether a token of scope `has` may do what needs `needs`. */
export const allows = (has: Scope, needs: Scope): boolean => RANK[has] >= RANK[needs];

/** What a token looks like (checked before any lookup). */
export const TOKEN_PATTERN = /^es_[A-Za-z0-9_-]{43}$/;
/** How many characters of a token lists show (`es_` and 8 more): enough to tell them apart. */
const PREFIX_LENGTH = 11;

/** A new secret: `es_` and 32 random bytes in base64url. */
export function newSecret(): string {
  return `es_${randomBytes(32).toString('base64url')}`;
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Compares two strings in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export const TokenInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scope: z.enum(SCOPES),
  /** Requests a minute for this token; omitted or null: the deployment's default. */
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).nullable().optional(),
});
export type TokenInput = z.infer<typeof TokenInput>;

/** A token as lists show it: never the secret, nor its hash. */
export type Token = {
  id: number;
  name: string;
  scope: Scope;
  prefix: string;
  rateLimitPerMinute: number | null;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
};

type TokenRow = Awaited<ReturnType<typeof selectTokens>>[number];

const selectTokens = (db: Kysely<Database>) =>
  db
    .selectFrom('api_tokens')
    .select([
      'id',
      'name',
      'scope',
      'prefix',
      'rate_limit_per_minute',
      'created_by',
      'created_at',
      'last_used_at',
      'revoked_at',
    ])
    .execute();

function toToken(row: TokenRow): Token {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    rateLimitPerMinute: row.rate_limit_per_minute,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/** Makes a token; the answer's `secret` is the only time anyone sees it. */
export async function createToken({
  deps,
  input,
  createdBy,
}: {
  deps: Pick<Deps, 'db'>;
  input: unknown;
  createdBy: string;
}): Promise<{ token: Token; secret: string }> {
  const parsed = TokenInput.safeParse(input);
  if (!parsed.success) throw AppError.fromZod(parsed.error, 'token');
  return insertToken(deps.db, parsed.data, createdBy);
}

async function insertToken(
  db: Kysely<Database>,
  input: TokenInput,
  createdBy: string,
): Promise<{ token: Token; secret: string }> {
  const secret = newSecret();
  const row = await db
    .insertInto('api_tokens')
    .values({
      name: input.name,
      scope: input.scope,
      hash: hashSecret(secret),
      prefix: secret.slice(0, PREFIX_LENGTH),
      rate_limit_per_minute: input.rateLimitPerMinute ?? null,
      created_by: createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { token: toToken(row), secret };
}

export async function listTokens({ deps }: { deps: Pick<Deps, 'db'> }): Promise<Token[]> {
  const rows = await selectTokens(deps.db);
  return rows.sort((a, b) => a.id - b.id).map(toToken);
}

/**
 * Revokes a token (by id, or by the prefix lists show) and ends its sessions at once. The last
 * admin token that is not revoked cannot be: make another first, so nobody is locked out.
 */
export async function revokeToken({
  deps,
  input,
}: {
  deps: Pick<Deps, 'db' | 'now'>;
  input: { id: number } | { prefix: string };
}): Promise<Token> {
  return deps.db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${TOKEN_LOCK_SPACE}, 0)`.execute(tx);
    const matches = await tx
      .selectFrom('api_tokens')
      .selectAll()
      .$call((q) =>
        'id' in input
          ? q.where('id', '=', input.id)
          : q.where('prefix', 'like', `${escapeLike(input.prefix)}%`),
      )
      .execute();
    const what = 'id' in input ? String(input.id) : input.prefix;
    const [target] = matches;
    if (!target) throw AppError.notFound('token', what);
    if (matches.length > 1) {
      throw new AppError(
        'conflict',
        `${matches.length} tokens start with ${what}: give more of it, or the id`,
      );
    }
    if (target.revoked_at) return toToken(target);
    if (target.scope === 'admin') {
      const admins = await tx
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('scope', '=', 'admin')
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(admins.n) <= 1) {
        throw new AppError(
          'conflict',
          'this is the last admin token: create another admin token before revoking it',
        );
      }
    }
    const row = await tx
      .updateTable('api_tokens')
      .set({ revoked_at: deps.now() })
      .where('id', '=', target.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await tx.deleteFrom('sessions').where('token_id', '=', target.id).execute();
    return toToken(row);
  });
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/** Key space of the advisory lock serialising token changes (first token, revocations). */
const TOKEN_LOCK_SPACE = 7_302;

/**
 * A fresh install's first admin token: made once, when no token was ever made (revoked ones count),
 * under a lock so that two processes starting together make one. Undefined otherwise.
 */
export async function ensureFirstAdminToken(db: Kysely<Database>): Promise<string | undefined> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${TOKEN_LOCK_SPACE}, 0)`.execute(tx);
    const any = await tx.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst();
    if (any) return undefined;
    const made = await insertToken(tx, { name: 'first admin', scope: 'admin' }, 'first start');
    return made.secret;
  });
}

/** Who a request is: the token it came with, directly or through a session. */
export type Principal = {
  tokenId: number;
  name: string;
  scope: Scope;
  rateLimitPerMinute: number | null;
  /** The session's CSRF token when the request came with a session cookie. */
  session?: { csrf: string };
};

/** Usage times are written at most this often per token or session (not on every request). */
const TOUCH_EVERY_MS = 60_000;

/** The token a secret belongs to, if it is one and not revoked. */
export async function findToken(
  deps: Pick<Deps, 'db' | 'now'>,
  secret: string,
): Promise<Principal | undefined> {
  if (!TOKEN_PATTERN.test(secret)) return undefined;
  const row = await deps.db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'scope', 'rate_limit_per_minute', 'last_used_at'])
    .where('hash', '=', hashSecret(secret))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const now = deps.now();
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > TOUCH_EVERY_MS) {
    await deps.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { tokenId: row.id, name: row.name, scope: row.scope, rateLimitPerMinute: row.rate_limit_per_minute };
}

/** A session lasts this long without use… */
export const SESSION_IDLE_MS = 12 * 3_600_000;
/** …and at most this long after signing in. */
export const SESSION_MAX_MS = 7 * 24 * 3_600_000;

/** Opens a session for a token's principal; the answer's `secret` goes in the cookie only. */
export async function openSession(
  deps: Pick<Deps, 'db' | 'now'>,
  principal: Principal,
): Promise<{ secret: string; csrf: string }> {
  const secret = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const now = deps.now();
  await deps.db
    .insertInto('sessions')
    .values({
      hash: hashSecret(secret),
      token_id: principal.tokenId,
      csrf,
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(now.getTime() + SESSION_MAX_MS),
    })
    .execute();
  // Expired sessions of anyone are cleared now and then: signing in is rare enough to do it here.
  await deps.db
    .deleteFrom('sessions')
    .where((eb) =>
      eb.or([eb('expires_at', '<', now), eb('last_seen_at', '<', new Date(now.getTime() - SESSION_IDLE_MS))]),
    )
    .execute();
  return { secret, csrf };
}

/** The principal of a live session: not expired, not idle too long, its token not revoked. */
export async function findSession(
  deps: Pick<Deps, 'db' | 'now'>,
  secret: string,
): Promise<Principal | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(secret)) return undefined;
  const now = deps.now();
  const row = await deps.db
    .selectFrom('sessions')
    .innerJoin('api_tokens', 'api_tokens.id', 'sessions.token_id')
    .select([
      'sessions.hash',
      'sessions.csrf',
      'sessions.last_seen_at',
      'sessions.expires_at',
      'api_tokens.id',
      'api_tokens.name',
      'api_tokens.scope',
      'api_tokens.rate_limit_per_minute',
    ])
    .where('sessions.hash', '=', hashSecret(secret))
    .where('api_tokens.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.expires_at <= now || now.getTime() - row.last_seen_at.getTime() > SESSION_IDLE_MS) return undefined;
  if (now.getTime() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
    await deps.db.updateTable('sessions').set({ last_seen_at: now }).where('hash', '=', row.hash).execute();
  }
  return {
    tokenId: row.id,
    name: row.name,
    scope: row.scope,
    rateLimitPerMinute: row.rate_limit_per_minute,
    session: { csrf: row.csrf },
  };
}

export async function closeSession(deps: Pick<Deps, 'db'>, secret: string): Promise<void> {
  await deps.db.deleteFrom('sessions').where('hash', '=', hashSecret(secret)).execute();
}
