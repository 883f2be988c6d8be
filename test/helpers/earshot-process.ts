/**
 * earshot as a user runs it, for end-to-end tests: a real `src/node.ts` process, and a database of
 * its own on the TEST_DATABASE_URL server when there is one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { TEST_DATABASE_URL } from './db.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * The heap caps `npm start` runs earshot with (package.json's start script, `--max-…` flags): the
 * processes these tests start, and the ingest benchmark's workers, run with the same.
 */
export const START_HEAP_FLAGS: readonly string[] = (
  JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .filter((arg) => arg.startsWith('--max-'));

export type Started = {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** The first admin token, printed on stdout by the first start on a fresh database only. */
  token?: string;
};

/** A line of stdout that is a token and nothing else (how a first start prints its admin token). */
const TOKEN_LINE = /^(es_[A-Za-z0-9_-]{43})$/m;

/** `Authorization: Bearer <token>` as fetch headers. */
export const bearer = (token: string | undefined): Record<string, string> =>
  token ? { authorization: `Bearer ${token}` } : {};

/** The exit code of a child process, once it has exited (null: killed by a signal). */
export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) resolvePromise(child.exitCode);
    else child.on('exit', (code) => resolvePromise(code));
  });
}

/**
 * Starts `src/node.ts` on a free port; resolves once it listens (with the first admin token when it
 * printed one), rejects if it exits first. A worker (EARSHOT_ROLE=worker) listens too, for /health.
 */
export function startEarshot(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [...START_HEAP_FLAGS, '--import', 'tsx', 'src/node.ts'], {
    cwd: ROOT,
    // The fake upstreams and receivers listen on loopback, which earshot refuses by default.
    env: {
      ...process.env,
      PORT: '0',
      LOG_LEVEL: 'warn',
      EARSHOT_OUTBOUND_ALLOW: '127.0.0.1',
      EARSHOT_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /earshot (?:worker )?listening on (http:\/\/\S+)/.exec(stdout);
      if (!match?.[1]) return;
      // The token is printed before the line that says it listens.
      const token = TOKEN_LINE.exec(stdout.slice(0, match.index))?.[1];
      resolvePromise({ child, url: match[1], output: () => output, ...(token ? { token } : {}) });
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onData(chunk);
    });
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`earshot exited with ${code} before listening:\n${output}`)));
  });
}

/**
 * A fresh database on the TEST_DATABASE_URL server for one test file (a process runs its own
 * migrations), with its drop; undefined without a server (the process uses PGlite).
 */
export async function createProcessDatabase(
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  if (!TEST_DATABASE_URL) return undefined;
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
