import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawItem } from '../../sources/types.ts';
import { htmlToText, MAX_TEXT_CHARS, normaliseItem, unwrapRedirect } from '../../src/ingest/normalise.ts';

function rawItem(overrides: Partial<RawItem> = {}): RawItem {
  return {
    externalId: 'item-1',
    url: 'https://example.com/post',
    author: null,
    title: 'A title',
    content: '<p>Some body</p>',
    contentType: 'html',
    publishedAt: new Date('2024-05-31T09:30:00Z'),
    rating: null,
    language: 'en',
    ...overrides,
  };
}

describe('htmlToText', () => {
  it('strips tags and keeps the words apart', () => {
    expect(htmlToText('<p>Hello <b>world</b></p><p>Second <i>para</i></p>'), 'paragraphs').toBe(
      'Hello world\n\nSecond para',
    );
    expect(htmlToText('<p>line1<br>line2</p>'), 'a <br> is a line break').toBe('line1\nline2');
    expect(
      htmlToText('<a href="https://x.example/">a link</a> <img src="x.png" alt="pic">'),
      'links and images',
    ).toBe('a link');
    expect(htmlToText('x<!-- hidden comment -->y'), 'comments').toBe('xy');
  });

  it('decodes entities', () => {
    expect(htmlToText('Tom &amp; Jerry'), 'named entity').toBe('Tom & Jerry');
    expect(htmlToText('caf&eacute; caf&#233; caf&#xE9;'), 'named, decimal and hex').toBe('café café café');
    expect(htmlToText('&quot;quoted&quot; &#39;single&#39; &mdash; &#x2014;'), 'quotes and dashes').toBe(
      '"quoted" \'single\' — —',
    );
    expect(htmlToText('a&nbsp;&nbsp;b'), 'non-breaking spaces fold to one space').toBe('a b');
    expect(htmlToText('&lt;b&gt;not a tag&lt;/b&gt;'), 'escaped markup stays as text').toBe(
      '<b>not a tag</b>',
    );
  });

  it('drops the content of script and style', () => {
    const text = htmlToText(
      '<p>Hi</p><script>alert("x")</script><STYLE>p { color: red }</STYLE><p>there</p>',
    );
    expect(text, 'script/style bodies are not text').toBe('Hi\n\nthere');
    expect(htmlToText('<svg><script>evil()</script></svg>after'), 'script nested in svg').toBe('after');
    expect(htmlToText('<script>never closed'), 'unclosed script').toBe('');
  });

  it('removes a CDATA wrapper', () => {
    expect(htmlToText('<![CDATA[<p>Hi <b>there</b></p>]]>'), 'CDATA around HTML').toBe('Hi there');
    expect(htmlToText('before <![CDATA[inside]]> after'), 'CDATA in the middle').toBe('before inside after');
  });

  it('removes zero-width and bidi control characters', () => {
    expect(htmlToText('Ac\u200bme'), 'raw zero-width space inside a word').toBe('Acme');
    expect(htmlToText('Ac&#8203;me'), 'zero-width space as an entity').toBe('Acme');
    expect(htmlToText('a\u200cb\u200dc\ufeffd'), 'ZWNJ, ZWJ, BOM').toBe('abcd');
    expect(htmlToText('safe\u202etxt.exe'), 'right-to-left override').toBe('safetxt.exe');
    expect(htmlToText('\u2066isolated\u2069 \u200eltr\u200f'), 'isolates and marks').toBe('isolated ltr');
    expect(htmlToText('bell\u0007 and nul\u0000'), 'C0 controls').toBe('bell and nul');
  });

  it('folds whitespace', () => {
    expect(htmlToText('  a \t  b  '), 'runs of spaces and tabs').toBe('a b');
    expect(htmlToText('<p>one</p><p></p><p></p><p>two</p>'), 'at most one blank line').toBe('one\n\ntwo');
  });
});

describe('unwrapRedirect', () => {
  it('unwraps a google.com/url redirect', () => {
    expect(
      unwrapRedirect('https://www.google.com/url?rct=j&sa=t&url=https://example.com/article&ct=ga&usg=AFQ'),
      'Google Alerts link',
    ).toBe('https://example.com/article');
    expect(
      unwrapRedirect('https://www.google.com/url?url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1%26c%3D2&sa=t'),
      'percent-encoded target keeps its own query',
    ).toBe('https://example.com/a?b=1&c=2');
  });

  it('unwraps a country Google domain and the q= form', () => {
    expect(
      unwrapRedirect('https://www.google.co.uk/url?q=https://example.org/x&sa=U'),
      'google.co.uk, q=',
    ).toBe('https://example.org/x');
    expect(unwrapRedirect('https://google.de/url?url=http://example.net/'), 'google.de, http target').toBe(
      'http://example.net/',
    );
  });

  it('leaves other links untouched', () => {
    const links = [
      'https://example.com/url?url=https://elsewhere.example/',
      'https://notgoogle.com/url?url=https://elsewhere.example/',
      'https://www.google.com/search?q=acme',
      'https://www.google.com/url',
      'not a url at all',
    ];
    for (const link of links) expect(unwrapRedirect(link), link).toBe(link);
  });

  it('refuses a javascript: (or other non-web) target', () => {
    const js = 'https://www.google.com/url?url=javascript:alert(document.cookie)';
    expect(unwrapRedirect(js), 'javascript: target').toBe(js);
    const data = 'https://www.google.com/url?q=data:text/html,<script>alert(1)</script>';
    expect(unwrapRedirect(data), 'data: target').toBe(data);
  });
});

describe('normaliseItem', () => {
  it('keeps the fields of an ordinary item', () => {
    const item = normaliseItem(rawItem({ author: ' Jane  Doe ' }));
    expect(item, 'normalised item').toEqual({
      externalId: 'item-1',
      url: 'https://example.com/post',
      author: 'Jane Doe',
      title: 'A title',
      text: 'Some body',
      publishedAt: new Date('2024-05-31T09:30:00Z'),
      rating: null,
      language: 'en',
    });
  });

  it('drops a javascript: url', () => {
    expect(normaliseItem(rawItem({ url: 'javascript:alert(1)' }))?.url, 'javascript: link').toBeNull();
    expect(
      normaliseItem(rawItem({ url: ' JavaScript:alert(1)' }))?.url,
      'mixed case, leading space',
    ).toBeNull();
    expect(normaliseItem(rawItem({ url: 'data:text/html,hi' }))?.url, 'data: link').toBeNull();
    expect(normaliseItem(rawItem({ url: 'not a url' }))?.url, 'unparseable link').toBeNull();
  });

  it('unwraps a Google redirect url', () => {
    const item = normaliseItem(
      rawItem({ url: 'https://www.google.com/url?rct=j&url=https://example.com/news&ct=ga' }),
    );
    expect(item?.url, 'url behind the redirect').toBe('https://example.com/news');
  });

  it('decodes HTML entities and tags in the title', () => {
    expect(normaliseItem(rawItem({ title: 'Tom &amp; Jerry&#39;s <b>show</b>' }))?.title, 'title').toBe(
      "Tom & Jerry's show",
    );
  });

  it('falls back to the title when the content is empty', () => {
    const item = normaliseItem(rawItem({ title: 'Only a &quot;title&quot;', content: '' }));
    expect(item?.text, 'text from the title').toBe('Only a "title"');
    const markupOnly = normaliseItem(rawItem({ title: 'Headline', content: '<p> <img src="x.png"> </p>' }));
    expect(markupOnly?.text, 'content with no visible text').toBe('Headline');
  });

  it('returns null when there is no text at all', () => {
    expect(normaliseItem(rawItem({ title: null, content: '' })), 'no title, no content').toBeNull();
    expect(
      normaliseItem(rawItem({ title: '  ', content: '<p>\u200b</p>' })),
      'only invisible text',
    ).toBeNull();
    expect(normaliseItem(rawItem({ externalId: '   ' })), 'blank externalId').toBeNull();
  });

  it('caps the text at MAX_TEXT_CHARS', () => {
    const long = 'word '.repeat(Math.ceil(MAX_TEXT_CHARS / 5) * 2);
    const asText = normaliseItem(rawItem({ content: long, contentType: 'text' }));
    expect(asText?.text.length, 'plain text content').toBe(MAX_TEXT_CHARS);
    const asHtml = normaliseItem(rawItem({ content: `<p>${long}</p>` }));
    expect(asHtml?.text.length, 'HTML content').toBe(MAX_TEXT_CHARS);
  });

  it('treats plain text content as text, not markup', () => {
    const item = normaliseItem(rawItem({ content: 'if a < b && c > d\u200b', contentType: 'text' }));
    expect(item?.text, 'plain text is only cleaned').toBe('if a < b && c > d');
  });

  it('drops a non-finite rating', () => {
    expect(normaliseItem(rawItem({ rating: Number.NaN }))?.rating, 'NaN rating').toBeNull();
    expect(normaliseItem(rawItem({ rating: 4 }))?.rating, 'a real rating').toBe(4);
  });
});

describe('normalise: hosts and tables', () => {
  it('unwraps only real Google redirect hosts', () => {
    const target = encodeURIComponent('https://example.com/a');
    expect(unwrapRedirect(`https://www.google.com.br/url?url=${target}`)).toBe('https://example.com/a');
    expect(unwrapRedirect(`https://google.evil.com/url?url=${target}`)).toBe(
      `https://google.evil.com/url?url=${target}`,
    );
  });

  it('keeps table cells apart so brand names stay whole words', () => {
    expect(htmlToText('<table><tr><td>Price</td><td>Acme</td></tr></table>')).toMatch(/Price\s+Acme/);
  });
});

describe('htmlToText without markup', () => {
  it('gives what the HTML converter gives for text with no tag and no entity', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        ' ',
        '  ',
        '\t',
        '\n',
        '\r\n',
        '\f',
        '\u00a0',
        '\u200b',
        '\u0000',
        '>',
        ']]>',
        '"',
        '😀',
        'é',
      ),
      fc.string({ maxLength: 8 }),
    );
    const text = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join('').replace(/[<&]/g, 'x'));
    fc.assert(
      fc.property(text, (plain) => {
        // A leading empty element sends the same text through the converter.
        expect(htmlToText(plain)).toBe(htmlToText(`<span></span>${plain}`));
      }),
      { numRuns: 2000 },
    );
    expect(htmlToText('  Battery\n\n died\tafter   two days  ')).toBe('Battery died after two days');
  });
});
