/**
 * Writes mentions straight into the database, with their brand matches, themes and rollups, the way
 * the ingest transaction does, without running the NLP: for analytics tests that need exact data.
 */
import type { Kysely } from 'kysely';
import {
  insertMatches,
  insertMentions,
  insertThemes,
  markDuplicates,
  type NewMention,
} from '../../db/queries/mentions.ts';
import { applyToRollups } from '../../db/queries/rollups.ts';
import type { Database } from '../../db/schema.ts';
import type { SentimentLabel } from '../../src/types.ts';

export type SeedMention = {
  /** RFC 3339 or a Date: the mention's published time. */
  at: string | Date;
  label: SentimentLabel | null;
  score: number | null;
  /** Brand ids, or ids with the brand's own stance in the mention (default: the mention's score). */
  brands: Array<number | { id: number; stance: number | null }>;
  sourceId: number;
  text?: string;
  externalId?: string;
  /** Theme names (aspect score = the mention's score) or themes with their own score. */
  themes?: Array<string | { theme: string; score: number | null }>;
  touchpoints?: string[];
  intents?: string[];
  rating?: number | null;
  language?: string | null;
  /** Index, in this call's rows, of the earlier row this one is a syndicated copy of. */
  copyOf?: number;
};

let counter = 0;

/** Inserts the rows in one transaction; returns their ids in order. */
export async function seedMentions(db: Kysely<Database>, rows: readonly SeedMention[]): Promise<number[]> {
  return db.transaction().execute(async (tx) => {
    const mentions: NewMention[] = rows.map((r) => ({
      sourceId: r.sourceId,
      externalId: r.externalId ?? `seed-${++counter}`,
      url: null,
      author: null,
      title: null,
      text: r.text ?? `mention ${counter}`,
      publishedAt: new Date(r.at),
      fetchedAt: new Date(r.at),
      rating: r.rating ?? null,
      language: r.language === undefined ? 'en' : r.language,
      sentimentScore: r.score,
      sentimentLabel: r.label,
      sentences: null,
      sentimentReasons: null,
      touchpoints: r.touchpoints ?? [],
      intents: r.intents ?? [],
      engagement: null,
      canonicalUrl: null,
      textSimhash: null,
    }));
    const inserted = await insertMentions(tx, mentions);
    const byExternal = new Map(inserted.map((m) => [m.external_id, m]));
    const rowsOf = mentions.map((m) => {
      const row = byExternal.get(m.externalId);
      if (!row) throw new Error(`seed: ${m.externalId} was not inserted (duplicate external id?)`);
      return row;
    });
    await markDuplicates(
      tx,
      new Map(
        rows.flatMap((r, i) => (r.copyOf === undefined ? [] : [[rowsOf[i]!.id, rowsOf[r.copyOf]!.id]])),
      ),
    );
    await insertMatches(
      tx,
      rows.flatMap((r, i) =>
        r.brands.map((b) => ({
          mentionId: rowsOf[i]!.id,
          brandId: typeof b === 'number' ? b : b.id,
          occurredAt: rowsOf[i]!.occurred_at,
          matchedTerms: [],
          sentimentScore: typeof b === 'number' ? r.score : b.stance,
        })),
      ),
    );
    await insertThemes(
      tx,
      rows.flatMap((r, i) =>
        (r.themes ?? []).map((t) => ({
          mentionId: rowsOf[i]!.id,
          theme: typeof t === 'string' ? t : t.theme,
          sentimentScore: typeof t === 'string' ? r.score : t.score,
        })),
      ),
    );
    const ids = rowsOf.map((r) => r.id);
    await applyToRollups(tx, ids, 1);
    return ids;
  });
}
