/** How numbers, changes and dates read on the dashboard (en, in the page's time zone). */

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });
const signed = new Intl.NumberFormat('en', {
  signDisplay: 'exceptZero',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

export const DASH = '—';

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : integer.format(n);
}

/** A share 0..1 as a percentage. */
export function formatShare(x: number | null | undefined): string {
  return x === null || x === undefined ? DASH : percent.format(x);
}

/** A score −1..1 with its sign ("+0.25", "−0.40"). */
export function formatScore(x: number | null | undefined): string {
  return x === null || x === undefined ? DASH : signed.format(x).replace('-', '−');
}

export function formatRating(x: number | null | undefined): string {
  return x === null || x === undefined ? DASH : `${x.toFixed(2)}★`;
}

export type ChangeKind = 'relative' | 'points' | 'score' | 'rating';

/** The change as shown (to the digits its text has): a change that shows as zero is no change. */
export function shownChange(x: number, kind: ChangeKind): number {
  const digits = kind === 'score' || kind === 'rating' ? 100 : 1000;
  return Math.round(x * digits) / digits;
}

/** A change against the previous period as text: "+12%", "−3.1 pts", "+0.10", "+0.20★". */
export function formatChange(x: number | null | undefined, kind: ChangeKind): string {
  if (x === null || x === undefined) return 'no previous data';
  const shown = shownChange(x, kind);
  const sign = shown > 0 ? '+' : shown < 0 ? '−' : '±';
  const abs = Math.abs(shown);
  switch (kind) {
    case 'relative':
      return `${sign}${percent.format(abs)}`;
    case 'points':
      return `${sign}${(abs * 100).toFixed(1)} pts`;
    case 'score':
      return `${sign}${abs.toFixed(2)}`;
    case 'rating':
      return `${sign}${abs.toFixed(2)}★`;
  }
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

export function formatDateTime(at: Date | string | null | undefined, timeZone: string): string {
  if (at === null || at === undefined) return DASH;
  let format = dateTimeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' });
    dateTimeFormats.set(timeZone, format);
  }
  return format.format(new Date(at));
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The local day an instant falls on, as "20 Nov 2026". */
export function formatDay(at: Date | string, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium' });
    dayFormats.set(timeZone, format);
  }
  return format.format(new Date(at));
}

/** A local date (YYYY-MM-DD) as "20 Nov 2026". */
export function formatLocalDate(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'medium' }).format(
    new Date(`${date}T00:00:00Z`),
  );
}
