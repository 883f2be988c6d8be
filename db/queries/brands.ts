import type { Kysely, Transaction } from 'kysely';
import type { BrandRow, BrandUpdate, Database, NewBrandRow } from '../schema.ts';

export type Executor = Kysely<Database> | Transaction<Database>;

export function listBrands(db: Executor): Promise<BrandRow[]> {
  return db.selectFrom('brands').selectAll().orderBy('id').execute();
}

export function getBrand(db: Executor, id: number): Promise<BrandRow | undefined> {
  return db.selectFrom('brands').selectAll().where('id', '=', id).executeTakeFirst();
}

export function insertBrand(db: Executor, brand: NewBrandRow): Promise<BrandRow> {
  return db.insertInto('brands').values(brand).returningAll().executeTakeFirstOrThrow();
}

export function updateBrand(db: Executor, id: number, patch: BrandUpdate): Promise<BrandRow | undefined> {
  return db
    .updateTable('brands')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteBrand(db: Executor, id: number): Promise<boolean> {
  // Its own rollup rows go with it (foreign key); other brands' head-to-head rows against it go here.
  for (const table of ['rollup_hourly', 'rollup_daily', 'rollup_weekly'] as const) {
    await db.deleteFrom(table).where('dim', '=', 'versus').where('key', '=', String(id)).execute();
  }
  const result = await db.deleteFrom('brands').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Insert or update by name: how the config file is applied idempotently. */
export function upsertBrandByName(db: Executor, brand: NewBrandRow): Promise<BrandRow> {
  return db
    .insertInto('brands')
    .values(brand)
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        kind: eb.ref('excluded.kind'),
        include_terms: eb.ref('excluded.include_terms'),
        exclude_terms: eb.ref('excluded.exclude_terms'),
        blocked_authors: eb.ref('excluded.blocked_authors'),
        blocked_domains: eb.ref('excluded.blocked_domains'),
        updated_at: new Date(),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}
