import { describe, expect, it } from 'vitest';
import { SHIPPED_MODEL } from '../../src/nlp/analyzer.ts';
import { DOMAIN_LEXICON, withDomainWords } from '../../src/nlp/domain-lexicon.ts';
import { readVaderLexicon, trainingLexicon } from '../../src/nlp/training/train.ts';

describe('domain lexicon', () => {
  const vader = readVaderLexicon();

  it('adds only words VADER does not rate, within its −4..4 scale', () => {
    for (const [word, valence] of DOMAIN_LEXICON) {
      expect(vader.has(word), word).toBe(false);
      expect(Math.abs(valence)).toBeGreaterThan(0);
      expect(Math.abs(valence)).toBeLessThanOrEqual(4);
    }
    const merged = withDomainWords(new Map([...vader, ['nightmare', 9]]));
    expect(merged.get('nightmare')).toBe(9); // an existing value is never overridden
    expect(merged.get('buggy')).toBe(DOMAIN_LEXICON.get('buggy'));
    expect(merged.size).toBe(vader.size + DOMAIN_LEXICON.size);
  });

  it('is part of the lexicon the shipped model was trained with', () => {
    const shipped = new Map(Object.entries(SHIPPED_MODEL.lexicon));
    expect(shipped).toEqual(trainingLexicon());
    for (const [word, valence] of DOMAIN_LEXICON) expect(shipped.get(word), word).toBe(valence);
  });
});
