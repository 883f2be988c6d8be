/**
 * A fault-injecting upstream: a real HTTP server on 127.0.0.1 that answers what the test's handler
 * says (a connector's real answer), unless a fault is queued for the request. A fault breaks that
 * answer the way upstreams and networks do: no answer at all, an answer after the client gave up, a
 * connection reset mid-headers or mid-body, a 5xx, a 429 with Retry-After (seconds or an HTTP date), a
 * body shorter than its Content-Length, a chunked body cut off, a body dripped slowly (within the
 * client's timeout, or past it), or a well-framed body that is cut short.
 *
 * Every exchange is logged with the fault it got, so a test can tell what the poll should have made
 * of it (`expectedKind`). Faults are queued by the test, from a seeded schedule (`seededRandom`).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { UpstreamErrorKind } from '../../sources/http.ts';

export type Fault =
  /** Reads the request and never answers. */
  | { kind: 'hang' }
  /** Answers in full, but only after the client's timeout. */
  | { kind: 'late' }
  /** Part of the status line and headers, then a TCP reset. */
  | { kind: 'reset-headers' }
  /** Headers (with Content-Length) and part of the body, then a TCP reset. */
  | { kind: 'reset-body' }
  | { kind: 'server-error'; status: 500 | 502 | 503 }
  /** 429 with Retry-After as delta-seconds or as an HTTP date that many seconds ahead. */
  | { kind: 'rate-limit'; retryAfter: 'seconds' | 'date'; seconds: number }
  /** Content-Length of the whole body, part of it sent, then the connection closed (FIN). */
  | { kind: 'short-body' }
  /** A chunked body closed (FIN) before its last chunk. */
  | { kind: 'chunked-cut' }
  /** The body trickled in small pieces, finishing well within the client's timeout: must succeed. */
  | { kind: 'slow-ok' }
  /** The body trickled in small pieces for three times the client's timeout. */
  | { kind: 'slow-timeout' }
  /** Half the body with a Content-Length that says so: well framed, but not a whole document. */
  | { kind: 'cut-body' };

export type FaultKind = Fault['kind'];

/** What the shared HTTP client must make of a fault it did not get past; null: it must succeed. */
export function expectedKind(fault: Fault): UpstreamErrorKind | null {
  switch (fault.kind) {
    case 'hang':
    case 'late':
    case 'slow-timeout':
      return 'timeout';
    case 'reset-headers':
    case 'reset-body':
    case 'short-body':
    case 'chunked-cut':
      return 'network';
    case 'server-error':
    case 'rate-limit':
      return 'http';
    case 'cut-body':
      return 'invalid';
    case 'slow-ok':
      return null;
  }
}

/** The HTTP status a fault answers with, where it answers with one. */
export function faultStatus(fault: Fault): number | undefined {
  if (fault.kind === 'server-error') return fault.status;
  if (fault.kind === 'rate-limit') return 429;
  return undefined;
}

export function describeFault(fault: Fault): string {
  if (fault.kind === 'server-error') return `server-error ${fault.status}`;
  if (fault.kind === 'rate-limit') return `rate-limit (Retry-After ${fault.retryAfter} ${fault.seconds} s)`;
  return fault.kind;
}

export type UpstreamRequest = {
  method: string;
  /** Path and query, as the client sent them. */
  target: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
};

export type Answer = { status?: number; headers?: Record<string, string>; body?: string | Buffer };

export type AnswerHandler = (request: UpstreamRequest) => Answer | Promise<Answer>;

/** One request the server saw and what it did with it. */
export type Exchange = {
  seq: number;
  method: string;
  target: string;
  /** The fault it got; null: the real answer, whole and on time. */
  fault: Fault | null;
  /** The status of the real answer (served or broken). */
  status: number;
};

export type FaultQueue = {
  faults: Fault[];
  /** Requests (that `match`) let through before the first fault. */
  skip?: number;
  /** Which requests the faults (and `skip`) apply to; default every request. */
  match?: (request: UpstreamRequest) => boolean;
};

export type FaultUpstream = {
  origin: string;
  url: (path: string) => string;
  /** Queues faults for the next matching requests, one each, in order; replaces what is still queued. */
  inject: (queue: FaultQueue) => void;
  /** The exchanges since the last call (and forgets them). */
  takeExchanges: () => Exchange[];
  close: () => Promise<void>;
};

export type FaultTiming = {
  /** The client's timeout: "late" answers after it, "slow-ok" finishes well within it. */
  clientTimeoutMs: number;
};

/** A body to break when the real answer has none (a 304): the client must not read it as valid. */
const FILLER = Buffer.from(`{"partial": "${'x'.repeat(4000)}"}`);

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  304: 'Not Modified',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

async function readRequest(req: IncomingMessage): Promise<UpstreamRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const target = req.url ?? '/';
  const url = new URL(target, 'http://upstream.invalid');
  return {
    method: req.method ?? 'GET',
    target,
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: Buffer.concat(chunks).toString('utf8'),
  };
}

export async function startFaultUpstream(answer: AnswerHandler, timing: FaultTiming): Promise<FaultUpstream> {
  let queue: Required<FaultQueue> = { faults: [], skip: 0, match: () => true };
  let exchanges: Exchange[] = [];
  let seq = 0;
  const timers = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms` unless the response closes first (the client gave up). */
  function later(res: ServerResponse, ms: number, fn: () => void): void {
    const cancel = () => {
      clearTimeout(timer);
      timers.delete(timer);
    };
    const timer = setTimeout(() => {
      timers.delete(timer);
      res.off('close', cancel);
      fn();
    }, ms);
    timers.add(timer);
    res.once('close', cancel);
  }

  /** Writes `body` in pieces spread over `totalMs`, then ends (unless the client left). */
  function drip(res: ServerResponse, body: Buffer, totalMs: number): void {
    // However short the body, the trickle takes `totalMs` (a 2-byte body comes in 2 pieces).
    const pieces = Math.max(1, Math.min(12, body.length));
    const size = Math.ceil(body.length / pieces);
    let offset = 0;
    const next = () => {
      if (res.destroyed) return;
      res.write(body.subarray(offset, offset + size));
      offset += size;
      if (offset >= body.length) res.end();
      else later(res, totalMs / pieces, next);
    };
    later(res, totalMs / pieces, next);
  }

  function whole(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): void {
    res.writeHead(status, { ...headers, 'content-length': String(body.length) }).end(body);
  }

  function takeFault(request: UpstreamRequest): Fault | null {
    if (queue.faults.length === 0 || !queue.match(request)) return null;
    if (queue.skip > 0) {
      queue.skip--;
      return null;
    }
    return queue.faults.shift() ?? null;
  }

  function serve(res: ServerResponse, fault: Fault | null, real: Required<Answer> & { body: Buffer }): void {
    const { status, headers, body } = real;
    const socket = res.socket as Socket;
    // Faults that break a body break a filler when the real answer has none (a 304).
    const breakable = body.length > 0 ? body : FILLER;
    const breakableStatus = body.length > 0 ? status : 200;
    const half = Math.max(1, Math.floor(breakable.length / 2));
    const declared = { ...headers, 'content-length': String(breakable.length) };
    switch (fault?.kind) {
      case undefined:
        whole(res, status, headers, body);
        break;
      case 'hang':
        break;
      case 'late':
        later(res, timing.clientTimeoutMs + 400, () => whole(res, status, headers, body));
        break;
      case 'reset-headers': {
        const head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'OK'}\r\n${Object.entries(headers)
          .filter(([name]) => name.toLowerCase() !== 'content-length')
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('')}content-length: ${body.length}\r\n\r\n`;
        socket.write(head.slice(0, Math.max(12, Math.floor(head.length / 2))), () =>
          socket.resetAndDestroy(),
        );
        break;
      }
      case 'reset-body':
        res.writeHead(breakableStatus, declared);
        res.write(breakable.subarray(0, half), () => socket.resetAndDestroy());
        break;
      case 'server-error':
        whole(
          res,
          fault.status,
          { 'content-type': 'text/html' },
          Buffer.from(`<!doctype html><title>${fault.status}</title><h1>${STATUS_TEXT[fault.status]}</h1>`),
        );
        break;
      case 'rate-limit': {
        const retryAfter =
          fault.retryAfter === 'seconds'
            ? String(fault.seconds)
            : new Date(Date.now() + fault.seconds * 1000).toUTCString();
        whole(
          res,
          429,
          { 'content-type': 'application/json', 'retry-after': retryAfter },
          Buffer.from('{"error":"rate limited"}'),
        );
        break;
      }
      case 'short-body':
        res.writeHead(breakableStatus, declared);
        res.write(breakable.subarray(0, half), () => socket.end());
        break;
      case 'chunked-cut': {
        const { 'content-length': _length, ...rest } = headers;
        res.writeHead(breakableStatus, rest);
        res.write(breakable.subarray(0, half), () => socket.end());
        break;
      }
      case 'slow-ok':
        // A bodiless answer has nothing to trickle: it comes late instead, still well in time.
        if (body.length === 0)
          later(res, timing.clientTimeoutMs * 0.3, () => whole(res, status, headers, body));
        else {
          res.writeHead(status, { ...headers, 'content-length': String(body.length) });
          drip(res, body, timing.clientTimeoutMs * 0.3);
        }
        break;
      case 'slow-timeout':
        res.writeHead(breakableStatus, declared);
        drip(res, breakable, timing.clientTimeoutMs * 3);
        break;
      case 'cut-body':
        whole(res, breakableStatus, headers, breakable.subarray(0, half));
        break;
    }
  }

  const server = createServer((req, res) => {
    readRequest(req)
      .then(async (request) => {
        const fault = takeFault(request);
        const real = await answer(request);
        const status = real.status ?? 200;
        exchanges.push({ seq: seq++, method: request.method, target: request.target, fault, status });
        const body = Buffer.isBuffer(real.body) ? real.body : Buffer.from(real.body ?? '');
        serve(res, fault, { status, headers: real.headers ?? {}, body });
      })
      .catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fault upstream: ${String(error)}`);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    inject: ({ faults, skip = 0, match = () => true }) => {
      queue = { faults: [...faults], skip, match };
    },
    takeExchanges: () => {
      const taken = exchanges;
      exchanges = [];
      return taken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A small seeded PRNG (mulberry32): the same seed, the same schedule. Returns 0 ≤ x < 1. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
