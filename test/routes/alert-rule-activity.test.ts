/**
 * GET /api/alert-rules (and /:id) show what each rule did lately: `lastFiredAt` (its newest event)
 * and `lastDelivery` (the newest delivery of its incidents), for the dashboard's rule table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { call, expectStatus } from '../helpers/app.ts';
import { createTestDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const T0 = new Date('2026-11-20T12:00:00Z');

describe('alert rules: last fired and last delivery', () => {
  let handle: DbHandle;
  let app: App;
  let clock = T0;

  beforeAll(async () => {
    handle = await createTestDb();
    app = createApp(createTestDeps(handle.db, { now: () => clock }));
  });
  afterAll(() => handle.close());

  it('are null until a rule fires, then name the event and the delivery', async () => {
    expectStatus(await call(app, 'POST', '/api/brands', { name: 'Acme' }), 201);
    expectStatus(
      await call(app, 'POST', '/api/sources', { name: 'helpdesk', kind: 'push', options: {} }),
      201,
    );
    const channel = await call(app, 'POST', '/api/channels', {
      name: 'hook',
      kind: 'webhook',
      url: 'https://hooks.example.com/x',
    });
    expectStatus(channel, 201);
    const complaints = await call(app, 'POST', '/api/alert-rules', {
      name: 'complaints',
      brand: 'Acme',
      kind: 'negative_mention',
      channels: ['hook'],
    });
    expectStatus(complaints, 201);
    const spikes = await call(app, 'POST', '/api/alert-rules', {
      name: 'spikes',
      brand: 'Acme',
      kind: 'volume_spike',
    });
    expectStatus(spikes, 201);

    const before = await call(app, 'GET', '/api/alert-rules');
    expectStatus(before, 200);
    for (const rule of before.body.items) {
      expect(rule.lastFiredAt, before.text).toBeNull();
      expect(rule.lastDelivery, before.text).toBeNull();
    }

    clock = new Date(T0.getTime() + 5 * 60_000);
    const pushed = await call(app, 'POST', '/api/ingest', {
      source: 'helpdesk',
      items: [
        {
          externalId: 'c1',
          text: 'Acme lost my parcel, support never answered and I want a refund. Terrible.',
          publishedAt: new Date(T0.getTime() + 4 * 60_000).toISOString(),
        },
      ],
    });
    expectStatus(pushed, 200);

    const after = await call(app, 'GET', '/api/alert-rules?brand=1');
    expectStatus(after, 200);
    const fired = after.body.items.find((r: { id: number }) => r.id === complaints.body.id);
    expect(fired.lastFiredAt, after.text).toBe(clock.toISOString());
    expect(fired.lastDelivery, after.text).toMatchObject({
      channelId: channel.body.id,
      status: 'pending',
      attempts: 0,
      deliveredAt: null,
      lastError: null,
    });
    const quiet = after.body.items.find((r: { id: number }) => r.id === spikes.body.id);
    expect(quiet.lastFiredAt).toBeNull();
    expect(quiet.lastDelivery).toBeNull();

    const one = await call(app, 'GET', `/api/alert-rules/${complaints.body.id}`);
    expectStatus(one, 200);
    expect(one.body.lastFiredAt).toBe(clock.toISOString());
    expect(one.body.lastDelivery.status).toBe('pending');
  });
});
