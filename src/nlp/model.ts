/**
 * The sentiment model: logistic regression over the features of `features.ts`, trained by
 * `src/nlp/training/train.ts` on public labelled data (and a deployment's corrections) and shipped
 * as a weights file. Linear, so every score decomposes into the features that moved it.
 */
import type { FeatureContext, Features } from './features.ts';
import { IDENTITY_TERMS } from './identity-terms.ts';

export type ModelFile = {
  version: 1;
  /** Scores with a magnitude at or below this are neutral. */
  neutralBand: number;
  /** Sentences scoring beyond ±this on both sides make a mixed document. */
  mixedBand: number;
  trainedAt: string;
  trainedOn: string[];
  /** Cross-validated figures from the training run (out-of-fold, never the training rows). */
  crossValidation: Record<string, unknown>;
  /**
   * Word and emoticon valences −4..4: the VADER lexicon (Hutto & Gilbert 2014, MIT / Apache-2.0) and
   * earshot's product and service words it lacks (`domain-lexicon.ts`).
   */
  lexicon: Record<string, number>;
  /**
   * Proper names found in the training texts (`training/proper-names.ts`): places, people, titles.
   * Scored like identity terms, words with no weight. Absent from files written before they were.
   */
  names?: string[];
  weights: Record<string, number>;
};

export type SentimentModel = {
  neutralBand: number;
  mixedBand: number;
  weights: ReadonlyMap<string, number>;
  /** Words the model has weights for: used to split hashtags and fold elongated words. */
  known: ReadonlySet<string>;
  lexicon: ReadonlyMap<string, number>;
  /** Proper names: words, but no sentiment (no feature, like identity terms). */
  names: ReadonlySet<string>;
};

export function loadModel(file: ModelFile): SentimentModel {
  const weights = new Map(Object.entries(file.weights));
  const known = new Set<string>();
  for (const key of weights.keys()) if (key.startsWith('w:')) known.add(key.slice(2));
  const lexicon = new Map(Object.entries(file.lexicon));
  for (const word of lexicon.keys()) if (/^\p{L}+$/u.test(word)) known.add(word);
  // Words with no weight of their own, but words: "#jewish" is one, not "je" + "wish".
  for (const word of IDENTITY_TERMS) known.add(word);
  const names = new Set(file.names ?? []);
  for (const word of names) known.add(word);
  return { neutralBand: file.neutralBand, mixedBand: file.mixedBand, weights, known, lexicon, names };
}

/** The features' context of a text scored by this model; `unscored`: the words of the brands it names. */
export function featureContext(model: SentimentModel, unscored?: ReadonlySet<string>): FeatureContext {
  const { known, lexicon, names } = model;
  return unscored ? { known, lexicon, names, unscored } : { known, lexicon, names };
}

export type Contribution = { feature: string; effect: number };

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export type Scored = {
  score: number;
  /** The `topN` features that moved the score most, largest first (none of the common ones). */
  contributions: Contribution[];
  /** The features `isCommon` picked out: their summed effect, and the `topN` largest of them. */
  common: { effect: number; largest: Contribution[] };
};

/**
 * Score in −1..1 (2p − 1) and the features that moved it most. `isCommon` picks out features that are
 * no reason a person can read on their own (function words: "an", "of", a negated "my"): they count
 * in the score like every other, and are given apart so that they can be reported as one.
 */
export function scoreFeatures(
  model: SentimentModel,
  features: Features,
  topN = 0,
  isCommon?: (feature: string) => boolean,
): Scored {
  let z = 0;
  // The topN largest effects by magnitude, largest first (a short insertion list, not a full sort).
  const contributions: Contribution[] = [];
  const commonPart = { effect: 0, largest: [] as Contribution[] };
  features.forEach((value, feature) => {
    const weight = model.weights.get(feature);
    if (weight === undefined) return;
    const effect = weight * value;
    z += effect;
    if (topN === 0 || feature === 'bias') return;
    const common = isCommon?.(feature) ?? false;
    if (common) commonPart.effect += effect;
    const list = common ? commonPart.largest : contributions;
    const size = Math.abs(effect);
    let at = list.length;
    while (at > 0 && Math.abs((list[at - 1] as Contribution).effect) < size) at -= 1;
    if (at >= topN) return;
    list.splice(at, 0, { feature, effect });
    if (list.length > topN) list.pop();
  });
  return { score: 2 * sigmoid(z) - 1, contributions, common: commonPart };
}
