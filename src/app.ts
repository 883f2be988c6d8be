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
import { type AuthVariables, authenticate } from './auth/middleware.ts';
import { dashboardRoutes } from './dashboard/index.ts';
import type { Deps } from './deps.ts';
import { AppError, type ErrorCode, errorBody } from './errors.ts';
import { type RateLimitOptions, rateLimit } from './rate-limit.ts';
import { alertRoutes, alertRuleRoutes, channelRoutes } from './routes/alerts.ts';
import { brandRoutes } from './routes/brands.ts';
import { docsRoutes } from './routes/docs.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { jobRoutes } from './routes/jobs.ts';
import { feedbackRoutes, mentionRoutes } from './routes/mentions.ts';
import { httpMetrics, metricsRoutes } from './routes/metrics.ts';
import { API_DOCUMENT, createOpenApiApp, withGuardAnswers } from './routes/openapi.ts';
import { sourceRoutes } from './routes/sources.ts';
import { meRoutes, tokenRoutes } from './routes/tokens.ts';

/** 1000 pushed items of a few KiB each fit; anything larger is refused before it is read whole. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
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
  /** Requests per minute per client address and per token (none: no limit, as in tests and benchmarks). */
  rateLimit?: RateLimitOptions;
  /** Behind a proxy that sets X-Forwarded-For and X-Forwarded-Proto (HTTPS session cookies). */
  trustProxy?: boolean;
};

/** Answers that set no policy of their own (JSON, errors) allow nothing to load and no framing. */
const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

type AppEnv = { Variables: RequestIdVariables & AuthVariables };
type BaseApp = ReturnType<typeof createOpenApiApp<AppEnv>>;

/** What every earshot answer goes through first: request id, timing, security headers. */
function useBase(app: BaseApp, deps: Deps): void {
  app.use('*', requestId());
  // Times every answer, refusals included, by route pattern (src/metrics.ts).
  app.use('*', httpMetrics(deps.metrics));
  // Security headers on every response; pages (dashboard, API reference) set their own CSP.
  app.use('*', async (c, next) => {
    await next();
    if (!c.res.headers.has('content-security-policy'))
      c.res.headers.set('content-security-policy', DEFAULT_CSP);
  });
  app.use('*', secureHeaders({ xFrameOptions: 'DENY', referrerPolicy: 'no-referrer' }));
}

/** What every earshot answer that is not a success leaves in: 404 and errors in the one envelope. */
function useErrors(app: BaseApp, deps: Deps, notFoundHint = ''): void {
  app.notFound((c) =>
    c.json(
      errorBody(
        new AppError('not_found', `no route for ${c.req.method} ${c.req.path}${notFoundHint}`),
        c.get('requestId'),
      ),
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
}

export function createApp(deps: Deps, options: AppOptions = {}) {
  const app = createOpenApiApp<AppEnv>();
  useBase(app, deps);
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
  // Every route but /health, the static files and the sign-in page needs a token (src/auth).
  app.use('*', authenticate(deps, { perTokenPerMinute: options.rateLimit?.perToken }));

  app.route('/health', healthRoutes(deps));
  app.route('/metrics', metricsRoutes(deps));
  app.route('/api/brands', brandRoutes(deps));
  app.route('/api/sources', sourceRoutes(deps));
  app.route('/api/mentions', mentionRoutes(deps));
  app.route('/api/ingest', ingestRoutes(deps));
  app.route('/api/feedback', feedbackRoutes(deps));
  app.route('/api/alerts', alertRoutes(deps));
  app.route('/api/alert-rules', alertRuleRoutes(deps));
  app.route('/api/channels', channelRoutes(deps));
  app.route('/api/jobs', jobRoutes(deps));
  app.route('/api/tokens', tokenRoutes(deps));
  app.route('/api/me', meRoutes());
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`es_…`): `npx earshot token create --scope read|write|admin`',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'earshot_session',
    description:
      "The dashboard's session (signing in at /signin with a token); state-changing requests also need its CSRF token in `X-CSRF-Token`",
  });
  let document: unknown;
  app.get('/api/openapi.json', (c) => {
    document ??= withGuardAnswers(app.getOpenAPI31Document(API_DOCUMENT));
    return c.json(document as object);
  });
  app.route('/api/docs', docsRoutes());
  app.route('/', dashboardRoutes(deps, { trustProxy: options.trustProxy ?? options.rateLimit?.trustProxy }));
  useErrors(app, deps);
  return app;
}

/**
 * A worker's HTTP side (EARSHOT_ROLE=worker): `/health` for probes and `/metrics` (read token) for
 * Prometheus, since the polls and deliveries a worker counts are only in its own process.
 */
export function createWorkerApp(deps: Deps) {
  const app = createOpenApiApp<AppEnv>();
  useBase(app, deps);
  app.use('*', authenticate(deps));
  app.route('/health', healthRoutes(deps));
  app.route('/metrics', metricsRoutes(deps));
  useErrors(app, deps, ': this is a worker (only /health and /metrics)');
  return app;
}

export type App = ReturnType<typeof createApp>;
