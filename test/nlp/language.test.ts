import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../src/nlp/analyzer.ts';
import {
  createLanguageDetector,
  DEFAULT_LANGUAGE_RULES,
  detectLanguage,
  ELD_DATA_FROM,
  eldDataAsJson,
  englishShare,
  lexiconShare,
} from '../../src/nlp/language.ts';
import { createReader } from '../../src/nlp/read.ts';
import { inEnglishLexicon } from '../../src/nlp/wink.ts';

describe("eld's database as JSON", () => {
  const entry = import.meta.resolve('eld/small');

  it("holds exactly what eld's own module holds, and is what Node loads", async () => {
    const { ngramsData } = (await import(new URL('../ngrams/small.js', entry).href)) as {
      ngramsData: unknown;
    };
    const source = readFileSync(new URL('../ngrams/small.js', entry), 'utf8');
    expect(JSON.parse(eldDataAsJson(source))).toEqual(ngramsData);
    // Not the fallback (which would hide a broken conversion behind the heavier module load).
    expect(ELD_DATA_FROM).toBe('json');
  });

  it('converts quoted keys with escapes, bare keys and numbers, and refuses other escapes', () => {
    const source =
      "export const ngramsData = {type:'S60',languages:{0:'am'},ngrams:{'it\\'s':{0:12,11:-3},' \"x\\\\':{5:1.5}}};";
    expect(JSON.parse(eldDataAsJson(source))).toEqual({
      type: 'S60',
      languages: { 0: 'am' },
      ngrams: { "it's": { 0: 12, 11: -3 }, ' "x\\': { 5: 1.5 } },
    });
    expect(() => eldDataAsJson("export const ngramsData = {'a\\n':{0:1}};")).toThrow(/unexpected escape/);
    expect(() => eldDataAsJson('export const nothing = 1;')).toThrow(/no ngramsData/);
  });
});

// Examples written for this test (not taken from any data set).
describe('detectLanguage', () => {
  it.each([
    ['en', 'The delivery was late again and nobody answered my emails.'],
    ['de', 'Die Lieferung kam schon wieder zu spät und niemand hat auf meine E-Mails geantwortet.'],
    ['fr', "La livraison est encore arrivée en retard et personne n'a répondu à mes courriels."],
    ['es', 'La entrega llegó tarde otra vez y nadie respondió a mis correos.'],
    ['pt', 'A entrega chegou atrasada de novo e ninguém respondeu aos meus e-mails.'],
    ['ja', 'アプリが何度もクラッシュして本当に困っています。'],
  ])('detects %s', (language, text) => {
    const result = detectLanguage(text);
    expect(result.language).toBe(language);
    expect(result.confidence).toBeGreaterThan(0);
    expect(result.confidence).toBeLessThanOrEqual(1);
  });

  it.each([
    ['emoji only', '😀😀🔥👍'],
    ['a URL only', 'https://example.com/some/path?x=1'],
    ['digits and punctuation', '12345 !!!'],
    ['too few letters', 'ok'],
    ['empty', ''],
  ])('is unsure (null) for %s', (_, text) => {
    expect(detectLanguage(text)).toEqual({ language: null, confidence: 0 });
  });

  it('keeps short English complaints English', () => {
    expect(detectLanguage('worst app ever!!!').language).toBe('en');
    // The detector alone says French / German for these; English is within its margin.
    expect(detectLanguage('EXCELLENT SERVICE!!!').language).toBe('en');
    expect(detectLanguage('So bad.').language).toBe('en');
  });

  it('ignores handles, links and hashtags marks', () => {
    expect(detectLanguage('@acme_support why is my order still not here? https://t.co/x1y2z3').language).toBe(
      'en',
    );
    expect(
      detectLanguage('#acme Der Kundenservice ist eine Katastrophe, ich warte seit Wochen.').language,
    ).toBe('de');
  });

  it('leaves the brand terms out: a name is no language', () => {
    // eld alone reads these as Swedish, which would take their sentiment away.
    expect(detectLanguage('Klarna sucks').language).toBe('sv');
    expect(detectLanguage('Love Klarna').language).toBe('sv');
    expect(detectLanguage('Klarna sucks', ['Klarna']).language).not.toBe('sv');
    expect(detectLanguage('Love Klarna', ['klarna']).language).not.toBe('sv');
    expect(detectLanguage('Klarna app crashed', ['Klarna']).language).toBe('en');
    // Whole words only, and the text's own language still decides.
    expect(detectLanguage('Klarnas sucks', ['Klarna']).language).toBe(
      detectLanguage('Klarnas sucks').language,
    );
    expect(detectLanguage('Klarna hat mir zweimal Geld abgebucht', ['Klarna']).language).toBe('de');
    // The analyzer gives the detector the brands it ignores: the complaint keeps its label.
    const analyzer = createAnalyzer({ detectLanguage });
    expect(analyzer.analyze('Klarna sucks').label).toBeNull();
    expect(analyzer.analyze('Klarna sucks', { ignoreWords: ['Klarna'] }).label).toBe('negative');
  });

  it('does not turn clear short non-English text into English', () => {
    expect(detectLanguage('Merci beaucoup pour votre aide').language).toBe('fr');
    expect(detectLanguage('最高のアプリ').language).toBe('ja');
  });
});

describe('English recognised by its function words (before eld)', () => {
  it('answers plain English with enough function words', () => {
    const text = 'The app keeps crashing when I open the settings and nobody has answered my ticket';
    expect(englishShare(text)).toBeGreaterThanOrEqual(0.2);
    expect(detectLanguage(text)).toMatchObject({ language: 'en' });
  });

  it('leaves other languages, accented text and short English to eld', () => {
    // Dutch, German and Norwegian share "is", "was", "of", "for", "so" with English: not markers.
    expect(englishShare('Het pakket was te laat en de klantenservice is niet bereikbaar of traag')).toBe(0);
    expect(englishShare('Das Paket war so spät, was soll das, die App ist kaputt')).toBe(0);
    expect(englishShare('Pakken kom for sent og appen virker ikke for meg')).toBe(0);
    // Not ASCII: eld decides (here correctly English despite the café).
    expect(englishShare('The café that you and I liked has closed')).toBe(0);
    expect(detectLanguage('The café that you and I liked has closed').language).toBe('en');
    // Fewer than two markers.
    expect(englishShare('Terrible service, never again')).toBe(0);
    expect(englishShare('Terrible service from them')).toBe(0);
  });
});

describe("English recognised by wink's English lexicon (before eld)", () => {
  it('answers ASCII text whose words the English lexicon nearly all holds', () => {
    // eld alone calls this French; every word is English.
    expect(
      createLanguageDetector({ lexiconShare: 0 })('Excellent restaurant, brilliant desserts').language,
    ).toBe('fr');
    expect(lexiconShare('excellent restaurant, brilliant desserts', 4)).toBe(1);
    expect(detectLanguage('Excellent restaurant, brilliant desserts')).toMatchObject({ language: 'en' });
    expect(detectLanguage('Battery died after two days')).toMatchObject({ language: 'en', confidence: 1 });
  });

  it('leaves other languages, accented text and texts under four words to eld', () => {
    for (const [text, language] of [
      ['Das Produkt ist super gut', 'de'],
      ['Der Service war super und schnell', 'de'],
      ['Het hotel was super goed', 'nl'],
      ['Le service client est nul', 'fr'],
      ['Il servizio era perfetto', 'it'],
    ] as const) {
      expect(lexiconShare(text.toLowerCase(), 4), text).toBeLessThan(DEFAULT_LANGUAGE_RULES.lexiconShare);
      expect(detectLanguage(text).language, text).toBe(language);
    }
    expect(lexiconShare('produto excelente, entrega rápida', 4)).toBe(0); // not ASCII
    expect(lexiconShare('terrible service overall', 4)).toBe(0); // three words
  });

  it('counts only the model’s own words, never words a document added', () => {
    expect(inEnglishLexicon('battery')).toBe(true);
    expect(inEnglishLexicon('zqxvbrandname')).toBe(false);
    const reader = createReader();
    reader.read('Our zqxvbrandname arrived');
    expect(inEnglishLexicon('zqxvbrandname')).toBe(false);
  });
});
