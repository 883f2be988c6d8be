/**
 * What every dashboard page shares through its query string: the brand, the period (7, 30 or 90
 * days) and the time zone. Bad values fall back to the defaults: a dashboard link never answers 400.
 */
import { localDateOf, TimeZoneName } from '../analytics/time.ts';

export const PERIODS = [7, 30, 90] as const;
export type PeriodDays = (typeof PERIODS)[number];

export type DashboardState = {
  /** The brand asked for (the page falls back to the first own brand). */
  brandId: number | undefined;
  days: PeriodDays;
  timeZone: string;
};

/** Time zones offered in the picker; the current one and the browser's are added when missing. */
export const COMMON_TIME_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Madrid',
  'Europe/Istanbul',
  'Africa/Lagos',
  'Africa/Johannesburg',
  'Asia/Dubai',
  'Asia/Kolkata',
  'Asia/Singapore',
  'Asia/Shanghai',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Pacific/Auckland',
  'America/Sao_Paulo',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
] as const;

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= 2_147_483_647 ? n : undefined;
}

export function readState(query: Record<string, string | undefined>): DashboardState {
  const days = Number(query.days);
  const tz = query.tz?.trim();
  return {
    brandId: positiveInt(query.brand),
    days: (PERIODS as readonly number[]).includes(days) ? (days as PeriodDays) : 30,
    timeZone: tz && TimeZoneName.safeParse(tz).success ? tz : 'UTC',
  };
}

/** A page's link carrying the shared state, plus its own parameters (empty ones left out). */
export function pageUrl(
  path: string,
  state: DashboardState,
  extra: Record<string, string | number | null | undefined> = {},
): string {
  const params = new URLSearchParams();
  if (state.brandId !== undefined) params.set('brand', String(state.brandId));
  if (state.days !== 30) params.set('days', String(state.days));
  if (state.timeZone !== 'UTC') params.set('tz', state.timeZone);
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const query = params.toString();
  return query === '' ? path : `${path}?${query}`;
}

/** A JSON API URL with its query (for the client modules to fetch). */
export function apiUrl(path: string, params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, String(value));
  return `${path}?${query.toString()}`;
}

export type PeriodRange = {
  /** Local dates (YYYY-MM-DD): the API reads them as midnight in the time zone. */
  from: string;
  /** Exclusive: tomorrow, so today is the last whole day of the period. */
  to: string;
};

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * The period as whole local days ending with today. Dates rather than instants keep the range the
 * same all day, so the server's figures and the chart data the page fetches are one answer.
 */
export function periodRange(state: DashboardState, now: Date): PeriodRange {
  const to = addDays(localDateOf(now, state.timeZone), 1);
  return { from: addDays(to, -state.days), to };
}

/** The last day of the period (its `to` is the day after). */
export function lastDayOf(range: PeriodRange): string {
  return addDays(range.to, -1);
}
