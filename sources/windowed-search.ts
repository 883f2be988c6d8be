/**
 * Incremental polling of a search API that filters by creation time and pages newest first
 * (Hacker News' Algolia, GitHub search). Each poll searches from the cursor minus an overlap (for
 * items indexed late), drops ids already delivered, and reads a capped number of pages. When the
 * pages run out before reaching the cursor, the unread time range is kept as a `gap` and searched by
 * later polls after the new items, so a burst arrives late but is never lost.
 */
import type { RawItem } from './types.ts';

/** An item with its creation time in epoch seconds (null when the upstream gave none). */
export type Hit = { item: RawItem; time: number | null };
/** A creation-time range in epoch seconds; open where a bound is missing. */
export type Window = { from?: number; to?: number };
export type Gap = { from: number; to: number };

export type Page = {
  hits: Hit[];
  /** The upstream has more pages for this window. */
  more: boolean;
  /** Stop searching for this poll (a spent rate limit), whatever is left. */
  stop?: boolean;
};

/** What a cursor holds, in epoch seconds. */
export type WindowCursor = { since: number; seen: Map<string, number>; gap?: Gap };

export type WindowedSearch = {
  previous: WindowCursor | null;
  now: Date;
  /** Requests per poll, at most. */
  maxPages: number;
  /** How far before the cursor each poll looks again. */
  overlapSeconds: number;
  /** Delivered ids kept in the cursor, at most. */
  maxSeen: number;
  fetchPage: (window: Window, pageIndex: number) => Promise<Page>;
};

export type WindowedResult = { items: RawItem[]; cursor: WindowCursor; seen: Array<[string, number]> };

export async function searchWindows(search: WindowedSearch): Promise<WindowedResult> {
  const { previous, now, maxPages, overlapSeconds } = search;
  const seen = new Map(previous?.seen ?? []);
  const items = new Map<string, RawItem>();
  let newest: number | null = previous?.since ?? null;
  let stopped = false;

  /** Pages through one window, newest first; `complete` when it reached the window's end. */
  async function searchWindow(window: Window, pages: number) {
    let oldest: number | null = null;
    for (let page = 0; page < pages; page++) {
      const result = await search.fetchPage(window, page);
      for (const { item, time } of result.hits) {
        if (time !== null) {
          oldest = oldest === null ? time : Math.min(oldest, time);
          // The upstream applied the filter; an item outside the window is its slip, not new.
          if (window.from !== undefined && time < window.from) continue;
        }
        if (seen.has(item.externalId) || items.has(item.externalId)) continue;
        items.set(item.externalId, item);
        if (time !== null) {
          seen.set(item.externalId, time);
          newest = newest === null ? time : Math.max(newest, time);
        }
      }
      if (!result.more) return { complete: true, oldest, pages: page + 1 };
      if (result.stop) {
        stopped = true;
        return { complete: false, oldest, pages: page + 1 };
      }
    }
    return { complete: false, oldest, pages };
  }

  let gap: Gap | undefined;
  if (!previous) {
    // First poll: the newest page only, no backfill.
    await searchWindow({}, 1);
  } else {
    const from = Math.max(0, previous.since - overlapSeconds);
    const head = await searchWindow({ from }, maxPages);
    gap = previous.gap;
    if (!head.complete) {
      // Paging stopped before reaching the cursor: [from, oldest] is still to do.
      gap = mergeGaps(gap, { from, to: head.oldest ?? previous.since });
    } else if (gap && head.pages < maxPages && !stopped) {
      const rest = await searchWindow(gap, maxPages - head.pages);
      gap = rest.complete ? undefined : shrinkGap(gap, rest.oldest);
    }
  }

  const since = newest ?? Math.floor(now.getTime() / 1000);
  const kept = [...seen]
    .filter(([, time]) => time >= since - overlapSeconds)
    .sort((a, b) => b[1] - a[1])
    .slice(0, search.maxSeen);
  return {
    items: [...items.values()],
    cursor: { since, seen: new Map(kept), ...(gap ? { gap } : {}) },
    seen: kept,
  };
}

function mergeGaps(a: Gap | undefined, b: Gap): Gap | undefined {
  const merged = a ? { from: Math.min(a.from, b.from), to: Math.max(a.to, b.to) } : b;
  return merged.to >= merged.from ? merged : a;
}

/** What is left of a gap once it was searched down to `oldest`; always makes progress. */
function shrinkGap(gap: Gap, oldest: number | null): Gap | undefined {
  const to = oldest !== null && oldest < gap.to ? oldest : gap.to - 1;
  return to >= gap.from ? { from: gap.from, to } : undefined;
}
