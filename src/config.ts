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
  /** Most sources polled at once by one process. */
  EARSHOT_POLL_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
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
  scheduler: boolean;
  pollConcurrency: number;
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

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
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
    scheduler: e.EARSHOT_SCHEDULER === 'on',
    pollConcurrency: e.EARSHOT_POLL_CONCURRENCY,
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
