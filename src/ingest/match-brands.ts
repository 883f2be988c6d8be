/**
 * Which brands an item names: any include term as a whole word (case-insensitive, Unicode-aware,
 * flexible whitespace inside multi-word terms), and no exclude term.
 */

export type BrandTerms = { id: number; include_terms: string[]; exclude_terms: string[] };
export type BrandMatch = { brandId: number; terms: string[] };
export type BrandMatcher = (text: string) => BrandMatch[];

function termPattern(term: string): string {
  const escaped = term
    .trim()
    .split(/\s+/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\s+');
  return `(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`;
}

function compile(term: string): RegExp {
  return new RegExp(termPattern(term), 'iu');
}

export function createBrandMatcher(brands: readonly BrandTerms[]): BrandMatcher {
  const compiled = brands.map((brand) => ({
    brandId: brand.id,
    include: brand.include_terms.filter((t) => t.trim()).map((term) => ({ term, re: compile(term) })),
    exclude: brand.exclude_terms.filter((t) => t.trim()).map(compile),
  }));
  return (text) => {
    const matches: BrandMatch[] = [];
    for (const brand of compiled) {
      const terms = brand.include.filter(({ re }) => re.test(text)).map(({ term }) => term);
      if (terms.length === 0) continue;
      if (brand.exclude.some((re) => re.test(text))) continue;
      matches.push({ brandId: brand.brandId, terms });
    }
    return matches;
  };
}
