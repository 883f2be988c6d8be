/**
 * Text analysis on wink-nlp: sentiment per sentence and per document, and themes (the noun phrases
 * people talk about). The model is loaded once per process by `createAnalyzer`; `analyze` keeps no
 * state between documents, so a text gets the same result whatever was analysed before it.
 */
import model from 'wink-eng-lite-web-model';
import winkNLP, { type ItemSentence, type ItemToken } from 'wink-nlp';
import type { SentimentLabel } from '../types.ts';

/** Scores with a magnitude at or below this are neutral. Chosen on the UCI labelled sentences. */
export const NEUTRAL_BAND = 0.05;
/** Longer texts are cut: sentiment and themes of the first part are what a reader sees too. */
export const MAX_ANALYSED_CHARS = 20_000;
const MAX_THEMES = 8;
const MAX_THEME_WORDS = 3;

export type SentenceSentiment = { text: string; score: number };
export type ThemeHit = { theme: string; score: number };
export type Analysis = {
  score: number;
  label: SentimentLabel;
  sentences: SentenceSentiment[];
  themes: ThemeHit[];
};

export type AnalyzeOptions = {
  /** Star rating 1..5 where the item is a review. */
  rating?: number | null;
  /** Words never reported as themes (a brand's own terms, say). */
  ignoreWords?: Iterable<string>;
};

export type Analyzer = { analyze: (text: string, options?: AnalyzeOptions) => Analysis };

export function labelFor(score: number): SentimentLabel {
  if (score > NEUTRAL_BAND) return 'positive';
  if (score < -NEUTRAL_BAND) return 'negative';
  return 'neutral';
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function clamp(value: number): number {
  return Math.max(-1, Math.min(1, value));
}

/**
 * A star rating is what the reviewer said the text means: blend it in equally with the text score
 * (1★ → −1, 3★ → 0, 5★ → +1).
 */
function blendRating(textScore: number, rating: number | null | undefined): number {
  if (rating === null || rating === undefined || !Number.isFinite(rating)) return textScore;
  const ratingScore = clamp((rating - 3) / 2);
  return (textScore + ratingScore) / 2;
}

const THEME_WORD = /^[a-z][a-z-]*[a-z]$/;
/** Nouns too generic to be a theme on their own (singular: plurals are folded first). */
const GENERIC_NOUNS = new Set([
  'thing',
  'things',
  'time',
  'way',
  'lot',
  'day',
  'year',
  'people',
  'one',
  'anything',
  'something',
  'everything',
  'nothing',
  'bit',
  'kind',
  'sort',
  'part',
  'today',
  'yesterday',
  'week',
  'month',
  'hour',
  'minute',
  'http',
  'https',
  'www',
  'com',
]);

export function createAnalyzer(): Analyzer {
  const nlp = winkNLP(model);
  const its = nlp.its;

  function analyze(rawText: string, options: AnalyzeOptions = {}): Analysis {
    const text = rawText.length > MAX_ANALYSED_CHARS ? rawText.slice(0, MAX_ANALYSED_CHARS) : rawText;
    const ignore = new Set<string>();
    for (const word of options.ignoreWords ?? []) {
      for (const part of word.toLowerCase().split(/\s+/)) if (part) ignore.add(part);
    }
    const doc = nlp.readDoc(text);
    const sentences: SentenceSentiment[] = [];
    const themeScores = new Map<string, number[]>();

    doc.sentences().each((sentence: ItemSentence) => {
      const score = round(Number(sentence.out(its.sentiment)) || 0);
      sentences.push({ text: String(sentence.out()).trim(), score });
      let run: string[] = [];
      const flush = () => {
        // A generic noun is fine inside a compound ("delivery time") but no theme on its own.
        const generic = run.length === 1 && GENERIC_NOUNS.has(run[0] ?? '');
        if (run.length > 0 && run.length <= MAX_THEME_WORDS && !generic) {
          const theme = run.join(' ');
          const scores = themeScores.get(theme) ?? [];
          scores.push(score);
          themeScores.set(theme, scores);
        }
        run = [];
      };
      sentence.tokens().each((token: ItemToken) => {
        const pos = token.out(its.pos);
        const word = String(token.out(its.normal));
        // Plurals are folded ("delivery times" and "delivery time" are one theme), but only by cutting
        // the ending: the model's lemmas also expand words ("app" -> "application").
        const lemma = String(token.out(its.lemma as Parameters<ItemToken['out']>[0])).toLowerCase();
        const folded = lemma.length >= 3 && word.startsWith(lemma) ? lemma : word;
        const isThemeNoun =
          pos === 'NOUN' &&
          !token.out(its.stopWordFlag) &&
          THEME_WORD.test(folded) &&
          folded.length >= 3 &&
          !ignore.has(word) &&
          !ignore.has(folded);
        if (!isThemeNoun) {
          flush();
          return;
        }
        run.push(folded);
      });
      flush();
    });

    const textScore = round(Number(doc.out(its.sentiment)) || 0);
    const score = round(blendRating(textScore, options.rating));
    const themes = [...themeScores.entries()]
      .map(([theme, scores]) => ({
        theme,
        count: scores.length,
        score: round(scores.reduce((a, b) => a + b, 0) / scores.length),
      }))
      .sort((a, b) => b.count - a.count || a.theme.localeCompare(b.theme))
      .slice(0, MAX_THEMES)
      .map(({ theme, score: s }) => ({ theme, score: s }));
    return { score, label: labelFor(score), sentences, themes };
  }

  return { analyze };
}
