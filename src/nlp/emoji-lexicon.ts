/**
 * Emoji valences (VADER's −4..4 scale) for the rule layer. The VADER lexicon has none and the public
 * training sets hardly any emoji (the tweets are from before they were common), so the model had no
 * weight and the rule layer no valence for "Acme 😡😡😡" (−0.16) or "Acme 🙏❤️" (+0.36): only wink's
 * own document score spoke for them.
 *
 * Two sources, added to the lexicon the model is trained and scored with (train.ts):
 * - wink-nlp's English model rates 230 emoji (−5..5 like AFINN; ×0.8 to VADER's scale): its own
 *   values, read from wink at training (`winkEmojiValences`);
 * - `EMOJI_LEXICON`: earshot's own values for emoji people use about brands that wink does not rate
 *   (🤬 🙄 🤮 🥰 🤡 🤦…, newer than its list) or rates weaker than their use (😡 "pouting face" is
 *   rage, −0.8 in wink), set by analogy with a VADER word of similar strength (in the comment).
 *   These replace wink's value where both exist.
 * Emoji whose use is split stay out: 😭 (grief and laughter), 💀 ("I'm dead" laughing), 😬, 🤷.
 */
import type { WinkMethods } from 'wink-nlp';

export const EMOJI_LEXICON: ReadonlyMap<string, number> = new Map([
  // Anger, disgust, contempt.
  ['😡', -2.7], // furious −2.7 (wink −0.8)
  ['🤬', -2.7], // furious −2.7 (wink: none)
  ['😠', -2.3], // angry −2.3 (wink −1.6)
  ['😤', -1.6], // annoyed −1.6 (wink −0.8)
  ['🙄', -1.5], // ridiculous −1.5 (wink: none)
  ['🤮', -2.9], // disgust −2.9 (wink: none)
  ['🤢', -2.4], // disgusting −2.4 (wink: none)
  ['🤡', -1.5], // ridiculous −1.5 (wink: none)
  ['🤦', -1.9], // frustrating −1.9 (wink: none)
  ['💩', -1.6], // crap −1.6 (wink −0.8)
  ['👎', -2.0], // unacceptable −2.0 (wink −0.8)
  // Disappointment and sadness.
  ['😞', -2.1], // disappointed −2.1 (wink −0.8)
  ['😢', -2.1], // sad −2.1 (wink: none)
  ['😔', -2.1], // sad −2.1 (wink −0.8)
  ['💔', -2.2], // heartbreak −2.7, less (wink −0.8)
  // Praise.
  ['🔥', 2.0], // awesome 3.1, less: "this drop is 🔥" (wink 0.8)
  ['💯', 2.0], // excellent 2.7, less (wink 0.8)
  ['🥰', 2.9], // loving 2.9 (wink: none)
  ['🤩', 2.8], // amazing 2.8 (wink: none)
  ['🫶', 2.6], // adore 2.6 (wink: none)
  ['🤝', 1.5], // agree 1.5 (wink: none)
]);

/** The emoji blocks wink's tokenizer reads as emoji. */
const EMOJI_RANGES: ReadonlyArray<[number, number]> = [
  [0x1f300, 0x1faff],
  [0x2600, 0x27bf],
];

/** wink's own valence of each emoji it rates, on VADER's scale. `nlp` must run its sentiment step. */
export function winkEmojiValences(nlp: WinkMethods): Map<string, number> {
  const valences = new Map<string, number>();
  for (const [from, to] of EMOJI_RANGES) {
    for (let code = from; code <= to; code++) {
      const emoji = String.fromCodePoint(code);
      const doc = nlp.readDoc(emoji);
      if (doc.tokens().length() !== 1 || doc.tokens().itemAt(0).out(nlp.its.type) !== 'emoji') continue;
      const score = Number(doc.out(nlp.its.sentiment)) || 0;
      // A one-token document's score is the token's AFINN-style value / 5.
      if (score !== 0) valences.set(emoji, Math.round(score * 5 * 0.8 * 100) / 100);
    }
  }
  return valences;
}

/** The lexicon with the emoji valences added: wink's, then earshot's over them. Words are untouched. */
export function withEmoji(lexicon: ReadonlyMap<string, number>, nlp: WinkMethods): Map<string, number> {
  const result = new Map(lexicon);
  for (const [emoji, valence] of winkEmojiValences(nlp)) if (!result.has(emoji)) result.set(emoji, valence);
  for (const [emoji, valence] of EMOJI_LEXICON) result.set(emoji, valence);
  return result;
}
