import { Hono } from 'hono';
import { z } from 'zod';
import { listMentions } from '../analytics/mentions.ts';
import type { Deps } from '../deps.ts';
import { SENTIMENT_LABELS } from '../types.ts';
import { Instant, validate } from './validate.ts';

const Id = z.coerce.number().int().min(1).max(2_147_483_647);

const MentionsQuery = z.strictObject({
  brand: Id.optional(),
  source: Id.optional(),
  label: z.enum(SENTIMENT_LABELS).optional(),
  touchpoint: z.string().trim().min(1).max(50).optional(),
  intent: z.string().trim().min(1).max(50).optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  q: z.string().trim().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function mentionRoutes(deps: Deps) {
  return new Hono().get('/', validate('query', MentionsQuery), async (c) => {
    const { brand, source, ...rest } = c.req.valid('query');
    return c.json(await listMentions({ deps, input: { brandId: brand, sourceId: source, ...rest } }));
  });
}
