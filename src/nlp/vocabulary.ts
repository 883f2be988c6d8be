/**
 * The words behind touchpoints and intents, as data: which parts of the customer journey a mention is
 * about (service, product, price, delivery, digital, marketing) and what a support team should act on
 * (churn risk, a request for help, purchase intent). A deployment can replace or extend any of it with
 * a JSON file (`VocabularyOverride`, merged over the default by `mergeVocabulary`).
 *
 * How entries match (see `touchpoints.ts`):
 * - `terms` are words or phrases, matched whole-word on lowercased text. A term word written in its base
 *   form matches every inflection ("deliver" hits "delivered", "delivering"; "crash" hits "crashes"); a
 *   word written inflected matches that form only ("broke" does not hit "break"). Auxiliaries match
 *   their exact form ("how do i" does not hit "how did i"). Plurals always fold ("app" hits "apps").
 *   Contractions match their expansion ("won't" and "will not" are the same).
 * - `patterns` are token sequences. Slots are separated by spaces; a slot is one or more alternatives
 *   separated by `|`, and a trailing `?` makes it optional. An alternative is a word (matched like a
 *   term word; one token: "we're" is two, so write "we" and "are|'re" as two slots), a part-of-speech
 *   tag in capitals (NOUN, PROPN, VERB, ADJ, …) or `*` for any one word. wink-nlp's custom-entity
 *   bracket form is accepted too: `[cancel|close] [my|] [account]` equals `cancel|close my? account`.
 *   `BRAND` stands for a word of the terms of the brands the text is about (a mention's brands, or
 *   `brandTerms` of `earshot score`); without brand terms it matches nothing: "switch away? from BRAND"
 *   is churn for the brand named, not for the one switched to.
 *   The classifier matches patterns itself rather than through wink's `learnCustomEntities`: there, a
 *   word used as a literal in any pattern can no longer match a tag in another ("buying" in one pattern
 *   stops "will not be VERB" from matching "will not be buying"), and a base form cannot stand for its
 *   inflections.
 * - Intents ignore a match that wink marks as negated unless the match itself holds the negation: "I am
 *   not cancelling my subscription" is no churn, "I will not be flying with you again" is.
 * - `questionCues` (intents): a sentence ending in "?" that holds one of these words is a hit.
 * - `exclusions` (intents): a hit is dropped when one of these terms occurs in the same sentence;
 *   `exclusionPatterns` likewise, for patterns ("switch over? to BRAND": switching *to* the brand is no
 *   churn for it).
 * - `sentiment: "negative"` (intents): a hit is the writer's verdict against the brand (leaving it), so
 *   the sentences holding one, and the text, score at most `VERDICT_SCORE` (see the analyzer), unless
 *   the hit names one of the brands and another is named elsewhere in its sentence (a switch between
 *   two of them, left to the brands' stances).
 */
import { z } from 'zod';

const ID = /^[a-z][a-z0-9_-]{0,39}$/;
/** wink-nlp part-of-speech tags usable in patterns. */
export const PATTERN_TAGS = [
  'ADJ',
  'ADP',
  'ADV',
  'AUX',
  'CCONJ',
  'DET',
  'INTJ',
  'NOUN',
  'NUM',
  'PART',
  'PRON',
  'PROPN',
  'PUNCT',
  'SCONJ',
  'SYM',
  'VERB',
  'X',
] as const;
const TAG_SET: ReadonlySet<string> = new Set(PATTERN_TAGS);
const MAX_PATTERN_SLOTS = 10;
const MAX_OPTIONAL_SLOTS = 6;
const MAX_ALTERNATIVES = 60;

/** One position of a pattern: literal words, part-of-speech tags, any word (`*`), or a brand's word (`BRAND`). */
export type PatternSlot = {
  words: string[];
  tags: string[];
  any: boolean;
  optional: boolean;
  brand: boolean;
};

/**
 * Splits a pattern into slots; throws an Error naming the problem when the pattern is malformed.
 * Literals are lowercased (matching is on lowercased text); tags stay in capitals.
 */
export function parsePattern(pattern: string): PatternSlot[] {
  const parts = pattern.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw new Error('pattern is empty');
  if (parts.length > MAX_PATTERN_SLOTS) throw new Error(`pattern has more than ${MAX_PATTERN_SLOTS} slots`);
  const slots = parts.map((part): PatternSlot => {
    let body = part;
    let optional = false;
    if (body.length > 1 && body.endsWith('?')) {
      optional = true;
      body = body.slice(0, -1);
    }
    if (body.startsWith('[') && body.endsWith(']')) body = body.slice(1, -1);
    else if (body.includes('[') || body.includes(']')) throw new Error(`unbalanced brackets in "${part}"`);
    const slot: PatternSlot = { words: [], tags: [], any: false, optional, brand: false };
    for (const alt of body.split('|')) {
      // wink's `[a|b|]`: an empty alternative makes the slot optional.
      if (alt === '') slot.optional = true;
      else if (alt === '*') slot.any = true;
      else if (alt === 'BRAND') slot.brand = true;
      else if (TAG_SET.has(alt)) slot.tags.push(alt);
      else if (/^[A-Z]{2,}$/.test(alt)) throw new Error(`unknown part-of-speech tag "${alt}"`);
      else slot.words.push(alt.toLowerCase());
    }
    slot.words = [...new Set(slot.words)];
    slot.tags = [...new Set(slot.tags)];
    const size = slot.words.length + slot.tags.length + (slot.any ? 1 : 0) + (slot.brand ? 1 : 0);
    if (size === 0) throw new Error(`empty slot "${part}"`);
    if (size > MAX_ALTERNATIVES)
      throw new Error(`slot "${part}" has more than ${MAX_ALTERNATIVES} alternatives`);
    return slot;
  });
  const optional = slots.filter((slot) => slot.optional).length;
  if (optional === slots.length) throw new Error('every slot is optional');
  if (optional > MAX_OPTIONAL_SLOTS) throw new Error(`more than ${MAX_OPTIONAL_SLOTS} optional slots`);
  return slots;
}

const Id = z.string().regex(ID, 'lowercase letters, digits, "_" or "-", starting with a letter');
const Label = z.string().trim().min(1).max(80);
const Term = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .transform((term) => term.toLowerCase().replace(/\s+/g, ' '));
const Terms = z.array(Term).max(2000);
const Pattern = z
  .string()
  .trim()
  .min(1)
  .max(400)
  .superRefine((pattern, ctx) => {
    try {
      parsePattern(pattern);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `bad pattern "${pattern}": ${(error as Error).message}` });
    }
  });
const Patterns = z.array(Pattern).max(200);

export const TouchpointEntry = z.strictObject({
  id: Id,
  label: Label,
  terms: Terms,
  patterns: Patterns.default([]),
});
export type TouchpointEntry = z.infer<typeof TouchpointEntry>;

/** What a hit of an intent says of the brand: `negative`, a verdict against it (churn); `none`, nothing. */
const IntentSentiment = z.enum(['negative', 'none']);

export const IntentEntry = z.strictObject({
  id: Id,
  label: Label,
  terms: Terms,
  patterns: Patterns.default([]),
  questionCues: Terms.default([]),
  exclusions: Terms.default([]),
  exclusionPatterns: Patterns.default([]),
  sentiment: IntentSentiment.default('none'),
});
export type IntentEntry = z.infer<typeof IntentEntry>;

function uniqueIds(entries: { id: string }[], ctx: z.RefinementCtx, path: string): void {
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (seen.has(entry.id)) {
      ctx.addIssue({ code: 'custom', path: [path, index, 'id'], message: `duplicate id "${entry.id}"` });
    }
    seen.add(entry.id);
  });
}

export const Vocabulary = z
  .strictObject({
    touchpoints: z.array(TouchpointEntry).max(100),
    intents: z.array(IntentEntry).max(100),
  })
  .superRefine((vocabulary, ctx) => {
    uniqueIds(vocabulary.touchpoints, ctx, 'touchpoints');
    uniqueIds(vocabulary.intents, ctx, 'intents');
  });
export type Vocabulary = z.infer<typeof Vocabulary>;

/**
 * A deployment's changes. An entry whose id exists replaces the fields it gives (or, with
 * `extend: true`, adds its terms, patterns, cues and exclusions to the existing ones; a `sentiment`
 * given replaces the old one); an entry with a new id is added and needs a label and terms; `remove`
 * drops entries by id.
 */
export const VocabularyOverride = z.strictObject({
  touchpoints: z
    .array(
      z.strictObject({
        id: Id,
        label: Label.optional(),
        terms: Terms.optional(),
        patterns: Patterns.optional(),
        extend: z.boolean().default(false),
      }),
    )
    .max(100)
    .default([]),
  intents: z
    .array(
      z.strictObject({
        id: Id,
        label: Label.optional(),
        terms: Terms.optional(),
        patterns: Patterns.optional(),
        questionCues: Terms.optional(),
        exclusions: Terms.optional(),
        exclusionPatterns: Patterns.optional(),
        sentiment: IntentSentiment.optional(),
        extend: z.boolean().default(false),
      }),
    )
    .max(100)
    .default([]),
  remove: z.array(Id).max(200).default([]),
});
export type VocabularyOverride = z.infer<typeof VocabularyOverride>;
export type VocabularyOverrideInput = z.input<typeof VocabularyOverride>;

function combine(base: string[], given: string[] | undefined, extend: boolean): string[] {
  if (given === undefined) return base;
  return extend ? [...new Set([...base, ...given])] : [...new Set(given)];
}

/**
 * `override` (parsed here, so a JSON file's contents can be passed as they are) merged over `base`.
 * Throws a ZodError when the override is malformed, an Error when a new entry lacks a label or terms.
 */
export function mergeVocabulary(base: Vocabulary, override: VocabularyOverrideInput): Vocabulary {
  const o = VocabularyOverride.parse(override);
  const removed = new Set(o.remove);

  /** Entries of one kind with the override applied: changed by id, appended when new, removed. */
  function apply<Entry extends { id: string; label: string; terms: string[] }, Change extends { id: string }>(
    kind: string,
    entries: readonly Entry[],
    changes: readonly Change[],
    update: (current: Entry, change: Change) => Entry,
    create: (change: Change) => Entry | null,
  ): Entry[] {
    const out = entries.filter((entry) => !removed.has(entry.id)).map((entry) => ({ ...entry }));
    for (const change of changes) {
      const index = out.findIndex((entry) => entry.id === change.id);
      const current = out[index];
      if (current) {
        out[index] = update(current, change);
        continue;
      }
      const created = create(change);
      if (!created) throw new Error(`vocabulary: new ${kind} "${change.id}" needs a label and terms`);
      out.push(created);
    }
    return out;
  }

  const touchpoints = apply(
    'touchpoint',
    base.touchpoints,
    o.touchpoints,
    (current, change) => ({
      id: current.id,
      label: change.label ?? current.label,
      terms: combine(current.terms, change.terms, change.extend),
      patterns: combine(current.patterns, change.patterns, change.extend),
    }),
    (change) =>
      change.label && change.terms
        ? { id: change.id, label: change.label, terms: change.terms, patterns: change.patterns ?? [] }
        : null,
  );
  const intents = apply(
    'intent',
    base.intents,
    o.intents,
    (current, change) => ({
      id: current.id,
      label: change.label ?? current.label,
      terms: combine(current.terms, change.terms, change.extend),
      patterns: combine(current.patterns, change.patterns, change.extend),
      questionCues: combine(current.questionCues, change.questionCues, change.extend),
      exclusions: combine(current.exclusions, change.exclusions, change.extend),
      exclusionPatterns: combine(current.exclusionPatterns, change.exclusionPatterns, change.extend),
      sentiment: change.sentiment ?? current.sentiment,
    }),
    (change) =>
      change.label && change.terms
        ? {
            id: change.id,
            label: change.label,
            terms: change.terms,
            patterns: change.patterns ?? [],
            questionCues: change.questionCues ?? [],
            exclusions: change.exclusions ?? [],
            exclusionPatterns: change.exclusionPatterns ?? [],
            sentiment: change.sentiment ?? 'none',
          }
        : null,
  );
  return Vocabulary.parse({ touchpoints, intents });
}

// ---------------------------------------------------------------------------------------------------
// The default vocabulary.

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** English, for consumer brands in general; frozen (merge to change it). */
export const DEFAULT_VOCABULARY: Vocabulary = deepFreeze(
  Vocabulary.parse({
    touchpoints: [
      {
        id: 'service',
        label: 'Customer service',
        terms: [
          'customer service',
          'customer support',
          'customer care',
          'customer services',
          'support',
          'tech support',
          'technical support',
          'support team',
          'support ticket',
          'help desk',
          'helpdesk',
          'service desk',
          'helpline',
          'hotline',
          'call center',
          'call centre',
          'contact center',
          'live chat',
          'chat support',
          'agent',
          'representative',
          'rep',
          'advisor',
          'adviser',
          'operator',
          'staff',
          'employee',
          'manager',
          'supervisor',
          'cashier',
          'receptionist',
          'waiter',
          'waitress',
          'cabin crew',
          'flight attendant',
          'on hold',
          'hold time',
          'nobody answer',
          'no one answer',
          'nobody reply',
          'no one reply',
          'nobody respond',
          'no one respond',
          'no response',
          'no reply',
          'never replied',
          'never responded',
          'never got back',
          'never heard back',
          'get back to me',
          'call back',
          'callback',
          'escalate',
          'case number',
          'speak to',
          'speak with',
          'rude',
          'unhelpful',
        ],
        patterns: [
          'good|great|excellent|amazing|fantastic|friendly|poor|bad|terrible|awful|horrible|slow|lousy|shocking|appalling|outstanding|exceptional|prompt|quick service',
        ],
      },
      {
        id: 'product',
        label: 'Product quality',
        terms: [
          'product',
          'quality',
          'build quality',
          'defect',
          'defective',
          'faulty',
          'broken',
          'broke',
          'stop working',
          'do not work',
          'does not work',
          'did not work',
          'malfunction',
          'durable',
          'durability',
          'sturdy',
          'flimsy',
          'fall apart',
          'cheaply made',
          'well made',
          'poorly made',
          'material',
          'fabric',
          'battery',
          'battery life',
          'screen',
          'camera',
          'sound quality',
          'performance',
          'reliability',
          'reliable',
          'unreliable',
          'warranty',
          'overheat',
          'leak',
          'taste',
          'flavor',
          'scratch',
          'crack',
          'damaged',
          'work great',
          'work perfectly',
          'work well',
          'work fine',
          'feature',
        ],
      },
      {
        id: 'price',
        label: 'Price and billing',
        terms: [
          'price',
          'pricing',
          'priced',
          'overpriced',
          'cost',
          'costly',
          'expensive',
          'cheap',
          'affordable',
          'afford',
          'value for money',
          'worth the money',
          'worth the price',
          'money',
          'refund',
          'money back',
          'reimburse',
          'reimbursement',
          'fee',
          'charges',
          'charged',
          'overcharge',
          'extra charge',
          'hidden charge',
          'bill',
          'billing',
          'invoice',
          'payment',
          'pay for',
          'paid',
          'paying',
          'subscription',
          'subscription fee',
          'membership fee',
          'renewal',
          'auto-renew',
          'discount',
          'coupon',
          'promo code',
          'voucher',
          'deal',
          'rip off',
          'ripoff',
          'rip-off',
          'dollar',
          'buck',
          'euro',
          '$',
          '€',
          '£',
        ],
      },
      {
        id: 'delivery',
        label: 'Delivery and logistics',
        terms: [
          'delivery',
          'deliver',
          'shipping',
          'ship',
          'shipment',
          'courier',
          'parcel',
          'package',
          'tracking',
          'tracking number',
          'dispatch',
          'postage',
          'post office',
          'postal',
          'my order',
          'the order',
          'your order',
          'an order',
          'order status',
          'order number',
          'arrive',
          'arrival',
          'transit',
          'warehouse',
          'logistics',
          'in stock',
          'out of stock',
          'doorstep',
          'fedex',
          'dhl',
          'usps',
          'royal mail',
          'luggage',
          'baggage',
          'pickup',
        ],
      },
      {
        id: 'digital',
        label: 'Website and app',
        terms: [
          'app',
          'website',
          'web site',
          'site',
          'webpage',
          'web page',
          'online',
          'login',
          'log in',
          'log-in',
          'sign in',
          'password',
          'username',
          'crash',
          'bug',
          'buggy',
          'glitch',
          'glitchy',
          'checkout',
          'browser',
          'error message',
          'error code',
          'interface',
          'ui',
          'ux',
          'download',
          'install',
          'uninstall',
          'app update',
          'software update',
          'latest update',
          'new update',
          'the update',
          'firmware',
          'notification',
          'dark mode',
          'ios',
          'android',
          'loading',
          'do not load',
          'does not load',
          'will not load',
          'chatbot',
          'two-factor',
          '2fa',
          'verification code',
          'sync',
          'web',
        ],
      },
      {
        id: 'marketing',
        label: 'Brand and marketing',
        terms: [
          'ad',
          'advert',
          'advertisement',
          'advertising',
          'advertise',
          'commercial',
          'campaign',
          'marketing',
          'promotion',
          'promo',
          'newsletter',
          'spam',
          'marketing email',
          'brand',
          'branding',
          'rebrand',
          'rebranding',
          'logo',
          'slogan',
          'tagline',
          'sponsor',
          'sponsorship',
          'influencer',
          'billboard',
          'mascot',
          'jingle',
          'loyalty program',
          'loyalty programme',
          'rewards program',
          'loyalty card',
          'social media',
          'instagram',
          'tiktok',
          'youtube',
          'press release',
          'giveaway',
        ],
      },
    ],
    intents: [
      {
        id: 'churn',
        label: 'Churn risk',
        terms: [
          'switch provider',
          'switch carrier',
          'change provider',
          'port my number',
          'never again',
          'never coming back',
          'not coming back',
          'will not come back',
          'will never come back',
          'will not be back',
          'will never be back',
          'will not be returning',
          'will not renew',
          'will not be renewing',
          'not renewing',
          'take my business elsewhere',
          'take my money elsewhere',
          'go elsewhere',
          'shop elsewhere',
          'look elsewhere',
          'look for an alternative',
          'look for another provider',
          'find another provider',
          'find a new provider',
          'lose a customer',
          'lose me as a customer',
          'lose my business',
        ],
        patterns: [
          'cancel|close|delete|terminate my|our|the? BRAND? BRAND? subscription|account|membership|plan|contract|order',
          "i|i'm|im|we am|are|'re|will|'ll|have|'ve|just|already|finally|now? cancel",
          'switch over? to DET? NOUN|PROPN',
          'move|switch|migrate|port away? from BRAND',
          // wink has no lemma for "uninstalling", "unsubscribed": their forms are written out.
          'leave|ditch|drop|quit|cancel|uninstall|uninstalled|uninstalling|unsubscribe|unsubscribed|unsubscribing from? BRAND',
          'done|through with BRAND',
          'goodbye|bye|farewell BRAND',
          'think|consider about|of? leave|cancel|drop|ditch|quit',
          'alternative|alternatives|replacement to|for BRAND',
          'BRAND alternative|alternatives|replacement',
          'i|we will|would not|never be? VERB with|from|at|through|by you|them|your|u',
          'i|we will|would not|never be? VERB *? *? again',
          'never VERB *? *? again',
        ],
        // Moving *to* the brand, a review left for it, a thing done with its product, what will not
        // happen again: no churn.
        exclusions: ['never happen again', 'never happens again', 'never going to happen again'],
        exclusionPatterns: [
          'switch|move|migrate|port|come|go over|back? to BRAND',
          'leave|drop BRAND a|an|some? *? *? review|line|note|message|comment|rating|tip|feedback',
          'done|through with BRAND BRAND? NOUN|PROPN|VERB|PART',
        ],
        sentiment: 'negative',
      },
      {
        id: 'help',
        label: 'Request for help',
        terms: [
          'how do i',
          'how can i',
          'how do you',
          'how do we',
          'where do i',
          'where can i find',
          'who do i contact',
          'who can i talk to',
          'can anyone help',
          'can someone help',
          'can somebody help',
          'please help',
          'pls help',
          'help me please',
          'help please',
          'need help',
          'need some help',
          'need assistance',
          'any help',
          'any update',
          'any news',
          'still waiting',
          'waiting for a reply',
          'waiting for a response',
          'waiting for an answer',
          'waiting to hear back',
          'please respond',
          'please reply',
          'please get back to me',
          'please advise',
          'please fix',
          'dm me',
          'sent you a dm',
          'what should i do',
          'what do i do',
          'is there a way',
          'is there any way',
          'anyone else having',
          'anyone else experiencing',
          'why is my',
          'why does my',
          "why can't i",
          'where is my',
          'when will my',
          'when will i',
        ],
        patterns: [
          'can|could|will|would you|anyone|someone|somebody please? help|assist|fix|explain|advise|check',
        ],
        questionCues: ['anyone', 'anybody', 'someone', 'somebody', 'support', 'customer service'],
        exclusions: [
          'are you kidding',
          'are you serious',
          'are you joking',
          'you kidding me',
          'who does that',
          'what were you thinking',
          'thank you',
        ],
      },
      {
        id: 'purchase',
        label: 'Purchase intent',
        terms: [
          'wanna buy',
          'gonna buy',
          'where can i buy',
          'where to buy',
          'where do i buy',
          'should i buy',
          'should i get',
          'worth buying',
          'worth upgrading',
          'time to upgrade',
          'want to try',
          'want to sign up',
          'pre-order',
          'preorder',
          'in the market for',
          'save up for',
          "can't wait to buy",
          "can't wait to order",
          'take my money',
          'how much does',
          'how much is',
          'back in stock',
          'add to cart',
        ],
        patterns: [
          'think|consider|debate about|of|whether? buy|get|order|upgrade|purchase',
          'want|plan|hope|intend|look|go|mean to buy|purchase|order|upgrade|preorder',
        ],
      },
    ],
  }),
);
