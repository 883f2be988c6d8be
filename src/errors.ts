/**
 * Errors are a closed set of codes, mapped to HTTP statuses here and nowhere else.
 * The JSON envelope is `{ "error": { "code", "message", "requestId", "details"? } }`.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  upstream_failed: 502,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type ErrorDetail = { path: string; message: string };

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }

  static notFound(what: string, id: string | number): AppError {
    return new AppError('not_found', `${what} ${id} not found`);
  }

  static fromZod(
    error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> },
    where: string,
  ): AppError {
    const details = error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(root)',
      message: issue.message,
    }));
    const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
    return new AppError('validation_failed', `invalid ${where}: ${summary}`, details);
  }
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; requestId: string; details?: ErrorDetail[] };
};

export function errorBody(error: AppError, requestId: string): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      requestId,
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

/** Parses input with a zod schema, or throws a `validation_failed` naming the fields. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw AppError.fromZod(parsed.error, where);
  return parsed.data;
}

/** Runs a write and turns a unique-constraint violation (SQLSTATE 23505) into a `conflict`. */
export async function conflictOnDuplicate<T>(message: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if ((error as { code?: string } | null)?.code === '23505') throw new AppError('conflict', message);
    throw error;
  }
}
