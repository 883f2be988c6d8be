import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  ChannelInput,
  ChannelPatch,
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  updateChannel,
} from '../alerts/channels-catalog.ts';
import { sendTestAlert } from '../alerts/deliver.ts';
import {
  Actor,
  AlertPatch,
  acknowledgeAlert,
  addAlertNote,
  getAlert,
  ListAlertsInput,
  listAlerts,
  NoteInput,
  resolveAlert,
  updateAlert,
} from '../alerts/incidents.ts';
import {
  createRule,
  deleteRule,
  getRule,
  listRules,
  RULE_CONDITIONS,
  RULE_KINDS,
  RuleInput,
  RulePatch,
  updateRule,
} from '../alerts/rules.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import {
  createOpenApiApp,
  describeBodies,
  errorResponses,
  jsonResponse,
  registerSchema,
  resourceRoutes,
  type Tag,
} from './openapi.ts';
import * as answers from './responses.ts';
import { IdParam, jsonBody } from './validate.ts';

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
  const app = createOpenApiApp();
  const tags: Tag[] = ['Alerts'];
  const bodies = describeBodies(app, {
    AlertAction: {
      schema: Actor,
      description: 'Optional: who (`by`) and a note recorded with the incident',
      required: false,
    },
    AlertPatch: { schema: AlertPatch, description: 'The assignee, or null' },
    AlertNoteInput: { schema: NoteInput, description: 'The note' },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'List alerts',
      description:
        'Incidents, most recently active first; `status` is comma-separated (default `open,acknowledged`).',
      request: { query: ListAlertsInput },
      responses: {
        200: jsonResponse('A page of incidents', answers.IncidentPage),
        ...errorResponses(400),
      },
    }),
    // The verb parses the query itself (statuses into a list): the route checks it with the same schema
    // for the document, and keeps the verb's wording when it refuses it.
    async (c) => c.json(await listAlerts({ deps, input: c.req.query() }), 200),
    (result) => {
      if (!result.success) throw AppError.fromZod(result.error, 'alerts query');
      return undefined;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags,
      summary: 'Read an alert',
      description:
        'With its latest events and their explanations, notes, and every delivery with its attempts.',
      request: { params: IdParam },
      responses: {
        200: jsonResponse('The incident', answers.IncidentDetail),
        ...errorResponses(400, 404),
      },
    }),
    async (c) => c.json(await getAlert({ deps, input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      tags,
      summary: 'Assign an alert',
      request: { params: IdParam, body: bodies.AlertPatch },
      responses: {
        200: jsonResponse('The incident', answers.Incident),
        ...errorResponses(400, 404, 413),
      },
    }),
    async (c) =>
      c.json(
        await updateAlert({ deps, input: { id: c.req.valid('param').id, patch: await jsonBody(c) } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/ack',
      tags,
      summary: 'Acknowledge an alert',
      description:
        'Sets the assignee to `by` when there is none. A resolved incident cannot be acknowledged.',
      request: { params: IdParam, body: bodies.AlertAction },
      responses: {
        200: jsonResponse('The incident', answers.Incident),
        ...errorResponses(400, 404, 409, 413),
      },
    }),
    async (c) =>
      c.json(
        await acknowledgeAlert({ deps, input: { id: c.req.valid('param').id, body: await optionalJson(c) } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/resolve',
      tags,
      summary: 'Resolve an alert',
      description: 'A later matching event opens a new incident.',
      request: { params: IdParam, body: bodies.AlertAction },
      responses: {
        200: jsonResponse('The incident', answers.Incident),
        ...errorResponses(400, 404, 413),
      },
    }),
    async (c) =>
      c.json(
        await resolveAlert({ deps, input: { id: c.req.valid('param').id, body: await optionalJson(c) } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/notes',
      tags,
      summary: 'Add a note to an alert',
      request: { params: IdParam, body: bodies.AlertNoteInput },
      responses: {
        201: jsonResponse('The note', answers.Note),
        ...errorResponses(400, 404, 413),
      },
    }),
    async (c) =>
      c.json(
        await addAlertNote({ deps, input: { id: c.req.valid('param').id, body: await jsonBody(c) } }),
        201,
      ),
  );

  return app;
}

/** `negative_mention` → `NegativeMentionConditions`. */
function conditionsName(kind: string): string {
  return `${kind.replace(/(^|_)([a-z])/g, (_, _sep: string, ch: string) => ch.toUpperCase())}Conditions`;
}

/**
 * The rule bodies as the document shows them. The verbs check `conditions` against the rule's kind
 * (RULE_CONDITIONS), so the document spells out one body per kind, and a patch's conditions as those
 * of any kind.
 */
function ruleBodySchemas(app: ReturnType<typeof createOpenApiApp>) {
  const conditions = RULE_KINDS.map((kind) => ({
    kind,
    schema: registerSchema<z.ZodType>(app, conditionsName(kind), RULE_CONDITIONS[kind]),
  }));
  const perKind = conditions.map(({ kind, schema }) =>
    RuleInput.in.extend({ kind: z.literal(kind), conditions: schema.default({}) }),
  );
  return {
    input: z.discriminatedUnion('kind', perKind as [(typeof perKind)[number], ...typeof perKind]),
    patch: RulePatch.extend({ conditions: z.union(conditions.map((c) => c.schema)).optional() }),
  };
}

export function alertRuleRoutes(deps: Deps) {
  const app = createOpenApiApp();
  const tags: Tag[] = ['Alert rules'];
  const schemas = ruleBodySchemas(app);
  const bodies = describeBodies(app, {
    AlertRuleInput: {
      schema: schemas.input,
      description: 'The rule: its brand (by id or name), kind and conditions, channels (by id or name)',
    },
    AlertRulePatch: {
      schema: schemas.patch,
      description: "Any field but the kind; conditions are checked against the rule's kind",
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'List alert rules',
      request: { query: z.strictObject({ brand: z.coerce.number().int().positive().optional() }) },
      responses: {
        200: jsonResponse('The rules, with what they did lately', answers.AlertRuleList),
        ...errorResponses(400),
      },
    }),
    async (c) =>
      c.json({ items: await listRules({ deps, input: { brandId: c.req.valid('query').brand } }) }, 200),
  );

  resourceRoutes(app, {
    tags,
    noun: 'alert rule',
    location: '/api/alert-rules',
    bodies: { create: bodies.AlertRuleInput, patch: bodies.AlertRulePatch },
    answers: {
      created: answers.AlertRule,
      read: answers.AlertRuleWithActivity,
      readDescription: 'The rule, with what it did lately',
      updated: answers.AlertRule,
    },
    create: (input) => createRule({ deps, input }),
    read: (id) => getRule({ deps, input: { id } }),
    update: (id, patch) => updateRule({ deps, input: { id, patch } }),
    remove: (id) => deleteRule({ deps, input: { id } }),
  });

  return app;
}

export function channelRoutes(deps: Deps) {
  const app = createOpenApiApp();
  const tags: Tag[] = ['Channels'];
  const bodies = describeBodies(app, {
    ChannelInput: {
      schema: ChannelInput,
      description:
        '`url` and `secret` are literals or `{"env": NAME}`; only webhook channels take a `secret` (one is generated when left out)',
    },
    ChannelPatch: {
      schema: ChannelPatch,
      description: 'Any of the fields; enabling a channel the worker disabled resumes its deliveries',
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'List channels',
      responses: { 200: jsonResponse('Every channel', answers.ChannelList) },
    }),
    async (c) => c.json({ items: await listChannels({ deps }) }, 200),
  );

  resourceRoutes(app, {
    tags,
    noun: 'channel',
    location: '/api/channels',
    bodies: { create: bodies.ChannelInput, patch: bodies.ChannelPatch },
    answers: { created: answers.CreatedChannel, read: answers.Channel, updated: answers.Channel },
    create: (input) => createChannel({ deps, input }),
    read: (id) => getChannel({ deps, input: { id } }),
    update: (id, patch) => updateChannel({ deps, input: { id, patch } }),
    remove: (id) => deleteChannel({ deps, input: { id } }),
  });

  // "Send test alert": sent at once, not through the outbox; the answer says what the receiver did.
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/test',
      tags,
      summary: 'Send a test alert',
      description: 'Sent now, not through the outbox; the answer says what the receiver did.',
      request: { params: IdParam },
      responses: {
        200: jsonResponse("The receiver's answer", answers.TestAlertResult),
        ...errorResponses(400, 404),
      },
    }),
    async (c) => c.json(await sendTestAlert({ deps, input: { channelId: c.req.valid('param').id } }), 200),
  );

  return app;
}
