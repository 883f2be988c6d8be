/**
 * Text analysis on wink-nlp: sentiment per sentence and per document (a logistic model over wink
 * features and a VADER-style rule layer, with the reasons for every score), themes with their
 * sentiment, touchpoints and intents, and the language. Built once per process by `createAnalyzer`;
 * `analyze` keeps no state between documents, so a text gets the same result whatever came before.
 */
import { readFileSync } from 'node:fs';
import type { SentimentLabel } from '../types.ts';
import {
  contrastClauses,
  type FeatureContext,
  featureWords,
  type Pattern,
  SARCASM,
  spanFeatures,
  textFeatures,
} from './features.ts';
import { FUNCTION_WORDS } from './function-words.ts';
import {
  type Contribution,
  featureContext,
  loadModel,
  type ModelFile,
  type Scored,
  type SentimentModel,
  scoreFeatures,
} from './model.ts';
import { type PlainKind, plainOf } from './plain.ts';
import { createReader, type ReadText } from './read.ts';
import { createThemeExtractor, type Theme } from './themes.ts';
import { createTouchpointClassifier, type Hit } from './touchpoints.ts';
import type { Vocabulary } from './vocabulary.ts';
import { unscoredWords } from './wink.ts';

/** Longer texts are cut: sentiment and themes of the first part are what a reader sees too. */
export const MAX_ANALYSED_CHARS = 20_000;
const MAX_THEMES = 8;
const REASONS_PER_SPAN = 6;

/** Why a score moved: a word, a negated word, a pattern, an emoji, the lexicon… and by how much. */
export type Reason = { kind: ReasonKind; text: string; effect: number };
export type ReasonKind =
  | 'word'
  | 'negated'
  | 'after-contrast'
  | 'phrase'
  | 'emoji'
  | 'hashtag'
  | 'pattern'
  | 'lexicon'
  | 'intensity'
  | 'question'
  | 'rating'
  | 'intent'
  | 'asks'
  | 'news'
  | 'fact'
  | 'common-words';
export type SentenceSentiment = { text: string; score: number; reasons: Reason[] };
export type ThemeHit = { theme: string; score: number };
export type Analysis = {
  /** −1..1; null when the text is not English (the model scores English only). */
  score: number | null;
  label: SentimentLabel | null;
  /** ISO 639-1 code where detected. */
  language: string | null;
  sentences: SentenceSentiment[];
  themes: ThemeHit[];
  /** What moved the document's score most. */
  reasons: Reason[];
  /** Parts of the customer journey the text is about, with the words that said so. */
  touchpoints: Hit[];
  /** What support acts on: churn risk, a request for help, purchase intent. */
  intents: Hit[];
};

export type AnalyzeOptions = {
  /** Star rating 1..5 where the item is a review. */
  rating?: number | null;
  /**
   * The terms of the brands the text is about: never reported as themes, and no sentiment about
   * them (their words are scored like identity terms: "United" has a VADER valence of +1.8,
   * "samsung" a learned weight of −0.79).
   */
  ignoreWords?: Iterable<string>;
};

export type Analyzer = { analyze: (text: string, options?: AnalyzeOptions) => Analysis };

/** A text's language; `ignoreTerms`: the brand terms it names, which are no evidence of one. */
export type LanguageDetector = (
  text: string,
  ignoreTerms?: readonly string[],
) => { language: string | null; confidence: number };

/** The model shipped with earshot (a deployment may fine-tune its own with `earshot train`). */
export const SHIPPED_MODEL: ModelFile = await readShippedModel();

/**
 * The shipped weights file, read with JSON.parse (imported as a module, the same 1.4 MB costs ~45 MB of
 * RSS instead of ~13). Where files cannot be read (a Cloudflare Worker, whose bundle holds it) it is
 * imported.
 */
async function readShippedModel(): Promise<ModelFile> {
  try {
    return JSON.parse(readFileSync(new URL('./sentiment-model.json', import.meta.url), 'utf8')) as ModelFile;
  } catch {
    return (await import('./sentiment-model.json', { with: { type: 'json' } })).default as ModelFile;
  }
}
const shippedModel = loadModel(SHIPPED_MODEL);

/** Scores with a magnitude at or below this are neutral (chosen by cross-validation at training). */
export const NEUTRAL_BAND = shippedModel.neutralBand;

export function labelFor(score: number, band = NEUTRAL_BAND): Exclude<SentimentLabel, 'mixed'> {
  if (score > band) return 'positive';
  if (score < -band) return 'negative';
  return 'neutral';
}

/**
 * A text whose writer is leaving the brand ("time to ditch @acme for good", "thinking about moving
 * from Acme to Globex": the hit of an intent whose vocabulary `sentiment` is negative) scores at most
 * this, and so do its sentences that say so: the decision to leave is the writer's verdict on the
 * brand, whatever else the words praise. The model, trained on texts that name no brand, cannot see
 * it: it read those two at +0.88 and +0.78 ("good", "moving").
 */
export const VERDICT_SCORE = -0.5;

/** A score under a verdict against the brand (see `VERDICT_SCORE`). */
export function underVerdict(score: number): number {
  return Math.min(score, VERDICT_SCORE);
}

/**
 * Why a plain statement (plain.ts: a question that asks for information, news about the brand)
 * scores 0: the sentence, as written.
 */
function plainReason(read: ReadText, k: number, kind: PlainKind, effect: number): Reason {
  const text = (read.sentences[k]?.text ?? '').trim();
  return {
    kind,
    text: text.length > PLAIN_REASON_CHARS ? `${text.slice(0, PLAIN_REASON_CHARS - 1)}…` : text,
    effect: round(effect),
  };
}
const PLAIN_REASON_CHARS = 80;

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function clamp(value: number): number {
  return Math.max(-1, Math.min(1, value));
}

/**
 * A star rating is the reviewer's own verdict on what the text means: it weighs twice as much as
 * the text (1★ → −1, 3★ → 0, 5★ → +1).
 */
function blendRating(textScore: number, rating: number | null | undefined): number {
  if (rating === null || rating === undefined || !Number.isFinite(rating)) return textScore;
  const ratingScore = clamp((rating - 3) / 2);
  return (textScore + 2 * ratingScore) / 3;
}

/** Names people can read for the model's numeric cues. */
const CUE_NAMES: Record<string, string> = {
  lexpos: 'positive words',
  lexneg: 'negative words',
  'lex+': 'leans positive',
  'lex++': 'strongly positive words',
  'lex-': 'leans negative',
  'lex--': 'strongly negative words',
  caps: 'CAPITALS',
  exclaim: '!!!',
  boost: 'intensifiers (very, really…)',
  elongated: 'elongated words (soooo)',
  's:wink': 'overall tone (wink lexicon)',
  's:lexicon': 'overall tone (word valences)',
  's:lexicon*social': 'tone of a social post',
  's:lexicon*short': 'tone of a short text',
  's:lexicon*intense': 'emphasised tone',
  's:wink*intense': 'emphasised tone',
  's:min': 'most negative sentence',
  's:max': 'most positive sentence',
  's:last': 'last sentence',
};

/** A model feature as a reason a person can read. */
export function toReason({ feature, effect }: Contribution): Reason {
  const colon = feature.indexOf(':');
  const prefix = feature.slice(0, colon);
  const body = feature.slice(colon + 1);
  const e = round(effect);
  switch (prefix) {
    case 'w':
      return { kind: 'word', text: body, effect: e };
    case 'n':
      return { kind: 'negated', text: `not ${body}`, effect: e };
    case 'c':
      return { kind: 'after-contrast', text: body, effect: e };
    case 'b':
      return {
        kind: 'phrase',
        text: body.replace(/^n:/, 'not ').replace(/_n:/, ' not ').replace('_', ' '),
        effect: e,
      };
    case 'e':
      return { kind: 'emoji', text: body, effect: e };
    case 'h':
      return { kind: 'hashtag', text: `#${body}`, effect: e };
    case 'p':
      return { kind: 'pattern', text: body.replace(/-/g, ' '), effect: e };
    case 'x':
      if (body === 'question') return { kind: 'question', text: '?', effect: e };
      return {
        kind: body.startsWith('lex') ? 'lexicon' : 'intensity',
        text: CUE_NAMES[body] ?? body,
        effect: e,
      };
    default:
      return { kind: 'lexicon', text: CUE_NAMES[feature] ?? feature, effect: e };
  }
}

/** Common words summing to less than this are left out of the reasons. */
const MIN_COMMON_EFFECT = 0.05;

/** Common-word features by model (found once per model, see `commonFeatures`). */
const commonByModel = new WeakMap<SentimentModel, ReadonlySet<string>>();

/**
 * The model's features made of function words only (`FUNCTION_WORDS`): "w:an", "n:my" (a negated
 * "my"), "b:its_first". Such a feature moves a score like any other, but it is no reason a person can
 * act on, so the reasons give them together as one ('common-words'). Found once per model.
 */
export function commonFeatures(model: SentimentModel): ReadonlySet<string> {
  let common = commonByModel.get(model);
  if (!common) {
    const found = new Set<string>();
    for (const key of model.weights.keys()) {
      const words = featureWords(key);
      if (words?.every((word) => FUNCTION_WORDS.has(word))) found.add(key);
    }
    common = found;
    commonByModel.set(model, common);
  }
  return common;
}

/**
 * The reasons of a scored span: its largest effects, with the common words' summed effect as one
 * reason where it ranks among them ("an, not my, of").
 */
export function reasonsOf(scored: Scored, limit: number): Reason[] {
  // An effect that rounds to nothing (a cue of zero, such as wink's tone of a text it does not score) is no reason.
  const reasons = scored.contributions.map(toReason).filter((r) => r.effect !== 0);
  const { effect, largest } = scored.common;
  if (largest.length === 0 || Math.abs(effect) < MIN_COMMON_EFFECT) return reasons;
  const common: Reason = {
    kind: 'common-words',
    text: largest
      .slice(0, 3)
      .map((c) => toReason(c).text)
      .join(', '),
    effect: round(effect),
  };
  const at = reasons.findIndex((r) => Math.abs(r.effect) < Math.abs(common.effect));
  reasons.splice(at < 0 ? reasons.length : at, 0, common);
  return reasons.slice(0, limit);
}

export type AnalyzerOptions = {
  /** Texts it says are confidently not English get no sentiment. Without one, everything is scored. */
  detectLanguage?: LanguageDetector;
  /** Touchpoint and intent vocabulary of this deployment (default: DEFAULT_VOCABULARY). */
  vocabulary?: Vocabulary;
  /** This deployment's sentiment model (default: the shipped one). */
  model?: ModelFile;
  /** Texts read by one wink instance before a fresh one replaces it (default READS_PER_INSTANCE). */
  readsPerInstance?: number;
};

export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  // One read of each text serves the sentiment features, the themes and the touchpoints. The reader's
  // wink instance keeps documents independent, so a text gets the same result whatever came before.
  const reader = createReader({ readsPerInstance: options.readsPerInstance });
  const themeExtractor = createThemeExtractor(undefined, reader);
  const classifier = createTouchpointClassifier(options.vocabulary, reader);
  const sentimentModel = options.model ? loadModel(options.model) : shippedModel;
  const common = commonFeatures(sentimentModel);
  const isCommon = (feature: string) => common.has(feature);

  /**
   * Aspect sentiment by clause: in "the screen is great but the battery died" the screen and the
   * battery go opposite ways, though they share a sentence. A sentence with no contrast is one clause
   * with the sentence's score; each clause of one that has is scored on its own. Undefined when no
   * sentence has a contrast: the clauses are then the sentences.
   */
  function clausesOf(
    read: ReadText,
    sentenceScores: number[],
    textContext: FeatureContext,
    patterns: readonly Pattern[],
  ): { of: number[]; scores: number[] } | undefined {
    const split = read.sentences.map((sentence) => contrastClauses(read, sentence.first, sentence.last));
    if (split.every((clauses) => clauses.length === 1)) return undefined;
    const of = new Array<number>(read.values.length).fill(0);
    const scores: number[] = [];
    split.forEach((clauses, k) => {
      for (const [first, last] of clauses) {
        for (let i = first; i <= last; i++) of[i] = scores.length;
        if (clauses.length === 1) {
          scores.push(sentenceScores[k] ?? 0);
          continue;
        }
        const lower = read.lower.slice(read.starts[first], read.ends[last]);
        // wink scores whole sentences only: a clause's own words speak for it, not the sentence's score.
        const features = spanFeatures(read, first, last, lower, 0, [0], textContext, patterns);
        scores.push(round(scoreFeatures(sentimentModel, features).score));
      }
    });
    return { of, scores };
  }

  function themesOf(
    read: ReadText,
    sentenceScores: number[],
    ignoreWords: string[],
    textContext: FeatureContext,
    patterns: readonly Pattern[],
  ): ThemeHit[] {
    const clauses = clausesOf(read, sentenceScores, textContext, patterns);
    const themes: Theme[] = themeExtractor.extract(read, { ignoreWords, sentenceScores, clauses });
    return themes.slice(0, MAX_THEMES).map(({ theme, score }) => ({ theme, score: round(score) }));
  }

  function analyze(rawText: string, analyzeOptions: AnalyzeOptions = {}): Analysis {
    const text = rawText.length > MAX_ANALYSED_CHARS ? rawText.slice(0, MAX_ANALYSED_CHARS) : rawText;
    const ignore = [...(analyzeOptions.ignoreWords ?? [])].map((w) => w.replace(/^"|"$/g, ''));
    const detected = options.detectLanguage?.(text, ignore) ?? { language: null, confidence: 0 };
    if (detected.language !== null && detected.language !== 'en') {
      // Not English: the model, themes and vocabulary are English, so no score rather than a
      // confident wrong one; the language is recorded.
      return {
        score: null,
        label: null,
        language: detected.language,
        sentences: [],
        themes: [],
        reasons: [],
        touchpoints: [],
        intents: [],
      };
    }
    // The brands' own words are no sentiment about them (see `ignoreWords`).
    const unscored = unscoredWords(ignore);
    const read = reader.read(text, { unscored });
    const textContext = featureContext(sentimentModel, unscored);
    const spans = textFeatures(read, textContext, true);
    const scored = scoreFeatures(sentimentModel, spans.document, REASONS_PER_SPAN, isCommon);
    let reasons = reasonsOf(scored, REASONS_PER_SPAN);
    const plain = plainOf(read, spans, textContext, unscored);
    const { touchpoints, intents, verdict } = classifier.classify(read, { brandTerms: ignore });
    /** A span's score under the verdict, its reason put first where the verdict lowered it. */
    const held = (from: number, reasons: Reason[]): number => {
      const to = verdict ? underVerdict(from) : from;
      if (verdict && to !== from) {
        reasons.unshift({
          kind: 'intent',
          text: `${verdict.intent}: ${verdict.evidence}`,
          effect: round(to - from),
        });
      }
      return to;
    };
    const sentences: SentenceSentiment[] = spans.sentences.map((features, k) => {
      const single = features === spans.document;
      const sentence = single ? scored : scoreFeatures(sentimentModel, features, REASONS_PER_SPAN, isCommon);
      const own = single ? [...reasons] : reasonsOf(sentence, REASONS_PER_SPAN);
      let score = sentence.score;
      const kind = plain?.plain.find((p) => p.k === k)?.kind;
      if (kind) {
        own.unshift(plainReason(read, k, kind, -score));
        score = 0;
      }
      if (verdict?.sentences.includes(k)) score = held(score, own);
      return { text: read.sentences[k]?.text ?? '', score: round(score), reasons: own };
    });
    const themes = themesOf(
      read,
      sentences.map((s) => s.score),
      ignore,
      textContext,
      spans.patterns,
    );
    // A text with plain statements scores what the rest of it says: nothing, when it has no rest.
    let said = scored.score;
    if (plain) {
      const rest = plain.rest && scoreFeatures(sentimentModel, plain.rest, REASONS_PER_SPAN, isCommon);
      said = rest ? rest.score : 0;
      const first = plain.plain[0] ?? { k: 0, kind: 'asks' };
      reasons = [
        plainReason(read, first.k, first.kind, said - scored.score),
        ...(rest ? reasonsOf(rest, REASONS_PER_SPAN) : reasons),
      ];
    }
    const textScore = held(said, reasons);
    const rating = analyzeOptions.rating;
    const score = round(blendRating(textScore, rating));
    if (rating !== null && rating !== undefined && Number.isFinite(rating)) {
      reasons.unshift({ kind: 'rating', text: `${rating}★`, effect: round(score - textScore) });
    }
    // Mixed: strong sentences both ways ("the camera is superb. The battery is a disaster."), unless
    // the writer is leaving the brand (that verdict outweighs the praise) or the praise is sarcasm
    // ("Great, another outage. Just what I needed today.": the second sentence alone reads as praise).
    const strongPositive = sentences.some((s) => s.score >= sentimentModel.mixedBand);
    const strongNegative = sentences.some((s) => s.score <= -sentimentModel.mixedBand);
    const sarcastic = [...SARCASM].some((id) => spans.document.has(`p:${id}`));
    const label: SentimentLabel =
      strongPositive && strongNegative && !verdict && !sarcastic
        ? 'mixed'
        : labelFor(score, sentimentModel.neutralBand);
    return { score, label, language: detected.language, sentences, themes, reasons, touchpoints, intents };
  }

  return { analyze };
}
