/**
 * Domain types shared across earshot.
 *
 * Glossary
 * - brand: a name we watch, our own (`own`) or a competitor's (`competitor`), described by include
 *   terms (any one must appear as a whole word) and exclude terms (none may appear).
 * - source: one upstream we poll (an RSS feed, an API search), of a `kind` handled by a connector in
 *   `sources/`, with its own poll interval, cursor and health.
 * - mention: one item from a source (post, article, review) that names at least one brand. Written
 *   once, unique on (source, external id).
 * - match: the link between a mention and a brand it names; a mention naming several brands of a
 *   panel is a direct comparison.
 * - theme: a recurring noun phrase pulled out of mentions ("battery life", "delivery"), with the
 *   sentiment of the sentences it appears in.
 * - touchpoint: the stage of the customer journey a mention is about (product, price, delivery,
 *   website, marketing, service).
 * - incident: a group of alerts about the same story.
 */

export const BRAND_KINDS = ['own', 'competitor'] as const;
export type BrandKind = (typeof BRAND_KINDS)[number];

/** `mixed`: strong sentences of both polarities in one mention. */
export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive', 'mixed'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

/** A JSON value as stored in jsonb columns. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
