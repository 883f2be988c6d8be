/**
 * A complaint pattern never counts as praise, nor a recommendation as a complaint: the pattern
 * features' weights keep their pattern's sign, in training and in the shipped model. Unconstrained,
 * seven complaint patterns had learned positive weights ("cancel-switch" +0.38), shown as reasons.
 */
import { describe, expect, it } from 'vitest';
import { SHIPPED_MODEL } from '../../src/nlp/analyzer.ts';
import { PATTERNS } from '../../src/nlp/features.ts';
import { type Example, PATTERN_SIGNS, trainLogistic } from '../../src/nlp/training/train.ts';
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
