/**
 * The `earshot` command line: `earshot score` (JSON lines in and out) and `earshot migrate`.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createDb, dbTargetFor } from '../db/create-db.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { scoreStream } from './cli/score.ts';
import { loadConfig } from './config.ts';
import { createAnalyzer } from './nlp/analyzer.ts';

const USAGE = `usage: earshot <command>

commands:
  score     read JSON lines {"id","text","rating"?} on stdin, write sentiment and themes as JSON lines
  migrate   apply database migrations (DATABASE_URL, or the embedded database in EARSHOT_DATA_DIR)
`;

async function write(chunk: string): Promise<void> {
  if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
}

async function score(): Promise<number> {
  const analyzer = createAnalyzer();
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  const summary = await scoreStream(analyzer, lines, write);
  if (summary.errors > 0) process.stderr.write(`earshot score: ${summary.errors} line(s) rejected\n`);
  return 0;
}

async function migrate(): Promise<number> {
  const config = loadConfig();
  const handle = await createDb(dbTargetFor(config));
  try {
    const applied = await migrateToLatest(handle.db, (message) => process.stderr.write(`${message}\n`));
    process.stderr.write(`${applied.length} migration(s) applied on ${handle.kind}\n`);
    return 0;
  } finally {
    await handle.close();
  }
}

const commands: Record<string, () => Promise<number>> = { score, migrate };

const [command] = process.argv.slice(2);
const run = command ? commands[command] : undefined;
if (!run) {
  process.stderr.write(
    command && command !== '--help' && command !== 'help' ? `unknown command: ${command}\n\n${USAGE}` : USAGE,
  );
  process.exitCode = command && command !== '--help' && command !== 'help' ? 2 : 0;
} else {
  run()
    .then((code) => {
      process.exitCode = code;
    })
    .catch((error: unknown) => {
      process.stderr.write(`earshot ${command}: ${(error as Error).message}\n`);
      process.exitCode = 1;
    });
}
