/**
 * Questions that ask for information ("How do I reset my Acme password?", "Does Acme ship to
 * Canada?", "Is there a way to export my data?") say nothing for or against anyone. The model learned
 * its questions from reviews, where they are mostly rhetorical ("Who in their right mind is gonna buy
 * this battery?", "So what's the point?"): it scored those three −0.78, −0.13 and −0.07, and "Does
 * Acme offer student discounts?" −0.63, each a negative-mention alert for support to dismiss.
 *
 * A sentence asks when it is a question, opens with one of `FRAMES` (after a greeting, an @mention or
 * the brand's name: "Hey Acme, is the blue one back in stock?") and holds no sentiment evidence: no
 * word, emoji or pattern with a valence, no negation ("Is there no way to…"), no word of rhetoric
 * ("Do you even test this?", "Is it just me or…") and no word of a problem ("Is Acme down?"). "Why…" and "When will…" never ask here: they are
 * how people chase a problem. The frames are few on purpose: on the public labelled sets, where
 * questions are mostly rhetorical, 17 of 26,320 texts open a question with one of them.
 */
import { type AnalysedSpans, type FeatureContext, type Features, partFeatures } from './features.ts';
import type { ReadText } from './read.ts';

type Slot = ReadonlySet<string>;

/** Who or what a question is about: "do *you*", "does *the* app", "can *I*", or a brand's word. */
const ABOUT =
  'i|we|you|u|one|someone|somebody|anyone|anybody|it|this|that|these|those|the|my|your|our|they|there|a|an';

/** Openings of a question that asks, as slots of wink normal forms ("what's" reads "what" "is"). */
const FRAMES: ReadonlyArray<readonly Slot[]> = [
  'how do|does|can|should|would|will i|we|you|u|one|someone|anyone|it|this|that|the|my|your',
  'how to',
  'how much|many|long|often|far|soon',
  'where do|can|should|would|will i|we|you|one',
  'where is|are the|your',
  'who do|can|should|would i|we',
  'who is|are the|your',
  'what time|day|days|hours|size|sizes|version|colour|color|model|models|plan|plans|options|kind|type|sort|format|payment|address|email|number',
  'what is|are the|your best|difference|differences|price|prices|cost|hours|options|plans|policy|process|status|address|number|email|deadline|limit|name',
  'what do|should|can i|we|you need|use|recommend|choose|pick|get|buy|bring|do',
  'which',
  'is|are there a|an|any',
  'is it possible|ok|okay|safe|normal|true',
  'any way|chance|idea|ideas|tips|recommendations|suggestions|advice|plans|news',
  `do|does|can|could|will|would|should|may|is|are|was|were|has|have ${ABOUT}`,
].map((frame) => frame.split(' ').map((slot) => new Set(slot.split('|'))));

/** Words before the question proper: greetings, "quick question:", "just wondering,". */
const OPENERS = new Set([
  'hi',
  'hey',
  'hello',
  'hiya',
  'yo',
  'ok',
  'okay',
  'so',
  'also',
  'and',
  'quick',
  'question',
  'just',
  'wondering',
  'please',
  'pls',
  'guys',
  'team',
  'folks',
  'everyone',
  'all',
  'there',
  'dear',
  'support',
]);

/** Words that make a question rhetorical, or a complaint in the form of one. */
const RHETORIC = new Set([
  'even',
  'ever',
  'really',
  'seriously',
  'honestly',
  'actually',
  'kidding',
  'joking',
  'serious',
  'believe',
  'again',
  'anymore',
  'else',
  'already',
  'supposed',
  'bother',
  'possibly',
  'hell',
  'heck',
  'point',
  'wrong',
  'anything', // "Can Acme get anything right?"
  'ask', // "Is it too much to ask…"
]);

/** Words of a problem: "Is Acme down?", "Has anyone else been charged twice?" report one as they ask. */
const PROBLEMS = new Set([
  'down',
  'outage',
  'offline',
  'broken',
  'broke',
  'crash',
  'crashing',
  'crashed',
  'crashes',
  'freezing',
  'frozen',
  'failed',
  'failing',
  'declined',
  'error',
  'errors',
  'bug',
  'bugs',
  'glitch',
  'charged',
  'overcharged',
  'refund',
  'late',
  'delayed',
  'missing',
  'lost',
  'stuck',
  'locked',
  'hacked',
  'scam',
  'damaged',
  'cancelled',
  'canceled',
]);

const NEGATIONS = new Set(['not', 'no', 'never', 'nobody', 'nothing', 'none', 'nor', 'without']);

function isBrand(normal: string, unscored: ReadonlySet<string> | undefined): boolean {
  return unscored?.has(normal.replace(/^[@#]/, '')) === true;
}

/** The first token of `first..last` after a greeting, an @mention or the brand's name ("Hey @acme,"). */
function afterOpeners(read: ReadText, first: number, last: number, unscored?: ReadonlySet<string>): number {
  const { normals, types } = read;
  let at = first;
  while (at <= last) {
    const normal = normals[at] as string;
    if (
      types[at] === 'punctuation' ||
      types[at] === 'mention' ||
      OPENERS.has(normal) ||
      isBrand(normal, unscored)
    ) {
      at++;
    } else break;
  }
  return at;
}

/** Whether a span's features hold sentiment evidence: a word, emoji or pattern with a valence. */
function hasEvidence(features: Features): boolean {
  return features.has('x:lexpos') || features.has('x:lexneg');
}

/**
 * Whether the tokens `first..last` (a sentence) are a question asking for information (see the
 * module's comment; `features` are the sentence's own). `unscored`: the brands' words, which may
 * open the question ("Acme, do you…") or stand for its subject ("does Acme ship…").
 */
function asksForInformation(
  read: ReadText,
  first: number,
  last: number,
  features: Features,
  unscored?: ReadonlySet<string>,
): boolean {
  if (!features.has('x:question') || hasEvidence(features)) return false;
  const { normals } = read;
  for (let i = first; i <= last; i++) {
    const normal = normals[i] as string;
    if (NEGATIONS.has(normal) || RHETORIC.has(normal) || PROBLEMS.has(normal)) return false;
    // "Is it just me or…"
    if (normal === 'me' && normals[i - 1] === 'just') return false;
  }
  const brand = (normal: string) => isBrand(normal, unscored);
  const at = afterOpeners(read, first, last, unscored);
  return FRAMES.some((frame) =>
    frame.every((slot, k) => {
      const normal = normals[at + k];
      return at + k <= last && normal !== undefined && (slot.has(normal) || (k > 0 && brand(normal)));
    }),
  );
}

/**
 * A text's questions that ask for information (`asking`: indexes of `read.sentences`) and the
 * features of the rest of it (`rest`: from its first sentence that says something else to its last;
 * null when it only asks, or greets). Undefined when no sentence asks.
 */
export type Asked = { asking: number[]; rest: Features | null };

export function askedOf(
  read: ReadText,
  spans: AnalysedSpans,
  context: FeatureContext,
  unscored?: ReadonlySet<string>,
): Asked | undefined {
  const asking: number[] = [];
  read.sentences.forEach((sentence, k) => {
    const features = spans.sentences[k];
    if (features && asksForInformation(read, sentence.first, sentence.last, features, unscored))
      asking.push(k);
  });
  if (asking.length === 0) return undefined;
  // A greeting on its own ("Hi Acme.") says no more than the question.
  const rest = read.sentences.filter(
    (sentence, k) =>
      !asking.includes(k) && afterOpeners(read, sentence.first, sentence.last, unscored) <= sentence.last,
  );
  return { asking, rest: rest.length === 0 ? null : partFeatures(read, rest, context, spans.patterns) };
}
