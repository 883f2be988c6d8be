/**
 * Polling every due source, shared by any number of workers: a source is claimed (a lease on
 * `next_poll_at`, FOR UPDATE SKIP LOCKED) just before its poll starts, so what one worker holds is
 * only what it is polling, and a worker that dies holds it until the lease runs out.
 */
import { claimDueSources, releaseSourceLease } from '../db/queries/sources.ts';
import type { SourceRow } from '../db/schema.ts';
import { pollableKinds } from '../sources/index.ts';
import { unlessAborted } from '../src/abort.ts';
import type { Deps } from '../src/deps.ts';
import { type PollResult, pollLoadedSource } from '../src/ingest/poll-source.ts';

/** A claimed source not finished within this is due again (its poller is presumed dead). */
export const DEFAULT_POLL_LEASE_SECONDS = 600;

export type PollDueInput = {
  /** Most sources polled at once. */
  concurrency: number;
  /** How long a claim holds (default DEFAULT_POLL_LEASE_SECONDS). */
  leaseSeconds?: number;
  /** Once aborted, nothing more is claimed: the polls under way finish, and the run ends. */
  stop?: AbortSignal;
  /** Once aborted, the polls still under way are abandoned and their sources given back, due now. */
  giveUp?: AbortSignal;
};

/**
 * Polls every source that is due, a few at a time. One failing source records its error and backs
 * off; it never stops the others.
 */
export async function pollDueSources({
  deps,
  input,
}: {
  deps: Deps;
  input: PollDueInput;
}): Promise<PollResult[]> {
  const kinds = pollableKinds(deps.connectors);
  const leaseSeconds = input.leaseSeconds ?? DEFAULT_POLL_LEASE_SECONDS;
  const stopped = () => Boolean(input.stop?.aborted || input.giveUp?.aborted);
  const claim = (limit: number) =>
    stopped() ? Promise.resolve([]) : claimDueSources(deps.db, deps.now(), limit, leaseSeconds, kinds);
  const results: PollResult[] = [];
  let released = 0;
  // One claim fills every lane; then each lane claims its next source only when it is free, so
  // nothing waits claimed while the other workers are idle.
  const lane = async (first: SourceRow) => {
    for (let source: SourceRow | undefined = first; source; source = (await claim(1))[0]) {
      const outcome = await pollClaimed(deps, source, input.giveUp);
      if (outcome === 'released') {
        released++;
        return;
      }
      if (outcome) results.push(outcome);
    }
  };
  // Every lane ends before the run does, even when one fails (a database error while claiming).
  const lanes = await Promise.allSettled((await claim(input.concurrency)).map(lane));
  if (released > 0) deps.logger.warn({ released }, 'stopping: polls still under way given back');
  const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) throw failed.reason;
  return results;
}

/** The poll of a claimed source, unless `giveUp` comes first: then the source is given back. */
async function pollClaimed(
  deps: Deps,
  source: SourceRow,
  giveUp: AbortSignal | undefined,
): Promise<PollResult | 'released' | undefined> {
  const poll = pollLoadedSource(deps, source).catch((error: unknown) => {
    // A database error: the source keeps its lease and is due again once that runs out.
    deps.logger.error({ err: error, sourceId: source.id }, 'source poll: unexpected error');
    return undefined;
  });
  if (!giveUp) return poll;
  const outcome = await unlessAborted(poll, giveUp, 'released' as const);
  if (outcome !== 'released') return outcome;
  // The claim returned the source with its lease as `next_poll_at`. A poll that commits after this
  // is harmless: mentions are unique per source and external id.
  try {
    await releaseSourceLease(deps.db, { id: source.id, leaseUntil: source.next_poll_at }, deps.now());
  } catch (error) {
    deps.logger.error({ err: error, sourceId: source.id }, 'source poll: could not give the source back');
  }
  return 'released';
}
