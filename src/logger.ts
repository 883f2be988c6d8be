import { pino } from 'pino';

/** The slice of pino the code uses, so tests and other runtimes can pass their own. */
export type Logger = Pick<pino.Logger, 'info' | 'warn' | 'error' | 'debug' | 'child'>;

/** JSON logs on stdout (the server), or on stderr where stdout carries a command's output (the CLI). */
export function createLogger(level: pino.LevelWithSilent, stream: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination(stream === 'stdout' ? 1 : 2),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
