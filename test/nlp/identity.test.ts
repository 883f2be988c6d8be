import { describe, expect, it } from 'vitest';
import { createAnalyzer, SHIPPED_MODEL } from '../../src/nlp/analyzer.ts';
import { IDENTITY_TERMS } from '../../src/nlp/identity-terms.ts';
import { createReader } from '../../src/nlp/read.ts';
import { properNames } from '../../src/nlp/training/proper-names.ts';

/** Religion, nationality, orientation, gender identity, disability; some scored by wink's own lexicon. */
const ADJECTIVES = [
  'Jewish',
  'Muslim',
  'Christian',
  'Catholic',
  'Protestant',
  'gay',
  'lesbian',
  'transgender',
  'Korean',
  'Mexican',
  'Indian',
  'deaf',
  'blind',
  'disabled',
];
const PLURALS = ['Jews', 'Muslims', 'Christians', 'women', 'men', 'Koreans', 'Mexicans', 'Indians', 'gays'];

const TEMPLATES: Array<[string, readonly string[]]> = [
  ['My {} friends love the new Acme app.', ADJECTIVES],
  ['The {} customers were ignored by Acme support for a week. Never again.', ADJECTIVES],
  ['Acme opened a store for {} shoppers in Berlin.', ADJECTIVES],
  ['Acme ran an ad with {} in it and the comments are wild', PLURALS],
  ['Not sure the {} at the Acme counter liked it, but I did!', PLURALS],
];

describe('identity terms carry no sentiment', () => {
  const analyzer = createAnalyzer();

  it.each(TEMPLATES)('"%s" scores the same whoever it names', (template, terms) => {
    const results = terms.map((term) => analyzer.analyze(template.replace('{}', term)));
    const first = results[0]!;
    for (const [k, result] of results.entries()) {
      expect(result.score, terms[k]).toBe(first.score);
      expect(result.label, terms[k]).toBe(first.label);
      expect(
        result.sentences.map((s) => s.score),
        terms[k],
      ).toEqual(first.sentences.map((s) => s.score));
    }
  });

  it('never gives an identity term as a reason for a label', () => {
    for (const [template, terms] of TEMPLATES) {
      for (const term of terms) {
        const result = analyzer.analyze(template.replace('{}', term));
        const reasons = [...result.reasons, ...result.sentences.flatMap((s) => s.reasons)];
        for (const reason of reasons) {
          const words = reason.text.toLowerCase().split(/[\s_#]+/);
          expect(
            words.some((w) => IDENTITY_TERMS.has(w)),
            `${term}: ${reason.text}`,
          ).toBe(false);
        }
      }
    }
  });

  it('also inside hashtags', () => {
    const gay = analyzer.analyze('Proud of the Acme campaign #gay');
    const jewish = analyzer.analyze('Proud of the Acme campaign #jewish');
    expect(gay.score).toBe(jewish.score);
  });

  it("takes wink's sentence scores with identity terms masked", () => {
    const reader = createReader();
    // wink's own lexicon scores "gay" (+0.54) and "protestant" (−1), not "jewish".
    const scores = ['gay', 'protestant', 'jewish'].map((term) => {
      const read = reader.read(`I love my ${term} neighbours. The ${term} church is lovely.`);
      return [read.winkScore, ...read.sentences.map((s) => s.winkScore)];
    });
    expect(scores[0]).toEqual(scores[2]);
    expect(scores[1]).toEqual(scores[2]);
    expect(scores[2]?.[0]).toBeGreaterThan(0); // the rest of the text still counts
  });

  it('has no weight on any identity term in the shipped model', () => {
    expect(weightedOn(IDENTITY_TERMS)).toEqual([]);
  });
});

/** The shipped model's weights whose feature involves one of `words`. */
function weightedOn(words: ReadonlySet<string>): string[] {
  return Object.keys(SHIPPED_MODEL.weights).filter((key) =>
    key
      .slice(key.indexOf(':') + 1)
      .split('_')
      .some((word) => words.has(word.replace(/^n:/, ''))),
  );
}

describe('place and person names carry no sentiment', () => {
  const analyzer = createAnalyzer();
  const names = new Set(SHIPPED_MODEL.names);
  // Trained freely: colorado +1.42, canada +1.33, denver +1.14, paris +1.00; spielberg +1.57,
  // seagal −1.60, pacino +1.25, kubrick +1.23.
  const PLACES = ['Denver', 'Colorado', 'Canada', 'Paris', 'Toronto', 'Angeles'];
  const PEOPLE = ['Spielberg', 'Seagal', 'Pacino', 'Kubrick', 'Giuliani'];

  it.each([
    ['Flew Acme to {} on Tuesday. The seat was fine.', PLACES],
    ['Acme opens its first store in {} next week', PLACES],
    ['Watched the new {} film on my Acme TV last night', PEOPLE],
  ] as Array<[string, string[]]>)('"%s" scores the same whoever or wherever it names', (template, terms) => {
    for (const term of terms) expect(names.has(term.toLowerCase()), term).toBe(true);
    const results = terms.map((term) => analyzer.analyze(template.replace('{}', term)));
    for (const [k, result] of results.entries()) {
      expect(result.score, terms[k]).toBe(results[0]!.score);
      expect(result.reasons.map((r) => r.text.toLowerCase())).not.toContain(terms[k]!.toLowerCase());
    }
  });

  it('has no weight on any name in the shipped model', () => {
    expect(names.size).toBeGreaterThan(1000);
    expect(weightedOn(names)).toEqual([]);
  });
});

describe('properNames', () => {
  const none = () => false;
  const items = (...texts: string[]) => [
    { items: texts.map((text) => ({ text, label: 'positive' as const })) },
  ];

  it('finds words written Capitalised away from the start of a sentence', () => {
    const found = properNames(
      items('We flew to Denver on Sunday. Denver was cold.', 'Loved Paris and the food', 'I miss paris'),
      none,
    );
    expect(found).toContain('denver');
    // Seen once: the model keeps no feature seen once, so there is no weight to take away.
    expect(found).not.toContain('sunday');
    // Capitalised once and lower case once: a word, not a name.
    expect(found).not.toContain('paris');
  });

  it('does not count the first word of a sentence or a quotation, shouted words or handles', () => {
    const found = properNames(
      items(
        'Great flight. Great crew.',
        'They said "Terrible service" and "Terrible food"',
        'So AWFUL and AWFUL',
        '@Acme @Acme hi',
      ),
      none,
    );
    expect(found).toEqual([]);
  });

  it('leaves out words a lexicon scores', () => {
    const text = 'I watched Love Actually and then Love Story and Toronto, then Toronto again';
    expect(properNames(items(text), (word) => word === 'love')).toEqual(['toronto']);
  });
});

describe("a brand's own name is no sentiment about it", () => {
  const analyzer = createAnalyzer();
  // Names with a learned weight or a lexicon valence: united (VADER +1.8), samsung, delta, virgin…
  const BRANDS = ['United', 'Delta', 'Virgin', 'Samsung', 'Verizon', 'Zoom', 'Acme'];

  it.each([
    'Flew {} to Denver on Tuesday. The seat was fine.',
    'Switched from {} after the second outage this month!',
    'The {} app keeps logging me out but support sorted it quickly',
  ])('"%s" scores the same for every brand it names', (template) => {
    const results = BRANDS.map((brand) =>
      analyzer.analyze(template.replace('{}', brand), { ignoreWords: [brand] }),
    );
    for (const [k, result] of results.entries()) {
      expect(result.score, BRANDS[k]).toBe(results[0]!.score);
      expect(result.sentences.map((s) => s.score)).toEqual(results[0]!.sentences.map((s) => s.score));
      const words = result.reasons.map((r) => r.text.toLowerCase());
      expect(words, BRANDS[k]).not.toContain(BRANDS[k]!.toLowerCase());
    }
  });

  it('counts the name as a word where no brand is given', () => {
    const text = 'Flew United to Denver on Tuesday.';
    expect(analyzer.analyze(text).score).toBeGreaterThan(
      analyzer.analyze(text, { ignoreWords: ['United'] }).score!,
    );
  });
});
