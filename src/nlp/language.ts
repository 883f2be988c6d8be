/**
 * Language of a mention's text, for deciding whether English sentiment applies. Uses eld (Efficient
 * Language Detector, 60 languages), chosen by `npm run bench:language`: on real recorded payloads with
 * an upstream-declared language (en/de/pt) eld was the most accurate (98.4% of 255, against 87–88%
 * for tinyld and franc-min), and it called the fewest of 26,320 English sentences non-English (its
 * large database 0.54%, small 0.95%, tinyld 5.0%, franc-min 9.1%). The small database is used: the
 * large one costs about 140 MB of heap and 1.5–3 s to load per process and per worker thread (over a
 * Cloudflare Worker's whole 128 MB), the small one 46 MB and half a second, for 0.4 points more
 * English read as foreign before the rules below (which halve it again). Read as JSON rather than as
 * eld's module (`eldDataAsJson`), the small database costs ~23 MB of heap, ~36 MB of RSS and 0.13 s
 * (against 44 MB, ~100 MB and 0.5 s): the largest single saving in a worker's memory.
 *
 * Rules on top of the detector, each measured in the same benchmark:
 * - URLs, e-mail addresses, @handles, `#` and digits are removed first: they carry no language. So
 *   are the brand's own terms, when the caller gives them (the analyzer passes a mention's matched
 *   brands): a name is no evidence of a language, yet eld reads one. On the 26,320 English sentences
 *   each prefixed "<brand>: " (`bench:language`), those under 40 characters read as non-English were
 *   8.3% for "Klarna", 8.2% "Lufthansa", 4.4% "Zalando" (each a complaint with no sentiment and no
 *   alert); with the terms given, 2.3% for each, as with no brand at all.
 * - Fewer than 3 letters left (emoji, a bare URL, "ok") → null: nothing to detect.
 * - Short Latin-script text (under 40 characters after cleaning) where English scores at least 90% of
 *   the best language → 'en'. eld is unsure on such texts ("EXCELLENT SERVICE!!!" → fr, "So bad." →
 *   de). This cut the false-non-English rate on English sentences under 40 characters from 3.8% to
 *   1.7% (overall 0.62% → 0.31%), at a cost on German/Portuguese: 1 of 66 titles/summaries (a byline
 *   of two names) and, on 2–6-word snippets of them, 7.8% → 15.6% read as English.
 * - Otherwise, when the best language leads the runner-up by under 2% (relative) → null: on such
 *   near-ties eld was wrong about as often as right. With this, short English: 1.4% non-English,
 *   overall 0.25%, and 0.4% of English sentences get null.
 * - Plain ASCII text with at least 2 English function words that other Latin-script languages do not
 *   share ("the", "and", "you", "that"…, not "is" or "was"), making up at least 15% of its words →
 *   'en' without eld. On the same benchmark it changed no verdict on the payloads, called one English
 *   sentence fewer non-English, and raised throughput from 15,497 to 29,289 texts/s (it answers about
 *   half of the labelled sentences; 3 words at 20% answered a quarter).
 * - Else, plain ASCII text of at least 4 words (of 2+ letters), 90% of them in wink's English lexicon
 *   (the model's own 87,593 forms, never words a document added) → 'en' without eld. Most foreign
 *   function words are not in it ("und", "les", "que", "niet"), some are ("das", "est", "van"): hence
 *   90%. On the same benchmark it changed no verdict on the payloads nor on the German and
 *   Portuguese snippets (12.7% read as English either way), called 101 English sentences non-English
 *   instead of 105, and raised throughput from 27,300 to 52,421 texts/s. Tried and not taken: 3 words
 *   at 80% (90k texts/s, but one more German/Portuguese snippet read as English).
 * null means "unknown", not "not English": callers should keep English sentiment for it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { eld as EldInstance } from 'eld/small';
import { termPattern } from './brand-terms.ts';
import { inEnglishLexicon } from './wink.ts';

type Eld = typeof EldInstance;

export type DetectedLanguage = {
  /** ISO 639-1 code, or null when unsure. */
  language: string | null;
  /** 0..1: the chosen language's relative lead over the runner-up, saturating at a 30% lead. */
  confidence: number;
};

/** The rules applied on top of the detector (see above); `detectLanguage` uses the defaults. */
export type LanguageRules = {
  /** Below this many letters (after cleaning) nothing is detected. */
  minLetters: number;
  /** Texts shorter than this (after cleaning) get the English preference; 0 turns it off. */
  shortTextChars: number;
  /** In a short Latin text, English wins when its score is at least this share of the best score. */
  preferEnglishRatio: number;
  /** A best language leading the runner-up by less than this (relative) is a tie: null. */
  minRelativeLead: number;
  /**
   * Text in plain ASCII with at least this many English function words, making up at least
   * `englishShare` of its words, is English without asking eld (0 turns this off).
   */
  englishWords: number;
  englishShare: number;
  /**
   * Else, text in plain ASCII with at least `lexiconWords` words of two or more letters, at least
   * `lexiconShare` of them in wink's English lexicon, is English without asking eld (0 turns this off).
   */
  lexiconWords: number;
  lexiconShare: number;
};
export const DEFAULT_LANGUAGE_RULES: Readonly<LanguageRules> = {
  minLetters: 3,
  shortTextChars: 40,
  preferEnglishRatio: 0.9,
  minRelativeLead: 0.02,
  englishWords: 2,
  englishShare: 0.15,
  lexiconWords: 4,
  lexiconShare: 0.9,
};

/**
 * English function words that are not words of the other Latin-script languages eld knows (so no
 * "is", "was", "for", "to", "of", "so", "my": Dutch, German, Norwegian, Czech and Polish have them).
 */
const ENGLISH_WORDS = new Set(
  (
    'the and you that with this have are but they what would there their been which your about just ' +
    "from when were had who how does did not very will should could don't didn't can't won't i'm it's"
  ).split(' '),
);
const ASCII_WORD = /[a-z']+/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range
const NON_ASCII = /[^\x00-\x7f]/;
const FULL_CONFIDENCE_LEAD = 0.3;
/** eld reads the first 1,000 characters; a little more is kept so cleaning does not starve it. */
const MAX_CHARS = 2_000;

/**
 * eld's small database as JSON text. eld ships it as a module of one object literal (1.6 MB of
 * source); evaluating that costs ~100 MB of RSS and half a second per thread, while parsing the same
 * data as JSON costs ~36 MB and 0.13 s. Quoted strings become JSON strings, bare keys are
 * quoted; anything else in the source (an escape other than \' or \\) is refused.
 */
export function eldDataAsJson(source: string): string {
  const start = source.indexOf('{', source.indexOf('ngramsData'));
  const end = source.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error('no ngramsData object in the eld database');
  return source
    .slice(start, end + 1)
    .replace(/'((?:[^'\\]|\\.)*)'|([A-Za-z_$][\w$]*|\d+)(?=:)/g, (_, quoted?: string, key?: string) => {
      if (quoted === undefined) return `"${key}"`;
      const text = quoted.replace(/\\(.)/g, (sequence, c: string) => {
        if (c !== "'" && c !== '\\') throw new Error(`unexpected escape ${sequence} in the eld database`);
        return c;
      });
      return JSON.stringify(text);
    });
}

/**
 * eld's small database as JSON: converted once and cached beside the installed packages
 * (node_modules/.cache/earshot), so later processes and threads only parse JSON. Where the cache
 * cannot be written (a read-only install) the conversion is redone in each process.
 */
function eldSmallData(entry: string): unknown {
  const read = (relative: string) => readFileSync(new URL(relative, entry), 'utf8');
  const { version } = JSON.parse(read('../../package.json')) as { version: string };
  // Named by eld's version and this converter's, so neither an upgrade nor a fix reads a stale copy.
  const cache = fileURLToPath(new URL(`../../../.cache/earshot/eld-small-${version}-json1.json`, entry));
  try {
    return JSON.parse(readFileSync(cache, 'utf8'));
  } catch {
    // Not cached yet (or a damaged copy): convert.
  }
  const json = eldDataAsJson(read('../ngrams/small.js'));
  try {
    mkdirSync(dirname(cache), { recursive: true });
    const partial = `${cache}.${process.pid}.${Date.now()}`;
    writeFileSync(partial, json);
    renameSync(partial, cache);
  } catch {
    // A read-only install: the next process converts again.
  }
  return JSON.parse(json);
}

/**
 * The detector with eld's small database, read as JSON (see `eldDataAsJson`). Where files cannot be
 * read (a Cloudflare Worker, whose bundle holds the module), eld's own module is loaded instead: the
 * same data, the same results.
 */
async function loadEld(): Promise<{ eld: Eld; from: 'json' | 'module' }> {
  try {
    const entry = import.meta.resolve('eld/small');
    const { createEld } = (await import(new URL('../languageDetector.js', entry).href)) as {
      createEld: () => { instance: Eld; loadData: (data: unknown) => void };
    };
    const { instance, loadData } = createEld();
    loadData(eldSmallData(entry));
    return { eld: instance, from: 'json' };
  } catch {
    return { eld: (await import('eld/small')).eld.newInstance(), from: 'module' };
  }
}

const loaded = await loadEld();
const detector = loaded.eld;
/** How this process loaded eld's database: 'json' on Node, 'module' where files cannot be read. */
export const ELD_DATA_FROM = loaded.from;

const LINK = /\b(?:https?:\/\/|www\.)\S+/giu;
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
const HANDLE = /(^|[^\p{L}\p{N}_])@[\p{L}\p{N}_.@-]+/gu;
const LETTER = /\p{L}/gu;
/** A letter that is not Latin script. */
const NON_LATIN_LETTER = /[^\p{Script=Latin}\P{L}]/u;

/** Brand terms, each a whole-word pattern matching everywhere, by their joined list. */
const termPatterns = new Map<string, RegExp[]>();
const MAX_TERM_PATTERNS = 1_000;

function termPatternsOf(terms: readonly string[]): RegExp[] {
  const key = terms.join('\n');
  let patterns = termPatterns.get(key);
  if (!patterns) {
    // Longest first, so "Acme Bank" goes whole before "Acme".
    patterns = terms
      .filter((t) => t.trim().length > 0)
      .sort((a, b) => b.length - a.length)
      .map((t) => {
        const pattern = termPattern(t);
        return new RegExp(pattern.source, `${pattern.flags}g`);
      });
    if (termPatterns.size >= MAX_TERM_PATTERNS) termPatterns.clear();
    termPatterns.set(key, patterns);
  }
  return patterns;
}

function clean(text: string, ignoreTerms: readonly string[] = []): string {
  let t = text.slice(0, MAX_CHARS);
  for (const term of termPatternsOf(ignoreTerms)) t = t.replace(term, ' ');
  if (t.includes('://') || t.includes('www.')) t = t.replace(LINK, ' ');
  if (t.includes('@')) t = t.replace(EMAIL, ' ').replace(HANDLE, '$1 ');
  return t
    .replace(/[#\p{N}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function hasLetters(text: string, min: number): boolean {
  if (min <= 0) return true;
  let found = 0;
  LETTER.lastIndex = 0;
  while (LETTER.exec(text)) if (++found >= min) return true;
  return false;
}

/**
 * The share of the words that are English function words, when the text is plain ASCII and has at
 * least `atLeast` of them; else 0. It answers most English text several times faster than eld.
 */
export function englishShare(text: string, atLeast = DEFAULT_LANGUAGE_RULES.englishWords): number {
  if (NON_ASCII.test(text)) return 0;
  const words = text.toLowerCase().match(ASCII_WORD) ?? [];
  let found = 0;
  for (const word of words) if (ENGLISH_WORDS.has(word)) found++;
  return found >= atLeast ? found / words.length : 0;
}

/**
 * The share of the words of two or more letters that wink's English lexicon holds, when the text is
 * plain ASCII with at least `minWords` such words; else 0.
 */
export function lexiconShare(text: string, minWords: number): number {
  if (NON_ASCII.test(text)) return 0;
  const words = text.toLowerCase().match(/[a-z]{2,}/g) ?? [];
  if (words.length < minWords) return 0;
  let known = 0;
  for (const word of words) if (inEnglishLexicon(word)) known++;
  return known / words.length;
}

function round(value: number): number {
  return Math.round(Math.max(0, Math.min(1, value)) * 1000) / 1000;
}

const UNKNOWN: DetectedLanguage = { language: null, confidence: 0 };

/** A detector with other rules (for the benchmark's ablation); shares the one loaded database. */
export function createLanguageDetector(
  overrides: Partial<LanguageRules> = {},
): (text: string, ignoreTerms?: readonly string[]) => DetectedLanguage {
  const rules = { ...DEFAULT_LANGUAGE_RULES, ...overrides };
  return (text, ignoreTerms) => {
    const cleaned = clean(text, ignoreTerms);
    if (!hasLetters(cleaned, rules.minLetters)) return UNKNOWN;
    if (rules.englishWords > 0) {
      const english = englishShare(cleaned, rules.englishWords);
      if (english >= rules.englishShare) return { language: 'en', confidence: round(english / 0.4) };
    }
    if (rules.lexiconShare > 0) {
      const known = lexiconShare(cleaned, rules.lexiconWords);
      if (known >= rules.lexiconShare) return { language: 'en', confidence: round(known) };
    }
    const result = detector.detect(cleaned);
    const best = result.language;
    if (!best) return UNKNOWN;
    const scores = result.getScores();
    const bestScore = scores[best] ?? 0;
    if (bestScore <= 0) return UNKNOWN;
    let runnerUp = 0;
    for (const [language, score] of Object.entries(scores)) {
      if (language !== best && score > runnerUp) runnerUp = score;
    }

    if (best !== 'en' && cleaned.length < rules.shortTextChars && !NON_LATIN_LETTER.test(cleaned)) {
      const english = scores.en ?? 0;
      if (english >= bestScore * rules.preferEnglishRatio) {
        // A default on a near tie rather than a detection: confidence at most 0.2.
        const closeness = (english / bestScore - rules.preferEnglishRatio) / (1 - rules.preferEnglishRatio);
        return { language: 'en', confidence: round(0.2 * closeness) };
      }
    }

    const lead = 1 - runnerUp / bestScore;
    if (lead < rules.minRelativeLead) return UNKNOWN;
    return { language: best, confidence: round(lead / FULL_CONFIDENCE_LEAD) };
  };
}

const defaultDetector = createLanguageDetector();

/**
 * Language of `text` with earshot's rules, its brand terms (`ignoreTerms`: names, no language) left
 * out; the detector is created once per process.
 */
export function detectLanguage(text: string, ignoreTerms?: readonly string[]): DetectedLanguage {
  return defaultDetector(text, ignoreTerms);
}
