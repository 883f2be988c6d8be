/**
 * The figures brand teams read, derived from rollup sums (MEASURES) the same way everywhere: trends,
 * comparisons, breakdowns and themes.
 */
import type { Measures } from '../../db/queries/rollups.ts';

export type Figures = {
  volume: number;
  positive: number;
  neutral: number;
  negative: number;
  mixed: number;
  /** Mentions with no label (not English). */
  unscored: number;
  /** Mean model score, −1..1. */
  meanSentiment: number | null;
  /** (positive − negative) / labelled mentions, −1..1. */
  netSentiment: number | null;
  /** Mentions with a star rating (reviews). */
  rated: number;
  meanRating: number | null;
  /** Share of rated mentions with 4 or 5 stars (a CSAT-like figure), 0..1. */
  csat: number | null;
};

/** Theme (aspect) figures: the sentiment of the sentences a theme appears in. */
export type AspectFigures = {
  aspectPositive: number;
  aspectNegative: number;
  aspectSentiment: number | null;
};

export type Change = {
  /** Relative change ((now − before) / before); null when before was 0. */
  volume: number | null;
  positive: number | null;
  negative: number | null;
  /** Differences (now − before) in points of the figure; null when either side has none. */
  meanSentiment: number | null;
  netSentiment: number | null;
  meanRating: number | null;
  csat: number | null;
};

export function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10000) / 10000;
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? round(part / whole) : null;
}

/**
 * Every measure spelled out (the type checker holds it to MEASURES): a loop over MEASURES with
 * computed keys was a tenth of an hourly trend's time.
 */
export function sumMeasures(rows: Iterable<Measures>): Measures {
  const t: Measures = {
    volume: 0,
    positive: 0,
    neutral: 0,
    negative: 0,
    mixed: 0,
    scored: 0,
    score_sum: 0,
    rated: 0,
    rating_sum: 0,
    rating_high: 0,
    aspect_scored: 0,
    aspect_sum: 0,
    aspect_positive: 0,
    aspect_negative: 0,
    wins: 0,
    losses: 0,
  };
  for (const r of rows) {
    t.volume += r.volume;
    t.positive += r.positive;
    t.neutral += r.neutral;
    t.negative += r.negative;
    t.mixed += r.mixed;
    t.scored += r.scored;
    t.score_sum += r.score_sum;
    t.rated += r.rated;
    t.rating_sum += r.rating_sum;
    t.rating_high += r.rating_high;
    t.aspect_scored += r.aspect_scored;
    t.aspect_sum += r.aspect_sum;
    t.aspect_positive += r.aspect_positive;
    t.aspect_negative += r.aspect_negative;
    t.wins += r.wins;
    t.losses += r.losses;
  }
  return t;
}

export function figures(m: Measures): Figures {
  const labelled = m.positive + m.neutral + m.negative + m.mixed;
  return {
    volume: m.volume,
    positive: m.positive,
    neutral: m.neutral,
    negative: m.negative,
    mixed: m.mixed,
    unscored: m.volume - labelled,
    meanSentiment: ratio(m.score_sum, m.scored),
    netSentiment: ratio(m.positive - m.negative, labelled),
    rated: m.rated,
    meanRating: ratio(m.rating_sum, m.rated),
    csat: ratio(m.rating_high, m.rated),
  };
}

export function aspectFigures(m: Measures): AspectFigures {
  return {
    aspectPositive: m.aspect_positive,
    aspectNegative: m.aspect_negative,
    aspectSentiment: ratio(m.aspect_sum, m.aspect_scored),
  };
}

export function relativeChange(now: number, before: number): number | null {
  return before > 0 ? round((now - before) / before) : null;
}

function difference(now: number | null, before: number | null): number | null {
  return now === null || before === null ? null : round(now - before);
}

export function change(now: Figures, before: Figures): Change {
  return {
    volume: relativeChange(now.volume, before.volume),
    positive: relativeChange(now.positive, before.positive),
    negative: relativeChange(now.negative, before.negative),
    meanSentiment: difference(now.meanSentiment, before.meanSentiment),
    netSentiment: difference(now.netSentiment, before.netSentiment),
    meanRating: difference(now.meanRating, before.meanRating),
    csat: difference(now.csat, before.csat),
  };
}
