import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

describe('/api/brands', () => {
  let handle: DbHandle;
  let app: App;

  beforeAll(async () => {
    handle = await createTestDb();
    app = createApp(createTestDeps(handle.db));
  });
  afterAll(() => handle.close());
  beforeEach(() => resetDb(handle.db));

  it('creates, reads, lists, updates and deletes a brand', async () => {
    const created = await call(app, 'POST', '/api/brands', {
      name: 'Acme',
      include: ['Acme', 'Acme Corp'],
      exclude: ['acme pie'],
    });
    expectStatus(created, 201);
    expect(created.body).toMatchObject({
      name: 'Acme',
      kind: 'own',
      include: ['Acme', 'Acme Corp'],
      exclude: ['acme pie'],
    });
    expect(created.headers.get('location')).toBe(`/api/brands/${created.body.id}`);

    const competitor = await call(app, 'POST', '/api/brands', { name: 'Globex', kind: 'competitor' });
    expectStatus(competitor, 201);
    expect(competitor.body.include, 'include defaults to the name').toEqual(['Globex']);

    const list = await call(app, 'GET', '/api/brands');
    expectStatus(list, 200);
    expect(list.body.items.map((b: { name: string }) => b.name)).toEqual(['Acme', 'Globex']);

    const patched = await call(app, 'PATCH', `/api/brands/${created.body.id}`, { exclude: [] });
    expectStatus(patched, 200);
    expect(patched.body.exclude).toEqual([]);
    expect(patched.body.include).toEqual(['Acme', 'Acme Corp']);

    expectStatus(await call(app, 'DELETE', `/api/brands/${created.body.id}`), 204);
    expectError(await call(app, 'GET', `/api/brands/${created.body.id}`), 404, 'not_found');
  });

  it('refuses bad input with one error shape naming the fields', async () => {
    const unknownField = await call(app, 'POST', '/api/brands', { name: 'Acme', colour: 'red' });
    expectError(unknownField, 400, 'validation_failed');
    expect(unknownField.body.error.message).toContain('colour');

    const badKind = await call(app, 'POST', '/api/brands', { name: 'Acme', kind: 'friend' });
    expectError(badKind, 400, 'validation_failed');
    expect(badKind.body.error.details[0].path).toBe('kind');

    expectError(await call(app, 'POST', '/api/brands', { name: '   ' }), 400, 'validation_failed');
    expectError(await call(app, 'POST', '/api/brands', { name: 'A', include: [] }), 400, 'validation_failed');
    expectError(await call(app, 'POST', '/api/brands', '{"name": "Acme"'), 400, 'validation_failed');
    expectError(await call(app, 'POST', '/api/brands', '[1,2,3]'), 400, 'validation_failed');
    expectError(await call(app, 'GET', '/api/brands/abc'), 400, 'validation_failed');
    expectError(await call(app, 'GET', '/api/brands/0'), 400, 'validation_failed');
    expectError(await call(app, 'GET', '/api/brands/99999999999999'), 400, 'validation_failed');
    expectError(await call(app, 'PATCH', '/api/brands/1', { nope: 1 }), 400, 'validation_failed');
    expectError(await call(app, 'GET', '/api/nothing-here'), 404, 'not_found');
  });

  it('answers 409 for a duplicate name and 413 for an oversized body', async () => {
    expectStatus(await call(app, 'POST', '/api/brands', { name: 'Acme' }), 201);
    expectError(await call(app, 'POST', '/api/brands', { name: 'Acme' }), 409, 'conflict');
    const big = JSON.stringify({ name: 'x', include: ['a'.repeat(6 * 1024 * 1024)] });
    expectError(await call(app, 'POST', '/api/brands', big), 413, 'payload_too_large');
  });

  it('stores hostile text as data, not SQL', async () => {
    const name = "Robert'); drop table brands;--";
    const created = await call(app, 'POST', '/api/brands', { name, include: ["o'reilly", '{"a":1}', 'x,y'] });
    expectStatus(created, 201);
    const read = await call(app, 'GET', `/api/brands/${created.body.id}`);
    expect(read.body.name).toBe(name);
    expect(read.body.include).toEqual(["o'reilly", '{"a":1}', 'x,y']);
  });
});
