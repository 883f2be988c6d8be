/**
 * Rate limiting per client address: a fixed budget of requests per minute (rate-limiter-flexible,
 * in this process's memory), answered past it with 429, `Retry-After` and the one error envelope.
 * Health checks and the dashboard's static files are not counted.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, errorBody } from './errors.ts';

export type RateLimitOptions = {
  /** Requests per minute per client address. */
  perMinute: number;
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

const EXEMPT = /^\/(health$|dashboard\/assets\/)/;

export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const limiter = new RateLimiterMemory({ points: options.perMinute, duration: 60 });
  return async (c, next) => {
    if (EXEMPT.test(c.req.path)) return next();
    let result: RateLimiterRes;
    try {
      result = await limiter.consume(clientAddress(c, options.trustProxy));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      const error = new AppError(
        'rate_limited',
        `too many requests: at most ${options.perMinute} a minute from one address; try again in ${seconds} s`,
      );
      return c.json(errorBody(error, c.get('requestId') ?? 'unknown'), 429, {
        'retry-after': String(seconds),
        'ratelimit-limit': String(options.perMinute),
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(seconds),
      });
    }
    await next();
    c.res.headers.set('ratelimit-limit', String(options.perMinute));
    c.res.headers.set('ratelimit-remaining', String(result.remainingPoints));
    c.res.headers.set('ratelimit-reset', String(Math.ceil(result.msBeforeNext / 1000)));
  };
}
