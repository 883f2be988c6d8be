/**
 * The connector registry: every source kind earshot knows.
 */
import { appStoreSource } from './appstore.ts';
import { blueskySource } from './bluesky.ts';
import { githubSource } from './github.ts';
import { hackerNewsSource } from './hackernews.ts';
import { mastodonSource } from './mastodon.ts';
import { pushSource } from './push.ts';
import { redditSource } from './reddit.ts';
import { rssSource } from './rss.ts';
import type { SourceConnector } from './types.ts';

export type ConnectorRegistry = ReadonlyMap<string, SourceConnector<unknown>>;

export function createConnectorRegistry(
  // biome-ignore lint/suspicious/noExplicitAny: each connector has its own options type; the registry erases it
  connectors: ReadonlyArray<SourceConnector<any>> = [
    rssSource,
    hackerNewsSource,
    githubSource,
    mastodonSource,
    blueskySource,
    appStoreSource,
    redditSource,
    pushSource,
  ],
): ConnectorRegistry {
  return new Map(connectors.map((c) => [c.kind, c as unknown as SourceConnector<unknown>]));
}

/** The kinds the scheduler polls (every kind but the pushed ones). */
export function pollableKinds(registry: ConnectorRegistry): string[] {
  return [...registry.values()].filter((c) => !c.push).map((c) => c.kind);
}

export type { FetchResult, RawItem, SourceConnector } from './types.ts';
