/**
 * `earshot token create|list|revoke`: API tokens from the command line, for whoever can reach the
 * database (and so needs no token). `create` prints the new token alone on stdout, so that
 * `TOKEN=$(npx earshot token create --scope read)` works; everything meant for a person goes to
 * stderr. Lists never show a secret: it is stored only as a hash.
 */
import { parseArgs } from 'node:util';
import type { DbHandle } from '../../db/create-db.ts';
import {
  createToken,
  hashSecret,
  listTokens,
  revokeToken,
  SCOPES,
  TOKEN_PATTERN,
  type Token,
} from '../auth/tokens.ts';
import { AppError } from '../errors.ts';

export const TOKEN_USAGE = `usage: earshot token <subcommand>

  create --scope read|write|admin [--name NAME] [--rate-limit N]
            make an API token and print it alone on stdout (shown once: only its hash is kept);
            --rate-limit: its own requests a minute (default: EARSHOT_TOKEN_RATE_LIMIT)
  list [--json]
            the tokens (id, name, scope, prefix, created, last used, revoked), never their secrets
  revoke <id|prefix>
            revoke a token (by the id or the prefix "list" shows); its dashboard sessions end too
`;

export type TokenIo = {
  /** Opens the (migrated) database; called only once the arguments are known to be good. */
  open: () => Promise<Pick<DbHandle, 'db' | 'close'>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now?: () => Date;
};

class UsageError extends Error {}

/** Runs `earshot token <args>`; the answer is the exit code (2: bad usage, 1: refused or failed). */
export async function tokenCommand(args: readonly string[], io: TokenIo): Promise<number> {
  const [subcommand, ...rest] = args;
  let run: (db: DbHandle['db']) => Promise<number>;
  try {
    if (subcommand === 'create') run = create(rest, io);
    else if (subcommand === 'list') run = list(rest, io);
    else if (subcommand === 'revoke') run = revoke(rest, io);
    else if (subcommand === 'help' || subcommand === '--help' || subcommand === '-h') {
      io.stdout(TOKEN_USAGE);
      return 0;
    } else {
      throw new UsageError(subcommand === undefined ? '' : `unknown subcommand: ${subcommand}`);
    }
  } catch (error) {
    // parseArgs throws TypeErrors (unknown option, missing value); ours are UsageErrors.
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    io.stderr(`${error.message ? `earshot token: ${error.message}\n\n` : ''}${TOKEN_USAGE}`);
    return 2;
  }

  const handle = await io.open();
  try {
    return await run(handle.db);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    io.stderr(`earshot token ${subcommand}: ${error.message}\n`);
    return error.code === 'validation_failed' ? 2 : 1;
  } finally {
    await handle.close();
  }
}

function create(args: string[], io: TokenIo): (db: DbHandle['db']) => Promise<number> {
  const { values } = parseArgs({
    args,
    options: { scope: { type: 'string' }, name: { type: 'string' }, 'rate-limit': { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const scope = values.scope;
  if (scope === undefined) throw new UsageError(`--scope is required (${SCOPES.join(', ')})`);
  if (!(SCOPES as readonly string[]).includes(scope)) {
    throw new UsageError(`--scope must be one of ${SCOPES.join(', ')}, not "${scope}"`);
  }
  let rateLimitPerMinute: number | undefined;
  if (values['rate-limit'] !== undefined) {
    rateLimitPerMinute = Number(values['rate-limit']);
    if (!/^\d+$/.test(values['rate-limit']) || rateLimitPerMinute < 1 || rateLimitPerMinute > 1_000_000) {
      throw new UsageError('--rate-limit must be a whole number of requests a minute, 1 to 1000000');
    }
  }
  const now = io.now ?? (() => new Date());
  const name = values.name ?? `cli ${scope} ${now().toISOString().slice(0, 10)}`;
  return async (db) => {
    const { token, secret } = await createToken({
      deps: { db },
      input: { name, scope, ...(rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute }) },
      createdBy: 'cli',
    });
    io.stdout(`${secret}\n`);
    const limit = token.rateLimitPerMinute === null ? '' : `, ${token.rateLimitPerMinute} requests a minute`;
    io.stderr(
      `token ${token.id} "${token.name}" created (scope ${token.scope}${limit}): ` +
        'shown once; stored only as a hash\n',
    );
    // A first start makes an admin token only when no token exists: this one now does.
    if (token.scope !== 'admin') {
      const tokens = await listTokens({ deps: { db } });
      if (!tokens.some((t) => t.scope === 'admin' && t.revokedAt === null)) {
        io.stderr('note: there is no admin token yet; make one with: earshot token create --scope admin\n');
      }
    }
    return 0;
  };
}

/** A time as lists show it: to the minute, UTC. */
const when = (iso: string | null) => (iso === null ? '-' : `${iso.slice(0, 16).replace('T', ' ')}Z`);

function formatTable(tokens: readonly Token[]): string {
  const header = ['id', 'name', 'scope', 'prefix', 'created', 'last used', 'revoked'];
  const rows = tokens.map((t) => [
    String(t.id),
    t.name,
    t.scope,
    t.prefix,
    when(t.createdAt),
    when(t.lastUsedAt),
    when(t.revokedAt),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `${cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`;
  return [header, ...rows].map(line).join('');
}

function list(args: string[], io: TokenIo): (db: DbHandle['db']) => Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  return async (db) => {
    const tokens = await listTokens({ deps: { db } });
    if (values.json) {
      io.stdout(tokens.map((t) => `${JSON.stringify(t)}\n`).join(''));
      return 0;
    }
    if (tokens.length === 0) {
      io.stderr('no tokens yet: earshot token create --scope admin (or start earshot: it makes the first)\n');
      return 0;
    }
    io.stdout(formatTable(tokens));
    return 0;
  };
}

function revoke(args: string[], io: TokenIo): (db: DbHandle['db']) => Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true });
  const [which] = positionals;
  if (which === undefined || which.trim() === '' || positionals.length > 1) {
    throw new UsageError('revoke needs one token id or prefix');
  }
  const now = io.now ?? (() => new Date());
  return async (db) => {
    let input: { id: number } | { prefix: string };
    if (/^\d+$/.test(which)) {
      input = { id: Number(which) };
    } else if (TOKEN_PATTERN.test(which)) {
      // The whole token (a leaked one, say): found by its hash, as requests find it.
      const row = await db
        .selectFrom('api_tokens')
        .select('id')
        .where('hash', '=', hashSecret(which))
        .executeTakeFirst();
      if (!row) throw new AppError('not_found', 'no token of this earshot is that one');
      input = { id: row.id };
    } else {
      input = { prefix: which.replace(/…$/, '') };
    }
    const token = await revokeToken({ deps: { db, now }, input });
    io.stderr(
      `token ${token.id} "${token.name}" (${token.scope}, ${token.prefix}) revoked` +
        `${token.revokedAt ? ` at ${when(token.revokedAt)}` : ''}; its sessions are closed\n`,
    );
    return 0;
  };
}
