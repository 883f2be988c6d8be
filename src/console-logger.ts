/**
 * A logger for runtimes without pino (Workers): one JSON object per line through `console`, with
 * pino's shape (`level` as pino's number, `time`, the fields, `msg`), errors as `{ type, message,
 * stack }`, and credentials censored as src/logger.ts has pino do: fields named like a credential,
 * request headers that carry one, and everything under a source's `options`.
 */
import type { Logger } from './logger.ts';

export const CONSOLE_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type ConsoleLogLevel = (typeof CONSOLE_LOG_LEVELS)[number];

/** pino's numbers, so that log queries work the same on both runtimes. */
const LEVEL_VALUES: Record<ConsoleLogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

const CENSOR = '[redacted]';
const CREDENTIAL_FIELDS = new Set([
  'token',
  'accessToken',
  'secret',
  'clientSecret',
  'password',
  'appPassword',
  'signingSecret',
  'authorization',
  'cookie',
]);
/** Deeper than this, an object is logged as "[…]" (no log line walks a whole database row graph). */
const MAX_DEPTH = 6;

/** A JSON-safe copy of a logged value, with credentials censored at any depth. */
export function censorForLog(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value instanceof Error) {
    return {
      type: value.name,
      message: value.message,
      ...(value.stack ? { stack: value.stack } : {}),
      ...(value.cause === undefined ? {} : { cause: censorForLog(value.cause, depth + 1, seen) }),
    };
  }
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => censorForLog(item, depth + 1, seen));
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (CREDENTIAL_FIELDS.has(key)) copy[key] = CENSOR;
    else if (key === 'options' && field !== null && typeof field === 'object') {
      copy[key] = Object.fromEntries(Object.keys(field).map((name) => [name, CENSOR]));
    } else copy[key] = censorForLog(field, depth + 1, seen);
  }
  return copy;
}

export type ConsoleLoggerOptions = {
  level: ConsoleLogLevel;
  /** Where each line goes; default `console.log` (Workers Logs and `wrangler tail` read it). */
  write?: (line: string) => void;
  now?: () => Date;
};

export function createConsoleLogger(
  options: ConsoleLoggerOptions,
  bindings: Record<string, unknown> = {},
): Logger {
  const { level, write = (line: string) => console.log(line), now = () => new Date() } = options;
  const threshold = LEVEL_VALUES[level];
  const at = (name: Exclude<ConsoleLogLevel, 'silent'>) => {
    const value = LEVEL_VALUES[name];
    return (fieldsOrMessage: object | string, message?: string) => {
      if (value < threshold) return;
      const fields = typeof fieldsOrMessage === 'string' ? {} : fieldsOrMessage;
      const msg = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : message;
      const record = censorForLog({ ...bindings, ...fields }) as Record<string, unknown>;
      write(
        JSON.stringify({
          level: value,
          time: now().toISOString(),
          ...record,
          ...(msg === undefined ? {} : { msg }),
        }),
      );
    };
  };
  return {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    child: (more) => createConsoleLogger(options, { ...bindings, ...more }),
  };
}
