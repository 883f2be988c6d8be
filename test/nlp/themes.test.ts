import { describe, expect, it } from 'vitest';
import model from 'wink-eng-lite-web-model';
import winkNLP from 'wink-nlp';
import { createThemeExtractor, GENERIC_WORDS, rankDistinctive, type Theme } from '../../src/nlp/themes.ts';

const extractor = createThemeExtractor();
const themesOf = (text: string, ignoreWords?: string[]) =>
  extractor.extract(text, { ignoreWords }).map((t) => t.theme);
const find = (themes: Theme[], theme: string) => themes.find((t) => t.theme === theme);

describe('extract', () => {
  it('finds nouns at the start of a sentence and in capitals (tagged on lowercased text)', () => {
    expect(themesOf('Delivery was late.')).toEqual(['delivery']);
    expect(themesOf('BATTERY LIFE IS AWFUL!!!')).toEqual(['battery life']);
    expect(themesOf('Battery Life Is Great, Screen Is Not')).toEqual(['battery life', 'screen']);
  });

  it('gives each theme the score of the sentences holding it (aspect sentiment)', () => {
    const text = 'Battery life is great. But the screen scratches easily.';
    const themes = extractor.extract(text, { sentenceScores: [0.6, -0.4] });
    expect(themes).toEqual([
      { theme: 'battery life', score: 0.6, count: 1 },
      // "scratches" is read as a plural noun by the tagger; a clause with no other verb makes it the verb.
      { theme: 'screen', score: -0.4, count: 1 },
    ]);
  });

  it('gives themes of one sentence that sentence’s score, unless given clause scores', () => {
    // wink splits no sentence at "but": with sentence scores only, both themes get the one score.
    const text = 'Battery life is great but the screen scratches easily';
    const themes = extractor.extract(text, { sentenceScores: [0.3] });
    expect(themes.map((t) => [t.theme, t.score])).toEqual([
      ['battery life', 0.3],
      ['screen', 0.3],
    ]);
    // The analyzer's clauses: tokens 0-3 ("battery life is great"), 4-8 ("but the screen …").
    const clauses = { of: [0, 0, 0, 0, 1, 1, 1, 1, 1], scores: [0.7, -0.5] };
    const byClause = extractor.extract(text, { sentenceScores: [0.3], clauses });
    expect(byClause.map((t) => [t.theme, t.score])).toEqual([
      ['battery life', 0.7],
      ['screen', -0.5],
    ]);
    expect(() => extractor.extract(text, { clauses: { of: [0, 1], scores: [0, 0] } })).toThrow(RangeError);
  });

  it('averages over the sentences holding a theme and counts every occurrence', () => {
    const text =
      'The refund policy is fair. The refund policy is slow and the refund policy page is broken. Nice box.';
    const themes = extractor.extract(text, { sentenceScores: [0.5, -0.1, 0.2] });
    expect(find(themes, 'refund policy')).toEqual({ theme: 'refund policy', score: 0.2, count: 2 });
    expect(find(themes, 'refund policy page')).toEqual({
      theme: 'refund policy page',
      score: -0.1,
      count: 1,
    });
    expect(themes[0]!.theme).toBe('refund policy');
  });

  it('folds plurals, but never into a different word', () => {
    expect(themesOf('The delivery times were awful.')).toEqual(['delivery time']);
    expect(themesOf('The batteries died. Boxes were crushed. Knives were blunt.')).toEqual([
      'battery',
      'box',
      'knife',
    ]);
    expect(themesOf('The app is slow and the apps all crash.')).toContain('app');
    expect(themesOf('The data plan was fine.')).toEqual(['data plan']);
    expect(themesOf('our christmas deliveries were late')).toEqual(['christmas delivery']);
  });

  it('prefers compounds and skips evaluative adjectives', () => {
    expect(themesOf('Great customer service and terrible refund policy.')).toEqual([
      'customer service',
      'refund policy',
    ]);
    expect(themesOf('The sound quality is poor but free shipping helps.')).toEqual([
      'sound quality',
      'free shipping',
    ]);
    expect(themesOf('My charging cable broke.')).toEqual(['charging cable']);
    expect(themesOf('The customer service phone line queue was long.')).toEqual(['phone line queue']);
  });

  it('leaves out the brand’s own terms', () => {
    const themes = themesOf(
      'The Acme delivery was slow. acme support was slow too. Loved the Acme Phone camera.',
      ['Acme Phone'],
    );
    expect(themes).toEqual(['delivery', 'support', 'camera']);
  });

  it('leaves out generic words, unless part of a compound', () => {
    expect(themesOf('The thing is, the product took a long time and people were upset.')).toEqual([]);
    expect(themesOf('The delivery time was fine.')).toEqual(['delivery time']);
    expect(GENERIC_WORDS).toContain('product');
  });

  it('takes a list of generic words of its own', () => {
    const custom = createThemeExtractor(['delivery']);
    expect(custom.extract('Delivery was late. The thing broke.').map((t) => t.theme)).toEqual(['thing']);
  });

  it('leaves out names, links and handles', () => {
    expect(themesOf('I met Dr. Smith at the store.')).toEqual(['store']);
    expect(themesOf('I switched to Globex and the support is better.')).toEqual(['support']);
    expect(themesOf('See https://example.com/deals or @shopbot for delivery options #sale')).toEqual([
      'delivery option',
    ]);
  });

  it('returns nothing for empty text', () => {
    expect(extractor.extract('')).toEqual([]);
    expect(extractor.extract('   ', { sentenceScores: [0] })).toEqual([]);
  });
});

describe('the sentence contract', () => {
  const wink = winkNLP(model);
  const texts = [
    'The delivery came at 11am. The battery is bad.',
    'Delivery came at 5pm. Battery died at noon.',
    'Great phone!!! The battery dies fast... Screen is fine',
    'I met Dr. Smith at the store. Refund was quick.',
    '',
  ];

  it('splits sentences as a reader would (and where wink misses one after a time)', () => {
    expect(texts.map((text) => extractor.sentences(text))).toEqual([
      ['The delivery came at 11am.', 'The battery is bad.'],
      // wink, even on the text as given, reads this as one sentence.
      ['Delivery came at 5pm.', 'Battery died at noon.'],
      ['Great phone!!!', 'The battery dies fast...', 'Screen is fine'],
      ['I met Dr. Smith at the store.', 'Refund was quick.'],
      [],
    ]);
  });

  it('splits where the text as written starts a sentence that wink misses once lowercased', () => {
    // Lowercased, wink reads this as one sentence; as given, as two.
    const text = 'The delivery came at 11am. The battery is bad.';
    expect(wink.readDoc(text.toLowerCase()).sentences().length()).toBe(1);
    const themes = extractor.extract(text, { sentenceScores: [0.5, -0.5] });
    expect(themes).toEqual([
      { theme: 'delivery', score: 0.5, count: 1 },
      { theme: 'battery', score: -0.5, count: 1 },
    ]);
  });

  it('throws when the scores do not follow the split', () => {
    expect(() =>
      extractor.extract('Delivery was late. Support was rude.', { sentenceScores: [0.1] }),
    ).toThrow(RangeError);
    expect(() => extractor.extract('Delivery was late.', { sentenceScores: [Number.NaN] })).toThrow(
      RangeError,
    );
  });

  it('uses wink’s own sentence sentiment when no scores are given', () => {
    const text = 'The refund policy is awful. The camera is superb.';
    const expected = wink.readDoc(text).sentences().out(wink.its.sentiment) as unknown as number[];
    const themes = extractor.extract(text);
    expect(find(themes, 'refund policy')!.score).toBeCloseTo(expected[0]!, 3);
    expect(find(themes, 'camera')!.score).toBeCloseTo(expected[1]!, 3);
    expect(find(themes, 'refund policy')!.score).toBeLessThan(0);
  });
});

describe('determinism', () => {
  const probes = [
    'Delivery was late and the courier was rude.',
    'The Zorblex app crashes; battery life is poor.',
  ];

  it('gives the same themes whatever was read before, and across instances', () => {
    const first = probes.map((text) => extractor.extract(text, { ignoreWords: ['Zorblex'] }));
    for (const text of [
      'pc’s, phones and hard drives!!!',
      'Gronkified packaging, megasnazzy widgets.',
      'ÜBER TEXT ẞ',
    ]) {
      for (let round = 0; round < 20; round += 1) extractor.extract(text);
    }
    expect(probes.map((text) => extractor.extract(text, { ignoreWords: ['Zorblex'] }))).toEqual(first);
    const second = createThemeExtractor();
    expect(probes.map((text) => second.extract(text, { ignoreWords: ['Zorblex'] }))).toEqual(first);
  });
});

describe('rankDistinctive', () => {
  it('ranks themes unusually frequent for the brand above the common ones', () => {
    const counts = new Map([
      ['delivery', 30],
      ['refund delay', 10],
      ['battery', 5],
    ]);
    const background = new Map([
      ['delivery', 3000],
      ['refund delay', 20],
      ['battery', 500],
    ]);
    const ranked = rankDistinctive(counts, background, 100, 10_000);
    expect(ranked.map((t) => t.theme)).toEqual(['refund delay', 'battery', 'delivery']);
    expect(ranked[0]).toMatchObject({ theme: 'refund delay', count: 10 });
    expect(ranked[2]!.score).toBeCloseTo(0, 0);
  });

  it('keeps themes the background never saw finite, and needs evidence to rank them high', () => {
    const ranked = rankDistinctive(
      new Map([
        ['seat pitch', 1],
        ['lounge access', 12],
      ]),
      new Map(),
      50,
      5_000,
    );
    expect(ranked.map((t) => t.theme)).toEqual(['lounge access', 'seat pitch']);
    for (const t of ranked) expect(Number.isFinite(t.score)).toBe(true);
  });

  it('ranks below zero what the brand hears less of than everyone', () => {
    const ranked = rankDistinctive(new Map([['price', 2]]), new Map([['price', 4000]]), 100, 10_000);
    expect(ranked[0]!.score).toBeLessThan(0);
  });

  it('skips zero counts, breaks ties by count then name, and copes with empty input', () => {
    const ranked = rankDistinctive(
      new Map([
        ['b theme', 3],
        ['a theme', 3],
        ['unseen', 0],
      ]),
      new Map(),
      10,
      0,
    );
    expect(ranked.map((t) => t.theme)).toEqual(['a theme', 'b theme']);
    expect(rankDistinctive(new Map(), new Map(), 0, 0)).toEqual([]);
  });
});
