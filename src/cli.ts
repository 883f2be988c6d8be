/**
 * The `earshot` command line: `earshot score` (JSON lines in and out), `import`, `train`, `migrate`,
 * `rollups rebuild` and `token create|list|revoke`.
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createDb, dbTargetFor } from '../db/create-db.ts';
import { DataDirLockedError } from '../db/lock-file.ts';
import { migrateToLatest } from '../db/migrate.ts';
import type { ImportField } from './cli/import.ts';
import { tokenCommand } from './cli/token.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

// A command loads what it needs when it runs (the NLP model, connectors, language data take seconds
// to load): `earshot token` and `migrate` start quickly, for scripts that call them.
const bootstrap = () => import('./bootstrap.ts');

const usage = (importFields: readonly string[]) => `usage: earshot <command>

commands:
  score     read JSON lines {"id","text","rating"?} on stdin, write sentiment and themes as JSON lines
  import    import reviews from a CSV file into a push source:
              earshot import reviews.csv --source "App reviews" [--map text=Body,rating=Stars,...]
            (fields: ${importFields.join(', ')}; columns are found by their usual names otherwise)
  train     fold the label corrections made in this deployment (PATCH /api/mentions/:id) into its
            sentiment model (written to EARSHOT_MODEL, default <data dir>/sentiment-model.json;
            restart the service to use it)
  demo      load a realistic sample (90 days of mentions of the configured brands on five demo
            sources, reviews, comparisons, a complaint spike and open incidents) to explore the
            dashboard without network access; running it again adds nothing
  migrate   apply database migrations (DATABASE_URL, or the embedded database in EARSHOT_DATA_DIR)
  rollups rebuild
            recompute the analytics rollups from the stored mentions (after changing the database
            by hand); ingest keeps them current otherwise
  token     API tokens (every route but /health needs one):
              earshot token create --scope read|write|admin [--name NAME] [--rate-limit N]
                (prints the token alone on stdout: TOKEN=$(earshot token create --scope read))
              earshot token list [--json]
              earshot token revoke <id|prefix>
`;

async function write(chunk: string): Promise<void> {
  if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
}

async function score(): Promise<number> {
  const [{ readDeploymentModel, readVocabulary }, { createAnalyzer }, { detectLanguage }, { scoreStream }] =
    await Promise.all([
      bootstrap(),
      import('./nlp/analyzer.ts'),
      import('./nlp/language.ts'),
      import('./cli/score.ts'),
    ]);
  const config = loadConfig();
  const analyzer = createAnalyzer({
    detectLanguage,
    model: readDeploymentModel(config.modelPath, createLogger('warn', 'stderr')),
    vocabulary: readVocabulary(config.vocabularyPath),
  });
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

async function rollups(): Promise<number> {
  if (process.argv[3] !== 'rebuild') {
    process.stderr.write('usage: earshot rollups rebuild\n');
    return 2;
  }
  const { rebuildRollups } = await import('../db/queries/rollups.ts');
  const config = loadConfig();
  const handle = await createDb(dbTargetFor(config));
  try {
    await migrateToLatest(handle.db);
    const started = Date.now();
    await handle.db.transaction().execute((tx) => rebuildRollups(tx));
    process.stderr.write(`rollups rebuilt on ${handle.kind} in ${Date.now() - started} ms\n`);
    return 0;
  } finally {
    await handle.close();
  }
}

async function token(): Promise<number> {
  return tokenCommand(process.argv.slice(3), {
    open: async () => {
      const config = loadConfig();
      let handle: Awaited<ReturnType<typeof createDb>>;
      try {
        handle = await createDb(dbTargetFor(config));
      } catch (error) {
        if (!(error instanceof DataDirLockedError)) throw error;
        throw new Error(
          `${error.message}\nWhile earshot runs on its embedded database, manage tokens through the API ` +
            'with an admin token instead (POST /api/tokens, GET /api/tokens, DELETE /api/tokens/<id>).',
        );
      }
      try {
        await migrateToLatest(handle.db);
      } catch (error) {
        await handle.close();
        throw error;
      }
      return handle;
    },
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}

function parseMap(
  value: string | undefined,
  fields: readonly ImportField[],
): Partial<Record<ImportField, string>> {
  const map: Partial<Record<ImportField, string>> = {};
  for (const pair of value ? value.split(',') : []) {
    const [field, ...rest] = pair.split('=');
    const column = rest.join('=').trim();
    if (!field || !column || !(fields as readonly string[]).includes(field.trim())) {
      throw new Error(`--map: "${pair}" is not field=column (fields: ${fields.join(', ')})`);
    }
    map[field.trim() as ImportField] = column;
  }
  return map;
}

async function importCommand(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(3),
    options: { source: { type: 'string' }, map: { type: 'string' } },
    allowPositionals: true,
  });
  const [file] = positionals;
  if (!file || !values.source || positionals.length > 1) {
    process.stderr.write(`usage: earshot import <file.csv> --source <name|id> [--map field=column,...]\n`);
    return 2;
  }
  const [{ openRuntime }, { formatSummary, IMPORT_FIELDS, importCsv, progressBar }] = await Promise.all([
    bootstrap(),
    import('./cli/import.ts'),
  ]);
  const config = loadConfig();
  const runtime = await openRuntime(
    config,
    createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'stderr'),
  );
  try {
    const tty = process.stderr.isTTY;
    const summary = await importCsv(runtime.deps, {
      file,
      source: values.source,
      map: parseMap(values.map, IMPORT_FIELDS),
      ...(tty ? { progress: progressBar((s) => process.stderr.write(s)) } : {}),
    });
    if (tty) process.stderr.write('\n');
    process.stdout.write(formatSummary(summary));
    return 0;
  } finally {
    await runtime.close();
  }
}

async function train(): Promise<number> {
  const [
    { openRuntime, readDeploymentModel },
    { brandTermsOfMentions, listFeedback },
    { SHIPPED_MODEL },
    { fineTune },
  ] = await Promise.all([
    bootstrap(),
    import('../db/queries/mentions.ts'),
    import('./nlp/analyzer.ts'),
    import('./nlp/training/fine-tune.ts'),
  ]);
  const config = loadConfig();
  const logger = createLogger('warn', 'stderr');
  const runtime = await openRuntime(config, logger);
  try {
    const corrections = await listFeedback(runtime.deps.db, { latestOnly: true, limit: 1_000_000 });
    if (corrections.length === 0) {
      process.stderr.write(
        'no label corrections yet: nothing to train on (PATCH /api/mentions/:id to correct one)\n',
      );
      return 0;
    }
    const current = readDeploymentModel(config.modelPath, logger) ?? SHIPPED_MODEL;
    // Read as ingest read them: the brands' own names are no sentiment about them.
    const brandTerms = await brandTermsOfMentions(
      runtime.deps.db,
      corrections.map((c) => c.mention_id),
    );
    const { file, report } = fineTune(
      current,
      corrections.map((c) => ({
        text: c.title ? `${c.title}. ${c.text}` : c.text,
        label: c.label,
        brandTerms: brandTerms.get(c.mention_id) ?? [],
      })),
    );
    mkdirSync(dirname(config.modelPath), { recursive: true });
    writeFileSync(config.modelPath, `${JSON.stringify(file)}\n`);
    const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
    process.stdout.write(
      [
        `corrections: ${report.corrections} (${report.usable} usable; "mixed" has no direction to learn)`,
        `held back to measure: ${report.heldBack}`,
        `agreement with held-back corrections: before ${pct(report.before)}, after ${pct(report.after)}`,
        `model written to ${config.modelPath} (restart earshot to use it)`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await runtime.close();
  }
}

async function demo(): Promise<number> {
  const [{ applyConfigFile, openRuntime, resolveConfigFile }, { loadDemo }] = await Promise.all([
    bootstrap(),
    import('./cli/demo.ts'),
  ]);
  const config = loadConfig();
  const runtime = await openRuntime(config, createLogger('warn', 'stderr'));
  try {
    const configFile = resolveConfigFile(config.configPath);
    if (configFile) await applyConfigFile(runtime.deps, configFile);
    const tty = process.stderr.isTTY;
    const summary = await loadDemo(runtime.deps, {
      ...(tty ? { progress: (line: string) => process.stderr.write(`\r\x1b[K${line}`) } : {}),
    });
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(
      `demo loaded: ${summary.inserted} new mentions of ${summary.brands.join(', ')} ` +
        `(${summary.generated} in the sample) on ${summary.sources} demo sources; ` +
        `${summary.incidents} open incident(s). Start earshot (npm start) and open the address it prints.\n`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
}

const commands: Record<string, () => Promise<number>> = {
  demo,
  score,
  import: importCommand,
  train,
  migrate,
  rollups,
  token,
};

const [command] = process.argv.slice(2);
const run = command ? commands[command] : undefined;
if (!run) {
  const { IMPORT_FIELDS } = await import('./cli/import.ts');
  const help = usage(IMPORT_FIELDS);
  process.stderr.write(
    command && command !== '--help' && command !== 'help' ? `unknown command: ${command}\n\n${help}` : help,
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
