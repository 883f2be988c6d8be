/**
 * Alerts through the API: channels and rules (validation included), a negative mention pushed in and
 * the incident it opens, worked from open to resolved; grouping, de-duplication, the no-storm rule,
 * mute, digest and quiet hours. Delivery itself is test/alerts/deliver.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { sendDueDigests } from '../../src/alerts/digest.ts';
import { type App, createApp } from '../../src/app.ts';
import type { Deps } from '../../src/deps.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const T0 = new Date('2026-11-20T12:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

describe('alerts API', () => {
  let handle: DbHandle;
  let deps: Deps;
  let app: App;
  let clock: Date;
  let queuedSignals: number;

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db, {
      now: () => clock,
      alertsQueued: () => {
        queuedSignals++;
      },
    });
    app = createApp(deps);
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    clock = T0;
    queuedSignals = 0;
    expectStatus(await call(app, 'POST', '/api/brands', { name: 'Acme' }), 201);
    expectStatus(
      await call(app, 'POST', '/api/sources', { name: 'helpdesk', kind: 'push', options: {} }),
      201,
    );
  });

  async function webhook(name = 'support-hook') {
    const res = await call(app, 'POST', '/api/channels', {
      name,
      kind: 'webhook',
      url: 'https://hooks.example.com/earshot/abc123',
    });
    expectStatus(res, 201);
    return res.body;
  }

  async function rule(extra: Record<string, unknown> = {}) {
    const res = await call(app, 'POST', '/api/alert-rules', {
      name: 'negative Acme',
      brand: 'Acme',
      kind: 'negative_mention',
      channels: ['support-hook'],
      ...extra,
    });
    expectStatus(res, 201);
    return res.body;
  }

  async function push(items: Array<Record<string, unknown>>, source = 'helpdesk') {
    const res = await call(app, 'POST', '/api/ingest', { source, items });
    expectStatus(res, 200);
    return res.body;
  }

  const complaint = (id: string, at: Date, extra: Record<string, unknown> = {}) => ({
    externalId: id,
    text: 'Acme lost my parcel, support never answered and I want a refund. Terrible.',
    publishedAt: at.toISOString(),
    ...extra,
  });

  async function deliveries() {
    return handle.db.selectFrom('alert_deliveries').selectAll().orderBy('id').execute();
  }

  it('channels: a generated signing secret shown once, URLs redacted, bad input named', async () => {
    const created = await webhook();
    expect(created.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(created.url).toEqual({ origin: 'https://hooks.example.com' });
    const read = await call(app, 'GET', `/api/channels/${created.id}`);
    expect(read.body.signingSecret, read.text).toBeUndefined();
    expect(read.text).not.toContain('abc123');
    expect(read.body.signed).toBe(true);

    const slack = await call(app, 'POST', '/api/channels', {
      name: 'slack',
      kind: 'slack',
      url: { env: 'SLACK_WEBHOOK_URL' },
    });
    expectStatus(slack, 201);
    expect(slack.body.url).toEqual({ env: 'SLACK_WEBHOOK_URL' });

    const bad = await call(app, 'POST', '/api/channels', { name: 'x', kind: 'pager', url: 'ftp://x' });
    expectError(bad, 400, 'validation_failed');
    expect(bad.text).toContain('kind');
    const signedSlack = await call(app, 'POST', '/api/channels', {
      name: 'y',
      kind: 'slack',
      url: 'https://hooks.slack.com/services/T/B/X',
      secret: 'whsec_abc',
    });
    expectError(signedSlack, 400, 'validation_failed');
    expectError(
      await call(app, 'POST', '/api/channels', {
        name: 'support-hook',
        kind: 'webhook',
        url: 'https://a.example',
      }),
      409,
      'conflict',
    );
  });

  it('rules: brands and channels by name, conditions checked against the kind', async () => {
    await webhook();
    const created = await rule({ conditions: { maxScore: -0.3, touchpoints: ['delivery'] } });
    expect(created).toMatchObject({
      kind: 'negative_mention',
      severity: 'warning',
      cooldownMinutes: 60,
      conditions: { labels: ['negative'], maxScore: -0.3, touchpoints: ['delivery'], recentMinutes: 1440 },
    });
    expect(created.channels).toHaveLength(1);

    const badConditions = await call(app, 'POST', '/api/alert-rules', {
      name: 'bad',
      brand: 'Acme',
      kind: 'negative_mention',
      conditions: { maxScore: 3, colour: 'red' },
    });
    expectError(badConditions, 400, 'validation_failed');
    expect(badConditions.text).toContain('conditions.maxScore');
    const unknownBrand = await call(app, 'POST', '/api/alert-rules', {
      name: 'x',
      brand: 'Nope',
      kind: 'negative_mention',
    });
    expectError(unknownBrand, 400, 'validation_failed');
    expect(unknownBrand.text).toContain('Nope');
    const badQuiet = await call(app, 'PATCH', `/api/alert-rules/${created.id}`, {
      quietHours: { start: '25:00', end: '07:00', timeZone: 'Mars/Olympus' },
    });
    expectError(badQuiet, 400, 'validation_failed');

    const patched = await call(app, 'PATCH', `/api/alert-rules/${created.id}`, {
      conditions: { labels: ['negative', 'mixed'] },
      quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Paris' },
    });
    expectStatus(patched, 200);
    expect(patched.body.conditions.labels).toEqual(['negative', 'mixed']);
    const listed = await call(app, 'GET', '/api/alert-rules?brand=1');
    expect(listed.body.items).toHaveLength(1);
    expectStatus(await call(app, 'DELETE', `/api/alert-rules/${created.id}`), 204);
    expectError(await call(app, 'GET', `/api/alert-rules/${created.id}`), 404, 'not_found');
  });

  it('a negative mention opens an incident with an outbox row, worked open → acknowledged → resolved', async () => {
    await webhook();
    await rule();
    clock = minutes(5);
    await push([
      complaint('t-1', minutes(4)),
      { externalId: 't-2', text: 'Acme shipped fast, lovely people.', publishedAt: minutes(4).toISOString() },
    ]);
    expect(queuedSignals).toBe(1);

    const list = await call(app, 'GET', '/api/alerts');
    expect(list.body.items, list.text).toHaveLength(1);
    const incident = list.body.items[0];
    expect(incident).toMatchObject({ status: 'open', severity: 'warning', eventCount: 1, mentionCount: 1 });
    expect(incident.title).toContain('Acme');

    const detail = await call(app, 'GET', `/api/alerts/${incident.id}`);
    expect(detail.body.events).toHaveLength(1);
    expect(detail.body.events[0].summary).toContain('lost my parcel');
    expect(detail.body.deliveries).toHaveLength(1);
    expect(detail.body.deliveries[0]).toMatchObject({ status: 'pending', attempts: 0 });
    expect(detail.body.deliveries[0].messageId).toMatch(/^msg_/);
    const [row] = await deliveries();
    const payload = row?.payload as {
      type: string;
      brand: { name: string };
      events: Array<{ mention: { text: string } }>;
    };
    expect(payload.type).toBe('incident.opened');
    expect(payload.brand.name).toBe('Acme');
    expect(payload.events[0]?.mention.text).toContain('lost my parcel');

    const acked = await call(app, 'POST', `/api/alerts/${incident.id}/ack`, {
      by: 'sam',
      note: 'calling them',
    });
    expect(acked.body).toMatchObject({ status: 'acknowledged', assignee: 'sam' });
    expectStatus(
      await call(app, 'POST', `/api/alerts/${incident.id}/notes`, { text: 'refund issued', by: 'sam' }),
      201,
    );
    expectStatus(await call(app, 'PATCH', `/api/alerts/${incident.id}`, { assignee: 'kim' }), 200);
    const resolved = await call(app, 'POST', `/api/alerts/${incident.id}/resolve`);
    expect(resolved.body.status).toBe('resolved');
    expectError(await call(app, 'POST', `/api/alerts/${incident.id}/ack`), 409, 'conflict');
    const notes = await call(app, 'GET', `/api/alerts/${incident.id}`);
    expect(notes.body.notes.map((n: { text: string }) => n.text)).toEqual(['calling them', 'refund issued']);
    expect(notes.body.assignee).toBe('kim');
    expect((await call(app, 'GET', '/api/alerts')).body.items).toHaveLength(0);
    expect((await call(app, 'GET', '/api/alerts?status=resolved')).body.items).toHaveLength(1);
    expectError(await call(app, 'GET', '/api/alerts?status=closed'), 400, 'validation_failed');
  });

  it('copies of one story join its incident; a re-pushed batch adds nothing', async () => {
    await webhook();
    await rule();
    clock = minutes(5);
    const url = 'https://news.example.com/acme-lost-parcels';
    await push([complaint('a', minutes(1), { url })]);
    await push([
      complaint('b', minutes(2), { url: `${url}?utm_source=x` }),
      complaint('a', minutes(1), { url }),
    ]);
    const list = await call(app, 'GET', '/api/alerts');
    expect(list.body.items, list.text).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ eventCount: 2, mentionCount: 2 });
    // Announced once: the copy joined within the cooldown.
    expect(await deliveries()).toHaveLength(1);
  });

  it('the same complaint theme from another source within the window joins the incident', async () => {
    await webhook();
    await rule({ cooldownMinutes: 10 });
    expectStatus(
      await call(app, 'POST', '/api/sources', { name: 'reviews', kind: 'push', options: {} }),
      201,
    );
    clock = minutes(5);
    await push([
      complaint('l-1', minutes(4), {
        text: 'The Acme login page keeps failing, I cannot get into my account. Awful.',
      }),
    ]);
    clock = minutes(8);
    await push(
      [
        complaint('l-2', minutes(7), {
          text: 'My Acme account is locked and the login page just errors. Terrible.',
        }),
      ],
      'reviews',
    );
    // A different complaint is a different incident.
    await push([
      complaint('p-1', minutes(7), { text: 'My Acme parcel never arrived and the courier lied. Awful.' }),
    ]);
    const list = await call(app, 'GET', '/api/alerts');
    expect(list.body.items, list.text).toHaveLength(2);
    const login = list.body.items.find((i: { mentionCount: number }) => i.mentionCount === 2);
    expect(login, list.text).toBeDefined();
    const detail = await call(app, 'GET', `/api/alerts/${login.id}`);
    expect(detail.body.events.map((e: { summary: string }) => e.summary).join(' ')).toMatch(
      /same theme “(login page|account)”/,
    );
    // Announced once (the second joined within the cooldown)…
    expect(detail.body.deliveries).toHaveLength(1);

    // …and after the cooldown, an update that also lists what joined in between.
    clock = minutes(20);
    await push([
      complaint('l-3', minutes(19), {
        text: 'Acme login page down again, my account is unreachable. Useless.',
      }),
    ]);
    const after = await call(app, 'GET', `/api/alerts/${login.id}`);
    expect(after.body).toMatchObject({ eventCount: 3, mentionCount: 3 });
    expect(after.body.deliveries).toHaveLength(2);
    const rows = await deliveries();
    const update = rows.at(-1)?.payload as { type: string; events: Array<{ summary: string }> };
    expect(update.type).toBe('incident.updated');
    expect(update.events).toHaveLength(2);
    expect(update.events[1]?.summary).toContain('locked');

    // Past the window, the same theme opens a new incident.
    clock = minutes(200);
    await push([
      complaint('l-4', minutes(199), {
        text: 'Again the Acme login page fails and my account is gone. Awful.',
      }),
    ]);
    expect((await call(app, 'GET', '/api/alerts')).body.items).toHaveLength(3);
  });

  it('theme grouping off (groupWindowMinutes 0): one incident per story', async () => {
    await webhook();
    await rule({ conditions: { groupWindowMinutes: 0 } });
    clock = minutes(5);
    await push([
      complaint('l-1', minutes(4), {
        text: 'The Acme login page keeps failing, I cannot get into my account. Awful.',
      }),
      complaint('l-2', minutes(4), {
        text: 'My Acme account is locked and the login page just errors. Terrible.',
      }),
    ]);
    expect((await call(app, 'GET', '/api/alerts')).body.items).toHaveLength(2);
  });

  it('flood cap: past maxAlertsPerHour, distinct alerts wait for one hourly message', async () => {
    await webhook();
    await rule({ maxAlertsPerHour: 2, conditions: { groupWindowMinutes: 0 } });
    clock = minutes(5);
    const texts = [
      'My Acme parcel never arrived and the courier lied. Awful.',
      'Acme charged me twice and no refund yet, disgraceful.',
      'The Acme checkout crashed twice, I hate it.',
      'Rude Acme agent hung up on me, worst support ever.',
      'The Acme app deletes my playlists every update, terrible.',
    ];
    const fired = await push(texts.map((text, i) => complaint(`f-${i}`, minutes(4), { text })));
    expect(fired.inserted).toBe(5);
    expect((await call(app, 'GET', '/api/alerts')).body.items).toHaveLength(5);
    expect((await deliveries()).map((d) => d.kind)).toEqual(['alert', 'alert']);
    const sent = await sendDueDigests({ deps, input: { now: minutes(61) } });
    expect(sent).toMatchObject({ rules: 1, events: 3, queued: 1 });
    const digest = (await deliveries()).at(-1)?.payload as {
      summary: string;
      details: { floodCap: boolean };
    };
    expect(digest.details.floodCap).toBe(true);
    expect(digest.summary).toContain('flood cap (2 an hour)');
    // An hour on, the allowance is back.
    clock = minutes(70);
    await push([
      complaint('f-later', minutes(69), {
        text: 'Acme lost my luggage and nobody answers the phone. Awful.',
      }),
    ]);
    expect((await deliveries()).at(-1)?.kind).toBe('alert');
  });

  it('no storm: old items and undated items of a first push never fire', async () => {
    await webhook();
    await rule();
    clock = minutes(5);
    const old = Array.from({ length: 200 }, (_, i) =>
      complaint(`old-${i}`, new Date(T0.getTime() - (3 + i) * 86_400_000)),
    );
    const result = await push([...old, complaint('undated', T0, { publishedAt: undefined })]);
    expect(result.inserted).toBe(201);
    expect((await call(app, 'GET', '/api/alerts')).body.items).toHaveLength(0);
    expect(await deliveries()).toHaveLength(0);
    // Before the rule existed: no fire either; a fresh one does.
    await push([complaint('before-rule', minutes(-1)), complaint('fresh', minutes(4))]);
    expect((await call(app, 'GET', '/api/alerts')).body.items).toHaveLength(1);
  });

  it('mute records without sending; a digest holds, then sends one message', async () => {
    await webhook();
    const muted = await rule({ mutedUntil: minutes(60).toISOString() });
    clock = minutes(5);
    await push([complaint('m-1', minutes(4))]);
    expect((await call(app, 'GET', '/api/alerts')).body.items).toHaveLength(1);
    expect(await deliveries()).toHaveLength(0);

    expectStatus(
      await call(app, 'PATCH', `/api/alert-rules/${muted.id}`, { mutedUntil: null, digest: 'hourly' }),
      200,
    );
    await push([
      complaint('d-1', minutes(6), { text: 'Acme broke my order. Awful.' }),
      complaint('d-2', minutes(7), { text: 'Acme charged me twice, terrible service.' }),
    ]);
    expect(await deliveries()).toHaveLength(0);
    expect(await sendDueDigests({ deps, input: { now: minutes(30) } })).toEqual({
      rules: 0,
      events: 0,
      queued: 0,
    });
    const sent = await sendDueDigests({ deps, input: { now: minutes(61) } });
    expect(sent).toMatchObject({ rules: 1, events: 2, queued: 1 });
    const sentRows = await deliveries();
    expect(sentRows.map((d) => d.kind)).toEqual(['digest']);
    expect((sentRows[0]?.payload as { events?: unknown[] } | undefined)?.events).toHaveLength(2);
    expect(await sendDueDigests({ deps, input: { now: minutes(120) } })).toMatchObject({ queued: 0 });
  });

  it('quiet hours hold deliveries until they end; urgent severities go at once', async () => {
    await webhook();
    // 12:00 UTC is 13:00 in Paris: quiet from 12:30 to 14:00 local.
    await rule({ quietHours: { start: '12:30', end: '14:00', timeZone: 'Europe/Paris' } });
    clock = minutes(5);
    await push([complaint('q-1', minutes(4))]);
    const [held] = await deliveries();
    expect(held?.next_attempt_at.toISOString()).toBe('2026-11-20T13:00:00.000Z');
    await call(app, 'POST', '/api/alert-rules', {
      name: 'urgent',
      brand: 'Acme',
      kind: 'negative_mention',
      channels: ['support-hook'],
      severity: 'critical',
      urgentSeverity: 'critical',
      quietHours: { start: '12:30', end: '14:00', timeZone: 'Europe/Paris' },
    });
    await push([complaint('q-2', minutes(5), { text: 'Acme is the worst, never again.' })]);
    const urgent = (await deliveries()).at(-1);
    expect(urgent?.next_attempt_at.toISOString()).toBe(minutes(5).toISOString());
  });
});
