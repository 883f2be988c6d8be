/**
 * `earshot score`: JSON lines in, JSON lines out, in input order, streaming.
 *   in:  {"id": ..., "text": "...", "rating"?: 1..5, "brandTerms"?: ["Acme", …]}
 *   out: {"id": ..., "sentiment": {"score": -1..1, "label": "..."} | null, "themes": [{"theme", "score"}],
 *         "touchpoints": [{"id", "evidence"}], "intents": [{"id", "evidence"}], "language": "en" | … | null,
 *         "reasons": [{"kind", "text", "effect"}]}
 * A bad line gets an error line with its id (when it has one) and line number; it never stops the run.
 */
import { z } from 'zod';
import type { Analyzer } from '../nlp/analyzer.ts';

const ScoreLine = z.object({
  id: z.union([z.string(), z.number()]),
  text: z.string().max(1_000_000),
  rating: z.number().min(1).max(5).nullable().optional(),
  /** The terms of the brands the text is about: not themes, and no sentiment about them. */
  brandTerms: z.array(z.string().trim().min(1).max(200)).max(100).optional(),
});

export type ScoreSummary = { lines: number; scored: number; errors: number };
type ScoreOutcome = { json: string; ok: boolean };

function idOf(value: unknown): string | number | null {
  if (value && typeof value === 'object' && 'id' in value) {
    const id = (value as { id: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') return id;
  }
  return null;
}

export function scoreLine(analyzer: Analyzer, line: string, lineNumber: number): ScoreOutcome {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    const error = { code: 'invalid_json', message: 'line is not JSON' };
    return { ok: false, json: JSON.stringify({ id: null, line: lineNumber, error }) };
  }
  const parsed = ScoreLine.safeParse(value);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    const error = { code: 'invalid_input', message };
    return { ok: false, json: JSON.stringify({ id: idOf(value), line: lineNumber, error }) };
  }
  const { id, text, rating, brandTerms } = parsed.data;
  const analysis = analyzer.analyze(text, { rating: rating ?? null, ignoreWords: brandTerms });
  return {
    ok: true,
    json: JSON.stringify({
      id,
      // null for a text that is not English: no score rather than a confident wrong one.
      sentiment: analysis.score === null ? null : { score: analysis.score, label: analysis.label },
      themes: analysis.themes,
      touchpoints: analysis.touchpoints,
      intents: analysis.intents,
      language: analysis.language,
      reasons: analysis.reasons,
    }),
  };
}

export async function scoreStream(
  analyzer: Analyzer,
  lines: AsyncIterable<string>,
  write: (chunk: string) => Promise<void> | void,
): Promise<ScoreSummary> {
  const summary: ScoreSummary = { lines: 0, scored: 0, errors: 0 };
  let buffer: string[] = [];
  for await (const raw of lines) {
    summary.lines++;
    const line = raw.trim();
    if (!line) continue;
    const outcome = scoreLine(analyzer, line, summary.lines);
    if (outcome.ok) summary.scored++;
    else summary.errors++;
    buffer.push(outcome.json);
    // Written in batches: one write per line is the slow part of a large run.
    if (buffer.length >= 256) {
      await write(`${buffer.join('\n')}\n`);
      buffer = [];
    }
  }
  if (buffer.length > 0) await write(`${buffer.join('\n')}\n`);
  return summary;
}
