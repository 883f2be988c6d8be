import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
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

/** Validates one part of the request with a zod schema; failures become one 400 error naming the fields. */
export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw AppError.fromZod(result.error, WHERE[target]);
  });
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
