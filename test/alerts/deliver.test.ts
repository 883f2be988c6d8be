/**
 * The delivery worker against real HTTP receivers on 127.0.0.1: signatures that verify with the
 * `standardwebhooks` package, retries that keep their webhook-id, 404/410 disabling a channel,
 * Retry-After, a crashed sender's lease, Slack pacing and Block Kit. Time is an injected clock, so
 * a day of retries takes milliseconds; only the Slack pacing test runs on the real clock.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { listDeliveryLog } from '../../db/queries/deliveries.ts';
import { JOBS } from '../../jobs/index.ts';
import { generateWebhookSecret, renderSlack, renderWebhook } from '../../src/alerts/channels.ts';
import { getChannel, updateChannel } from '../../src/alerts/channels-catalog.ts';
import {
  type DeliveryOptions,
  deliverDueAlerts,
  retryDelayMs,
  sendTestAlert,
} from '../../src/alerts/deliver.ts';
import type { AlertMessage, MessageEvent } from '../../src/alerts/message.ts';
import type { Deps } from '../../src/deps.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const T0 = new Date('2026-11-20T12:00:00Z');
const seconds = (n: number) => new Date(T0.getTime() + n * 1000);

function event(n: number, extra: Partial<MessageEvent> = {}): MessageEvent {
  return {
    id: n,
    at: T0.toISOString(),
    severity: 'critical',
    summary: `Negative mention #${n} of Acme: "my parcel never arrived"`,
    mention: {
      id: 100 + n,
      url: `https://reviews.example.com/acme/${n}?a=1&b=2`,
      author: 'Dana <dana@example.com>',
      title: 'Parcel lost | again',
      text: 'Ordered two weeks ago.\nStill nothing & support does not answer <sigh>.',
      sourceKind: 'rss',
      sourceName: 'Review site',
      publishedAt: T0.toISOString(),
      sentimentLabel: 'negative',
      sentimentScore: -0.72,
      rating: 1,
      reasons: [{ kind: 'word', text: 'never arrived', effect: -0.4 }],
    },
    ...extra,
  };
}

function alertMessage(n: number, extra: Partial<AlertMessage> = {}): AlertMessage {
  return {
    type: 'incident.opened',
    createdAt: T0.toISOString(),
    brand: { id: 1, name: 'Acme' },
    rule: { id: 1, name: 'negative Acme', kind: 'negative_mention' },
    incident: {
      id: n,
      status: 'open',
      severity: 'critical',
      title: `Delivery complaints #${n}`,
      openedAt: T0.toISOString(),
      events: 1,
      mentionCount: 1,
    },
    summary: `Negative mention #${n} of Acme`,
    details: { score: -0.72 },
    events: [event(n)],
    ...extra,
  };
}

describe('alert delivery', () => {
  let handle: DbHandle;
  let deps: Deps;
  let clock: Date;
  let receiver: WebhookReceiver;
  let secret: string;
  const secrets: Record<string, string> = {};
  let nextMessage = 0;

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db, { now: () => clock, readSecret: (name) => secrets[name] });
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    clock = T0;
    nextMessage = 0;
    secret = generateWebhookSecret();
    receiver = await startWebhookReceiver({ secret });
  });
  afterEach(() => receiver.close());

  const options: DeliveryOptions = { random: () => 0.5, timeoutMs: 2_000 };
  const deliver = (input: { limit?: number; concurrency?: number } = {}, extra: DeliveryOptions = {}) =>
    deliverDueAlerts({ deps, input, options: { ...options, ...extra } });

  async function addChannel(
    values: { kind?: 'webhook' | 'slack'; url?: unknown; secret?: unknown; name?: string } = {},
  ): Promise<number> {
    const row = await handle.db
      .insertInto('alert_channels')
      .values({
        name: values.name ?? `channel-${Math.random().toString(36).slice(2)}`,
        kind: values.kind ?? 'webhook',
        url: JSON.stringify(values.url ?? receiver.url()),
        secret: values.kind === 'slack' ? null : JSON.stringify(values.secret ?? secret),
        updated_at: clock,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async function queue(
    channelId: number,
    values: {
      message?: AlertMessage;
      createdAt?: Date;
      nextAttemptAt?: Date;
      status?: 'pending' | 'sending';
      leaseUntil?: Date | null;
    } = {},
  ): Promise<{ id: number; messageId: string }> {
    nextMessage++;
    const messageId = `msg_test${String(nextMessage).padStart(4, '0')}`;
    const row = await handle.db
      .insertInto('alert_deliveries')
      .values({
        message_id: messageId,
        channel_id: channelId,
        incident_id: null,
        payload: JSON.stringify(values.message ?? alertMessage(nextMessage)),
        status: values.status ?? 'pending',
        lease_until: values.leaseUntil ?? null,
        next_attempt_at: values.nextAttemptAt ?? clock,
        created_at: values.createdAt ?? clock,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), messageId };
  }

  const delivery = (id: number) =>
    handle.db.selectFrom('alert_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const attempts = (id: number) =>
    handle.db
      .selectFrom('alert_delivery_attempts')
      .selectAll()
      .where('delivery_id', '=', id)
      .orderBy('id')
      .execute();
  const idsReceived = () => receiver.received.map((r) => r.headers['webhook-id']);

  it('sends what the receiver verifies: the message as JSON, signed, with the delivery id as webhook-id', async () => {
    // The secret as a reference to the environment, as a config file would give it.
    secrets.HOOK_SECRET = secret;
    const channelId = await addChannel({ secret: { env: 'HOOK_SECRET' } });
    const { id, messageId } = await queue(channelId);

    const report = await deliver();
    expect(report).toEqual({
      claimed: 1,
      delivered: 1,
      retried: 0,
      failed: 0,
      deferred: 0,
      handedBack: 0,
      disabledChannels: [],
    });
    const [got] = receiver.received;
    expect(got, JSON.stringify(receiver.received)).toMatchObject({ verified: true, status: 200 });
    expect(got!.headers['webhook-id']).toBe(messageId);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(JSON.parse(got!.body)).toEqual(alertMessage(1));

    const row = await delivery(id);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 200, lease_until: null });
    expect(row.delivered_at).toEqual(T0);
    const log = await attempts(id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status_code: 200, error: null, attempted_at: T0 });
    expect(log[0]!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('signs so that a tampered body or a wrong secret is rejected by the verifier', async () => {
    const message = alertMessage(1);
    const { body, headers } = renderWebhook(message, 'msg_abc', secret);
    expect(new Webhook(secret).verify(body, headers)).toEqual(message);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

    const tampered = body.replace('Acme', 'Acmf');
    expect(() => new Webhook(secret).verify(tampered, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow(
      WebhookVerificationError,
    );

    // End to end: a channel with the wrong secret is refused (401): failed at once, never retried,
    // and the channel stays enabled.
    const channelId = await addChannel({ secret: generateWebhookSecret() });
    const { id } = await queue(channelId);
    const report = await deliver();
    expect(report).toMatchObject({ claimed: 1, delivered: 0, retried: 0, failed: 1 });
    expect(receiver.received[0]).toMatchObject({ verified: false, status: 401 });
    const row = await delivery(id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 401 });
    expect(row.last_error).toContain('HTTP 401: signature rejected');
    expect((await getChannel({ deps, input: { id: channelId } })).enabled).toBe(true);
    clock = seconds(3600);
    expect((await deliver()).claimed).toBe(0);
  });

  it('delivers everything once the receiver is back, each message under its one id across retries', async () => {
    const channelId = await addChannel();
    const queued = [await queue(channelId), await queue(channelId), await queue(channelId)];
    const [first] = queued;

    // Down: the first is retried with backoff; the others wait behind it untried.
    await receiver.down();
    const nextAttempts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const report = await deliver();
      expect(report).toMatchObject({ claimed: 3, retried: 1, deferred: 2 });
      const row = await delivery(first!.id);
      expect(row.status).toBe('pending');
      expect(row.last_status_code).toBeNull();
      expect(row.last_error).toMatch(/network error: ECONNREFUSED/);
      nextAttempts.push(row.next_attempt_at.getTime() - clock.getTime());
      for (const other of queued.slice(1)) {
        expect((await delivery(other.id)).next_attempt_at).toEqual(row.next_attempt_at);
      }
      clock = row.next_attempt_at;
    }
    // 5 s doubling, equal jitter at random() = 0.5: three quarters of 5, 10, 20 s.
    expect(nextAttempts).toEqual([3_750, 7_500, 15_000]);
    expect(nextAttempts).toEqual([1, 2, 3].map((n) => retryDelayMs(n, () => 0.5)));

    // Up but failing: the retry carries the same webhook-id.
    await receiver.up();
    receiver.answerNext({ status: 503, body: 'maintenance' });
    expect(await deliver()).toMatchObject({ claimed: 3, retried: 1, deferred: 2 });
    expect(idsReceived()).toEqual([first!.messageId]);
    clock = (await delivery(first!.id)).next_attempt_at;

    expect(await deliver()).toMatchObject({ claimed: 3, delivered: 3, retried: 0, failed: 0 });
    const accepted = receiver.accepted();
    expect(accepted.map((r) => r.headers['webhook-id'])).toEqual(queued.map((q) => q.messageId));
    for (const r of accepted) {
      const payload = JSON.parse(r.body) as AlertMessage;
      // One id per message: the same incident never arrived under another id.
      expect(r.headers['webhook-id']).toBe(queued[payload.incident!.id - 1]!.messageId);
    }
    expect(new Set(idsReceived())).toEqual(new Set(queued.map((q) => q.messageId)));

    const log = await attempts(first!.id);
    expect(log.map((a) => a.status_code)).toEqual([null, null, null, 503, 200]);
    expect((await delivery(first!.id)).attempts).toBe(5);
    // The others were tried once each: when they could succeed.
    for (const other of queued.slice(1))
      expect((await attempts(other.id)).map((a) => a.status_code)).toEqual([200]);
  });

  it('gives up on a delivery 24 hours after it was written', async () => {
    const channelId = await addChannel();
    const { id } = await queue(channelId, { createdAt: seconds(-24 * 3600 + 2) });
    receiver.answer({ status: 500, body: 'boom' });

    expect(await deliver()).toMatchObject({ retried: 1 });
    // The backoff (3.75 s) would pass the deadline: the last try is at the deadline itself.
    const row = await delivery(id);
    expect(row.next_attempt_at).toEqual(seconds(2));
    clock = seconds(2);
    expect(await deliver()).toMatchObject({ failed: 1, retried: 0 });
    const failed = await delivery(id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, last_status_code: 500 });
    expect(failed.last_error).toMatch(/^gave up after 2 attempts over 24 h: HTTP 500: boom/);
  });

  it('disables a channel that answers 410, holds its other deliveries, and resumes them when enabled again', async () => {
    const gone = await addChannel({ name: 'gone' });
    const other = await startWebhookReceiver({ secret });
    try {
      const healthy = await addChannel({ name: 'healthy', url: other.url() });
      receiver.answer({ status: 410, body: 'this hook was deleted' });
      const first = await queue(gone);
      const held = [await queue(gone), await queue(gone)];
      const elsewhere = await queue(healthy);

      const report = await deliver();
      expect(report).toMatchObject({
        claimed: 4,
        delivered: 1,
        failed: 1,
        deferred: 2,
        disabledChannels: [gone],
      });
      expect(receiver.received).toHaveLength(1);
      expect((await delivery(elsewhere.id)).status).toBe('delivered');
      expect(await delivery(first.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        last_status_code: 410,
      });

      const channel = await getChannel({ deps, input: { id: gone } });
      expect(channel.enabled).toBe(false);
      expect(channel.disabledReason).toBe(`HTTP 410 from the receiver on ${T0.toISOString()}`);
      expect(channel.disabledAt).toEqual(T0);
      for (const h of held) expect(await delivery(h.id)).toMatchObject({ status: 'pending', attempts: 0 });

      // Disabled: nothing more is sent, however long we wait.
      clock = seconds(3600);
      expect((await deliver()).claimed).toBe(0);

      receiver.answer({ status: 200 });
      await updateChannel({ deps, input: { id: gone, patch: { enabled: true } } });
      expect(await deliver()).toMatchObject({ claimed: 2, delivered: 2 });
      expect(receiver.accepted().map((r) => r.headers['webhook-id'])).toEqual(held.map((h) => h.messageId));

      const log = await listDeliveryLog(handle.db, { channelId: gone });
      expect(log.map((d) => [d.status, d.log.map((a) => a.statusCode)])).toEqual([
        ['delivered', [200]],
        ['delivered', [200]],
        ['failed', [410]],
      ]);
    } finally {
      await other.close();
    }
  });

  it('honours Retry-After on a 429', async () => {
    const channelId = await addChannel();
    const { id, messageId } = await queue(channelId);
    receiver.answerNext({ status: 429, headers: { 'retry-after': '120' }, body: 'slow down' });

    expect(await deliver()).toMatchObject({ retried: 1 });
    const row = await delivery(id);
    expect(row.next_attempt_at).toEqual(seconds(120));
    expect(row.last_error).toBe('HTTP 429: slow down');

    clock = seconds(119);
    expect((await deliver()).claimed).toBe(0);
    clock = seconds(120);
    expect(await deliver()).toMatchObject({ delivered: 1 });
    expect(idsReceived()).toEqual([messageId, messageId]);
  });

  it('sends again, with the same id, a delivery whose sender crashed (lease expired); a live lease is left alone', async () => {
    const channelId = await addChannel();
    const crashed = await queue(channelId, {
      status: 'sending',
      leaseUntil: seconds(-1),
      nextAttemptAt: seconds(-600),
    });
    const busy = await queue(channelId, {
      status: 'sending',
      leaseUntil: seconds(60),
      nextAttemptAt: seconds(-10),
    });

    expect(await deliver()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(idsReceived()).toEqual([crashed.messageId]);
    expect(await delivery(crashed.id)).toMatchObject({ status: 'delivered', message_id: crashed.messageId });
    expect(await delivery(busy.id)).toMatchObject({ status: 'sending', attempts: 0 });
    expect((await delivery(busy.id)).lease_until).toEqual(seconds(60));
  });

  it('retries timeouts and keeps only the start of a huge answer', async () => {
    let mode: 'hang' | 'huge' = 'hang';
    const hostile = createServer((_req, res) => {
      if (mode === 'huge') {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('x'.repeat(1_000_000));
      }
      // 'hang': never answers.
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/hook`;
      const channelId = await addChannel({ url });
      const { id } = await queue(channelId);

      expect(await deliver({}, { timeoutMs: 200 })).toMatchObject({ retried: 1 });
      expect((await delivery(id)).last_error).toBe('timed out after 200 ms');
      const [timedOut] = await attempts(id);
      expect(timedOut!.latency_ms).toBeGreaterThanOrEqual(150);

      mode = 'huge';
      clock = (await delivery(id)).next_attempt_at;
      expect(await deliver()).toMatchObject({ retried: 1 });
      const row = await delivery(id);
      expect(row.last_status_code).toBe(502);
      expect(row.last_error!.length).toBeLessThanOrEqual(2_000);
      expect(row.last_error).toMatch(/^HTTP 502: x+$/);
    } finally {
      hostile.closeAllConnections();
      await new Promise<void>((resolve) => hostile.close(() => resolve()));
    }
  });

  it('never throws because one channel cannot be sent to: a missing credential is retried, others go', async () => {
    const broken = await addChannel({ url: { env: 'NOT_SET_ANYWHERE' } });
    const fine = await addChannel();
    const a = await queue(broken);
    const b = await queue(fine);

    const report = await deliver();
    expect(report).toMatchObject({ claimed: 2, delivered: 1, retried: 1 });
    expect((await delivery(a.id)).last_error).toMatch(/NOT_SET_ANYWHERE/);
    expect((await delivery(b.id)).status).toBe('delivered');
  });

  it('two workers at once send each delivery once', async () => {
    const channels = [await addChannel(), await addChannel(), await addChannel()];
    const queued = [];
    for (let i = 0; i < 12; i++) queued.push(await queue(channels[i % 3]!));

    const reports = await Promise.all([deliver({ limit: 5 }), deliver({ limit: 5 }), deliver({ limit: 5 })]);
    const total = (key: 'claimed' | 'delivered') => reports.reduce((sum, r) => sum + r[key], 0);
    expect(total('claimed')).toBeLessThanOrEqual(12);
    expect(total('delivered')).toBe(total('claimed'));
    clock = seconds(1);
    await deliver({ limit: 50 });

    const ids = idsReceived();
    expect(ids.length, JSON.stringify(reports)).toBe(12);
    expect(new Set(ids)).toEqual(new Set(queued.map((q) => q.messageId)));
    const rows = await handle.db.selectFrom('alert_deliveries').select(['status', 'attempts']).execute();
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
  });

  describe('stopping (shutdown hand-back)', () => {
    /** Resolves once the receiver has got `n` requests (the real clock: it is an HTTP server). */
    async function received(n: number) {
      for (let i = 0; i < 500 && receiver.received.length < n; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(receiver.received.length, JSON.stringify(receiver.received)).toBe(n);
    }
    const pendingUntried = (row: Awaited<ReturnType<typeof delivery>>) => ({
      status: row.status,
      attempts: row.attempts,
      lease_until: row.lease_until,
      next_attempt_at: row.next_attempt_at,
    });

    it('on stop, hands back at once what it has not started, finishes the send under way, then hands back the rest of its channel', async () => {
      const slow = await addChannel({ name: 'slow' });
      const other = await startWebhookReceiver({ secret });
      try {
        const waiting = await addChannel({ name: 'waiting', url: other.url() });
        const first = await queue(slow);
        const behind = await queue(slow);
        const untouched = [await queue(waiting), await queue(waiting)];
        // The first send is under way until the test lets it reach the receiver.
        let started = () => {};
        const sending = new Promise<void>((resolve) => {
          started = resolve;
        });
        let letThrough = () => {};
        const gate = new Promise<void>((resolve) => {
          letThrough = resolve;
        });
        const held: typeof fetch = async (input, init) => {
          started();
          await gate;
          return fetch(input, init);
        };
        const stop = new AbortController();
        // One lane at a time: the slow channel's first send holds it, the other channel waits.
        const run = deliver(
          { concurrency: 1 },
          { fetch: held, stop: stop.signal, giveUp: new AbortController().signal },
        );
        await sending;
        stop.abort();
        // The waiting channel is back at once, untried and due as it was, while the send goes on.
        await expect
          .poll(async () => Promise.all(untouched.map(async (u) => pendingUntried(await delivery(u.id)))), {
            timeout: 5_000,
            interval: 20,
          })
          .toEqual(
            untouched.map(() => ({ status: 'pending', attempts: 0, lease_until: null, next_attempt_at: T0 })),
          );
        expect((await delivery(first.id)).status).toBe('sending');
        letThrough();

        const report = await run;
        expect(report).toEqual({
          claimed: 4,
          delivered: 1,
          retried: 0,
          failed: 0,
          deferred: 0,
          handedBack: 3,
          disabledChannels: [],
        });
        expect(await delivery(first.id)).toMatchObject({ status: 'delivered', attempts: 1 });
        expect(pendingUntried(await delivery(behind.id))).toEqual({
          status: 'pending',
          attempts: 0,
          lease_until: null,
          next_attempt_at: T0,
        });
        expect(other.received).toEqual([]);
        expect(await attempts(behind.id)).toEqual([]);

        // Another worker takes them at its next claim, not after the five-minute lease.
        expect(await deliver()).toMatchObject({ claimed: 3, delivered: 3, handedBack: 0 });
        expect(idsReceived()).toEqual([first.messageId, behind.messageId]);
        expect(other.received.map((r) => r.headers['webhook-id'])).toEqual(untouched.map((u) => u.messageId));
      } finally {
        await other.close();
      }
    });

    it('at the deadline, abandons the send under way and hands it back; the next worker sends it again under the same webhook-id', async () => {
      const channelId = await addChannel();
      const { id, messageId } = await queue(channelId);
      const behind = await queue(channelId);
      receiver.answerNext({ status: 200, delayMs: 30_000 });
      const stop = new AbortController();
      const giveUp = new AbortController();
      const run = deliver({}, { stop: stop.signal, giveUp: giveUp.signal, timeoutMs: 20_000 });
      await received(1);
      stop.abort();
      // Stopping alone waits for the send under way.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await delivery(id)).status).toBe('sending');
      giveUp.abort();
      expect(await run).toMatchObject({ claimed: 2, delivered: 0, retried: 0, handedBack: 2 });
      for (const d of [id, behind.id]) {
        expect(pendingUntried(await delivery(d))).toEqual({
          status: 'pending',
          attempts: 0,
          lease_until: null,
          next_attempt_at: T0,
        });
        expect(await attempts(d)).toEqual([]);
      }

      // The receiver may have acted on the abandoned request: the resend carries the same id.
      expect(await deliver()).toMatchObject({ claimed: 2, delivered: 2 });
      expect(idsReceived()).toEqual([messageId, messageId, behind.messageId]);
      expect(await delivery(id)).toMatchObject({ status: 'delivered', attempts: 1 });
    });

    it('claims nothing once stopping, also as the deliver-alerts job of a stopping process', async () => {
      const channelId = await addChannel();
      const { id } = await queue(channelId);
      const stopped = AbortSignal.abort();
      expect(await deliver({}, { stop: stopped })).toMatchObject({ claimed: 0, handedBack: 0 });
      const job = JOBS.find((j) => j.name === 'deliver-alerts');
      const counts = await job?.run(
        deps,
        { pollConcurrency: 1, retentionDays: 0 },
        { stopping: stopped, deadline: new AbortController().signal },
      );
      expect(counts).toMatchObject({ claimed: 0 });
      expect(await delivery(id)).toMatchObject({ status: 'pending', lease_until: null });
      expect(receiver.received).toEqual([]);
    });
  });

  it('sends a test alert at once and reports what the receiver said', async () => {
    const channelId = await addChannel();
    const ok = await sendTestAlert({ deps, input: { channelId } });
    expect(ok).toMatchObject({ ok: true, status: 200 });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    const [got] = receiver.received;
    expect(got!.verified).toBe(true);
    expect(JSON.parse(got!.body)).toMatchObject({ type: 'test', incident: null, events: [] });

    receiver.answer({ status: 410, body: 'gone' });
    const gone = await sendTestAlert({ deps, input: { channelId } });
    expect(gone).toEqual({ ok: false, status: 410, latencyMs: gone.latencyMs, error: 'HTTP 410: gone' });
    // A test changes nothing: the user decides what to do about it.
    expect((await getChannel({ deps, input: { id: channelId } })).enabled).toBe(true);
    expect(await handle.db.selectFrom('alert_deliveries').selectAll().execute()).toEqual([]);

    await expect(sendTestAlert({ deps, input: { channelId: 999 } })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  describe('Slack', () => {
    let slack: WebhookReceiver;
    beforeEach(async () => {
      slack = await startWebhookReceiver({ secret: null });
    });
    afterEach(() => slack.close());

    it('sends Block Kit with a text fallback, at most one message a second per webhook', async () => {
      // The real clock: pacing is about real seconds.
      const realDeps = createTestDeps(handle.db);
      const channelId = await addChannel({ kind: 'slack', url: slack.url('/services/T000/B000/XXXX') });
      await queue(channelId, { message: alertMessage(1), nextAttemptAt: new Date(Date.now() - 1000) });
      await queue(channelId, { message: alertMessage(2), nextAttemptAt: new Date(Date.now() - 1000) });

      const report = await deliverDueAlerts({ deps: realDeps, input: {}, options });
      expect(report).toMatchObject({ claimed: 2, delivered: 2 });
      expect(slack.received).toHaveLength(2);
      const [one, two] = slack.received;
      expect(one!.headers['webhook-signature']).toBeUndefined();
      // The sends are a second apart (the attempt log has when each request left); at the receiver
      // too, less transit jitter (a process's first request also opens the connection, ~20 ms).
      const log = await handle.db.selectFrom('alert_delivery_attempts').selectAll().orderBy('id').execute();
      const sent = log.map((a) => a.attempted_at.getTime());
      expect(sent[1]! - sent[0]!).toBeGreaterThanOrEqual(1000);
      expect(two!.at - one!.at, `received at ${one!.at} and ${two!.at}`).toBeGreaterThanOrEqual(900);

      const body = JSON.parse(one!.body);
      expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
      expect(body.text).toBe('[CRITICAL] Delivery complaints #1: Negative mention #1 of Acme');
      const types = body.blocks.map((b: { type: string }) => b.type);
      expect(types).toEqual(['header', 'section', 'section', 'section', 'context']);
      expect(body.blocks[0].text).toMatchObject({
        type: 'plain_text',
        text: '🔴 Critical: Delivery complaints #1',
      });
      expect(body.blocks[2].fields.map((f: { text: string }) => f.text)).toEqual([
        '*Brand*\nAcme',
        '*Rule*\nnegative Acme (negative_mention)',
        '*Source*\nReview site (rss)',
        '*Sentiment*\nnegative (-0.72) · rated 1',
      ]);
      // The mention quoted, its link and text escaped for mrkdwn.
      expect(body.blocks[3].text.text).toBe(
        '*<https://reviews.example.com/acme/1?a=1&amp;b=2|Parcel lost ¦ again>* by Dana &lt;dana@example.com&gt;\n' +
          '> Ordered two weeks ago.\n> Still nothing &amp; support does not answer &lt;sigh&gt;.',
      );
      expect(body.blocks[4].elements[0].text).toMatch(/^Incident #1 \(open\) · Opened <!date\^\d+\^/);
    });

    it('keeps one pace per webhook across workers', async () => {
      const realDeps = createTestDeps(handle.db);
      const channelId = await addChannel({ kind: 'slack', url: slack.url() });
      for (let i = 0; i < 3; i++) await queue(channelId, { nextAttemptAt: new Date(Date.now() - 1000) });

      // Two workers take the deliveries between them; a slot too far off puts one back until then.
      const run = () => deliverDueAlerts({ deps: realDeps, input: { limit: 2 }, options });
      await Promise.all([run(), run()]);
      for (let i = 0; i < 10 && slack.received.length < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await run();
      }
      expect(slack.received).toHaveLength(3);
      const at = slack.received.map((r) => r.at).sort((a, b) => a - b);
      // Slots are a second apart in the database; the requests follow them within milliseconds.
      for (let i = 1; i < at.length; i++)
        expect(at[i]! - at[i - 1]!, `received at ${at}`).toBeGreaterThanOrEqual(900);
      // Slots are a second apart; a send that starts late on a loaded machine (its slot taken, the
      // request delayed) narrows the gap to the next one: some slack, as for the received times.
      const log = await handle.db
        .selectFrom('alert_delivery_attempts')
        .selectAll()
        .orderBy('attempted_at')
        .execute();
      const sent = log.map((a) => a.attempted_at.getTime());
      for (let i = 1; i < sent.length; i++)
        expect(sent[i]! - sent[i - 1]!, `sent at ${sent}`).toBeGreaterThanOrEqual(900);
      const rows = await handle.db.selectFrom('alert_deliveries').select(['status', 'attempts']).execute();
      expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
    });

    it('puts a delivery back untried when the next Slack slot is more than 1.5 s away', async () => {
      const channelId = await addChannel({ kind: 'slack', url: slack.url() });
      await handle.db
        .updateTable('alert_channels')
        .set({ next_send_at: seconds(5) })
        .execute();
      const { id } = await queue(channelId);

      expect(await deliver()).toMatchObject({ claimed: 1, delivered: 0, deferred: 1 });
      expect(slack.received).toHaveLength(0);
      expect(await delivery(id)).toMatchObject({
        status: 'pending',
        attempts: 0,
        next_attempt_at: seconds(6),
      });
      expect(await attempts(id)).toEqual([]);

      clock = seconds(6);
      expect(await deliver()).toMatchObject({ delivered: 1 });
      expect(slack.received).toHaveLength(1);
    });

    it('renders a digest within Slack limits: 50 blocks, 3000 characters a text', () => {
      const events = Array.from({ length: 80 }, (_, i) =>
        event(i + 1, { summary: `Spike ${i + 1} ${'very long summary '.repeat(300)}` }),
      );
      const message = alertMessage(1, {
        type: 'digest',
        incident: null,
        summary: '80 alerts in 3 incidents in the last hour',
        events,
      });
      const rendered = renderSlack(message);
      expect(rendered.text).toBe('80 alerts in 3 incidents in the last hour');
      expect(rendered.blocks.length).toBeLessThanOrEqual(50);
      const texts = JSON.stringify(rendered.blocks).match(/"text":"(?:[^"\\]|\\.)*"/g) ?? [];
      for (const t of texts) expect(JSON.parse(`{${t}}`).text.length).toBeLessThanOrEqual(3000);
      expect(rendered.blocks.at(-2)).toMatchObject({
        type: 'context',
        elements: [{ text: expect.stringMatching(/^…and \d+ more in earshot$/) }],
      });
      expect(rendered.blocks[0]).toMatchObject({
        type: 'header',
        text: { text: '🗞️ Digest: Acme · negative Acme' },
      });
    });
  });
});
