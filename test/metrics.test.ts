/**
 * `GET /metrics`, read back with a Prometheus text-format parser (prom2javascript): counters move by
 * what polls, ingest, NLP and deliveries really did against local fakes; the scrape-time gauges
 * match the database; HTTP durations are labelled by route pattern, never by raw path.
 */
import { getMetricsFromIterator, type PromMetrics } from 'prom2javascript';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../db/create-db.ts';
import { createHttpClient, UpstreamError } from '../sources/http.ts';
import { generateWebhookSecret } from '../src/alerts/channels.ts';
import { deliverDueAlerts } from '../src/alerts/deliver.ts';
import type { AlertMessage } from '../src/alerts/message.ts';
import { type App, createApp, createWorkerApp } from '../src/app.ts';
import { createBrand } from '../src/catalog/brands.ts';
import { createSource } from '../src/catalog/sources.ts';
import type { Deps } from '../src/deps.ts';
import { pollSource } from '../src/ingest/poll-source.ts';
import { classifySourceError, createMetrics } from '../src/metrics.ts';
import { call, expectError, expectStatus } from './helpers/app.ts';
import { insertTestToken } from './helpers/auth.ts';
import { createTestDb, resetDb } from './helpers/db.ts';
import { createTestDeps } from './helpers/deps.ts';
import { type FakeUpstream, serveFeed, startFakeUpstream } from './helpers/fake-upstream.ts';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const NOW = new Date('2026-11-20T00:00:00Z');
const READ_TOKEN = `es_${'R'.repeat(43)}`;

function rssFeed(items: Array<{ guid: string; title: string; text: string }>): string {
  const body = items
    .map(
      (i) =>
        `<item><guid>${i.guid}</guid><title>${i.title}</title><link>https://example.com/${i.guid}</link><description>${i.text}</description><pubDate>Wed, 18 Nov 2026 08:00:00 GMT</pubDate></item>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://example.com</link><description>d</description>${body}</channel></rss>`;
}

const FEED = rssFeed([
  { guid: 'a1', title: 'Acme support is terrible', text: 'I waited three hours for Acme support.' },
  { guid: 'a2', title: 'Loving my new Acme phone', text: 'The camera is superb.' },
  { guid: 'a3', title: 'Acme vs Globex', text: 'Globex was faster, Acme nicer.' },
  { guid: 'x1', title: 'Unrelated news', text: 'Nothing about any brand here.' },
]);

type Labels = Record<string, string>;

/**
 * Parses a scrape. prom2javascript (chosen because it keeps the labels of histogram series, which
 * parse-prometheus-text-format merges away) has no NaN in its value grammar, while the format allows
 * it and prom-client writes `Nan` for the mean of an event-loop histogram with no sample yet: those
 * samples are left out, and only the process's own figures may be NaN.
 */
function parseScrape(text: string): Promise<PromMetrics> {
  const lines = text.split('\n');
  const nan = new Set(lines.filter((line) => !line.startsWith('#') && /\snan$/i.test(line)));
  expect(
    [...nan].filter((line) => !line.startsWith('earshot_nodejs_')),
    'NaN samples',
  ).toEqual([]);
  return getMetricsFromIterator(lines.filter((line) => !nan.has(line)).values());
}

const matches = (have: Labels, want: Labels) => Object.entries(want).every(([k, v]) => have[k] === v);

/** The value of the one series of `name` with these labels; 0 when there is none (not counted yet). */
function value(metrics: PromMetrics, name: string, labels: Labels = {}): number {
  const family = metrics[name];
  if (!family) return 0;
  const series = (family.data as Array<{ labels: Labels; value: number }>).filter((d) =>
    matches(d.labels, labels),
  );
  expect(series.length, `${name}${JSON.stringify(labels)}: at most one series`).toBeLessThanOrEqual(1);
  return series[0]?.value ?? 0;
}

/** A histogram's series (labels, count, sum, buckets). */
function histogram(metrics: PromMetrics, name: string) {
  const family = metrics[name];
  expect(family?.type, `${name} is a histogram`).toBe('histogram');
  return family!.data as Array<{
    labels: Labels;
    count: number;
    sum?: number;
    buckets: Record<string, number>;
  }>;
}

describe('GET /metrics', () => {
  let handle: DbHandle;
  let upstream: FakeUpstream;
  let deps: Deps;
  let app: App;

  beforeAll(async () => {
    handle = await createTestDb();
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await upstream.close();
    await handle.close();
  });
  beforeEach(async () => {
    await resetDb(handle.db);
    // Fresh metrics for every test: what one counts is not another's.
    deps = createTestDeps(handle.db, { now: () => NOW });
    app = createApp(deps);
    await createBrand({ deps, input: { name: 'Acme', include: ['Acme'] } });
  });

  async function scrape(): Promise<PromMetrics> {
    const res = await call(app, 'GET', '/metrics');
    expectStatus(res, 200);
    return parseScrape(res.text);
  }

  async function addFeed(path: string, name = path.slice(1)) {
    return createSource({ deps, input: { name, kind: 'rss', options: { url: upstream.url(path) } } });
  }

  it('a worker serves its own counters at /metrics (token needed), /health, and nothing else', async () => {
    const worker = createWorkerApp(deps) as unknown as App;
    await insertTestToken(handle.db, READ_TOKEN, 'read');
    expectStatus(await call(worker, 'GET', '/health', undefined, { authorization: null }), 200);
    expectError(
      await call(worker, 'GET', '/metrics', undefined, { authorization: null }),
      401,
      'unauthorized',
    );
    const res = await call(worker, 'GET', '/metrics', undefined, { authorization: `Bearer ${READ_TOKEN}` });
    expectStatus(res, 200);
    expect(Object.keys(await parseScrape(res.text))).toContain('earshot_polls_total');
    const other = await call(worker, 'GET', '/api/brands');
    expectError(other, 404, 'not_found');
    expect(other.body.error.message).toMatch(/this is a worker/);
  });

  it('needs a token: none is 401, a read token gets the text format', async () => {
    expectError(await call(app, 'GET', '/metrics', undefined, { authorization: null }), 401, 'unauthorized');

    await insertTestToken(handle.db, READ_TOKEN, 'read');
    const res = await call(app, 'GET', '/metrics', undefined, { authorization: `Bearer ${READ_TOKEN}` });
    expectStatus(res, 200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = await parseScrape(res.text);
    const names = Object.keys(metrics);
    expect(
      names.filter((n) => !n.startsWith('earshot_')),
      'every name has the prefix',
    ).toEqual([]);
    // The process's own figures, with the prefix.
    expect(metrics.earshot_process_cpu_user_seconds_total?.type).toBe('counter');
    expect(value(metrics, 'earshot_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    for (const name of [
      'earshot_polls_total',
      'earshot_mentions_fetched_total',
      'earshot_mentions_inserted_total',
      'earshot_mentions_duplicate_total',
      'earshot_source_errors_total',
      'earshot_nlp_documents_total',
      'earshot_alert_deliveries_total',
    ]) {
      expect(metrics[name]?.type, name).toBe('counter');
    }
    expect(metrics.earshot_nlp_seconds?.type).toBe('histogram');
    expect(metrics.earshot_queue_depth?.type).toBe('gauge');
    expect(metrics.earshot_sources?.type).toBe('gauge');
  });

  it('counts a poll: items fetched, mentions inserted and analysed, then duplicates on a second poll', async () => {
    upstream.on('/feed', serveFeed(FEED));
    const source = await addFeed('/feed');

    const first = await pollSource({ deps, input: { sourceId: source.id } });
    expect(first, JSON.stringify(first)).toMatchObject({ status: 'ok', fetched: 4, inserted: 3 });
    let metrics = await scrape();
    expect(value(metrics, 'earshot_polls_total', { kind: 'rss', outcome: 'ok' })).toBe(1);
    expect(value(metrics, 'earshot_mentions_fetched_total', { kind: 'rss' })).toBe(4);
    expect(value(metrics, 'earshot_mentions_inserted_total', { kind: 'rss' })).toBe(3);
    expect(value(metrics, 'earshot_mentions_duplicate_total', { kind: 'rss' })).toBe(0);
    expect(value(metrics, 'earshot_nlp_documents_total')).toBe(3);
    const [nlp] = histogram(metrics, 'earshot_nlp_seconds');
    expect(nlp?.count).toBe(3);
    expect(nlp?.sum).toBeGreaterThan(0);

    const second = await pollSource({ deps, input: { sourceId: source.id } });
    expect(second, JSON.stringify(second)).toMatchObject({ status: 'ok', inserted: 0, duplicates: 3 });
    metrics = await scrape();
    expect(value(metrics, 'earshot_polls_total', { kind: 'rss', outcome: 'ok' })).toBe(2);
    expect(value(metrics, 'earshot_mentions_fetched_total', { kind: 'rss' })).toBe(8);
    expect(value(metrics, 'earshot_mentions_inserted_total', { kind: 'rss' })).toBe(3);
    expect(value(metrics, 'earshot_mentions_duplicate_total', { kind: 'rss' })).toBe(3);
    // What is stored already is not analysed again.
    expect(value(metrics, 'earshot_nlp_documents_total')).toBe(3);
    expect(value(metrics, 'earshot_source_errors_total')).toBe(0);
  });

  it('counts a 304 as not_modified', async () => {
    upstream.on('/etag', serveFeed(FEED, { etag: '"v1"' }));
    const source = await addFeed('/etag');
    await pollSource({ deps, input: { sourceId: source.id } });
    const again = await pollSource({ deps, input: { sourceId: source.id } });
    expect(again.status).toBe('not_modified');
    const metrics = await scrape();
    expect(value(metrics, 'earshot_polls_total', { kind: 'rss', outcome: 'ok' })).toBe(1);
    expect(value(metrics, 'earshot_polls_total', { kind: 'rss', outcome: 'not_modified' })).toBe(1);
    expect(value(metrics, 'earshot_mentions_fetched_total', { kind: 'rss' })).toBe(4);
  });

  it('counts failing upstreams by error class', async () => {
    // A short timeout so an upstream that never answers fails fast.
    deps = createTestDeps(handle.db, {
      now: () => NOW,
      http: createHttpClient({ retries: 0, timeoutMs: 300, perHostIntervalMs: 0 }),
    });
    app = createApp(deps);
    upstream.on('/500', (_req, res) => void res.writeHead(500).end('down'));
    upstream.on('/404', (_req, res) => void res.writeHead(404).end('gone'));
    upstream.on('/429', (_req, res) => void res.writeHead(429, { 'retry-after': '3600' }).end('slow down'));
    upstream.on('/garbage', (_req, res) => void res.writeHead(200).end('this is not a feed <<<'));
    upstream.on('/hang', () => {}); // never answers
    const closed = await startFakeUpstream();
    const refused = closed.url('/feed');
    await closed.close();

    const expected: Array<[string, string]> = [
      [upstream.url('/500'), 'http_5xx'],
      [upstream.url('/404'), 'http_4xx'],
      [upstream.url('/429'), 'rate_limited'],
      [upstream.url('/garbage'), 'parse'],
      [upstream.url('/hang'), 'timeout'],
      [refused, 'network'],
    ];
    for (const [i, [url]] of expected.entries()) {
      const source = await createSource({
        deps,
        input: { name: `failing-${i}`, kind: 'rss', options: { url } },
      });
      const result = await pollSource({ deps, input: { sourceId: source.id } });
      expect(result.status, `${url}: ${JSON.stringify(result)}`).toBe('failed');
    }

    const metrics = await scrape();
    expect(value(metrics, 'earshot_polls_total', { kind: 'rss', outcome: 'failed' })).toBe(expected.length);
    for (const [url, error] of expected) {
      expect(value(metrics, 'earshot_source_errors_total', { kind: 'rss', error }), `${url} → ${error}`).toBe(
        1,
      );
    }
    expect(value(metrics, 'earshot_mentions_fetched_total', { kind: 'rss' })).toBe(0);
  });

  it('classifies errors into a closed set', () => {
    const http = (status: number, retryAfterMs?: number) =>
      new UpstreamError('http', `HTTP ${status}`, status, retryAfterMs);
    expect(classifySourceError(http(403, 60_000))).toBe('rate_limited'); // GitHub's spent rate limit
    expect(classifySourceError(http(403))).toBe('http_4xx');
    expect(classifySourceError(http(503, 1000))).toBe('http_5xx');
    expect(classifySourceError(new UpstreamError('too_large', 'big'))).toBe('other');
    expect(classifySourceError(new UpstreamError('invalid', 'not JSON'))).toBe('parse');
    expect(classifySourceError(new Error('invalid options'))).toBe('other');
    expect(classifySourceError('a string')).toBe('other');
  });

  describe('alert deliveries', () => {
    let receiver: WebhookReceiver;
    let secret: string;
    beforeEach(async () => {
      secret = generateWebhookSecret();
      receiver = await startWebhookReceiver({ secret });
    });
    afterEach(() => receiver.close());

    const message: AlertMessage = {
      type: 'test',
      createdAt: NOW.toISOString(),
      brand: null,
      rule: null,
      incident: null,
      summary: 'metrics test',
      details: {},
      events: [],
    };

    async function addChannel(enabled = true): Promise<number> {
      const row = await handle.db
        .insertInto('alert_channels')
        .values({
          name: `hook-${Math.random().toString(36).slice(2)}`,
          kind: 'webhook',
          url: JSON.stringify(receiver.url()),
          secret: JSON.stringify(secret),
          enabled,
          updated_at: NOW,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }

    let queued = 0;
    async function queue(channelId: number, nextAttemptAt: Date): Promise<void> {
      queued++;
      await handle.db
        .insertInto('alert_deliveries')
        .values({
          message_id: `msg_metrics${queued}`,
          channel_id: channelId,
          payload: JSON.stringify(message),
          next_attempt_at: nextAttemptAt,
          created_at: NOW,
        })
        .execute();
    }

    it('counts outcomes by channel kind, and the queue depth is what a worker would claim', async () => {
      const channel = await addChannel();
      const disabled = await addChannel(false);
      const past = new Date(NOW.getTime() - 1000);
      await queue(channel, past);
      await queue(disabled, past); // waits for its channel
      await queue(channel, new Date(NOW.getTime() + 3_600_000)); // not due yet
      expect(value(await scrape(), 'earshot_queue_depth', { queue: 'deliveries' })).toBe(1);

      const options = { timeoutMs: 2_000, random: () => 0.5 };
      const report = await deliverDueAlerts({ deps, input: {}, options });
      expect(report, JSON.stringify(report)).toMatchObject({ delivered: 1 });
      let metrics = await scrape();
      expect(
        value(metrics, 'earshot_alert_deliveries_total', { channel_kind: 'webhook', outcome: 'delivered' }),
      ).toBe(1);
      expect(value(metrics, 'earshot_queue_depth', { queue: 'deliveries' })).toBe(0);

      // A receiver that fails: the first is retried later, the one behind it waits (deferred).
      receiver.answer({ status: 500, body: 'down' });
      const other = await addChannel();
      await queue(other, past);
      await queue(other, past);
      const failing = await deliverDueAlerts({ deps, input: {}, options });
      expect(failing, JSON.stringify(failing)).toMatchObject({ retried: 1, deferred: 1 });
      metrics = await scrape();
      expect(
        value(metrics, 'earshot_alert_deliveries_total', { channel_kind: 'webhook', outcome: 'retry' }),
      ).toBe(1);
      expect(
        value(metrics, 'earshot_alert_deliveries_total', { channel_kind: 'webhook', outcome: 'deferred' }),
      ).toBe(1);
      expect(
        value(metrics, 'earshot_alert_deliveries_total', { channel_kind: 'webhook', outcome: 'delivered' }),
      ).toBe(1);
    });
  });

  it('reads the poll queue and source health from the database at scrape time', async () => {
    const due = await addFeed('/due');
    const later = await addFeed('/later');
    const failing = await addFeed('/failing');
    const degraded = await addFeed('/degraded');
    const off = await addFeed('/off');
    await createSource({ deps, input: { name: 'helpdesk', kind: 'push', options: {} } });
    const set = (id: number, values: Record<string, unknown>) =>
      handle.db.updateTable('sources').set(values).where('id', '=', id).execute();
    const past = new Date(NOW.getTime() - 60_000);
    const future = new Date(NOW.getTime() + 60_000);
    await set(due.id, { next_poll_at: past, last_success_at: past });
    await set(later.id, { next_poll_at: future, last_success_at: past });
    await set(failing.id, { next_poll_at: past, consecutive_failures: 3 });
    await set(degraded.id, { next_poll_at: future, consecutive_failures: 1 });
    await set(off.id, { next_poll_at: past, enabled: false });
    // A push source is never polled, whatever its next_poll_at says.
    await handle.db.updateTable('sources').set({ next_poll_at: past }).where('kind', '=', 'push').execute();

    let metrics = await scrape();
    expect(value(metrics, 'earshot_queue_depth', { queue: 'polls' })).toBe(2); // due and failing
    const sources = Object.fromEntries(
      ['new', 'ok', 'degraded', 'failing', 'disabled', 'push'].map((s) => [
        s,
        value(metrics, 'earshot_sources', { status: s }),
      ]),
    );
    expect(sources).toEqual({ new: 0, ok: 2, degraded: 1, failing: 1, disabled: 1, push: 1 });

    // The same as the health API says.
    const list = await call(app, 'GET', '/api/sources');
    expectStatus(list, 200);
    const fromApi: Record<string, number> = {};
    for (const s of list.body.items) {
      fromApi[s.health.status] = (fromApi[s.health.status] ?? 0) + 1;
    }
    expect(fromApi).toEqual({ ok: 2, degraded: 1, failing: 1, disabled: 1, push: 1 });

    await set(failing.id, { enabled: false });
    metrics = await scrape();
    expect(value(metrics, 'earshot_queue_depth', { queue: 'polls' })).toBe(1);
    expect(value(metrics, 'earshot_sources', { status: 'disabled' })).toBe(2);
    expect(value(metrics, 'earshot_sources', { status: 'failing' })).toBe(0);
  });

  it('labels HTTP durations with the route pattern, never the raw path', async () => {
    const brand = await call(app, 'GET', '/api/brands');
    expectStatus(brand, 200);
    const id = brand.body.items[0].id;
    expectStatus(await call(app, 'GET', `/api/brands/${id}`), 200);
    expectError(await call(app, 'GET', '/api/brands/987654'), 404, 'not_found');
    expectError(
      await call(app, 'GET', `/api/brands/${id}`, undefined, { authorization: null }),
      401,
      'unauthorized',
    );
    expectError(await call(app, 'GET', '/no/such/path/123'), 404, 'not_found');

    const series = histogram(await scrape(), 'earshot_http_request_duration_seconds');
    const count = (labels: Labels) =>
      series.filter((s) => matches(s.labels, labels)).reduce((n, s) => n + s.count, 0);
    expect(count({ method: 'GET', route: '/api/brands/:id', status: '200' })).toBe(1);
    expect(count({ method: 'GET', route: '/api/brands/:id', status: '404' })).toBe(1);
    expect(count({ method: 'GET', route: '/api/brands/:id', status: '401' })).toBe(1);
    expect(count({ method: 'GET', route: '/api/brands', status: '200' })).toBe(1);
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    const routes = [...new Set(series.map((s) => s.labels.route))];
    expect(
      routes.filter((r) => /\d/.test(r ?? '')),
      'no raw ids',
    ).toEqual([]);
    for (const s of series) {
      expect(s.count, JSON.stringify(s)).toBe(s.buckets['+Inf']);
    }
  });

  it('is described in the OpenAPI document as text, behind a token', async () => {
    const doc = await call(app, 'GET', '/api/openapi.json');
    expectStatus(doc, 200);
    const operation = doc.body.paths['/metrics']?.get;
    expect(operation?.tags).toEqual(['Operations']);
    expect(Object.keys(operation.responses['200'].content)).toEqual(['text/plain']);
    expect(operation.responses['401']).toBeDefined();
  });

  it('never throws into the caller, and answers 404 in a runtime that collects nothing', async () => {
    const metrics = createMetrics();
    expect(() =>
      metrics.recordIngest('rss', { fetched: -1, inserted: Number.NaN, duplicates: 2 }),
    ).not.toThrow();
    expect(() => metrics.recordHttpRequest('BREW', '/x', 418, -1)).not.toThrow();
    // Without the guard, this one would throw (no method to upper-case).
    expect(() => metrics.recordHttpRequest(undefined as unknown as string, '/x', 200, 0.1)).not.toThrow();

    const bare = createApp(createTestDeps(handle.db, { metrics: undefined }));
    expectError(await call(bare, 'GET', '/metrics'), 404, 'not_found');
  });
});
