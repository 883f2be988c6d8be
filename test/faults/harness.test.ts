/**
 * The sustained run's instruments, checked on their own: each fault the fault upstream injects turns
 * into the failure `expectedKind` says, through the production transport and the shared client (or
 * succeeds, for a drip that finishes in time); faults go where they are queued; and the heap probe
 * sees a leak of the size the run's bound is meant to catch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient, UpstreamError } from '../../sources/http.ts';
import { fetchJson } from '../../sources/json.ts';
import { createOutboundFetch } from '../../src/net/outbound.ts';
import {
  type Answer,
  describeFault,
  expectedKind,
  type Fault,
  type FaultUpstream,
  faultStatus,
  startFaultUpstream,
} from '../helpers/fault-upstream.ts';
import { exposeGc, heapAfterGc, heapGrowth, mb } from './heap.ts';

const TIMEOUT_MS = 400;
const BODY = {
  items: Array.from({ length: 200 }, (_, i) => ({ id: i, text: `item ${i} of a real answer` })),
};

const FAULTS: Fault[] = [
  { kind: 'hang' },
  { kind: 'late' },
  { kind: 'reset-headers' },
  { kind: 'reset-body' },
  { kind: 'server-error', status: 502 },
  { kind: 'rate-limit', retryAfter: 'seconds', seconds: 120 },
  { kind: 'rate-limit', retryAfter: 'date', seconds: 120 },
  { kind: 'short-body' },
  { kind: 'chunked-cut' },
  { kind: 'slow-ok' },
  { kind: 'slow-timeout' },
  { kind: 'cut-body' },
];

describe('fault upstream', () => {
  let upstream: FaultUpstream;
  let http: HttpClient;
  /** 304 on /cached with the right ETag: faults that break a body must break one all the same. */
  beforeAll(async () => {
    upstream = await startFaultUpstream(
      (req): Answer =>
        req.path === '/cached' && req.headers['if-none-match'] === '"v1"'
          ? { status: 304, headers: { etag: '"v1"' } }
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(BODY) },
      { clientTimeoutMs: TIMEOUT_MS },
    );
    http = createHttpClient({
      fetch: createOutboundFetch({ allow: ['127.0.0.1'] }),
      retries: 0,
      timeoutMs: TIMEOUT_MS,
      perHostIntervalMs: 0,
    });
  });
  afterAll(() => upstream.close());

  async function outcome(path: string, etag?: string): Promise<UpstreamError | unknown> {
    try {
      return (await fetchJson(http, { url: upstream.url(path), etag: etag ?? null })).data;
    } catch (error) {
      return error;
    }
  }

  it.each(FAULTS.map((fault) => [describeFault(fault), fault] as const))(
    '%s → what expectedKind says',
    async (_name, fault) => {
      upstream.inject({ faults: [fault] });
      const result = await outcome('/data');
      const kind = expectedKind(fault);
      if (kind === null) {
        expect(result, 'the whole answer, on time').toEqual(BODY);
      } else {
        expect(result, String(result)).toBeInstanceOf(UpstreamError);
        const error = result as UpstreamError;
        expect(error.kind, error.message).toBe(kind);
        expect(error.status, error.message).toBe(faultStatus(fault));
        if (fault.kind === 'rate-limit') {
          expect(error.retryAfterMs, 'Retry-After in ms').toBeGreaterThan(118_000);
          expect(error.retryAfterMs, 'Retry-After in ms').toBeLessThanOrEqual(120_000);
        }
      }
      expect(upstream.takeExchanges().map((e) => e.fault)).toEqual([fault]);
      // The next request is answered whole: the fault was one request's.
      expect(await outcome('/data')).toEqual(BODY);
      upstream.takeExchanges();
    },
  );

  it.each(['reset-body', 'short-body', 'chunked-cut', 'slow-timeout', 'cut-body'] as const)(
    '%s breaks a bodiless 304 too',
    async (kind) => {
      upstream.inject({ faults: [{ kind }] });
      const result = await outcome('/cached', '"v1"');
      expect(result, String(result)).toBeInstanceOf(UpstreamError);
      expect((result as UpstreamError).kind).toBe(expectedKind({ kind }));
      upstream.takeExchanges();
    },
  );

  it('lets `skip` matching requests through, ignores the others, then faults one request each', async () => {
    upstream.inject({
      faults: [
        { kind: 'server-error', status: 500 },
        { kind: 'server-error', status: 503 },
      ],
      skip: 1,
      match: (req) => req.path === '/data',
    });
    for (const path of ['/other', '/data', '/other', '/data', '/data', '/data']) await outcome(path);
    expect(upstream.takeExchanges().map((e) => [e.target, e.fault ? describeFault(e.fault) : null])).toEqual([
      ['/other', null],
      ['/data', null],
      ['/other', null],
      ['/data', 'server-error 500'],
      ['/data', 'server-error 503'],
      ['/data', null],
    ]);
  });
});

describe('heap probe', () => {
  it('sees a leak of 2 MB a sample over 24 samples, and no growth without one', () => {
    const gc = exposeGc();
    // 2 MB of doubles on the V8 heap per sample (a FixedDoubleArray: 8 bytes an element).
    const twoMegabytes = (seed: number) => new Array<number>(262_144).fill(seed + 0.5);
    const kept: number[][] = [];
    const leaking: number[] = [];
    for (let i = 0; i < 24; i++) {
      kept.push(twoMegabytes(i));
      leaking.push(heapAfterGc(gc));
    }
    // Medians of samples 0–7 and 16–23: 16 samples apart, 32 MB.
    const leak = heapGrowth(leaking);
    expect(leak.growth, `growth with a leak: ${mb(leak.growth)}`).toBeGreaterThan(30 * 1024 * 1024);
    kept.length = 0;
    const steady: number[] = [];
    for (let i = 0; i < 24; i++) {
      void twoMegabytes(i);
      steady.push(heapAfterGc(gc));
    }
    const none = heapGrowth(steady);
    expect(none.growth, `growth without a leak: ${mb(none.growth)}`).toBeLessThan(2 * 1024 * 1024);
  });
});
