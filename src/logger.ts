import { pino } from 'pino';

/** One log call, as pino takes it: fields then a message, or a message alone. */
type LogFn = { (fields: object, message?: string): void; (message: string): void };

/**
 * The slice of pino the code uses, by shape, so tests and other runtimes (Workers, which have no
 * pino: src/console-logger.ts) can pass their own.
 */
export type Logger = {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
  child: (bindings: Record<string, unknown>) => Logger;
};

/**
 * Credentials never reach the logs: no code logs them, and should an object holding one be logged
 * anyway, these fields are censored (defence in depth; test/security/secrets.test.ts reads the logs).
 */
export const REDACTED_PATHS = [
  '*.token',
  '*.accessToken',
  '*.secret',
  '*.clientSecret',
  '*.password',
  '*.appPassword',
  '*.signingSecret',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.options.*',
];

export const LOGGER_OPTIONS = {
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
} satisfies pino.LoggerOptions;

/** JSON logs on stdout (the server), or on stderr where stdout carries a command's output (the CLI). */
export function createLogger(level: pino.LevelWithSilent, stream: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino({ ...LOGGER_OPTIONS, level }, pino.destination(stream === 'stdout' ? 1 : 2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
