import { describe, expect, it } from 'vitest';
import { labelFor, NEUTRAL_BAND, reasonsOf, VERDICT_SCORE } from '../../src/nlp/analyzer.ts';
import { PATTERNS, textFeatures } from '../../src/nlp/features.ts';
import { loadModel, scoreFeatures } from '../../src/nlp/model.ts';
import { createReader } from '../../src/nlp/read.ts';
import { testAnalyzer } from '../helpers/deps.ts';

describe('analyzer', () => {
  const analyzer = testAnalyzer();

  it('labels clear praise and clear complaints', () => {
    expect(analyzer.analyze('I love this phone, the camera is superb.').label).toBe('positive');
    expect(analyzer.analyze('Terrible service. The staff were rude and the food was awful.').label).toBe(
      'negative',
    );
    // No neutral sentence here: the model is trained on polar data only, and plain statements often
    // get a polar label (a known limit, see the README).
  });

  it('scores each sentence and keeps scores in -1..1', () => {
    const result = analyzer.analyze('The screen is great. The battery is terrible!!! Worst purchase ever.');
    expect(result.sentences).toHaveLength(3);
    expect(result.sentences[0]!.score).toBeGreaterThan(0);
    expect(result.sentences[1]!.score).toBeLessThan(0);
    for (const s of [result.score, ...result.sentences.map((x) => x.score)]) {
      expect(s).toBeGreaterThanOrEqual(-1);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('extracts noun themes, folds plurals, and leaves out the brand terms', () => {
    const result = analyzer.analyze('The Acme delivery times were awful. Great customer service though.', {
      ignoreWords: ['Acme'],
    });
    const themes = result.themes.map((t) => t.theme);
    expect(themes).toContain('delivery time');
    expect(themes).toContain('customer service');
    expect(themes.some((t) => t.includes('acme'))).toBe(false);
    const delivery = result.themes.find((t) => t.theme === 'delivery time');
    expect(delivery!.score).toBeLessThan(0);
  });

  it('lets a star rating inform the score, and says so', () => {
    const text = 'It arrived on Tuesday.';
    const plain = analyzer.analyze(text);
    expect(analyzer.analyze(text, { rating: 1 }).label).toBe('negative');
    expect(analyzer.analyze(text, { rating: 5 }).label).toBe('positive');
    const three = analyzer.analyze(text, { rating: 3 });
    // 3★ is neutral: it weighs twice the text, towards 0.
    expect(three.score).toBeCloseTo((plain.score ?? 0) / 3, 2);
    expect(three.reasons[0]).toMatchObject({ kind: 'rating', text: '3★' });
  });

  it('gives the same result for a text whatever was analysed before it', () => {
    const text = 'The refund took forever and nobody answered my emails. Zyxxor widgets are flimsy.';
    const first = analyzer.analyze(text);
    for (const other of [
      'Brand new words: flumbergast quizzaciously.',
      'I love it!!! 😍',
      'x'.repeat(5000),
      '',
    ]) {
      analyzer.analyze(other);
    }
    expect(analyzer.analyze(text)).toEqual(first);
  });

  it('gives the same results across a rotation of its wink instances (which bounds memory)', async () => {
    const { createAnalyzer } = await import('../../src/nlp/analyzer.ts');
    const rotating = createAnalyzer({ readsPerInstance: 3 });
    const text = 'The refund took forever and nobody answered my emails. Great camera though!';
    const first = rotating.analyze(text);
    for (let i = 0; i < 7; i++) rotating.analyze(`unique words zq${i}x and @someone${i} and #tag${i}`);
    expect(rotating.analyze(text)).toEqual(first);
  });

  it('copes with empty, huge and odd input', () => {
    expect(analyzer.analyze('').label).toBe('neutral');
    expect(analyzer.analyze('   \n\t ').label).toBe('neutral');
    const huge = analyzer.analyze('bad service. '.repeat(10_000));
    expect(huge.label).toBe('negative');
    expect(analyzer.analyze('\u0000\u200b<script>alert(1)</script>').score).toBeTypeOf('number');
  });

  it('uses one neutral band', () => {
    expect(labelFor(NEUTRAL_BAND)).toBe('neutral');
    expect(labelFor(-NEUTRAL_BAND)).toBe('neutral');
    expect(labelFor(NEUTRAL_BAND + 0.001)).toBe('positive');
    expect(labelFor(-NEUTRAL_BAND - 0.001)).toBe('negative');
  });
});

describe('analyzer rules, with small written examples', () => {
  const analyzer = testAnalyzer();
  const label = (text: string) => analyzer.analyze(text).label;
  /** The patterns that match a text (lowercased, as the analyzer reads it), by id. */
  const ids = (text: string) => PATTERNS.filter((p) => p.re.test(text.toLowerCase())).map((p) => p.id);
  /** Labels of texts about Acme (its name given as the brand's). */
  const acmeLabels = (texts: string[]) =>
    texts.map((text) => analyzer.analyze(text, { ignoreWords: ['Acme'] }).label);

  it('weighs what follows "but"', () => {
    expect(label('The food was good but the service was terrible')).toBe('negative');
    expect(label('The service was slow but the food was amazing')).toBe('positive');
  });

  it('weighs the main clause over a leading concession', () => {
    // Before, "although" counted like "but" from where it stood: both orders scored +0.50.
    expect(label('Although the camera is excellent, the battery life is awful.')).toBe('negative');
    expect(label('Although the battery life is awful, the camera is excellent.')).toBe('positive');
  });

  it('negates words and phrases', () => {
    expect(label('This is not good at all')).toBe('negative');
    expect(label('not bad, not bad at all')).not.toBe('negative');
  });

  it('reads "can\'t believe how…" as an exclamation and "fails to" as a negation', () => {
    const words = (text: string) => {
      const features = textFeatures(
        createReader().read(text),
        { known: new Set(), lexicon: new Map() },
        false,
      );
      return [...features.document.keys()].filter((k) => /^[wn]:/.test(k));
    };
    // The old scope negated what follows "believe": "Can't believe how good…" scored -0.99.
    expect(words("can't believe how good it sounds")).toEqual(
      expect.arrayContaining(['n:believe', 'w:how', 'w:good', 'w:it']),
    );
    expect(words('it fails to impress')).toEqual(expect.arrayContaining(['w:fails', 'n:to', 'n:impress']));
    expect(words('it never fails to amaze')).toEqual(expect.arrayContaining(['n:fails', 'w:to', 'w:amaze']));
    expect(label('We could not believe how dirty the oysters were!')).toBe('negative');
    expect(
      analyzer.analyze("Can't believe how good the Acme headphones sound for the price").score,
    ).toBeGreaterThan(-NEUTRAL_BAND);
  });

  it('catches complaints without a sentiment word', () => {
    expect(label('I will not be flying with you again')).toBe('negative');
    expect(label('no wifi, no food, never again')).toBe('negative');
    expect(label('Still waiting for my refund after three weeks')).toBe('negative');
    // Billing and unanswered-support complaints: positive (+0.23) before these phrasings were patterns.
    expect(label('Acme charged me twice this month and support has not replied in 3 days.')).toBe('negative');
    expect(ids('They billed us three times')).toEqual(['refund']);
    expect(ids('I was double-charged')).toEqual(['refund']);
    expect(ids("Support hasn't replied")).toEqual(['still-waiting']);
    expect(ids('They never got back to me')).toEqual(['still-waiting']);
    expect(ids('No one has answered my email')).toEqual(['still-waiting']);
    expect(ids('We replied to the survey')).toEqual([]);
    // On hold, logged out, a parcel that never came: positive (+0.31, +0.64, +0.93) before these.
    expect(label('Been on hold with Acme for 45 minutes now.')).toBe('negative');
    expect(label("The new app update logged me out and now I can't log back in.")).toBe('negative');
    expect(analyzer.analyze("Package says delivered but it's not here. @acme help?").score).toBeLessThan(
      -0.5,
    );
    expect(ids('My order never arrived')).toEqual(['not-delivered']);
    expect(ids("It still hasn't shown up")).toEqual(['not-delivered']);
    expect(ids('Tracking says delivered')).toEqual(['not-delivered']);
    expect(ids('They lost my parcel')).toEqual(['not-delivered']);
    expect(ids('The parcel arrived today')).toEqual([]);
    expect(ids('I was on hold for an hour')).toEqual(['still-waiting']);
    expect(ids('Please hold the door')).toEqual([]);
    // Price rises and outages.
    expect(ids('Acme raised prices again')).toEqual(['price-hike']);
    expect(ids('The monthly fee went up')).toEqual(['price-hike']);
    expect(ids('Prices went down this week')).toEqual([]);
    expect(ids('Another outage this morning')).toEqual(['service-down']);
    expect(analyzer.analyze('Acme raised prices again. Third time this year.').score).toBeLessThan(-0.5);
  });

  it('reads thanks and love wrapped around a complaint as the complaint', () => {
    expect(ids('Thanks @acme for losing my luggage')).toEqual(['sarcastic-thanks']);
    expect(ids('Thank you for nothing')).toEqual(['sarcastic-thanks']);
    expect(ids('Thanks for the quick fix')).toEqual([]);
    expect(ids('Thanks for not charging me')).toEqual([]);
    // Positive before (+0.61, +0.48, +0.32 with the brand's terms); the genuine ones stay positive.
    const acme = { ignoreWords: ['Acme'] };
    const labelOf = (text: string) => analyzer.analyze(text, acme).label;
    expect(labelOf('Thanks Acme for cancelling my flight with no notice')).toBe('negative');
    expect(labelOf('Love how Acme charges me twice every month')).toBe('negative');
    expect(labelOf('Gotta love it when the Acme app crashes mid-payment')).toBe('negative');
    expect(labelOf('Great job Acme, my order is late again')).toBe('negative');
    expect(ids('It arrived three days late')).toEqual(['late']);
    // Sarcasm across sentences is no mix of praise and complaint (it was "mixed", then +0.27 at first).
    expect(labelOf('Great, another Acme outage. Just what I needed today.')).toBe('negative');
    expect(ids('See you later')).toEqual([]);
    expect(labelOf('Thanks @acme for the quick fix!')).toBe('positive');
    expect(labelOf('Love how easy Acme makes returns')).toBe('positive');
    // "Love how…" with no complaint in the span is no sarcasm: no pattern feature.
    const features = (text: string) =>
      textFeatures(createReader().read(text), { known: new Set(), lexicon: new Map() }, false).document;
    expect(features('I love it when they win').has('p:sarcastic-praise')).toBe(false);
    expect(features('I love it when the app crashes').has('p:sarcastic-praise')).toBe(true);
    // Thanks with no "for", "nice one", "gotta love <anything>": +0.91, +0.10, +0.20, +0.71 before.
    expect(labelOf('Wow thanks Acme, third delayed delivery this month.')).toBe('negative');
    expect(labelOf('Nice one Acme, the app crashed again.')).toBe('negative');
    expect(labelOf("Thanks a lot Acme, now I can't log in.")).toBe('negative');
    expect(labelOf("Gotta love Acme's customer service, 2 hours on hold and still no answer.")).toBe(
      'negative',
    );
    expect(labelOf('Thanks a lot Acme, my parcel arrived early.')).toBe('positive');
    expect(labelOf('Wow, thanks Acme! Best support ever.')).toBe('positive');
    // The wrapper's praise words are unsaid: no valence and no word feature ("great job" was +1.08).
    const wrapped = features('great job, my order is late again');
    expect(wrapped.has('p:sarcastic-praise')).toBe(true);
    expect([...wrapped.keys()].filter((k) => k.includes('great'))).toEqual([]);
    // Only where its own sentence complains: a complaint in another sentence leaves the praise be.
    const apart = features('disappointed by the vinyl. great job on the show!');
    expect(apart.has('p:sarcastic-praise')).toBe(false);
    expect(apart.has('w:great')).toBe(true);
  });

  it('gives "help" asked for no valence, and help given or denied its own', () => {
    const cues = (text: string) => {
      const context = { known: new Set<string>(), lexicon: new Map([['help', 1.7]]) };
      const features = textFeatures(createReader().read(text), context, false).document;
      return ['x:lexpos', 'x:lexneg'].filter((k) => features.has(k));
    };
    expect(cues('@acme help?')).toEqual([]);
    expect(cues('Can anyone help me with my bill')).toEqual([]);
    expect(cues('Thanks for your help')).toEqual(['x:lexpos']);
    expect(cues("Support didn't help at all")).toEqual(['x:lexneg']);
    // It was "mixed": the "@acme help?" sentence scored as praise.
    expect(label("Package says delivered but it's not here. @acme help?")).toBe('negative');
  });

  it('reads a problem put right as no complaint', () => {
    expect(ids('Acme replaced it, no questions asked')).toEqual(['resolved']);
    expect(ids('Finally got my refund')).toEqual(expect.arrayContaining(['resolved']));
    expect(ids('My issue has been resolved')).toEqual(['resolved']);
    // Negated, it is the complaint.
    expect(ids("They still haven't fixed my account")).toEqual([]);
    expect(ids('I never got my refund')).not.toContain('resolved');
    // The refund and the broken part it answers are no complaint patterns then: -0.96 and -0.87 before.
    const features = (text: string) =>
      textFeatures(createReader().read(text), { known: new Set(), lexicon: new Map() }, false).document;
    expect([...features('Got my refund, they sorted it').keys()].filter((k) => k.startsWith('p:'))).toEqual([
      'p:resolved',
    ]);
    expect(label('Just got my refund from Acme, took a while but they sorted it.')).toBe('positive');
    // The words of both are no complaint either: the "broken" put right and the "no" of "no
    // questions asked" (−0.40, negative, with those words' valence and negation).
    const blender = 'Acme replaced my broken blender, no questions asked.';
    expect(analyzer.analyze(blender, { ignoreWords: ['Acme'] }).label).toBe('positive');
    const withBroken = { known: new Set<string>(), lexicon: new Map([['broken', -2.1]]) };
    const put = textFeatures(createReader().read(blender.toLowerCase()), withBroken, false).document;
    expect(put.has('x:lexneg')).toBe(false);
    expect([...put.keys()].filter((k) => k.startsWith('n:'))).toEqual([]);
    const still = textFeatures(
      createReader().read('my broken blender, no answer'),
      withBroken,
      false,
    ).document;
    expect(still.has('x:lexneg')).toBe(true);
    expect(label('I never got my refund from Acme.')).toBe('negative');
    // Put right as it is told: "replacing", "fixing", a quick refund (−0.51, +0.42, −0.06 before).
    const acme = { ignoreWords: ['Acme'] };
    expect(ids('thank you for replacing my broken kettle')).toEqual(['broken', 'resolved']);
    expect(analyzer.analyze('Thank you Acme for replacing my broken kettle.', acme).label).toBe('positive');
    expect(analyzer.analyze('Thanks Acme for the quick refund!', acme).label).toBe('positive');
    expect(ids('still waiting for a refund')).not.toContain('resolved');
    // Asking for a refund is no refund got (it was read as one, and positive).
    expect(ids('can i get a refund on my order?')).not.toContain('resolved');
    // The problem a resolution answers is no complaint, in its words either (−0.58 and −0.68 before).
    expect(
      analyzer.analyze('I had a problem with my order but Acme sorted it straight away.', acme).label,
    ).toBe('positive');
    expect(
      analyzer.analyze('Acme replaced my phone screen for free even though it was out of warranty.', acme)
        .label,
    ).not.toBe('negative');
  });

  it('names access and outage complaints in the reasons', () => {
    const reasonsOf = (text: string) => analyzer.analyze(text).reasons.map((r) => r.text);
    expect(reasonsOf("I can't log in to my account")).toContain('cannot access');
    expect(reasonsOf('The dashboard is not loading')).toContain('cannot access');
    expect(label('Locked out of my account since yesterday')).toBe('negative');
    expect(label('The site is down again, third time this week.')).toBe('negative');
    const serviceDown = PATTERNS.find((p) => p.id === 'service-down')!.re;
    expect(serviceDown.test('the site is down again')).toBe(true);
    expect(serviceDown.test('your servers have been down all morning')).toBe(true);
    // A service going down, not a price or a mood.
    expect(serviceDown.test('prices went down this week')).toBe(false);
    expect(serviceDown.test('calm down, it works fine')).toBe(false);
  });

  it('catches wrong items, things that barely work, being cut off, parcels left out', () => {
    // Before these patterns: +0.23, −0.005 (neutral), +0.53 and +0.20.
    expect(label('Got a used item instead of a new one from Acme')).toBe('negative');
    expect(label('The Acme battery barely lasts 3 hours')).toBe('negative');
    expect(label("Acme's chat agent just disconnected on me")).toBe('negative');
    expect(label("Acme's delivery driver left my parcel in the street")).toBe('negative');
    const cutOff = PATTERNS.find((p) => p.id === 'cut-off')!.re;
    expect(cutOff.test('the new update removed the dark mode setting')).toBe(true);
    expect(cutOff.test('they removed the stain easily')).toBe(false);
    // Timing out and going downhill (−0.12 and −0.04, neutral, before).
    const acme = { ignoreWords: ['Acme'] };
    expect(analyzer.analyze("Acme's checkout keeps timing out on mobile.", acme).label).toBe('negative');
    expect(analyzer.analyze("Acme's quality has really gone downhill.", acme).label).toBe('negative');
    expect(ids('the update deleted all my saved playlists')).toEqual(['lost-data']);
    expect(ids('i lost my fave pen')).toEqual([]);
    expect(ids('this is how you treat loyal customers?')).toEqual(['mistreated']);
    expect(ids('they treat their customers like dirt')).toEqual(['mistreated']);
    expect(ids('at other times outside looking in')).toEqual([]);
  });

  it('catches unwanted charges, no-shows, hang-ups, battery drain and wear, and praises quick service', () => {
    // Before, in order: +0.03, +0.78, +0.70, +0.29, +0.10, +0.16, −0.18, −0.06 (neutral), +0.81, +0.75.
    const acme = { ignoreWords: ['Acme'] };
    const labels = acmeLabels([
      "Acme's delivery window was 8am to 6pm and nobody came.",
      'Hidden fees at checkout, thanks Acme.',
      'Acme\'s "free trial" auto-renewed and charged me $99.',
      'Acme please fix the Android app, it drains my battery.',
      'Waited 45 minutes on the phone and Acme hung up.',
      'The Acme hoodie shrank after one wash.',
      'Acme hiked the delivery fee without telling anyone.',
      'Acme support answered in under a minute, amazing.',
    ]);
    expect(labels).toEqual([...new Array(7).fill('negative'), 'positive']);
    // The words of a phrasing the public sets lack are unsaid: "answered" (−0.92 from "no one
    // answered"), "treat" (+1.52 from "a real treat") no longer read it backwards.
    const unsaid = (text: string) => [
      ...textFeatures(
        createReader().read(text),
        { known: new Set(), lexicon: new Map() },
        false,
      ).document.keys(),
    ];
    expect(unsaid('support answered in under a minute')).not.toContain('w:answered');
    expect(unsaid('this is how you treat me')).not.toContain('w:treat');
    expect(
      analyzer.analyze('Been a loyal Acme customer for 10 years and this is how you treat me?', acme).label,
    ).toBe('negative');
    expect(analyzer.analyze("Acme's app update deleted all my saved playlists.", acme).label).not.toBe(
      'positive',
    );
    expect(ids('i only waited 5 minutes')).toEqual([]);
    expect(ids('i hung up my coat')).toEqual([]);
    expect(ids('it arrived two days early')).toEqual(['quick-service']);
    // Going further than asked (−0.04, −0.01 and −0.37 before).
    expect(
      acmeLabels([
        'The Acme rep stayed on the line until everything worked.',
        "Acme's staff went out of their way to find my size.",
        'Ordered from Acme at 10pm, it was at my door by 9am.',
      ]),
    ).toEqual(['positive', 'positive', expect.not.stringMatching(/negative/)]);
    expect(ids('the plot goes out of its way to annoy')).toEqual([]);
    expect(ids('they replied in 3 days')).toEqual([]);
  });

  it('reads the support runaround as a complaint, and a problem solved as none', () => {
    // Before: +0.35, +0.22, −0.11 (neutral), +0.34; each a complaint support should see.
    const labels = acmeLabels([
      'I just want to talk to a real person at Acme.',
      'Acme support is just a bot that sends me links.',
      'Transferred 4 times and nobody at Acme can help.',
      'Acme marked my ticket as resolved but nothing was fixed.',
      'Acme keeps sending me the same canned response.',
      "Acme's chatbot actually solved my problem quickly.",
      'Finally spoke to a human at Acme and she fixed it.',
    ]);
    expect(labels.slice(0, 5)).toEqual(['negative', 'negative', 'negative', 'negative', 'negative']);
    // Solved is no complaint (−0.61 before): no negative label.
    expect(labels.slice(5)).not.toContain('negative');
    const runaround = PATTERNS.find((p) => p.id === 'runaround')!.re;
    expect(runaround.test('finally spoke to a human and she fixed it')).toBe(false);
    expect(runaround.test('the files transferred in seconds')).toBe(false);
    expect(runaround.test("couldn't get hold of a real person")).toBe(true);
  });

  it('reads idioms as they are meant, not word by word', () => {
    // Before the idioms, in order: −0.79, +0.47, +0.62, −0.05, −0.93, +0.93, +0.39, +0.30.
    expect(label("I can't recommend Acme enough")).toBe('positive');
    expect(label('Acme could not be worse')).toBe('negative');
    expect(label('Acme could be better')).toBe('negative');
    expect(label('Nothing beats Acme')).toBe('positive');
    expect(label('Acme is fire 🔥🔥')).toBe('positive');
    expect(label('Huge L for Acme with this update')).toBe('negative');
    expect(label("Acme's app keeps logging me out")).toBe('negative');
    // The idiom's words lose their own valence, in earshot's lexicon and in wink's scores: "good" no
    // longer makes this praise (neutral +0.02 while wink still scored it), nor "nothing" a negation
    // (−0.17: "Nothing beats Acme's customer service." negated the service).
    const acme = { ignoreWords: ['Acme'] };
    expect(analyzer.analyze('Acme used to be good.', acme).label).toBe('negative');
    expect(analyzer.analyze("Nothing beats Acme's customer service.", acme).label).toBe('positive');
    expect(analyzer.analyze('Acme could be better honestly', acme).label).toBe('negative');
    const read = createReader().read('It used to be good. It is good.');
    expect(
      read.inIdiom
        .map((inside, i) => (inside ? read.values[i] : ''))
        .join(' ')
        .trim(),
    ).toBe('used to be good');
    expect(read.sentences.map((s) => s.winkScore > 0)).toEqual([false, true]);
    const nothing = textFeatures(
      createReader().read('nothing beats the service'),
      { known: new Set(), lexicon: new Map() },
      false,
    ).document;
    // A praise idiom's words are unsaid (its pattern speaks for them): no "n:beats", nor "w:beats".
    expect([...nothing.keys()].filter((k) => /^[wn]:/.test(k))).toEqual(['w:the', 'w:service']);
    // "Can't fault" is praise (−0.84 before: "fault" and "customer service" had learned weights).
    expect(analyzer.analyze("Can't fault Acme's customer service.", acme).label).toBe('positive');
    const fire = analyzer.analyze('Acme is fire').reasons.map((r) => r.text);
    expect(fire).toContain('praise idiom');
    // Not idioms: a fire alarm, a price in the middle of the month, a recommendation withheld.
    const praise = PATTERNS.find((p) => p.id === 'praise-idiom')!.re;
    const complaint = PATTERNS.find((p) => p.id === 'complaint-idiom')!.re;
    expect(praise.test('the store was closed, there was a fire alarm')).toBe(false);
    expect(praise.test("i can't recommend it")).toBe(false);
    expect(complaint.test('prices drop mid-march')).toBe(false);
    expect(complaint.test("couldn't be better")).toBe(false);
    // "At best" damns with praise ("best" is +3.2 in VADER's lexicon); Best Buy is a shop.
    expect(complaint.test('the service was average at best')).toBe(true);
    expect(complaint.test('got it at best buy')).toBe(false);
    expect(analyzer.analyze("Acme's new phone is mid at best", acme).label).toBe('negative');
    expect(praise.test("couldn't be better")).toBe(true);
    // Disappointment denied is praise; "never fails to" denies twice. Before: −0.40, −0.36, −0.42,
    // +0.11 and +0.84.
    const labels = acmeLabels([
      'Acme never disappoints.',
      "Acme won't let you down.",
      "You won't regret buying from Acme.",
      'Acme never fails to disappoint.',
      "Acme's support never fails to let me down.",
      'Acme let me down again.',
    ]);
    expect(labels).toEqual(['positive', 'positive', 'positive', 'negative', 'negative', 'negative']);
    const disappointed = PATTERNS.find((p) => p.id === 'disappointed')!.re;
    const denied = ['i was not at all disappointed', 'no regrets', 'you wont regret it'];
    const said = ['never been so disappointed', 'it lets you down', 'never fails to disappoint'];
    expect(denied.filter((text) => disappointed.test(text))).toEqual([]);
    expect(said.filter((text) => disappointed.test(text))).toEqual(said);
  });

  it('reads praise that has no praise word, and complaints that have no complaint word', () => {
    // Before: −0.10, −0.89, −0.64, −0.67, +0.00, −0.95 and −0.30 (the first five with these brand terms).
    expect(
      acmeLabels([
        "Acme's new blender crushes ice like nothing.",
        'The battery life on the Acme X2 is insane.',
        'Never had a single issue with my Acme router.',
        "Acme's customer service is on another level.",
        'Acme knocked it out of the park with this update.',
        'Switched to Acme and my bills went down by a third.',
        "Acme's new jacket kept me dry through a full day of hiking in the rain.",
      ]),
    ).toEqual(Array(7).fill('positive'));
    // Before: +0.49, +0.20, −0.63 and +0.31.
    expect(
      acmeLabels([
        'Third Acme charger this year.',
        "Paid for next-day delivery with Acme, it's been a week.",
        'The Acme app logs me out every time I open it.',
        "The Acme website won't let me change my address.",
      ]),
    ).toEqual(Array(4).fill('negative'));
    // Not praise: a drama on another level is the words' own; an insane wait is a complaint.
    expect(ids('the wait times are insane')).toEqual([]);
    expect(ids('never had a single problem with it')).toEqual(['praise-idiom']);
    expect(ids('never had a problem until today')).toEqual([]);
    expect(ids('it has been a week since i switched')).toEqual([]);
    expect(ids("it's been a week and still nothing")).toEqual(['still-waiting']);
    expect(ids('paid for next-day delivery')).toEqual([]);
    expect(ids('they shipped a replacement the same day')).toEqual(['quick-service']);
    expect(ids("acme won't let me down")).toEqual(['praise-idiom']);
    expect(ids("the site won't let me change my address")).toEqual(['cannot-access']);
    expect(ids('my bill was £40 more than last month')).toEqual(['price-hike']);
    expect(ids('they sent it to my old address')).toEqual(['wrong-item']);
    expect(ids('support copy-pasted the faq at me')).toEqual(['runaround']);
  });

  it('gives the patterns the public sets never hold a weight of their kind', () => {
    // Before: neutral at −0.04 and +0.02 ("quick-service" matched, but had no weight: the model saw it
    // in fewer than two public texts), and −0.29, −0.29, 0 (a "fact"), −0.99, +0.57, +0.44 and −0.57.
    expect(
      acmeLabels([
        'The Acme rep stayed on the phone until my router was working again.',
        'Ordered at 10pm, the Acme parcel was at my door by 8am.',
        'The Acme team remembered my name on my second visit.',
        "Acme's new checkout is so much faster than before.",
        'Switched to Acme last year and my phone bill is half what it was.',
        'The Acme headphones block out my entire commute.',
        'The Acme courier called ahead and waited while I got downstairs.',
        // −0.81 before ("vacuum" −1.03, "dog" −0.74).
        'The Acme vacuum picks up everything, even dog hair.',
      ]),
    ).toEqual(Array(8).fill('positive'));
    expect(
      acmeLabels([
        'The Acme shirt shrank two sizes after one wash.',
        "Acme's chat bot just loops me back to the main menu.",
        "Acme's new interface is slower than the old one.",
        // The fact rule read it as a plain arrival (0).
        'Two of the six Acme glasses arrived in pieces.',
      ]),
    ).toEqual(Array(4).fill('negative'));
    expect(ids("acme's hold music again")).toEqual(['still-waiting']);
    expect(ids('not faster than before')).toEqual([]);
    expect(ids('the remote is half of what i paid for the player')).toEqual([]);
    expect(ids('to get back to the menu press menu')).toEqual([]);
    expect(ids('it sends me back to the main menu')).toEqual(['runaround']);
  });

  it('knows product and service words the VADER lexicon lacks', () => {
    // Before the domain words, the first two scored −0.04 (neutral) and +0.38 (positive).
    expect(label('The billing page is a nightmare.')).toBe('negative');
    expect(label('The app is buggy and laggy since the update.')).toBe('negative');
    expect(label('Support was unhelpful and the plan is overpriced.')).toBe('negative');
    expect(label('Setup was seamless and the interface is intuitive.')).toBe('positive');
    const nightmare = analyzer.analyze('The billing page is a nightmare.');
    expect(JSON.stringify(nightmare.reasons)).toContain('nightmare');
  });

  it('gives each theme the sentiment of its own clause when a contrast splits a sentence', () => {
    const themeScore = (text: string, theme: string) =>
      analyzer.analyze(text).themes.find((t) => t.theme === theme)?.score ?? Number.NaN;
    const but = 'The screen is great but the battery died after two days.';
    expect(themeScore(but, 'screen')).toBeGreaterThan(0.15);
    expect(themeScore(but, 'battery')).toBeLessThan(-0.15);
    const although = 'Although the camera is excellent, the battery life is awful.';
    expect(themeScore(although, 'camera')).toBeGreaterThan(0.15);
    expect(themeScore(although, 'battery life')).toBeLessThan(-0.15);
    const though = 'Nice hotel, though the breakfast was disappointing.';
    expect(themeScore(though, 'hotel')).toBeGreaterThan(0.15);
    expect(themeScore(though, 'breakfast')).toBeLessThan(-0.15);
    // One sentence is still one score for the sentence itself.
    expect(analyzer.analyze(but).sentences).toHaveLength(1);
  });

  it('reads emoji, hashtags and intensity', () => {
    expect(label('new phone day 😍😍')).toBe('positive');
    expect(label('stuck at the gate again 😡')).toBe('negative');
    expect(label('#worstflightever')).toBe('negative');
    expect(label('#LoveThisPlace')).toBe('positive');
    const calm = analyzer.analyze('the update is good').score ?? 0;
    const loud = analyzer.analyze('the update is GOOD!!!').score ?? 0;
    expect(loud).toBeGreaterThan(calm);
  });

  it('reads text emoticons wink splits ("=D", ">:("), and gives a lone symbol no sentiment', () => {
    const score = (text: string) => analyzer.analyze(text).score ?? 0;
    const reasons = (text: string) => analyzer.analyze(text).reasons.map((r) => r.text);
    expect(score('new update =D')).toBeGreaterThan(score('new update'));
    expect(reasons('new update =D')).toContain('=d');
    expect(score('the new update >:(')).toBeLessThan(score('the new update'));
    // Code, configuration and quoted replies (GitHub, Hacker News): "=" had learned +0.81, ">" −0.72.
    for (const [withSymbol, without] of [
      ['Upgrade to version >= 2.1 of the Acme SDK', 'Upgrade to version 2.1 of the Acme SDK'],
      ['> the app crashes on start', 'the app crashes on start'],
      ['Use a=1&b=2 as the query', 'Use a 1 b 2 as the query'],
    ]) {
      expect(score(withSymbol as string), withSymbol).toBe(score(without as string));
    }
  });

  it('labels strong praise and strong complaint in one text as mixed', () => {
    expect(label('The camera is superb. The battery is a disaster and died in an hour.')).toBe('mixed');
  });

  it('reads a customer leaving the brand as a verdict against it, whatever else the words say', () => {
    const acme = { ignoreWords: ['Acme'] };
    // The model alone read these as praise ("good" in "for good", "moving" as in a moving film).
    const ditch = analyzer.analyze('Time to ditch @acme for good', acme);
    expect(ditch).toMatchObject({ score: VERDICT_SCORE, label: 'negative' });
    expect(ditch.reasons[0]).toMatchObject({ kind: 'intent', text: 'churn: ditch @acme' });
    expect(ditch.reasons[0]?.effect).toBeLessThan(0);
    expect(ditch.sentences[0]?.score).toBe(VERDICT_SCORE);
    expect(analyzer.analyze('Thinking about moving from Acme to Globex', acme).label).toBe('negative');
    // Praise beside it does not make it mixed; the leaving sentence scores as a verdict.
    const renewing = analyzer.analyze('Not renewing Acme. Great product, but the price doubled.', acme);
    expect(renewing.label).toBe('negative');
    expect(renewing.sentences.map((s) => s.score <= VERDICT_SCORE)).toEqual([true, false]);
    // Never lifts a score: a complaint stays as negative as it was, with no intent reason.
    const angry = analyzer.analyze('Cancelled my Acme subscription. Worst service I have ever had!', acme);
    expect(angry.score).toBeLessThan(VERDICT_SCORE);
    expect(angry.reasons.some((r) => r.kind === 'intent')).toBe(false);
    // A star rating still weighs twice the text.
    expect(analyzer.analyze('Time to ditch @acme for good', { ...acme, rating: 5 }).score).toBeCloseTo(
      0.5,
      3,
    );
    // Coming to the brand, or a switch between two of the mention's brands, is no verdict.
    expect(analyzer.analyze('Switched to Acme and couldn’t be happier', acme).label).toBe('positive');
    const both = { ignoreWords: ['Acme', 'Globex'] };
    expect(analyzer.analyze('Switched from Globex to Acme and love it', both).label).toBe('positive');
    // Nor a complaint: switching to the brand is no churn pattern and its words no sentiment (−0.54
    // and −0.71 before).
    expect(analyzer.analyze('No regrets switching to Acme.', acme).label).toBe('positive');
    expect(analyzer.analyze('Switching to Acme from Globex, so much cheaper.', acme).label).toBe('positive');
    const context = {
      known: new Set<string>(),
      lexicon: new Map<string, number>(),
      unscored: new Set(['acme']),
    };
    const churns = (text: string) =>
      textFeatures(createReader().read(text), context, false).document.has('p:cancel-switch');
    expect(
      [
        'switching to @acme',
        'moving to acme next month',
        'switching to globex',
        'cancelled acme, moving to globex',
      ].map(churns),
    ).toEqual([false, false, true, true]);
    expect(
      textFeatures(createReader().read('switching to acme'), context, false).document.has('w:switching'),
    ).toBe(false);
  });

  it('explains every score, for the document and each sentence', () => {
    const result = analyzer.analyze('Awful support. Great price though.');
    expect(result.reasons.length).toBeGreaterThan(0);
    expect(result.reasons.some((r) => r.text === 'awful')).toBe(true);
    for (const sentence of result.sentences) expect(sentence.reasons.length).toBeGreaterThan(0);
  });

  it('gives common words ("an", "my", "its first") as one reason, and no reason of no effect', () => {
    // Reasons a person can act on: function words move scores (their learned weights), but one by one
    // "an" or "not my" explains nothing, so their summed effect is one 'common-words' reason.
    const common = new Set([
      'an',
      'its first',
      'its',
      'first',
      'next',
      'in',
      'of',
      'my',
      'not my',
      'i',
      'about',
    ]);
    for (const text of [
      'Acme opens its first store in Toronto next week.',
      'Acme released version 2.3 of its SDK today.',
      'Support never answered my ticket about the dashboard.',
      'I contacted Acme support about my invoice.',
    ]) {
      const result = analyzer.analyze(text, { ignoreWords: ['Acme'] });
      const all = [...result.reasons, ...result.sentences.flatMap((s) => s.reasons)];
      if (!text.startsWith('Support')) {
        expect(all.filter((r) => r.kind === 'common-words').length, text).toBeGreaterThan(0);
      }
      for (const reason of all) {
        expect(reason.effect, `${text}: ${reason.text}`).not.toBe(0);
        if (reason.kind !== 'common-words')
          expect(common.has(reason.text), `${text}: ${reason.text}`).toBe(false);
      }
    }
  });

  it('gives no sentiment to text that is not English, and records its language', async () => {
    const { createAnalyzer } = await import('../../src/nlp/analyzer.ts');
    const { detectLanguage } = await import('../../src/nlp/language.ts');
    const withLanguage = createAnalyzer({ detectLanguage });
    const german = withLanguage.analyze('Der Kundenservice war unglaublich schlecht und viel zu langsam.');
    expect(german).toMatchObject({ score: null, label: null, language: 'de', themes: [] });
    const english = withLanguage.analyze('The customer service was unbelievably bad and far too slow.');
    expect(english.language).toBe('en');
    expect(english.label).toBe('negative');
  });

  it('finds touchpoints and intents', () => {
    const result = analyzer.analyze('Cancelling my subscription: the app crashes and support never answers.');
    expect(result.touchpoints.map((t) => t.id)).toEqual(expect.arrayContaining(['digital', 'service']));
    expect(result.intents.map((i) => i.id)).toContain('churn');
  });
});

describe('scoreFeatures', () => {
  const model = loadModel({
    version: 1,
    neutralBand: 0.1,
    mixedBand: 0.5,
    trainedAt: '',
    trainedOn: [],
    crossValidation: {},
    lexicon: {},
    weights: { 'w:an': 0.4, 'w:my': -0.8, 'w:great': 1.0, 'b:an_great': 0.1, bias: 0.05 },
  });
  const features = new Map([
    ['w:an', 1],
    ['w:my', 1],
    ['w:great', 1],
    ['b:an_great', 1],
    ['bias', 1],
  ]);

  it('sets common features apart for the reasons without changing the score', () => {
    const plain = scoreFeatures(model, features, 6);
    const apart = scoreFeatures(model, features, 6, (f) => f === 'w:an' || f === 'w:my');
    expect(apart.score).toBe(plain.score);
    expect(plain.contributions.map((c) => c.feature)).toEqual(['w:great', 'w:my', 'w:an', 'b:an_great']);
    expect(apart.contributions.map((c) => c.feature)).toEqual(['w:great', 'b:an_great']);
    expect(apart.common.effect).toBeCloseTo(-0.4, 10);
    expect(apart.common.largest.map((c) => c.feature)).toEqual(['w:my', 'w:an']);
    const reasons = reasonsOf(apart, 6);
    expect(reasons.map((r) => [r.kind, r.text, r.effect])).toEqual([
      ['word', 'great', 1],
      ['common-words', 'my, an', -0.4],
      ['phrase', 'an great', 0.1],
    ]);
    expect(reasonsOf(apart, 2)).toHaveLength(2);
  });
});
