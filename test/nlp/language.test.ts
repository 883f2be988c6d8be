import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../../src/nlp/language.ts';

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

  it('does not turn clear short non-English text into English', () => {
    expect(detectLanguage('Merci beaucoup pour votre aide').language).toBe('fr');
    expect(detectLanguage('最高のアプリ').language).toBe('ja');
  });
});
