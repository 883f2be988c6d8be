/**
 * A complaint pattern never counts as praise, nor a recommendation as a complaint: the pattern
 * features' weights keep their pattern's sign, in training and in the shipped model. Unconstrained,
 * seven complaint patterns had learned positive weights ("cancel-switch" +0.38), shown as reasons.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHIPPED_MODEL } from '../../src/nlp/analyzer.ts';
import { PATTERNS, patternsOf, withoutLookbehinds } from '../../src/nlp/features.ts';
import {
  type Example,
  PATTERN_SIGNS,
  trainLogistic,
  withPatternPriors,
} from '../../src/nlp/training/train.ts';
import { testAnalyzer } from '../helpers/deps.ts';

describe('pattern weights keep their sign', () => {
  it('covers every pattern', () => {
    expect([...PATTERN_SIGNS.keys()].sort()).toEqual(PATTERNS.map((p) => `p:${p.id}`).sort());
  });

  it('in training: a complaint pattern seen only in positive texts gets no positive weight', () => {
    const examples: Example[] = Array.from({ length: 40 }, (_, i) => ({
      set: 's',
      features: new Map([
        ['p:refund', 1],
        ['p:recommend', 1],
        [`w:word${i % 4}`, 1],
        ['bias', 1],
      ]),
      y: 1,
      weight: 1,
      binary: 1,
    }));
    const negatives: Example[] = Array.from({ length: 40 }, (_, i) => ({
      set: 's',
      features: new Map([
        ['p:recommend', 1],
        [`w:other${i % 4}`, 1],
        ['bias', 1],
      ]),
      y: 0,
      weight: 1,
      binary: 0,
    }));
    const weights = trainLogistic([...examples, ...negatives]);
    expect(weights.get('p:refund')).toBe(0);
    // Seen in as many negative texts as positive ones, the recommendation cannot go below zero either.
    expect(weights.get('p:recommend') ?? 0).toBeGreaterThanOrEqual(0);
    // Free features still learn.
    expect(weights.get('w:word0') ?? 0).toBeGreaterThan(0);
  });

  it('a pattern the data never showed gets the median weight of the patterns of its sign it did', () => {
    const weights = new Map([
      ['p:refund', -1.2],
      ['p:waste', -0.2],
      ['p:avoid', -0.6],
      // Seen, but held at 0 by its sign: the data's word, kept (and no part of the median).
      ['p:cancel-switch', 0],
      ['p:praise-idiom', 1.5],
      ['p:resolved', 0.9],
      ['p:recommend', 0.1],
      ['w:late', -3],
    ]);
    const seen = new Set(weights.keys());
    withPatternPriors(weights, (key) => seen.has(key));
    expect(weights.get('p:late')).toBeCloseTo(-0.6, 10);
    expect(weights.get('p:wrong-item')).toBeCloseTo(-0.6, 10);
    expect(weights.get('p:quick-service')).toBeCloseTo(0.9, 10);
    expect(weights.get('p:cancel-switch')).toBe(0);
    expect(weights.get('p:refund')).toBe(-1.2);
    for (const key of PATTERN_SIGNS.keys()) expect(weights.has(key), key).toBe(true);
  });

  it('in training: a pattern no text holds still speaks, with its sign', () => {
    const examples: Example[] = Array.from({ length: 40 }, (_, i) => ({
      set: 's',
      features: new Map([
        [i % 2 ? 'p:refund' : 'p:resolved', 1],
        ['bias', 1],
      ]),
      y: i % 2 ? 0 : 1,
      weight: 1,
      binary: i % 2 ? 0 : 1,
    }));
    const weights = trainLogistic(examples);
    expect(weights.get('p:late')).toBe(weights.get('p:refund'));
    expect(weights.get('p:quick-service')).toBe(weights.get('p:resolved'));
    expect(weights.get('p:refund') ?? 0).toBeLessThan(0);
  });

  it('in the shipped model', () => {
    for (const [key, sign] of PATTERN_SIGNS) {
      const weight = SHIPPED_MODEL.weights[key] ?? 0;
      expect(sign * weight, key).toBeGreaterThanOrEqual(0);
    }
  });

  it('so a churn or complaint pattern is never a reason for praise', () => {
    const analyzer = testAnalyzer();
    for (const text of [
      'Cancelling our plan, switching to another provider.',
      'No wifi, no food, never again.',
      'The app is broken and I am disappointed.',
      'I will not be flying with you again.',
      'What a waste of money.',
    ]) {
      const result = analyzer.analyze(text);
      const all = [...result.reasons, ...result.sentences.flatMap((s) => s.reasons)];
      for (const reason of all.filter((r) => r.kind === 'pattern'))
        expect(reason.effect, text).toBeLessThan(0);
      expect(result.score, text).toBeLessThan(0);
    }
  });
});

describe('patternsOf', () => {
  // One alternation of every pattern (less its lookbehinds) screens a text before each is tried: it
  // must keep exactly the patterns whose screen matches, and so every pattern that matches the text or
  // any part of it (a clause, which a lookbehind may find unnegated). Texts are made of phrases each
  // pattern matches (generated from its expression, less its word boundaries and lookarounds, which
  // fast-check cannot generate) and the patterns' own words, so most match one pattern or several.
  const phrases = PATTERNS.map((p) => fc.stringMatching(new RegExp(`^${withoutAssertions(p.re.source)}$`)));
  const words = [...new Set(PATTERNS.flatMap((p) => p.re.source.match(/[a-z']{2,}/g) ?? []))];
  const text = fc
    .array(
      fc.oneof(...phrases, fc.constantFrom(...words, 'my', 'the', 'acme', '3', '.', ',', 'not', "n't")),
      {
        maxLength: 6,
      },
    )
    .chain((parts) =>
      // Mostly spaced, sometimes glued ("has" + "n't arrived"): a word boundary may be missing.
      fc
        .array(fc.constantFrom(' ', ' ', ' ', ''), { minLength: parts.length, maxLength: parts.length })
        .map((gaps) => parts.map((part, i) => (i === 0 ? part : `${gaps[i]}${part}`)).join('')),
    );
  const screens = PATTERNS.map((p) => new RegExp(withoutLookbehinds(p.re.source)));
  const screenEach = (lower: string) => PATTERNS.filter((_, k) => screens[k]?.test(lower));

  it('finds what trying each screen finds, which holds every pattern matching a part of the text', () => {
    fc.assert(
      fc.property(text, fc.nat(), (lower, cut) => {
        const found = patternsOf(lower);
        expect(found).toEqual(screenEach(lower));
        const spaces = [...lower.matchAll(/ /g)].map((m) => (m.index ?? 0) + 1);
        const part = lower.slice([0, ...spaces][cut % (spaces.length + 1)]);
        for (const pattern of PATTERNS.filter((p) => p.re.test(part) || p.re.test(lower))) {
          expect(found, `${pattern.id} in "${part}"`).toContain(pattern);
        }
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('is tried on texts that match every pattern (the property is not vacuous)', () => {
    const samples = fc.sample(text, { numRuns: 3000, seed: 42 });
    for (const pattern of PATTERNS) {
      expect(
        samples.some((lower) => pattern.re.test(lower)),
        pattern.id,
      ).toBe(true);
    }
  });

  it('screens with the lookbehinds removed, and nothing else', () => {
    expect(withoutLookbehinds(String.raw`(?<!\bnot\s+)\b(?:fixed|sorted)\b`)).toBe(
      String.raw`\b(?:fixed|sorted)\b`,
    );
    expect(withoutLookbehinds('a(?<=[)(]b)c(?!d)')).toBe('ac(?!d)');
    expect(withoutLookbehinds('(?<name>x)')).toBe('(?<name>x)');
    // "n't arrived" has no word boundary before it: its pattern's leading \b is not factored out.
    expect(patternsOf("my parcel still hasn't arrived").map((p) => p.id)).toEqual(['not-delivered']);
    // A negated match is still screened in, since a clause of the text may hold it unnegated.
    expect(patternsOf('i was not disappointed').map((p) => p.id)).toEqual(['disappointed']);
  });
});

/** A regular expression's source without `\\b` and lookarounds (balanced parentheses). */
function withoutAssertions(source: string): string {
  let out = source.replaceAll('\\b', '');
  for (let at = out.search(/\(\?<?[!=]/); at >= 0; at = out.search(/\(\?<?[!=]/)) {
    let depth = 0;
    let end = at;
    for (; end < out.length; end++) {
      if (out[end] === '\\') end++;
      else if (out[end] === '(') depth++;
      else if (out[end] === ')' && --depth === 0) break;
    }
    out = out.slice(0, at) + out.slice(end + 1);
  }
  return out;
}
