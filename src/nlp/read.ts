/**
 * One wink-nlp read of a text, shared by the sentiment features, the theme extractor and the
 * touchpoint classifier: tokens, parts of speech, lemmas, negation, sentences and wink's sentence
 * sentiment, all from a single `readDoc` of the lowercased text.
 *
 * Why lowercased: wink tags capitalised words as proper nouns ("Delivery was late" tags Delivery
 * PROPN, "BATTERY LIFE" two names). Token texts are still given as written (`values`): lowercasing
 * keeps every character where it was (`lowerCaseInPlace`), so offsets point into both texts, and CAPS,
 * emoticons like ":D" and names read from the original.
 *
 * Sentences are wink's split of the lowercased text, split again where the text as written ends a
 * sentence and starts the next with a capital ("came at 11am. The battery…", which wink reads as one
 * sentence once lowercased). Both halves keep wink's score of the whole.
 */
import type { ItemSentence, ItsFunction, WinkMethods } from 'wink-nlp';
import { PATTERNS } from './features.ts';
import { WORDS_WITHOUT_SENTIMENT } from './news-words.ts';
import { foldPlural, lowerCaseInPlace, newWinkInstance, type WinkPipeStep, winkScoresWord } from './wink.ts';

export type ReadSentence = {
  /** First and last token (inclusive). */
  first: number;
  last: number;
  /** The sentence as written, trimmed. */
  text: string;
  /** wink-nlp's lexicon score of the sentence. */
  winkScore: number;
};

export type ReadText = {
  /** The text as given. */
  text: string;
  /** The same text lowercased in place (same length, same offsets). */
  lower: string;
  /** Token texts as written. */
  values: string[];
  /** wink's normal form (lowercase, spelling-mapped) of each token. */
  normals: string[];
  /** wink's token type: word, punctuation, emoji, emoticon, hashtag, url, mention, number… */
  types: string[];
  /** Whitespace before each token. */
  spaces: string[];
  /** Character offsets of each token in `text` (end exclusive). */
  starts: number[];
  ends: number[];
  /** Universal POS tags, tagged on the lowercased text. */
  pos: string[];
  lemmas: string[];
  /** Inside a negation's scope (wink's flag, which runs to the end of the clause). */
  negated: boolean[];
  /**
   * Inside an idiom (features.ts): its words mean what the idiom means, so they carry no valence of
   * their own and its negation ("couldn't be happier", "nothing beats") negates nothing.
   */
  inIdiom: boolean[];
  stop: boolean[];
  /** Singular of plural nouns, by ending only (`foldPlural`); other tokens' normal. */
  folded: string[];
  /** Sentence index of each token. */
  sentenceOf: number[];
  sentences: ReadSentence[];
  /** wink-nlp's lexicon score of the whole text. */
  winkScore: number;
};

export type ReadOptions = {
  /** Words whose wink scores are masked like identity terms' (the brands a text is about). */
  unscored?: ReadonlySet<string>;
};

export type Reader = {
  read: (text: string, options?: ReadOptions) => ReadText;
  /**
   * The normal forms of a word or term's tokens, as `read` would give them; not counted towards the
   * instance's reads (a vocabulary of a few hundred words compiles without replacing instances).
   */
  normals: (text: string) => string[];
};

/** Texts read by one wink instance before a fresh one replaces it (memory bound, see below). */
export const READS_PER_INSTANCE = 20_000;
const PIPE: WinkPipeStep[] = ['sbd', 'negation', 'sentiment', 'pos'];
const SENTENCE_END = new Set(['.', '!', '?', '…', '...', '!!', '??', '?!', '!?']);
/**
 * Idioms (features.ts): their words mean what the idiom means, so wink's scores leave them out as
 * earshot's lexicon does ("used to be good" is no praise, "couldn't be happier" no negated joy).
 */
const IDIOMS: readonly RegExp[] = PATTERNS.filter((p) => p.idiom).map((p) => new RegExp(p.re.source, 'g'));

/**
 * A reader owning one wink instance. wink-nlp adds every token it has not seen to its instance's
 * lexicon and never lets go; `newWinkInstance` keeps those entries from changing later documents,
 * but they still take memory, so a fresh instance replaces the old one every `readsPerInstance` texts.
 */
export function createReader(options: { readsPerInstance?: number } = {}): Reader {
  const limit = options.readsPerInstance ?? READS_PER_INSTANCE;
  let nlp: WinkMethods = newWinkInstance(PIPE);
  let reads = 0;

  /**
   * Whether wink's own lexicon scores `word` (its sentiment lexicon scores single words): a word it
   * does not score cannot move its sentence scores, so masking it needs no second read. Asked of the
   * instance before a text is read, and remembered (the answer is the model's, whatever was read).
   */
  const winkScores = new Map<string, boolean>();
  const scoredByWink = (word: string): boolean => {
    let scored = winkScores.get(word);
    if (scored === undefined) {
      scored = winkScoresWord(nlp, word);
      winkScores.set(word, scored);
    }
    return scored;
  };
  /**
   * The words without sentiment that wink's lexicon scores (identity terms such as "gay",
   * "protestant", "christian"; news words), found at first use.
   */
  let scoredIdentity: ReadonlySet<string> | undefined;

  function read(text: string, options: ReadOptions = {}): ReadText {
    if (++reads > limit) {
      nlp = newWinkInstance(PIPE);
      reads = 1;
    }
    // Words to mask in wink's scores: words without sentiment and the text's unscored words that wink scores.
    scoredIdentity ??= new Set([...WORDS_WITHOUT_SENTIMENT].filter(scoredByWink));
    let masks = scoredIdentity;
    const scoredUnscored = options.unscored ? [...options.unscored].filter(scoredByWink) : [];
    if (scoredUnscored.length > 0) masks = new Set([...scoredIdentity, ...scoredUnscored]);
    const its = nlp.its;
    const lower = lowerCaseInPlace(text);
    const doc = nlp.readDoc(lower);
    const tokens = doc.tokens();
    const lowerValues = tokens.out(its.value) as string[];
    const spaces = tokens.out(its.precedingSpaces) as string[];
    const normals = tokens.out(its.normal) as string[];
    const types = tokens.out(its.type) as string[];
    const pos = tokens.out(its.pos) as string[];
    const lemmas = tokens.out(its.lemma as unknown as ItsFunction<string>) as string[];
    const negated = tokens.out(its.negationFlag) as unknown as boolean[];
    const stop = tokens.out(its.stopWordFlag) as unknown as boolean[];
    const n = lowerValues.length;

    const values = new Array<string>(n);
    const starts = new Array<number>(n);
    const ends = new Array<number>(n);
    const folded = new Array<string>(n);
    let offset = 0;
    for (let i = 0; i < n; i += 1) {
      const lowerValue = lowerValues[i] as string;
      offset += (spaces[i] as string).length;
      // wink's tokens rebuild the text exactly (value plus preceding spaces); should one ever not,
      // the lowercased token stands in for the original.
      const original = text.slice(offset, offset + lowerValue.length);
      values[i] = lower.startsWith(lowerValue, offset) ? original : lowerValue;
      starts[i] = offset;
      offset += lowerValue.length;
      ends[i] = offset;
      const normal = normals[i] as string;
      folded[i] =
        normal.length >= 4 && normal.endsWith('s')
          ? foldPlural(normal, lemmas[i] ?? '', !doc.isOOV(normal))
          : normal;
    }

    const sentences: ReadSentence[] = [];
    const sentenceOf = new Array<number>(n).fill(0);
    const push = (first: number, last: number, winkScore: number) => {
      const k = sentences.length;
      for (let i = first; i <= last; i += 1) sentenceOf[i] = k;
      const from = starts[first] ?? 0;
      const to = ends[last] ?? from;
      sentences.push({ first, last, text: text.slice(from, to).trim(), winkScore });
    };
    // wink's sentences: first token, last token, wink's score.
    const winkSentences: Array<[number, number, number]> = [];
    doc.sentences().each((sentence: ItemSentence) => {
      const [first, last] = sentence.out(its.span) as unknown as [number, number];
      winkSentences.push([first, last, Number(sentence.out(its.sentiment)) || 0]);
    });
    let winkScore = Number(doc.out(its.sentiment)) || 0;
    const toMask: number[] = [];
    const inIdiom = idiomTokens(lower, starts);
    for (let i = 0; i < n; i += 1) {
      const normal = normals[i] as string;
      if (masks.has(normal) || (inIdiom[i] && scoredByWink(normal))) toMask.push(i);
    }
    if (toMask.length > 0) {
      // wink's own lexicon scores some identity terms ("gay", "protestant"), brand names ("united")
      // and idioms' words: their sentences are scored again with those words masked (identity-terms.ts).
      // Letters of the same length keep the tokens in place. Read last: `doc` is not usable after
      // the next read.
      let masked = '';
      let at = 0;
      for (const i of toMask) {
        const [from, to] = [starts[i] as number, ends[i] as number];
        masked += `${lower.slice(at, from)}${'q'.repeat(to - from)}`;
        at = to;
      }
      const maskedDoc = nlp.readDoc(masked + lower.slice(at));
      if (maskedDoc.tokens().length() === n) {
        const rescored: Array<[number, number]> = [];
        maskedDoc.sentences().each((sentence: ItemSentence) => {
          const [first] = sentence.out(its.span) as unknown as [number, number];
          rescored.push([first, Number(sentence.out(its.sentiment)) || 0]);
        });
        // Each sentence takes the score of the masked read's sentence holding its first token.
        for (const sentence of winkSentences) {
          for (const [first, score] of rescored) if (first <= sentence[0]) sentence[2] = score;
        }
        winkScore = Number(maskedDoc.out(its.sentiment)) || 0;
      }
    }
    for (const [first, last, sentenceScore] of winkSentences) {
      let start = first;
      for (let i = first; i < last; i += 1) {
        const next = values[i + 1] as string;
        const value = values[i] as string;
        // A full stop ends a sentence, and so does one glued to a time ("at 11am. The battery…").
        if (
          (SENTENCE_END.has(value) || (types[i] === 'time' && value.endsWith('.'))) &&
          (spaces[i + 1] as string).length > 0 &&
          /^\p{Lu}/u.test(next) &&
          types[i + 1] === 'word'
        ) {
          push(start, i, sentenceScore);
          start = i + 1;
        }
      }
      if (start <= last) push(start, last, sentenceScore);
    }
    return {
      text,
      lower,
      values,
      normals,
      types,
      spaces,
      starts,
      ends,
      pos,
      lemmas,
      negated,
      inIdiom,
      stop,
      folded,
      sentenceOf,
      sentences,
      winkScore,
    };
  }

  /** Whether each token (by its start offset) is inside a match of an idiom in `lower`. */
  function idiomTokens(lower: string, starts: readonly number[]): boolean[] {
    const inside = new Array<boolean>(starts.length).fill(false);
    for (const re of IDIOMS) {
      // exec, not matchAll: matchAll copies the expression on every call.
      re.lastIndex = 0;
      for (let match = re.exec(lower); match; match = re.exec(lower)) {
        const to = match.index + match[0].length;
        starts.forEach((start, i) => {
          if (start >= match.index && start < to) inside[i] = true;
        });
      }
    }
    return inside;
  }

  function normals(text: string): string[] {
    return nlp.readDoc(lowerCaseInPlace(text)).tokens().out(nlp.its.normal) as string[];
  }

  return { read, normals };
}
