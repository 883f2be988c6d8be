/**
 * Proper names in the labelled texts: places, people, films, days and months. Trained freely, the
 * model gave them weights from whatever the sets happened to say near them ("metropolis" +1.69,
 * "spielberg" +1.57, "seagal" −1.60, "colorado" +1.42, "canada" +1.33, "sunday" +1.01), so a mention
 * from Colorado leaned positive and one naming Seagal negative. A name is no sentiment, so the words
 * found here are scored like identity terms (`identity-terms.ts`): known words, in no feature.
 *
 * A word is a name when, away from the start of a sentence or quotation, it is written Capitalised
 * at least 80% of the times it is written in Capitalised or lower case (shouted words are not
 * counted), and it is seen at least twice in all ("Denver" opens one sentence and is mid-sentence in
 * another). Words the VADER lexicon or wink's own lexicon scores are left out: a title's "Love" or
 * "Joy" is still a sentiment word elsewhere, and leaving them out keeps wink's scores untouched.
 */
import type { LabelledSet } from './datasets.ts';

const MIN_SHARE = 0.8;
/** A word seen once has no weight to take away (the model keeps features seen twice or more). */
const MIN_SEEN = 2;

/** Splits at sentence ends, closing quotes and brackets, colons and dashes between words. */
const SEGMENT = /(?<=[.!?;:"()])\s+|\s+-+\s+/;
const WORD = /^[^\p{L}]*(\p{L}{2,})[^\p{L}]*$/u;
const CAPITALISED = /^\p{Lu}\p{Ll}+$/u;

export function properNames(
  sets: ReadonlyArray<Pick<LabelledSet, 'items'>>,
  /** Words to leave out: those a lexicon scores (they keep their valence), identity terms. */
  leaveOut: (word: string) => boolean,
): string[] {
  const capitalised = new Map<string, number>();
  const lower = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const set of sets) {
    for (const item of set.items) {
      for (const segment of item.text.split(SEGMENT)) {
        const tokens = segment.split(/\s+/);
        for (let i = 0; i < tokens.length; i++) {
          const token = tokens[i] as string;
          const word = WORD.exec(token)?.[1];
          if (word === undefined) continue;
          const folded = word.toLowerCase();
          seen.set(folded, (seen.get(folded) ?? 0) + 1);
          // Handles, hashtags and the first word of a sentence or quotation are not written as prose is.
          if (i === 0 || /^[@#"'“‘(]/.test(token)) continue;
          if (CAPITALISED.test(word)) capitalised.set(folded, (capitalised.get(folded) ?? 0) + 1);
          else if (word === folded) lower.set(folded, (lower.get(folded) ?? 0) + 1);
        }
      }
    }
  }
  const names: string[] = [];
  for (const [word, n] of capitalised) {
    if ((seen.get(word) ?? 0) < MIN_SEEN || n / (n + (lower.get(word) ?? 0)) < MIN_SHARE) continue;
    if (!leaveOut(word)) names.push(word);
  }
  return names.sort();
}
