/**
 * Feed dates are hostile: RFC 822 with localised day and month names, missing zones, garbage.
 * `parseFeedDate` returns a Date or null, never throws, and refuses dates far in the future.
 */

const MONTHS: Record<string, string> = {
  // Portuguese, Spanish, French, German, Italian, Dutch abbreviations and names seen in real feeds.
  jan: 'Jan',
  janeiro: 'Jan',
  ene: 'Jan',
  enero: 'Jan',
  janv: 'Jan',
  janvier: 'Jan',
  januar: 'Jan',
  gen: 'Jan',
  fev: 'Feb',
  fevereiro: 'Feb',
  feb: 'Feb',
  febrero: 'Feb',
  fevr: 'Feb',
  févr: 'Feb',
  février: 'Feb',
  februar: 'Feb',
  mar: 'Mar',
  março: 'Mar',
  marzo: 'Mar',
  mars: 'Mar',
  mär: 'Mar',
  märz: 'Mar',
  mrt: 'Mar',
  abr: 'Apr',
  abril: 'Apr',
  avr: 'Apr',
  avril: 'Apr',
  apr: 'Apr',
  april: 'Apr',
  mai: 'May',
  maio: 'May',
  may: 'May',
  mayo: 'May',
  mei: 'May',
  mag: 'May',
  jun: 'Jun',
  junho: 'Jun',
  junio: 'Jun',
  juin: 'Jun',
  juni: 'Jun',
  giu: 'Jun',
  jul: 'Jul',
  julho: 'Jul',
  julio: 'Jul',
  juil: 'Jul',
  juillet: 'Jul',
  juli: 'Jul',
  lug: 'Jul',
  ago: 'Aug',
  agosto: 'Aug',
  aug: 'Aug',
  août: 'Aug',
  aout: 'Aug',
  august: 'Aug',
  set: 'Sep',
  setembro: 'Sep',
  sep: 'Sep',
  sept: 'Sep',
  septiembre: 'Sep',
  septembre: 'Sep',
  september: 'Sep',
  out: 'Oct',
  outubro: 'Oct',
  oct: 'Oct',
  octubre: 'Oct',
  octobre: 'Oct',
  okt: 'Oct',
  oktober: 'Oct',
  ott: 'Oct',
  nov: 'Nov',
  novembro: 'Nov',
  noviembre: 'Nov',
  novembre: 'Nov',
  november: 'Nov',
  dez: 'Dec',
  dezembro: 'Dec',
  dic: 'Dec',
  diciembre: 'Dec',
  déc: 'Dec',
  décembre: 'Dec',
  dezember: 'Dec',
  dec: 'Dec',
};

/** Accepts dates up to this far ahead of now (clock skew, time zone mistakes). */
const MAX_FUTURE_MS = 24 * 3600 * 1000;

function normaliseRfc822(value: string): string {
  // Drop a leading localised day name ("Qua, 12 Jan 2017 ...") and translate the month.
  return value
    .replace(/^\s*[^\d\s,]+,\s*/u, '')
    .replace(/(\d{1,2})\s+([^\d\s]+)\.?\s+(\d{2,4})/u, (_match, day: string, month: string, year: string) => {
      const english = MONTHS[month.toLowerCase().replace(/\.$/, '')];
      return `${day} ${english ?? month} ${year}`;
    });
}

export function parseFeedDate(value: unknown, now: Date = new Date()): Date | null {
  if (typeof value !== 'string' && !(value instanceof Date)) return null;
  const candidates =
    value instanceof Date ? [value.getTime()] : [Date.parse(value), Date.parse(normaliseRfc822(value))];
  for (const time of candidates) {
    if (Number.isNaN(time)) continue;
    // Before 1990 is a broken feed, not a mention.
    if (time < Date.UTC(1990, 0, 1) || time > now.getTime() + MAX_FUTURE_MS) return null;
    return new Date(time);
  }
  return null;
}
