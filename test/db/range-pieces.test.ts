import { describe, expect, it } from 'vitest';
import { rangePieces } from '../../db/queries/analytics.ts';

const iso = (p: { table: string; from: Date; to: Date }) => [
  p.table,
  p.from.toISOString(),
  p.to.toISOString(),
];

describe('rangePieces', () => {
  it('cuts a long range into hours, days and Monday weeks that tile it exactly', () => {
    // Wednesday 2026-09-02 05:00 to Saturday 2026-11-28 07:00.
    const pieces = rangePieces(new Date('2026-09-02T05:00:00Z'), new Date('2026-11-28T07:00:00Z'));
    expect(pieces.map(iso)).toEqual([
      ['rollup_hourly', '2026-09-02T05:00:00.000Z', '2026-09-03T00:00:00.000Z'],
      ['rollup_hourly', '2026-11-28T00:00:00.000Z', '2026-11-28T07:00:00.000Z'],
      ['rollup_daily', '2026-09-03T00:00:00.000Z', '2026-09-07T00:00:00.000Z'],
      ['rollup_weekly', '2026-09-07T00:00:00.000Z', '2026-11-23T00:00:00.000Z'],
      ['rollup_daily', '2026-11-23T00:00:00.000Z', '2026-11-28T00:00:00.000Z'],
    ]);
    expect(new Date('2026-09-07T00:00:00Z').getUTCDay()).toBe(1);
  });

  it('uses days or hours alone for short ranges', () => {
    expect(rangePieces(new Date('2026-11-03T00:00:00Z'), new Date('2026-11-06T00:00:00Z')).map(iso)).toEqual([
      ['rollup_daily', '2026-11-03T00:00:00.000Z', '2026-11-06T00:00:00.000Z'],
    ]);
    expect(rangePieces(new Date('2026-11-03T05:00:00Z'), new Date('2026-11-03T09:00:00Z')).map(iso)).toEqual([
      ['rollup_hourly', '2026-11-03T05:00:00.000Z', '2026-11-03T09:00:00.000Z'],
    ]);
  });
});
