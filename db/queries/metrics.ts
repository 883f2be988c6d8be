/**
 * The counts a metrics scrape reads (src/metrics.ts). Each is one index probe or a scan of a small
 * table, so a scrape every few seconds costs the database next to nothing.
 */
import { sql } from 'kysely';
import type { Executor } from './brands.ts';

/**
 * Deliveries a worker would claim now (the same conditions as `claimDueDeliveries`): pending or with
 * a lease run out, due, of an enabled channel. Reads the partial index on `next_attempt_at`.
 */
export async function countDueDeliveries(db: Executor, now: Date): Promise<number> {
  const row = await db
    .selectFrom('alert_deliveries as d')
    .innerJoin('alert_channels as c', 'c.id', 'd.channel_id')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('d.status', 'in', ['pending', 'sending'])
    .where('d.next_attempt_at', '<=', now)
    .where((w) =>
      w.or([w('d.status', '=', 'pending'), w('d.lease_until', 'is', null), w('d.lease_until', '<', now)]),
    )
    .where('c.enabled', '=', true)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Enabled sources of these kinds whose poll is due (the same conditions as `claimDueSources`). */
export async function countDueSources(db: Executor, now: Date, kinds: readonly string[]): Promise<number> {
  if (kinds.length === 0) return 0;
  const row = await db
    .selectFrom('sources')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('enabled', '=', true)
    .where('next_poll_at', '<=', now)
    .where('kind', 'in', kinds)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type SourceStateCount = {
  kind: string;
  enabled: boolean;
  consecutiveFailures: number;
  succeeded: boolean;
  count: number;
};

/** Sources grouped by what their health status is computed from (a deployment has tens to hundreds). */
export async function countSourcesByState(db: Executor): Promise<SourceStateCount[]> {
  const rows = await db
    .selectFrom('sources')
    .select((eb) => [
      'kind',
      'enabled',
      'consecutive_failures',
      sql<boolean>`last_success_at is not null`.as('succeeded'),
      eb.fn.countAll<string>().as('n'),
    ])
    .groupBy(['kind', 'enabled', 'consecutive_failures', sql`last_success_at is not null`])
    .execute();
  return rows.map((r) => ({
    kind: r.kind,
    enabled: r.enabled,
    consecutiveFailures: r.consecutive_failures,
    succeeded: r.succeeded,
    count: Number(r.n),
  }));
}
