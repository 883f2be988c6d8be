/**
 * The connector registry: every source kind earshot can poll.
 */
import { rssSource } from './rss.ts';
import type { SourceConnector } from './types.ts';

export type ConnectorRegistry = ReadonlyMap<string, SourceConnector<unknown>>;

export function createConnectorRegistry(
  connectors: ReadonlyArray<SourceConnector<never>> = [rssSource as SourceConnector<never>],
): ConnectorRegistry {
  return new Map(connectors.map((c) => [c.kind, c as unknown as SourceConnector<unknown>]));
}

export type { FetchResult, RawItem, SourceConnector } from './types.ts';
