/**
 * Time helpers with web APIs only (Intl), for every runtime.
 */
import { z } from 'zod';

/** A Date, an RFC 3339 timestamp, or a local date (YYYY-MM-DD). */
export const InstantInput = z.union([z.date(), z.iso.datetime({ offset: true }), z.iso.date()]);

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** An IANA time zone name the runtime knows. */
export const TimeZoneName = z
  .string()
  .max(64)
  .refine((value) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }, 'not a known IANA time zone (e.g. UTC, Europe/Paris, America/New_York)');

const formats = new Map<string, Intl.DateTimeFormat>();

/** Offset of `timeZone` from UTC at an instant, in milliseconds (positive east of Greenwich). */
export function zoneOffsetMs(at: number, timeZone: string): number {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(at));
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

/** The local calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDateOf(at: Date, timeZone: string): string {
  return new Date(at.getTime() + zoneOffsetMs(at.getTime(), timeZone)).toISOString().slice(0, 10);
}

/** The instant a local calendar date (YYYY-MM-DD) begins in a time zone. */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wallClock = Date.UTC(y, m - 1, d);
  // Two passes settle the offset across a DST change at midnight.
  let instant = wallClock - zoneOffsetMs(wallClock, timeZone);
  instant = wallClock - zoneOffsetMs(instant, timeZone);
  // A day whose midnight is skipped (clocks jump 00:00 → 01:00) starts at the jump: the instant found
  // reads as the evening before, so move on by what is missing.
  const reads = instant + zoneOffsetMs(instant, timeZone);
  if (reads < wallClock) instant += wallClock - reads;
  return new Date(instant);
}

/** An RFC 3339 timestamp, or a date read as local midnight in `timeZone`. */
export function resolveInstant(value: string | Date, timeZone: string): Date {
  if (value instanceof Date) return value;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? startOfLocalDate(value, timeZone) : new Date(value);
}

const SAMPLE_FROM = Date.UTC(1970, 0, 1);
const SAMPLE_TO = Date.UTC(2045, 0, 1);

type ZoneProfile = { wholeHours: boolean; alwaysUtc: boolean };
const profiles = new Map<string, ZoneProfile>();

/**
 * A zone's offsets from UTC between 1970 and 2045, sampled every 10 days (offsets hold for months at
 * a time): whether each was a whole number of hours, and whether each was zero. Cached per zone.
 */
function zoneProfile(timeZone: string): ZoneProfile {
  let profile = profiles.get(timeZone);
  if (!profile) {
    profile = { wholeHours: true, alwaysUtc: true };
    for (let at = SAMPLE_FROM; at < SAMPLE_TO && profile.wholeHours; at += 10 * 86_400_000) {
      const offset = zoneOffsetMs(at, timeZone);
      if (offset % 3_600_000 !== 0) profile.wholeHours = false;
      if (offset !== 0) profile.alwaysUtc = false;
    }
    if (!profile.wholeHours) profile.alwaysUtc = false;
    profiles.set(timeZone, profile);
  }
  return profile;
}

/**
 * Whether a time zone's offset from UTC has been a whole number of hours at every instant between
 * 1970 and 2045. Such a zone's hours, days, weeks and months all start on a whole UTC hour, so hourly
 * rollups can answer for it; Asia/Kolkata (+5:30) or Australia/Lord_Howe (+10:30 in winter) cannot.
 */
export function hasWholeHourOffsets(timeZone: string): boolean {
  return zoneProfile(timeZone).wholeHours;
}

/** Whether a time zone is UTC at every instant between 1970 and 2045 (UTC, Etc/UTC, Africa/Abidjan…). */
export function isUtcAllYear(timeZone: string): boolean {
  return zoneProfile(timeZone).alwaysUtc;
}

/** Whether [from, to) can be read from the rollups: UTC hours at both ends, before 2045. */
export function isWholeHourRange(from: Date, to: Date): boolean {
  const [start, end] = [from.getTime(), to.getTime()];
  return start % 3_600_000 === 0 && end % 3_600_000 === 0 && start >= SAMPLE_FROM && end <= SAMPLE_TO;
}

let isoDay = Number.NaN;
let isoDayPrefix = '';

/**
 * `new Date(ms).toISOString()`, with the date part reused while consecutive instants fall on the
 * same UTC day and start whole hours: an hourly series formats thousands of them.
 */
export function isoInstant(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const rest = ms - day * DAY_MS;
  if (rest % HOUR_MS !== 0) return new Date(ms).toISOString();
  if (day !== isoDay) {
    const text = new Date(day * DAY_MS).toISOString();
    isoDay = day;
    isoDayPrefix = text.slice(0, text.indexOf('T') + 1);
  }
  const hour = rest / HOUR_MS;
  return `${isoDayPrefix}${hour < 10 ? '0' : ''}${hour}:00:00.000Z`;
}
