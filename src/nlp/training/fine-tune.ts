/**
 * Folding a deployment's label corrections into its sentiment model: the shipped weights are
 * fine-tuned on the corrections (so no public data is needed where earshot runs). Before writing,
 * the effect is measured honestly: tuned on a part of the corrections, measured on the part held
 * back, against the model as it was.
 */
import type { SentimentLabel } from '../../types.ts';
import { textFeatures } from '../features.ts';
import { featureContext, loadModel, type ModelFile } from '../model.ts';
import { createReader } from '../read.ts';
import { unscoredWords } from '../wink.ts';
import { type Example, predictRaw, prune, trainLogistic } from './train.ts';

export type Correction = {
  text: string;
  label: SentimentLabel;
  /** The terms of the brands the mention names: scored as the analyzer scores them (not at all). */
  brandTerms?: readonly string[];
};

/** How much a correction counts against one example of the original training. */
export const CORRECTION_WEIGHT = 3;
const FINE_TUNE = { epochs: 6, l2: 1e-3, learningRate: 0.1, minCount: 1 };

function target(label: SentimentLabel): number | null {
  if (label === 'positive') return 1;
  if (label === 'negative') return 0;
  if (label === 'neutral') return 0.5;
  return null; // mixed: no single direction to learn
}

export type FineTuneReport = {
  corrections: number;
  usable: number;
  heldBack: number;
  /** Agreement with the held-back corrections' labels, before and after tuning on the rest. */
  before: number | null;
  after: number | null;
};

function agreement(weights: ReadonlyMap<string, number>, band: number, held: readonly Example[]): number {
  let right = 0;
  for (const e of held) {
    const score = predictRaw(weights, e.features);
    const predicted = score > band ? 1 : score < -band ? 0 : 0.5;
    if (predicted === e.y) right++;
  }
  return Math.round((right / held.length) * 1000) / 1000;
}

export function fineTune(
  file: ModelFile,
  corrections: readonly Correction[],
): { file: ModelFile; report: FineTuneReport } {
  const base = loadModel(file);
  const reader = createReader();
  const examples: Example[] = [];
  for (const c of corrections) {
    const y = target(c.label);
    if (y === null) continue;
    const unscored = unscoredWords(c.brandTerms);
    const read = reader.read(c.text, { unscored });
    const { document } = textFeatures(read, featureContext(base, unscored), false);
    examples.push({
      set: 'corrections',
      features: document,
      y,
      weight: CORRECTION_WEIGHT,
      binary: y >= 0.5 ? 1 : 0,
    });
  }
  // Every fifth correction is held back to measure the effect.
  const held = examples.filter((_, i) => i % 5 === 4);
  const tuneOn = examples.filter((_, i) => i % 5 !== 4);
  const report: FineTuneReport = {
    corrections: corrections.length,
    usable: examples.length,
    heldBack: held.length,
    before: held.length > 0 ? agreement(base.weights, base.neutralBand, held) : null,
    after:
      held.length > 0
        ? agreement(trainLogistic(tuneOn, FINE_TUNE, base.weights), base.neutralBand, held)
        : null,
  };
  const weights = examples.length > 0 ? trainLogistic(examples, FINE_TUNE, base.weights) : base.weights;
  return {
    file: {
      ...file,
      trainedAt: new Date().toISOString(),
      trainedOn: [...file.trainedOn, `corrections (${examples.length})`],
      weights: prune(weights),
    },
    report,
  };
}
