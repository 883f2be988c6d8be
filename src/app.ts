/**
 * `createApp(deps)`: the whole HTTP API as a Hono app, with no runtime of its own (Node, Workers and
 * tests all call this). Errors leave in one JSON envelope; unknown errors become a generic 500 and
 * their stack goes to the log only. The API describes itself at /api/openapi.json (OpenAPI 3.1, from
 * the routes' own schemas), with a reference page at /api/docs.
 */
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { type RequestIdVariables, requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { dashboardRoutes } from './dashboard/index.ts';
import type { Deps } from './deps.ts';
import { AppError, type ErrorCode, errorBody } from './errors.ts';
import { type RateLimitOptions, rateLimit } from './rate-limit.ts';
import { alertRoutes, alertRuleRoutes, channelRoutes } from './routes/alerts.ts';
import { brandRoutes } from './routes/brands.ts';
import { docsRoutes } from './routes/docs.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { feedbackRoutes, mentionRoutes } from './routes/mentions.ts';
import { API_DOCUMENT, createOpenApiApp } from './routes/openapi.ts';
import { sourceRoutes } from './routes/sources.ts';

/** 1000 pushed items of a few KiB each fit; anything larger is refused before it is read whole. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

function codeForStatus(status: number): ErrorCode {
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status >= 400 && status < 500) return 'validation_failed';
  return 'internal';
}

/** HTTP settings of the app itself (not of the domain). */
export type AppOptions = {
  /** Origins allowed to call the API from a browser (CORS); none by default. */
  corsOrigins?: readonly string[];
  /** Requests per minute per client address (none: no limit, as in tests and benchmarks). */
  rateLimit?: RateLimitOptions;
};

/** Answers that set no policy of their own (JSON, errors) allow nothing to load and no framing. */
const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

export function createApp(deps: Deps, options: AppOptions = {}) {
  const app = createOpenApiApp<{ Variables: RequestIdVariables }>();
  app.use('*', requestId());
  // Security headers on every response; pages (dashboard, API reference) set their own CSP.
  app.use('*', async (c, next) => {
    await next();
    if (!c.res.headers.has('content-security-policy'))
      c.res.headers.set('content-security-policy', DEFAULT_CSP);
  });
  app.use('*', secureHeaders({ xFrameOptions: 'DENY', referrerPolicy: 'no-referrer' }));
  if (options.rateLimit) app.use('*', rateLimit(options.rateLimit));
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    app.use('/api/*', cors({ origin: [...options.corsOrigins], maxAge: 600 }));
  }
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError('payload_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );

  app.route('/health', healthRoutes(deps));
  app.route('/api/brands', brandRoutes(deps));
  app.route('/api/sources', sourceRoutes(deps));
  app.route('/api/mentions', mentionRoutes(deps));
  app.route('/api/ingest', ingestRoutes(deps));
  app.route('/api/feedback', feedbackRoutes(deps));
  app.route('/api/alerts', alertRoutes(deps));
  app.route('/api/alert-rules', alertRuleRoutes(deps));
  app.route('/api/channels', channelRoutes(deps));
  app.doc31('/api/openapi.json', API_DOCUMENT);
  app.route('/api/docs', docsRoutes());
  app.route('/', dashboardRoutes(deps));

  app.notFound((c) =>
    c.json(
      errorBody(new AppError('not_found', `no route for ${c.req.method} ${c.req.path}`), c.get('requestId')),
      404,
    ),
  );

  app.onError((error, c) => {
    const id = c.get('requestId') ?? 'unknown';
    if (error instanceof AppError) return c.json(errorBody(error, id), error.status);
    if (error instanceof HTTPException && error.status < 500) {
      const appError = new AppError(codeForStatus(error.status), error.message || 'bad request');
      return c.json(errorBody(appError, id), appError.status);
    }
    deps.logger.error(
      { err: error, requestId: id, method: c.req.method, path: c.req.path },
      'unhandled error',
    );
    return c.json(errorBody(new AppError('internal', 'internal error'), id), 500);
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
