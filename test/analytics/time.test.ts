/**
 * The shortcuts the hourly series takes in JavaScript, held to what they replace: hour alignment
 * without a round trip (against the database's `alignRange`) and ISO text of bucket starts (against
 * `Date#toISOString`).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { alignRange } from '../../db/queries/analytics.ts';
import { alignWholeHours } from '../../src/analytics/query.ts';
import { isoInstant, localDateOf } from '../../src/analytics/time.ts';
import { createTestDb } from '../helpers/db.ts';

const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/Santiago',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Europe/Dublin',
];
// 1969..2047, with instants near the hour more likely than not.
const instant = fc.oneof(
  fc.integer({ min: -31_536_000_000, max: 2_461_449_600_000 }),
  fc
    .tuple(fc.integer({ min: -8_760, max: 683_736 }), fc.constantFrom(0, 1, 999, 1_800_000, 3_599_999))
    .map(([hour, extra]) => hour * 3_600_000 + extra),
);

describe('isoInstant', () => {
  it('writes what Date#toISOString writes, hour after hour and anywhere else', () => {
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 30 }), (times) => {
        for (const ms of times) expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 300 },
    );
    for (const ms of [
      0,
      -1,
      -3_600_000,
      253_402_300_800_000 - 3_600_000,
      253_402_300_800_000,
      -62_198_755_200_000,
    ]) {
      expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

describe('localDateOf', () => {
  it('gives the calendar date Intl gives, in every zone, around DST changes too', () => {
    const intl = (at: Date, timeZone: string) =>
      new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      }).format(at);
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.constantFrom(...ZONES),
        (ms, zone) => {
          expect(localDateOf(new Date(ms), zone)).toBe(intl(new Date(ms), zone));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('alignWholeHours', () => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await createTestDb();
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('aligns as the database does wherever it answers, and leaves part-hour offsets to it', async () => {
    let answered = 0;
    let declined = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ZONES),
        instant,
        fc.integer({ min: 0, max: 400 * 3_600_000 }),
        async (timeZone, from, span) => {
          const q = { timeZone, from: new Date(from), to: new Date(from + span) };
          const fast = alignWholeHours(q);
          if (fast === undefined) {
            declined++;
            return;
          }
          answered++;
          expect(fast).toEqual(await alignRange(handle.db, { ...q, unit: 'hour' }));
        },
      ),
      { numRuns: 200 },
    );
    // Both branches ran: whole-hour zones answer, Kolkata and Kathmandu never do.
    expect(answered).toBeGreaterThan(50);
    expect(declined).toBeGreaterThan(10);
    expect(
      alignWholeHours({ timeZone: 'Asia/Kolkata', from: new Date(0), to: new Date(3_600_000) }),
    ).toBeUndefined();
  });
});
