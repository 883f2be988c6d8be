/**
 * A brand's terms as patterns: what a mention must name to be the brand's (src/ingest/match-brands.ts)
 * and what language detection leaves out (a name is no evidence of a language).
 */

/** A brand term as a pattern: whole words, case-insensitive unless quoted ("Apple"). */
export function termPattern(rawTerm: string): RegExp {
  const trimmed = rawTerm.trim();
  const exact = trimmed.length > 2 && trimmed.startsWith('"') && trimmed.endsWith('"');
  const term = exact ? trimmed.slice(1, -1).trim() : trimmed;
  const escaped = term
    .split(/\s+/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, exact ? 'u' : 'iu');
}
