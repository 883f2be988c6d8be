/**
 * `earshot import <file.csv> --source <name|id>`: review exports (app stores, Trustpilot, helpdesks)
 * into a push source, through the same write path as everything else. Columns are found by their
 * usual names or mapped with --map; each row is validated like a pushed item; re-importing the same
 * file stores nothing twice. A progress bar shows on a terminal; a summary ends the run.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { parseFeedDate } from '../../sources/dates.ts';
import type { RawItem } from '../../sources/types.ts';
import { createSource } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { ingestItems } from '../ingest/ingest-items.ts';
import { findPushSource, validatePushItems } from '../ingest/push-items.ts';

export const IMPORT_FIELDS = [
  'externalId',
  'text',
  'title',
  'rating',
  'author',
  'publishedAt',
  'url',
  'language',
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

/** Header names (lowercased, without spaces, dashes or underscores) recognised for each field. */
const ALIASES: Record<ImportField, string[]> = {
  externalId: ['id', 'externalid', 'reviewid', 'ticketid', 'commentid', 'postid', 'guid'],
  text: ['text', 'review', 'reviewtext', 'body', 'content', 'comment', 'message', 'description', 'feedback'],
  title: ['title', 'subject', 'headline', 'reviewtitle', 'summary'],
  rating: ['rating', 'stars', 'starrating', 'score', 'reviewrating'],
  author: ['author', 'reviewer', 'user', 'username', 'name', 'customer', 'reviewername', 'nickname'],
  publishedAt: [
    'date',
    'publishedat',
    'published',
    'createdat',
    'created',
    'reviewdate',
    'time',
    'timestamp',
    'submittedat',
  ],
  url: ['url', 'link', 'permalink', 'reviewurl'],
  language: ['language', 'lang', 'locale'],
};

const BATCH = 500;

export type ImportOptions = {
  file: string;
  source: string;
  /** Explicit field → column header mapping; overrides detection. */
  map?: Partial<Record<ImportField, string>>;
  progress?: (fraction: number, rows: number) => void;
};

export type ImportSummary = {
  sourceId: number;
  createdSource: boolean;
  rowsRead: number;
  inserted: number;
  duplicates: number;
  unmatched: number;
  syndicated: number;
  rejected: Array<{ line: number; message: string }>;
};

function key(header: string): string {
  return header.toLowerCase().replace(/[\s_-]+/g, '');
}

export function detectColumns(
  headers: readonly string[],
  map: ImportOptions['map'] = {},
): Partial<Record<ImportField, string>> {
  const columns: Partial<Record<ImportField, string>> = {};
  for (const field of IMPORT_FIELDS) {
    const explicit = map[field];
    if (explicit !== undefined) {
      if (!headers.includes(explicit))
        throw new Error(`--map ${field}=${explicit}: no column "${explicit}" in the file`);
      columns[field] = explicit;
      continue;
    }
    const found = headers.find((h) => ALIASES[field].includes(key(h)));
    if (found) columns[field] = found;
  }
  if (!columns.text) {
    throw new Error(
      `no text column found (looked for ${ALIASES.text.join(', ')}); name one with --map text=<column>`,
    );
  }
  return columns;
}

/** "4", "4.0", "4/5", "4 stars", "★★★★" → 4; anything else → undefined (and the row is rejected if set). */
export function parseRating(value: string): number | undefined | null {
  const trimmed = value.trim();
  if (!trimmed) return null;
  const stars = trimmed.match(/★/g)?.length;
  if (stars) return stars;
  const match = /^(\d+(?:[.,]\d+)?)(?:\s*(?:\/\s*5|stars?|out of 5))?$/i.exec(trimmed);
  return match?.[1] ? Number(match[1].replace(',', '.')) : undefined;
}

/** The pushed-item shape of one row, or what makes the row unreadable. */
function rowToItem(
  row: Record<string, string>,
  columns: Partial<Record<ImportField, string>>,
): { item: Record<string, unknown>; problems: string[] } {
  const get = (field: ImportField) => {
    const column = columns[field];
    const value = column === undefined ? undefined : row[column]?.trim();
    return value === '' ? undefined : value;
  };
  const text = get('text');
  const rating = get('rating');
  const published = get('publishedAt');
  const publishedAt = published === undefined ? undefined : parseFeedDate(published)?.toISOString();
  const item: Record<string, unknown> = {
    // Without an id column, the row's content is its identity: importing the same file twice stores nothing twice.
    externalId:
      get('externalId') ??
      `csv:${createHash('sha256')
        .update(JSON.stringify([text, get('author'), published, get('title')]))
        .digest('hex')
        .slice(0, 32)}`,
    text,
    title: get('title'),
    author: get('author'),
    url: get('url'),
    language: get('language'),
  };
  const problems: string[] = [];
  if (rating !== undefined) {
    const stars = parseRating(rating);
    if (stars === undefined) problems.push(`rating: "${rating}" is not a star rating`);
    else item.rating = stars;
  }
  if (published !== undefined) {
    if (publishedAt === undefined) problems.push(`date: "${published}" is not a date`);
    else item.publishedAt = publishedAt;
  }
  for (const [k, v] of Object.entries(item)) if (v === undefined) delete item[k];
  return { item, problems };
}

async function resolveSource(deps: Deps, ref: string): Promise<{ id: number; created: boolean }> {
  const asId = /^\d+$/.test(ref) ? Number(ref) : undefined;
  try {
    return { id: (await findPushSource(deps, asId ?? ref)).id, created: false };
  } catch (error) {
    if ((error as { code?: string }).code !== 'not_found' || asId !== undefined) throw error;
  }
  const created = await createSource({
    deps,
    input: { name: ref, kind: 'push', options: { description: 'CSV import' } },
  });
  return { id: created.id, created: true };
}

export async function importCsv(deps: Deps, options: ImportOptions): Promise<ImportSummary> {
  const size = statSync(options.file).size;
  const { id: sourceId, created } = await resolveSource(deps, options.source);
  const summary: ImportSummary = {
    sourceId,
    createdSource: created,
    rowsRead: 0,
    inserted: 0,
    duplicates: 0,
    unmatched: 0,
    syndicated: 0,
    rejected: [],
  };
  const stream = createReadStream(options.file);
  const parser = stream.pipe(
    parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: false,
      info: true,
    }),
  );
  let columns: Partial<Record<ImportField, string>> | undefined;
  let batch: Array<{ line: number; value: Record<string, unknown> }> = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const { raw, rejected } = validatePushItems(batch.map((b) => b.value));
    for (const r of rejected) summary.rejected.push({ line: batch[r.index]?.line ?? 0, message: r.message });
    summary.rejected.sort((a, b) => a.line - b.line);
    const source = await findPushSource(deps, sourceId);
    const result = await ingestItems(deps, { source, items: raw as RawItem[], fetchedAt: deps.now() });
    summary.inserted += result.inserted;
    summary.duplicates += result.duplicates;
    summary.syndicated += result.syndicated;
    summary.unmatched += raw.length - result.unreadable - result.matched;
    batch = [];
  };

  for await (const record of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    columns ??= detectColumns(Object.keys(record.record), options.map);
    summary.rowsRead++;
    const { item, problems } = rowToItem(record.record, columns);
    if (problems.length > 0) summary.rejected.push({ line: record.info.lines, message: problems.join('; ') });
    else batch.push({ line: record.info.lines, value: item });
    if (batch.length >= BATCH) {
      await flush();
      options.progress?.(size > 0 ? stream.bytesRead / size : 1, summary.rowsRead);
    }
  }
  await flush();
  options.progress?.(1, summary.rowsRead);
  return summary;
}

/** A one-line progress bar for a terminal. */
export function progressBar(write: (s: string) => void): (fraction: number, rows: number) => void {
  return (fraction, rows) => {
    const width = 30;
    const filled = Math.round(Math.min(1, fraction) * width);
    write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${rows} rows`,
    );
  };
}

export function formatSummary(summary: ImportSummary, maxRejections = 50): string {
  const lines = [
    `source ${summary.sourceId}${summary.createdSource ? ' (created, kind push)' : ''}`,
    `rows read:  ${summary.rowsRead}`,
    `inserted:   ${summary.inserted}`,
    `duplicates: ${summary.duplicates}`,
    `unmatched:  ${summary.unmatched} (name no brand; assign the source to brands to keep them)`,
    `rejected:   ${summary.rejected.length}`,
  ];
  if (summary.syndicated > 0) lines.push(`linked as copies of earlier mentions: ${summary.syndicated}`);
  for (const r of summary.rejected.slice(0, maxRejections)) lines.push(`  line ${r.line}: ${r.message}`);
  if (summary.rejected.length > maxRejections)
    lines.push(`  … and ${summary.rejected.length - maxRejections} more`);
  return `${lines.join('\n')}\n`;
}
