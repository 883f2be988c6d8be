import { describe, expect, it } from 'vitest';
import { type Analysis, VERDICT_SCORE } from '../../src/nlp/analyzer.ts';
import type { PlainKind } from '../../src/nlp/plain.ts';
import { testAnalyzer } from '../helpers/deps.ts';

/** Each text scores 0, neutral, with itself as the first reason, of `kind`. */
function expectPlain(analyze: (text: string) => Analysis, kind: PlainKind, texts: readonly string[]): void {
  for (const text of texts) {
    const result = analyze(text);
    expect(result.score, text).toBe(0);
    expect(result.label, text).toBe('neutral');
    expect(result.reasons[0], text).toMatchObject({ kind, text });
  }
}

/** No text has a reason of `kind`: each is left to the model or to another kind. */
function expectNotPlain(
  analyze: (text: string) => Analysis,
  kind: PlainKind,
  texts: readonly string[],
): void {
  for (const text of texts) expect(hasReason(analyze(text), kind), text).toBe(false);
}

/** Whether a text has a reason of `kind`. */
const hasReason = (result: Analysis, kind: PlainKind) => result.reasons.some((r) => r.kind === kind);

describe('questions that ask for information', () => {
  const analyzer = testAnalyzer();
  const acme = (text: string, rating?: number) => analyzer.analyze(text, { ignoreWords: ['Acme'], rating });

  it('score 0, neutral, with the question as the reason', () => {
    // The model alone scored these −0.78, −0.63, +0.63, −0.90, −0.78 and +0.44: an alert, or praise, for a question.
    for (const text of [
      'How do I reset my Acme password?',
      'Does Acme offer student discounts?',
      'Where can I find my Acme invoices?',
      'Where do I send my Acme warranty claim?',
      'Is it possible to pause my Acme subscription?',
      'Are there any Acme stores in Leeds?',
      // After a greeting, an @mention or the brand's name.
      'Hey Acme, is the blue version coming back in stock?',
      '@acme do you ship to Canada?',
      'Quick question: what time does the Acme store on Main St open?',
    ]) {
      const result = acme(text);
      expect(result.label, text).toBe('neutral');
      expect(result.score, text).toBe(0);
      expect(result.reasons[0], text).toMatchObject({ kind: 'asks', text });
      expect(result.sentences[0]!.score, text).toBe(0);
      // Its themes carry the sentence's score: no aspect is praised or blamed.
      for (const theme of result.themes) expect(theme.score, text).toBe(0);
    }
  });

  it('leave questions that complain, chase or are rhetorical to the model', () => {
    expectNotPlain(acme, 'asks', [
      'Is Acme down?',
      'Why is my Acme order still not here?',
      'When will my Acme refund arrive?',
      'Where is my Acme order?',
      'Do you guys even read your emails, Acme?',
      'Is it just me or has Acme quality gone downhill?',
      'Is there no way to talk to a human at Acme?',
      'Can Acme get anything right?',
      'Is it too much to ask for Acme to answer the phone?',
      'Is the Acme app crashing for anyone else?',
      'How do I get a refund for this broken Acme kettle?',
      'Is Acme worth it?',
    ]);
    expect(acme('Is Acme down?').label).toBe('negative');
    expect(acme('How do I get a refund for this broken Acme kettle?').label).toBe('negative');
  });

  it('score a text by what the rest of it says', () => {
    // Praise and a question: positive, not mixed (the question alone had read −0.9).
    const praise = acme('Love the new Acme app! How do I turn on dark mode?');
    expect(praise.label).toBe('positive');
    expect(praise.sentences[1]!.score).toBe(0);
    expect(praise.reasons[0]).toMatchObject({ kind: 'asks', text: 'How do I turn on dark mode?' });
    // A complaint and a question: the complaint decides.
    const complaint = acme('My Acme kettle arrived broken. How do I get a replacement?');
    expect(complaint.label).toBe('negative');
    expect(complaint.sentences[1]!.score).toBe(0);
    // Nothing said but the question: neutral.
    expect(acme('Hi Acme. How do I add a second user to my account?').score).toBe(0);
  });

  it('yield to a churn verdict and to a star rating', () => {
    const cancel = acme('How do I cancel my Acme subscription?');
    expect(cancel.score).toBeLessThanOrEqual(VERDICT_SCORE);
    expect(cancel.intents.map((i) => i.id)).toContain('churn');
    expect(acme('Does the Acme Pro work with Android?', 1).label).toBe('negative');
  });

  it('stay requests for help, for support to answer', () => {
    const result = acme('Does Acme offer student discounts?');
    expect(result.intents.map((i) => i.id)).toContain('help');
  });
});

describe('news about the brand', () => {
  const analyzer = testAnalyzer();
  const acme = (text: string) => analyzer.analyze(text, { ignoreWords: ['Acme'] });

  it('scores 0, neutral, with the sentence as the reason', () => {
    // The model alone: −0.23, −0.29, +0.26, +0.61, −0.17 and +0.49.
    expectPlain(acme, 'news', [
      'Acme acquired Globex for $2 billion.',
      'Acme changed its logo.',
      'Acme has moved its headquarters to Austin.',
      'Acme updated its privacy policy today.',
      "Acme's new ad campaign starts on Monday.",
      'Acme is closing its Leeds store.',
      'BREAKING: Acme CEO Jane Doe announced a new plan.',
      'Acme is set to release the Pro 2 on March 3.',
      'Acme now offers a student discount.',
      "Acme's spring collection drops on Friday.",
      'Acme will close its downtown branch on Sunday for renovations.',
      // wink tags these verbs nouns after the name.
      'Acme sponsors the local football team.',
      'Acme launches a podcast about home cooking.',
    ]);
  });

  it('leaves news that carries a judgement, and first-person posts, out of the news', () => {
    expectNotPlain(acme, 'news', [
      'Acme is recalling 10,000 kettles over a wiring fault.',
      'Acme raised prices on its basic plan from $10 to $12.',
      "Acme updated the app again and now I can't log in.",
      'Acme changed my plan without asking.',
      'I ordered an Acme blender yesterday.',
      // A drop with no date is no release; a plural noun is no verb.
      "Acme's prices drop again.",
      "Acme's updates broke everything.",
    ]);
    expect(acme('Acme is recalling 10,000 kettles over a wiring fault.').label).toBe('negative');
  });

  it('reads where the brand will be as news', () => {
    // −0.90 before: "trade" −1.14 and "show in" −1.06, learned from reviews.
    const result = acme('Acme will be at the trade show in Vegas next week.');
    expect(result.score).toBe(0);
    expect(result.reasons[0]).toMatchObject({ kind: 'news' });
  });

  it('needs the brand: without brand terms nothing announces', () => {
    const result = analyzer.analyze('Acme acquired Globex for $2 billion.');
    expect(hasReason(result, 'news')).toBe(false);
  });

  it('scores a text by what the rest of it says', () => {
    const result = acme('Acme launched the Pro 2 today. It looks amazing!');
    expect(result.sentences[0]!.score).toBe(0);
    expect(result.label).toBe('positive');
  });
});

describe('plain accounts of dealings with the brand', () => {
  const analyzer = testAnalyzer();
  const acme = (text: string) => analyzer.analyze(text, { ignoreWords: ['Acme', 'Globex'] });

  it('score 0, neutral, with the sentence as the reason', () => {
    // The model alone: −0.15, −0.71, +0.29, −0.14, +0.41, +0.69, +0.95, +0.90 and −0.71, each from
    // words that reviews taught it ("ordered" −0.80, "headphones" −0.84, "overnight" +1.10).
    expectPlain(acme, 'fact', [
      'I ordered an Acme blender yesterday.',
      'Just picked up my new Acme headphones from the store.',
      'Switched my phone plan to Acme last week.',
      "Acme's new catalogue came in the post today.",
      'Got an email from Acme about updating my password.',
      'Comparing Acme and Globex for our office printers.',
      'The Acme app updated overnight to version 5.2.',
      'I upgraded to Acme Pro today.',
      'Acme headphones come in black and white.',
      'Downloaded the Acme app to track my parcel.',
      // Employment (+0.62 before, "works" +0.45), and a parcel's status (+0.76: "out for" +0.97).
      'My sister works at Acme.',
      'My Acme order is out for delivery today.',
    ]);
  });

  it('leaves stories with a point, judgements and other verbs to the model', () => {
    expectNotPlain(acme, 'fact', [
      // A mismatch (two verbs), a wait, a repeat, a contrast, a comparison, a judgement, a question.
      'I ordered a blender from Acme and got a toaster.',
      'I ordered from Acme two weeks ago.',
      'Third Acme charger this year.',
      'I ordered from Acme but it never arrived.',
      'Switching to Acme from Globex, so much cheaper.',
      'I ordered the Acme blender and love it.',
      'Did you order from Acme?',
      "Acme's delivery driver left my parcel in the rain.",
      'Renewed my Acme membership for another year.',
      'I ordered an Acme blender yesterday!',
      // Works for the writer: praise, not employment. Arrived broken.
      'Acme works for me.',
      'Two of the six Acme glasses arrived in pieces.',
      'My Acme order is still on its way.',
    ]);
    expect(acme('I ordered from Acme but it never arrived.').label).toBe('negative');
  });

  it('needs the brand named in the sentence', () => {
    expect(hasReason(analyzer.analyze('I ordered a blender yesterday.'), 'fact')).toBe(false);
    expect(hasReason(acme('Love Acme. I ordered a blender yesterday.'), 'fact')).toBe(false);
  });
});
