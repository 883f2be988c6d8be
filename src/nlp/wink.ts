/**
 * wink-nlp instances and word forms shared by the analyzer, the theme extractor and the touchpoint
 * classifier.
 */
import model from 'wink-eng-lite-web-model';
import winkNLP, { type WinkMethods } from 'wink-nlp';

export type WinkPipeStep = 'sbd' | 'negation' | 'sentiment' | 'pos' | 'ner' | 'cer';
let fixedModel: typeof model | undefined;

type CoreModel = {
  features: { lexeme: { hash: Record<string, number>; list: string[]; intrinsicSize: number } };
};

/** The lexicon of the instance made last (every instance's own part of it is the same). */
let latestLexeme: CoreModel['features']['lexeme'] | undefined;

/**
 * Whether the English model's own lexicon (87,593 forms) holds `word` (lowercase). Words a
 * document added are not counted, so the answer never depends on what was read before. Loads a
 * wink instance when none exists yet.
 */
export function inEnglishLexicon(word: string): boolean {
  if (!latestLexeme) newWinkInstance([]);
  const lexicon = latestLexeme as CoreModel['features']['lexeme'];
  const index = lexicon.hash[word];
  return typeof index === 'number' && index < lexicon.intrinsicSize;
}

/**
 * A new wink-nlp instance running only `pipe`, whose documents do not depend on each other.
 *
 * wink-nlp adds each token it has not seen to its instance's lexicon, and its tokenizer then treats
 * such a token as known: after reading "pc's" once, "pc's," splits differently in every later text,
 * so a text's tokens (and its scores) would depend on what the instance read before. Here each
 * `readDoc` first removes from the lexicon's index the entries the previous document added: a
 * document sees the model's own lexicon plus what it added itself, exactly as a fresh instance would
 * (a word met again is added again; memory is bounded by replacing instances, see `createReader`).
 *
 * wink-eng-lite-web-model 1.8.1 also JSON-encodes its custom-entity meta model once more each time an
 * instance is created from it, so only the first instance in a process can learn custom entities,
 * and the string doubles in size with every instance. Instances made here share one decoded copy.
 */
export function newWinkInstance(pipe: WinkPipeStep[]): WinkMethods {
  if (!fixedModel) {
    const meta = (model.metaCER as () => { machines: unknown; transformers: unknown })();
    let machines = meta.machines;
    for (;;) {
      const parsed: unknown = typeof machines === 'string' ? JSON.parse(machines) : undefined;
      if (typeof parsed !== 'string') break;
      machines = parsed;
    }
    const decoded = { machines, transformers: meta.transformers };
    fixedModel = { ...model, metaCER: () => ({ ...decoded }) };
  }
  let lexeme: CoreModel['features']['lexeme'] | undefined;
  const core = () => {
    const loaded = (model.core as () => CoreModel)();
    lexeme = loaded.features.lexeme;
    latestLexeme = lexeme;
    return loaded;
  };
  const nlp = winkNLP({ ...fixedModel, core } as typeof model, pipe);
  const readDoc = nlp.readDoc;
  // Entries from here on were added by the last document read (which stays usable until the next).
  let documentStart = lexeme ? lexeme.list.length : 0;
  nlp.readDoc = (text: string) => {
    if (lexeme) {
      const { hash, list } = lexeme;
      for (let i = documentStart; i < list.length; i += 1) delete hash[list[i] as string];
      documentStart = list.length;
    }
    return readDoc(text);
  };
  return nlp;
}

/** Words ending in "s" that are not plurals, or whose plural is a word of its own ("sales", "goods"). */
const NOT_PLURAL = new Set([
  'news',
  'series',
  'species',
  'means',
  'clothes',
  'thanks',
  'goods',
  'headquarters',
  'premises',
  'whereabouts',
  'sales',
  'lens',
  'gas',
  'bus',
  'yes',
  'ios',
  'macos',
  'windows',
  'always',
  'perhaps',
]);
const NOT_PLURAL_ENDING = /(ss|us|is|os|ics|ous|ys)$/;

/**
 * The singular of a plural noun, found by cutting the ending only. The model's lemma is used when it is
 * the same word without its plural ending ("batteries" -> "battery", "boxes" -> "box"), never when it
 * is a different word ("app" -> "application", "data" -> "datum"). A plural the model does not know
 * loses its "s" ("apps", "logins"); a word it knows and did not fold keeps it ("christmas").
 * `inLexicon`: whether the model's own lexicon holds `normal` (`!doc.isOOV(normal)`, which does not
 * change as an instance reads more text).
 */
export function foldPlural(normal: string, lemma: string, inLexicon: boolean): string {
  if (normal.length < 4 || !normal.endsWith('s') || NOT_PLURAL.has(normal)) return normal;
  if (lemma !== normal && lemma.length >= 2) {
    if (normal === `${lemma}s` || normal === `${lemma}es`) return lemma;
    if (lemma.endsWith('y') && normal === `${lemma.slice(0, -1)}ies`) return lemma;
    if (lemma.endsWith('f') && normal === `${lemma.slice(0, -1)}ves`) return lemma;
    if (lemma.endsWith('fe') && normal === `${lemma.slice(0, -2)}ves`) return lemma;
  }
  if (lemma === normal && !inLexicon && !NOT_PLURAL_ENDING.test(normal)) return normal.slice(0, -1);
  return normal;
}

/**
 * Lowercase, keeping every character where it was, so offsets in the result are offsets in the input
 * (a few characters change length when lowercased: those stay as they are). Curly apostrophes become
 * straight ones for the same reason: "won’t" and "won't" should read alike.
 */
export function lowerCaseInPlace(text: string): string {
  const lower = text.toLowerCase().replace(/[\u2018\u2019]/g, "'");
  if (lower.length === text.length) return lower;
  let out = '';
  for (const ch of text) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : ch;
  }
  return out.replace(/[\u2018\u2019]/g, "'");
}

/** Whether wink's own sentiment lexicon scores `word` (read alone by an instance with 'sentiment'). */
export function winkScoresWord(nlp: WinkMethods, word: string): boolean {
  return (Number(nlp.readDoc(word).out(nlp.its.sentiment)) || 0) !== 0;
}

/**
 * The words of a text's brand terms that are no sentiment about the brands (quotes for exact case
 * dropped), or undefined when there are none: what the analyzer and fine-tuning score as unscored.
 */
export function unscoredWords(terms: Iterable<string> = []): ReadonlySet<string> | undefined {
  const words = termWords([...terms].map((term) => term.replace(/^"|"$/g, '')));
  return words.size > 0 ? words : undefined;
}

/** The lowercased words of some terms ("Acme Corp" → acme, corp): a brand's terms, word by word. */
export function termWords(terms: Iterable<string> = []): Set<string> {
  const words = new Set<string>();
  for (const term of terms) {
    for (const word of lowerCaseInPlace(term).split(/\s+/)) if (word) words.add(word);
  }
  return words;
}
