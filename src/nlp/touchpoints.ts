/**
 * Touchpoints and intents: which parts of the customer journey a mention is about (several or none)
 * and whether support should act on it (churn risk, a request for help, purchase intent). Customer
 * service reacts to the intents; customer experience watches all the touchpoints.
 *
 * The classifier compiles the vocabulary once, at construction, with the same reader as the texts;
 * `classify` keeps no state between texts. It takes a text, or a text already read by that reader
 * (the analyzer reads each text once for its sentiment, themes and touchpoints).
 */
import { createReader, type Reader, type ReadText } from './read.ts';
import { DEFAULT_VOCABULARY, type PatternSlot, parsePattern, type Vocabulary } from './vocabulary.ts';
import { termWords } from './wink.ts';

/** Longer texts are cut: what a mention is about shows in its first part. */
export const MAX_CLASSIFIED_CHARS = 20_000;
const MAX_EVIDENCE = 5;
const MAX_EVIDENCE_CHARS = 160;
/** Words that carry a negation themselves: a negated match holding one of them is meant as said. */
const NEGATORS = new Set([
  'not',
  'no',
  'never',
  'nobody',
  'none',
  'nothing',
  'neither',
  'nor',
  'without',
  'noone',
]);
/** `*` in a pattern: any word, no punctuation or symbols. */
const NOT_WORDS = new Set(['PUNCT', 'SYM', 'SPACE']);

export type Hit = { id: string; evidence: string[] };
/**
 * A verdict against the brand: hits of an intent whose `sentiment` is negative (the writer is leaving
 * it), with the sentences (indexes) that hold them.
 */
export type Verdict = { intent: string; evidence: string; sentences: number[] };
export type Classification = { touchpoints: Hit[]; intents: Hit[]; verdict: Verdict | null };
export type ClassifyOptions = {
  /** The brand's own terms: a question naming the brand is a hit for every intent with question cues. */
  brandTerms?: Iterable<string>;
};
export type TouchpointClassifier = {
  classify: (text: string | ReadText, options?: ClassifyOptions) => Classification;
};

type Role = 'match' | 'cue' | 'exclusion';
type Category = { kind: 'touchpoint' | 'intent'; id: string; hasCues: boolean; negative: boolean };
/** A term or a pattern, as slots of token forms. */
type Sequence = { category: number; role: Role; slots: PatternSlot[] };
type Found = { category: number; role: Role; start: number; end: number };
/** What the matcher needs of a read text. */
type TokenView = {
  normals: string[];
  lemmas: string[];
  folded: string[];
  pos: string[];
  /** The words of the brands' terms (`BRAND` in a pattern). */
  brand: ReadonlySet<string>;
};

/** Whether a token's normal is a word of the brands' terms ("@acme" and "#acme" are "acme"). */
function isBrandWord(brand: ReadonlySet<string>, normal: string): boolean {
  if (brand.size === 0) return false;
  const first = normal.charCodeAt(0);
  // '@' and '#'
  return brand.has(first === 64 || first === 35 ? normal.slice(1) : normal);
}

function slotAccepts(slot: PatternSlot, view: TokenView, i: number): boolean {
  const pos = view.pos[i] ?? '';
  if (slot.any && !NOT_WORDS.has(pos)) return true;
  if (slot.tags.includes(pos)) return true;
  const normal = view.normals[i] ?? '';
  if (slot.brand && isBrandWord(view.brand, normal)) return true;
  // Auxiliaries match their exact form: "how do i" is no "how did i".
  const lemma = pos === 'AUX' ? normal : (view.lemmas[i] ?? '');
  const folded = view.folded[i] ?? '';
  return slot.words.some((word) => word === normal || word === lemma || word === folded);
}

/** The last token of the longest match of `slots[k..]` starting at token `i`, or -1. */
function matchFrom(slots: PatternSlot[], k: number, view: TokenView, i: number): number {
  const slot = slots[k];
  if (slot === undefined) return i - 1;
  let best = -1;
  if (i < view.normals.length && slotAccepts(slot, view, i)) best = matchFrom(slots, k + 1, view, i + 1);
  if (slot.optional) best = Math.max(best, matchFrom(slots, k + 1, view, i));
  return best;
}

/** `reader`: the one that reads the texts given as strings, and the vocabulary (default: a new one). */
export function createTouchpointClassifier(
  vocabulary: Vocabulary = DEFAULT_VOCABULARY,
  reader: Reader = createReader(),
): TouchpointClassifier {
  const categories: Category[] = [
    ...vocabulary.touchpoints.map((e) => ({
      kind: 'touchpoint' as const,
      id: e.id,
      hasCues: false,
      negative: false,
    })),
    ...vocabulary.intents.map((e) => ({
      kind: 'intent' as const,
      id: e.id,
      hasCues: e.questionCues.length > 0,
      negative: e.sentiment === 'negative',
    })),
  ];

  // Terms and pattern words are read by the same tokenizer as the texts, so "cancelling" and "won't"
  // compare as they will appear ("canceling"; "will" "not"). Sequences are indexed by the words their
  // first slot needs; those that may start anywhere (a tag, `*`, an optional slot) are tried everywhere.
  const byFirstWord = new Map<string, Sequence[]>();
  /** Sequences that start with a brand's word: tried where one is. */
  const brandFirst: Sequence[] = [];
  const unindexed: Sequence[] = [];
  const addSequence = (sequence: Sequence) => {
    const first = sequence.slots[0];
    if (
      first?.brand &&
      !first.optional &&
      !first.any &&
      first.tags.length === 0 &&
      first.words.length === 0
    ) {
      brandFirst.push(sequence);
      return;
    }
    if (!first || first.optional || first.any || first.brand || first.tags.length > 0) {
      unindexed.push(sequence);
      return;
    }
    for (const word of first.words) {
      const list = byFirstWord.get(word) ?? [];
      list.push(sequence);
      byFirstWord.set(word, list);
    }
  };
  const addTerm = (category: number, role: Role, term: string) => {
    const slots = reader.normals(term).map((word) => ({
      words: [word],
      tags: [],
      any: false,
      optional: false,
      brand: false,
    }));
    if (slots.length > 0) addSequence({ category, role, slots });
  };
  const addPattern = (category: number, role: Role, pattern: string) => {
    const slots = parsePattern(pattern).map((slot) => ({
      ...slot,
      words: slot.words.map((word) => {
        const normals = reader.normals(word);
        if (normals.length !== 1) {
          const c = categories[category];
          throw new Error(
            `vocabulary: ${c?.kind} "${c?.id}" pattern "${pattern}": "${word}" is ${normals.length} tokens; make each a slot`,
          );
        }
        return normals[0] ?? word;
      }),
    }));
    addSequence({ category, role, slots });
  };
  vocabulary.touchpoints.forEach((entry, index) => {
    for (const term of entry.terms) addTerm(index, 'match', term);
    for (const pattern of entry.patterns) addPattern(index, 'match', pattern);
  });
  vocabulary.intents.forEach((entry, i) => {
    const index = vocabulary.touchpoints.length + i;
    for (const term of entry.terms) addTerm(index, 'match', term);
    for (const pattern of entry.patterns) addPattern(index, 'match', pattern);
    for (const term of entry.questionCues) addTerm(index, 'cue', term);
    for (const term of entry.exclusions) addTerm(index, 'exclusion', term);
    for (const pattern of entry.exclusionPatterns) addPattern(index, 'exclusion', pattern);
  });

  function classify(input: string | ReadText, options: ClassifyOptions = {}): Classification {
    const read =
      typeof input === 'string'
        ? reader.read(input.length > MAX_CLASSIFIED_CHARS ? input.slice(0, MAX_CLASSIFIED_CHARS) : input)
        : input;
    const { normals, lemmas, negated, values, starts, ends, pos, folded, sentenceOf, text: original } = read;
    const n = normals.length;
    const questions: Array<[number, number]> = [];
    for (const { first, last } of read.sentences) {
      let question = false;
      for (let i = first; i <= last && !question; i += 1) question = values[i] === '?';
      if (question && last >= first) questions.push([first, last]);
    }

    const brand = termWords(options.brandTerms);
    const view: TokenView = { normals, lemmas, folded, pos, brand };
    const found: Found[] = [];
    const tryAt = (sequence: Sequence, i: number) => {
      const end = matchFrom(sequence.slots, 0, view, i);
      // A match stays inside one sentence.
      if (end >= i && sentenceOf[end] === sentenceOf[i])
        found.push({ category: sequence.category, role: sequence.role, start: i, end });
    };
    for (let i = 0; i < n; i += 1) {
      const normal = normals[i] ?? '';
      const lemma = pos[i] === 'AUX' ? normal : (lemmas[i] ?? '');
      const fold = folded[i] ?? '';
      for (const sequence of byFirstWord.get(normal) ?? []) tryAt(sequence, i);
      if (lemma !== normal) for (const sequence of byFirstWord.get(lemma) ?? []) tryAt(sequence, i);
      if (fold !== normal && fold !== lemma)
        for (const sequence of byFirstWord.get(fold) ?? []) tryAt(sequence, i);
      for (const sequence of unindexed) tryAt(sequence, i);
      if (brandFirst.length > 0 && isBrandWord(brand, normal)) {
        for (const sequence of brandFirst) tryAt(sequence, i);
      }
    }

    const excluded = new Set<string>();
    const cued = new Set<string>();
    for (const f of found) {
      const key = `${f.category}:${sentenceOf[f.start]}`;
      if (f.role === 'exclusion') excluded.add(key);
      if (f.role === 'cue') cued.add(key);
    }
    const spans: Array<{ category: number; start: number; end: number }> = [];
    const matchedSentences = new Set<string>();
    for (const f of found) {
      if (f.role !== 'match') continue;
      const key = `${f.category}:${sentenceOf[f.start]}`;
      if (categories[f.category]?.kind === 'intent') {
        if (excluded.has(key)) continue;
        let isNegated = false;
        let holdsNegator = false;
        for (let i = f.start; i <= f.end; i += 1) {
          if (negated[i]) isNegated = true;
          if (NEGATORS.has(normals[i] ?? '')) holdsNegator = true;
        }
        if (isNegated && !holdsNegator) continue;
      }
      matchedSentences.add(key);
      spans.push(f);
    }
    const textOf = (start: number, end: number) =>
      original.slice(starts[start], ends[end]).trim().slice(0, MAX_EVIDENCE_CHARS);
    const verdict = verdictOf(spans, view, sentenceOf, textOf);

    // A question addressed to the brand (a cue word, or the brand named) asks for help, unless the
    // sentence already said so in words.
    if (questions.length > 0) {
      for (const [first, last] of questions) {
        const k = sentenceOf[first] ?? 0;
        let namesBrand = false;
        for (let i = first; i <= last && !namesBrand; i += 1) {
          namesBrand = isBrandWord(brand, normals[i] ?? '');
        }
        categories.forEach((category, index) => {
          const key = `${index}:${k}`;
          if (!category.hasCues || excluded.has(key) || matchedSentences.has(key)) return;
          if (namesBrand || cued.has(key)) spans.push({ category: index, start: first, end: last });
        });
      }
    }

    // Overlapping matches of one category are one piece of evidence ("still waiting" + "waiting for a
    // reply" -> "still waiting for a reply").
    spans.sort((a, b) => a.category - b.category || a.start - b.start || b.end - a.end);
    const evidence = categories.map(() => [] as string[]);
    for (let j = 0; j < spans.length; ) {
      const span = spans[j] as { category: number; start: number; end: number };
      let end = span.end;
      let next = j + 1;
      for (; next < spans.length; next += 1) {
        const other = spans[next] as { category: number; start: number; end: number };
        if (other.category !== span.category || other.start > end) break;
        end = Math.max(end, other.end);
      }
      j = next;
      const list = evidence[span.category];
      const text = textOf(span.start, end);
      if (list && list.length < MAX_EVIDENCE && !list.some((e) => e.toLowerCase() === text.toLowerCase())) {
        list.push(text);
      }
    }

    const result: Classification = { touchpoints: [], intents: [], verdict };
    categories.forEach((category, index) => {
      const list = evidence[index] ?? [];
      if (list.length === 0) return;
      (category.kind === 'touchpoint' ? result.touchpoints : result.intents).push({
        id: category.id,
        evidence: list,
      });
    });
    return result;
  }

  /**
   * The hits of negative intents, by sentence; a sentence where a hit names one of the brands and
   * another brand is named outside it ("switched from Globex to Acme") is left out: it leaves one brand
   * for the other, which the brands' stances say. The evidence is the first hit that counts.
   */
  function verdictOf(
    spans: ReadonlyArray<{ category: number; start: number; end: number }>,
    view: TokenView,
    sentenceOf: ArrayLike<number>,
    textOf: (start: number, end: number) => string,
  ): Verdict | null {
    const against = spans.filter((span) => categories[span.category]?.negative);
    if (against.length === 0) return null;
    const namedInHit = new Set<number>();
    const namedElsewhere = new Set<number>();
    // A run of brand words ("Acme Cloud") is one name: inside a hit when any of its words is.
    for (let i = 0; i < view.normals.length; ) {
      if (!isBrandWord(view.brand, view.normals[i] ?? '')) {
        i += 1;
        continue;
      }
      const k = sentenceOf[i] ?? 0;
      let inside = false;
      for (; i < view.normals.length && isBrandWord(view.brand, view.normals[i] ?? ''); i += 1) {
        const at = i;
        inside ||= against.some((span) => span.start <= at && at <= span.end);
      }
      (inside ? namedInHit : namedElsewhere).add(k);
    }
    const counted = against
      .filter((span) => {
        const k = sentenceOf[span.start] ?? 0;
        return !(namedInHit.has(k) && namedElsewhere.has(k));
      })
      .sort((a, b) => a.start - b.start);
    const first = counted[0];
    if (first === undefined) return null;
    return {
      intent: categories[first.category]?.id ?? '',
      evidence: textOf(first.start, first.end),
      sentences: [...new Set(counted.map((span) => sentenceOf[span.start] ?? 0))].sort((a, b) => a - b),
    };
  }

  return { classify };
}
