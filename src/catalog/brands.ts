/**
 * Brands: the names earshot watches. Domain verbs used by the API and the config file alike.
 */
import { z } from 'zod';
import { listCompetitorIds, setCompetitors } from '../../db/queries/analytics.ts';
import type { Executor } from '../../db/queries/brands.ts';
import * as queries from '../../db/queries/brands.ts';
import type { BrandRow } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { AppError, conflictOnDuplicate, parseInput } from '../errors.ts';
import { BRAND_KINDS } from '../types.ts';

const Term = z.string().trim().min(1, 'terms must not be empty').max(200);
const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a domain name such as "example.com"');
/** A competitor by id, or by name (how the config file names them). */
const CompetitorRef = z.union([z.number().int().positive(), z.string().trim().min(1).max(200)]);
const Competitors = z.array(CompetitorRef).max(50);

export const BrandInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(BRAND_KINDS).default('own'),
  /** Whole words or phrases, any of which names the brand; defaults to the name itself. */
  include: z.array(Term).min(1).max(100).optional(),
  /** Words or phrases that rule a match out ("apple pie" for Apple). */
  exclude: z.array(Term).max(100).default([]),
  /** Authors whose items never count for this brand (its own accounts, spam bots). */
  blockedAuthors: z.array(Term).max(1000).default([]),
  /** Domains (and their subdomains) whose items never count for this brand. */
  blockedDomains: z.array(Domain).max(1000).default([]),
  /** The brand's competitor panel (other brands, by id or name), compared in analytics. */
  competitors: Competitors.optional(),
});
export type BrandInput = z.input<typeof BrandInput>;

export const BrandPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  kind: z.enum(BRAND_KINDS).optional(),
  include: z.array(Term).min(1).max(100).optional(),
  exclude: z.array(Term).max(100).optional(),
  blockedAuthors: z.array(Term).max(1000).optional(),
  blockedDomains: z.array(Domain).max(1000).optional(),
  competitors: Competitors.optional(),
});
export type BrandPatch = z.input<typeof BrandPatch>;

export type Brand = {
  id: number;
  name: string;
  kind: BrandRow['kind'];
  include: string[];
  exclude: string[];
  blockedAuthors: string[];
  blockedDomains: string[];
  /** Ids of the brands in its competitor panel. */
  competitors: number[];
  createdAt: Date;
  updatedAt: Date;
};

export function toBrand(row: BrandRow, competitors: number[]): Brand {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    include: row.include_terms,
    exclude: row.exclude_terms,
    blockedAuthors: row.blocked_authors,
    blockedDomains: row.blocked_domains,
    competitors,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Brand ids for competitor references (ids or names); a clear error for unknown ones or the brand itself. */
async function resolveCompetitors(
  db: Executor,
  brandId: number,
  refs: ReadonlyArray<number | string>,
): Promise<number[]> {
  const rows = await queries.listBrands(db);
  const ids = new Set<number>();
  for (const ref of refs) {
    const row = rows.find((b) => (typeof ref === 'number' ? b.id === ref : b.name === ref));
    if (!row)
      throw new AppError('validation_failed', `competitor ${JSON.stringify(ref)} is not a known brand`);
    if (row.id === brandId) throw new AppError('validation_failed', 'a brand cannot be its own competitor');
    ids.add(row.id);
  }
  return [...ids].sort((a, b) => a - b);
}

async function withCompetitors(
  db: Executor,
  row: BrandRow,
  refs: ReadonlyArray<number | string> | undefined,
): Promise<Brand> {
  if (refs !== undefined) await setCompetitors(db, row.id, await resolveCompetitors(db, row.id, refs));
  return toBrand(row, await listCompetitorIds(db, row.id));
}

function rowValues(brand: z.output<typeof BrandInput>) {
  return {
    name: brand.name,
    kind: brand.kind,
    include_terms: brand.include ?? [brand.name],
    exclude_terms: brand.exclude,
    blocked_authors: brand.blockedAuthors,
    blocked_domains: brand.blockedDomains,
  };
}

export async function createBrand({ deps, input }: { deps: Deps; input: unknown }): Promise<Brand> {
  const brand = parseInput(BrandInput, input, 'brand');
  return conflictOnDuplicate(`a brand named "${brand.name}" already exists`, () =>
    deps.db.transaction().execute(async (tx) => {
      const row = await queries.insertBrand(tx, rowValues(brand));
      return withCompetitors(tx, row, brand.competitors);
    }),
  );
}

/**
 * Insert or update by name (the config file). Competitors named here must exist already: the config
 * file upserts every brand first (`competitors: false`), then links them.
 */
export async function upsertBrand({
  deps,
  input,
  competitors = true,
}: {
  deps: Deps;
  input: unknown;
  competitors?: boolean;
}): Promise<Brand> {
  const brand = parseInput(BrandInput, input, 'brand');
  const row = await queries.upsertBrandByName(deps.db, rowValues(brand));
  return withCompetitors(deps.db, row, competitors ? brand.competitors : undefined);
}

export async function listBrands({ deps }: { deps: Deps }): Promise<Brand[]> {
  const [rows, links] = await Promise.all([
    queries.listBrands(deps.db),
    deps.db.selectFrom('brand_competitors').selectAll().orderBy('competitor_id').execute(),
  ]);
  return rows.map((row) =>
    toBrand(
      row,
      links.filter((l) => l.brand_id === row.id).map((l) => l.competitor_id),
    ),
  );
}

export async function getBrand({ deps, input }: { deps: Deps; input: { id: number } }): Promise<Brand> {
  const row = await queries.getBrand(deps.db, input.id);
  if (!row) throw AppError.notFound('brand', input.id);
  return toBrand(row, await listCompetitorIds(deps.db, row.id));
}

export async function updateBrand({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; patch: unknown };
}): Promise<Brand> {
  const patch = parseInput(BrandPatch, input.patch, 'brand');
  return conflictOnDuplicate(`a brand named "${patch.name}" already exists`, () =>
    deps.db.transaction().execute(async (tx) => {
      const row = await queries.updateBrand(tx, input.id, {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.kind === undefined ? {} : { kind: patch.kind }),
        ...(patch.include === undefined ? {} : { include_terms: patch.include }),
        ...(patch.exclude === undefined ? {} : { exclude_terms: patch.exclude }),
        ...(patch.blockedAuthors === undefined ? {} : { blocked_authors: patch.blockedAuthors }),
        ...(patch.blockedDomains === undefined ? {} : { blocked_domains: patch.blockedDomains }),
      });
      if (!row) throw AppError.notFound('brand', input.id);
      return withCompetitors(tx, row, patch.competitors);
    }),
  );
}

export async function deleteBrand({ deps, input }: { deps: Deps; input: { id: number } }): Promise<void> {
  const deleted = await deps.db.transaction().execute((tx) => queries.deleteBrand(tx, input.id));
  if (!deleted) throw AppError.notFound('brand', input.id);
}
