/**
 * The window-rule statistics on synthetic series with known answers, and their properties: never a
 * fire during warm-up, a 5σ spike fires, ordinary noise does not, a flat baseline does not fire on +1,
 * the verdict does not depend on the unit counts are in. Plus the conditions' defaults and checks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  baselineStats,
  type RateWindow,
  rateTest,
  riseTest,
  SENSITIVITY,
  sensitivityK,
  volumeTest,
} from '../../src/alerts/detect.ts';
import {
  baselineWindows,
  EmergingThemeConditions,
  SentimentDropConditions,
  SourceSilenceConditions,
  VolumeDropConditions,
  VolumeSpikeConditions,
  WINDOW_CONDITIONS,
  WINDOW_RULE_KINDS,
  warmupPoints,
} from '../../src/alerts/window-conditions.ts';

/** 168 hourly counts alternating mean − 10 and mean + 10: mean `mean`, sd just over 10. */
const week = (mean = 100) => Array.from({ length: 168 }, (_, i) => (i % 2 === 0 ? mean - 10 : mean + 10));
const spike = { direction: 'up', k: 2, minPoints: 24 } as const;

describe('baselineStats', () => {
  it('gives the mean and the sample standard deviation', () => {
    const s = baselineStats([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.points).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });

  it('has no spread with fewer than two points', () => {
    expect(baselineStats([])).toEqual({ points: 0, mean: 0, sd: 0 });
    expect(baselineStats([7])).toEqual({ points: 1, mean: 7, sd: 0 });
  });
});

describe('sensitivity', () => {
  it('maps the presets and passes k through', () => {
    expect(SENSITIVITY).toEqual({ low: 3, medium: 2, high: 1.5 });
    expect(sensitivityK('high')).toBe(1.5);
    expect(sensitivityK(2.5)).toBe(2.5);
  });
});

describe('volumeTest', () => {
  it('fires on a 5σ spike and reports the figures it used', () => {
    const baseline = week();
    const { sd } = baselineStats(baseline);
    const v = volumeTest(Math.ceil(100 + 5 * sd), baseline, spike);
    expect(v.status).toBe('fire');
    expect(v.mean).toBe(100);
    expect(v.sigma).toBe(sd);
    expect(v.threshold).toBeCloseTo(100 + 2 * sd, 9);
    expect(v.z).toBeGreaterThanOrEqual(5);
    expect(v.z).toBeLessThan(5.1);
    expect(v.points).toBe(168);
  });

  it('does not fire during warm-up, however large the spike', () => {
    const v = volumeTest(10_000, week().slice(0, 23), spike);
    expect(v.status).toBe('warming_up');
    expect(volumeTest(10_000, week().slice(0, 24), spike).status).toBe('fire');
  });

  it('stays quiet within the band and fires at its edge', () => {
    const baseline = week();
    const { sd } = baselineStats(baseline);
    expect(volumeTest(115, baseline, spike).status).toBe('quiet');
    expect(volumeTest(Math.floor(100 + 2 * sd), baseline, spike).status).toBe('quiet');
    expect(volumeTest(Math.ceil(100 + 2 * sd), baseline, spike).status).toBe('fire');
  });

  it('does not fire on +1 over a flat baseline (Poisson floor), but on a real jump', () => {
    const flat = Array.from({ length: 168 }, () => 10);
    const plusOne = volumeTest(11, flat, spike);
    expect(plusOne.sd).toBe(0);
    expect(plusOne.sigma).toBeCloseTo(Math.sqrt(10), 12);
    expect(plusOne.status).toBe('quiet');
    expect(volumeTest(17, flat, spike).status).toBe('fire');
    // An empty baseline: the floor is 1, the minimum volume keeps 3 mentions from being a spike.
    const zeros = Array.from({ length: 168 }, () => 0);
    expect(volumeTest(3, zeros, { ...spike, minVolume: 10 }).status).toBe('low_volume');
    expect(volumeTest(12, zeros, { ...spike, minVolume: 10 }).status).toBe('fire');
  });

  it('detects drops, and not from a baseline too small to drop', () => {
    const drop = { direction: 'down', k: 2, minPoints: 24, minVolume: 10 } as const;
    const d = volumeTest(60, week(), drop);
    expect(d.status).toBe('fire');
    expect(d.z).toBeLessThan(-3.9);
    expect(volumeTest(95, week(), drop).status).toBe('quiet');
    // A mean of 3: below the minimum baseline volume; and even allowed, 0 is within 2σ of its noise.
    const three = Array.from({ length: 168 }, () => 3);
    expect(volumeTest(0, three, drop).status).toBe('low_volume');
    expect(volumeTest(0, three, { ...drop, minVolume: 1 }).status).toBe('quiet');
  });

  it('property: never fires with fewer baseline points than the warm-up', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1000 }), { maxLength: 60 }),
        fc.nat({ max: 100_000 }),
        fc.integer({ min: 2, max: 80 }),
        fc.constantFrom('up' as const, 'down' as const),
        (baseline, current, minPoints, direction) => {
          fc.pre(baseline.length < minPoints);
          const v = volumeTest(current, baseline, { direction, k: 1.5, minPoints });
          expect(v.status).toBe('warming_up');
        },
      ),
    );
  });

  it('property: ordinary noise (within 1σ of the mean) never fires', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 500 }), { minLength: 24, maxLength: 200 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.constantFrom('low' as const, 'medium' as const, 'high' as const),
        (baseline, offset, sensitivity) => {
          const { mean, sd } = baselineStats(baseline);
          const sigma = Math.max(sd, Math.sqrt(Math.max(mean, 1)));
          const current = Math.max(0, Math.round(mean + offset * sigma * 0.99));
          for (const direction of ['up', 'down'] as const) {
            const v = volumeTest(current, baseline, {
              direction,
              k: sensitivityK(sensitivity),
              minPoints: 24,
            });
            expect(v.status).not.toBe('fire');
          }
        },
      ),
    );
  });

  it('property: the verdict does not depend on the unit (scaling invariance without the floor)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1000 }), { minLength: 24, maxLength: 100 }),
        fc.nat({ max: 3000 }),
        fc.integer({ min: 2, max: 1000 }),
        (baseline, current, scale) => {
          const options = { direction: 'up', k: 2, minPoints: 24, poissonFloor: false } as const;
          const v = volumeTest(current, baseline, options);
          fc.pre(v.sd > 0 && Math.abs(v.z - 2) > 1e-6);
          const scaled = volumeTest(
            current * scale,
            baseline.map((x) => x * scale),
            options,
          );
          expect(scaled.status).toBe(v.status);
          expect(scaled.z).toBeCloseTo(v.z, 9);
        },
      ),
    );
  });

  it('property: more mentions never turn a spike off', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1000 }), { minLength: 24, maxLength: 100 }),
        fc.nat({ max: 3000 }),
        fc.nat({ max: 500 }),
        (baseline, current, more) => {
          const a = volumeTest(current, baseline, spike);
          const b = volumeTest(current + more, baseline, spike);
          if (a.status === 'fire') expect(b.status).toBe('fire');
        },
      ),
    );
  });
});

describe('rateTest (sentiment)', () => {
  /** 165 windows of 50 scored mentions, 3 to 7 of them negative (10% on average). */
  const baseline: RateWindow[] = Array.from({ length: 165 }, (_, i) => {
    const negative = 3 + (i % 5);
    return { sum: negative, sumSq: negative, n: 50 };
  });
  const share = { direction: 'up', k: 2, minPoints: 24, minVolume: 20, minChange: 0.1 } as const;

  it('fires when the negative share leaves its band', () => {
    const v = rateTest({ sum: 25, sumSq: 25, n: 50 }, baseline, share);
    expect(v.status).toBe('fire');
    expect(v.current).toBe(0.5);
    expect(v.mean).toBeCloseTo(0.1, 12);
    expect(v.z).toBeGreaterThan(5);
    expect(v.baselineN).toBe(165 * 50);
  });

  it('stays quiet within the band, below the minimum change, or on too few mentions', () => {
    expect(rateTest({ sum: 7, sumSq: 7, n: 50 }, baseline, share).status).toBe('quiet');
    // 18% is beyond 2σ of 10% at n = 200, but not the 10 points asked for.
    expect(rateTest({ sum: 36, sumSq: 36, n: 200 }, baseline, share).status).toBe('quiet');
    expect(rateTest({ sum: 36, sumSq: 36, n: 200 }, baseline, { ...share, minChange: 0 }).status).toBe(
      'fire',
    );
    expect(rateTest({ sum: 9, sumSq: 9, n: 10 }, baseline, share).status).toBe('low_volume');
    expect(rateTest({ sum: 25, sumSq: 25, n: 50 }, baseline.slice(0, 10), share).status).toBe('warming_up');
  });

  it('uses the sampling noise of the window when it is larger than the baseline spread', () => {
    const steady = Array.from({ length: 48 }, () => ({ sum: 100, sumSq: 100, n: 1000 }));
    const v = rateTest({ sum: 4, sumSq: 4, n: 20 }, steady, { ...share, minChange: 0 });
    expect(v.sd).toBeCloseTo(0, 12);
    expect(v.sigma).toBeCloseTo(Math.sqrt((0.1 * 0.9) / 20), 12);
    expect(v.status).toBe('quiet');
  });

  it('detects a fall of net sentiment', () => {
    // Each window: 30 positive, 10 negative of 50 → net +0.4.
    const net = Array.from({ length: 48 }, () => ({ sum: 20, sumSq: 40, n: 50 }));
    const v = rateTest({ sum: -20, sumSq: 40, n: 50 }, net, { ...share, direction: 'down' });
    expect(v.status).toBe('fire');
    expect(v.current).toBe(-0.4);
    expect(v.z).toBeLessThan(-2);
    expect(rateTest({ sum: 15, sumSq: 35, n: 50 }, net, { ...share, direction: 'down' }).status).toBe(
      'quiet',
    );
  });

  it('property: never fires during warm-up', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ n: fc.integer({ min: 0, max: 100 }), p: fc.double({ min: 0, max: 1, noNaN: true }) }),
          { maxLength: 30 },
        ),
        fc.integer({ min: 0, max: 100 }),
        (windows, negatives) => {
          const baseline = windows.map(({ n, p }) => {
            const sum = Math.round(n * p);
            return { sum, sumSq: sum, n };
          });
          const v = rateTest({ sum: negatives, sumSq: negatives, n: 100 }, baseline, {
            ...share,
            minPoints: 31,
          });
          expect(v.status).toBe('warming_up');
        },
      ),
    );
  });
});

describe('riseTest (emerging themes)', () => {
  const rise = { minRatio: 3, minCount: 5, minPoints: 24 };

  it('fires on a count well above the baseline rate', () => {
    const v = riseTest(12, 168, 168, rise);
    expect(v).toMatchObject({ status: 'fire', rate: 1, expected: 1, ratio: 12, points: 168 });
    expect(v.z).toBeCloseTo(11, 12);
  });

  it('needs both the ratio and the count', () => {
    expect(riseTest(5, 336, 168, rise).status).toBe('quiet');
    expect(riseTest(4, 0, 168, rise).status).toBe('low_volume');
    expect(riseTest(50, 0, 10, rise).status).toBe('warming_up');
  });

  it('compares a theme new this window with a floor rate, not zero', () => {
    const v = riseTest(5, 0, 168, rise);
    expect(v.rate).toBe(0);
    expect(v.expected).toBe(0.5);
    expect(v.ratio).toBe(10);
    expect(v.status).toBe('fire');
  });
});

describe('window conditions', () => {
  it('lists the five kinds, each working with no conditions at all', () => {
    expect(WINDOW_RULE_KINDS).toEqual([
      'volume_spike',
      'volume_drop',
      'source_silence',
      'sentiment_drop',
      'emerging_theme',
    ]);
    for (const kind of WINDOW_RULE_KINDS) expect(WINDOW_CONDITIONS[kind].safeParse({}).success).toBe(true);
    expect(VolumeSpikeConditions.parse({})).toEqual({
      windowMinutes: 60,
      baselineDays: 7,
      sensitivity: 'medium',
      minVolume: 10,
    });
    expect(VolumeDropConditions.parse({}).minBaselineVolume).toBe(10);
    expect(SentimentDropConditions.parse({})).toMatchObject({ measure: 'negative_share', minVolume: 20 });
    expect(EmergingThemeConditions.parse({})).toMatchObject({ minRatio: 3, minCount: 5, minSourceKinds: 1 });
    expect(SourceSilenceConditions.parse({})).toEqual({ polls: 12, activeWithinDays: 30 });
  });

  it('defaults the warm-up to a day of windows, within the baseline', () => {
    expect(baselineWindows({ windowMinutes: 60, baselineDays: 7 })).toBe(168);
    expect(warmupPoints({ windowMinutes: 60, baselineDays: 7 })).toBe(24);
    expect(warmupPoints({ windowMinutes: 15, baselineDays: 7 })).toBe(96);
    expect(warmupPoints({ windowMinutes: 1440, baselineDays: 7 })).toBe(3);
    expect(warmupPoints({ windowMinutes: 60, baselineDays: 7, minPoints: 48 })).toBe(48);
  });

  it('refuses windows off the step, a warm-up longer than the baseline, unknown fields', () => {
    const issues = (kind: keyof typeof WINDOW_CONDITIONS, input: unknown) => {
      const parsed = WINDOW_CONDITIONS[kind].safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'));
    };
    expect(issues('volume_spike', { windowMinutes: 7 })).toEqual(['windowMinutes']);
    expect(issues('volume_spike', { minPoints: 500 })).toEqual(['minPoints']);
    expect(issues('volume_drop', { windowMinutes: 1440, baselineDays: 2 })).toEqual(['baselineDays']);
    expect(issues('sentiment_drop', { sensitivity: 'extreme' })).toEqual(['sensitivity']);
    expect(issues('emerging_theme', { minRatio: 1 })).toEqual(['minRatio']);
    expect(issues('source_silence', { polls: 0, extra: true }).sort()).toEqual(['', 'polls']);
  });
});
