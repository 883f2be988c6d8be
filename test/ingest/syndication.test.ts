/**
 * Syndication lookups in a batch (one query per ingest transaction, probing the SimHash band
 * indexes) against the plain definition: each new mention, in id order, is a copy of the lowest-id
 * earlier non-copy with its canonical URL, else of the lowest-id one within SIMHASH_MAX_DISTANCE
 * bits and SYNDICATION_WINDOW_DAYS. Generated batches are checked against that definition applied
 * one mention at a time, the way the ingest did before it was batched.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import {
  findSyndicationCandidates,
  insertMentions,
  markDuplicates,
  type NewMention,
  SIMHASH_BAND_SHIFTS,
} from '../../db/queries/mentions.ts';
import { insertSource } from '../../db/queries/sources.ts';
import { SYNDICATION_WINDOW_DAYS } from '../../src/ingest/ingest-items.ts';
import { hammingDistance, resolveSyndication, SIMHASH_MAX_DISTANCE } from '../../src/ingest/syndication.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';

const BITS = 48;
const DAY = 24 * 3600 * 1000;
const T0 = Date.parse('2026-11-02T00:00:00Z');

/** A 48-bit hash as a JS number, from 3 × 16 random bits. */
const hash48 = fc
  .tuple(
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xffff }),
  )
  .map(([a, b, c]) => a * 2 ** 32 + b * 2 ** 16 + c);

function flip(hash: number, bits: readonly number[]): number {
  let h = hash;
  for (const bit of new Set(bits)) {
    const set = Math.floor(h / 2 ** bit) % 2 === 1;
    h += set ? -(2 ** bit) : 2 ** bit;
  }
  return h;
}

/** What the lookup probes per band (in SIMHASH_BAND_SHIFTS order): the band's value and its 12 one-bit neighbours. */
function simhashBandKeys(hash: number): number[][] {
  return SIMHASH_BAND_SHIFTS.map((shift) => {
    const value = Math.floor(hash / 2 ** shift) & 0xfff;
    return [value, ...Array.from({ length: 12 }, (_, bit) => value ^ (1 << bit))];
  });
}

describe('SimHash bands', () => {
  it('every hash within the distance shares a probed band key (pigeonhole over 4 bands of 12 bits)', () => {
    fc.assert(
      fc.property(
        hash48,
        fc.array(fc.integer({ min: 0, max: BITS - 1 }), { maxLength: SIMHASH_MAX_DISTANCE }),
        (h, bits) => {
          const near = flip(h, bits);
          expect(hammingDistance(h, near)).toBeLessThanOrEqual(SIMHASH_MAX_DISTANCE);
          const keys = simhashBandKeys(h);
          const shared = SIMHASH_BAND_SHIFTS.some((shift, band) =>
            keys[band]?.includes(Math.floor(near / 2 ** shift) & 0xfff),
          );
          expect(shared).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

type Row = { id: number; url: string | null; hash: number | null; at: number; copyOf: number | null };

/** The definition, one new mention at a time, over every stored row. */
function reference(stored: readonly Row[], fresh: readonly Row[]): Map<number, number> {
  const rows = [...stored, ...fresh].map((r) => ({ ...r }));
  const result = new Map<number, number>();
  for (const m of [...fresh].sort((a, b) => a.id - b.id)) {
    const earlier = rows.filter((r) => r.id < m.id && r.copyOf === null).sort((a, b) => a.id - b.id);
    const byUrl = m.url === null ? undefined : earlier.find((r) => r.url === m.url);
    const byText =
      m.hash === null
        ? undefined
        : earlier.find(
            (r) =>
              r.hash !== null &&
              Math.abs(r.at - m.at) <= SYNDICATION_WINDOW_DAYS * DAY &&
              hammingDistance(r.hash, m.hash as number) <= SIMHASH_MAX_DISTANCE,
          );
    const original = byUrl ?? byText;
    if (original) {
      result.set(m.id, original.id);
      const row = rows.find((r) => r.id === m.id);
      if (row) row.copyOf = original.id;
    }
  }
  return result;
}

describe('syndication candidates in one query', () => {
  let handle: DbHandle;
  let sourceId: number;
  let counter = 0;

  beforeAll(async () => {
    handle = await createTestDb();
  });
  afterAll(async () => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    sourceId = (
      await insertSource(handle.db, { name: 'feed', kind: 'rss', options: {}, pollIntervalSeconds: 3600 })
    ).id;
  });

  type Spec = { url: number | null; base: number; bits: number[]; day: number };

  async function insert(specs: readonly Spec[], bases: readonly (number | null)[]): Promise<Row[]> {
    const mentions: NewMention[] = specs.map((s) => {
      const at = new Date(T0 + s.day * DAY);
      const base = bases[s.base % bases.length] ?? null;
      return {
        sourceId,
        externalId: `m${++counter}`,
        url: null,
        author: null,
        title: null,
        text: 'text',
        publishedAt: at,
        fetchedAt: at,
        rating: null,
        language: 'en',
        sentimentScore: null,
        sentimentLabel: null,
        sentences: null,
        sentimentReasons: null,
        touchpoints: [],
        intents: [],
        engagement: null,
        canonicalUrl: s.url === null ? null : `https://example.com/story/${s.url}`,
        textSimhash: base === null ? null : flip(base, s.bits),
      };
    });
    const inserted = await insertMentions(handle.db, mentions);
    return inserted.map((row, i) => ({
      id: row.id,
      url: mentions[i]?.canonicalUrl ?? null,
      hash: mentions[i]?.textSimhash ?? null,
      at: row.occurred_at.getTime(),
      copyOf: null,
    }));
  }

  const spec = fc.record({
    url: fc.option(fc.integer({ min: 0, max: 5 }), { freq: 2 }),
    base: fc.integer({ min: 0, max: 3 }),
    // Up to a few bits past the distance, so near misses are generated too.
    bits: fc.array(fc.integer({ min: 0, max: BITS - 1 }), { maxLength: SIMHASH_MAX_DISTANCE + 3 }),
    day: fc.integer({ min: 0, max: 20 }),
  });

  it('finds the same originals as the one-at-a-time definition', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(hash48, { freq: 5 }), { minLength: 1, maxLength: 4 }),
        fc.array(spec, { maxLength: 25 }),
        fc.array(fc.integer({ min: 0, max: 24 }), { maxLength: 6 }),
        fc.array(spec, { minLength: 1, maxLength: 25 }),
        async (bases, storedSpecs, copies, freshSpecs) => {
          await handle.db.deleteFrom('mentions').execute();
          const stored = await insert(storedSpecs, bases);
          // Some stored rows are already copies: they are never an original.
          const marked = new Map<number, number>();
          for (const i of copies) {
            const row = stored[i];
            const first = stored[0];
            if (row && first && row.id !== first.id && !marked.has(first.id)) {
              marked.set(row.id, first.id);
              row.copyOf = first.id;
            }
          }
          await markDuplicates(handle.db, marked);
          const fresh = await insert(freshSpecs, bases);
          const candidates = await findSyndicationCandidates(
            handle.db,
            fresh.map((r) => ({
              id: r.id,
              canonicalUrl: r.url,
              simhash: r.hash,
              occurredAt: new Date(r.at),
            })),
            { maxDistance: SIMHASH_MAX_DISTANCE, windowDays: SYNDICATION_WINDOW_DAYS },
          );
          const got = resolveSyndication(
            fresh.map((r) => r.id),
            candidates,
          );
          expect(Object.fromEntries(got)).toEqual(Object.fromEntries(reference(stored, fresh)));
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
