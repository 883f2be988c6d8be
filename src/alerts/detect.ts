/**
 * The statistics of the window rules, as pure functions: the current window against a baseline of
 * same-size windows. Each test returns a verdict with the figures it used, so an alert can say why it
 * fired ("240 mentions, 5.1σ above the 7-day baseline of 31 ± 41").
 *
 * Never firing on too little: a baseline with fewer windows than the warm-up asks for is
 * `warming_up`; a window (or baseline) with too few mentions to mean anything is `low_volume`.
 */

/** Sensitivity presets: how many standard deviations away from the baseline fire. */
export const SENSITIVITY = { low: 3, medium: 2, high: 1.5 } as const;
export type SensitivityPreset = keyof typeof SENSITIVITY;
export type Sensitivity = SensitivityPreset | number;

export function sensitivityK(sensitivity: Sensitivity): number {
  return typeof sensitivity === 'number' ? sensitivity : SENSITIVITY[sensitivity];
}

export type VerdictStatus = 'fire' | 'quiet' | 'warming_up' | 'low_volume';
export type Direction = 'up' | 'down';

export type BaselineStats = {
  /** Windows in the baseline. */
  points: number;
  mean: number;
  /** Sample standard deviation (0 with fewer than 2 points). */
  sd: number;
};

export function baselineStats(series: readonly number[]): BaselineStats {
  const points = series.length;
  if (points === 0) return { points, mean: 0, sd: 0 };
  let sum = 0;
  for (const x of series) sum += x;
  const mean = sum / points;
  if (points < 2) return { points, mean, sd: 0 };
  let squares = 0;
  for (const x of series) squares += (x - mean) ** 2;
  return { points, mean, sd: Math.sqrt(squares / (points - 1)) };
}

/** Standard scores of a value `sigma`s away; 0 when equal, ±Infinity off a zero spread. */
function zScore(value: number, mean: number, sigma: number): number {
  if (value === mean) return 0;
  return sigma > 0 ? (value - mean) / sigma : (value - mean) * Infinity;
}

export type VolumeVerdict = {
  status: VerdictStatus;
  direction: Direction;
  /** Mentions in the current window. */
  current: number;
  mean: number;
  sd: number;
  /** The spread used: sd, floored (see `volumeTest`). */
  sigma: number;
  k: number;
  /** mean ± k·sigma: at or beyond it fires. */
  threshold: number;
  z: number;
  points: number;
};

export type VolumeTestOptions = {
  direction: Direction;
  k: number;
  /** Baseline windows needed before firing (warm-up). */
  minPoints: number;
  /** Up: the window needs this many mentions; down: the baseline mean needs this many. */
  minVolume?: number;
  /**
   * Floor the spread at √max(mean, 1), the noise of a Poisson count (default on): a flat baseline
   * of 10 a window has sd 0, and 11 must not be a spike.
   */
  poissonFloor?: boolean;
};

/** Is the current window's count a spike (up) or a drop (down) against the baseline windows? */
export function volumeTest(
  current: number,
  baseline: readonly number[],
  o: VolumeTestOptions,
): VolumeVerdict {
  const { points, mean, sd } = baselineStats(baseline);
  const sigma = Math.max(sd, o.poissonFloor === false ? 0 : Math.sqrt(Math.max(mean, 1)));
  const sign = o.direction === 'up' ? 1 : -1;
  const threshold = mean + sign * o.k * sigma;
  const z = zScore(current, mean, sigma);
  const figures = { direction: o.direction, current, mean, sd, sigma, k: o.k, threshold, z, points };
  const minVolume = o.minVolume ?? 0;
  let status: VerdictStatus;
  if (points < Math.max(o.minPoints, 2)) status = 'warming_up';
  else if ((o.direction === 'up' ? current : mean) < minVolume) status = 'low_volume';
  else status = sign * z >= o.k ? 'fire' : 'quiet';
  return { status, ...figures };
}

/**
 * One window of a per-mention value: its sum, sum of squares and count. A share is the mean of a
 * 1/0 value (negative: sum = sumSq = negatives); net sentiment the mean of +1/0/−1 (sum = positives −
 * negatives, sumSq = positives + negatives).
 */
export type RateWindow = { sum: number; sumSq: number; n: number };

export type RateVerdict = {
  status: VerdictStatus;
  direction: Direction;
  /** The window's mean value (its share, its net sentiment). */
  current: number;
  /** Mentions in the window. */
  n: number;
  /** The baseline's pooled mean. */
  mean: number;
  /** Window-to-window sd of the baseline means (windows with enough mentions only). */
  sd: number;
  /** The spread used: the larger of sd and the sampling noise of a window of n mentions. */
  sigma: number;
  k: number;
  threshold: number;
  z: number;
  points: number;
  /** Mentions in the baseline. */
  baselineN: number;
};

export type RateTestOptions = {
  direction: Direction;
  k: number;
  minPoints: number;
  /** Mentions the window needs, and the baseline in total; windows below it do not count in sd. */
  minVolume: number;
  /** The move must be at least this large as well (default 0). */
  minChange?: number;
};

/** Has the window's mean value (a share, net sentiment) moved beyond the baseline's band? */
export function rateTest(
  current: RateWindow,
  baseline: readonly RateWindow[],
  o: RateTestOptions,
): RateVerdict {
  let sum = 0;
  let sumSq = 0;
  let baselineN = 0;
  const means: number[] = [];
  for (const w of baseline) {
    sum += w.sum;
    sumSq += w.sumSq;
    baselineN += w.n;
    if (w.n >= o.minVolume && w.n > 0) means.push(w.sum / w.n);
  }
  const mean = baselineN > 0 ? sum / baselineN : 0;
  const variance = baselineN > 0 ? Math.max(sumSq / baselineN - mean * mean, 0) : 0;
  const sd = baselineStats(means).sd;
  const sampling = current.n > 0 ? Math.sqrt(variance / current.n) : 0;
  const sigma = Math.max(sd, sampling);
  const value = current.n > 0 ? current.sum / current.n : 0;
  const sign = o.direction === 'up' ? 1 : -1;
  const threshold = mean + sign * o.k * sigma;
  const z = zScore(value, mean, sigma);
  const figures = {
    direction: o.direction,
    current: value,
    n: current.n,
    mean,
    sd,
    sigma,
    k: o.k,
    threshold,
    z,
    points: baseline.length,
    baselineN,
  };
  let status: VerdictStatus;
  if (baseline.length < Math.max(o.minPoints, 2)) status = 'warming_up';
  else if (current.n < Math.max(o.minVolume, 1) || baselineN < Math.max(o.minVolume, 1))
    status = 'low_volume';
  else status = sign * z >= o.k && sign * (value - mean) >= (o.minChange ?? 0) ? 'fire' : 'quiet';
  return { status, ...figures };
}

export type RiseVerdict = {
  status: VerdictStatus;
  current: number;
  /** The baseline's rate per window. */
  rate: number;
  /** The rate compared against: floored, so a theme new this hour is not "infinitely" up. */
  expected: number;
  ratio: number;
  /** Poisson standard score against the expected rate. */
  z: number;
  points: number;
};

export type RiseTestOptions = {
  /** The count must be at least this many times the expected rate… */
  minRatio: number;
  /** …and at least this many. */
  minCount: number;
  minPoints: number;
  /** The least rate compared against (default 0.5 a window). */
  rateFloor?: number;
};

/** Has a count risen sharply against its baseline rate (`baselineTotal` over `points` windows)? */
export function riseTest(
  current: number,
  baselineTotal: number,
  points: number,
  o: RiseTestOptions,
): RiseVerdict {
  const rate = points > 0 ? baselineTotal / points : 0;
  const expected = Math.max(rate, o.rateFloor ?? 0.5);
  const ratio = current / expected;
  const z = (current - expected) / Math.sqrt(expected);
  const figures = { current, rate, expected, ratio, z, points };
  let status: VerdictStatus;
  if (points < Math.max(o.minPoints, 1)) status = 'warming_up';
  else if (current < o.minCount) status = 'low_volume';
  else status = ratio >= o.minRatio ? 'fire' : 'quiet';
  return { status, ...figures };
}
