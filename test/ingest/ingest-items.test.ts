/**
 * The write path stores every column of a mention as given (mentions, matches and themes go in as one
 * JSON record set each), and hostile text — a lone surrogate from a JSON API, a NUL in an id — is
 * stored, once, rather than failing its poll forever.
 */
import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { storableJson } from '../../db/json.ts';
import { brandTermsOfMentions } from '../../db/queries/mentions.ts';
import { insertSource } from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import type { RawItem } from '../../sources/types.ts';
import { createBrand } from '../../src/catalog/brands.ts';
import { ingestItems } from '../../src/ingest/ingest-items.ts';
import { useTestDeps } from '../helpers/deps.ts';

const FETCHED = new Date('2026-11-20T12:00:00Z');

function item(overrides: Partial<RawItem>): RawItem {
  return {
    externalId: 'x-1',
    url: 'https://example.com/post/1?utm_source=feed',
    author: 'Dana',
    title: 'Acme router review',
    content:
      'The Acme router keeps dropping the connection and support never answered. I will cancel my subscription.',
    contentType: 'text',
    publishedAt: new Date('2026-11-20T10:30:00Z'),
    rating: 2,
    language: 'en',
    engagement: { likes: 12, reposts: 3 },
    ...overrides,
  };
}

describe('ingestItems: the stored row', () => {
  const test = useTestDeps();
  let source: SourceRow;
  let acme: number;

  beforeEach(async () => {
    acme = (await createBrand({ deps: test.deps, input: { name: 'Acme' } })).id;
    source = await insertSource(test.handle.db, {
      name: 'feed',
      kind: 'rss',
      options: {},
      pollIntervalSeconds: 60,
    });
  });

  it('keeps every column: text, dates, rating, analysis, arrays, engagement, matches and themes', async () => {
    const { handle, deps } = test;
    const result = await ingestItems(deps, {
      source,
      items: [item({}), item({ externalId: 'x-2', publishedAt: null, engagement: null, rating: null })],
      fetchedAt: FETCHED,
    });
    expect(result).toMatchObject({ inserted: 2, duplicates: 0 });
    const rows = await handle.db.selectFrom('mentions').selectAll().orderBy('external_id').execute();
    const [first, second] = rows;
    expect(first).toMatchObject({
      source_id: source.id,
      external_id: 'x-1',
      url: 'https://example.com/post/1?utm_source=feed',
      author: 'Dana',
      title: 'Acme router review',
      text: 'The Acme router keeps dropping the connection and support never answered. I will cancel my subscription.',
      published_at: new Date('2026-11-20T10:30:00Z'),
      fetched_at: FETCHED,
      occurred_at: new Date('2026-11-20T10:30:00Z'),
      rating: 2,
      language: 'en',
      sentiment_label: 'negative',
      engagement: { likes: 12, reposts: 3 },
      canonical_url: 'https://example.com/post/1',
    });
    expect(first?.sentiment_score).toBeLessThan(0);
    expect(first?.intents).toContain('churn');
    expect(first?.touchpoints.length).toBeGreaterThan(0);
    expect(first?.sentences?.[0]).toMatchObject({ text: expect.stringContaining('Acme router') });
    expect(first?.sentiment_reasons?.length).toBeGreaterThan(0);
    expect(typeof first?.text_simhash).toBe('number');
    // No date, no engagement, no rating: nulls, and the mention happened when it was fetched.
    expect(second).toMatchObject({
      published_at: null,
      occurred_at: FETCHED,
      engagement: null,
      rating: null,
    });

    const matches = await handle.db.selectFrom('mention_brands').selectAll().execute();
    expect(matches).toHaveLength(2);
    expect(matches[0]).toMatchObject({ brand_id: acme, matched_terms: ['Acme'] });
    const themes = await handle.db.selectFrom('mention_themes').selectAll().execute();
    expect(themes.length).toBeGreaterThan(0);
    expect(themes.every((t) => rows.some((r) => r.id === t.mention_id))).toBe(true);
  });

  it('stores a lone surrogate as U+FFFD and drops NULs, once (a later poll sees a duplicate)', async () => {
    const { handle, deps } = test;
    const hostile = item({
      externalId: 'id\u0000-7',
      author: 'Eve\u0000',
      title: 'Acme \ud83d broke',
      content: 'Acme support \udc00 never answered me.',
    });
    const first = await ingestItems(deps, { source, items: [hostile], fetchedAt: FETCHED });
    expect(first).toMatchObject({ inserted: 1 });
    const again = await ingestItems(deps, { source, items: [hostile], fetchedAt: FETCHED });
    expect(again).toMatchObject({ inserted: 0, duplicates: 1 });
    const row = await handle.db.selectFrom('mentions').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      external_id: 'id-7',
      author: 'Eve',
      title: 'Acme \ufffd broke',
      text: 'Acme support \ufffd never answered me.',
    });
    expect(
      (await sql<{ n: number }>`select count(*)::int as n from mentions`.execute(handle.db)).rows[0]?.n,
    ).toBe(1);
  });

  it('gives fine-tuning the terms of the brands each mention names (scored as the analyzer scored them)', async () => {
    const { handle, deps } = test;
    await createBrand({ deps, input: { name: 'Globex', include: ['Globex', 'Globex Corp'] } });
    const result = await ingestItems(deps, {
      source,
      items: [
        item({}),
        item({ externalId: 'x-2', title: 'Acme against Globex', content: 'Globex Corp beat Acme on price.' }),
      ],
      fetchedAt: FETCHED,
    });
    const [first, second] = result.insertedIds;
    const terms = await brandTermsOfMentions(handle.db, [first!, second!]);
    expect(terms.get(first!)).toEqual(['Acme']);
    expect([...(terms.get(second!) ?? [])].sort()).toEqual(['Acme', 'Globex', 'Globex Corp']);
    expect(await brandTermsOfMentions(handle.db, [])).toEqual(new Map());
  });
});

describe('storableJson', () => {
  it('is JSON.stringify for ordinary values, and makes lone surrogates and NULs storable', () => {
    const ordinary = { a: 'café ☕ 😀', b: [1, null, 'x\\ud800'], c: { d: true } };
    expect(storableJson(ordinary)).toBe(JSON.stringify(ordinary));
    expect(JSON.parse(storableJson({ t: 'a\ud800b\u0000c', u: ['\udfff'] }))).toEqual({
      t: 'a\ufffdbc',
      u: ['\ufffd'],
    });
    // A well-formed pair stays a pair.
    expect(JSON.parse(storableJson({ t: '\ud83d\ude00\u0000' }))).toEqual({ t: '\ud83d\ude00' });
  });
});
