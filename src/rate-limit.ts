/**
 * Rate limiting: a budget of requests per minute per client address, and per API token (./auth),
 * kept in this process's memory (rate-limiter-flexible). Past it, the answer is 429 with
 * `Retry-After` and the one error envelope. Health checks and the dashboard's static files are not
 * counted.
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, errorBody } from './errors.ts';

export type RateLimitOptions = {
  /** Requests per minute per client address; none (or 0): no per-address limit. */
  perMinute?: number;
  /** Requests per minute per API token (a token may carry its own); none: no per-token limit. */
  perToken?: number;
  /** Read the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy?: boolean;
};

/** The client's address: the socket's (Node), the edge's (Workers), or the proxy's header when trusted. */
export function clientAddress(c: Context, trustProxy = false): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  // On Node the socket says; a header there could be forged. On Workers the edge sets this one.
  if (incoming) return incoming.socket?.remoteAddress ?? 'unknown';
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}

/**
 * Budgets of requests a minute, by key (an address, a token); `spend` runs the request within its
 * budget, or answers 429 past it. Budgets of different sizes are kept apart.
 */
export function minuteBudgets(what: string) {
  const limiters = new Map<number, RateLimiterMemory>();
  return async (c: Context, next: Next, key: string, perMinute: number): Promise<Response | undefined> => {
    let limiter = limiters.get(perMinute);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
      limiters.set(perMinute, limiter);
    }
    let result: RateLimiterRes;
    try {
      result = await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      const error = new AppError(
        'rate_limited',
        `too many requests: at most ${perMinute} a minute ${what}; try again in ${seconds} s`,
      );
      return c.json(errorBody(error, c.get('requestId') ?? 'unknown'), 429, {
        'retry-after': String(seconds),
        'ratelimit-limit': String(perMinute),
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(seconds),
      });
    }
    await next();
    // With two budgets (address and token), the headers tell of the one closer to running out.
    const shown = c.res.headers.get('ratelimit-remaining');
    if (shown !== null && Number(shown) <= result.remainingPoints) return undefined;
    c.res.headers.set('ratelimit-limit', String(perMinute));
    c.res.headers.set('ratelimit-remaining', String(result.remainingPoints));
    c.res.headers.set('ratelimit-reset', String(Math.ceil(result.msBeforeNext / 1000)));
    return undefined;
  };
}

const EXEMPT = /^\/(health$|dashboard\/assets\/)/;

/**
 * The per-address budget, before anything else is done with a request; passes everything when
 * there is none (only the per-token budget, applied after authentication, is set).
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const { perMinute } = options;
  if (!perMinute) return (_c, next) => next();
  const spend = minuteBudgets('from one address');
  return async (c, next) => {
    if (EXEMPT.test(c.req.path)) return next();
    return spend(c, next, clientAddress(c, options.trustProxy), perMinute);
  };
}
