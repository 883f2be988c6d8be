/**
 * Syndication: the same story reaches us from several sources (a press release on ten news sites, a
 * post cross-posted). Two signals link a copy to its first mention: the same canonical URL, or
 * near-identical text (SimHash of word shingles within a few bits).
 */

import type { SyndicationCandidate } from '../../db/queries/mentions.ts';

const TRACKING_PARAMS = /^(utm_|fbclid$|gclid$|mc_cid$|mc_eid$|ref$|ref_src$|cmpid$|ocid$|igshid$|si$)/i;

/** The URL two copies of one page share: no tracking parameters, fragment, `www.` or trailing slash. */
export function canonicalUrl(url: string | null): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  const params = [...parsed.searchParams.entries()]
    .filter(([key]) => !TRACKING_PARAMS.test(key))
    .sort(([a], [b]) => a.localeCompare(b));
  const query = params.length > 0 ? `?${new URLSearchParams(params).toString()}` : '';
  const host = parsed.hostname.toLowerCase().replace(/^www\./, '');
  const port = parsed.port ? `:${parsed.port}` : '';
  const path = parsed.pathname.replace(/\/+$/, '') || '/';
  return `https://${host}${port}${path}${query}`;
}

/** Texts shorter than this have too few shingles for SimHash to tell copies from chance. */
export const MIN_SIMHASH_WORDS = 12;
/**
 * Bits two SimHashes may differ by and still be the same text. Two unrelated texts differ in about
 * 24 of 48 bits (σ ≈ 3.5), so 6 is far from chance, and a copy with a sentence added still fits.
 */
export const SIMHASH_MAX_DISTANCE = 6;
const BITS = 48; // fits a JS number exactly, and a PostgreSQL bigint

function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * A 48-bit SimHash over word 3-shingles of the text (case, punctuation and links ignored), or null
 * for texts too short to fingerprint.
 */
export function simhash(text: string): number | null {
  const words = text
    .toLowerCase()
    .replace(/https?:\/\/\S+/g, ' ')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  if (words.length < MIN_SIMHASH_WORDS) return null;
  // Per bit: shingles with it set minus shingles without it.
  const weights = new Int32Array(BITS);
  for (let i = 0; i + 3 <= words.length; i++) {
    const shingle = `${words[i]} ${words[i + 1]} ${words[i + 2]}`;
    const low = fnv1a(shingle, 0x811c9dc5); // 32 bits
    const high = fnv1a(shingle, 0x9747b28c) & 0xffff; // 16 more bits
    for (let bit = 0; bit < 32; bit++) weights[bit] = (weights[bit] as number) + ((low >>> bit) & 1) * 2 - 1;
    for (let bit = 0; bit < 16; bit++) {
      weights[32 + bit] = (weights[32 + bit] as number) + ((high >>> bit) & 1) * 2 - 1;
    }
  }
  let value = 0;
  for (let bit = BITS - 1; bit >= 0; bit--) value = value * 2 + ((weights[bit] as number) > 0 ? 1 : 0);
  return value;
}

export function hammingDistance(a: number, b: number): number {
  let distance = 0;
  let x = a;
  let y = b;
  for (let bit = 0; bit < BITS; bit++) {
    if (x % 2 !== y % 2) distance++;
    x = Math.floor(x / 2);
    y = Math.floor(y / 2);
  }
  return distance;
}

/**
 * Which new mentions are copies, and of what: taken in id order, each links to the lowest-id
 * candidate with the same URL, else the lowest-id one with near-identical text, never to a mention
 * that is itself a copy (candidates come from mentions not marked as copies, so only the ones
 * linked in this same pass are left out here). Answers copy id → original id.
 */
export function resolveSyndication(
  newIds: readonly number[],
  candidates: readonly SyndicationCandidate[],
): Map<number, number> {
  const byCopy = new Map<number, SyndicationCandidate[]>();
  for (const c of candidates) {
    if (c.originalId >= c.copyId) continue;
    const list = byCopy.get(c.copyId);
    if (list) list.push(c);
    else byCopy.set(c.copyId, [c]);
  }
  const originals = new Map<number, number>();
  for (const id of [...newIds].sort((a, b) => a - b)) {
    const usable = (byCopy.get(id) ?? []).filter((c) => !originals.has(c.originalId));
    const lowest = (list: SyndicationCandidate[]) =>
      list.reduce<number | undefined>(
        (min, c) => (min === undefined || c.originalId < min ? c.originalId : min),
        undefined,
      );
    const original = lowest(usable.filter((c) => c.byUrl)) ?? lowest(usable.filter((c) => !c.byUrl));
    if (original !== undefined) originals.set(id, original);
  }
  return originals;
}
