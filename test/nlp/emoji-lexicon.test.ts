import { describe, expect, it } from 'vitest';
import { SHIPPED_MODEL } from '../../src/nlp/analyzer.ts';
import { EMOJI_LEXICON, winkEmojiValences } from '../../src/nlp/emoji-lexicon.ts';
import { newWinkInstance } from '../../src/nlp/wink.ts';
import { testAnalyzer } from '../helpers/deps.ts';

describe('emoji lexicon', () => {
  const wink = winkEmojiValences(newWinkInstance(['sbd', 'negation', 'sentiment']));

  it("takes wink's own emoji valences, on VADER's scale", () => {
    expect(wink.size).toBeGreaterThan(200);
    expect(wink.get('❤')).toBe(3.2); // wink +4 of 5
    expect(wink.get('😒')).toBe(-1.6);
    for (const valence of wink.values()) expect(Math.abs(valence)).toBeLessThanOrEqual(4);
  });

  it("sets earshot's own where wink has none or a weaker one, within VADER's −4..4", () => {
    for (const [emoji, valence] of EMOJI_LEXICON) {
      expect(Math.abs(valence), emoji).toBeGreaterThan(0);
      expect(Math.abs(valence), emoji).toBeLessThanOrEqual(4);
      expect(SHIPPED_MODEL.lexicon[emoji], emoji).toBe(valence);
    }
    expect(wink.has('🤬')).toBe(false);
    expect(Math.abs(EMOJI_LEXICON.get('😡') ?? 0)).toBeGreaterThan(Math.abs(wink.get('😡') ?? 0));
  });

  it('moves the scores of posts that are mostly emoji', () => {
    const analyzer = testAnalyzer();
    const acme = (text: string) => analyzer.analyze(text, { ignoreWords: ['Acme'] });
    // Before: −0.16, +0.36 and −0.93 (wink's own document score alone; "fire" read as a fire).
    expect(acme('Acme 😡😡😡').label).toBe('negative');
    expect(acme('Acme 🙏❤️').label).toBe('positive');
    expect(acme('Acme is fire 🔥🔥').label).toBe('positive');
    expect(acme('Acme 🤮🤮').label).toBe('negative');
    expect(acme('new Acme headphones 🥰').label).toBe('positive');
    const reasons = acme('Acme 😡😡😡').reasons.map((r) => r.text);
    expect(reasons.join(' ')).toMatch(/negative|😡/);
  });
});
