/**
 * Words of corporate news carry no sentiment of their own (news-words.ts): "ceo" had learned −0.79 and
 * "founder" +0.78, so "Acme's CEO will speak at the conference tomorrow." was a negative mention.
 */
import { describe, expect, it } from 'vitest';
import { NEWS_WORDS } from '../../src/nlp/news-words.ts';
import { testAnalyzer } from '../helpers/deps.ts';

// Written alike (an all-capitals "CEO" is a CAPS cue of its own).
const ROLES = ['ceo', 'founder', 'spokesperson', 'chairman', 'cfo', 'investors', 'analysts', 'executive'];
const TEMPLATES = [
  "Acme's {} will speak at the conference tomorrow.",
  'The {} of Acme says the new phone ships in March.',
  'Acme support ignored me for a week, and now the {} wants feedback?',
];

describe('corporate news words carry no sentiment', () => {
  const analyzer = testAnalyzer();
  const acme = { ignoreWords: ['Acme'] };

  it.each(TEMPLATES)('"%s" scores the same whoever speaks for the company', (template) => {
    const results = ROLES.map((role) => analyzer.analyze(template.replace('{}', role), acme));
    for (const [k, result] of results.entries()) {
      expect(result.score, ROLES[k]).toBe(results[0]?.score);
      const words = result.reasons.flatMap((r) => r.text.toLowerCase().split(/[\s,_#]+/));
      expect(
        words.filter((w) => NEWS_WORDS.has(w)),
        ROLES[k],
      ).toEqual([]);
    }
  });

  it('leaves a plain announcement unalarming, and the news itself scored', () => {
    expect(analyzer.analyze("Acme's CEO will speak at the conference tomorrow.", acme).label).not.toBe(
      'negative',
    );
    expect(analyzer.analyze("Acme's founder steps down as chairman", acme).label).not.toBe('positive');
    expect(analyzer.analyze('Acme announces layoffs of 500 staff', acme).label).toBe('negative');
    expect(analyzer.analyze('Acme faces lawsuit over data breach', acme).label).toBe('negative');
  });
});
