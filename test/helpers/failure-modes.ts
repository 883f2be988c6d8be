/**
 * The failure modes every HTTP connector must turn into the right UpstreamError: HTTP error statuses,
 * 429 with Retry-After (waited for when retrying, carried as retryAfterMs when not), a timeout,
 * truncated JSON, an HTML page with status 200, and an oversized body. Each connector test file calls
 * `describeUpstreamFailures` once and keeps its own connector-specific failures (auth, rate-limit
 * headers, schema) next to it.
 */
import { describe, expect, it } from 'vitest';
import type { HttpClient, UpstreamError } from '../../sources/http.ts';
import type { FakeUpstream, Handler } from './fake-upstream.ts';
import { failure, testHttpClient } from './sources.ts';

/** Where one case is served and how the connector is polled against it. */
export type FailureEndpoint<Result> = {
  /** The upstream path the connector requests; the case's handler is registered there. */
  path: string;
  /** Polls the connector against `path` with the given client. */
  fetch: (http: HttpClient) => Promise<Result>;
};

export type UpstreamFailureSetup<Result> = {
  upstream: () => FakeUpstream;
  /**
   * A fresh endpoint for one case (called inside the test, after any beforeEach). `key` is short,
   * alphanumeric and unique among the cases. May log in first, before the case's handler is set.
   */
  endpoint: (key: string) => FailureEndpoint<Result> | Promise<FailureEndpoint<Result>>;
  /** A valid answer at the endpoint: served after a 429, and truncated or padded for other cases. */
  validBody: unknown;
  /** Asserts the poll that read `validBody` succeeded. */
  expectValid: (result: Result) => void;
  /** Statuses that must fail as kind "http" with that status (default 401, 403, 404, 500). */
  httpStatuses?: readonly number[];
  /** Extra assertions on an HTTP-status failure (e.g. no credential in the message). */
  onHttpError?: (error: UpstreamError, status: number) => void;
};

const HTML_PAGE = '<!doctype html><html><body>Service Unavailable</body></html>';

function answer(status: number, body: string, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(body);
  };
}

export function describeUpstreamFailures<Result>(name: string, setup: UpstreamFailureSetup<Result>): void {
  const valid = JSON.stringify(setup.validBody);

  /** A fresh endpoint answered by `handler`. */
  async function serve(key: string, handler: Handler): Promise<FailureEndpoint<Result>> {
    const endpoint = await setup.endpoint(key);
    setup.upstream().on(endpoint.path, handler);
    return endpoint;
  }

  describe(`${name}: standard upstream failures`, () => {
    it.each(setup.httpStatuses ?? [401, 403, 404, 500])(
      'HTTP %i → UpstreamError kind "http" with that status',
      async (status) => {
        const endpoint = await serve(`status${status}`, answer(status, '{"message":"nope"}'));
        const error = await failure(endpoint.fetch(testHttpClient()));
        expect(error.kind, error.message).toBe('http');
        expect(error.status, error.message).toBe(status);
        setup.onHttpError?.(error, status);
      },
    );

    it('429 with Retry-After: the client waits as told, then the retry succeeds', async () => {
      let calls = 0;
      const endpoint = await serve('retried429', (req, res) => {
        if (++calls === 1) answer(429, '{"message":"slow down"}', { 'retry-after': '3' })(req, res);
        else answer(200, valid)(req, res);
      });
      const waits: number[] = [];
      const http = testHttpClient({ retries: 1, sleep: async (ms) => void waits.push(ms) });
      const result = await endpoint.fetch(http);
      expect(waits, 'waited the Retry-After').toEqual([3000]);
      expect(calls, 'asked again after the wait').toBe(2);
      setup.expectValid(result);
    });

    it('429 with Retry-After on every try: waits as told, then fails carrying retryAfterMs', async () => {
      const endpoint = await serve(
        'exhausted429',
        answer(429, '{"message":"slow down"}', { 'retry-after': '7' }),
      );
      const waits: number[] = [];
      const http = testHttpClient({ retries: 1, sleep: async (ms) => void waits.push(ms) });
      const error = await failure(endpoint.fetch(http));
      expect(waits, 'one wait of Retry-After seconds').toEqual([7000]);
      expect(error.kind, error.message).toBe('http');
      expect(error.status, error.message).toBe(429);
      expect(error.retryAfterMs, 'retryAfterMs for the scheduler').toBe(7000);
    });

    it('429 without retries: the error carries retryAfterMs', async () => {
      const endpoint = await serve(
        'limited429',
        answer(429, '{"message":"slow down"}', { 'retry-after': '120' }),
      );
      const error = await failure(endpoint.fetch(testHttpClient()));
      expect(error.kind, error.message).toBe('http');
      expect(error.status, error.message).toBe(429);
      expect(error.retryAfterMs, 'Retry-After in ms').toBe(120_000);
    });

    it('an upstream that never answers → kind "timeout"', async () => {
      const endpoint = await serve('silent', () => {
        // Never answers.
      });
      const error = await failure(endpoint.fetch(testHttpClient({ timeoutMs: 200 })));
      expect(error.kind, error.message).toBe('timeout');
    });

    it('truncated JSON → kind "invalid"', async () => {
      const endpoint = await serve('truncated', answer(200, valid.slice(0, Math.floor(valid.length / 2))));
      const error = await failure(endpoint.fetch(testHttpClient()));
      expect(error.kind, error.message).toBe('invalid');
    });

    it('an HTML error page with status 200 → kind "invalid", naming what came back', async () => {
      const endpoint = await serve('html', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' }).end(HTML_PAGE);
      });
      const error = await failure(endpoint.fetch(testHttpClient()));
      expect(error.kind, error.message).toBe('invalid');
      expect(error.message, 'names what came back').toContain('Service Unavailable');
    });

    it('an oversized body → kind "too_large"', async () => {
      // The valid answer padded with whitespace (still valid JSON) well past the limit.
      const endpoint = await serve('oversized', answer(200, valid.padEnd(valid.length + 4000)));
      const error = await failure(endpoint.fetch(testHttpClient({ maxBytes: 1000 })));
      expect(error.kind, error.message).toBe('too_large');
    });
  });
}
