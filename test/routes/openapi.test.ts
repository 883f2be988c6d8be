import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { SENTIMENT_LABELS } from '../../src/types.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { BEARER } from '../helpers/auth.ts';
import { createTestDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The reference page and what it loads describe the API; they are not part of it. */
const DOCS_PATH = /^\/api\/(openapi\.json|docs(\/.*)?)$/;

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any> };
};

describe('/api/openapi.json and /api/docs', () => {
  let handle: DbHandle;
  let app: App;
  let doc: Doc;

  /** A schema, with a `$ref` to the components followed. */
  function resolve(schema: any): any {
    if (typeof schema?.$ref !== 'string') return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    expect(doc.components.schemas[name], `${schema.$ref} is in the components`).toBeDefined();
    return resolve(doc.components.schemas[name]);
  }

  function parameter(path: string, method: string, name: string): any {
    const found = doc.paths[path]?.[method]?.parameters?.find((p: { name: string }) => p.name === name);
    expect(found, `${method.toUpperCase()} ${path} has parameter ${name}`).toBeDefined();
    return found;
  }

  beforeAll(async () => {
    handle = await createTestDb();
    app = createApp(createTestDeps(handle.db));
    const res = await call(app, 'GET', '/api/openapi.json');
    expectStatus(res, 200);
    doc = res.body;
  });
  afterAll(() => handle.close());

  it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBe('earshot API');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.servers).toEqual([{ url: '/' }]);

    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.valid, JSON.stringify(result.errors, null, 2)).toBe(true);
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('describes every API route the app serves, and nothing else', () => {
    const served = new Set<string>();
    for (const route of app.routes) {
      if (route.method === 'ALL') continue; // middleware
      // The dashboard's pages and assets are not part of the API; /health and /metrics are.
      if (route.path !== '/health' && route.path !== '/metrics' && !route.path.startsWith('/api/')) continue;
      if (DOCS_PATH.test(route.path)) continue;
      served.add(`${route.method} ${route.path.replace(/:([^/]+)/g, '{$1}')}`);
    }
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations).filter((key) => METHODS.includes(key))) {
        documented.add(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(served.size).toBeGreaterThan(40);
    expect([...documented].sort()).toEqual([...served].sort());
  });

  it('gives every operation a summary, a known tag and an answer', () => {
    const tags = new Set(
      (doc as unknown as { tags: Array<{ name: string }> }).tags.map((t: { name: string }) => t.name),
    );
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.summary, where).toBeTruthy();
        expect(operation.tags, where).toHaveLength(1);
        expect(tags.has(operation.tags[0]), `${where}: tag ${operation.tags[0]}`).toBe(true);
        const success = Object.keys(operation.responses).filter((status) => /^2/.test(status));
        expect(success.length, where).toBeGreaterThan(0);
      }
    }
  });

  it('carries the constraints of the schemas that validate requests', () => {
    const label = parameter('/api/mentions', 'get', 'label');
    expect(label.required).toBe(false);
    expect(label.schema.enum).toEqual([...SENTIMENT_LABELS]);

    const id = parameter('/api/brands/{id}', 'get', 'id');
    expect(id).toMatchObject({ in: 'path', required: true, schema: { type: 'integer', minimum: 1 } });

    const interval = parameter('/api/brands/{id}/trends', 'get', 'interval');
    expect(interval.schema.enum).toEqual(['hour', 'day', 'week', 'month']);
    expect(parameter('/api/brands/{id}/trends', 'get', 'tz').schema.default).toBe('UTC');

    const body = doc.paths['/api/brands']?.post?.requestBody;
    expect(body?.required).toBe(true);
    const brand = resolve(body.content['application/json'].schema);
    expect(brand.required).toEqual(['name']);
    expect(brand.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 200 });
    expect(brand.properties.kind.enum).toEqual(['own', 'competitor']);
    expect(brand.additionalProperties, 'unknown fields are refused').toBe(false);

    // Each kind of alert rule with its own conditions.
    const rule = resolve(doc.paths['/api/alert-rules']?.post?.requestBody.content['application/json'].schema);
    const kinds = rule.oneOf.map((option: any) => option.properties.kind.enum[0]);
    expect(kinds).toContain('negative_mention');
    const negative = rule.oneOf.find((option: any) => option.properties.kind.enum[0] === 'negative_mention');
    expect(resolve(negative.properties.conditions).properties.maxScore).toMatchObject({
      minimum: -1,
      maximum: 1,
    });

    const push = resolve(doc.paths['/api/ingest']?.post?.requestBody.content['application/json'].schema);
    expect(push.properties.items.maxItems).toBe(1000);
    expect(resolve(push.properties.items.items).required).toEqual(['externalId', 'text']);
  });

  it('describes answers: JSON, CSV where there is CSV, and the one error envelope', () => {
    const trends = doc.paths['/api/brands/{id}/trends']?.get?.responses;
    expect(Object.keys(trends['200'].content).sort()).toEqual(['application/json', 'text/csv']);
    expect(resolve(trends['200'].content['application/json'].schema).required).toContain('buckets');

    const created = doc.paths['/api/brands']?.post?.responses;
    expect(Object.keys(created).sort()).toEqual(['201', '400', '401', '403', '409', '413', '429']);
    expect(resolve(created['201'].content['application/json'].schema).properties.createdAt.format).toBe(
      'date-time',
    );

    const error = resolve(
      doc.paths['/api/brands/{id}']?.get?.responses['404'].content['application/json'].schema,
    );
    expect(error.required).toEqual(['error']);
    expect(error.properties.error.required).toEqual(['code', 'message', 'requestId']);
    expect(error.properties.error.properties.code.enum).toContain('not_found');

    expect(doc.paths['/api/brands/{id}']?.delete?.responses['204']).toBeDefined();
    expect(Object.keys(doc.paths['/health']?.get?.responses).sort()).toEqual(['200', '503']);
  });

  it('serves a reference page that runs only its own scripts, none inline', async () => {
    const res = await app.request('/api/docs', { headers: BEARER });
    const html = await res.text();
    expect(res.status, html).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");

    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    for (const [tag, attributes = '', content = ''] of scripts) {
      expect(content.trim(), `no inline script: ${tag}`).toBe('');
      const src = /\bsrc="([^"]+)"/.exec(attributes)?.[1] ?? '';
      expect(src, `a same-origin path: ${tag}`).toMatch(/^\/(?!\/)/);
      const script = await app.request(src, { headers: BEARER });
      expect(script.status, src).toBe(200);
      expect(script.headers.get('content-type'), src).toMatch(/^text\/javascript/);
    }
    expect(html, 'no inline event handlers').not.toMatch(/\son[a-z]+\s*=/i);
    for (const [, href] of html.matchAll(/<link\b[^>]*\bhref="([^"]+)"/gi)) {
      expect(href, 'same-origin styles and icons').toMatch(/^\/(?!\/)/);
    }

    const init = await app.request('/api/docs/init.js', { headers: BEARER });
    const script = await init.text();
    expect(script).toContain('SwaggerUIBundle(');
    expect(script).toContain("'/api/openapi.json'");
  });

  it('serves the reference page assets with their types and a long cache', async () => {
    const assets = {
      'swagger-ui.css': /^text\/css/,
      'swagger-ui-bundle.js': /^text\/javascript/,
      'favicon-32x32.png': /^image\/png$/,
    };
    for (const [name, type] of Object.entries(assets)) {
      const res = await app.request(`/api/docs/${name}`);
      const bytes = await res.arrayBuffer();
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type'), name).toMatch(type);
      expect(res.headers.get('cache-control'), name).toMatch(/max-age=31536000/);
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(bytes.byteLength, name).toBeGreaterThan(500);
    }
  });

  it('answers 404 in the error envelope for any other asset name', async () => {
    for (const path of [
      '/api/docs/index.html',
      '/api/docs/package.json',
      '/api/docs/..%2F..%2Fpackage.json',
      '/api/docs/uPlot.min.css',
      '/api/docs/constructor',
    ]) {
      expectError(await call(app, 'GET', path), 404, 'not_found');
    }
  });
});
