/**
 * Real recorded payloads and labelled data live in ../shared (never copied into the repository).
 * Tests that need them skip with a clear message when it is absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHARED_DIR = resolve(import.meta.dirname, '../../../shared');
export const FIXTURES_DIR = join(SHARED_DIR, 'fixtures/sources');
export const hasFixtures = existsSync(FIXTURES_DIR);
export const SKIP_REASON = `skipped: ${FIXTURES_DIR} is absent (the recorded upstream payloads live in ../shared)`;

export function readFixture(relativePath: string): Buffer {
  return readFileSync(join(FIXTURES_DIR, relativePath));
}

export function listFixtures(folder: string, pattern: RegExp): string[] {
  const dir = join(FIXTURES_DIR, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .map((name) => `${folder}/${name}`);
}
