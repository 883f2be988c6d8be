/**
 * What every analytics verb shares: the range and filter inputs, the brand and panel lookups, and
 * the choice between rollups and raw mentions.
 */
import { z } from 'zod';
import {
  type AlignedRange,
  alignRange,
  type FactSource,
  type KeySums,
  keySums,
  type TrendUnit,
} from '../../db/queries/analytics.ts';
import { getBrand } from '../../db/queries/brands.ts';
import type { RollupDim } from '../../db/queries/rollups.ts';
import type { BrandRow } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import {
  DAY_MS,
  HOUR_MS,
  hasWholeHourOffsets,
  InstantInput,
  isUtcAllYear,
  isWholeHourRange,
  resolveInstant,
  zoneOffsetMs,
} from './time.ts';

const FilterValue = z.string().trim().min(1).max(100);

/** Filters every analytics verb takes: source kind, touchpoint, theme, language. */
export const FilterFields = {
  source: FilterValue.optional(),
  touchpoint: FilterValue.optional(),
  theme: FilterValue.optional(),
  language: FilterValue.optional(),
};
export type Filters = { source?: string; touchpoint?: string; theme?: string; language?: string };

export const RangeFields = {
  brandId: z.number().int().positive(),
  from: InstantInput.optional(),
  to: InstantInput.optional(),
  timeZone: z.string().default('UTC'),
};

/** [from, to) from the input, in the request's time zone; the last 30 days by default. */
export function resolveRange(
  input: { from?: string | Date; to?: string | Date; timeZone: string },
  ctx: z.RefinementCtx,
  defaultDays = 30,
): { from: Date; to: Date } {
  const to = input.to === undefined ? new Date() : resolveInstant(input.to, input.timeZone);
  const from =
    input.from === undefined
      ? new Date(to.getTime() - defaultDays * DAY_MS)
      : resolveInstant(input.from, input.timeZone);
  if (!(from < to)) ctx.addIssue({ code: 'custom', path: ['from'], message: '"from" must be before "to"' });
  return { from, to };
}

async function requireBrand(deps: Deps, brandId: number): Promise<BrandRow> {
  const brand = await getBrand(deps.db, brandId);
  if (!brand) throw AppError.notFound('brand', brandId);
  return brand;
}

/**
 * `work` run while the brand is looked up, rather than after (one round trip less on every call);
 * a brand that does not exist still answers 404, whatever `work` found.
 */
export async function withBrand<T>(deps: Deps, brandId: number, work: () => Promise<T>): Promise<T> {
  const [, result] = await Promise.all([requireBrand(deps, brandId), work()]);
  return result;
}

/** A brand and its competitors, the brand first (one query). */
export async function requirePanel(deps: Deps, brandId: number): Promise<BrandRow[]> {
  const rows = await deps.db
    .selectFrom('brands')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('id', '=', brandId),
        eb(
          'id',
          'in',
          eb.selectFrom('brand_competitors').select('competitor_id').where('brand_id', '=', brandId),
        ),
      ]),
    )
    .orderBy('id')
    .execute();
  const brand = rows.find((b) => b.id === brandId);
  if (!brand) throw AppError.notFound('brand', brandId);
  return [brand, ...rows.filter((b) => b.id !== brandId)];
}

/** A range widened to whole buckets (hours for figures without buckets) and its previous period. */
/** Whether an offset is a whole number of hours (and a real one: at most a day either way). */
function isWholeHourOffset(at: Date, timeZone: string): boolean {
  const offset = zoneOffsetMs(at.getTime(), timeZone);
  return offset % HOUR_MS === 0 && Math.abs(offset) <= DAY_MS;
}

/**
 * `alignRange` for hour buckets without a round trip, when the zone's offset at both ends is a whole
 * number of hours: the local minutes and seconds are then the UTC ones, so local hours start on UTC
 * hours. Undefined otherwise (Asia/Kolkata, Lord Howe in winter), for the database to work out.
 */
export function alignWholeHours(q: { timeZone: string; from: Date; to: Date }): AlignedRange | undefined {
  if (!isWholeHourOffset(q.from, q.timeZone) || !isWholeHourOffset(q.to, q.timeZone)) return undefined;
  const from = Math.floor(q.from.getTime() / HOUR_MS) * HOUR_MS;
  const floorTo = Math.floor(q.to.getTime() / HOUR_MS) * HOUR_MS;
  const to = floorTo < q.to.getTime() ? floorTo + HOUR_MS : floorTo;
  const buckets = (to - from) / HOUR_MS;
  return {
    from: new Date(from),
    to: new Date(to),
    buckets,
    previousFrom: new Date(from - buckets * HOUR_MS),
  };
}

export async function alignedRange(
  deps: Deps,
  q: { unit: TrendUnit; timeZone: string; from: Date; to: Date },
) {
  const range = (q.unit === 'hour' ? alignWholeHours(q) : undefined) ?? (await alignRange(deps.db, q));
  // Rollups hold UTC hours: they answer when every bucket edge is a whole UTC hour.
  const rollups = hasWholeHourOffsets(q.timeZone) && isWholeHourRange(range.previousFrom, range.to);
  return { ...range, rollups, dailyBuckets: isUtcAllYear(q.timeZone) };
}

/** The previous period's sums of the keys in `current`, by key. */
export async function previousByKey(
  deps: Deps,
  q: { brandIds: readonly number[]; source: FactSource; range: { previousFrom: Date; from: Date } },
  current: readonly KeySums[],
): Promise<Map<string, KeySums>> {
  const rows = await keySums(deps.db, {
    brandIds: q.brandIds,
    source: q.source,
    from: q.range.previousFrom,
    to: q.range.from,
    keys: current.map((r) => r.key),
  });
  return new Map(rows.map((r) => [r.key, r]));
}

const FILTER_DIMS = [
  ['source', 'source'],
  ['touchpoint', 'touchpoint'],
  ['theme', 'theme'],
  ['language', 'language'],
] as const satisfies ReadonlyArray<readonly [keyof Filters, RollupDim]>;

/**
 * Where the facts for a `dim` breakdown under `filters` come from: the rollups when they can answer
 * (no filter, or one filter on the "all" dimension), otherwise the raw mentions. A theme filter on
 * the "all" dimension reads the theme's own facts, so its aspect sentiment comes along.
 */
export function chooseSource(dim: RollupDim, filters: Filters, rollups: boolean): FactSource {
  let base = dim;
  if (dim === 'all' && filters.theme !== undefined) base = 'theme';
  const set = FILTER_DIMS.filter(([name]) => filters[name] !== undefined);
  if (rollups) {
    if (set.length === 0) return { kind: 'rollup', dim: base };
    const [only] = set;
    if (set.length === 1 && only && dim === 'all') {
      return { kind: 'rollup', dim: only[1], key: filters[only[0]] as string };
    }
  }
  return {
    kind: 'raw',
    dim: base,
    where: {
      sourceKinds: filters.source === undefined ? undefined : [filters.source],
      touchpoint: filters.touchpoint,
      theme: filters.theme,
      language: filters.language,
    },
  };
}

export function filtersOf(input: Filters): Filters {
  const out: Filters = {};
  for (const [name] of FILTER_DIMS) if (input[name] !== undefined) out[name] = input[name];
  return out;
}
