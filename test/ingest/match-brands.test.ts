import { describe, expect, it } from 'vitest';
import { type BrandTerms, createBrandMatcher } from '../../src/ingest/match-brands.ts';

function brand(id: number, include: string[], exclude: string[] = []): BrandTerms {
  return { id, include_terms: include, exclude_terms: exclude };
}

/** The brand ids a matcher finds in a text. */
function idsIn(brands: BrandTerms[], text: string): number[] {
  return createBrandMatcher(brands)(text).map((match) => match.brandId);
}

describe('createBrandMatcher', () => {
  const acme = [brand(1, ['Acme'])];

  it('matches a term as a whole word, case-insensitively', () => {
    for (const text of ["acme's new phone", 'ACME!', 'Acme', 'I like Acme.', '(acme)', '"Acme"', 'acme_']) {
      const expected = text === 'acme_' ? [] : [1];
      expect(idsIn(acme, text), JSON.stringify(text)).toEqual(expected);
    }
  });

  it('does not match inside a longer word', () => {
    for (const text of ['acmeville', 'subacme', 'acme2', '2acme', 'AcmeCorp']) {
      expect(idsIn(acme, text), JSON.stringify(text)).toEqual([]);
    }
  });

  it('reports which terms matched', () => {
    const matcher = createBrandMatcher([brand(7, ['Acme', 'Acme Corp', 'Roadrunner'])]);
    expect(matcher('Acme Corp sues the roadrunner'), 'all matching include terms').toEqual([
      { brandId: 7, terms: ['Acme', 'Acme Corp', 'Roadrunner'] },
    ]);
  });

  it('lets whitespace inside a multi-word term match any run of whitespace', () => {
    const cloud = [brand(2, ['Acme  Cloud'])];
    expect(idsIn(cloud, 'we moved to acme\ncloud last year'), 'across a newline').toEqual([2]);
    expect(idsIn(cloud, 'Acme \t Cloud'), 'spaces and a tab').toEqual([2]);
    expect(idsIn(cloud, 'Acme Cloud'), 'one space').toEqual([2]);
    expect(idsIn(cloud, 'AcmeCloud'), 'no space at all').toEqual([]);
    expect(idsIn(cloud, 'Acme-Cloud'), 'a hyphen is not whitespace').toEqual([]);
    expect(idsIn(cloud, 'Acme Cloudy'), 'still whole words').toEqual([]);
  });

  it('ignores leading and trailing whitespace of a term', () => {
    expect(idsIn([brand(3, ['  Acme '])], 'Acme rocks'), 'padded term').toEqual([3]);
  });

  it('applies exclusions', () => {
    const apple = [brand(4, ['apple'], ['apple pie', 'Big Apple'])];
    expect(idsIn(apple, 'Apple released a new phone'), 'the company').toEqual([4]);
    expect(idsIn(apple, 'Grandma baked an apple pie'), 'excluded phrase').toEqual([]);
    expect(idsIn(apple, 'APPLE\nPIE recipe'), 'excluded phrase, other case and whitespace').toEqual([]);
    expect(idsIn(apple, 'Visiting the big apple'), 'second exclusion').toEqual([]);
    expect(idsIn(apple, 'apple pies are great'), 'exclusions are whole words too').toEqual([4]);
  });

  it('returns every brand a mention names', () => {
    const brands = [brand(1, ['Acme']), brand(2, ['Globex']), brand(3, ['Initech'])];
    expect(idsIn(brands, 'Acme and Globex announce a merger'), 'two of three brands').toEqual([1, 2]);
  });

  it('treats regex metacharacters in terms literally', () => {
    const brands = [
      brand(1, ['C++']),
      brand(2, ['AT&T']),
      brand(3, ['Yahoo!']),
      brand(4, ['node.js']),
      brand(5, ['(R)']),
    ];
    expect(idsIn(brands, 'I write C++ for a living'), 'C++').toEqual([1]);
    expect(idsIn(brands, 'c++, again'), 'C++ before punctuation').toEqual([1]);
    expect(idsIn(brands, 'C and Cpp'), 'C++ is not "C followed by pluses"').toEqual([]);
    expect(idsIn(brands, 'at&t outage today'), 'AT&T').toEqual([2]);
    expect(idsIn(brands, 'ATT outage'), 'AT&T needs its ampersand').toEqual([]);
    expect(idsIn(brands, 'I still use Yahoo! mail'), 'Yahoo!').toEqual([3]);
    expect(idsIn(brands, 'Yahoo mail'), 'Yahoo! needs its bang').toEqual([]);
    expect(idsIn(brands, 'built with Node.js'), 'node.js').toEqual([4]);
    expect(idsIn(brands, 'built with nodexjs'), 'the dot is not a wildcard').toEqual([]);
    expect(idsIn(brands, 'brand (R) mark'), '(R)').toEqual([5]);
    expect(idsIn(brands, 'brand R mark'), 'parentheses are not a group').toEqual([]);
  });

  it('treats Unicode letters as part of the word', () => {
    const zurich = [brand(6, ['Zürich'])];
    expect(idsIn(zurich, 'Grüße aus Zürich!'), 'the city').toEqual([6]);
    expect(idsIn(zurich, 'ZÜRICH'), 'Unicode case-insensitivity').toEqual([6]);
    expect(idsIn(zurich, 'Ein Tag am Zürichsee'), 'inside a compound').toEqual([]);
    expect(idsIn(zurich, 'Großzürich'), 'after letters').toEqual([]);
    expect(idsIn([brand(8, ['Acme'])], 'éAcme'), 'an accented letter before the term').toEqual([]);
    expect(idsIn([brand(9, ['Müller'])], 'Hans Müller-Lüdenscheidt'), 'a hyphen is a boundary').toEqual([9]);
  });

  it('ignores empty and whitespace-only terms', () => {
    const blankOnly = [brand(1, ['', '   ', '\n'])];
    expect(idsIn(blankOnly, 'any text at all'), 'a brand with only blank terms matches nothing').toEqual([]);
    const withBlanks = createBrandMatcher([brand(2, ['', 'Acme', ' '], ['', '  '])]);
    expect(withBlanks('Acme is here'), 'blank include/exclude terms are skipped').toEqual([
      { brandId: 2, terms: ['Acme'] },
    ]);
  });

  it('matches nothing with no brands or an empty text', () => {
    expect(createBrandMatcher([])('Acme'), 'no brands').toEqual([]);
    expect(idsIn(acme, ''), 'empty text').toEqual([]);
  });
});

describe('quoted terms and blocked authors and domains', () => {
  const brands = [
    {
      id: 1,
      include_terms: ['"Apple"', 'iPhone'],
      exclude_terms: [],
      blocked_authors: ['@AppleSupport', 'u/spambot'],
      blocked_domains: ['apple.com', 'spam.example'],
    },
  ];
  const match = createBrandMatcher(brands);

  it('matches a quoted term only with its exact case', () => {
    expect(match('Apple shipped it').map((m) => m.brandId)).toEqual([1]);
    expect(match('an apple a day')).toEqual([]);
    expect(match('my iphone broke').map((m) => m.terms)).toEqual([['iPhone']]);
  });

  it('drops items from blocked authors, whatever their prefix or case', () => {
    expect(match('Apple is great', { author: 'applesupport' })).toEqual([]);
    expect(match('Apple is great', { author: 'SpamBot' })).toEqual([]);
    expect(match('Apple is great', { author: 'someone' })).toHaveLength(1);
  });

  it('drops items from blocked domains and their subdomains', () => {
    expect(match('Apple news', { url: 'https://www.apple.com/newsroom/x' })).toEqual([]);
    expect(match('Apple news', { url: 'https://blog.spam.example/p' })).toEqual([]);
    expect(match('Apple news', { url: 'https://notapple.com/p' })).toHaveLength(1);
    expect(match('Apple news', { url: 'not a url' })).toHaveLength(1);
  });
});
