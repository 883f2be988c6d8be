/**
 * Which brands an item names: any include term as a whole word (case-insensitive, Unicode-aware,
 * flexible whitespace inside multi-word terms), and no exclude term. A term in double quotes
 * ("Apple") matches only with exactly that case. Per brand, blocked authors and domains (spam, the
 * brand's own accounts) rule an item out. Upstream search is fuzzy, so every fetched item is
 * checked here whatever the upstream claimed.
 */

import { termPattern } from '../nlp/brand-terms.ts';

export type BrandTerms = {
  id: number;
  include_terms: string[];
  exclude_terms: string[];
  blocked_authors?: string[];
  blocked_domains?: string[];
};
export type BrandMatch = { brandId: number; terms: string[] };
export type MatchContext = { author?: string | null; url?: string | null };
export type BrandMatcher = (text: string, context?: MatchContext) => BrandMatch[];

/** "@Name", "u/name", "name@host" → "name" for comparison; case-insensitive. */
function authorKey(author: string): string {
  return author
    .trim()
    .toLowerCase()
    .replace(/^(@|u\/|\/u\/)/, '');
}

function hostOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return null;
  }
}

/** A blocked domain blocks itself and its subdomains. */
function domainBlocked(host: string, blocked: readonly string[]): boolean {
  return blocked.some((domain) => host === domain || host.endsWith(`.${domain}`));
}

export function createBrandMatcher(brands: readonly BrandTerms[]): BrandMatcher {
  const compiled = brands.map((brand) => ({
    brandId: brand.id,
    include: brand.include_terms.filter((t) => t.trim()).map((term) => ({ term, re: termPattern(term) })),
    exclude: brand.exclude_terms.filter((t) => t.trim()).map(termPattern),
    blockedAuthors: new Set((brand.blocked_authors ?? []).map(authorKey).filter(Boolean)),
    blockedDomains: (brand.blocked_domains ?? [])
      .map((d) =>
        d
          .trim()
          .toLowerCase()
          .replace(/^www\./, ''),
      )
      .filter(Boolean),
  }));
  return (text, context = {}) => {
    const author = context.author ? authorKey(context.author) : null;
    const host = hostOf(context.url);
    const matches: BrandMatch[] = [];
    for (const brand of compiled) {
      const terms = brand.include.filter(({ re }) => re.test(text)).map(({ term }) => term);
      if (terms.length === 0) continue;
      if (brand.exclude.some((re) => re.test(text))) continue;
      if (author && brand.blockedAuthors.has(author)) continue;
      if (host && domainBlocked(host, brand.blockedDomains)) continue;
      matches.push({ brandId: brand.brandId, terms });
    }
    return matches;
  };
}
