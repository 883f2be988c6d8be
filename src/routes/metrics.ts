/**
 * `GET /metrics` for Prometheus (a read token, like every route but /health), and the middleware
 * that times every HTTP request by its route pattern.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { type Metrics, scrapeMetrics } from '../metrics.ts';
import { createOpenApiApp, errorResponses } from './openapi.ts';

const MetricsText = z.string().openapi({
  description:
    'The Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` lines, then one sample a line.',
  example:
    '# HELP earshot_polls_total Source polls, by source kind and outcome (ok, not_modified, failed).\n# TYPE earshot_polls_total counter\nearshot_polls_total{kind="rss",outcome="ok"} 12\n',
});

export function metricsRoutes(deps: Deps) {
  const app = createOpenApiApp();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['Operations'],
      summary: 'Metrics for Prometheus',
      description:
        'Counters of polls, mentions, NLP and alert deliveries; queue depths and source health read from the database at scrape time; HTTP request durations by route pattern; process metrics. Every name starts with `earshot_`.',
      responses: {
        200: {
          description: 'Every metric, in the Prometheus text format',
          content: { 'text/plain': { schema: MetricsText } },
        },
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const scrape = await scrapeMetrics({ deps });
      return c.text(scrape.text, 200, { 'Content-Type': scrape.contentType, 'Cache-Control': 'no-store' });
    },
  );
  return app;
}

/**
 * The pattern of the route that answers (or would have answered, had a guard not refused first):
 * the last matched route that is not middleware. Never the raw path, so ids do not make new series.
 */
function routePatternOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}

/** Times every request into `earshot_http_request_duration_seconds`; nothing when metrics are off. */
export function httpMetrics(metrics: Metrics | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!metrics) return next();
    const started = performance.now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      metrics.recordHttpRequest(
        c.req.method,
        routePatternOf(c),
        status,
        (performance.now() - started) / 1000,
      );
    }
  };
}
