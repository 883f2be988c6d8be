/**
 * The Node entry: read config, build deps, then by EARSHOT_ROLE serve the API (`api`), run the
 * jobs (`worker`, which serves only /health and /metrics), or both in one process (the default).
 * SIGTERM/SIGINT stop the scheduler (no new claims; running jobs get EARSHOT_SHUTDOWN_SECONDS, then
 * give back what they hold), the server and the database, and exit 0.
 * On a fresh install a process serving the API makes the first admin token and prints it once on
 * stdout (never the log).
 */
import { serve } from '@hono/node-server';
import { JOBS } from '../jobs/index.ts';
import { deliverDueAlerts } from './alerts/deliver.ts';
import { createKick } from './alerts/kick.ts';
import { createApp, createWorkerApp } from './app.ts';
import { ensureFirstAdminToken } from './auth/tokens.ts';
import { applyConfigFile, openRuntime, resolveConfigFile } from './bootstrap.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import type { RateLimitOptions } from './rate-limit.ts';
import { startScheduler } from './scheduler.ts';

const startedAt = performance.now();
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`earshot: ${(error as Error).message}\n`);
  process.exit(1);
}
const logger = createLogger(config.logLevel);

/** Whether `work` settles within `ms` (it goes on either way). */
function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  return Promise.race([work.then(() => true as const), timeout]).finally(() => clearTimeout(timer));
}

/** What a fresh install prints once: its first admin token and how to use it. */
function firstTokenNotice(secret: string, url: string): string {
  return [
    '',
    'This is a fresh install: here is its first admin token. It is shown once, now, and stored only',
    'as a hash; keep it somewhere safe:',
    '',
    secret,
    '',
    `Sign in to the dashboard with it at ${url}/signin, or send it to the API as`,
    '"Authorization: Bearer <token>". Make more tokens (read, write or admin) with',
    '`npx earshot token create --scope read|write|admin`.',
    '',
    '',
  ].join('\n');
}

/** The per-address and per-token budgets the config sets (0: none), or none at all. */
function rateLimitOptions(): RateLimitOptions | undefined {
  if (config.rateLimit === 0 && config.tokenRateLimit === 0) return undefined;
  return {
    ...(config.rateLimit > 0 ? { perMinute: config.rateLimit } : {}),
    ...(config.tokenRateLimit > 0 ? { perToken: config.tokenRateLimit } : {}),
    trustProxy: config.trustProxy,
  };
}

async function main() {
  const runtime = await openRuntime(config, logger);
  const { deps } = runtime;
  const servesApi = config.role !== 'worker';
  let firstToken: string | undefined;
  if (servesApi) {
    const configFile = resolveConfigFile(config.configPath);
    if (configFile) await applyConfigFile(deps, configFile);
    // Made under a lock: of processes starting together on one database, one makes it and prints it.
    firstToken = await ensureFirstAdminToken(deps.db);
  }

  const rateLimit = rateLimitOptions();
  const app = servesApi
    ? createApp(deps, {
        corsOrigins: config.corsOrigins,
        trustProxy: config.trustProxy,
        ...(rateLimit ? { rateLimit } : {}),
      })
    : createWorkerApp(deps);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    const url = `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`;
    logger.info(
      {
        url,
        role: config.role,
        database: deps.dbKind,
        startupMs: Math.round(performance.now() - startedAt),
      },
      'earshot is up',
    );
    if (!servesApi) {
      process.stdout.write(
        `earshot worker listening on ${url} (database: ${deps.dbKind}): runs the jobs; serves only ${url}/health and ${url}/metrics\n`,
      );
      return;
    }
    if (firstToken) process.stdout.write(firstTokenNotice(firstToken, url));
    process.stdout.write(
      `earshot listening on ${url} (database: ${deps.dbKind})\n  dashboard: ${url}/\n  API reference: ${url}/api/docs\n`,
    );
    if (config.role === 'api') {
      process.stdout.write('  jobs: none here (EARSHOT_ROLE=api); worker processes run them\n');
    }
  });
  server.on('error', (error) => {
    logger.error({ err: error }, 'server error');
    process.exit(1);
  });
  // A process that runs jobs also delivers an alert the moment its ingest commits it (the
  // deliver-alerts tick, once a second, covers alerts other processes queue). On shutdown it gives
  // back what it claimed, like the job: what it has not started at once, the rest at the deadline.
  const kickStop = new AbortController();
  const kickGiveUp = new AbortController();
  const kick = config.scheduler
    ? createKick(
        () =>
          deliverDueAlerts({
            deps,
            input: {},
            options: { stop: kickStop.signal, giveUp: kickGiveUp.signal },
          }),
        (error) => logger.error({ err: error }, 'alert delivery failed'),
      )
    : undefined;
  if (kick) deps.alertsQueued = kick;
  const scheduler = config.scheduler
    ? startScheduler(deps, JOBS, {
        pollConcurrency: config.pollConcurrency,
        pollLeaseSeconds: config.pollLeaseSeconds,
        retentionDays: config.retentionDays,
      })
    : null;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadlineMs = config.shutdownSeconds * 1000;
    const deadlineAt = performance.now() + deadlineMs;
    logger.info({ signal, deadlineMs }, 'shutting down');
    // Past the deadline jobs give their claims back; this is for whatever still hangs after that.
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, deadlineMs + 5_000);
    force.unref();
    // Polls finishing now queue alerts that other workers' ticks deliver: no new claims here.
    deps.alertsQueued = undefined;
    // A delivery run the kick started gives back what it has not started now, its sends at the deadline.
    kickStop.abort();
    const giveUp = setTimeout(() => kickGiveUp.abort(), deadlineMs);
    giveUp.unref();
    const jobs = await scheduler?.stop(deadlineMs);
    const kickIdle = kick ? await settlesWithin(kick.idle(), deadlineAt + 3_000 - performance.now()) : true;
    clearTimeout(giveUp);
    if (jobs?.finished === false || !kickIdle) {
      logger.warn('stopped at the deadline: work still under way was given back or left to its lease');
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Closing the database waits for the connections in use, and work abandoned at the deadline (a
    // poll given back, still in its transaction) may hold one: not past the force timer. Exiting
    // rolls back what it had not committed, as a crash would, harmlessly.
    if (!(await settlesWithin(runtime.close(), deadlineAt + 4_000 - performance.now()))) {
      logger.warn('stopping: the database was still in use by abandoned work; exiting without waiting');
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'earshot failed to start');
  process.stderr.write(`earshot: ${(error as Error).message}\n`);
  process.exit(1);
});
