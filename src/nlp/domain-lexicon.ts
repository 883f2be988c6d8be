/**
 * Valences (VADER's −4..4 scale) for words of product and service complaints and praise that the
 * VADER lexicon lacks: "The billing page is a nightmare", "the app is buggy and laggy",
 * "support was unhelpful". The public training sets are movie, restaurant and phone reviews and
 * tweets, where these words are rare, so neither VADER's raters nor the learned weights give them a
 * direction; brand mentions are full of them.
 *
 * Each value is earshot's own, set by analogy with a VADER neighbour of similar strength (given in
 * the comment), and added to the lexicon the model is trained and scored with (train.ts): only words
 * VADER does not rate are listed, so no VADER value is overridden. Ambiguous words stay out ("fast"
 * shipping vs a battery that drains fast, "cheap", "late").
 */
export const DOMAIN_LEXICON: ReadonlyMap<string, number> = new Map([
  // Complaints.
  ['nightmare', -2.5], // horrible −2.5
  ['nightmarish', -2.5], // horrible −2.5
  ['unusable', -2.2], // broken −2.1
  ['buggy', -1.8], // broke −1.8
  ['glitchy', -1.7], // crash −1.7
  ['laggy', -1.6], // sluggish −1.7
  ['crashes', -1.7], // crash −1.7
  ['crashed', -1.7], // crash −1.7
  ['crashing', -1.7], // crash −1.7
  ['unreliable', -1.8], // useless −1.8
  ['unresponsive', -1.6], // sluggish −1.7
  ['unhelpful', -1.8], // useless −1.8
  ['overpriced', -1.7], // misleading −1.7
  ['overcharged', -2.0], // unacceptable −2.0
  ['ripoff', -2.5], // scam −2.7
  ['scammed', -2.7], // scam −2.7
  ['junk', -1.9], // defective −1.9
  ['garbage', -2.1], // terrible −2.1
  ['trash', -1.9], // defective −1.9
  ['subpar', -1.7], // misleading −1.7
  ['mediocre', -1.2], // missing −1.2
  ['sloppy', -1.5], // ridiculous −1.5
  ['clunky', -1.3], // faulty −1.3
  ['janky', -1.5], // clueless −1.5
  ['flaky', -1.3], // faulty −1.3
  ['bloated', -1.2], // missing −1.2
  ['outage', -1.5], // spam −1.5
  ['downtime', -1.1], // delayed −0.9
  ['hassle', -1.2], // missing −1.2
  ['understaffed', -1.2], // missing −1.2
  // Corporate news (its roles and events carry none: news-words.ts).
  ['outages', -1.5], // spam −1.5
  ['layoff', -1.5], // spam −1.5
  ['layoffs', -1.5], // spam −1.5
  ['bankruptcy', -2.6], // bankrupt −2.6
  ['breach', -1.4], // leak −1.4
  ['sued', -0.9], // lawsuit −0.9
  ['fined', -1.3], // leaked −1.3
  // Praise.
  ['seamless', 2.0], // efficient 1.8
  ['effortless', 1.8], // efficient 1.8
  ['intuitive', 1.7], // responsive 1.5
  ['reliable', 1.8], // helpful 1.8
  ['knowledgeable', 1.6], // responsive 1.5
  ['convenient', 1.5], // responsive 1.5
  ['affordable', 1.3], // painless 1.2
  ['snappy', 1.3], // painless 1.2
]);

/** VADER's lexicon with the domain words added (where VADER has no value of its own). */
export function withDomainWords(vader: ReadonlyMap<string, number>): Map<string, number> {
  const lexicon = new Map(vader);
  for (const [word, valence] of DOMAIN_LEXICON) if (!lexicon.has(word)) lexicon.set(word, valence);
  return lexicon;
}
