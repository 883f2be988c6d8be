/**
 * Sources: the upstreams earshot polls. Options are validated by the connector of the source's kind.
 */
import { z } from 'zod';
import * as queries from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { AppError, conflictOnDuplicate, parseInput } from '../errors.ts';
import type { Json } from '../types.ts';

export const MIN_POLL_INTERVAL_SECONDS = 60;
export const DEFAULT_POLL_INTERVAL_SECONDS = 900;

const PollInterval = z
  .number()
  .int()
  .min(MIN_POLL_INTERVAL_SECONDS)
  .max(7 * 24 * 3600);

export const SourceInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.string().trim().min(1).max(50),
  options: z.record(z.string(), z.unknown()),
  enabled: z.boolean().default(true),
  pollIntervalSeconds: PollInterval.default(DEFAULT_POLL_INTERVAL_SECONDS),
});
export type SourceInput = z.input<typeof SourceInput>;

export const SourcePatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean().optional(),
  pollIntervalSeconds: PollInterval.optional(),
});

export type Source = {
  id: number;
  name: string;
  kind: string;
  options: Json;
  enabled: boolean;
  pollIntervalSeconds: number;
  health: {
    status: 'new' | 'ok' | 'failing';
    lastPolledAt: Date | null;
    lastSuccessAt: Date | null;
    lastError: string | null;
    lastErrorAt: Date | null;
    consecutiveFailures: number;
    nextPollAt: Date;
  };
  createdAt: Date;
  updatedAt: Date;
};

export function toSource(row: SourceRow): Source {
  const status = row.consecutive_failures > 0 ? 'failing' : row.last_success_at ? 'ok' : 'new';
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    options: row.options,
    enabled: row.enabled,
    pollIntervalSeconds: row.poll_interval_seconds,
    health: {
      status,
      lastPolledAt: row.last_polled_at,
      lastSuccessAt: row.last_success_at,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at,
      consecutiveFailures: row.consecutive_failures,
      nextPollAt: row.next_poll_at,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
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
  const options = checkOptions(deps, source.kind, source.options);
  return conflictOnDuplicate(nameTaken(source.name), async () =>
    toSource(await queries.insertSource(deps.db, { ...source, options })),
  );
}

/** Create or update by name: how the config file is applied. */
export async function upsertSource({ deps, input }: { deps: Deps; input: unknown }): Promise<Source> {
  const source = parseInput(SourceInput, input, 'source');
  const options = checkOptions(deps, source.kind, source.options);
  return toSource(await queries.upsertSourceByName(deps.db, { ...source, options }));
}

export async function listSources({ deps }: { deps: Deps }): Promise<Source[]> {
  return (await queries.listSources(deps.db)).map(toSource);
}

export async function getSource({ deps, input }: { deps: Deps; input: { id: number } }): Promise<Source> {
  const row = await queries.getSource(deps.db, input.id);
  if (!row) throw AppError.notFound('source', input.id);
  return toSource(row);
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
  const options = patch.options === undefined ? undefined : checkOptions(deps, existing.kind, patch.options);
  return conflictOnDuplicate(nameTaken(patch.name), async () => {
    const row = await queries.updateSource(deps.db, input.id, {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(options === undefined ? {} : { options }),
      ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
      ...(patch.pollIntervalSeconds === undefined ? {} : { pollIntervalSeconds: patch.pollIntervalSeconds }),
    });
    if (!row) throw AppError.notFound('source', input.id);
    return toSource(row);
  });
}

export async function deleteSource({ deps, input }: { deps: Deps; input: { id: number } }): Promise<void> {
  if (!(await queries.deleteSource(deps.db, input.id))) throw AppError.notFound('source', input.id);
}
