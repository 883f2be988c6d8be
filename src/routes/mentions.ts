import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  correctMentionLabel,
  exportFeedback,
  exportMentions,
  getMention,
  LabelCorrection,
  listMentions,
  MAX_EXPORT,
} from '../analytics/mentions.ts';
import type { Deps } from '../deps.ts';
import { SENTIMENT_LABELS } from '../types.ts';
import { csvResponse, FormatField, wantsCsv } from './csv.ts';
import {
  createOpenApiApp,
  describeBodies,
  errorResponses,
  jsonOrCsvResponse,
  jsonResponse,
  type Tag,
} from './openapi.ts';
import * as answers from './responses.ts';
import { IdParam, Instant, jsonBody } from './validate.ts';

const Id = z.coerce.number().int().min(1).max(2_147_483_647);

const MentionsQuery = z.strictObject({
  brand: Id.optional(),
  source: Id.optional(),
  sourceKind: z.string().trim().min(1).max(50).optional(),
  label: z.enum(SENTIMENT_LABELS).optional(),
  touchpoint: z.string().trim().min(1).max(50).optional(),
  intent: z.string().trim().min(1).max(50).optional(),
  theme: z.string().trim().min(1).max(100).optional(),
  language: z.string().trim().min(1).max(20).optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  q: z.string().trim().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_EXPORT).optional(),
  ...FormatField,
});

/** Columns of the mentions CSV export. */
const MENTION_COLUMNS = [
  'id',
  'occurredAt',
  'source.kind',
  'source.name',
  'url',
  'author',
  'rating',
  'language',
  'sentiment.label',
  'sentiment.score',
  'labelCorrected',
  'brands',
  'themes',
  'touchpoints',
  'intents',
  'duplicateOf',
  'title',
  'text',
];

const FeedbackQuery = z.strictObject({
  all: z.enum(['true', 'false']).optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

const tags: Tag[] = ['Mentions'];

export function mentionRoutes(deps: Deps) {
  const app = createOpenApiApp();
  const bodies = describeBodies(app, {
    LabelCorrection: {
      schema: LabelCorrection,
      description: 'The label a person gives the mention (trends follow it; kept as feedback)',
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'List mentions',
      description:
        'Newest first, 50 a page by default (at most 200); pages with `cursor` = the previous answer’s `nextCursor`. As CSV it streams every match, up to `limit` (default 10,000).',
      request: { query: MentionsQuery },
      responses: {
        200: jsonOrCsvResponse('A page of mentions', answers.MentionPage),
        ...errorResponses(400),
      },
    }),
    async (c) => {
      const { brand, source, format, ...rest } = c.req.valid('query');
      const input = { brandId: brand, sourceId: source, ...rest };
      if (!wantsCsv(c, format)) return c.json(await listMentions({ deps, input }), 200);
      const rows = exportMentions({ deps, input });
      const csvRows = (async function* () {
        for await (const m of rows) yield { ...m, brands: m.brands.map((b) => b.name) };
      })();
      return csvResponse(c, 'mentions', MENTION_COLUMNS, csvRows);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags,
      summary: 'Read a mention',
      request: { params: IdParam },
      responses: { 200: jsonResponse('The mention', answers.Mention), ...errorResponses(400, 404) },
    }),
    async (c) => c.json(await getMention({ deps, input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      tags,
      summary: "Correct a mention's label",
      request: { params: IdParam, body: bodies.LabelCorrection },
      responses: {
        200: jsonResponse('The mention', answers.Mention),
        ...errorResponses(400, 404, 413),
      },
    }),
    async (c) =>
      c.json(
        await correctMentionLabel({
          deps,
          input: { id: c.req.valid('param').id, correction: await jsonBody(c) },
        }),
        200,
      ),
  );

  return app;
}

/** Label corrections, for export and retraining. */
export function feedbackRoutes(deps: Deps) {
  const app = createOpenApiApp();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'Export label corrections',
      description: 'The latest correction per mention (what retraining uses), or every one with `all=true`.',
      request: { query: FeedbackQuery },
      responses: {
        200: jsonResponse('A page of corrections', answers.FeedbackPage),
        ...errorResponses(400),
      },
    }),
    async (c) => {
      const { all, ...rest } = c.req.valid('query');
      return c.json(await exportFeedback({ deps, input: { ...rest, all: all === 'true' } }), 200);
    },
  );
  return app;
}
