import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, decodeBody, parseRetryAfter } from '../../sources/http.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { failure } from '../helpers/sources.ts';

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});

afterAll(async () => {
  await upstream.close();
});

/** A sleep that returns at once and records what it was asked to wait. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** Awaits a request that must fail with an UpstreamError, and returns that error. */

function requestsTo(path: string) {
  return upstream.requests.filter((request) => request.path === path);
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createHttpClient', () => {
  it('returns the body of a 200', async () => {
    upstream.on('/ok', serveFeed('<rss>hello</rss>', { contentType: 'application/rss+xml; charset=utf-8' }));
    const response = await createHttpClient().get({ url: upstream.url('/ok') });
    expect(response.status, 'status of a plain 200').toBe(200);
    expect(response.notModified, 'a 200 is not "not modified"').toBe(false);
    expect(new TextDecoder().decode(response.body), 'body bytes as served').toBe('<rss>hello</rss>');
    expect(response.headers.get('content-type'), 'response headers are exposed').toContain(
      'application/rss+xml',
    );
    expect(requestsTo('/ok')[0]?.headers['user-agent'], 'a user agent is sent').toMatch(/earshot/);
  });

  it('sends If-None-Match / If-Modified-Since and reports a 304 as notModified', async () => {
    upstream.on('/conditional', serveFeed('<rss/>', { etag: '"v1"' }));
    const response = await createHttpClient().get({
      url: upstream.url('/conditional'),
      etag: '"v1"',
      lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT',
    });
    const seen = requestsTo('/conditional')[0];
    expect(seen?.headers['if-none-match'], 'the stored ETag is sent back').toBe('"v1"');
    expect(seen?.headers['if-modified-since'], 'the stored Last-Modified is sent back').toBe(
      'Mon, 01 Jan 2024 00:00:00 GMT',
    );
    expect(response.status, 'status of the conditional GET').toBe(304);
    expect(response.notModified, 'a 304 means nothing changed').toBe(true);
    expect(response.body.byteLength, 'a 304 has no body').toBe(0);
  });

  it('times out when the upstream never answers', async () => {
    upstream.on('/silent', () => {
      // Never write anything: the client must give up on its own.
    });
    const error = await failure(
      createHttpClient({ retries: 0 }).get({ url: upstream.url('/silent'), timeoutMs: 300 }),
    );
    expect(error.kind, `kind of a silent upstream's failure (${error.message})`).toBe('timeout');
  });

  it('times out on a slow drip (headers and one byte, then nothing)', async () => {
    upstream.on('/drip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x');
    });
    const error = await failure(
      createHttpClient({ retries: 0 }).get({ url: upstream.url('/drip'), timeoutMs: 300 }),
    );
    expect(error.kind, `the timeout must cover the body, not just the headers (${error.message})`).toBe(
      'timeout',
    );
  });

  it('retries a timeout like any transient failure', async () => {
    upstream.on('/silent-retried', () => {});
    const { waits, sleep } = recordingSleep();
    const error = await failure(
      createHttpClient({ retries: 1, sleep }).get({ url: upstream.url('/silent-retried'), timeoutMs: 200 }),
    );
    expect(error.kind, error.message).toBe('timeout');
    expect(requestsTo('/silent-retried').length, 'one try plus one retry').toBe(2);
    expect(waits.length, 'one back-off between the two tries').toBe(1);
  });

  it('refuses a body over maxBytes announced by Content-Length', async () => {
    upstream.on('/big-declared', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2000' });
      res.end(Buffer.alloc(2000, 'a'));
    });
    const error = await failure(
      createHttpClient().get({ url: upstream.url('/big-declared'), maxBytes: 1000 }),
    );
    expect(error.kind, error.message).toBe('too_large');
    expect(requestsTo('/big-declared').length, 'too_large is not retried').toBe(1);
  });

  it('refuses a chunked body (no Content-Length) that grows past maxBytes', async () => {
    upstream.on('/big-chunked', async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 8 && !res.destroyed; i++) {
        res.write(Buffer.alloc(500, 'b'));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      res.end();
    });
    const error = await failure(
      createHttpClient().get({ url: upstream.url('/big-chunked'), maxBytes: 1000 }),
    );
    expect(error.kind, error.message).toBe('too_large');
  });

  it('accepts a chunked body that stays within maxBytes', async () => {
    upstream.on('/small-chunked', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('abc');
      res.end('def');
    });
    const response = await createHttpClient().get({ url: upstream.url('/small-chunked'), maxBytes: 6 });
    expect(new TextDecoder().decode(response.body), 'a body exactly at the cap is kept').toBe('abcdef');
  });

  it('retries 503 twice and then succeeds, backing off between tries', async () => {
    let calls = 0;
    upstream.on('/flaky', (_req, res) => {
      calls += 1;
      if (calls <= 2) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('finally');
    });
    const { waits, sleep } = recordingSleep();
    const response = await createHttpClient({ retries: 2, sleep }).get({ url: upstream.url('/flaky') });
    expect(new TextDecoder().decode(response.body), 'body of the third try').toBe('finally');
    expect(requestsTo('/flaky').length, 'two failures and one success').toBe(3);
    expect(waits.length, 'a wait before each retry').toBe(2);
    expect(waits[1] ?? 0, `back-off grows between retries (waits: ${waits.join(', ')})`).toBeGreaterThan(
      waits[0] ?? 0,
    );
  });

  it('gives up after the configured retries', async () => {
    upstream.on('/down', (_req, res) => {
      res.writeHead(500).end();
    });
    const { sleep } = recordingSleep();
    const error = await failure(createHttpClient({ retries: 2, sleep }).get({ url: upstream.url('/down') }));
    expect(error.kind, error.message).toBe('http');
    expect(error.status, 'status of the last answer').toBe(500);
    expect(requestsTo('/down').length, 'first try plus two retries').toBe(3);
  });

  it('honours Retry-After (seconds) on a 429', async () => {
    let calls = 0;
    upstream.on('/rate-limited', (_req, res) => {
      calls += 1;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '2' }).end();
        return;
      }
      res.writeHead(200).end('ok');
    });
    const { waits, sleep } = recordingSleep();
    const response = await createHttpClient({ sleep }).get({ url: upstream.url('/rate-limited') });
    expect(response.status, 'the retry after the 429 succeeds').toBe(200);
    expect(waits, 'Retry-After: 2 means a 2000 ms wait').toEqual([2000]);
  });

  it('fails at once when Retry-After is longer than maxRetryAfterMs', async () => {
    upstream.on('/rate-limited-long', (_req, res) => {
      res.writeHead(429, { 'retry-after': '120' }).end();
    });
    const { waits, sleep } = recordingSleep();
    const error = await failure(
      createHttpClient({ sleep, maxRetryAfterMs: 30_000 }).get({ url: upstream.url('/rate-limited-long') }),
    );
    expect(error.kind, error.message).toBe('http');
    expect(error.status, 'the 429 is reported').toBe(429);
    expect(error.retryAfterMs, 'the Retry-After is kept for the scheduler').toBe(120_000);
    expect(waits, 'no in-process wait for a long Retry-After').toEqual([]);
    expect(requestsTo('/rate-limited-long').length, 'no retry').toBe(1);
  });

  it('does not retry a 404', async () => {
    const { waits, sleep } = recordingSleep();
    const error = await failure(createHttpClient({ sleep }).get({ url: upstream.url('/missing') }));
    expect(error.kind, error.message).toBe('http');
    expect(error.status, 'status of a missing page').toBe(404);
    expect(requestsTo('/missing').length, 'a 404 is permanent: one request only').toBe(1);
    expect(waits, 'no back-off for a permanent failure').toEqual([]);
  });

  it('reports a refused connection as a network error', async () => {
    const port = await closedPort();
    const { waits, sleep } = recordingSleep();
    const error = await failure(
      createHttpClient({ retries: 1, sleep }).get({ url: `http://127.0.0.1:${port}/feed` }),
    );
    expect(error.kind, error.message).toBe('network');
    expect(error.message, 'the message names the cause').toMatch(/ECONNREFUSED/);
    expect(waits.length, 'a network error is transient: retried once').toBe(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('2'), '"2"').toBe(2000);
    expect(parseRetryAfter(' 120 '), 'surrounding spaces').toBe(120_000);
    expect(parseRetryAfter('0'), '"0"').toBe(0);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 'a date 30 s ahead').toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now), 'a date in the past means now').toBe(0);
  });

  it('returns undefined for absent or unreadable values', () => {
    expect(parseRetryAfter(null), 'no header').toBeUndefined();
    expect(parseRetryAfter(''), 'empty header').toBeUndefined();
    expect(parseRetryAfter('soon'), 'garbage').toBeUndefined();
  });
});

describe('decodeBody', () => {
  const latin1 = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

  it('uses the charset of the Content-Type', () => {
    expect(decodeBody(latin1('Notícias'), 'text/xml; charset=iso-8859-1'), 'ISO-8859-1 declared').toBe(
      'Notícias',
    );
    expect(decodeBody(latin1('Notícias'), 'text/xml; charset="ISO-8859-1"'), 'quoted, upper-case label').toBe(
      'Notícias',
    );
  });

  it('maps bytes 0x80-0x9F of windows-1252 (and its latin1 aliases) to their characters', () => {
    // 0x93/0x94 are curly double quotes, 0x97 an em dash, 0x80 the euro sign.
    const bytes = new Uint8Array([0x93, ...latin1('Olá'), 0x94, 0x20, 0x97, 0x20, 0x80, 0x35]);
    for (const label of ['windows-1252', 'iso-8859-1', 'latin1']) {
      expect(decodeBody(bytes, `text/xml; charset=${label}`), `charset=${label}`).toBe(
        '\u201cOlá\u201d \u2014 €5',
      );
    }
  });

  it('uses the encoding of the XML declaration when the Content-Type has none', () => {
    const xml = '<?xml version="1.0" encoding="ISO-8859-1"?><title>Notícias</title>';
    expect(decodeBody(latin1(xml), 'application/xml'), 'declaration only').toContain(
      '<title>Notícias</title>',
    );
  });

  it('falls back to windows-1252 for undeclared bytes that are not UTF-8', () => {
    // 0x80 is the euro sign in windows-1252 (a C1 control in strict ISO-8859-1).
    const bytes = new Uint8Array([...latin1('<t>Notícias '), 0x80, ...latin1('</t>')]);
    expect(decodeBody(bytes, 'application/rss+xml'), 'undeclared latin1 with a windows-1252 byte').toBe(
      '<t>Notícias €</t>',
    );
    expect(decodeBody(latin1('Notícias'), null), 'no Content-Type at all').toBe('Notícias');
  });

  it('decodes undeclared UTF-8 as UTF-8', () => {
    const bytes = new TextEncoder().encode('<t>Zürich – ação</t>');
    expect(decodeBody(bytes, 'application/xml'), 'valid UTF-8 without a declaration').toBe(
      '<t>Zürich – ação</t>',
    );
  });

  it('strips a UTF-8 byte order mark', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('<rss/>')]);
    expect(decodeBody(bytes, 'application/xml'), 'BOM, nothing declared').toBe('<rss/>');
    expect(decodeBody(bytes, 'application/xml; charset=utf-8'), 'BOM and charset=utf-8').toBe('<rss/>');
  });

  it('never throws on invalid bytes or unknown labels', () => {
    const invalid = new Uint8Array([0x41, 0xc3, 0x28, 0x42, 0xff]);
    expect(
      () => decodeBody(invalid, 'text/xml; charset=utf-8'),
      'invalid UTF-8, declared UTF-8',
    ).not.toThrow();
    expect(decodeBody(invalid, 'text/xml; charset=utf-8'), 'invalid sequences become U+FFFD').toContain(
      '\ufffd',
    );
    expect(decodeBody(latin1('Notícias'), 'text/xml; charset=x-no-such-charset'), 'unknown label').toBe(
      'Notícias',
    );
    expect(decodeBody(new Uint8Array(), 'text/xml'), 'empty body').toBe('');
  });
});

describe('retryAfterOf', () => {
  it('prefers Retry-After, then a rate-limit reset in seconds or as an epoch time', async () => {
    const { retryAfterOf } = await import('../../sources/http.ts');
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    expect(retryAfterOf(new Headers({ 'retry-after': '7', 'x-ratelimit-reset': '99' }), now)).toBe(7000);
    expect(retryAfterOf(new Headers({ 'x-ratelimit-reset': '42' }), now)).toBe(42_000);
    expect(retryAfterOf(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 60) }), now)).toBe(60_000);
    expect(retryAfterOf(new Headers({ 'ratelimit-reset': '5' }), now)).toBe(5000);
    expect(retryAfterOf(new Headers({ 'x-ratelimit-reset': 'soon' }), now)).toBeUndefined();
    expect(retryAfterOf(new Headers(), now)).toBeUndefined();
  });
});
