/**
 * Time helpers with web APIs only (Intl), for every runtime.
 */
import { z } from 'zod';

/** A Date, an RFC 3339 timestamp, or a local date (YYYY-MM-DD). */
export const InstantInput = z.union([z.date(), z.iso.datetime({ offset: true }), z.iso.date()]);

/** Offset of `timeZone` from UTC at an instant, in milliseconds (positive east of Greenwich). */
export function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The instant a local calendar date (YYYY-MM-DD) begins in a time zone. */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wallClock = Date.UTC(y, m - 1, d);
  // Two passes settle the offset across a DST change at midnight.
  let instant = wallClock - zoneOffsetMs(wallClock, timeZone);
  instant = wallClock - zoneOffsetMs(instant, timeZone);
  return new Date(instant);
}

/** An RFC 3339 timestamp, or a date read as local midnight in `timeZone`. */
export function resolveInstant(value: string | Date, timeZone: string): Date {
  if (value instanceof Date) return value;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? startOfLocalDate(value, timeZone) : new Date(value);
}
