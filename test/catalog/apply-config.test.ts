import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { applyConfig } from '../../src/catalog/apply-config.ts';
import type { Deps } from '../../src/deps.ts';
import { AppError } from '../../src/errors.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

describe('config file', () => {
  let handle: DbHandle;
  let deps: Deps;
  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db);
  });
  afterAll(() => handle.close());
  beforeEach(() => resetDb(handle.db));

  const config = {
    brands: [
      { name: 'Acme', include: ['Acme'] },
      { name: 'Globex', kind: 'competitor' },
    ],
    sources: [
      { name: 'feed', kind: 'rss', options: { url: 'https://example.com/feed' }, pollIntervalSeconds: 600 },
    ],
  };

  it('is applied idempotently and updates by name', async () => {
    await applyConfig({ deps, input: config });
    await applyConfig({ deps, input: config });
    expect(await handle.db.selectFrom('brands').select(['name', 'kind']).orderBy('name').execute()).toEqual([
      { name: 'Acme', kind: 'own' },
      { name: 'Globex', kind: 'competitor' },
    ]);
    const [source] = await handle.db.selectFrom('sources').selectAll().execute();
    expect(source).toMatchObject({ name: 'feed', poll_interval_seconds: 600 });

    // A cursor survives a re-apply of the same options, and is reset when the URL changes.
    await handle.db
      .updateTable('sources')
      .set({ cursor: JSON.stringify({ etag: '"x"' }) })
      .execute();
    await applyConfig({ deps, input: config });
    expect((await handle.db.selectFrom('sources').select('cursor').executeTakeFirstOrThrow()).cursor).toEqual(
      { etag: '"x"' },
    );
    await applyConfig({
      deps,
      input: {
        ...config,
        sources: [{ ...config.sources[0], options: { url: 'https://example.com/other' } }],
      },
    });
    expect(
      (await handle.db.selectFrom('sources').select('cursor').executeTakeFirstOrThrow()).cursor,
    ).toBeNull();
    expect(await handle.db.selectFrom('sources').select('name').execute()).toHaveLength(1);
  });

  it('rejects an invalid file as a whole, changing nothing', async () => {
    const bad = {
      brands: [{ name: 'Acme' }],
      sources: [{ name: 'x', kind: 'rss', options: { url: 'not a url' } }],
    };
    await expect(applyConfig({ deps, input: bad })).rejects.toThrow(AppError);
    expect(await handle.db.selectFrom('brands').selectAll().execute()).toEqual([]);
    await expect(applyConfig({ deps, input: { brand: [] } })).rejects.toThrow(/brand/);
  });
});
