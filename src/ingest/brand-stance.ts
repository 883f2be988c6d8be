/**
 * A brand's own sentiment in a mention: what the sentences naming it say, not the whole text. In
 * "Acme delivered in a day. Globex lost my parcel." Acme comes out at the first sentence's score and
 * Globex at the second's. A sentence that names two brands and compares them ("Acme is way better
 * than Globex", "switched from Globex to Acme") gives the winner a positive stance and the loser a
 * negative one, whatever the sentence's own score. The stances decide who came out better in
 * direct comparisons (analytics' head-to-head).
 */
import { termPattern } from '../nlp/brand-terms.ts';

export type StanceSentence = { text: string; score: number };
export type StanceBrand = { brandId: number; terms: readonly string[] };

/** The stance a comparison gives its winner (and, negated, its loser). */
export const COMPARISON_STANCE = 0.6;

const BETTER = `(?:better|faster|cheaper|nicer|easier|smoother|friendlier|more reliable|more helpful|way ahead of|superior to|beats?|beat|outperforms?|crushes|destroys|wins? over)`;
const WORSE = `(?:worse|slower|pricier|more expensive|harder|less reliable|less helpful|inferior to|behind)`;

type Comparison = { winner: 'first' | 'second' };

/**
 * How a sentence compares the brand named first with the brand named second: `between` is the text
 * between the two names, `before` the text before the first.
 */
function compare(before: string, between: string): Comparison | null {
  const b = between.toLowerCase();
  const pre = before.toLowerCase();
  // "switched from X to Y", "moved from X to Y", "left X for Y": the second wins.
  if (
    /\b(?:switch(?:ed|ing)?|mov(?:ed|ing)|went|came|migrat(?:ed|ing)|chang(?:ed|ing)) (?:over )?from\s*$/.test(
      pre,
    )
  ) {
    if (/^\W*(?:\S+\s+){0,3}?(?:to|for)\b/.test(b)) return { winner: 'second' };
  }
  if (/\b(?:left|ditched|dropped|quit|cancell?ed)\s*$/.test(pre) && /^\W*(?:\S+\s+){0,3}?for\b/.test(b)) {
    return { winner: 'second' };
  }
  // "prefer X over/to Y", "X over Y any day".
  if (/\bprefer(?:red|s)?\s*$/.test(pre) && /^\W*(?:\S+\s+){0,3}?(?:over|to)\b/.test(b)) {
    return { winner: 'first' };
  }
  if (new RegExp(String.raw`\b(?:not|n't|never|no)\s+(?:\w+\s+){0,2}${BETTER}\b`).test(b)) {
    return { winner: 'second' };
  }
  if (
    new RegExp(String.raw`\b${BETTER}\b`).test(b) &&
    /\b(?:than|to|over)\b|\bbeats?\b|\boutperforms?\b|\bcrushes\b|\bdestroys\b|\bahead of\b/.test(b)
  ) {
    return { winner: 'first' };
  }
  if (new RegExp(String.raw`\b${WORSE}\b`).test(b)) return { winner: 'second' };
  return null;
}

type Found = { brandId: number; index: number; end: number };

type Patterns = { brandId: number; patterns: RegExp[] };

function firstMention(text: string, brand: Patterns): Found | null {
  let best: Found | null = null;
  for (const pattern of brand.patterns) {
    const match = pattern.exec(text);
    if (match && (best === null || match.index < best.index)) {
      best = { brandId: brand.brandId, index: match.index, end: match.index + match[0].length };
    }
  }
  return best;
}

/**
 * Each brand's stance, −1..1, or the document's score where no sentence names it (a brand matched
 * through its source, say, or by a term spanning sentences).
 */
export function brandStances(
  sentences: readonly StanceSentence[],
  documentScore: number | null,
  brands: readonly StanceBrand[],
): Map<number, number | null> {
  const sums = new Map<number, { sum: number; count: number }>();
  const add = (brandId: number, score: number) => {
    const entry = sums.get(brandId) ?? { sum: 0, count: 0 };
    entry.sum += score;
    entry.count += 1;
    sums.set(brandId, entry);
  };
  const compiled = brands.map((b) => ({ brandId: b.brandId, patterns: b.terms.map(termPattern) }));
  for (const sentence of sentences) {
    const found = compiled
      .map((brand) => firstMention(sentence.text, brand))
      .filter((f): f is Found => f !== null)
      .sort((a, b) => a.index - b.index);
    if (found.length === 0) continue;
    const [first, second] = found as [Found, Found | undefined];
    const comparison =
      second && second.index >= first.end
        ? compare(sentence.text.slice(0, first.index), sentence.text.slice(first.end, second.index))
        : null;
    for (const f of found) {
      if (comparison && second && (f === first || f === second)) {
        const wins = (comparison.winner === 'first') === (f === first);
        add(f.brandId, wins ? COMPARISON_STANCE : -COMPARISON_STANCE);
      } else {
        add(f.brandId, sentence.score);
      }
    }
  }
  const stances = new Map<number, number | null>();
  for (const brand of brands) {
    const entry = sums.get(brand.brandId);
    stances.set(brand.brandId, entry ? Math.round((entry.sum / entry.count) * 1000) / 1000 : documentScore);
  }
  return stances;
}
