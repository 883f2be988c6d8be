import { describe, expect, it } from 'vitest';
import model from 'wink-eng-lite-web-model';
import winkNLP from 'wink-nlp';
import { createReader } from '../../src/nlp/read.ts';
import { type Classification, createTouchpointClassifier } from '../../src/nlp/touchpoints.ts';
import { DEFAULT_VOCABULARY, mergeVocabulary, parsePattern, Vocabulary } from '../../src/nlp/vocabulary.ts';
import { foldPlural, lowerCaseInPlace, newWinkInstance } from '../../src/nlp/wink.ts';

const classifier = createTouchpointClassifier();

const ids = (hits: Classification['touchpoints']) => hits.map((hit) => hit.id);
const touchpointsOf = (text: string) => ids(classifier.classify(text).touchpoints);
const intentsOf = (text: string, brandTerms?: string[]) =>
  ids(classifier.classify(text, { brandTerms }).intents);

describe('touchpoints', () => {
  it.each([
    ['service', 'I spent an hour on hold and the agent was rude.'],
    ['product', 'The hinge snapped after a week, really poor build quality.'],
    ['price', 'Way too expensive for what it is, and the monthly fee keeps going up.'],
    ['delivery', 'My parcel was left in the rain by the courier.'],
    ['digital', 'I cannot log in to the website since Tuesday.'],
    ['marketing', 'Their new ad campaign on the billboard downtown is hilarious.'],
  ])('finds %s', (id, text) => {
    expect(touchpointsOf(text), text).toEqual([id]);
  });

  it.each([
    [
      'delivery',
      [
        'Two deliveries went missing.',
        'It was delivered to the wrong house.',
        'Shipping took nine days.',
        'The courier never showed.',
      ],
    ],
    ['price', ['Still no refund.', 'They overcharged me twice.', 'The subscription fee doubled.']],
    [
      'service',
      [
        'Support is useless.',
        'The agent hung up on me.',
        'Customer service fixed it fast.',
        'Nobody answered my emails.',
      ],
    ],
    [
      'digital',
      ['The app is slow.', 'Their website is down.', 'The login page loops.', 'It crashes on start.'],
    ],
  ])('matches inflections and phrases for %s', (id, texts) => {
    for (const text of texts) expect(touchpointsOf(text), text).toContain(id);
  });

  it('folds plurals without taking the model lemma that changes the word', () => {
    // wink's lemma of "app" is "application"; "apps" has no lemma of its own.
    expect(touchpointsOf('All their apps are a mess.')).toContain('digital');
  });

  it('gives several touchpoints at once, and none for unrelated text', () => {
    const result = classifier.classify(
      'Customer service was lovely, but the app keeps crashing and the delivery fee is a joke.',
    );
    expect(ids(result.touchpoints).sort()).toEqual(['delivery', 'digital', 'price', 'service']);
    expect(classifier.classify('What a lovely sunny afternoon in the park.')).toEqual({
      touchpoints: [],
      intents: [],
      verdict: null,
    });
  });

  it('keeps the touchpoint of a negated mention: "no issues with delivery" is about delivery', () => {
    expect(touchpointsOf('No issues with delivery at all.')).toEqual(['delivery']);
  });

  it('quotes the evidence as written, merging overlapping matches', () => {
    const result = classifier.classify('Still waiting for a reply from ACME Support.');
    expect(result.intents).toEqual([{ id: 'help', evidence: ['Still waiting for a reply'] }]);
    expect(result.touchpoints).toEqual([{ id: 'service', evidence: ['Support'] }]);
    const price = classifier.classify('The subscription fee went up.').touchpoints[0];
    expect(price).toEqual({ id: 'price', evidence: ['subscription fee'] });
  });

  it('classifies a text read once for the analyzer like the text itself', () => {
    const text = 'The courier lost my parcel. How do I get a refund?';
    expect(classifier.classify(createReader().read(text))).toEqual(classifier.classify(text));
  });
});

describe('intents', () => {
  it.each([
    'I am cancelling my subscription.',
    'Cancelled my account today.',
    'Switching to Globex next month.',
    'Never again.',
    'I will not be flying with you again.',
    "I won't be buying from them again.",
    'Time to take my business elsewhere.',
  ])('flags churn risk: %s', (text) => {
    expect(intentsOf(text)).toContain('churn');
  });

  it.each([
    'How do I change my delivery address?',
    'Can anyone help with a stuck order?',
    'Still waiting for a reply to my complaint.',
    'Could you please help me with my bill',
    'Is anyone else having trouble with the app?',
  ])('flags a request for help: %s', (text) => {
    expect(intentsOf(text)).toContain('help');
  });

  it('counts a question naming the brand as addressed to it', () => {
    expect(intentsOf('@acme why is the price different in the app?', ['Acme'])).toEqual(['help']);
    expect(intentsOf('@acme why is the price different in the app?')).toEqual([]);
    expect(intentsOf('Acme makes phones?', ['Acme'])).toEqual(['help']);
  });

  it('leaves rhetorical questions alone', () => {
    expect(intentsOf('Are you kidding me? Acme lost it again?', [])).toEqual([]);
    expect(intentsOf('Are you kidding me?', ['Acme'])).toEqual([]);
  });

  it.each([
    'Thinking of buying the new model.',
    'Where can I buy the refill packs?',
    'I want to upgrade to the bigger plan.',
    'Considering getting one for my dad.',
  ])('flags purchase intent: %s', (text) => {
    expect(intentsOf(text)).toContain('purchase');
  });

  it('does not fire on negated intents', () => {
    expect(intentsOf('I will never cancel, love it')).toEqual([]);
    expect(intentsOf('I am not cancelling my subscription, relax.')).toEqual([]);
    expect(intentsOf('I am not switching to Globex, no way.')).toEqual([]);
    expect(intentsOf("I don't want to buy another one.")).toEqual([]);
    expect(intentsOf("I don't need help, thanks.")).toEqual([]);
  });

  it('gives touchpoints and intents together', () => {
    const result = classifier.classify(
      'The app charged me twice, so I am cancelling my subscription. How do I get a refund?',
    );
    expect(ids(result.touchpoints).sort()).toEqual(['digital', 'price']);
    expect(ids(result.intents)).toEqual(['churn', 'help']);
  });
});

describe('determinism', () => {
  const probes = [
    'Delivery was late and the courier was rude. How do I get my money back?',
    "I won't be buying from them again, the app crashes daily.",
    'Thinking of buying the pro version, is the battery any better?',
  ];
  const others = [
    'pc’s, phones and hard drives!!! lolz #fail @somebody',
    'Zorbleflux widgets arrived. Gronkified packaging, megasnazzy price.',
    'WHY IS THE SITE DOWN AGAIN??? fix it pls',
    "i'm switching to the competitor's plan, their app's great.",
    'Ünïcödé téxt with ẞ and İstanbul, ﬁne.',
  ];

  it('gives the same result for a text whatever was classified before', () => {
    const first = probes.map((text) => classifier.classify(text));
    for (let round = 0; round < 20; round += 1) for (const text of others) classifier.classify(text);
    expect(probes.map((text) => classifier.classify(text))).toEqual(first);
  });

  it('agrees across instances, whatever other wink instances exist', () => {
    winkNLP(model).readDoc('another instance with its own state');
    const second = createTouchpointClassifier();
    for (const text of others) second.classify(text);
    for (const text of probes) expect(second.classify(text)).toEqual(classifier.classify(text));
  });
});

describe('vocabulary', () => {
  it('validates the default and keeps it frozen', () => {
    expect(Vocabulary.parse(DEFAULT_VOCABULARY)).toEqual(DEFAULT_VOCABULARY);
    expect(DEFAULT_VOCABULARY.touchpoints.map((t) => t.id)).toEqual([
      'service',
      'product',
      'price',
      'delivery',
      'digital',
      'marketing',
    ]);
    expect(DEFAULT_VOCABULARY.intents.map((t) => t.id)).toEqual(['churn', 'help', 'purchase']);
    expect(Object.isFrozen(DEFAULT_VOCABULARY.touchpoints[0]!.terms)).toBe(true);
  });

  it('replaces a touchpoint’s words with a deployment’s own', () => {
    const vocabulary = mergeVocabulary(DEFAULT_VOCABULARY, {
      touchpoints: [{ id: 'delivery', terms: ['drone drop', 'landing pad'] }],
    });
    expect(vocabulary.touchpoints.find((t) => t.id === 'delivery')?.label).toBe('Delivery and logistics');
    const custom = createTouchpointClassifier(vocabulary);
    expect(ids(custom.classify('The drone drops were late again.').touchpoints)).toEqual(['delivery']);
    expect(ids(custom.classify('The courier was late again.').touchpoints)).toEqual([]);
    // The default classifier is untouched.
    expect(touchpointsOf('The courier was late again.')).toEqual(['delivery']);
  });

  it('extends, adds and removes entries, patterns included', () => {
    const vocabulary = mergeVocabulary(DEFAULT_VOCABULARY, {
      touchpoints: [
        { id: 'delivery', terms: ['drone drop'], extend: true },
        { id: 'store', label: 'In store', terms: ['checkout queue', 'shop floor'] },
      ],
      intents: [
        {
          id: 'escalation',
          label: 'Wants a manager',
          terms: [],
          patterns: ['speak|talk to a|the|your? manager|supervisor'],
        },
      ],
      remove: ['marketing', 'purchase'],
    });
    const custom = createTouchpointClassifier(vocabulary);
    const result = custom.classify(
      'The courier and the drone drop were late. I demand to speak to your manager!',
    );
    expect(ids(result.touchpoints)).toEqual(['service', 'delivery']);
    expect(result.intents).toEqual([{ id: 'escalation', evidence: ['speak to your manager'] }]);
    expect(ids(custom.classify('Nobody on the shop floor today.').touchpoints)).toEqual(['store']);
    expect(ids(custom.classify('Loved the ad. Thinking of buying one.').touchpoints)).toEqual([]);
    expect(ids(custom.classify('Thinking of buying one.').intents)).toEqual([]);
  });

  it('accepts a deployment file as parsed JSON and rejects what it does not know', () => {
    const json = JSON.parse('{"intents":[{"id":"churn","terms":["cancel my gym card"],"extend":true}]}');
    expect(mergeVocabulary(DEFAULT_VOCABULARY, json).intents[0]!.terms).toContain('cancel my gym card');
    expect(() =>
      mergeVocabulary(DEFAULT_VOCABULARY, {
        touchpoints: [{ id: 'x', terms: ['a'], colour: 'red' }],
      } as never),
    ).toThrow();
    expect(() =>
      mergeVocabulary(DEFAULT_VOCABULARY, { touchpoints: [{ id: 'store', terms: ['till'] }] }),
    ).toThrow(/needs a label/);
    expect(() =>
      mergeVocabulary(DEFAULT_VOCABULARY, { intents: [{ id: 'churn', patterns: ['[cancel my'] }] }),
    ).toThrow(/bad pattern/);
    expect(() =>
      Vocabulary.parse({
        touchpoints: [
          { id: 'a', label: 'A', terms: [] },
          { id: 'a', label: 'B', terms: [] },
        ],
        intents: [],
      }),
    ).toThrow(/duplicate id/);
  });

  it('names a pattern word that is more than one token', () => {
    const vocabulary = mergeVocabulary(DEFAULT_VOCABULARY, {
      intents: [{ id: 'churn', patterns: ["we're leaving"] }],
    });
    expect(() => createTouchpointClassifier(vocabulary)).toThrow(/"we're" is 2 tokens/);
  });

  it('reads churn away from the brand named (BRAND in a pattern), not towards it', () => {
    const classifier = createTouchpointClassifier();
    const churn = (text: string, brandTerms?: string[]) =>
      classifier.classify(text, brandTerms ? { brandTerms } : {}).intents.some((i) => i.id === 'churn');
    expect(churn('Thinking about moving from Acme to Globex, anyone tried both?', ['Acme'])).toBe(true);
    expect(churn('We are migrating away from Acme Cloud.', ['Acme Cloud'])).toBe(true);
    expect(churn('Time to ditch @acme for good', ['Acme'])).toBe(true);
    expect(churn('Considering cancelling my plan')).toBe(true);
    // Towards the brand, or no brand named: no churn.
    expect(churn('Switched from Globex to Acme and love it', ['Acme'])).toBe(false);
    expect(churn('Moving from Berlin to Paris next month', ['Acme'])).toBe(false);
    expect(churn('Thinking about moving from Acme to Globex')).toBe(false);
  });

  it('reads the ways people say they are leaving a brand, and not the ways they come to it', () => {
    const classifier = createTouchpointClassifier();
    const churn = (text: string, brandTerms = ['Acme']) =>
      classifier.classify(text, { brandTerms }).intents.find((i) => i.id === 'churn')?.evidence ?? [];
    expect(churn('Cancelled my Acme subscription today.')).toEqual(['Cancelled my Acme subscription']);
    expect(churn('Just deleted my Acme Cloud account.', ['Acme Cloud'])).toEqual([
      'deleted my Acme Cloud account',
    ]);
    expect(churn("I'm done with Acme.")).toEqual(['done with Acme']);
    expect(churn('Uninstalling Acme right now')).toEqual(['Uninstalling Acme']);
    expect(churn('Unsubscribed from Acme.')).toEqual(['Unsubscribed from Acme']);
    expect(churn('Goodbye Acme, hello Globex')).toEqual(['Goodbye Acme']);
    expect(churn('Looking for an Acme alternative, any suggestions?')).toEqual(['Acme alternative']);
    expect(churn('Any good alternatives to Acme?')).toEqual(['alternatives to Acme']);
    expect(churn('Never buying from Acme again')).toEqual(['Never buying from Acme again']);
    // Coming to the brand, a review left for it, its product finished with, what will not recur.
    expect(churn('Switched to Acme last month and couldn’t be happier')).toEqual([]);
    expect(churn('Went back to Acme after a year with Globex.')).toEqual([]);
    expect(churn('Leave Acme a review if you liked the course!')).toEqual([]);
    expect(churn("I'm done with Acme onboarding, that was quick.")).toEqual([]);
    expect(churn('It was a one-off and will never happen again, Acme promised.')).toEqual([]);
  });

  it('gives the verdict of a negative intent, unless the sentence switches between two brands', () => {
    const classifier = createTouchpointClassifier();
    const verdict = (text: string, brandTerms: string[]) => classifier.classify(text, { brandTerms }).verdict;
    expect(verdict('Time to ditch @acme for good', ['Acme'])).toEqual({
      intent: 'churn',
      evidence: 'ditch @acme',
      sentences: [0],
    });
    expect(verdict('Great app. Thinking about moving from Acme Cloud to Globex.', ['Acme Cloud'])).toEqual({
      intent: 'churn',
      evidence: 'moving from Acme',
      sentences: [1],
    });
    // Both brands in the sentence: Globex is left for Acme (the brands' stances say so), no verdict.
    expect(verdict('Switched from Globex to Acme and love it', ['Acme', 'Globex'])).toBeNull();
    expect(verdict('Thinking about moving from Acme to Globex', ['Acme', 'Globex'])).toBeNull();
    // The other brand in another sentence: the leaving sentence is a verdict.
    expect(verdict("I'm done with Acme. Moving everything to Globex.", ['Acme', 'Globex'])).toMatchObject({
      sentences: [0],
    });
    // Churn without a brand named is a verdict too; other intents are none.
    expect(verdict('Switching to Globex next month.', ['Acme'])?.evidence).toBe('Switching to Globex');
    expect(verdict('How do I reset my password?', ['Acme'])).toBeNull();
    // A deployment's vocabulary says which intents are verdicts.
    const neutral = createTouchpointClassifier(
      mergeVocabulary(DEFAULT_VOCABULARY, { intents: [{ id: 'churn', sentiment: 'none' }] }),
    );
    expect(neutral.classify('Time to ditch @acme', { brandTerms: ['Acme'] }).verdict).toBeNull();
  });

  it('parses patterns in its own form and in wink’s bracket form alike', () => {
    const own = parsePattern('Cancel|close my? account|plan NOUN *');
    const wink = parsePattern('[cancel|close] [my|] [account|plan] [NOUN] [*]');
    expect(own).toEqual(wink);
    expect(own[1]).toEqual({ words: ['my'], tags: [], any: false, optional: true, brand: false });
    expect(parsePattern('from BRAND')[1]).toEqual({
      words: [],
      tags: [],
      any: false,
      optional: false,
      brand: true,
    });
    expect(() => parsePattern('my? the?')).toThrow(/every slot is optional/);
    expect(() => parsePattern('NOUNS thing')).toThrow(/unknown part-of-speech tag/);
  });

  it('folds plurals by cutting the ending only', () => {
    expect(foldPlural('batteries', 'battery', true)).toBe('battery');
    expect(foldPlural('boxes', 'box', true)).toBe('box');
    expect(foldPlural('knives', 'knife', true)).toBe('knife');
    expect(foldPlural('app', 'application', true)).toBe('app');
    expect(foldPlural('data', 'datum', true)).toBe('data');
    expect(foldPlural('apps', 'apps', false)).toBe('app');
    expect(foldPlural('christmas', 'christmas', true)).toBe('christmas');
    expect(foldPlural('news', 'news', true)).toBe('news');
    expect(foldPlural('status', 'status', false)).toBe('status');
  });

  it('lowercases without moving any character', () => {
    const text = 'İstanbul WON’T ship';
    const lower = lowerCaseInPlace(text);
    expect(lower).toHaveLength(text.length);
    expect(lower.endsWith("won't ship")).toBe(true);
  });

  it('makes wink instances that can learn custom entities after others were made', () => {
    winkNLP(model);
    winkNLP(model);
    const nlp = newWinkInstance(['sbd', 'pos', 'cer']);
    expect(nlp.learnCustomEntities([{ name: 'plan', patterns: ['[pro|basic] [plan]'] }])).toBeGreaterThan(0);
    expect(nlp.readDoc('I moved to the pro plan.').customEntities().out()).toEqual(['pro plan']);
  });
});
