/**
 * Push ingest: a batch of items from a helpdesk, an automation or a review widget, written through
 * the same path as polled items. Valid items are stored even when others in the batch are not; each
 * rejected item is reported with its index and what was wrong.
 */
import { z } from 'zod';
import { getSource, getSourceByName } from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import type { RawItem } from '../../sources/types.ts';
import type { Deps } from '../deps.ts';
import { AppError, parseInput } from '../errors.ts';
import { ingestItems } from './ingest-items.ts';

export const MAX_PUSH_ITEMS = 1000;

const Count = z.number().int().min(0).max(1e12);

/** One pushed item: the documented JSON shape of POST /api/ingest. */
export const PushItem = z.strictObject({
  /** Your id for the item; pushing the same id again is harmless (it is stored once). */
  externalId: z.string().trim().min(1).max(1000),
  text: z.string().trim().min(1).max(50_000),
  title: z.string().max(2000).nullish(),
  url: z.url({ protocol: /^https?$/ }).nullish(),
  author: z.string().max(2000).nullish(),
  publishedAt: z.iso.datetime({ offset: true }).nullish(),
  rating: z.number().min(1).max(5).nullish(),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i, 'a BCP 47 tag such as "en" or "pt-br"')
    .nullish(),
  engagement: z
    .strictObject({ likes: Count, reposts: Count, replies: Count, score: z.number(), authorFollowers: Count })
    .partial()
    .nullish(),
});
export type PushItem = z.infer<typeof PushItem>;

export const PushBatch = z.strictObject({
  /** A push source, by id or by name. */
  source: z.union([z.number().int().positive(), z.string().trim().min(1).max(200)]),
  items: z.array(z.unknown()).min(1).max(MAX_PUSH_ITEMS),
});

export type PushResult = {
  sourceId: number;
  received: number;
  matched: number;
  inserted: number;
  duplicates: number;
  syndicated: number;
  /** Valid items that name no brand (and the source is assigned to none): not stored. */
  unmatched: number;
  rejected: Array<{ index: number; externalId: string | null; message: string }>;
  insertedIds: number[];
};

export function toRawItem(item: PushItem): RawItem {
  return {
    externalId: item.externalId,
    url: item.url ?? null,
    author: item.author ?? null,
    title: item.title ?? null,
    content: item.text,
    contentType: 'text',
    publishedAt: item.publishedAt ? new Date(item.publishedAt) : null,
    rating: item.rating ?? null,
    language: item.language?.toLowerCase() ?? null,
    engagement: item.engagement ?? null,
  };
}

export async function findPushSource(deps: Deps, ref: number | string): Promise<SourceRow> {
  const source =
    typeof ref === 'number' ? await getSource(deps.db, ref) : await getSourceByName(deps.db, ref);
  if (!source) throw AppError.notFound('source', typeof ref === 'number' ? ref : `"${ref}"`);
  if (!deps.connectors.get(source.kind)?.push) {
    throw new AppError(
      'validation_failed',
      `source ${source.id} is a ${source.kind} source; items can be pushed only to a source of kind "push"`,
    );
  }
  return source;
}

/** Validates items one by one: returns the good ones as raw items and the bad ones as rejections. */
export function validatePushItems(items: readonly unknown[]): {
  raw: RawItem[];
  rejected: PushResult['rejected'];
} {
  const raw: RawItem[] = [];
  const rejected: PushResult['rejected'] = [];
  items.forEach((value, index) => {
    const parsed = PushItem.safeParse(value);
    if (parsed.success) {
      raw.push(toRawItem(parsed.data));
      return;
    }
    const externalId =
      value && typeof value === 'object' && typeof (value as { externalId?: unknown }).externalId === 'string'
        ? (value as { externalId: string }).externalId
        : null;
    const message = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`)
      .join('; ');
    rejected.push({ index, externalId, message });
  });
  return { raw, rejected };
}

export async function pushItems({ deps, input }: { deps: Deps; input: unknown }): Promise<PushResult> {
  const batch = parseInput(PushBatch, input, 'ingest batch');
  const source = await findPushSource(deps, batch.source);
  const { raw, rejected } = validatePushItems(batch.items);
  const result = await ingestItems(deps, { source, items: raw, fetchedAt: deps.now() });
  return {
    sourceId: source.id,
    received: batch.items.length,
    matched: result.matched,
    inserted: result.inserted,
    duplicates: result.duplicates,
    syndicated: result.syndicated,
    unmatched: raw.length - result.unreadable - result.matched,
    rejected,
    insertedIds: result.insertedIds,
  };
}
