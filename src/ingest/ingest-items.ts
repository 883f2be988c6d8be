/**
 * The one write path for items, polled or pushed: normalise, drop repeats, keep what names a brand
 * (or what the source is assigned to), skip what is already stored, analyse, and write mentions,
 * matches, themes, syndication links, analytics rollups and the source's new cursor in ONE transaction. A crash before
 * the commit leaves the cursor where it was; the unique (source, external id) makes a retry harmless.
 */
import { listBrands } from '../../db/queries/brands.ts';
import {
  findSyndicationCandidates,
  insertMatches,
  insertMentions,
  insertThemes,
  markDuplicates,
  type NewMention,
} from '../../db/queries/mentions.ts';
import { applyToRollups, getClosedBefore } from '../../db/queries/rollups.ts';
import { recordPollSuccess } from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import type { RawItem } from '../../sources/types.ts';
import { fireMentionRules, type IngestedMention } from '../alerts/mention-rules.ts';
import type { Deps } from '../deps.ts';
import type { ThemeHit } from '../nlp/analyzer.ts';
import type { Json } from '../types.ts';
import { brandStances } from './brand-stance.ts';
import { type BrandMatch, createBrandMatcher } from './match-brands.ts';
import { type NormalisedItem, normaliseItem } from './normalise.ts';
import { canonicalUrl, resolveSyndication, SIMHASH_MAX_DISTANCE, simhash } from './syndication.ts';

export const SYNDICATION_WINDOW_DAYS = 7;

/** Longest stretch of analysis between two turns of the event loop. */
const NLP_SLICE_MS = 2;

/** Lets I/O callbacks waiting on the event loop run (setImmediate where there is one: no 1 ms timer floor). */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );

export type IngestResult = {
  /** Items received from the upstream or the caller. */
  fetched: number;
  /** Items with nothing readable left after normalising. */
  unreadable: number;
  /** Items that name a brand (or belong to a source assigned to brands). */
  matched: number;
  /** New mentions stored. */
  inserted: number;
  /** Matching items stored before (or from before the retention horizon, whose figures are final). */
  duplicates: number;
  /** New mentions linked to an earlier copy of the same story. */
  syndicated: number;
  insertedIds: number[];
  /** External ids of the items stored, in input order (for callers that report per item). */
  insertedExternalIds: string[];
};

export type IngestBatch = {
  source: SourceRow;
  items: readonly RawItem[];
  /** The cursor to store with the items; undefined keeps the source's cursor. */
  cursor?: Json | null;
  fetchedAt: Date;
  /** When the next poll is due; undefined leaves it. */
  nextPollAt?: Date;
};

type Candidate = { item: NormalisedItem; matches: BrandMatch[]; engagement: Json | null };
type Analysed = {
  mention: NewMention;
  matches: BrandMatch[];
  themes: ThemeHit[];
  stances: ReturnType<typeof brandStances>;
};

export async function ingestItems(deps: Deps, batch: IngestBatch): Promise<IngestResult> {
  const { source, fetchedAt } = batch;
  const brands = await listBrands(deps.db);
  const matcher = createBrandMatcher(brands);
  const assigned = new Set(source.assign_brand_ids);
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  let unreadable = 0;
  for (const raw of batch.items) {
    const item = normaliseItem(raw);
    if (!item) {
      unreadable++;
      continue;
    }
    if (seen.has(item.externalId)) continue;
    seen.add(item.externalId);
    const text = item.title ? `${item.title}\n${item.text}` : item.text;
    const matches = matcher(text, { author: item.author, url: item.url });
    for (const brandId of assigned) {
      if (!matches.some((m) => m.brandId === brandId)) matches.push({ brandId, terms: [] });
    }
    if (matches.length > 0)
      candidates.push({ item, matches, engagement: (raw.engagement ?? null) as Json | null });
  }

  // Items stored by an earlier poll are not analysed again.
  const known = new Set<string>();
  if (candidates.length > 0) {
    const [rows, closedBefore] = await Promise.all([
      deps.db
        .selectFrom('mentions')
        .select('external_id')
        .where('source_id', '=', source.id)
        .where(
          'external_id',
          'in',
          candidates.map((c) => c.item.externalId),
        )
        .execute(),
      getClosedBefore(deps.db),
    ]);
    for (const row of rows) known.add(row.external_id);
    // An item from before the retention horizon may be one that was stored, counted in the rollups,
    // then deleted for its age: taking it again would count it twice.
    if (closedBefore !== null) {
      for (const c of candidates) {
        if ((c.item.publishedAt ?? fetchedAt) < closedBefore) known.add(c.item.externalId);
      }
    }
  }
  const termsById = new Map(brands.map((b) => [b.id, b.include_terms]));
  const analysed: Analysed[] = [];
  let sliceStarted = performance.now();
  for (const { item, matches, engagement } of candidates) {
    if (known.has(item.externalId)) continue;
    // The NLP is the longest stretch of CPU here: other polls' transactions get the event loop back
    // every few milliseconds, so they never hold their locks while this batch is analysed.
    if (performance.now() - sliceStarted > NLP_SLICE_MS) {
      await yieldToEventLoop();
      sliceStarted = performance.now();
    }
    const ignoreWords = matches.flatMap((m) => termsById.get(m.brandId) ?? []);
    const analysisStarted = performance.now();
    const analysis = deps.analyzer.analyze(item.title ? `${item.title}. ${item.text}` : item.text, {
      rating: item.rating,
      ignoreWords,
    });
    deps.metrics?.recordAnalysis((performance.now() - analysisStarted) / 1000);
    const mention: NewMention = {
      ...item,
      sourceId: source.id,
      fetchedAt,
      sentimentScore: analysis.score,
      sentimentLabel: analysis.label,
      language: analysis.language ?? item.language,
      sentences: analysis.sentences,
      sentimentReasons: analysis.reasons,
      touchpoints: analysis.touchpoints.map((t) => t.id),
      intents: analysis.intents.map((i) => i.id),
      engagement,
      canonicalUrl: canonicalUrl(item.url),
      textSimhash: simhash(item.text),
    };
    const stances = brandStances(
      analysis.sentences,
      analysis.score,
      matches.map((m) => ({ brandId: m.brandId, terms: m.terms })),
    );
    analysed.push({ mention, matches, themes: analysis.themes, stances });
  }

  const written = await deps.db.transaction().execute(async (tx) => {
    const inserted = await insertMentions(
      tx,
      analysed.map((a) => a.mention),
    );
    const byExternalId = new Map(analysed.map((a) => [a.mention.externalId, a]));
    const originals = resolveSyndication(
      inserted.map((r) => r.id),
      await findSyndicationCandidates(
        tx,
        inserted.map((row) => {
          const m = byExternalId.get(row.external_id)?.mention;
          return {
            id: row.id,
            canonicalUrl: m?.canonicalUrl ?? null,
            simhash: m?.textSimhash ?? null,
            occurredAt: row.occurred_at,
          };
        }),
        { maxDistance: SIMHASH_MAX_DISTANCE, windowDays: SYNDICATION_WINDOW_DAYS },
      ),
    );
    await markDuplicates(tx, originals);
    const matchRows = [];
    const themeRows = [];
    const forRules: IngestedMention[] = [];
    for (const row of inserted) {
      const entry = byExternalId.get(row.external_id);
      if (!entry) continue;
      for (const match of entry.matches) {
        matchRows.push({
          mentionId: row.id,
          brandId: match.brandId,
          occurredAt: row.occurred_at,
          matchedTerms: match.terms,
          sentimentScore: entry.stances.get(match.brandId) ?? null,
        });
      }
      for (const theme of entry.themes) {
        themeRows.push({ mentionId: row.id, theme: theme.theme, sentimentScore: theme.score });
      }
      const original = originals.get(row.id) ?? null;
      const m = entry.mention;
      forRules.push({
        id: row.id,
        brandIds: entry.matches.map((match) => match.brandId),
        duplicateOf: original,
        occurredAt: row.occurred_at,
        publishedAt: m.publishedAt ?? null,
        title: m.title ?? null,
        text: m.text,
        label: m.sentimentLabel,
        score: m.sentimentScore,
        rating: m.rating ?? null,
        language: m.language ?? null,
        touchpoints: m.touchpoints,
        intents: m.intents,
        engagement: m.engagement,
        themes: entry.themes.map((t) => ({ theme: t.theme, score: t.score })),
      });
    }
    await insertMatches(tx, matchRows);
    await insertThemes(tx, themeRows);
    // Alerts commit with the mentions that caused them (the outbox): never lost, never sent early.
    const fired = await fireMentionRules(tx, {
      source,
      mentions: forRules,
      brandNames: new Map(brands.map((b) => [b.id, b.name])),
      now: deps.now(),
      firstPoll: source.last_success_at === null,
    });
    await recordPollSuccess(
      tx,
      source.id,
      fetchedAt,
      batch.cursor === undefined ? source.cursor : batch.cursor,
      batch.nextPollAt ?? source.next_poll_at,
      inserted.length,
    );
    // The analytics rollups take the new mentions in the same transaction, last: their rows are the
    // ones every concurrent ingest for a brand updates, so they stay locked only until the commit.
    await applyToRollups(
      tx,
      inserted.map((r) => r.id),
      1,
    );
    return { inserted, syndicated: originals.size, queued: fired.reduce((n, f) => n + f.queued, 0) };
  });
  if (written.queued > 0) deps.alertsQueued?.();
  const counts = {
    fetched: batch.items.length,
    inserted: written.inserted.length,
    duplicates: candidates.length - written.inserted.length,
  };
  deps.metrics?.recordIngest(source.kind, counts);

  return {
    ...counts,
    unreadable,
    matched: candidates.length,
    syndicated: written.syndicated,
    insertedIds: written.inserted.map((r) => r.id),
    insertedExternalIds: written.inserted.map((r) => r.external_id),
  };
}
