/**
 * Plain statements, which say nothing for or against anyone: questions that ask for information,
 * news about a brand and plain accounts of dealings with it. The model learned from reviews, where questions are mostly rhetorical ("Who in
 * their right mind is gonna buy this battery?", "So what's the point?") and every sentence is an
 * opinion; it scored "How do I reset my Acme password?" −0.78, "Does Acme offer student discounts?"
 * −0.63, "Acme acquired Globex for $2 billion." −0.23 and "Acme changed its logo." −0.29: each a
 * negative-mention alert for support to dismiss.
 *
 * A sentence **asks** when it is a question that opens with one of `FRAMES` (after a greeting, an
 * @mention or the brand's name: "Hey Acme, is the blue one back in stock?"). It **announces** when,
 * with brand terms given, it opens with the brand ("Acme", "Acme's new ad campaign", "BREAKING: Acme
 * CEO Jane Doe") and a verb of corporate news (`NEWS_VERBS`: launched, announced, is opening, will
 * release, acquired, has moved…) or where it will be ("will be at CES"). It **recounts** when, with
 * brand terms given, it names the brand and its one verb is an everyday dealing ("I ordered an Acme
 * blender yesterday.", see `recounts`). Each must hold no sentiment evidence: no word, emoji or
 * pattern with a valence, no negation ("Is there no way to…"), no word of rhetoric ("Do you even test
 * this?", "Is it just me or…", "updated the app again") and no word of a problem ("Is Acme down?").
 * "Why…" and "When will…" never ask here: they are how people chase a problem. The question frames
 * are few on purpose: on the public labelled sets, where questions are mostly rhetorical, 72 of
 * 26,320 texts hold a question with one of them; no brand is named there, so none announces or
 * recounts.
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

/** Whether the sentence `first..last` carries anything that makes a plain statement an opinion. */
function judges(read: ReadText, first: number, last: number, features: Features): boolean {
  if (hasEvidence(features)) return true;
  const { normals } = read;
  for (let i = first; i <= last; i++) {
    const normal = normals[i] as string;
    if (NEGATIONS.has(normal) || RHETORIC.has(normal) || PROBLEMS.has(normal)) return true;
    // "Is it just me or…"
    if (normal === 'me' && normals[i - 1] === 'just') return true;
  }
  return false;
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
  if (!features.has('x:question') || judges(read, first, last, features)) return false;
  const { normals } = read;
  const brand = (normal: string) => isBrand(normal, unscored);
  const at = afterOpeners(read, first, last, unscored);
  return FRAMES.some((frame) =>
    frame.every((slot, k) => {
      const normal = normals[at + k];
      return at + k <= last && normal !== undefined && (slot.has(normal) || (k > 0 && brand(normal)));
    }),
  );
}

/** Lemmas of the verbs of corporate news. */
const NEWS_VERBS = new Set([
  'launch',
  'announce',
  'release',
  'unveil',
  'introduce',
  'debut',
  'roll',
  'open',
  'close',
  'acquire',
  'buy',
  'merge',
  'partner',
  'team',
  'hire',
  'appoint',
  'name',
  'report',
  'raise',
  'expand',
  'move',
  'relocate',
  'update',
  'change',
  'rebrand',
  'sponsor',
  'sign',
  'file',
  'list',
  'start',
  'begin',
  'end',
  'discontinue',
  'publish',
  'reveal',
  'confirm',
  'schedule',
  'host',
  'invest',
  'build',
  'test',
  'pilot',
  'join',
  'offer',
]);
/** Words between the brand and its verb: "is set to", "has officially", "plans to", "will soon". */
const AUXILIARIES = new Set([
  'is',
  'was',
  'are',
  'were',
  'be',
  'been',
  'has',
  'have',
  'had',
  'will',
  'would',
  'just',
  'officially',
  'finally',
  'now',
  'today',
  'reportedly',
  'also',
  'quietly',
  'soon',
  'already',
  'recently',
  'set',
  'to',
  'plans',
  'plan',
  'planning',
  'going',
  'expected',
  'about',
]);
/** What may follow a release's "drops": "on Friday", "this week", "tomorrow". */
const RELEASE_DATES = new Set(['on', 'this', 'next', 'today', 'tomorrow', 'tonight', 'in']);
/** What a headline may open with: "BREAKING:", "Just in:", "Update:". */
const HEADLINE_OPENERS = new Set(['breaking', 'news', 'update', 'exclusive', 'report', 'just', 'in']);
/** What may stand between a brand and its verb ("Acme's new ad campaign", "Acme CEO Jane Doe"). */
const SUBJECT_TAGS = new Set(['NOUN', 'PROPN', 'ADJ', 'NUM', 'PART']);

/**
 * A sentence (`first..last`, with its own features) of a text whose brands' words (`unscored`) are
 * known, that asks nothing: what `announces` and `recounts` read.
 */
type BrandStatement = {
  read: ReadText;
  first: number;
  last: number;
  features: Features;
  unscored: ReadonlySet<string>;
};

/** Whether the sentence is news about the brand (see the module's comment). */
function announces({ read, first, last, features, unscored }: BrandStatement): boolean {
  const { normals, lemmas, pos, types } = read;
  let at = first;
  while (at <= last && (types[at] === 'punctuation' || HEADLINE_OPENERS.has(normals[at] as string))) at++;
  const subject = at;
  while (at <= last && isBrand(normals[at] as string, unscored)) at++;
  if (at === subject) return false;
  // "Acme's spring collection drops on Friday" is a release, though wink tags that "drops" a noun;
  // "prices drop" is no news.
  const releases = (i: number) => lemmas[i] === 'drop' && RELEASE_DATES.has(normals[i + 1] as string);
  // wink tags many a verb after a name a noun: "Acme sponsors the…", "Acme launches a…", "hosts a…".
  const tagNoun = (i: number) =>
    pos[i] === 'NOUN' &&
    NEWS_VERBS.has(lemmas[i] as string) &&
    (normals[i] as string).endsWith('s') &&
    (pos[i + 1] === 'DET' || pos[i + 1] === 'PRON');
  // "Acme's new ad campaign starts", "Acme CEO Jane Doe announced": up to four words of the subject.
  const inSubject = (i: number) => SUBJECT_TAGS.has(pos[i] as string) && !releases(i) && !tagNoun(i);
  for (let taken = 0; at <= last && taken < 4 && inSubject(at); taken++) at++;
  for (let taken = 0; at <= last && taken < 4 && AUXILIARIES.has(normals[at] as string); taken++) at++;
  // "Acme will be at CES next week": where the brand will be is news too.
  const isAt = normals[at - 1] === 'be' && (normals[at] === 'at' || normals[at] === 'in');
  // After an auxiliary a news verb is one though tagged an adjective ("Acme will close its branch").
  const verbal =
    pos[at] === 'VERB' || tagNoun(at) || (pos[at] === 'ADJ' && AUXILIARIES.has(normals[at - 1] as string));
  const news = releases(at) || (verbal && NEWS_VERBS.has(lemmas[at] as string));
  const opensWithNews = at <= last && (news || isAt);
  // The whole sentence is read for a judgement only where its opening is news.
  return opensWithNews && !judges(read, first, last, features);
}

/** Lemmas of the verbs of everyday dealings with a brand: "I ordered", "picked up", "got an email from". */
const DEALINGS_VERBS = new Set([
  'order',
  'preorder',
  'buy',
  'purchase',
  'pick',
  'get',
  'receive',
  'switch',
  'come',
  'arrive',
  'use',
  'compare',
  'try',
  'sign',
  'download',
  'install',
  'visit',
  'book',
  'subscribe',
  'join',
  'renew',
  'upgrade',
  'update',
  'ship',
  'deliver',
  'pay',
  'rent',
  'register',
  'reserve',
  'fly',
  'stay',
  'watch',
  'read',
  'stream',
]);
/**
 * Words that make an account of dealings a story with a point: a contrast, a repeat ("third",
 * "every time"), a wait ("still", "since", "ago") or a mismatch ("instead").
 */
const STORY_WORDS = new Set([
  'but',
  'though',
  'although',
  'however',
  'yet',
  'still',
  'only',
  'twice',
  'second',
  'third',
  'fourth',
  'fifth',
  'another',
  'instead',
  'ago',
  'since',
  'until',
  'every',
  'each',
  'always',
  'finally',
  'literally',
  'whole',
  'than',
  'more',
  'less',
  'most',
  'least',
  'much',
  'so',
  'too',
  'very',
]);
/** Units of a wait: "two weeks", "a month", "3 days" (not "last week"). */
const TIME_UNITS = new Set([
  'minute',
  'minutes',
  'min',
  'mins',
  'hour',
  'hours',
  'hrs',
  'day',
  'days',
  'week',
  'weeks',
  'month',
  'months',
  'year',
  'years',
]);
const AMOUNTS = new Set(['a', 'an', 'one', 'few', 'several', 'couple', 'many']);

/**
 * Whether the sentence `first..last` is a plain account of dealings with the brand ("I ordered an
 * Acme blender yesterday.", "Got an email from Acme about updating my password.", "The Acme app
 * updated overnight to version 5.2."): it names the brand, its one verb (a gerund after a
 * preposition or a purpose after "to" aside) is one of `DEALINGS_VERBS`, and it holds no judgement,
 * no "!", and nothing that gives a story its point (`STORY_WORDS`, a wait such as "two weeks", a
 * comparison such as "cheaper"). Such a sentence reports; the model, which learned from reviews
 * where every sentence is an opinion, read the first at −0.15 ("ordered" −0.80 from restaurant
 * reviews).
 */
function recounts({ read, first, last, features, unscored }: BrandStatement): boolean {
  const { normals, lemmas, pos } = read;
  let brand = false;
  let verbs = 0;
  for (let i = first; i <= last; i++) {
    const normal = normals[i] as string;
    if (normal === '!' || STORY_WORDS.has(normal)) return false;
    if (TIME_UNITS.has(normal) && (pos[i - 1] === 'NUM' || AMOUNTS.has(normals[i - 1] as string)))
      return false;
    if (isBrand(normal, unscored)) {
      // Whatever tag the name gets ("Zoom" reads as a verb), it is the brand.
      brand = true;
      continue;
    }
    // A comparison judges: "so much cheaper", "the best".
    if (pos[i] === 'ADJ' && lemmas[i] !== normal && /(?:er|est)$/.test(normal)) return false;
    // A gerund after a preposition ("about updating") or a purpose ("to track my parcel") is no verb
    // of its own.
    if (pos[i] !== 'VERB' || pos[i - 1] === 'ADP' || normals[i - 1] === 'to') continue;
    // "My sister works at Acme" is employment ("it works for me" is praise).
    const employs =
      lemmas[i] === 'work' &&
      (normals[i + 1] === 'at' || normals[i + 1] === 'for') &&
      isBrand(normals[i + 2] as string, unscored);
    if (!DEALINGS_VERBS.has(lemmas[i] as string) && !employs) return false;
    verbs++;
  }
  // "My Acme order is out for delivery today.": a parcel's status, with no verb of its own.
  const status = verbs === 0 && PARCEL_STATUS.test(read.lower.slice(read.starts[first], read.ends[last]));
  return brand && (verbs === 1 || status) && !judges(read, first, last, features);
}

/** Where a parcel is: "out for delivery", "on its way", "in transit". */
const PARCEL_STATUS = /\b(?:out\s+for\s+delivery|on\s+(?:its|their)\s+way|in\s+transit)\b/;

export type PlainKind = 'asks' | 'news' | 'fact';

/**
 * A text's plain statements (`plain`: indexes of `read.sentences`, with what they are) and the
 * features of the rest of it (`rest`: from its first sentence that says something else to its last;
 * null when it only asks, announces or greets). Undefined when no sentence is plain.
 */
export type Plain = { plain: Array<{ k: number; kind: PlainKind }>; rest: Features | null };

export function plainOf(
  read: ReadText,
  spans: AnalysedSpans,
  context: FeatureContext,
  unscored?: ReadonlySet<string>,
): Plain | undefined {
  const plain: Plain['plain'] = [];
  read.sentences.forEach((sentence, k) => {
    const features = spans.sentences[k];
    if (!features) return;
    if (asksForInformation(read, sentence.first, sentence.last, features, unscored)) {
      plain.push({ k, kind: 'asks' });
    } else if (unscored !== undefined && !features.has('x:question')) {
      const statement = { read, first: sentence.first, last: sentence.last, features, unscored };
      if (announces(statement)) plain.push({ k, kind: 'news' });
      else if (recounts(statement)) plain.push({ k, kind: 'fact' });
    }
  });
  if (plain.length === 0) return undefined;
  // A greeting on its own ("Hi Acme.") says no more than the question.
  const rest = read.sentences.filter(
    (sentence, k) =>
      !plain.some((p) => p.k === k) &&
      afterOpeners(read, sentence.first, sentence.last, unscored) <= sentence.last,
  );
  return { plain, rest: rest.length === 0 ? null : partFeatures(read, rest, context, spans.patterns) };
}
