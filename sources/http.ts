/**
 * The one HTTP client every connector uses: a timeout on the whole exchange, a cap on the body size,
 * conditional GET (ETag / Last-Modified, 304 = nothing new), bounded retries of transient failures
 * (network errors, 5xx, 429) with exponential backoff and jitter that honour Retry-After, and a
 * per-host limit on concurrent requests and on their rate, so no upstream is hammered.
 */

export type UpstreamErrorKind = 'timeout' | 'network' | 'http' | 'too_large' | 'invalid';

/** A failure talking to an upstream; its message is what source health shows. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * What went wrong with a source, as a small closed set: what source health stores and the label of
 * `earshot_source_errors_total` (what a dashboard needs to tell "their side" from "our side").
 */
export type SourceErrorClass =
  | 'timeout'
  | 'http_4xx'
  | 'http_5xx'
  | 'rate_limited'
  | 'parse'
  | 'network'
  | 'other';

export const SOURCE_ERROR_CLASSES: readonly SourceErrorClass[] = [
  'timeout',
  'http_4xx',
  'http_5xx',
  'rate_limited',
  'parse',
  'network',
  'other',
];

export function classifySourceError(error: unknown): SourceErrorClass {
  if (!(error instanceof UpstreamError)) return 'other';
  switch (error.kind) {
    case 'timeout':
      return 'timeout';
    case 'network':
      return 'network';
    case 'invalid':
      return 'parse';
    case 'too_large':
      return 'other';
    case 'http': {
      const status = error.status ?? 0;
      // GitHub answers a spent rate limit with 403 and a reset time; others with 429.
      if (status === 429 || (status === 403 && error.retryAfterMs !== undefined)) return 'rate_limited';
      if (status >= 500) return 'http_5xx';
      if (status >= 400) return 'http_4xx';
      return 'other';
    }
  }
}

export type HttpRequest = {
  url: string;
  /** GET unless said otherwise. */
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A request body: a string is sent as is, anything else as JSON. */
  body?: string | Record<string, unknown>;
  /** Validators from the previous response, for a conditional GET. */
  etag?: string | null;
  lastModified?: string | null;
  timeoutMs?: number;
  maxBytes?: number;
};

export type HttpResponse = {
  status: number;
  notModified: boolean;
  /** Final URL after redirects. */
  url: string;
  headers: Headers;
  body: Uint8Array;
};

export type HttpClient = {
  /** Sends a request (GET by default); a non-2xx answer other than 304 throws an UpstreamError. */
  get: (request: HttpRequest) => Promise<HttpResponse>;
};

export type HttpClientOptions = {
  fetch?: typeof fetch;
  userAgent?: string;
  timeoutMs?: number;
  maxBytes?: number;
  /** Retries after the first try, for transient failures. */
  retries?: number;
  /** Longest Retry-After we wait for in-process; longer ones fail the poll (the source backs off). */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Requests in flight to one host at most. */
  perHostConcurrency?: number;
  /** Least time between the starts of two requests to one host. */
  perHostIntervalMs?: number;
  /** 0..1 → jitter; injectable for tests. */
  random?: () => number;
};

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * How long an upstream asks us to wait: Retry-After, else a rate-limit reset header (Reddit and the
 * IETF draft send seconds from now, GitHub and Bluesky an epoch time in seconds).
 */
export function retryAfterOf(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  // A reset time matters only when the budget is spent (GitHub answers 403 then, others 429).
  const remaining = headers.get('x-ratelimit-remaining') ?? headers.get('ratelimit-remaining');
  if (remaining !== null && Number(remaining) > 0) return undefined;
  const reset = headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset');
  if (!reset || !/^\d+(\.\d+)?$/.test(reset.trim())) return undefined;
  const value = Number(reset);
  return value > 1e9 ? Math.max(0, Math.round(value * 1000 - now)) : Math.round(value * 1000);
}

async function readCapped(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new UpstreamError(
      'too_large',
      `${url}: response of ${declared} bytes exceeds the ${maxBytes}-byte cap`,
    );
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new UpstreamError('too_large', `${url}: response exceeds the ${maxBytes}-byte cap`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function isTransient(error: unknown): error is UpstreamError {
  if (!(error instanceof UpstreamError)) return false;
  if (error.kind === 'network' || error.kind === 'timeout') return true;
  return error.kind === 'http' && error.status !== undefined && (error.status === 429 || error.status >= 500);
}

/** A network failure in a line: the code first (what tests and operators grep for), then what it says. */
function networkDetail(error: unknown): string {
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  const message = cause?.message ?? (error as Error).message;
  if (!code || message?.includes(code)) return message || code || 'network error';
  return message ? `${code}: ${message}` : code;
}

export const USER_AGENT = 'earshot/0.1 (brand monitoring; +https://github.com/earshot/earshot)';

type HostGate = { active: number; waiting: Array<() => void>; nextStart: number };

/**
 * Limits concurrency and start rate per host. Waiting is in-process: several processes each keep
 * their own limit (the upstream's own rate-limit answers still apply through Retry-After).
 */
function createHostGates(concurrency: number, intervalMs: number, sleep: (ms: number) => Promise<void>) {
  const gates = new Map<string, HostGate>();
  return async function withHost<T>(host: string, run: () => Promise<T>): Promise<T> {
    let gate = gates.get(host);
    if (!gate) {
      gate = { active: 0, waiting: [], nextStart: 0 };
      gates.set(host, gate);
    }
    const g = gate;
    if (g.active >= concurrency) await new Promise<void>((resolve) => g.waiting.push(resolve));
    g.active++;
    try {
      const now = Date.now();
      const startAt = Math.max(now, g.nextStart);
      g.nextStart = startAt + intervalMs;
      if (startAt > now) await sleep(startAt - now);
      return await run();
    } finally {
      g.active--;
      g.waiting.shift()?.();
      if (g.active === 0 && g.waiting.length === 0 && g.nextStart <= Date.now()) gates.delete(host);
    }
  };
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const userAgent = options.userAgent ?? USER_AGENT;
  const retries = options.retries ?? 2;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  // The host gate keeps real time even when tests inject `sleep` to observe retry waits.
  const withHost = createHostGates(
    options.perHostConcurrency ?? 2,
    options.perHostIntervalMs ?? 250,
    defaultSleep,
  );

  async function once(request: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = request.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = request.maxBytes ?? options.maxBytes ?? DEFAULT_MAX_BYTES;
    const headers: Record<string, string> = {
      'user-agent': userAgent,
      accept: '*/*',
      ...request.headers,
    };
    if (request.etag) headers['if-none-match'] = request.etag;
    if (request.lastModified) headers['if-modified-since'] = request.lastModified;
    let requestBody: string | undefined;
    if (typeof request.body === 'string') requestBody = request.body;
    else if (request.body !== undefined) {
      requestBody = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
    // One signal covers connect, headers and the whole body: a slow drip cannot outlast it.
    const signal = AbortSignal.timeout(timeoutMs);
    let answered = false;
    try {
      const response = await doFetch(request.url, {
        method: request.method ?? 'GET',
        headers,
        body: requestBody,
        signal,
        redirect: 'follow',
      });
      answered = true;
      if (response.status === 304) {
        await response.body?.cancel();
        return {
          status: 304,
          notModified: true,
          url: response.url,
          headers: response.headers,
          body: new Uint8Array(),
        };
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new UpstreamError(
          'http',
          `${request.url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
          response.status,
          retryAfterOf(response.headers),
        );
      }
      const body = await readCapped(response, maxBytes, request.url);
      return {
        status: response.status,
        notModified: false,
        url: response.url,
        headers: response.headers,
        body,
      };
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (signal.aborted)
        throw new UpstreamError('timeout', `${request.url}: no complete answer within ${timeoutMs} ms`);
      throw new UpstreamError(
        'network',
        `${request.url}: ${networkDetail(error)}${answered ? ' (connection lost while reading the body)' : ''}`,
      );
    }
  }

  return {
    async get(request) {
      let host: string;
      try {
        host = new URL(request.url).host;
      } catch {
        throw new UpstreamError('invalid', `not a URL: ${request.url}`);
      }
      for (let attempt = 0; ; attempt++) {
        try {
          return await withHost(host, () => once(request));
        } catch (error) {
          if (!isTransient(error) || attempt >= retries) throw error;
          // Exponential backoff with full jitter, unless the upstream said how long to wait.
          const wait = error.retryAfterMs ?? Math.round(250 * 2 ** attempt * (0.5 + random() / 2));
          if (wait > maxRetryAfterMs) throw error;
          await sleep(wait);
        }
      }
    },
  };
}

/**
 * The charset of a text body: the Content-Type's charset, else an XML declaration's encoding,
 * else UTF-8, else (bytes that are not valid UTF-8 and nothing declared) windows-1252, the usual
 * legacy encoding of undeclared feeds. Invalid bytes become U+FFFD, never a crash.
 */
// Node ≥ 20.18.3 decodes windows-1252 (and its aliases latin1, iso-8859-1, us-ascii) as ISO-8859-1: bytes
// 0x80–0x9F come out as C1 controls instead of € ‚ „ … ‘ ’ “ ” – — ™ (nodejs/node#60888). Map them back
// per the WHATWG index; on a Node without the bug there is nothing left to map.
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];

function decodeAs(label: string, body: Uint8Array): string {
  const decoder = new TextDecoder(label);
  const text = decoder.decode(body);
  if (decoder.encoding !== 'windows-1252') return text;
  return text.replace(/[\u0080-\u009f]/g, (c) =>
    String.fromCharCode(WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80] ?? 0xfffd),
  );
}

export function decodeBody(body: Uint8Array, contentType: string | null): string {
  let charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  if (!charset) {
    const head = new TextDecoder('latin1').decode(body.subarray(0, 200));
    charset = /^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1];
  }
  if (charset) {
    try {
      return decodeAs(charset, body);
    } catch {
      // Unknown label: fall through to detection.
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return decodeAs('windows-1252', body);
  }
}
