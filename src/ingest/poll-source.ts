/**
 * Ingestion: poll one source, keep the items that name a brand, analyse them, and store mentions,
 * matches, themes and the source's new cursor in ONE transaction. A crash before the commit leaves
 * the cursor where it was, so the next poll fetches the same items again; the unique
 * (source, external id) makes that re-poll insert nothing twice.
 */
import { listBrands } from '../../db/queries/brands.ts';
import { insertMatches, insertMentions, insertThemes, type NewMention } from '../../db/queries/mentions.ts';
import { getSource, recordPollFailure, recordPollSuccess } from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import type { SecretRef } from '../../sources/types.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { createBrandMatcher } from './match-brands.ts';
import { type NormalisedItem, normaliseItem } from './normalise.ts';

export type PollResult = {
  sourceId: number;
  status: 'ok' | 'not_modified' | 'failed';
  /** Items the upstream returned. */
  fetched: number;
  /** Items that name at least one brand. */
  matched: number;
  /** New mentions stored by this poll. */
  inserted: number;
  /** Matching items already stored before. */
  duplicates: number;
  insertedIds: number[];
  error?: string;
  nextPollAt: Date | null;
};

const MAX_STORED_ERROR = 2000;

function resolveSecret(deps: Deps, ref: SecretRef): string {
  if (typeof ref === 'string') return ref;
  const value = deps.readSecret(ref.env);
  if (!value) throw new Error(`credential missing: environment variable ${ref.env} is not set`);
  return value;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, MAX_STORED_ERROR);
}

export async function pollSource({
  deps,
  input,
}: {
  deps: Deps;
  input: { sourceId: number };
}): Promise<PollResult> {
  const source = await getSource(deps.db, input.sourceId);
  if (!source) throw AppError.notFound('source', input.sourceId);
  return pollLoadedSource(deps, source);
}

async function fail(
  deps: Deps,
  source: SourceRow,
  at: Date,
  error: unknown,
  fetched = 0,
): Promise<PollResult> {
  const message = describe(error);
  const updated = await recordPollFailure(deps.db, source.id, at, message);
  deps.logger.warn({ sourceId: source.id, kind: source.kind, error: message }, 'source poll failed');
  return {
    sourceId: source.id,
    status: 'failed',
    fetched,
    matched: 0,
    inserted: 0,
    duplicates: 0,
    insertedIds: [],
    error: message,
    nextPollAt: updated?.next_poll_at ?? null,
  };
}

export async function pollLoadedSource(deps: Deps, source: SourceRow): Promise<PollResult> {
  const startedAt = deps.now();
  const connector = deps.connectors.get(source.kind);
  if (!connector) return fail(deps, source, startedAt, new Error(`unknown source kind "${source.kind}"`));
  const options = connector.optionsSchema.safeParse(source.options);
  if (!options.success) {
    return fail(
      deps,
      source,
      startedAt,
      new Error(`invalid options: ${options.error.issues[0]?.message ?? ''}`),
    );
  }

  let fetched: Awaited<ReturnType<typeof connector.fetchNew>>;
  try {
    fetched = await connector.fetchNew({
      options: options.data,
      cursor: source.cursor,
      http: deps.http,
      now: startedAt,
      secret: (ref) => resolveSecret(deps, ref),
    });
  } catch (error) {
    return fail(deps, source, startedAt, error);
  }

  try {
    // Normalise, drop repeats within the batch, keep what names a brand.
    const brands = await listBrands(deps.db);
    const matcher = createBrandMatcher(brands);
    const seen = new Set<string>();
    const candidates: Array<{ item: NormalisedItem; matches: ReturnType<typeof matcher> }> = [];
    for (const raw of fetched.items) {
      const item = normaliseItem(raw);
      if (!item || seen.has(item.externalId)) continue;
      seen.add(item.externalId);
      const matches = matcher(item.title ? `${item.title}\n${item.text}` : item.text);
      if (matches.length > 0) candidates.push({ item, matches });
    }

    // Items stored by an earlier poll are not analysed again.
    const known = new Set<string>();
    if (candidates.length > 0) {
      const rows = await deps.db
        .selectFrom('mentions')
        .select('external_id')
        .where('source_id', '=', source.id)
        .where(
          'external_id',
          'in',
          candidates.map((c) => c.item.externalId),
        )
        .execute();
      for (const row of rows) known.add(row.external_id);
    }
    const fresh = candidates.filter((c) => !known.has(c.item.externalId));
    const termsById = new Map(brands.map((b) => [b.id, b.include_terms]));
    const analysed = fresh.map(({ item, matches }) => {
      const ignoreWords = matches.flatMap((m) => termsById.get(m.brandId) ?? []);
      const analysis = deps.analyzer.analyze(item.title ? `${item.title}. ${item.text}` : item.text, {
        rating: item.rating,
        ignoreWords,
      });
      const mention: NewMention = {
        ...item,
        sourceId: source.id,
        fetchedAt: startedAt,
        sentimentScore: analysis.score,
        sentimentLabel: analysis.label,
        sentences: analysis.sentences,
      };
      return { mention, matches, themes: analysis.themes };
    });

    const nextPollAt = new Date(startedAt.getTime() + source.poll_interval_seconds * 1000);
    const insertedIds = await deps.db.transaction().execute(async (tx) => {
      const inserted = await insertMentions(
        tx,
        analysed.map((a) => a.mention),
      );
      const byExternalId = new Map(analysed.map((a) => [a.mention.externalId, a]));
      const matchRows = [];
      const themeRows = [];
      for (const row of inserted) {
        const entry = byExternalId.get(row.external_id);
        if (!entry) continue;
        for (const match of entry.matches) {
          matchRows.push({
            mentionId: row.id,
            brandId: match.brandId,
            occurredAt: row.occurred_at,
            matchedTerms: match.terms,
          });
        }
        for (const theme of entry.themes) {
          themeRows.push({ mentionId: row.id, theme: theme.theme, sentimentScore: theme.score });
        }
      }
      await insertMatches(tx, matchRows);
      await insertThemes(tx, themeRows);
      await recordPollSuccess(tx, source.id, startedAt, fetched.cursor, nextPollAt);
      return inserted.map((row) => row.id);
    });

    const result: PollResult = {
      sourceId: source.id,
      status: fetched.notModified ? 'not_modified' : 'ok',
      fetched: fetched.items.length,
      matched: candidates.length,
      inserted: insertedIds.length,
      duplicates: candidates.length - insertedIds.length,
      insertedIds,
      nextPollAt,
    };
    deps.logger.info(
      { sourceId: source.id, status: result.status, fetched: result.fetched, inserted: result.inserted },
      'source polled',
    );
    return result;
  } catch (error) {
    return fail(deps, source, startedAt, error, fetched.items.length);
  }
}
