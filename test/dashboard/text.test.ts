/** The dashboard's rules for user text: what is shown, and what becomes a link. */
import { describe, expect, it } from 'vitest';
import { httpUrl, truncate, visibleText } from '../../src/dashboard/text.tsx';

describe('visibleText', () => {
  it('shows direction controls as markers and drops invisible characters', () => {
    expect(visibleText('a\u202eb\u202cc')).toBe('a[U+202E]b[U+202C]c');
    expect(visibleText('\u2066x\u2069 \u200fy\u200e')).toBe('[U+2066]x[U+2069] [U+200F]y[U+200E]');
    expect(visibleText('ze\u200bro\u2060 wi\ufeffdth\u0007')).toBe('zero width');
    expect(visibleText('line\nbreak\ttab')).toBe('line\nbreak\ttab');
  });

  it('keeps joiners where scripts and emoji need them, and only there', () => {
    const family = '👩\u200d👩\u200d👧';
    expect(visibleText(family)).toBe(family);
    expect(visibleText('می\u200cخواهم')).toBe('می\u200cخواهم');
    expect(visibleText('\u200dstart end\u200c')).toBe('start end');
    expect(visibleText('a \u200d b')).toBe('a  b');
  });

  it('leaves ordinary text, including right-to-left text, alone', () => {
    expect(visibleText('שלום world مرحبا')).toBe('שלום world مرحبا');
  });
});

describe('httpUrl', () => {
  it('accepts http and https only, normalised', () => {
    expect(httpUrl('https://example.com/a b')).toBe('https://example.com/a%20b');
    expect(httpUrl('HTTP://EXAMPLE.com')).toBe('http://example.com/');
    expect(httpUrl('https://bücher.example/')).toBe('https://xn--bcher-kva.example/');
    for (const bad of [
      'javascript:alert(1)',
      ' JaVaScRiPt:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      '//example.com/x',
      '/relative',
      'not a url',
      '',
      null,
      undefined,
    ]) {
      expect(httpUrl(bad), String(bad)).toBeNull();
    }
  });
});

describe('truncate', () => {
  it('cuts by code point, never inside a surrogate pair', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('😀😀😀😀', 3)).toBe('😀😀…');
    expect(truncate('short', 10)).toBe('short');
  });
});
