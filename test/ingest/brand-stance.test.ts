import { describe, expect, it } from 'vitest';
import { brandStances, COMPARISON_STANCE } from '../../src/ingest/brand-stance.ts';
import { VERDICT_SCORE } from '../../src/nlp/analyzer.ts';
import { testAnalyzer } from '../helpers/deps.ts';

const acme = { brandId: 1, terms: ['Acme'] };
const globex = { brandId: 2, terms: ['Globex', 'GBX'] };

function stances(sentences: Array<[string, number]>, documentScore: number | null = 0) {
  const map = brandStances(
    sentences.map(([text, score]) => ({ text, score })),
    documentScore,
    [acme, globex],
  );
  return [map.get(1), map.get(2)];
}

describe('brand stance in a mention', () => {
  it('takes the sentences naming each brand', () => {
    expect(
      stances([
        ['Acme delivered in a day.', 0.6],
        ['Globex lost my parcel.', -0.7],
      ]),
    ).toEqual([0.6, -0.7]);
    expect(
      stances([
        ['Acme is fine.', 0.2],
        ['Acme support is great.', 0.8],
        ['GBX meh', 0],
      ]),
    ).toEqual([0.5, 0]);
  });

  it('falls back to the document score where no sentence names the brand', () => {
    expect(stances([['Great service all round.', 0.7]], 0.7)).toEqual([0.7, 0.7]);
    expect(stances([], null)).toEqual([null, null]);
  });

  it('reads comparisons inside one sentence', () => {
    const win = COMPARISON_STANCE;
    expect(stances([['Acme is way better than Globex.', 0.3]])).toEqual([win, -win]);
    expect(stances([['Globex is so much slower than Acme', -0.2]])).toEqual([win, -win]);
    expect(stances([['I switched from Globex to Acme last year', 0]])).toEqual([win, -win]);
    expect(stances([['Honestly I prefer Acme over GBX', 0.1]])).toEqual([win, -win]);
    expect(stances([['Acme is not better than Globex', 0]])).toEqual([-win, win]);
    expect(stances([['Left Acme for Globex and never looked back', 0.2]])).toEqual([-win, win]);
  });

  it('gives both the sentence score when a sentence names both without comparing', () => {
    expect(stances([['Acme and Globex both raised prices.', -0.4]])).toEqual([-0.4, -0.4]);
  });

  it('takes a customer leaving a brand, read by the analyzer, as a stance against it', () => {
    const analyzer = testAnalyzer();
    const both = (text: string) => {
      const analysis = analyzer.analyze(text, { ignoreWords: ['Acme', 'Globex', 'GBX'] });
      const map = brandStances(analysis.sentences, analysis.score, [acme, globex]);
      return [map.get(1), map.get(2)];
    };
    // The leaving sentence is a verdict (the model alone read "I'm done with Acme." at +0.44).
    const [left] = both("I'm done with Acme. Moving everything to Globex this weekend.");
    expect(left).toBeLessThanOrEqual(VERDICT_SCORE);
    // Leaving one for the other in one sentence: the comparison says who won.
    const win = COMPARISON_STANCE;
    expect(both('Thinking about moving from Acme to Globex')).toEqual([-win, win]);
  });
});
