import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { createBrand } from '../../src/catalog/brands.ts';
import { detectColumns, formatSummary, importCsv, parseRating } from '../../src/cli/import.ts';
import type { Deps } from '../../src/deps.ts';
import { useTestDeps } from '../helpers/deps.ts';
import { runCli } from '../helpers/run-cli.ts';

const CSV = resolve(import.meta.dirname, '../fixtures/import/reviews.csv');

describe('earshot import', () => {
  const test = useTestDeps();
  let handle: DbHandle;
  let deps: Deps;
  beforeEach(async () => {
    ({ handle, deps } = test);
    await createBrand({ deps, input: { name: 'Acme' } });
  });

  it('imports a review export, reports rejects by line, and stores nothing twice on re-import', async () => {
    const progress: number[] = [];
    const summary = await importCsv(deps, {
      file: CSV,
      source: 'App reviews',
      progress: (f) => progress.push(f),
    });
    expect(summary).toMatchObject({
      createdSource: true,
      rowsRead: 6,
      inserted: 2,
      duplicates: 0,
      unmatched: 1,
    });
    expect(
      summary.rejected.map((r) => r.line),
      'a quoted newline makes r1 two lines',
    ).toEqual([5, 6, 8]);
    expect(summary.rejected[0]!.message).toBe('rating: "eleven" is not a star rating');
    expect(summary.rejected[1]!.message).toContain('text');
    expect(summary.rejected[2]!.message).toContain('31/31/2026');
    expect(progress.at(-1)).toBe(1);

    const rows = await handle.db.selectFrom('mentions').selectAll().orderBy('external_id').execute();
    expect(rows.map((r) => [r.external_id, r.author, r.rating, r.title])).toEqual([
      ['r1', 'Ana', 1, 'Broken, again'],
      ['r2', 'Bob', 5, 'Love it'],
    ]);
    expect(rows[0]!.text).toBe('Acme app crashes on start.\nSecond line of the review.');
    expect(rows[1]!.text).toBe('Acme is great, "really" great!');
    expect(rows[1]!.published_at?.toISOString()).toBe('2026-11-02T09:00:00.000Z');

    const again = await importCsv(deps, { file: CSV, source: String(summary.sourceId) });
    expect(again).toMatchObject({ createdSource: false, inserted: 0, duplicates: 2 });
    expect(formatSummary(again)).toContain('line 5: rating');
  });

  it('finds columns by their usual names, or as mapped, and reads ratings people write', () => {
    expect(detectColumns(['Review ID', 'Stars', 'Body', 'created_at'])).toEqual({
      externalId: 'Review ID',
      rating: 'Stars',
      text: 'Body',
      publishedAt: 'created_at',
    });
    expect(detectColumns(['x', 'y'], { text: 'y' })).toEqual({ text: 'y' });
    expect(() => detectColumns(['x', 'y'])).toThrow(/no text column/);
    expect(() => detectColumns(['x'], { text: 'nope' })).toThrow(/no column "nope"/);
    expect([
      parseRating('4'),
      parseRating('4/5'),
      parseRating('3 stars'),
      parseRating('★★'),
      parseRating('4,5'),
    ]).toEqual([4, 4, 3, 2, 4.5]);
    expect(parseRating('great')).toBeUndefined();
    expect(parseRating('')).toBeNull();
  });

  it('rows without an id get a content id, so a re-import is still harmless', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-import-'));
    const file = join(dir, 'noid.csv');
    writeFileSync(file, 'comment,rating\nAcme was fine,3\nAcme was fine,3\nAcme was awful,1\n');
    const first = await importCsv(deps, { file, source: 'noid' });
    expect(first).toMatchObject({ rowsRead: 3, inserted: 2, duplicates: 0 });
    const second = await importCsv(deps, { file, source: 'noid' });
    expect(second).toMatchObject({ inserted: 0, duplicates: 2 });
  });

  it('runs from the command line with a summary on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-import-cli-'));
    const env: NodeJS.ProcessEnv = { ...process.env, EARSHOT_DATA_DIR: dir, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    const run = (args: string[]) => runCli(args, { env });
    const usage = await run(['import', CSV]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--source');
    const result = await run(['import', CSV, '--source', 'cli reviews', '--map', 'text=Review Text']);
    expect(result.code, result.stderr).toBe(0);
    // No brand exists in this fresh database: every readable row is unmatched.
    expect(result.stdout).toMatch(/rows read:\s+6/);
    expect(result.stdout).toMatch(/rejected:\s+3/);
    expect(result.stdout).toContain('line 5:');
  });
});
