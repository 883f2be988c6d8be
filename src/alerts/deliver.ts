/**
 * The delivery worker: sends what the outbox holds. Deliveries are claimed with a lease, so any
 * number of workers share the work and a crashed one's deliveries are sent again (with the same
 * webhook-id: receivers de-duplicate on it). One channel's deliveries go out in order, one at a
 * time; channels go in parallel. A worker that stops hands back what it claimed and has not sent
 * (`stop`, `giveUp`): another worker sends it at once rather than after the lease.
 *
 * What an answer means: 2xx delivered; 404 or 410 the receiver is gone (the channel is disabled,
 * its other deliveries wait for it to be enabled again); 408, 429, 5xx and no answer at all are
 * retried with backoff for 24 hours; any other answer fails the delivery (it would not fix itself).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Executor } from '../../db/queries/brands.ts';
import {
  type AttemptRecord,
  claimDueDeliveries,
  claimSlackSlot,
  type DeliveryLease,
  disableChannel,
  getDeliveryChannel,
  getDeliveryChannels,
  handBackDeliveries,
  markDeliveryDelivered,
  markDeliveryFailed,
  markSlackSend,
  recordDeliveryAttempt,
  releaseDelivery,
  rescheduleDelivery,
} from '../../db/queries/deliveries.ts';
import type { AlertChannelRow, AlertDeliveryRow } from '../../db/schema.ts';
import { unlessAborted } from '../abort.ts';
import type { Deps } from '../deps.ts';
import { AppError, parseInput } from '../errors.ts';
import type { DeliveryOutcome } from '../metrics.ts';
import {
  type ChannelTarget,
  DEFAULT_SEND_TIMEOUT_MS,
  resolveChannelTarget,
  type SendOutcome,
  sendToChannel,
} from './channels.ts';
import type { AlertMessage } from './message.ts';

export type RetryPolicy = {
  /** The first retry waits about this long; each one after waits twice as long… */
  baseDelayMs: number;
  /** …up to this. */
  maxDelayMs: number;
  /** A delivery this old (from its creation) is given up. */
  maxAgeMs: number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 5_000,
  maxDelayMs: 30 * 60_000,
  maxAgeMs: 24 * 60 * 60_000,
};

/** How the worker talks to the world; production uses the defaults, tests pass their own. */
export type DeliveryOptions = {
  fetch?: typeof fetch;
  /** Per request, connect to last byte read. */
  timeoutMs?: number;
  /** In [0, 1): the jitter of retry delays. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  retry?: Partial<RetryPolicy>;
  /** How long a claim holds; a worker past it stops starting sends and puts the rest back. */
  leaseMs?: number;
  /** The longest wait for a Slack slot in-process; a later slot puts the delivery back until then. */
  slackMaxWaitMs?: number;
  /**
   * Once aborted, the run claims and starts nothing more: the channels it has not started on are
   * handed back at once, and a channel's remaining deliveries once its send under way ends (so one
   * channel's deliveries still go out in order). Handed back means due as before, no attempt counted.
   */
  stop?: AbortSignal;
  /**
   * Once aborted (the shutdown deadline), sends still under way are abandoned and handed back too.
   * The receiver may have got one: the worker that sends it again uses the same webhook-id.
   */
  giveUp?: AbortSignal;
};

const DEFAULT_LEASE_MS = 5 * 60_000;
const DEFAULT_SLACK_MAX_WAIT_MS = 1_500;
/** Long enough for an answer's start and a receiver's error page; more is not kept. */
const MAX_ERROR_CHARS = 2_000;

export const DeliverInput = z.strictObject({
  limit: z.number().int().min(1).max(1000).default(50),
  concurrency: z.number().int().min(1).max(32).default(4),
});
export type DeliverInput = z.input<typeof DeliverInput>;

export type DeliveryReport = {
  /** Deliveries this run took from the outbox. */
  claimed: number;
  delivered: number;
  /** Failed for now; scheduled again. */
  retried: number;
  /** Given up: refused by the receiver, a gone channel, or 24 hours of failures. */
  failed: number;
  /** Put back untried: behind a failure of their channel, a busy Slack slot, or the run's time. */
  deferred: number;
  /** Given back because the process is stopping (due at once for another worker); no attempt counted. */
  handedBack: number;
  /** Channels disabled by this run (their receiver answered 404 or 410). */
  disabledChannels: number[];
};

/** What to do after an answer. */
export type Verdict = 'delivered' | 'disable' | 'retry' | 'fail';

export function classifyOutcome(status: number | null): Verdict {
  if (status === null) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 404 || status === 410) return 'disable';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'fail';
}

/**
 * Exponential backoff with equal jitter: half the delay is certain, half random, so retries from
 * many deliveries spread out but none comes back at once. `attempt` counts from 1.
 */
export function retryDelayMs(
  attempt: number,
  random: () => number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describeOutcome(outcome: SendOutcome): string {
  if (outcome.status === null) return (outcome.error ?? 'no answer').slice(0, MAX_ERROR_CHARS);
  const body = outcome.body?.trim();
  return `HTTP ${outcome.status}${body ? `: ${body}` : ''}`.slice(0, MAX_ERROR_CHARS);
}

type Run = {
  deps: Deps;
  options: DeliveryOptions;
  policy: RetryPolicy;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  report: DeliveryReport;
  /** Past this (monotonic ms), no new send starts: the lease must not run out mid-send. */
  stopStartingAt: number;
  /** The process is stopping: nothing more starts, and what has not started goes back. */
  stopping: () => boolean;
};

type Step = { kind: 'done' } | { kind: 'hold'; until: Date } | { kind: 'disabled' };

type Tallied = 'delivered' | 'retried' | 'failed' | 'deferred' | 'handedBack';

const METRIC_OUTCOME: Record<Tallied, DeliveryOutcome> = {
  delivered: 'delivered',
  retried: 'retry',
  failed: 'failed',
  deferred: 'deferred',
  handedBack: 'deferred',
};

/** Counts a delivery's outcome in the run's report and in the metrics. */
function tally(run: Run, channelKind: string, outcome: Tallied): void {
  run.report[outcome]++;
  run.deps.metrics?.recordDelivery(channelKind, METRIC_OUTCOME[outcome]);
}

export async function deliverDueAlerts({
  deps,
  input = {},
  options = {},
}: {
  deps: Deps;
  input?: unknown;
  options?: DeliveryOptions;
}): Promise<DeliveryReport> {
  const { limit, concurrency } = parseInput(DeliverInput, input ?? {}, 'delivery run');
  const report: DeliveryReport = {
    claimed: 0,
    delivered: 0,
    retried: 0,
    failed: 0,
    deferred: 0,
    handedBack: 0,
    disabledChannels: [],
  };
  const stopping = () => Boolean(options.stop?.aborted || options.giveUp?.aborted);
  if (stopping()) return report;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const now = deps.now();
  const claimed = await claimDueDeliveries(deps.db, {
    now,
    leaseUntil: new Date(now.getTime() + leaseMs),
    limit,
  });
  report.claimed = claimed.length;
  if (claimed.length === 0) return report;

  const timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const run: Run = {
    deps,
    options,
    policy: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    random: options.random ?? Math.random,
    sleep: options.sleep ?? defaultSleep,
    report,
    stopStartingAt: performance.now() + Math.max(leaseMs / 2, leaseMs - timeoutMs - 5_000),
    stopping,
  };
  // One lane per channel, oldest delivery first.
  const lanes = new Map<number, AlertDeliveryRow[]>();
  for (const d of [...claimed].sort((a, b) => Number(a.id) - Number(b.id))) {
    const lane = lanes.get(d.channel_id) ?? [];
    lane.push(d);
    lanes.set(d.channel_id, lane);
  }
  const channels = new Map((await getDeliveryChannels(deps.db, [...lanes.keys()])).map((c) => [c.id, c]));
  const queue = [...lanes.entries()];
  // Stopping: the lanes no worker has started go back now, not when a worker gets to them.
  const handingBack: Promise<void>[] = [];
  const onStop = () => {
    for (const [channelId, deliveries] of queue.splice(0)) {
      handingBack.push(handBack(run, channels.get(channelId), deliveries));
    }
  };
  options.stop?.addEventListener('abort', onStop, { once: true });
  options.giveUp?.addEventListener('abort', onStop, { once: true });
  try {
    if (stopping()) onStop(); // aborted while claiming
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [channelId, deliveries] = next;
        await runLane(run, channels.get(channelId), deliveries);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  } finally {
    options.stop?.removeEventListener('abort', onStop);
    options.giveUp?.removeEventListener('abort', onStop);
    await Promise.all(handingBack);
  }
  if (report.handedBack > 0) {
    deps.logger.warn({ handedBack: report.handedBack }, 'stopping: alert deliveries not sent given back');
  }
  return report;
}

/**
 * Gives claimed deliveries back untried, due as they were (no attempt counted), so that another
 * worker takes them at its next claim. A database error leaves them to their lease.
 */
async function handBack(
  run: Run,
  channel: AlertChannelRow | undefined,
  deliveries: readonly AlertDeliveryRow[],
): Promise<void> {
  const { deps } = run;
  try {
    const leases = deliveries.map((d) => ({ id: Number(d.id), leaseUntil: d.lease_until as Date }));
    const given = await handBackDeliveries(deps.db, leases);
    for (let i = 0; i < given; i++) tally(run, channel?.kind ?? 'unknown', 'handedBack');
  } catch (error) {
    deps.logger.error(
      { err: error, deliveryIds: deliveries.map((d) => Number(d.id)) },
      'alert delivery: could not give deliveries back',
    );
  }
}

async function runLane(run: Run, channel: AlertChannelRow | undefined, deliveries: AlertDeliveryRow[]) {
  const { deps } = run;
  // Once a delivery of this channel failed for now, the ones after it wait behind it (order kept,
  // and a receiver that is down is not knocked on once per delivery).
  let holdUntil: Date | undefined;
  let disabled = false;
  for (const [index, delivery] of deliveries.entries()) {
    const lease: DeliveryLease = { id: Number(delivery.id), leaseUntil: delivery.lease_until as Date };
    try {
      // Stopping: the rest of the channel goes back now (behind a failure it waits as before).
      if (run.stopping() && !holdUntil && !disabled) {
        await handBack(run, channel, deliveries.slice(index));
        return;
      }
      if (!channel || disabled || holdUntil || performance.now() > run.stopStartingAt) {
        await releaseDelivery(deps.db, lease, holdUntil ?? deps.now());
        tally(run, channel?.kind ?? 'unknown', 'deferred');
        continue;
      }
      const step = await deliverOne(run, channel, delivery, lease);
      if (step.kind === 'hold') holdUntil = step.until;
      if (step.kind === 'disabled') disabled = true;
    } catch (error) {
      // A database error: the delivery keeps its lease and is claimed again once that runs out.
      deps.logger.error(
        { err: error, deliveryId: lease.id, channelId: delivery.channel_id },
        'alert delivery: unexpected error',
      );
    }
  }
}

/** Waits for a Slack slot; false (and the delivery put back) when the next one is too far off. */
async function waitForSlackSlot(
  run: Run,
  channel: AlertChannelRow,
  lease: DeliveryLease,
): Promise<{ ready: true } | { ready: false; until: Date }> {
  const { deps } = run;
  const now = deps.now();
  const maxWait = run.options.slackMaxWaitMs ?? DEFAULT_SLACK_MAX_WAIT_MS;
  const slot = await claimSlackSlot(deps.db, {
    channelId: channel.id,
    now,
    latest: new Date(now.getTime() + maxWait),
  });
  if ('freeAt' in slot) {
    await releaseDelivery(deps.db, lease, slot.freeAt);
    tally(run, channel.kind, 'deferred');
    return { ready: false, until: slot.freeAt };
  }
  // A few re-checks: timers may fire a millisecond early; a clock that stands still must not hang us.
  for (let i = 0; i < 4; i++) {
    const wait = slot.slot.getTime() - deps.now().getTime();
    if (wait <= 0) break;
    await run.sleep(Math.min(wait, maxWait));
  }
  return { ready: true };
}

async function deliverOne(
  run: Run,
  channel: AlertChannelRow,
  delivery: AlertDeliveryRow,
  lease: DeliveryLease,
): Promise<Step> {
  const { deps, report } = run;
  let target: ChannelTarget | undefined;
  let outcome: SendOutcome | undefined;
  try {
    target = resolveChannelTarget(deps, channel);
  } catch (error) {
    // A credential missing from this process's environment may be set yet: retried like a timeout.
    outcome = { status: null, latencyMs: 0, error: error instanceof Error ? error.message : String(error) };
  }
  // The slot is taken last, just before sending: nothing slow between the slot and the request.
  if (target && channel.kind === 'slack') {
    const slot = await waitForSlackSlot(run, channel, lease);
    if (!slot.ready) return { kind: 'hold', until: slot.until };
  }
  const sentAt = deps.now();
  if (target) {
    if (channel.kind === 'slack') await markSlackSend(deps.db, { channelId: channel.id, at: sentAt });
    const sent = await sendUnlessGivenUp(run, target, delivery);
    if (sent === 'abandoned') {
      await handBack(run, channel, [delivery]);
      deps.logger.warn(
        { deliveryId: lease.id, channelId: channel.id, messageId: delivery.message_id },
        'stopping: alert send still under way at the deadline; given back',
      );
      return { kind: 'done' };
    }
    outcome = sent;
  }
  if (!outcome) throw new Error('unreachable: no outcome');

  const verdict = classifyOutcome(outcome.status);
  const attempt: AttemptRecord = {
    deliveryId: lease.id,
    attemptedAt: sentAt,
    statusCode: outcome.status,
    error: verdict === 'delivered' ? null : describeOutcome(outcome),
    latencyMs: outcome.latencyMs,
  };
  const error = attempt.error ?? '';
  const log = {
    deliveryId: lease.id,
    channelId: channel.id,
    messageId: delivery.message_id,
    status: outcome.status,
    latencyMs: outcome.latencyMs,
  };
  const finishedAt = deps.now();

  if (verdict === 'delivered') {
    const ours = await finish(deps, attempt, (tx) =>
      markDeliveryDelivered(tx, lease, { at: finishedAt, statusCode: outcome.status as number }),
    );
    if (ours) tally(run, channel.kind, 'delivered');
    deps.logger.info(log, 'alert delivered');
    return { kind: 'done' };
  }

  if (verdict === 'disable') {
    const reason = `HTTP ${outcome.status} from the receiver on ${finishedAt.toISOString()}`;
    let disabledNow = false;
    const ours = await finish(deps, attempt, async (tx) => {
      disabledNow = await disableChannel(tx, { id: channel.id, reason, at: finishedAt });
      return markDeliveryFailed(tx, lease, {
        statusCode: outcome.status,
        error: `channel disabled: ${error}`,
      });
    });
    if (ours) tally(run, channel.kind, 'failed');
    if (disabledNow) report.disabledChannels.push(channel.id);
    deps.logger.warn({ ...log, reason }, 'alert channel disabled: the receiver is gone');
    return { kind: 'disabled' };
  }

  if (verdict === 'retry') {
    const attempts = delivery.attempts + 1;
    const deadline = delivery.created_at.getTime() + run.policy.maxAgeMs;
    const asked = outcome.retryAfterMs;
    // Retry-After is honoured as given; a wait past the deadline means giving up now.
    const nextAt =
      asked !== undefined
        ? finishedAt.getTime() + Math.max(asked, 1_000)
        : Math.min(deadline, finishedAt.getTime() + retryDelayMs(attempts, run.random, run.policy));
    if (finishedAt.getTime() >= deadline || nextAt > deadline) {
      const hours = Math.round(run.policy.maxAgeMs / 3_600_000);
      const ours = await finish(deps, attempt, (tx) =>
        markDeliveryFailed(tx, lease, {
          statusCode: outcome.status,
          error: `gave up after ${attempts} attempts over ${hours} h: ${error}`.slice(0, MAX_ERROR_CHARS),
        }),
      );
      if (ours) tally(run, channel.kind, 'failed');
      deps.logger.warn(log, 'alert delivery given up');
      return { kind: 'done' };
    }
    const nextAttemptAt = new Date(nextAt);
    const ours = await finish(deps, attempt, (tx) =>
      rescheduleDelivery(tx, lease, { nextAttemptAt, statusCode: outcome.status, error }),
    );
    if (ours) tally(run, channel.kind, 'retried');
    deps.logger.warn({ ...log, error, nextAttemptAt }, 'alert delivery failed; will retry');
    return { kind: 'hold', until: nextAttemptAt };
  }

  const ours = await finish(deps, attempt, (tx) =>
    markDeliveryFailed(tx, lease, { statusCode: outcome.status, error }),
  );
  if (ours) tally(run, channel.kind, 'failed');
  deps.logger.warn({ ...log, error }, 'alert delivery refused by the receiver');
  return { kind: 'done' };
}

/**
 * Sends one delivery; 'abandoned' when `giveUp` comes first (the request is aborted: the answer
 * would come too late to be recorded, and the delivery is given back instead).
 */
async function sendUnlessGivenUp(
  run: Run,
  target: ChannelTarget,
  delivery: AlertDeliveryRow,
): Promise<SendOutcome | 'abandoned'> {
  const giveUp = run.options.giveUp;
  const baseFetch = run.options.fetch ?? run.deps.fetch ?? globalThis.fetch;
  const send = sendToChannel(target, delivery.payload as AlertMessage, delivery.message_id, {
    fetch: giveUp ? abortableFetch(baseFetch, giveUp) : baseFetch,
    timeoutMs: run.options.timeoutMs,
  });
  if (!giveUp) return send;
  const outcome = await unlessAborted(send, giveUp, 'abandoned' as const);
  // No answer because the request was aborted: abandoned too, not a failure of the receiver.
  return outcome !== 'abandoned' && outcome.status === null && giveUp.aborted ? 'abandoned' : outcome;
}

/** `fetch` whose requests are also aborted by `signal`. */
function abortableFetch(base: typeof fetch, signal: AbortSignal): typeof fetch {
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    base(input, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
    })) as typeof fetch;
}

/** The attempt's log row and the delivery's new state, together; false if the lease was lost. */
async function finish(
  deps: Deps,
  attempt: AttemptRecord,
  update: (tx: Executor) => Promise<boolean>,
): Promise<boolean> {
  const ours = await deps.db.transaction().execute(async (tx) => {
    // The attempt happened whoever holds the lease now: it is logged either way.
    await recordDeliveryAttempt(tx, attempt);
    return update(tx);
  });
  if (!ours)
    deps.logger.warn({ deliveryId: attempt.deliveryId }, 'alert delivery: lease lost, result not applied');
  return ours;
}

export type TestAlertResult = { ok: boolean; status: number | null; latencyMs: number; error?: string };

const TestAlertInput = z.strictObject({ channelId: z.number().int().positive() });

/**
 * "Send test alert": a `test` message sent to a channel now, not through the outbox, so the answer
 * says what the receiver did. Changes nothing (a 410 here does not disable the channel: the user
 * sees it and decides), but a Slack channel's pacing still applies.
 */
export async function sendTestAlert({
  deps,
  input,
  options = {},
}: {
  deps: Deps;
  input: unknown;
  options?: Pick<DeliveryOptions, 'fetch' | 'timeoutMs' | 'sleep' | 'slackMaxWaitMs'>;
}): Promise<TestAlertResult> {
  const { channelId } = parseInput(TestAlertInput, input, 'test alert');
  const channel = await getDeliveryChannel(deps.db, channelId);
  if (!channel) throw AppError.notFound('channel', channelId);
  const now = deps.now();
  const message: AlertMessage = {
    type: 'test',
    createdAt: now.toISOString(),
    brand: null,
    rule: null,
    incident: null,
    summary: `Test alert from earshot: channel "${channel.name}" is set up. No action needed.`,
    details: {},
    events: [],
  };
  let target: ChannelTarget;
  try {
    target = resolveChannelTarget(deps, channel);
  } catch (error) {
    return {
      ok: false,
      status: null,
      latencyMs: 0,
      error: error instanceof Error ? error.message : String(error),
    };
  }
  if (channel.kind === 'slack') {
    const maxWait = options.slackMaxWaitMs ?? DEFAULT_SLACK_MAX_WAIT_MS;
    const slot = await claimSlackSlot(deps.db, {
      channelId,
      now,
      latest: new Date(now.getTime() + maxWait),
    });
    if ('freeAt' in slot) {
      const seconds = Math.ceil((slot.freeAt.getTime() - now.getTime()) / 1000);
      return {
        ok: false,
        status: null,
        latencyMs: 0,
        error: `Slack channel busy: try again in ${seconds} s`,
      };
    }
    const wait = slot.slot.getTime() - now.getTime();
    if (wait > 0) await (options.sleep ?? defaultSleep)(Math.min(wait, maxWait));
    await markSlackSend(deps.db, { channelId, at: deps.now() });
  }
  const outcome = await sendToChannel(target, message, `msg_${randomUUID().replaceAll('-', '')}`, {
    fetch: options.fetch ?? deps.fetch,
    timeoutMs: options.timeoutMs,
  });
  const ok = classifyOutcome(outcome.status) === 'delivered';
  return {
    ok,
    status: outcome.status,
    latencyMs: outcome.latencyMs,
    ...(ok ? {} : { error: describeOutcome(outcome) }),
  };
}
