/**
 * The `Source` contract: one connector per upstream kind. A connector fetches what is new since
 * its cursor and returns raw items; it never touches the database. Normalising, brand matching,
 * de-duplication and analysis happen in `src/ingest/`.
 */
import { z } from 'zod';
import type { Json } from '../src/types.ts';
import type { HttpClient } from './http.ts';

export type RawItem = {
  /** Stable id of the item at its source (guid, id, link…); unique per source. */
  externalId: string;
  url: string | null;
  author: string | null;
  title: string | null;
  /** The body, as HTML or plain text. */
  content: string;
  contentType: 'html' | 'text';
  /** Null when the upstream gave no usable date. */
  publishedAt: Date | null;
  /** Star rating 1..5, for reviews. */
  rating: number | null;
  /** Language the upstream declares (BCP 47), if any. */
  language: string | null;
  /** Reach and engagement where the upstream reports them (alert rules filter on these). */
  engagement?: Engagement | null;
};

export type Engagement = {
  likes?: number;
  reposts?: number;
  replies?: number;
  /** Upvotes, points, score: the upstream's own ranking number. */
  score?: number;
  /** Followers of the author, where known. */
  authorFollowers?: number;
};

/**
 * A credential in a source's options: the value itself (encrypted before it is stored), or
 * `{"env": "NAME"}` to read it from the environment at poll time (so it stays out of the config file
 * and the database).
 */
export const SecretRef = z.union([
  z.string().min(1).max(4096),
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/) }),
  // As stored: sealed with the at-rest key (src/secrets.ts); a masked value sent back keeps it.
  z.strictObject({ enc: z.string().regex(/^v1\./).max(20_000), origin: z.string().max(2048).optional() }),
]);
export type SecretRef = z.infer<typeof SecretRef>;

/** An upstream base URL (self-hosted instances, proxies, and tests pointing at a local server). */
export const BaseUrl = z.url({ protocol: /^https?$/ });

export type FetchResult = {
  items: RawItem[];
  /** The cursor to store once these items are committed; never stored before. */
  cursor: Json | null;
  /** The upstream said nothing changed (HTTP 304). */
  notModified: boolean;
};

export type FetchContext<Options> = {
  options: Options;
  cursor: Json | null;
  http: HttpClient;
  now: Date;
  /** Resolves a credential; throws a clear error when an `{env}` reference is not set. */
  secret: (ref: SecretRef) => string;
};

export interface SourceConnector<Options = unknown> {
  kind: string;
  /** Validates a source's options when it is created or updated. */
  optionsSchema: z.ZodType<Options>;
  fetchNew(ctx: FetchContext<Options>): Promise<FetchResult>;
  /** Items of this kind are pushed to earshot (POST /api/ingest, CSV import); it is never polled. */
  push?: boolean;
}
