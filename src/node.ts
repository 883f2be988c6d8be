/**
 * The Node entry: read config, build deps, serve the API and run the scheduler in one process.
 * SIGTERM/SIGINT stop the scheduler (waiting for running jobs), the server and the database.
 */
import { serve } from '@hono/node-server';
import { JOBS } from '../jobs/index.ts';
import { deliverDueAlerts } from './alerts/deliver.ts';
import { createKick } from './alerts/kick.ts';
import { createApp } from './app.ts';
import { applyConfigFile, openRuntime, resolveConfigFile } from './bootstrap.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
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

async function main() {
  const runtime = await openRuntime(config, logger);
  const { deps } = runtime;
  const configFile = resolveConfigFile(config.configPath);
  if (configFile) await applyConfigFile(deps, configFile);

  const app = createApp(deps, {
    corsOrigins: config.corsOrigins,
    ...(config.rateLimit > 0
      ? { rateLimit: { perMinute: config.rateLimit, trustProxy: config.trustProxy } }
      : {}),
  });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    const url = `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`;
    logger.info(
      { url, database: deps.dbKind, startupMs: Math.round(performance.now() - startedAt) },
      'earshot is up',
    );
    process.stdout.write(
      `earshot listening on ${url} (database: ${deps.dbKind})\n  dashboard: ${url}/\n  API reference: ${url}/api/docs\n`,
    );
  });
  server.on('error', (error) => {
    logger.error({ err: error }, 'server error');
    process.exit(1);
  });
  // A process that runs jobs also delivers an alert the moment its ingest commits it (the
  // deliver-alerts tick, once a second, covers alerts other processes queue).
  const kick = config.scheduler
    ? createKick(
        () => deliverDueAlerts({ deps, input: {} }),
        (error) => logger.error({ err: error }, 'alert delivery failed'),
      )
    : undefined;
  if (kick) deps.alertsQueued = kick;
  const scheduler = config.scheduler
    ? startScheduler(deps, JOBS, { pollConcurrency: config.pollConcurrency })
    : null;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    await scheduler?.stop();
    await kick?.idle();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await runtime.close();
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
