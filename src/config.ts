/**
 * Configuration: the environment is parsed once, here, with zod; everything else gets a `Config`.
 * No other module reads `process.env`.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** A comma-separated list setting: trimmed entries, empty ones dropped, each checked by `item`. */
const commaList = (item: z.ZodType<string, string>) =>
  z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .pipe(z.array(item));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * What a process does: `api` serves HTTP and runs no jobs; `worker` runs the jobs and serves only
 * /health; `both` (the default, and the only choice on PGlite) does everything.
 */
export const ROLES = ['api', 'worker', 'both'] as const;
export type Role = (typeof ROLES)[number];

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  EARSHOT_DATA_DIR: z.string().trim().min(1).default('./data'),
  EARSHOT_CONFIG: optionalString,
  /** This deployment's sentiment model (written by `earshot train`); default <data dir>/sentiment-model.json. */
  EARSHOT_MODEL: optionalString,
  /** A JSON file that changes the touchpoint and intent vocabulary (see README). */
  EARSHOT_VOCABULARY: optionalString,
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  EARSHOT_SCHEDULER: z.enum(['on', 'off']).default('on'),
  EARSHOT_ROLE: z.enum(ROLES).default('both'),
  /** Most sources polled at once by one process. */
  EARSHOT_POLL_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** A claimed source not polled within this many seconds is due again (its worker is presumed dead). */
  EARSHOT_POLL_LEASE_SECONDS: z.coerce.number().int().min(10).max(86_400).default(600),
  /** On SIGTERM, running polls and deliveries get this long to finish; then their claims are given back. */
  EARSHOT_SHUTDOWN_SECONDS: z.coerce.number().int().min(1).max(3600).default(25),
  /** Mentions older than this many days are deleted (0: kept forever); alert baselines read 28 days. */
  EARSHOT_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .max(36_500)
    .refine((days) => days === 0 || days >= 30, '0 (keep forever) or at least 30 days')
    .default(400),
  /** Requests per minute per client address (0: no limit). */
  EARSHOT_RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(600),
  /** Requests per minute per API token, unless the token has its own limit (0: no limit). */
  EARSHOT_TOKEN_RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(600),
  /** Behind a reverse proxy: the client address is the first of X-Forwarded-For. */
  EARSHOT_TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  /** Origins allowed to call the API from a browser (CORS), comma-separated; none by default. */
  EARSHOT_CORS_ORIGINS: commaList(
    z.url({ protocol: /^https?$/, message: 'an origin such as https://app.example.com' }),
  ),
  /**
   * Addresses and CIDR ranges outbound requests may reach although they are loopback, private,
   * link-local… (on-premise feeds and webhooks, tests): comma-separated, e.g. "10.1.0.0/16,127.0.0.1".
   */
  EARSHOT_OUTBOUND_ALLOW: commaList(
    z
      .string()
      .refine((s) => isIP(s.split('/')[0] ?? '') !== 0, 'an IP address or CIDR range, e.g. 10.0.0.0/8'),
  ),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  configPath: string | undefined;
  modelPath: string;
  vocabularyPath: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  role: Role;
  /** Whether this process runs the jobs: its role includes them and EARSHOT_SCHEDULER is on. */
  scheduler: boolean;
  pollConcurrency: number;
  /** How long a claimed source is this process's to poll before others may take it. */
  pollLeaseSeconds: number;
  /** How long a SIGTERM waits for running jobs before giving their claims back and exiting. */
  shutdownSeconds: number;
  /** Mentions older than this many days are deleted by the retention job; 0 keeps them forever. */
  retentionDays: number;
  corsOrigins: string[];
  /** Requests per minute per client address; 0 is no limit. */
  rateLimit: number;
  /** Requests per minute per API token without a limit of its own; 0 is no limit. */
  tokenRateLimit: number;
  trustProxy: boolean;
  /** Ranges outbound requests may reach despite being private (see EARSHOT_OUTBOUND_ALLOW). */
  outboundAllow: string[];
  /** Reads a credential named by a source's `{"env": NAME}` option. */
  readSecret: (name: string) => string | undefined;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Settings that are valid one by one but not together. */
const ConfigSchema = EnvSchema.superRefine((e, ctx) => {
  if (e.EARSHOT_ROLE !== 'both' && !e.DATABASE_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['EARSHOT_ROLE'],
      message: `"${e.EARSHOT_ROLE}" needs DATABASE_URL: the embedded database (PGlite) belongs to one process, which is both API and worker. To run api and worker processes apart, move to PostgreSQL (see README)`,
    });
  }
  if (e.EARSHOT_ROLE === 'worker' && e.EARSHOT_SCHEDULER === 'off') {
    ctx.addIssue({
      code: 'custom',
      path: ['EARSHOT_SCHEDULER'],
      message: 'a worker (EARSHOT_ROLE=worker) with the scheduler off would do nothing',
    });
  }
});

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.EARSHOT_DATA_DIR,
    configPath: e.EARSHOT_CONFIG,
    vocabularyPath: e.EARSHOT_VOCABULARY,
    modelPath: e.EARSHOT_MODEL ?? `${e.EARSHOT_DATA_DIR.replace(/\/+$/, '')}/sentiment-model.json`,
    logLevel: e.LOG_LEVEL,
    role: e.EARSHOT_ROLE,
    scheduler: e.EARSHOT_ROLE !== 'api' && e.EARSHOT_SCHEDULER === 'on',
    pollConcurrency: e.EARSHOT_POLL_CONCURRENCY,
    pollLeaseSeconds: e.EARSHOT_POLL_LEASE_SECONDS,
    shutdownSeconds: e.EARSHOT_SHUTDOWN_SECONDS,
    retentionDays: e.EARSHOT_RETENTION_DAYS,
    outboundAllow: e.EARSHOT_OUTBOUND_ALLOW,
    corsOrigins: e.EARSHOT_CORS_ORIGINS,
    rateLimit: e.EARSHOT_RATE_LIMIT,
    tokenRateLimit: e.EARSHOT_TOKEN_RATE_LIMIT,
    trustProxy: e.EARSHOT_TRUST_PROXY === 'true',
    readSecret: (name) => env[name] || undefined,
  };
}

/** The one place that reads the process environment. */
export function loadConfig(): Config {
  return parseConfig(process.env);
}
