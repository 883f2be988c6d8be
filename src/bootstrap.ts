/**
 * Building the dependencies on Node: open and migrate the database, load the NLP model once,
 * create the HTTP client and connector registry. Used by the server entry and the CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createDb, type DbTarget, dbTargetFor } from '../db/create-db.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createHttpClient } from '../sources/http.ts';
import { createConnectorRegistry } from '../sources/index.ts';
import { applyConfig } from './catalog/apply-config.ts';
import type { Config } from './config.ts';
import type { Deps } from './deps.ts';
import { AppError } from './errors.ts';
import type { Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createOutboundFetch } from './net/outbound.ts';
import { createAnalyzer } from './nlp/analyzer.ts';
import { detectLanguage } from './nlp/language.ts';
import { loadModel, type ModelFile } from './nlp/model.ts';
import { DEFAULT_VOCABULARY, mergeVocabulary, type Vocabulary } from './nlp/vocabulary.ts';
import { checkStoredSecrets } from './secrets.ts';

export const DEFAULT_CONFIG_FILE = 'earshot.config.json';

/** The default touchpoint and intent vocabulary, changed by this deployment's file if it has one. */
export function readVocabulary(path: string | undefined): Vocabulary | undefined {
  if (!path) return undefined;
  try {
    return mergeVocabulary(DEFAULT_VOCABULARY, JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new Error(`vocabulary file ${path}: ${(error as Error).message}`);
  }
}

/** The deployment's fine-tuned model (`earshot train`), or undefined for the shipped one. */
export function readDeploymentModel(path: string, logger: Logger): ModelFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const file = JSON.parse(readFileSync(path, 'utf8')) as ModelFile;
    loadModel(file);
    logger.info({ path, trainedAt: file.trainedAt }, "using this deployment's sentiment model");
    return file;
  } catch (error) {
    throw new Error(`cannot read the sentiment model ${path}: ${(error as Error).message}`);
  }
}

export type Runtime = { deps: Deps; close: () => Promise<void> };

export async function openRuntime(
  config: Pick<
    Config,
    'databaseUrl' | 'dataDir' | 'readSecret' | 'modelPath' | 'vocabularyPath' | 'outboundAllow'
  >,
  logger: Logger,
  target: DbTarget = dbTargetFor(config),
): Promise<Runtime> {
  const handle = await createDb(target, {
    onIdleError: (error) =>
      logger.warn({ err: error }, 'the database ended an idle connection; the next query opens a new one'),
  });
  try {
    await migrateToLatest(handle.db, (message) => logger.info(message));
    const secrets = await checkStoredSecrets({ db: handle.db, readSecret: config.readSecret });
    if (secrets.sealed > 0) logger.info({ sealed: secrets.sealed }, 'stored secrets encrypted at rest');
  } catch (error) {
    await handle.close();
    throw error;
  }
  // Feeds and webhooks are user-supplied URLs: no connection to private addresses unless allowed.
  const outbound = createOutboundFetch({ allow: config.outboundAllow });
  const deps: Deps = {
    db: handle.db,
    dbKind: handle.kind,
    analyzer: createAnalyzer({
      model: readDeploymentModel(config.modelPath, logger),
      vocabulary: readVocabulary(config.vocabularyPath),
      detectLanguage,
    }),
    http: createHttpClient({ fetch: outbound }),
    fetch: outbound,
    connectors: createConnectorRegistry(),
    logger,
    now: () => new Date(),
    readSecret: config.readSecret,
    metrics: createMetrics({ logger }),
  };
  return { deps, close: handle.close };
}

/** The config file to apply: the one named, else ./earshot.config.json if present. */
export function resolveConfigFile(configPath: string | undefined): string | undefined {
  if (configPath) return resolve(configPath);
  return existsSync(DEFAULT_CONFIG_FILE) ? resolve(DEFAULT_CONFIG_FILE) : undefined;
}

export async function applyConfigFile(deps: Deps, path: string): Promise<void> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  try {
    const applied = await applyConfig({ deps, input: parsed });
    deps.logger.info({ path, ...applied }, 'config file applied');
  } catch (error) {
    if (error instanceof AppError) throw new Error(`config file ${path}: ${error.message}`);
    throw error;
  }
}
