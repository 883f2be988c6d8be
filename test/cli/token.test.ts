/**
 * `earshot token` as a user runs it: a real CLI process on its own database (an embedded one in a
 * temporary data directory, or a database of its own on the TEST_DATABASE_URL server). The token is
 * printed alone on stdout and stored only as its SHA-256; lists never show it; revoking works, but
 * not of the last admin token; bad usage exits 2. The database is read only between CLI runs: an
 * embedded data directory is one process's at a time.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../db/create-db.ts';
import { createApp } from '../../src/app.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { createProcessDatabase } from '../helpers/earshot-process.ts';
import { runCli } from '../helpers/run-cli.ts';

const TOKEN_OUTPUT = /^es_[A-Za-z0-9_-]{43}\n$/;

describe('earshot token', () => {
  let dir: string;
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'earshot-token-cli-'));
    const database = await createProcessDatabase('earshot_token_cli');
    databaseUrl = database?.url;
    dropDatabase = database?.drop;
    env = { ...process.env, EARSHOT_DATA_DIR: dir, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
  });
  afterAll(async () => {
    await dropDatabase?.();
  });

  /** Runs the CLI to its end (so it holds the database no more). */
  const run = (...args: string[]) => runCli(['token', ...args], { env });

  /** Opens the CLI's database between runs, and closes it (releasing the data directory) after. */
  async function withDb<T>(use: (handle: DbHandle) => Promise<T>): Promise<T> {
    const handle = await createDb(
      databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir: join(dir, 'pglite') },
    );
    try {
      return await use(handle);
    } finally {
      await handle.close();
    }
  }

  it('refuses bad usage with the usage and exit 2, before opening any database', async () => {
    const bad = await Promise.all([
      run('create'),
      run('create', '--scope', 'root'),
      run('create', '--scope', 'read', '--rate-limit', '0'),
      run('create', '--scope', 'read', '--colour', 'blue'),
      run('frobnicate'),
      run(),
      run('revoke'),
    ]);
    for (const result of bad) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('usage: earshot token');
      expect(result.stderr).toContain('--scope read|write|admin');
    }
    expect(bad[0]!.stderr).toContain('--scope is required');
    expect(bad[1]!.stderr).toContain('"root"');
    expect(bad[4]!.stderr).toContain('unknown subcommand: frobnicate');
  });

  it('creates, lists and revokes tokens; the token is printed alone and stored only as a hash', async () => {
    const reader = await run('create', '--scope', 'read');
    expect(reader.code, reader.stderr).toBe(0);
    expect(reader.stdout).toMatch(TOKEN_OUTPUT);
    expect(reader.stderr).toMatch(/scope read/);
    expect(reader.stderr).toContain('shown once; stored only as a hash');
    expect(reader.stderr).toContain('no admin token yet');
    const readToken = reader.stdout.trim();

    const admin = await run('create', '--scope', 'admin', '--name', 'ops', '--rate-limit', '120');
    expect(admin.code, admin.stderr).toBe(0);
    expect(admin.stdout).toMatch(TOKEN_OUTPUT);
    const adminToken = admin.stdout.trim();

    const rows = await withDb((handle) =>
      handle.db.selectFrom('api_tokens').selectAll().orderBy('id').execute(),
    );
    expect(rows.map((r) => [r.name, r.scope, r.created_by, r.rate_limit_per_minute])).toEqual([
      [expect.stringMatching(/^cli read \d{4}-\d\d-\d\d$/), 'read', 'cli', null],
      ['ops', 'admin', 'cli', 120],
    ]);
    const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(rows.map((r) => r.hash)).toEqual([sha256(readToken), sha256(adminToken)]);
    expect(rows.map((r) => r.prefix)).toEqual([readToken.slice(0, 11), adminToken.slice(0, 11)]);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(readToken);
    expect(stored).not.toContain(adminToken);

    const listed = await run('list');
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+name\s+scope\s+prefix\s+created\s+last used\s+revoked$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      new RegExp(`^${rows[0]!.id}\\s+cli read .*\\bread\\s+${readToken.slice(0, 11)}\\s`),
    );
    expect(lines[2]).toMatch(/\bops\s+admin\b/);
    const asJson = await run('list', '--json');
    expect(asJson.code, asJson.stderr).toBe(0);
    const items = asJson.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(items.map((t) => [t.id, t.scope, t.prefix, t.revokedAt])).toEqual([
      [rows[0]!.id, 'read', readToken.slice(0, 11), null],
      [rows[1]!.id, 'admin', adminToken.slice(0, 11), null],
    ]);
    for (const item of items) expect(Object.keys(item)).not.toEqual(expect.arrayContaining(['hash']));
    for (const output of [listed.stdout, listed.stderr, asJson.stdout, asJson.stderr]) {
      expect(output).not.toContain(readToken);
      expect(output).not.toContain(adminToken);
      expect(output).not.toContain(rows[0]!.hash);
    }

    // The CLI's tokens are the API's: the admin one is accepted, the revoked one no more.
    const revoked = await run('revoke', String(rows[0]!.id));
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain('revoked');
    const lastAdmin = await run('revoke', adminToken.slice(0, 11));
    expect(lastAdmin.code).toBe(1);
    expect(lastAdmin.stderr).toMatch(/last admin token/);
    const unknown = await run('revoke', '999999');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not found/);
    // A token at hand (a leaked one, say) is revoked by itself too.
    const writer = await run('create', '--scope', 'write', '--name', 'leaky');
    expect(writer.code, writer.stderr).toBe(0);
    expect(writer.stderr).not.toContain('no admin token yet');
    const byValue = await run('revoke', writer.stdout.trim());
    expect(byValue.code, byValue.stderr).toBe(0);
    expect(byValue.stderr).toMatch(/"leaky" .* revoked/);
    expect(byValue.stderr).not.toContain(writer.stdout.trim());

    await withDb(async (handle) => {
      const after = await handle.db
        .selectFrom('api_tokens')
        .select(['id', 'revoked_at'])
        .orderBy('id')
        .execute();
      expect(after.map((r) => r.revoked_at !== null)).toEqual([true, false, true]);
      const app = createApp(createTestDeps(handle.db));
      const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
      expect((await app.request('/api/brands', as(adminToken))).status).toBe(200);
      expect((await app.request('/api/brands', as(readToken))).status).toBe(401);
    });

    const listedAfter = await run('list');
    expect(listedAfter.stdout.split('\n')[1]).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\dZ$/);
  }, 120_000);
});
