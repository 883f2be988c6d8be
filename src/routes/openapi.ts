/**
 * How route modules describe themselves (OpenAPI 3.1, served at /api/openapi.json). Every route is
 * declared with `createRoute`: the path and query schemas there are the ones that validate the
 * request; a JSON body is validated by the domain verb, so it is described by the verb's own schema
 * (`describeBodies`); answers are described by ./responses.ts, for the document only.
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { z } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import { ERROR_STATUS, type ErrorCode } from '../errors.ts';
import { IdParam, jsonBody, throwValidationError } from './validate.ts';

/** A route module's app (or the whole app's): a request part its schema refuses is one 400 naming the fields. */
export function createOpenApiApp<E extends Env = Env>() {
  return new OpenAPIHono<E>({ defaultHook: (result) => throwValidationError(result) });
}

/** What registering a component needs of a route module's app. */
type Registry = Pick<OpenAPIHono, 'openAPIRegistry'>;

/** The document's tags, in the order the reference page shows them. */
export const TAGS = [
  { name: 'Brands', description: 'The names earshot watches, own or competitors, with their terms.' },
  {
    name: 'Analytics',
    description:
      'Trends, comparisons, themes and breakdowns of a brand. Every answer has the previous period and the change; add `?format=csv` (or `Accept: text/csv`) for CSV.',
  },
  { name: 'Sources', description: 'The upstreams earshot polls, and their health.' },
  { name: 'Mentions', description: 'What was said, with its sentiment and themes; label corrections.' },
  { name: 'Ingest', description: 'Items pushed by helpdesks, automations and review widgets.' },
  { name: 'Alerts', description: 'Incidents (called alerts here) that support works: ack, resolve, notes.' },
  { name: 'Alert rules', description: 'What fires, per brand, and where it goes.' },
  { name: 'Channels', description: 'Where alerts go: signed webhooks and Slack incoming webhooks.' },
  {
    name: 'Tokens',
    description:
      "API tokens (admin scope): read tokens read everything, write tokens also change what is not admin; admin tokens also manage tokens, alert channels and sources' credentials.",
  },
  { name: 'Jobs', description: 'The scheduled jobs, and the history of their runs.' },
  {
    name: 'Operations',
    description: 'Metrics for Prometheus (a read token: `authorization` in the scrape config).',
  },
  { name: 'Health', description: 'Liveness and the database (no token needed).' },
] as const;

export type Tag = (typeof TAGS)[number]['name'];

/** The document's own fields; paths and components come from the routes. */
export const API_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'earshot API',
    version: packageJson.version,
    description:
      'Brand monitoring: mentions and reviews in, sentiment, themes, trends and alerts out. JSON everywhere; errors are always `{"error": {"code", "message", "requestId", "details"?}}`. Unknown fields in bodies and query strings are refused. Every route but `/health` needs a token (`Authorization: Bearer es_…`; `npx earshot token create --scope read|write|admin`): without one the answer is `401`, with too small a scope `403`. Past the rate limit (per client address, and per token), any request answers `429` with `Retry-After`. Times are RFC 3339 or dates (midnight in the request\'s time zone).',
  },
  servers: [{ url: '/' }],
  security: [{ bearerToken: [] }, { session: [] }] as Array<Record<string, string[]>>,
  tags: [...TAGS],
};

/** The one error envelope (src/errors.ts). */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
      /** The fields a `validation_failed` refused. */
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

const ERROR_DESCRIPTIONS = {
  400: 'The input was refused (`validation_failed`, with `details` naming the fields; `invalid_cursor`).',
  401: 'No token, or one that is not valid (`unauthorized`).',
  403: "The token's scope does not allow this (`forbidden`), or a session request failed its CSRF check.",
  404: 'No such resource (`not_found`).',
  409: 'It conflicts with what exists (`conflict`), such as a name already taken.',
  413: 'The body is over the size limit (`payload_too_large`).',
} as const;

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

const GUARD_DESCRIPTIONS = {
  401: ERROR_DESCRIPTIONS[401],
  403: ERROR_DESCRIPTIONS[403],
  429: 'Past the rate limit of the address or the token (`rate_limited`); `Retry-After` says when to try again.',
} as const;

type Document = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

/**
 * The answers the guards in front of every route can give (no token, too small a scope, rate
 * limit), added to each operation that needs a token (the ones with `security: []` need none).
 */
export function withGuardAnswers(doc: Document): Document {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item?.[method];
      if (!operation || (Array.isArray(operation.security) && operation.security.length === 0)) continue;
      operation.responses ??= {};
      for (const [status, description] of Object.entries(GUARD_DESCRIPTIONS)) {
        operation.responses[status] ??= {
          description,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        };
      }
    }
  }
  return doc;
}
type ErrorResponse = { description: string; content: { 'application/json': { schema: typeof ErrorBody } } };

/** The error answers a route can give, all in the one envelope. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): Record<S, ErrorResponse> {
  const responses = {} as Record<S, ErrorResponse>;
  for (const status of statuses) {
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status],
      content: { 'application/json': { schema: ErrorBody } },
    };
  }
  return responses;
}

/** A JSON answer. */
export function jsonResponse<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema } } };
}

const CsvText = z.string().openapi({
  description:
    'RFC 4180 CSV, UTF-8, streamed, with a header row even when empty; nested fields as `previous_volume`, lists joined with `;`.',
});

/** A JSON answer that is CSV when asked for with `?format=csv` or `Accept: text/csv`. */
export function jsonOrCsvResponse<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema }, 'text/csv': { schema: CsvText } } };
}

/**
 * Adds a schema to the document's components and answers the copy that is named there (use it
 * inside other schemas to refer to it). The registry names a schema with `.openapi()`, which a zod
 * schema built before @hono/zod-openapi was loaded lacks (zod copies prototype methods onto each
 * schema as it is built), so it registers a copy built now.
 */
export function registerSchema<T extends z.ZodType>(app: Registry, name: string, schema: T): T {
  return app.openAPIRegistry.register(name, schema.clone());
}

export type DescribedBody = {
  description: string;
  required: boolean;
  content: { 'application/json': { schema: { $ref: string } } };
};

/**
 * Registers the schemas the domain verbs validate request bodies with as components of the
 * document and answers a request body description referring to each. The description holds a
 * reference, not the zod schema: a zod schema there would make the route validate the body too.
 */
export function describeBodies<const Names extends string>(
  app: Registry,
  bodies: Record<Names, { schema: z.ZodType; description: string; required?: boolean }>,
): Record<Names, DescribedBody> {
  const described = {} as Record<Names, DescribedBody>;
  for (const name of Object.keys(bodies) as Names[]) {
    const { schema, description, required = true } = bodies[name];
    registerSchema(app, name, schema);
    described[name] = {
      description,
      required,
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
    };
  }
  return described;
}

/** A resource kept by id under its collection: create, read, update and delete, the same everywhere. */
export type ResourceSpec = {
  tags: Tag[];
  /** What one is called in summaries: "brand", "alert rule". */
  noun: string;
  /** The collection's absolute path, for the `location` of a created one: "/api/brands". */
  location: string;
  bodies: { create: DescribedBody; patch: DescribedBody };
  answers: { created: z.ZodType; read: z.ZodType; updated: z.ZodType; readDescription?: string };
  /** When deleting does more than the word says ("…and its mentions"). */
  deleteSummary?: string;
  create: (input: unknown) => Promise<{ id: number }>;
  read: (id: number) => Promise<unknown>;
  update: (id: number, patch: unknown) => Promise<unknown>;
  remove: (id: number) => Promise<void>;
};

/**
 * Registers `POST /`, `GET /{id}`, `PATCH /{id}` and `DELETE /{id}` for a resource. The verbs check
 * bodies (a name taken is 409); a created one answers 201 with its `location`.
 */
// biome-ignore lint/suspicious/noExplicitAny: any route module's app, whatever its variables
export function resourceRoutes(app: OpenAPIHono<any>, r: ResourceSpec): void {
  const { tags, noun } = r;
  const the = `The ${noun}`;
  const one = `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags,
      summary: `Create ${one}`,
      request: { body: r.bodies.create },
      responses: {
        201: jsonResponse(`${the}, with its \`location\``, r.answers.created),
        ...errorResponses(400, 409, 413),
      },
    }),
    async (c) => {
      const created = await r.create(await jsonBody(c));
      return c.json(created as never, 201, { location: `${r.location}/${created.id}` });
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags,
      summary: `Read ${one}`,
      request: { params: IdParam },
      responses: {
        200: jsonResponse(r.answers.readDescription ?? the, r.answers.read),
        ...errorResponses(400, 404),
      },
    }),
    async (c) => c.json((await r.read(c.req.valid('param').id)) as never, 200),
  );
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      tags,
      summary: `Update ${one}`,
      request: { params: IdParam, body: r.bodies.patch },
      responses: { 200: jsonResponse(the, r.answers.updated), ...errorResponses(400, 404, 409, 413) },
    }),
    async (c) => c.json((await r.update(c.req.valid('param').id, await jsonBody(c))) as never, 200),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      tags,
      summary: r.deleteSummary ?? `Delete ${one}`,
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 404) },
    }),
    async (c) => {
      await r.remove(c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
}
