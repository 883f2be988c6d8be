/**
 * The mention feed: filters and keyset pagination (stable under inserts, cheap at any depth).
 */
import { z } from 'zod';
import {
  correctLabel,
  type FeedbackRow,
  listFeedback,
  type MentionListItem,
  listMentions as queryMentions,
} from '../../db/queries/mentions.ts';
import { decodeBase64Url, encodeBase64Url } from '../base64url.ts';
import type { Deps } from '../deps.ts';
import { AppError, parseInput } from '../errors.ts';
import { SENTIMENT_LABELS } from '../types.ts';
import { InstantInput, resolveInstant } from './time.ts';

/** A page holds at most 200 mentions; a CSV export streams up to this many. */
export const MAX_PAGE = 200;
export const MAX_EXPORT = 1_000_000;

export const MentionsInput = z.object({
  brandId: z.number().int().positive().optional(),
  sourceId: z.number().int().positive().optional(),
  sourceKind: z.string().max(50).optional(),
  label: z.enum(SENTIMENT_LABELS).optional(),
  touchpoint: z.string().max(50).optional(),
  intent: z.string().max(50).optional(),
  theme: z.string().max(100).optional(),
  language: z.string().max(20).optional(),
  from: InstantInput.optional(),
  to: InstantInput.optional(),
  q: z.string().trim().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(MAX_EXPORT).default(50),
});

const CursorShape = z.object({ t: z.iso.datetime(), i: z.number().int().positive() });

export function encodeCursor(occurredAt: Date, id: number): string {
  return encodeBase64Url(JSON.stringify({ t: occurredAt.toISOString(), i: id }));
}

export function decodeCursor(cursor: string): { occurredAt: Date; id: number } {
  try {
    const value = CursorShape.parse(JSON.parse(decodeBase64Url(cursor)));
    return { occurredAt: new Date(value.t), id: value.i };
  } catch {
    throw new AppError('invalid_cursor', 'cursor is not one this API returned');
  }
}

export type Mention = {
  id: number;
  source: { id: number; name: string; kind: string };
  externalId: string;
  url: string | null;
  author: string | null;
  title: string | null;
  text: string;
  publishedAt: Date | null;
  fetchedAt: Date;
  occurredAt: Date;
  rating: number | null;
  language: string | null;
  sentiment: {
    /** The model's score; null where it gave none (not English) and a person labelled it. */
    score: number | null;
    label: string;
    /** Why: the features that moved the score most, and each sentence with its own score and reasons. */
    reasons: Array<{ kind: string; text: string; effect: number }>;
    sentences: Array<{
      text: string;
      score: number;
      reasons?: Array<{ kind: string; text: string; effect: number }>;
    }>;
  } | null;
  brands: Array<{ id: number; name: string }>;
  themes: string[];
  touchpoints: string[];
  intents: string[];
  engagement: unknown;
  /** A user corrected the label (the model's own is in the feedback export). */
  labelCorrected: boolean;
  /** The earlier mention this one repeats (the same story from another source), if any. */
  duplicateOf: number | null;
};

function toMention(r: MentionListItem): Mention {
  return {
    id: r.id,
    source: { id: r.source_id, name: r.source_name, kind: r.source_kind },
    externalId: r.external_id,
    url: r.url,
    author: r.author,
    title: r.title,
    text: r.text,
    publishedAt: r.published_at,
    fetchedAt: r.fetched_at,
    occurredAt: r.occurred_at,
    rating: r.rating,
    language: r.language,
    sentiment:
      r.sentiment_label === null
        ? null
        : {
            score: r.sentiment_score,
            label: r.sentiment_label,
            reasons: r.sentiment_reasons ?? [],
            sentences: r.sentences ?? [],
          },
    brands: r.brands,
    themes: r.themes,
    touchpoints: r.touchpoints,
    intents: r.intents,
    engagement: r.engagement,
    labelCorrected: r.label_corrected,
    duplicateOf: r.duplicate_of,
  };
}

function filterOf(q: z.output<typeof MentionsInput>) {
  return {
    brandId: q.brandId,
    sourceId: q.sourceId,
    sourceKind: q.sourceKind,
    label: q.label,
    touchpoint: q.touchpoint,
    intent: q.intent,
    theme: q.theme,
    language: q.language,
    from: q.from === undefined ? undefined : resolveInstant(q.from, 'UTC'),
    to: q.to === undefined ? undefined : resolveInstant(q.to, 'UTC'),
    q: q.q,
  };
}

export async function listMentions({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof MentionsInput>;
}): Promise<{ items: Mention[]; nextCursor: string | null }> {
  const q = parseInput(MentionsInput, input, 'mentions query');
  if (q.limit > MAX_PAGE) {
    throw new AppError('validation_failed', `limit: at most ${MAX_PAGE} per page (CSV exports take more)`);
  }
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const rows = await queryMentions(deps.db, { ...filterOf(q), after, limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map(toMention),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.occurred_at, last.id) : null,
  };
}

/**
 * Every mention matching the filters (up to `limit`, 10,000 by default), newest first, fetched a page
 * at a time: for CSV export. Input errors throw before the first mention is yielded.
 */
export function exportMentions({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof MentionsInput>;
}): AsyncIterable<Mention> {
  const q = parseInput(MentionsInput, { limit: 10_000, ...input }, 'mentions query');
  let after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const filter = filterOf(q);
  return {
    async *[Symbol.asyncIterator]() {
      let left = q.limit;
      while (left > 0) {
        const rows = await queryMentions(deps.db, { ...filter, after, limit: Math.min(500, left) });
        for (const row of rows) yield toMention(row);
        left -= rows.length;
        const last = rows.at(-1);
        if (!last || rows.length < Math.min(500, left + rows.length)) return;
        after = { occurredAt: last.occurred_at, id: last.id };
      }
    },
  };
}

export async function getMention({ deps, input }: { deps: Deps; input: { id: number } }): Promise<Mention> {
  const [row] = await queryMentions(deps.db, { id: input.id, limit: 1 });
  if (!row) throw AppError.notFound('mention', input.id);
  return toMention(row);
}

export const LabelCorrection = z.strictObject({
  label: z.enum(SENTIMENT_LABELS),
  /** Why, for whoever reads the feedback later. */
  note: z.string().trim().max(1000).optional(),
});

/** A user's label replaces the model's for this mention (trends follow it) and is kept as feedback. */
export async function correctMentionLabel({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; correction: unknown };
}): Promise<Mention> {
  const correction = parseInput(LabelCorrection, input.correction, 'label correction');
  const found = await deps.db
    .transaction()
    .execute((tx) =>
      correctLabel(tx, { mentionId: input.id, label: correction.label, note: correction.note ?? null }),
    );
  if (!found) throw AppError.notFound('mention', input.id);
  return getMention({ deps, input: { id: input.id } });
}

export const FeedbackQuery = z.object({
  /** Every correction, or only the latest per mention (what retraining uses). */
  all: z.boolean().default(false),
  after: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(10_000).default(1000),
});

export type Feedback = {
  id: number;
  mentionId: number;
  text: string;
  title: string | null;
  rating: number | null;
  modelLabel: string | null;
  modelScore: number | null;
  label: string;
  note: string | null;
  createdAt: Date;
};

export async function exportFeedback({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof FeedbackQuery>;
}): Promise<{ items: Feedback[]; next: number | null }> {
  const q = parseInput(FeedbackQuery, input, 'feedback query');
  const rows = await listFeedback(deps.db, {
    latestOnly: !q.all,
    ...(q.after === undefined ? {} : { afterId: q.after }),
    limit: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((r: FeedbackRow) => ({
      id: r.id,
      mentionId: r.mention_id,
      text: r.text,
      title: r.title,
      rating: r.rating,
      modelLabel: r.model_label,
      modelScore: r.model_score,
      label: r.label,
      note: r.note,
      createdAt: r.created_at,
    })),
    next: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
