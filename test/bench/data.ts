/**
 * The benchmarks read the labelled sentiment sets through the training loader
 * (src/nlp/training/datasets.ts: one loader for training and measuring). EARSHOT_SENTIMENT_DIR
 * points them elsewhere (to try the skip path without touching ../shared).
 */
import * as datasets from '../../src/nlp/training/datasets.ts';

export type { LabelledItem, LabelledSet } from '../../src/nlp/training/datasets.ts';

export const SENTIMENT_DIR = process.env.EARSHOT_SENTIMENT_DIR ?? datasets.SENTIMENT_DIR;

export function hasSentimentData(dir: string = SENTIMENT_DIR): boolean {
  return datasets.hasSentimentData(dir);
}

/** The sets, named by collection ("uci/yelp", "vader/tweets"). */
export function loadSentimentSets(dir: string = SENTIMENT_DIR): datasets.LabelledSet[] {
  return datasets.loadSentimentSets(dir).map((set) => ({
    name: `${(datasets.UCI_SETS as readonly string[]).includes(set.name) ? 'uci' : 'vader'}/${set.name}`,
    items: set.items,
  }));
}
