import { Hono } from 'hono';
import { z } from 'zod';
import {
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  updateChannel,
} from '../alerts/channels-catalog.ts';
import { sendTestAlert } from '../alerts/deliver.ts';
import {
  acknowledgeAlert,
  addAlertNote,
  getAlert,
  listAlerts,
  resolveAlert,
  updateAlert,
} from '../alerts/incidents.ts';
import { createRule, deleteRule, getRule, listRules, updateRule } from '../alerts/rules.ts';
import type { Deps } from '../deps.ts';
import { IdParam, validate } from './validate.ts';

/** A body that may be absent (ack and resolve take an optional note). */
async function optionalJson(c: { req: { text: () => Promise<string> } }): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return text; // Refused by the verb's schema with a clear message.
  }
}

/** Incidents, called alerts in the API: what support works. */
export function alertRoutes(deps: Deps) {
  return new Hono()
    .get('/', async (c) => c.json(await listAlerts({ deps, input: c.req.query() })))
    .get('/:id', validate('param', IdParam), async (c) =>
      c.json(await getAlert({ deps, input: c.req.valid('param') })),
    )
    .patch('/:id', validate('param', IdParam), validate('json', z.unknown()), async (c) =>
      c.json(await updateAlert({ deps, input: { id: c.req.valid('param').id, patch: c.req.valid('json') } })),
    )
    .post('/:id/ack', validate('param', IdParam), async (c) =>
      c.json(
        await acknowledgeAlert({ deps, input: { id: c.req.valid('param').id, body: await optionalJson(c) } }),
      ),
    )
    .post('/:id/resolve', validate('param', IdParam), async (c) =>
      c.json(
        await resolveAlert({ deps, input: { id: c.req.valid('param').id, body: await optionalJson(c) } }),
      ),
    )
    .post('/:id/notes', validate('param', IdParam), validate('json', z.unknown()), async (c) =>
      c.json(
        await addAlertNote({ deps, input: { id: c.req.valid('param').id, body: c.req.valid('json') } }),
        201,
      ),
    );
}

export function alertRuleRoutes(deps: Deps) {
  return new Hono()
    .get(
      '/',
      validate('query', z.strictObject({ brand: z.coerce.number().int().positive().optional() })),
      async (c) =>
        c.json({ items: await listRules({ deps, input: { brandId: c.req.valid('query').brand } }) }),
    )
    .post('/', validate('json', z.unknown()), async (c) => {
      const rule = await createRule({ deps, input: c.req.valid('json') });
      return c.json(rule, 201, { location: `/api/alert-rules/${rule.id}` });
    })
    .get('/:id', validate('param', IdParam), async (c) =>
      c.json(await getRule({ deps, input: c.req.valid('param') })),
    )
    .patch('/:id', validate('param', IdParam), validate('json', z.unknown()), async (c) =>
      c.json(await updateRule({ deps, input: { id: c.req.valid('param').id, patch: c.req.valid('json') } })),
    )
    .delete('/:id', validate('param', IdParam), async (c) => {
      await deleteRule({ deps, input: c.req.valid('param') });
      return c.body(null, 204);
    });
}

export function channelRoutes(deps: Deps) {
  return (
    new Hono()
      .get('/', async (c) => c.json({ items: await listChannels({ deps }) }))
      .post('/', validate('json', z.unknown()), async (c) => {
        const channel = await createChannel({ deps, input: c.req.valid('json') });
        return c.json(channel, 201, { location: `/api/channels/${channel.id}` });
      })
      .get('/:id', validate('param', IdParam), async (c) =>
        c.json(await getChannel({ deps, input: c.req.valid('param') })),
      )
      .patch('/:id', validate('param', IdParam), validate('json', z.unknown()), async (c) =>
        c.json(
          await updateChannel({ deps, input: { id: c.req.valid('param').id, patch: c.req.valid('json') } }),
        ),
      )
      .delete('/:id', validate('param', IdParam), async (c) => {
        await deleteChannel({ deps, input: c.req.valid('param') });
        return c.body(null, 204);
      })
      // "Send test alert": sent at once, not through the outbox; the answer says what the receiver did.
      .post('/:id/test', validate('param', IdParam), async (c) =>
        c.json(await sendTestAlert({ deps, input: { channelId: c.req.valid('param').id } })),
      )
  );
}
