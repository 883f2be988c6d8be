/**
 * Digests: a rule with `digest: hourly | daily` holds its events (urgent ones excepted) and sends
 * them as one message when the period ends. Claiming the held events and queueing the message is one
 * transaction, so a digest never gets lost. With several workers, a rule's digest is claimed by
 * locking the rule's row (FOR NO KEY UPDATE SKIP LOCKED): the other workers skip that rule rather
 * than queue behind it, and the events it held are no longer due once the claim commits, so each
 * period's digest goes out once.
 */
import { sql } from 'kysely';
import type { AlertEventRow, AlertRuleRow } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { type QuietHours, queueDeliveries, quietHoursEnd } from './fire.ts';
import type { AlertMessage } from './message.ts';

/** Events listed in one digest message; the rest are counted. */
export const DIGEST_EVENT_LIMIT = 25;

export type DigestReport = { rules: number; events: number; queued: number };

export async function sendDueDigests({
  deps,
  input = {},
}: {
  deps: Deps;
  input?: { now?: Date };
}): Promise<DigestReport> {
  const now = input.now ?? deps.now();
  const due = await deps.db
    .selectFrom('alert_events')
    .select('rule_id')
    .distinct()
    .where('digest_due_at', '<=', now)
    .execute();
  const report: DigestReport = { rules: 0, events: 0, queued: 0 };
  for (const { rule_id } of due) {
    const queued = await deps.db.transaction().execute(async (tx) => {
      // The claim: another worker sending this rule's digest holds the row, and this one moves on.
      // (No key update: ingest firing the rule meanwhile, which only references the row, is not held up.)
      const rule = await tx
        .selectFrom('alert_rules')
        .selectAll()
        .where('id', '=', rule_id)
        .forNoKeyUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!rule) return undefined;
      // Claimed by clearing the mark: a run after this one commits finds nothing left to send.
      const events = await sql<AlertEventRow>`
        update alert_events set digest_due_at = null
        where rule_id = ${rule_id} and digest_due_at <= ${now}
        returning *`.execute(tx);
      if (events.rows.length === 0) return undefined;
      const message = await digestMessage(tx, rule, events.rows, now);
      const quiet = rule.quiet_hours as QuietHours | null;
      const count = await queueDeliveries(tx, rule.channel_ids, message, {
        incidentId: null,
        notBefore: (quiet && quietHoursEnd(quiet, now)) ?? now,
        kind: 'digest',
      });
      const incidentIds = [...new Set(events.rows.map((e) => Number(e.incident_id)))];
      if (count > 0) {
        await tx.updateTable('incidents').set({ notified_at: now }).where('id', 'in', incidentIds).execute();
      }
      return { events: events.rows.length, count };
    });
    if (!queued) continue;
    report.rules++;
    report.events += queued.events;
    report.queued += queued.count;
  }
  if (report.queued > 0) deps.alertsQueued?.();
  return report;
}

async function digestMessage(
  db: Deps['db'],
  rule: AlertRuleRow,
  events: readonly AlertEventRow[],
  now: Date,
): Promise<AlertMessage> {
  const brand = await db
    .selectFrom('brands')
    .select(['id', 'name'])
    .where('id', '=', rule.brand_id)
    .executeTakeFirst();
  const sorted = [...events].sort((a, b) => Number(b.id) - Number(a.id));
  const incidents = new Set(events.map((e) => Number(e.incident_id))).size;
  const period = rule.digest === 'daily' ? 'day' : 'hour';
  const brandName = brand?.name ?? `brand ${rule.brand_id}`;
  // A rule without a digest of its own has one only when its flood cap held alerts back.
  const why =
    rule.digest === null
      ? ` held by the flood cap (${rule.max_alerts_per_hour ?? '∞'} an hour) for ${brandName} (${rule.name})`
      : ` for ${brandName} (${rule.name}) in the last ${period}`;
  return {
    type: 'digest',
    createdAt: now.toISOString(),
    brand: brand ? { id: brand.id, name: brand.name } : null,
    rule: { id: rule.id, name: rule.name, kind: rule.kind },
    incident: null,
    summary: `${events.length} alert${events.length === 1 ? '' : 's'} in ${incidents} incident${
      incidents === 1 ? '' : 's'
    }${why}`,
    details: {
      events: events.length,
      incidents,
      listed: Math.min(events.length, DIGEST_EVENT_LIMIT),
      floodCap: rule.digest === null,
    },
    events: sorted.slice(0, DIGEST_EVENT_LIMIT).map((e) => ({
      id: Number(e.id),
      at: e.created_at.toISOString(),
      severity: e.severity,
      summary: e.summary,
      mention: null,
    })),
  };
}
