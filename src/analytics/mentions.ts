/**
 * The mention feed: filters and keyset pagination (stable under inserts, cheap at any depth).
 */
import { z } from 'zod';
import { listMentions as queryMentions } from '../../db/queries/mentions.ts';
import { decodeBase64Url, encodeBase64Url } from '../base64url.ts';
import type { Deps } from '../deps.ts';
import { AppError, parseInput } from '../errors.ts';
import { SENTIMENT_LABELS } from '../types.ts';
import { InstantInput, resolveInstant } from './time.ts';

export const MentionsInput = z.object({
  brandId: z.number().int().positive().optional(),
  sourceId: z.number().int().positive().optional(),
  label: z.enum(SENTIMENT_LABELS).optional(),
  touchpoint: z.string().max(50).optional(),
  intent: z.string().max(50).optional(),
  from: InstantInput.optional(),
  to: InstantInput.optional(),
  q: z.string().trim().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

const CursorShape = z.object({ t: z.iso.datetime(), i: z.number().int().positive() });

export function encodeCursor(occurredAt: Date, id: number): string {
  return encodeBase64Url(JSON.stringify({ t: occurredAt.toISOString(), i: id }));
}

function decodeCursor(cursor: string): { occurredAt: Date; id: number } {
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
    score: number;
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
  /** The earlier mention this one repeats (the same story from another source), if any. */
  duplicateOf: number | null;
};

export async function listMentions({
  deps,
  input,
}: {
  deps: Deps;
  input: z.input<typeof MentionsInput>;
}): Promise<{ items: Mention[]; nextCursor: string | null }> {
  const q = parseInput(MentionsInput, input, 'mentions query');
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const rows = await queryMentions(deps.db, {
    brandId: q.brandId,
    sourceId: q.sourceId,
    label: q.label,
    touchpoint: q.touchpoint,
    intent: q.intent,
    from: q.from === undefined ? undefined : resolveInstant(q.from, 'UTC'),
    to: q.to === undefined ? undefined : resolveInstant(q.to, 'UTC'),
    q: q.q,
    after,
    limit: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
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
        r.sentiment_score === null || r.sentiment_label === null
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
      duplicateOf: r.duplicate_of,
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.occurred_at, last.id) : null,
  };
}
