import { claimDueSources } from '../db/queries/sources.ts';
import { pollableKinds } from '../sources/index.ts';
import type { Deps } from '../src/deps.ts';
import { type PollResult, pollLoadedSource } from '../src/ingest/poll-source.ts';

/** A claimed source not finished within this is due again (its poller is presumed dead). */
export const POLL_LEASE_SECONDS = 600;
const CLAIM_BATCH = 50;

/**
 * Polls every source that is due, a few at a time. One failing source records its error and backs
 * off; it never stops the others.
 */
export async function pollDueSources({
  deps,
  input,
}: {
  deps: Deps;
  input: { concurrency: number };
}): Promise<PollResult[]> {
  const results: PollResult[] = [];
  for (;;) {
    const due = await claimDueSources(
      deps.db,
      deps.now(),
      CLAIM_BATCH,
      POLL_LEASE_SECONDS,
      pollableKinds(deps.connectors),
    );
    if (due.length === 0) return results;
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const source = due[next++];
        if (source) results.push(await pollLoadedSource(deps, source));
      }
    };
    await Promise.all(Array.from({ length: Math.min(input.concurrency, due.length) }, worker));
    if (due.length < CLAIM_BATCH) return results;
  }
}
