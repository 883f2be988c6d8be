/**
 * Polling: fetch what is new from one source through its connector and hand it to `ingestItems`.
 * A failure anywhere is recorded in the source's health (error, status, consecutive failures) and
 * backs the source off; it is returned, never thrown, so one source never stops another.
 */
import { getSource, recordPollFailure } from '../../db/queries/sources.ts';
import type { SourceRow } from '../../db/schema.ts';
import { classifySourceError, UpstreamError } from '../../sources/http.ts';
import type { FetchResult } from '../../sources/types.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { resolveSecretRef } from '../secrets.ts';
import { type IngestResult, ingestItems } from './ingest-items.ts';

export type PollResult = Omit<IngestResult, 'insertedExternalIds'> & {
  sourceId: number;
  status: 'ok' | 'not_modified' | 'failed';
  error?: string;
  nextPollAt: Date | null;
};

const MAX_STORED_ERROR = 2000;

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, MAX_STORED_ERROR);
}

const NOTHING: Omit<IngestResult, 'insertedExternalIds'> = {
  fetched: 0,
  unreadable: 0,
  matched: 0,
  inserted: 0,
  duplicates: 0,
  syndicated: 0,
  insertedIds: [],
};

export async function pollSource({
  deps,
  input,
}: {
  deps: Deps;
  input: { sourceId: number };
}): Promise<PollResult> {
  const source = await getSource(deps.db, input.sourceId);
  if (!source) throw AppError.notFound('source', input.sourceId);
  const connector = deps.connectors.get(source.kind);
  if (connector?.push) {
    throw new AppError(
      'validation_failed',
      `a ${source.kind} source receives items by push; it cannot be polled`,
    );
  }
  return pollLoadedSource(deps, source);
}

async function fail(
  deps: Deps,
  source: SourceRow,
  at: Date,
  error: unknown,
  fetched = 0,
): Promise<PollResult> {
  const message = describe(error);
  const status = error instanceof UpstreamError ? (error.status ?? null) : null;
  const retryAfterMs = error instanceof UpstreamError ? error.retryAfterMs : undefined;
  const notBefore = retryAfterMs === undefined ? null : new Date(at.getTime() + retryAfterMs);
  deps.metrics?.recordPoll(source.kind, 'failed', error);
  const updated = await recordPollFailure(
    deps.db,
    source.id,
    at,
    message,
    status,
    notBefore,
    classifySourceError(error),
  );
  deps.logger.warn({ sourceId: source.id, kind: source.kind, error: message, status }, 'source poll failed');
  return {
    ...NOTHING,
    fetched,
    sourceId: source.id,
    status: 'failed',
    error: message,
    nextPollAt: updated?.next_poll_at ?? null,
  };
}

export async function pollLoadedSource(deps: Deps, source: SourceRow): Promise<PollResult> {
  const startedAt = deps.now();
  const connector = deps.connectors.get(source.kind);
  if (!connector || connector.push)
    return fail(deps, source, startedAt, new Error(`source kind "${source.kind}" cannot be polled`));
  const options = connector.optionsSchema.safeParse(source.options);
  if (!options.success) {
    return fail(
      deps,
      source,
      startedAt,
      new Error(`invalid options: ${options.error.issues[0]?.message ?? ''}`),
    );
  }

  let fetched: FetchResult;
  try {
    fetched = await connector.fetchNew({
      options: options.data,
      cursor: source.cursor,
      http: deps.http,
      now: startedAt,
      secret: (ref) => resolveSecretRef(deps.readSecret, ref),
    });
  } catch (error) {
    return fail(deps, source, startedAt, error);
  }

  try {
    const nextPollAt = new Date(startedAt.getTime() + source.poll_interval_seconds * 1000);
    const { insertedExternalIds: _ids, ...result } = await ingestItems(deps, {
      source,
      items: fetched.items,
      cursor: fetched.cursor,
      fetchedAt: startedAt,
      nextPollAt,
    });
    deps.logger.info(
      { sourceId: source.id, fetched: result.fetched, inserted: result.inserted },
      'source polled',
    );
    const status = fetched.notModified ? 'not_modified' : 'ok';
    deps.metrics?.recordPoll(source.kind, status);
    return { ...result, sourceId: source.id, status, nextPollAt };
  } catch (error) {
    return fail(deps, source, startedAt, error, fetched.items.length);
  }
}
