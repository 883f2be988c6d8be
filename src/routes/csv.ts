/**
 * CSV for every analytics list and series: asked for with `?format=csv` or `Accept: text/csv`,
 * streamed row by row, UTF-8, RFC 4180 quoting, with a header row even when there are no rows.
 *
 * Mention text is hostile: a field is quoted when it holds a comma, quote, CR or LF (quotes doubled),
 * and a text field starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so a spreadsheet
 * shows it instead of running it as a formula (CSV injection). Numbers are written as they are.
 */
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { z } from 'zod';

/** The `format` query parameter every list and series accepts. */
export const FormatField = { format: z.enum(['json', 'csv']).optional() };

export function wantsCsv(c: Context, format: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  const accept = c.req.header('accept') ?? '';
  return /(^|,)\s*text\/csv\b/i.test(accept) && !/(^|,)\s*application\/json\b/i.test(accept);
}

/** A column: a dotted path into each row ("previous.volume"); its header is the path in snake_case. */
export type Columns = readonly string[];

function header(path: string): string {
  return path.replace(/\./g, '_').replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
}

function valueAt(row: unknown, path: string): unknown {
  let value: unknown = row;
  for (const part of path.split('.')) {
    if (value === null || value === undefined || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return value.toISOString();
  let text = Array.isArray(value)
    ? value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(';')
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(columns: Columns, row: unknown): string {
  return `${columns.map((path) => csvField(valueAt(row, path))).join(',')}\r\n`;
}

/** Streams rows (from an array or an async source, paged by the caller) as a CSV download. */
export function csvResponse(
  c: Context,
  filename: string,
  columns: Columns,
  rows: Iterable<unknown> | AsyncIterable<unknown>,
): Response {
  c.header('content-type', 'text/csv; charset=utf-8');
  c.header('content-disposition', `attachment; filename="${filename}.csv"`);
  return stream(c, async (out) => {
    await out.write(`${columns.map(header).join(',')}\r\n`);
    let chunk = '';
    for await (const row of rows) {
      chunk += csvLine(columns, row);
      if (chunk.length >= 64 * 1024) {
        await out.write(chunk);
        chunk = '';
      }
    }
    if (chunk) await out.write(chunk);
  });
}
