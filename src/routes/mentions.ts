import { Hono } from 'hono';
import { z } from 'zod';
import {
  correctMentionLabel,
  exportFeedback,
  exportMentions,
  getMention,
  listMentions,
  MAX_EXPORT,
} from '../analytics/mentions.ts';
import type { Deps } from '../deps.ts';
import { SENTIMENT_LABELS } from '../types.ts';
import { csvResponse, FormatField, wantsCsv } from './csv.ts';
import { IdParam, Instant, validate } from './validate.ts';

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

export function mentionRoutes(deps: Deps) {
  return new Hono()
    .get('/', validate('query', MentionsQuery), async (c) => {
      const { brand, source, format, ...rest } = c.req.valid('query');
      const input = { brandId: brand, sourceId: source, ...rest };
      if (!wantsCsv(c, format)) return c.json(await listMentions({ deps, input }));
      const rows = exportMentions({ deps, input });
      const csvRows = (async function* () {
        for await (const m of rows) yield { ...m, brands: m.brands.map((b) => b.name) };
      })();
      return csvResponse(c, 'mentions', MENTION_COLUMNS, csvRows);
    })
    .get('/:id', validate('param', IdParam), async (c) =>
      c.json(await getMention({ deps, input: c.req.valid('param') })),
    )
    .patch('/:id', validate('param', IdParam), validate('json', z.unknown()), async (c) =>
      c.json(
        await correctMentionLabel({
          deps,
          input: { id: c.req.valid('param').id, correction: c.req.valid('json') },
        }),
      ),
    );
}

/** Label corrections, for export and retraining. */
export function feedbackRoutes(deps: Deps) {
  return new Hono().get('/', validate('query', FeedbackQuery), async (c) => {
    const { all, ...rest } = c.req.valid('query');
    return c.json(await exportFeedback({ deps, input: { ...rest, all: all === 'true' } }));
  });
}
