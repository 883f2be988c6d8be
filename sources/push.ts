/**
 * `push` sources receive items instead of fetching them: helpdesks, automations and review widgets
 * POST batches to /api/ingest, and review exports are imported with `earshot import`. The scheduler
 * never polls them.
 */
import { z } from 'zod';
import { UpstreamError } from './http.ts';
import type { SourceConnector } from './types.ts';

export const PushOptions = z.strictObject({
  /** What pushes to this source, for people reading the source list. */
  description: z.string().max(500).optional(),
});
export type PushOptions = z.infer<typeof PushOptions>;

export const pushSource: SourceConnector<PushOptions> = {
  kind: 'push',
  optionsSchema: PushOptions,
  push: true,
  async fetchNew() {
    throw new UpstreamError(
      'invalid',
      'push sources receive items through POST /api/ingest; they are not polled',
    );
  },
};
