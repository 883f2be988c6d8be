import type { Context, ValidationTargets } from 'hono';
import { z } from 'zod';
import { TimeZoneName } from '../analytics/time.ts';
import { AppError } from '../errors.ts';

const WHERE: Record<keyof ValidationTargets, string> = {
  json: 'body',
  form: 'form',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

/**
 * What every route does with a request part its zod schema refuses: one 400 naming the fields,
 * thrown for the app's error handler to answer in the one envelope.
 */
export function throwValidationError(
  result: { target: keyof ValidationTargets } & ({ success: true } | { success: false; error: z.ZodError }),
): void {
  if (!result.success) throw AppError.fromZod(result.error, WHERE[result.target]);
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * A JSON body that the domain verb validates, so its errors name the verb's fields and a batch is
 * checked item by item. Read as Hono's JSON validator reads one: a body that is not declared as JSON
 * reads as `{}` (the verb then names the missing fields); malformed JSON is a 400.
 */
export async function jsonBody(c: Context): Promise<unknown> {
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (!JSON_MEDIA_TYPE.test(mediaType)) return {};
  try {
    return await c.req.json();
  } catch {
    throw new AppError('validation_failed', 'Malformed JSON in request body');
  }
}

/** A positive integer id in a path. */
export const IdParam = z.strictObject({ id: z.coerce.number().int().min(1).max(2_147_483_647) });

/**
 * An RFC 3339 timestamp with an offset, or a date (YYYY-MM-DD), which the domain verb reads as
 * midnight in the request's time zone.
 */
export const Instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** An IANA time zone name the runtime knows. */
export const TimeZone = TimeZoneName;
