/**
 * Themes: the noun phrases people talk about ("battery life", "refund delay"), each with the sentiment
 * of the sentences it appears in (aspect sentiment: "battery life" can be negative inside a positive
 * review), and `rankDistinctive` to find the themes unusually frequent for one brand against a
 * background, rather than the ones every brand gets.
 *
 * `extract` takes a text, or a text already read by a `Reader` (the analyzer reads each text once for
 * its sentiment, themes and touchpoints). `sentenceScores`, when given, are one per sentence of that
 * read (`sentences(text)` lists them); a count that differs throws a RangeError. Without them, wink's
 * own sentence sentiment is used. The analyzer also passes `clauses`, a split finer than sentences
 * (at contrasts), so that a theme carries the score of its own clause.
 *
 * Parts of speech come from the lowercased text (wink tags capitalised words as proper nouns:
 * "Delivery was late" tags Delivery PROPN); names are found on the text as written.
 */
import { createReader, type Reader, type ReadText } from './read.ts';
import { termWords } from './wink.ts';

export const MAX_THEME_WORDS = 3;

/** Nouns too generic to be a theme on their own (singular: plurals are folded first). */
export const GENERIC_WORDS: readonly string[] = Object.freeze([
  'thing',
  'stuff',
  'time',
  'way',
  'lot',
  'bit',
  'kind',
  'sort',
  'type',
  'part',
  'day',
  'week',
  'month',
  'year',
  'hour',
  'minute',
  'second',
  'moment',
  'today',
  'yesterday',
  'tomorrow',
  'tonight',
  'morning',
  'noon',
  'am',
  'pm',
  'night',
  'weekend',
  'people',
  'person',
  'guy',
  'man',
  'woman',
  'everyone',
  'someone',
  'anyone',
  'anything',
  'something',
  'everything',
  'nothing',
  'one',
  'product',
  'item',
  'company',
  'brand',
  'business',
  'customer',
  'problem',
  'issue',
  'experience',
  'review',
  'star',
  'place',
  'world',
  'life',
  'love',
  'hate',
  'fact',
  'reason',
  'point',
  'case',
  'end',
  'number',
  'amount',
  'couple',
  'rest',
  'use',
  'need',
  'question',
  'job',
  'god',
  'omg',
  'lol',
  'wow',
  'yes',
  'okay',
  'thank',
  'thanks',
  'please',
  'yay',
  'ha',
  'haha',
  'hell',
  'idea',
  'word',
  'feeling',
  'friend',
  'hand',
  'right',
  'sense',
  'mind',
  'lt',
  'gt',
  'http',
  'https',
  'www',
  'com',
  'amp',
]);

/**
 * Words the tagger calls adjectives or verbs that still start a compound ("sound quality", "free
 * shipping", "charging cable"). Evaluative adjectives (great, bad) are never on it.
 */
export const COMPOUND_MODIFIERS: readonly string[] = Object.freeze([
  'mobile',
  'online',
  'wireless',
  'digital',
  'electric',
  'electronic',
  'smart',
  'sound',
  'express',
  'prime',
  'free',
  'premium',
  'standard',
  'monthly',
  'annual',
  'yearly',
  'weekly',
  'international',
  'domestic',
  'financial',
  'technical',
  'social',
  'physical',
  'virtual',
  'automatic',
  'manual',
  'front',
  'rear',
  'main',
  'public',
  'private',
  'return',
  'refund',
  'delivery',
  'shipping',
  'charging',
  'loading',
  'tracking',
  'booking',
  'waiting',
  'cleaning',
  'customer',
  'credit',
  'debit',
  'gift',
  'loyalty',
]);

export type Theme = { theme: string; score: number; count: number };
export type ExtractOptions = {
  /** Words never part of a theme (the brand's own terms, say); multi-word terms count word by word. */
  ignoreWords?: Iterable<string>;
  /** One score per sentence of wink's split of `text` (see the module contract). */
  sentenceScores?: readonly number[];
  /**
   * Finer than sentences: the clause of each token and one score per clause (the analyzer's split
   * at contrasts). A theme then carries the score of the clauses it is in.
   */
  clauses?: { of: readonly number[]; scores: readonly number[] };
};
export type ThemeExtractor = {
  /** Themes in a text, most frequent first (ties: first seen first). */
  extract: (text: string | ReadText, options?: ExtractOptions) => Theme[];
  /** The sentence split of `text`: what `sentenceScores` must follow, one score per entry. */
  sentences: (text: string) => string[];
};

const THEME_WORD = /^[a-z][a-z0-9-]*[a-z0-9]$/;
/** A clause ends at punctuation or a conjunction. */
const CLAUSE_BREAK = new Set(['PUNCT', 'CCONJ', 'SCONJ']);
const VERBAL = new Set(['VERB', 'AUX']);
const POSSESSIVES = new Set(['my', 'your', 'our', 'their', 'his', 'her', 'its']);
const TITLES = new Set(['mr.', 'mrs.', 'ms.', 'dr.', 'prof.', 'st.']);

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * Lowercasing hides names, so the text as given tells: a capitalised word right after another word
 * ("I met Dr. Smith", "switched to Globex") is a name, unless most words of its sentence are capitalised
 * (a headline, or shouting). After punctuation a capital may open a sentence wink did not split ("at
 * 5pm. Battery died"), so it is no name.
 */
function findNames(original: string[], normals: string[], spaces: string[], sentenceOf: number[]): boolean[] {
  const n = original.length;
  const capitals = new Map<number, { words: number; capitalised: number }>();
  const titleCase = original.map((value, i) => {
    if (!/\p{L}/u.test(value)) return false;
    const k = sentenceOf[i] ?? 0;
    const entry = capitals.get(k) ?? { words: 0, capitalised: 0 };
    entry.words += 1;
    if (/^\p{Lu}/u.test(value)) entry.capitalised += 1;
    capitals.set(k, entry);
    return /^\p{Lu}/u.test(value) && /\p{Ll}/u.test(value);
  });
  const name = new Array<boolean>(n).fill(false);
  for (let i = 1; i < n; i += 1) {
    const entry = capitals.get(sentenceOf[i] ?? 0);
    const before = normals[i - 1] ?? '';
    const afterWord =
      sentenceOf[i - 1] === sentenceOf[i] &&
      /\p{L}/u.test(before) &&
      (!/[.!?…:;]$/.test(before) || TITLES.has(before)) &&
      !/\n/.test(spaces[i] ?? '');
    name[i] = titleCase[i] === true && afterWord && !!entry && entry.capitalised * 2 <= entry.words;
  }
  return name;
}

/**
 * `GENERIC_WORDS` unless given another list (a deployment's own, or the default plus more). `reader`:
 * the one that reads the texts given as strings (default: a new one).
 */
export function createThemeExtractor(
  genericWords: Iterable<string> = GENERIC_WORDS,
  reader: Reader = createReader(),
): ThemeExtractor {
  const generic = new Set([...genericWords].map((word) => word.toLowerCase()));
  const modifiers = new Set(COMPOUND_MODIFIERS);

  function sentences(text: string): string[] {
    return reader.read(text).sentences.map((sentence) => sentence.text);
  }

  function extract(input: string | ReadText, options: ExtractOptions = {}): Theme[] {
    const read = typeof input === 'string' ? reader.read(input) : input;
    if (read.normals.length === 0) return [];
    const sentenceCount = read.sentences.length;
    let scores: readonly number[];
    if (options.sentenceScores) {
      scores = options.sentenceScores;
      if (scores.length !== sentenceCount) {
        throw new RangeError(
          `themes: ${scores.length} sentence scores for ${sentenceCount} sentences (the read's split of the same text)`,
        );
      }
      if (!scores.every(Number.isFinite))
        throw new RangeError('themes: sentence scores must be finite numbers');
    } else {
      scores = read.sentences.map((sentence) => sentence.winkScore);
    }
    const { normals, pos, stop, spaces, sentenceOf, folded, values: original } = read;
    const clauseOf = options.clauses?.of;
    const clauseScores = options.clauses?.scores;
    if (clauseOf && clauseOf.length !== normals.length) {
      throw new RangeError(`themes: a clause for ${clauseOf.length} of ${normals.length} tokens`);
    }
    const n = normals.length;

    const ignore = termWords(options.ignoreWords);

    const name = findNames(original, normals, spaces, sentenceOf);
    const isThemeNoun = (i: number): boolean => {
      const form = folded[i] ?? '';
      return (
        pos[i] === 'NOUN' &&
        !stop[i] &&
        !name[i] &&
        THEME_WORD.test(form) &&
        !ignore.has(normals[i] ?? '') &&
        !ignore.has(form)
      );
    };
    const sameSentence = (a: number, b: number): boolean => sentenceOf[a] === sentenceOf[b];
    // An adjective or verb that starts a compound: listed, or a gerund after a determiner ("the
    // charging cable"), and always followed by a theme noun in the same sentence.
    const isModifier = (i: number): boolean => {
      if (!isThemeNoun(i + 1) || !sameSentence(i, i + 1)) return false;
      const normal = normals[i] ?? '';
      if (ignore.has(normal) || stop[i]) return false;
      if (modifiers.has(normal) && (pos[i] === 'ADJ' || pos[i] === 'VERB' || pos[i] === 'PROPN')) return true;
      const before = normals[i - 1] ?? '';
      return (
        pos[i] === 'VERB' &&
        normal.endsWith('ing') &&
        i > 0 &&
        sameSentence(i - 1, i) &&
        (pos[i - 1] === 'DET' || POSSESSIVES.has(before))
      );
    };

    // "the screen scratches easily": the tagger reads the verb as a plural noun ("screen scratch").
    // A plural last noun is a verb when the phrase opens its clause (after a determiner at most), the
    // clause has no other verb, and something follows it in the clause.
    const isVerbLikeTail = (first: number, last: number): boolean => {
      if (last <= first || folded[last] === normals[last]) return false;
      for (let i = first - 1; i >= 0 && sameSentence(i, first) && !CLAUSE_BREAK.has(pos[i] ?? ''); i -= 1) {
        const p = pos[i] ?? '';
        if (i === first - 1 && p !== 'DET' && !POSSESSIVES.has(normals[i] ?? '')) return false;
        if (VERBAL.has(p) || p === 'ADP') return false;
      }
      let follows = false;
      for (let i = last + 1; i < n && sameSentence(i, last) && !CLAUSE_BREAK.has(pos[i] ?? ''); i += 1) {
        follows = true;
        if (VERBAL.has(pos[i] ?? '')) return false;
      }
      return follows;
    };

    const found = new Map<string, { count: number; spans: Set<number>; first: number }>();
    const record = (first: number, last: number) => {
      let end = last;
      if (isVerbLikeTail(first, end)) end -= 1;
      const start = Math.max(first, end - MAX_THEME_WORDS + 1);
      const words: string[] = [];
      for (let i = start; i <= end; i += 1) words.push((isThemeNoun(i) ? folded[i] : normals[i]) ?? '');
      // A generic noun is fine inside a compound ("delivery time") but no theme on its own.
      if (words.length === 0 || words.every((word) => generic.has(word))) return;
      if (!isThemeNoun(end)) return;
      const theme = words.join(' ');
      // The sentences (or clauses) holding the theme: each counts once in its score.
      const entry = found.get(theme) ?? { count: 0, spans: new Set<number>(), first: start };
      entry.count += 1;
      entry.spans.add((clauseOf ?? sentenceOf)[start] ?? 0);
      found.set(theme, entry);
    };

    let runStart = -1;
    for (let i = 0; i <= n; i += 1) {
      const continues = i < n && runStart >= 0 && sameSentence(runStart, i) && isThemeNoun(i);
      if (continues) continue;
      if (runStart >= 0) record(runStart, i - 1);
      runStart = i < n && (isThemeNoun(i) || isModifier(i)) ? i : -1;
    }

    return [...found.entries()]
      .sort(([, a], [, b]) => b.count - a.count || a.first - b.first)
      .map(([theme, entry]) => {
        let sum = 0;
        for (const k of entry.spans) sum += (clauseScores ?? scores)[k] ?? 0;
        return { theme, score: round(sum / entry.spans.size), count: entry.count };
      });
  }

  return { extract, sentences };
}

/**
 * Themes ordered by how much more often they come up for one brand than in the background, not by
 * how often: "delivery" (common everywhere) ranks below "refund delay" when the latter is unusually
 * frequent here. `counts` and `background` are document frequencies (mentions naming the theme) out of
 * `totalDocs` and `backgroundDocs` mentions. The score is the z-score of the log odds ratio with 0.5
 * added to every cell (so themes unseen in the background stay finite); `count` is the brand's count.
 */
export function rankDistinctive(
  counts: ReadonlyMap<string, number>,
  background: ReadonlyMap<string, number>,
  totalDocs: number,
  backgroundDocs: number,
): Theme[] {
  const ranked: Theme[] = [];
  const n = Math.max(0, totalDocs);
  const N = Math.max(0, backgroundDocs);
  for (const [theme, raw] of counts) {
    if (!(raw > 0)) continue;
    const y = raw;
    const total = Math.max(n, y);
    const b = Math.min(Math.max(0, background.get(theme) ?? 0), N);
    const a1 = y + 0.5;
    const a2 = total - y + 0.5;
    const b1 = b + 0.5;
    const b2 = N - b + 0.5;
    const logOdds = Math.log(a1 / a2) - Math.log(b1 / b2);
    const se = Math.sqrt(1 / a1 + 1 / a2 + 1 / b1 + 1 / b2);
    ranked.push({ theme, score: round(logOdds / se), count: raw });
  }
  return ranked.sort((p, q) => q.score - p.score || q.count - p.count || p.theme.localeCompare(q.theme));
}
