/**
 * The labelled sentiment sets in ../shared/data/sentiment (never copied into the repository):
 * UCI Sentiment Labelled Sentences (amazon_cells, imdb, yelp; 0/1) and the VADER ground truth
 * (tweets, Amazon review snippets, movie review snippets, NYT editorial snippets; mean human
 * rating −4..4: > 0 positive, < 0 negative, 0 dropped).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SENTIMENT_DIR = resolve(import.meta.dirname, '../../../../shared/data/sentiment');

export type LabelledItem = { text: string; label: 'positive' | 'negative'; rating?: number };
export type LabelledSet = { name: string; items: LabelledItem[] };

export const UCI_SETS = ['amazon_cells', 'imdb', 'yelp'] as const;
export const VADER_SETS = [
  'tweets',
  'amazonReviewSnippets',
  'movieReviewSnippets',
  'nytEditorialSnippets',
] as const;

export function hasSentimentData(dir = SENTIMENT_DIR): boolean {
  return existsSync(join(dir, 'uci')) && existsSync(join(dir, 'vader'));
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
}

export function loadSentimentSets(dir = SENTIMENT_DIR): LabelledSet[] {
  const sets: LabelledSet[] = [];
  for (const name of UCI_SETS) {
    // One header line (`sentence<TAB>score`) in this copy.
    const items = lines(join(dir, 'uci', `${name}_labelled.txt`))
      .slice(1)
      .flatMap((line): LabelledItem[] => {
        const tab = line.lastIndexOf('\t');
        const value = line.slice(tab + 1).trim();
        if (tab < 0 || (value !== '0' && value !== '1')) return [];
        return [{ text: line.slice(0, tab), label: value === '1' ? 'positive' : 'negative' }];
      });
    sets.push({ name, items });
  }
  for (const name of VADER_SETS) {
    const items = lines(join(dir, 'vader', `${name}_GroundTruth.txt`)).flatMap((line): LabelledItem[] => {
      const [, rating, ...rest] = line.split('\t');
      const value = Number(rating);
      if (!Number.isFinite(value) || value === 0 || rest.length === 0) return [];
      return [{ text: rest.join('\t'), label: value > 0 ? 'positive' : 'negative', rating: value }];
    });
    sets.push({ name, items });
  }
  return sets;
}
