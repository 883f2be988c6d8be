/**
 * Sources: the upstreams earshot polls. Options are validated by the connector of the source's kind.
 */
import { z } from 'zod';
import { listBrands as listBrandRows } from '../../db/queries/brands.ts';
import * as queries from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import type { SourceErrorClass } from '../../sources/http.ts';
import type { Deps } from '../deps.ts';
import { AppError, conflictOnDuplicate, parseInput } from '../errors.ts';
import { isSealed, MASKED, SECRET_FIELD, sealSecretFields } from '../secrets.ts';
import type { Json } from '../types.ts';

export const MIN_POLL_INTERVAL_SECONDS = 60;
export const DEFAULT_POLL_INTERVAL_SECONDS = 900;

const PollInterval = z
  .number()
  .int()
  .min(MIN_POLL_INTERVAL_SECONDS)
  .max(7 * 24 * 3600);

/** Brands by id or name. */
const BrandRefs = z.array(z.union([z.number().int().positive(), z.string().trim().min(1).max(200)])).max(100);

export const SourceInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.string().trim().min(1).max(50),
  options: z.record(z.string(), z.unknown()),
  enabled: z.boolean().default(true),
  pollIntervalSeconds: PollInterval.default(DEFAULT_POLL_INTERVAL_SECONDS),
  /** Brands every item of this source is about, named or not (reviews of our own app, say). */
  brands: BrandRefs.default([]),
});
export type SourceInput = z.input<typeof SourceInput>;

export const SourcePatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean().optional(),
  pollIntervalSeconds: PollInterval.optional(),
  brands: BrandRefs.optional(),
});

/** Consecutive failures from which a source counts as failing rather than degraded. */
export const FAILING_AFTER = 3;

export type SourceHealth = {
  /**
   * new: never polled; ok: last poll worked; degraded: the last poll(s) failed; failing: at least
   * FAILING_AFTER polls in a row failed; disabled: not polled; push: receives items, never polled.
   */
  status: 'new' | 'ok' | 'degraded' | 'failing' | 'disabled' | 'push';
  lastPolledAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorStatus: number | null;
  lastErrorKind: SourceErrorClass | null;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
  nextPollAt: Date | null;
  /** Partial failures of the last poll that still succeeded (one Mastodon instance down, say). */
  warnings: string[];
};

export type Source = {
  id: number;
  name: string;
  kind: string;
  options: Json;
  enabled: boolean;
  pollIntervalSeconds: number;
  brandIds: number[];
  health: SourceHealth;
  createdAt: Date;
  updatedAt: Date;
};

/** Connectors keep partial failures in their cursor as `warnings` (strings). */
function warningsOf(cursor: Json | null): string[] {
  if (!cursor || typeof cursor !== 'object' || Array.isArray(cursor)) return [];
  const warnings = cursor.warnings;
  return Array.isArray(warnings)
    ? warnings.filter((w): w is string => typeof w === 'string').slice(0, 20)
    : [];
}

/** A source's health status from the few fields it depends on (also what the metrics count). */
export function sourceStatus(
  state: { enabled: boolean; consecutiveFailures: number; succeeded: boolean },
  push: boolean,
): SourceHealth['status'] {
  if (push) return 'push';
  if (!state.enabled) return 'disabled';
  if (state.consecutiveFailures >= FAILING_AFTER) return 'failing';
  if (state.consecutiveFailures > 0) return 'degraded';
  return state.succeeded ? 'ok' : 'new';
}

export function healthOf(row: SourceRow, push: boolean): SourceHealth {
  const status = sourceStatus(
    {
      enabled: row.enabled,
      consecutiveFailures: row.consecutive_failures,
      succeeded: row.last_success_at !== null,
    },
    push,
  );
  return {
    status,
    lastPolledAt: row.last_polled_at,
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    lastErrorStatus: row.last_error_status,
    lastErrorKind: row.last_error_kind as SourceErrorClass | null,
    lastErrorAt: row.last_error_at,
    consecutiveFailures: row.consecutive_failures,
    nextPollAt: push || !row.enabled ? null : row.next_poll_at,
    warnings: warningsOf(row.cursor),
  };
}

/**
 * Options as the API shows them: credentials written inline are masked (an `{"env": NAME}`
 * reference is shown, it holds no secret).
 */
export function redactOptions(options: Json): Json {
  if (Array.isArray(options)) return options.map(redactOptions);
  if (options === null || typeof options !== 'object') return options;
  return Object.fromEntries(
    Object.entries(options).map(([key, value]) => [
      key,
      SECRET_FIELD.test(key) && (typeof value === 'string' || isSealed(value))
        ? MASKED
        : redactOptions(value),
    ]),
  );
}

/** Credentials written inline are encrypted before they are stored (the fields the API masks). */
const sealOptions = (deps: Deps, options: Json): Json =>
  sealSecretFields(deps.readSecret, options, 'options');

/** A patch that sends a masked credential back unchanged keeps the stored one. */
function keepMaskedSecrets(patch: unknown, stored: Json): unknown {
  if (
    !patch ||
    typeof patch !== 'object' ||
    Array.isArray(patch) ||
    !stored ||
    typeof stored !== 'object' ||
    Array.isArray(stored)
  ) {
    return patch;
  }
  return Object.fromEntries(
    Object.entries(patch).map(([key, value]) => [
      key,
      SECRET_FIELD.test(key) && value === MASKED
        ? stored[key]
        : keepMaskedSecrets(value, stored[key] ?? null),
    ]),
  );
}

export function toSource(deps: Deps, row: SourceRow): Source {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    options: redactOptions(row.options),
    enabled: row.enabled,
    pollIntervalSeconds: row.poll_interval_seconds,
    brandIds: row.assign_brand_ids,
    health: healthOf(row, deps.connectors.get(row.kind)?.push === true),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Brand ids for references by id or name; an unknown one is a validation error. */
async function resolveBrandRefs(deps: Deps, refs: ReadonlyArray<number | string>): Promise<number[]> {
  if (refs.length === 0) return [];
  const brands = await listBrandRows(deps.db);
  const ids = new Set<number>();
  for (const ref of refs) {
    const brand = brands.find((b) => (typeof ref === 'number' ? b.id === ref : b.name === ref));
    if (!brand) {
      throw new AppError('validation_failed', `unknown brand ${typeof ref === 'number' ? ref : `"${ref}"`}`, [
        { path: 'brands', message: `unknown brand ${ref}` },
      ]);
    }
    ids.add(brand.id);
  }
  return [...ids];
}

function checkOptions(deps: Deps, kind: string, options: unknown): Json {
  const connector = deps.connectors.get(kind);
  if (!connector) {
    const known = [...deps.connectors.keys()].join(', ');
    throw new AppError('validation_failed', `unknown source kind "${kind}" (known: ${known})`, [
      { path: 'kind', message: `unknown source kind; known: ${known}` },
    ]);
  }
  const parsed = connector.optionsSchema.safeParse(options);
  if (!parsed.success) {
    const error = AppError.fromZod(parsed.error, `options for a ${kind} source`);
    throw new AppError(
      'validation_failed',
      error.message,
      error.details?.map((d) => ({ ...d, path: `options.${d.path}` })),
    );
  }
  return parsed.data as Json;
}

function nameTaken(name: string | undefined): string {
  return `a source named "${name}" already exists`;
}

export async function createSource({ deps, input }: { deps: Deps; input: unknown }): Promise<Source> {
  const source = parseInput(SourceInput, input, 'source');
  const options = sealOptions(deps, checkOptions(deps, source.kind, source.options));
  const brandIds = await resolveBrandRefs(deps, source.brands);
  return conflictOnDuplicate(nameTaken(source.name), async () =>
    toSource(deps, await queries.insertSource(deps.db, { ...source, options, brandIds })),
  );
}

/** Create or update by name: how the config file is applied. */
export async function upsertSource({ deps, input }: { deps: Deps; input: unknown }): Promise<Source> {
  const source = parseInput(SourceInput, input, 'source');
  const options = sealOptions(deps, checkOptions(deps, source.kind, source.options));
  const brandIds = await resolveBrandRefs(deps, source.brands);
  return toSource(deps, await queries.upsertSourceByName(deps.db, { ...source, options, brandIds }));
}

export async function listSources({ deps }: { deps: Deps }): Promise<Source[]> {
  return (await queries.listSources(deps.db)).map((row) => toSource(deps, row));
}

export async function getSource({ deps, input }: { deps: Deps; input: { id: number } }): Promise<Source> {
  const row = await queries.getSource(deps.db, input.id);
  if (!row) throw AppError.notFound('source', input.id);
  return toSource(deps, row);
}

export async function getSourceHealth({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number };
}): Promise<SourceHealth & { id: number; name: string; kind: string }> {
  const source = await getSource({ deps, input });
  return { id: source.id, name: source.name, kind: source.kind, ...source.health };
}

export async function updateSource({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; patch: unknown };
}): Promise<Source> {
  const patch = parseInput(SourcePatch, input.patch, 'source');
  const existing = await queries.getSource(deps.db, input.id);
  if (!existing) throw AppError.notFound('source', input.id);
  const options =
    patch.options === undefined
      ? undefined
      : sealOptions(
          deps,
          checkOptions(deps, existing.kind, keepMaskedSecrets(patch.options, existing.options)),
        );
  const brandIds = patch.brands === undefined ? undefined : await resolveBrandRefs(deps, patch.brands);
  return conflictOnDuplicate(nameTaken(patch.name), async () => {
    const row = await queries.updateSource(deps.db, input.id, {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(options === undefined ? {} : { options }),
      ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
      ...(patch.pollIntervalSeconds === undefined ? {} : { pollIntervalSeconds: patch.pollIntervalSeconds }),
      ...(brandIds === undefined ? {} : { brandIds }),
    });
    if (!row) throw AppError.notFound('source', input.id);
    return toSource(deps, row);
  });
}

export async function deleteSource({ deps, input }: { deps: Deps; input: { id: number } }): Promise<void> {
  if (!(await deps.db.transaction().execute((tx) => queries.deleteSource(tx, input.id))))
    throw AppError.notFound('source', input.id);
}
