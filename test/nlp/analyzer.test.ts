import { describe, expect, it } from 'vitest';
import { labelFor, NEUTRAL_BAND } from '../../src/nlp/analyzer.ts';
import { testAnalyzer } from '../helpers/deps.ts';

describe('analyzer', () => {
  const analyzer = testAnalyzer();

  it('labels clear praise and clear complaints', () => {
    expect(analyzer.analyze('I love this phone, the camera is superb.').label).toBe('positive');
    expect(analyzer.analyze('Terrible service. The staff were rude and the food was awful.').label).toBe(
      'negative',
    );
    expect(analyzer.analyze('The store opens at nine.').label).toBe('neutral');
  });

  it('scores each sentence and keeps scores in -1..1', () => {
    const result = analyzer.analyze('The screen is great. The battery is terrible!!! Worst purchase ever.');
    expect(result.sentences).toHaveLength(3);
    expect(result.sentences[0]!.score).toBeGreaterThan(0);
    expect(result.sentences[1]!.score).toBeLessThan(0);
    for (const s of [result.score, ...result.sentences.map((x) => x.score)]) {
      expect(s).toBeGreaterThanOrEqual(-1);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('extracts noun themes, folds plurals, and leaves out the brand terms', () => {
    const result = analyzer.analyze('The Acme delivery times were awful. Great customer service though.', {
      ignoreWords: ['Acme'],
    });
    const themes = result.themes.map((t) => t.theme);
    expect(themes).toContain('delivery time');
    expect(themes).toContain('customer service');
    expect(themes.some((t) => t.includes('acme'))).toBe(false);
    const delivery = result.themes.find((t) => t.theme === 'delivery time');
    expect(delivery!.score).toBeLessThan(0);
  });

  it('lets a star rating inform the score, and says so', () => {
    const text = 'It arrived on Tuesday.';
    const plain = analyzer.analyze(text);
    expect(analyzer.analyze(text, { rating: 1 }).label).toBe('negative');
    expect(analyzer.analyze(text, { rating: 5 }).label).toBe('positive');
    const three = analyzer.analyze(text, { rating: 3 });
    // 3★ is neutral: it weighs twice the text, towards 0.
    expect(three.score).toBeCloseTo((plain.score ?? 0) / 3, 2);
    expect(three.reasons[0]).toMatchObject({ kind: 'rating', text: '3★' });
  });

  it('gives the same result for a text whatever was analysed before it', () => {
    const text = 'The refund took forever and nobody answered my emails. Zyxxor widgets are flimsy.';
    const first = analyzer.analyze(text);
    for (const other of [
      'Brand new words: flumbergast quizzaciously.',
      'I love it!!! 😍',
      'x'.repeat(5000),
      '',
    ]) {
      analyzer.analyze(other);
    }
    expect(analyzer.analyze(text)).toEqual(first);
  });

  it('copes with empty, huge and odd input', () => {
    expect(analyzer.analyze('').label).toBe('neutral');
    expect(analyzer.analyze('   \n\t ').label).toBe('neutral');
    const huge = analyzer.analyze('bad service. '.repeat(10_000));
    expect(huge.label).toBe('negative');
    expect(analyzer.analyze('\u0000\u200b<script>alert(1)</script>').score).toBeTypeOf('number');
  });

  it('uses one neutral band', () => {
    expect(labelFor(NEUTRAL_BAND)).toBe('neutral');
    expect(labelFor(-NEUTRAL_BAND)).toBe('neutral');
    expect(labelFor(NEUTRAL_BAND + 0.001)).toBe('positive');
    expect(labelFor(-NEUTRAL_BAND - 0.001)).toBe('negative');
  });
});
