/**
 * The Cloudflare Workers entry: `fetch` answers with the same `createApp` as Node, `scheduled` runs
 * the same jobs, picked by the cron trigger that fired (wrangler.toml; `workersCron` in jobs/).
 * PostgreSQL only, through the Hyperdrive binding `HYPERDRIVE`: PGlite needs a file system and one
 * long-lived process. Settings and secrets are the worker's variables and secrets (`env`), parsed by
 * the same `parseConfig` as on Node. Migrations and the first admin token are made from a machine
 * that reaches the database (`npx earshot migrate`, `npx earshot token create`: see README).
 *
 * What lives how long:
 * - the isolate (built at its first invocation, kept while Cloudflare keeps it): the settings, the
 *   NLP analyzer (pure, and slow to build), the app, the HTTP client and the job-history recorder;
 * - one invocation (a request, a cron run): the pg pool over Hyperdrive and its Kysely, ended once
 *   the response body is sent or the jobs are done. The isolate's `deps.db` is the current
 *   invocation's (AsyncLocalStorage), so no connection outlives the invocation that opened it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ExecutionContext } from 'hono';
import { Kysely, PostgresDialect } from 'kysely';
import { createPostgresPool } from '../db/postgres.ts';
import type { Database } from '../db/schema.ts';
import { type Job, type JobSettings, jobsForCron } from '../jobs/index.ts';
import { createHttpClient } from '../sources/http.ts';
import { createConnectorRegistry } from '../sources/index.ts';
import { type App, createApp } from './app.ts';
import { parseConfig } from './config.ts';
import { createConsoleLogger } from './console-logger.ts';
import type { Deps } from './deps.ts';
import { AppError, errorBody } from './errors.ts';
import { createRunRecorder, type RunRecorder } from './jobs/history.ts';
import type { Logger } from './logger.ts';
import type { Analyzer } from './nlp/analyzer.ts';

/** The slice of the Workers runtime's controller used here (no @cloudflare/workers-types dependency). */
type ScheduledController = { cron: string; scheduledTime: number };

export type WorkerEnv = {
  /** The Hyperdrive binding ([[hyperdrive]] in wrangler.toml). */
  HYPERDRIVE?: { connectionString: string };
  /** `[vars]` and secrets: LOG_LEVEL, EARSHOT_* settings, EARSHOT_SECRET_KEY, credentials sources name. */
  [name: string]: unknown;
};

/**
 * Database connections one invocation opens at most. Workers allow six open connections per
 * invocation, outbound fetches included: the rest are for polls and webhooks.
 */
const MAX_CONNECTIONS = 3;

type Isolate = {
  logger: Logger;
  deps: Deps;
  app: App;
  recorder: RunRecorder;
  settings: JobSettings;
};

const invocation = new AsyncLocalStorage<Kysely<Database>>();
let isolate: Promise<Isolate> | undefined;

/** The variables and secrets that are strings (bindings such as HYPERDRIVE are not settings). */
function stringsOf(env: WorkerEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/**
 * The NLP analyzer. Its modules (the wink-nlp model, the language detector's data) take about a
 * second to load: imported here rather than at the top, they load at the isolate's first invocation
 * instead of its startup, which Cloudflare limits to one second.
 */
async function loadAnalyzer(): Promise<Analyzer> {
  const [{ createAnalyzer }, { detectLanguage }] = await Promise.all([
    import('./nlp/analyzer.ts'),
    import('./nlp/language.ts'),
  ]);
  return createAnalyzer({ detectLanguage });
}

/** The isolate's settings, app and deps, built once; a failed build is tried again next time. */
function isolateOf(env: WorkerEnv): Promise<Isolate> {
  isolate ??= buildIsolate(env).catch((error: unknown) => {
    isolate = undefined;
    throw error;
  });
  return isolate;
}

async function buildIsolate(env: WorkerEnv): Promise<Isolate> {
  const config = parseConfig(stringsOf(env));
  const logger = createConsoleLogger({ level: config.logLevel });
  const deps: Deps = {
    get db(): Kysely<Database> {
      const db = invocation.getStore();
      if (!db) throw new Error('the database was used outside a request or a cron run');
      return db;
    },
    dbKind: 'postgres',
    analyzer: await loadAnalyzer(),
    // Subrequests leave through Cloudflare's network, which does not reach private networks.
    http: createHttpClient({ fetch: globalThis.fetch.bind(globalThis) }),
    connectors: createConnectorRegistry(),
    logger,
    now: () => new Date(),
    readSecret: config.readSecret,
  };
  // Budgets are kept in the isolate's memory: per isolate, not per deployment (see README).
  const rateLimit =
    config.rateLimit === 0 && config.tokenRateLimit === 0
      ? undefined
      : {
          ...(config.rateLimit > 0 ? { perMinute: config.rateLimit } : {}),
          ...(config.tokenRateLimit > 0 ? { perToken: config.tokenRateLimit } : {}),
          trustProxy: config.trustProxy,
        };
  const app = createApp(deps, {
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    ...(rateLimit ? { rateLimit } : {}),
  });
  return {
    logger,
    deps,
    app,
    // One "process" of the job history per isolate.
    recorder: createRunRecorder(deps, { worker: `workers:${crypto.randomUUID().slice(0, 8)}` }),
    settings: {
      pollConcurrency: config.pollConcurrency,
      pollLeaseSeconds: config.pollLeaseSeconds,
      retentionDays: config.retentionDays,
    },
  };
}

/** This invocation's database: a pool of at most MAX_CONNECTIONS over Hyperdrive. */
function openDatabase(env: WorkerEnv): Kysely<Database> {
  const url = env.HYPERDRIVE?.connectionString;
  if (!url) {
    throw new Error(
      'no HYPERDRIVE binding: earshot on Workers reaches PostgreSQL through Hyperdrive (see wrangler.toml)',
    );
  }
  // Hyperdrive pools by transaction: startup options would not hold (UTC is the database's default).
  const pool = createPostgresPool({ url, maxConnections: MAX_CONNECTIONS, startupOptions: false });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Closes an invocation's database; a failure to close is logged, never thrown. */
function closeDatabase(db: Kysely<Database>, logger: Logger): Promise<void> {
  return db.destroy().catch((error: unknown) => logger.warn({ err: error }, 'could not close the database'));
}

/**
 * The response as it is, with the database closed once its body has been sent (a CSV export
 * streams rows after the handler returned) or the client went away.
 */
function closingAfterBody(
  response: Response,
  close: () => Promise<void>,
  ctx: ExecutionContext,
  logger: Logger,
): Response {
  if (!response.body) {
    ctx.waitUntil(close());
    return response;
  }
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  ctx.waitUntil(
    response.body
      .pipeTo(writable)
      .catch((error: unknown) => logger.warn({ err: error }, 'the response body was not sent whole'))
      .finally(close),
  );
  return new Response(readable, response);
}

/** A 500 in the one envelope for a failure before the app could answer (its detail goes to the log). */
function startupFailure(error: unknown): Response {
  const requestId = crypto.randomUUID();
  createConsoleLogger({ level: 'error' }).error({ requestId, err: error }, 'earshot could not start');
  return Response.json(
    errorBody(new AppError('internal', 'earshot could not start: see the worker log'), requestId),
    { status: 500 },
  );
}

async function runJob(runtime: Isolate, job: Job): Promise<void> {
  const { deps, recorder, settings, logger } = runtime;
  const startedAt = deps.now();
  try {
    const counts = await job.run(deps, settings);
    await recorder.finished(job.name, startedAt, { counts });
  } catch (error) {
    logger.error({ job: job.name, err: error }, 'job failed');
    await recorder.finished(job.name, startedAt, { error });
  }
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let runtime: Isolate;
    let db: Kysely<Database>;
    try {
      runtime = await isolateOf(env);
      db = openDatabase(env);
    } catch (error) {
      return startupFailure(error);
    }
    const close = () => closeDatabase(db, runtime.logger);
    let response: Response;
    try {
      response = await invocation.run(db, () => runtime.app.fetch(request, env, ctx));
    } catch (error) {
      ctx.waitUntil(close());
      throw error;
    }
    return closingAfterBody(response, close, ctx, runtime.logger);
  },

  /**
   * Runs the jobs of the cron trigger that fired, one after the other (deliver-alerts then sends what
   * the poll before it queued), each recorded in the job history whatever it did.
   */
  async scheduled(controller: ScheduledController, env: WorkerEnv, _ctx: ExecutionContext): Promise<void> {
    const runtime = await isolateOf(env);
    const jobs = jobsForCron(controller.cron);
    if (jobs.length === 0) {
      throw new Error(
        `no job runs on the cron trigger "${controller.cron}": the triggers in wrangler.toml come from the jobs' schedules (workersCron in jobs/index.ts)`,
      );
    }
    const db = openDatabase(env);
    try {
      await invocation.run(db, async () => {
        for (const job of jobs) await runJob(runtime, job);
      });
    } finally {
      await closeDatabase(db, runtime.logger);
    }
  },
};
