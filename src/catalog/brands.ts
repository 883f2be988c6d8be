/**
 * Brands: the names earshot watches. Domain verbs used by the API and the config file alike.
 */
import { z } from 'zod';
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
});
export type BrandInput = z.input<typeof BrandInput>;

export const BrandPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  kind: z.enum(BRAND_KINDS).optional(),
  include: z.array(Term).min(1).max(100).optional(),
  exclude: z.array(Term).max(100).optional(),
  blockedAuthors: z.array(Term).max(1000).optional(),
  blockedDomains: z.array(Domain).max(1000).optional(),
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
  createdAt: Date;
  updatedAt: Date;
};

export function toBrand(row: BrandRow): Brand {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    include: row.include_terms,
    exclude: row.exclude_terms,
    blockedAuthors: row.blocked_authors,
    blockedDomains: row.blocked_domains,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function createBrand({ deps, input }: { deps: Deps; input: unknown }): Promise<Brand> {
  const brand = parseInput(BrandInput, input, 'brand');
  const row = await conflictOnDuplicate(`a brand named "${brand.name}" already exists`, () =>
    queries.insertBrand(deps.db, {
      name: brand.name,
      kind: brand.kind,
      include_terms: brand.include ?? [brand.name],
      exclude_terms: brand.exclude,
      blocked_authors: brand.blockedAuthors,
      blocked_domains: brand.blockedDomains,
    }),
  );
  return toBrand(row);
}

export async function upsertBrand({ deps, input }: { deps: Deps; input: unknown }): Promise<Brand> {
  const brand = parseInput(BrandInput, input, 'brand');
  const row = await queries.upsertBrandByName(deps.db, {
    name: brand.name,
    kind: brand.kind,
    include_terms: brand.include ?? [brand.name],
    exclude_terms: brand.exclude,
    blocked_authors: brand.blockedAuthors,
    blocked_domains: brand.blockedDomains,
  });
  return toBrand(row);
}

export async function listBrands({ deps }: { deps: Deps }): Promise<Brand[]> {
  return (await queries.listBrands(deps.db)).map(toBrand);
}

export async function getBrand({ deps, input }: { deps: Deps; input: { id: number } }): Promise<Brand> {
  const row = await queries.getBrand(deps.db, input.id);
  if (!row) throw AppError.notFound('brand', input.id);
  return toBrand(row);
}

export async function updateBrand({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; patch: unknown };
}): Promise<Brand> {
  const patch = parseInput(BrandPatch, input.patch, 'brand');
  const row = await conflictOnDuplicate(`a brand named "${patch.name}" already exists`, () =>
    queries.updateBrand(deps.db, input.id, {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.kind === undefined ? {} : { kind: patch.kind }),
      ...(patch.include === undefined ? {} : { include_terms: patch.include }),
      ...(patch.exclude === undefined ? {} : { exclude_terms: patch.exclude }),
      ...(patch.blockedAuthors === undefined ? {} : { blocked_authors: patch.blockedAuthors }),
      ...(patch.blockedDomains === undefined ? {} : { blocked_domains: patch.blockedDomains }),
    }),
  );
  if (!row) throw AppError.notFound('brand', input.id);
  return toBrand(row);
}

export async function deleteBrand({ deps, input }: { deps: Deps; input: { id: number } }): Promise<void> {
  if (!(await deps.db.transaction().execute((tx) => queries.deleteBrand(tx, input.id)))) throw AppError.notFound('brand', input.id);
}
