/**
 * Reference answers for the analytics equivalence tests: plain SQL aggregates over the raw mentions
 * (`mention_brands` ⋈ `mentions`, originals only), written without the rollups, `factsSql`,
 * `bucketSums` or `keySums`, and the figures derived from them as the API documents them.
 *
 * Buckets are found by brute force rather than by calendar arithmetic: instants on a 15-minute grid
 * of UTC (every offset and DST change of the zones tested falls on it) are read in the zone, and a
 * bucket is a maximal stretch of the grid with the same local day, ISO week or month, or for hours
 * the same local hour at the same UTC offset (so the repeated hour of a fall-back day is two
 * buckets, and a skipped hour none). A bucket starts at its first instant.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/schema.ts';

type Db = Kysely<Database>;

export type Unit = 'hour' | 'day' | 'week' | 'month';
export type RefFilters = { source?: string; touchpoint?: string; theme?: string; language?: string };

/**
 * Theme (aspect) scores beyond ±this count as positive / negative (the product's definition). Scores
 * and stances are decimals (the NLP rounds them to three places), so they are compared as `numeric`:
 * a stance exactly 0.1 above another is not "more than 0.1" above it.
 */
export const ASPECT_BAND = 0.15;
/** A brand beats another in a mention when its stance is higher by more than this. */
export const VERSUS_MARGIN = 0.1;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GRID = 15 * MINUTE;

// ---------------------------------------------------------------------------------------------
// Plain aggregates

/** Counts and means over a set of mentions (and, for theme rows, the theme's own scores). */
export type RefAggregate = {
  volume: number;
  positive: number;
  neutral: number;
  negative: number;
  mixed: number;
  labelled: number;
  scored: number;
  meanScore: number | null;
  rated: number;
  meanRating: number | null;
  ratingHigh: number;
  aspectScored: number;
  aspectMean: number | null;
  aspectPositive: number;
  aspectNegative: number;
};

/** The select list of a RefAggregate; `mt` is the theme row when `aspect`. */
function aggregateColumns(aspect: boolean): RawBuilder<unknown> {
  const aspects = aspect
    ? sql`count(mt.sentiment_score)::int as "aspectScored",
        avg(mt.sentiment_score::float8) as "aspectMean",
        count(*) filter (where mt.sentiment_score::numeric > ${ASPECT_BAND}::numeric)::int as "aspectPositive",
        count(*) filter (where mt.sentiment_score::numeric < -${ASPECT_BAND}::numeric)::int as "aspectNegative"`
    : sql`0 as "aspectScored", null::float8 as "aspectMean", 0 as "aspectPositive", 0 as "aspectNegative"`;
  return sql`count(*)::int as volume,
    count(*) filter (where m.sentiment_label = 'positive')::int as positive,
    count(*) filter (where m.sentiment_label = 'neutral')::int as neutral,
    count(*) filter (where m.sentiment_label = 'negative')::int as negative,
    count(*) filter (where m.sentiment_label = 'mixed')::int as mixed,
    count(m.sentiment_label)::int as labelled,
    count(m.sentiment_score)::int as scored,
    avg(m.sentiment_score::float8) as "meanScore",
    count(m.rating)::int as rated,
    avg(m.rating::float8) as "meanRating",
    count(*) filter (where m.rating >= 4)::int as "ratingHigh",
    ${aspects}`;
}

/**
 * How theme rows join: `none` (a theme filter is an `exists`), `filter` (the filtered theme's own
 * row, for its aspect scores) or `each` (one row per theme of the mention).
 */
type ThemeJoin = 'none' | 'filter' | 'each';

/**
 * `from … where …` over the mentions of `brand` (an SQL expression) in [from, to) with the
 * filters: originals only (syndicated copies count once, through their original).
 */
function brandMentions(
  brand: RawBuilder<unknown>,
  from: RawBuilder<unknown>,
  to: RawBuilder<unknown>,
  filters: RefFilters,
  themeJoin: ThemeJoin,
): RawBuilder<unknown> {
  const conditions: RawBuilder<unknown>[] = [
    sql`mb.brand_id = ${brand}`,
    sql`m.duplicate_of is null`,
    sql`m.occurred_at >= ${from}`,
    sql`m.occurred_at < ${to}`,
  ];
  if (filters.source !== undefined) conditions.push(sql`s.kind = ${filters.source}`);
  if (filters.touchpoint !== undefined)
    conditions.push(sql`${filters.touchpoint}::text = any(m.touchpoints)`);
  if (filters.language !== undefined) conditions.push(sql`m.language = ${filters.language}`);
  let join = sql``;
  if (themeJoin === 'each') join = sql`join mention_themes mt on mt.mention_id = m.id`;
  if (filters.theme !== undefined) {
    if (themeJoin === 'filter') {
      join = sql`join mention_themes mt on mt.mention_id = m.id and mt.theme = ${filters.theme}`;
    } else {
      conditions.push(
        sql`exists (select 1 from mention_themes t where t.mention_id = m.id and t.theme = ${filters.theme})`,
      );
    }
  }
  return sql`from mention_brands mb
    join mentions m on m.id = mb.mention_id
    join sources s on s.id = m.source_id
    ${join}
    where ${sql.join(conditions, sql` and `)}`;
}

function isoArray(dates: readonly Date[]): string[] {
  return dates.map((d) => d.toISOString());
}

/** One aggregate per brand over [from, to). */
async function aggregatePerBrand(
  db: Db,
  q: { brandIds: readonly number[]; from: Date; to: Date; filters: RefFilters },
): Promise<Map<number, RefAggregate>> {
  const themeJoin: ThemeJoin = q.filters.theme === undefined ? 'none' : 'filter';
  const result = await sql<RefAggregate & { brandId: number }>`
    select b.brand_id as "brandId", a.*
    from unnest(${[...q.brandIds]}::int[]) as b(brand_id)
    cross join lateral (
      select ${aggregateColumns(themeJoin === 'filter')}
      ${brandMentions(sql`b.brand_id`, sql`${q.from}::timestamptz`, sql`${q.to}::timestamptz`, q.filters, themeJoin)}
    ) a`.execute(db);
  return new Map(result.rows.map(({ brandId, ...rest }) => [brandId, rest]));
}

/** One aggregate per brand and bucket ([starts[i], ends[i])), empty buckets included. */
async function aggregatePerBucket(
  db: Db,
  q: { brandIds: readonly number[]; starts: readonly Date[]; ends: readonly Date[]; filters: RefFilters },
): Promise<Map<number, RefAggregate[]>> {
  const themeJoin: ThemeJoin = q.filters.theme === undefined ? 'none' : 'filter';
  const result = await sql<RefAggregate & { brandId: number; start: Date }>`
    select b.brand_id as "brandId", w.start, a.*
    from unnest(${[...q.brandIds]}::int[]) as b(brand_id)
    cross join unnest(${isoArray(q.starts)}::timestamptz[], ${isoArray(q.ends)}::timestamptz[]) as w(start, finish)
    cross join lateral (
      select ${aggregateColumns(themeJoin === 'filter')}
      ${brandMentions(sql`b.brand_id`, sql`w.start`, sql`w.finish`, q.filters, themeJoin)}
    ) a
    order by b.brand_id, w.start`.execute(db);
  const out = new Map<number, RefAggregate[]>(q.brandIds.map((id) => [id, []]));
  for (const { brandId, start: _start, ...rest } of result.rows) out.get(brandId)?.push(rest);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Buckets and ranges

/** What makes two instants (`at`, an SQL expression) fall in the same bucket, read in the zone. */
function bucketKey(unit: Unit, timeZone: string, at: RawBuilder<unknown>): RawBuilder<unknown> {
  const local = sql`(${at} at time zone ${timeZone})`;
  switch (unit) {
    case 'hour':
      // The local hour, and the offset from UTC: a fall-back day repeats an hour at another offset.
      return sql`to_char(${local}, 'YYYY-MM-DD HH24') || ' ' || (${local} - (${at} at time zone 'UTC'))::text`;
    case 'day':
      return sql`to_char(${local}, 'YYYY-MM-DD')`;
    case 'week':
      // ISO weeks (Monday first).
      return sql`to_char(${local}, 'IYYY-IW')`;
    case 'month':
      return sql`to_char(${local}, 'YYYY-MM')`;
  }
}

/**
 * The starts of every bucket that begins in (windowFrom, windowTo]: the grid is read every 6 hours
 * for days and longer (no such bucket is shorter), and each step where the bucket changes is read
 * again every 15 minutes for the first instant of the new bucket.
 */
async function bucketStartsIn(
  db: Db,
  unit: Unit,
  timeZone: string,
  windowFrom: Date,
  windowTo: Date,
): Promise<Date[]> {
  const from = new Date(Math.floor(windowFrom.getTime() / GRID) * GRID);
  const step = unit === 'hour' ? '15 minutes' : '6 hours';
  const result = await sql<{ start: Date }>`
    with coarse as (
      select g, ${bucketKey(unit, timeZone, sql`g`)} as k
      from generate_series(${from}::timestamptz, ${windowTo}::timestamptz, ${step}::interval) g
    ),
    steps as (
      select lag(g) over w as a, g as b, lag(k) over w as ka, k as kb from coarse window w as (order by g)
    )
    select (
      select min(f) from generate_series(s.a, s.b, interval '15 minutes') f
      where ${bucketKey(unit, timeZone, sql`f`)} = s.kb
    ) as start
    from steps s
    where s.ka <> s.kb
    order by 1`.execute(db);
  return result.rows.map((r) => r.start);
}

/** The longest and shortest a bucket can be in the zones tested (Lord Howe's DST is 30 minutes). */
const LONGEST: Record<Unit, number> = { hour: 2 * HOUR, day: 26 * HOUR, week: 8 * DAY, month: 32 * DAY };
const SHORTEST: Record<Unit, number> = { hour: 15 * MINUTE, day: 22 * HOUR, week: 6 * DAY, month: 27 * DAY };

export type RefRange = {
  /** Start of the bucket holding the requested `from`; end of the bucket holding the last instant before `to`. */
  from: Date;
  to: Date;
  starts: Date[];
  ends: Date[];
  /** Start of the bucket `starts.length` buckets before `from`. */
  previousFrom: Date;
};

/** [from, to) widened to whole buckets in the zone, and the previous period of as many buckets. */
export async function refRange(
  db: Db,
  unit: Unit,
  timeZone: string,
  from: Date,
  to: Date,
): Promise<RefRange> {
  const most = Math.ceil((to.getTime() - from.getTime()) / SHORTEST[unit]) + 2;
  const all = await bucketStartsIn(
    db,
    unit,
    timeZone,
    new Date(from.getTime() - (most + 2) * LONGEST[unit]),
    new Date(to.getTime() + 2 * LONGEST[unit]),
  );
  const first = all.findLastIndex((s) => s.getTime() <= from.getTime());
  const last = all.findLastIndex((s) => s.getTime() < to.getTime());
  const count = last - first + 1;
  const end = all[last + 1];
  const previousFrom = all[first - count];
  if (first < 0 || end === undefined || previousFrom === undefined) {
    throw new Error(
      `refRange: window too small for ${unit} ${timeZone} ${from.toISOString()}..${to.toISOString()}`,
    );
  }
  const starts = all.slice(first, last + 1);
  return { from: all[first]!, to: end, starts, ends: all.slice(first + 1, last + 2), previousFrom };
}

/** The first instant of a local calendar date (YYYY-MM-DD) in the zone: where its first bucket begins. */
export async function refLocalMidnight(db: Db, date: string, timeZone: string): Promise<Date> {
  const noon = new Date(`${date}T12:00:00Z`);
  const result = await sql<{ start: Date }>`
    select min(g) as start
    from generate_series(${new Date(noon.getTime() - 2 * DAY)}::timestamptz,
      ${new Date(noon.getTime() + 2 * DAY)}::timestamptz, interval '15 minutes') g
    where to_char(g at time zone ${timeZone}, 'YYYY-MM-DD') = ${date}`.execute(db);
  const start = result.rows[0]?.start;
  if (!start) throw new Error(`refLocalMidnight: ${date} not found in ${timeZone}`);
  return start;
}

// ---------------------------------------------------------------------------------------------
// Figures, as the API defines them

export type RefFigures = {
  volume: number;
  positive: number;
  neutral: number;
  negative: number;
  mixed: number;
  unscored: number;
  meanSentiment: number | null;
  netSentiment: number | null;
  rated: number;
  meanRating: number | null;
  csat: number | null;
};
export type RefAspectFigures = {
  aspectPositive: number;
  aspectNegative: number;
  aspectSentiment: number | null;
};
export type RefChange = {
  volume: number | null;
  positive: number | null;
  negative: number | null;
  meanSentiment: number | null;
  netSentiment: number | null;
  meanRating: number | null;
  csat: number | null;
};

/** To 4 decimals, as the API rounds. */
export function round4(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10_000) / 10_000;
}

function share(part: number, whole: number): number | null {
  return whole > 0 ? round4(part / whole) : null;
}

export function refFigures(a: RefAggregate): RefFigures {
  return {
    volume: a.volume,
    positive: a.positive,
    neutral: a.neutral,
    negative: a.negative,
    mixed: a.mixed,
    unscored: a.volume - a.labelled,
    meanSentiment: round4(a.meanScore),
    netSentiment: share(a.positive - a.negative, a.labelled),
    rated: a.rated,
    meanRating: round4(a.meanRating),
    csat: share(a.ratingHigh, a.rated),
  };
}

export function refAspectFigures(a: RefAggregate): RefAspectFigures {
  return {
    aspectPositive: a.aspectPositive,
    aspectNegative: a.aspectNegative,
    aspectSentiment: round4(a.aspectMean),
  };
}

/** Relative change, null when there was nothing before. */
export function refRelative(now: number, before: number): number | null {
  return before > 0 ? round4((now - before) / before) : null;
}

function refDifference(now: number | null, before: number | null): number | null {
  return now === null || before === null ? null : round4(now - before);
}

export function refChange(now: RefFigures, before: RefFigures): RefChange {
  return {
    volume: refRelative(now.volume, before.volume),
    positive: refRelative(now.positive, before.positive),
    negative: refRelative(now.negative, before.negative),
    meanSentiment: refDifference(now.meanSentiment, before.meanSentiment),
    netSentiment: refDifference(now.netSentiment, before.netSentiment),
    meanRating: refDifference(now.meanRating, before.meanRating),
    csat: refDifference(now.csat, before.csat),
  };
}

// ---------------------------------------------------------------------------------------------
// Answers, in the API's JSON shapes (instants as ISO strings)

const iso = (d: Date) => d.toISOString();

export type TrendQuery = {
  brandId: number;
  unit: Unit;
  timeZone: string;
  from: Date;
  to: Date;
  filters: RefFilters;
};

export async function refTrend(db: Db, q: TrendQuery) {
  const range = await refRange(db, q.unit, q.timeZone, q.from, q.to);
  const brandIds = [q.brandId];
  const withAspect = q.filters.theme !== undefined;
  const point = (a: RefAggregate) =>
    withAspect ? { ...refFigures(a), ...refAspectFigures(a) } : refFigures(a);
  const [perBucket, totals, previous] = await Promise.all([
    aggregatePerBucket(db, { brandIds, starts: range.starts, ends: range.ends, filters: q.filters }),
    aggregatePerBrand(db, { brandIds, from: range.from, to: range.to, filters: q.filters }),
    aggregatePerBrand(db, { brandIds, from: range.previousFrom, to: range.from, filters: q.filters }),
  ]);
  const buckets = perBucket.get(q.brandId) ?? [];
  const total = totals.get(q.brandId)!;
  const before = refFigures(previous.get(q.brandId)!);
  return {
    from: iso(range.from),
    to: iso(range.to),
    buckets: buckets.map((a, i) => ({ start: iso(range.starts[i]!), ...point(a) })),
    totals: point(total),
    previous: { from: iso(range.previousFrom), to: iso(range.from), totals: before },
    change: refChange(refFigures(total), before),
  };
}

/** Share-of-voice rows: each brand's figures and its share of the panel's volume. */
function shares(panel: readonly number[], aggregates: Map<number, RefAggregate>) {
  const total = panel.reduce((sum, id) => sum + (aggregates.get(id)?.volume ?? 0), 0);
  return panel.map((id) => {
    const a = aggregates.get(id)!;
    return { brandId: id, ...refFigures(a), shareOfVoice: share(a.volume, total) };
  });
}

/**
 * Mentions naming both brands of each pair of the panel, and who came out better: each pair once,
 * seen from the requested brand where it is in the pair (else the lower id first); the requested
 * brand's pairs first, then the most compared.
 */
export async function refHeadToHead(
  db: Db,
  q: { brandId: number; panel: readonly number[]; from: Date; to: Date; filters: RefFilters },
) {
  const conditions: RawBuilder<unknown>[] = [
    sql`a.brand_id = any(${[...q.panel]}::int[])`,
    sql`b.brand_id = any(${[...q.panel]}::int[])`,
    sql`m.duplicate_of is null`,
    sql`m.occurred_at >= ${q.from}`,
    sql`m.occurred_at < ${q.to}`,
  ];
  const f = q.filters;
  if (f.source !== undefined) conditions.push(sql`s.kind = ${f.source}`);
  if (f.touchpoint !== undefined) conditions.push(sql`${f.touchpoint}::text = any(m.touchpoints)`);
  if (f.language !== undefined) conditions.push(sql`m.language = ${f.language}`);
  if (f.theme !== undefined) {
    conditions.push(
      sql`exists (select 1 from mention_themes t where t.mention_id = m.id and t.theme = ${f.theme})`,
    );
  }
  const result = await sql<{ a: number; b: number; mentions: number; aWins: number; bWins: number }>`
    select a.brand_id as a, b.brand_id as b, count(*)::int as mentions,
      count(*) filter (where a.sentiment_score::numeric - b.sentiment_score::numeric > ${VERSUS_MARGIN}::numeric)::int as "aWins",
      count(*) filter (where b.sentiment_score::numeric - a.sentiment_score::numeric > ${VERSUS_MARGIN}::numeric)::int as "bWins"
    from mention_brands a
    join mention_brands b on b.mention_id = a.mention_id and a.brand_id < b.brand_id
    join mentions m on m.id = a.mention_id
    join sources s on s.id = m.source_id
    where ${sql.join(conditions, sql` and `)}
    group by a.brand_id, b.brand_id`.execute(db);
  const own = (pair: { brands: number[] }) => Number(pair.brands[0] === q.brandId);
  return result.rows
    .map((r) => {
      const flip = r.b === q.brandId;
      const [first, second] = flip ? [r.b, r.a] : [r.a, r.b];
      return {
        brands: [first, second],
        mentions: r.mentions,
        wins: { [r.a]: r.aWins, [r.b]: r.bWins },
        ties: r.mentions - r.aWins - r.bWins,
      };
    })
    .sort(
      (x, y) =>
        own(y) - own(x) ||
        y.mentions - x.mentions ||
        x.brands[0]! - y.brands[0]! ||
        x.brands[1]! - y.brands[1]!,
    );
}

export async function refCompare(db: Db, q: TrendQuery & { panel: readonly number[] }) {
  const range = await refRange(db, q.unit, q.timeZone, q.from, q.to);
  const [perBucket, totals, previous, headToHead] = await Promise.all([
    aggregatePerBucket(db, { brandIds: q.panel, starts: range.starts, ends: range.ends, filters: q.filters }),
    aggregatePerBrand(db, { brandIds: q.panel, from: range.from, to: range.to, filters: q.filters }),
    aggregatePerBrand(db, {
      brandIds: q.panel,
      from: range.previousFrom,
      to: range.from,
      filters: q.filters,
    }),
    refHeadToHead(db, {
      brandId: q.brandId,
      panel: q.panel,
      from: range.from,
      to: range.to,
      filters: q.filters,
    }),
  ]);
  const buckets = range.starts.map((start, i) => {
    const row = new Map(q.panel.map((id) => [id, perBucket.get(id)![i]!]));
    const brands = shares(q.panel, row);
    return { start: iso(start), volume: brands.reduce((s, b) => s + b.volume, 0), brands };
  });
  const now = shares(q.panel, totals);
  const before = shares(q.panel, previous);
  return {
    from: iso(range.from),
    to: iso(range.to),
    buckets,
    totals: now.map((current, k) => {
      const prior = before[k]!;
      const shareOfVoice =
        current.shareOfVoice === null || prior.shareOfVoice === null
          ? null
          : round4(current.shareOfVoice - prior.shareOfVoice);
      return { ...current, previous: prior, change: { ...refChange(current, prior), shareOfVoice } };
    }),
    headToHead,
    previous: { from: iso(range.previousFrom), to: iso(range.from) },
  };
}

export type BreakdownDim = 'source' | 'touchpoint' | 'language';

/** Aggregates per key of a dimension over [from, to); language keys may be null. */
async function aggregatePerKey(
  db: Db,
  q: { brandId: number; by: BreakdownDim; from: Date; to: Date; filters: RefFilters },
): Promise<Map<string | null, RefAggregate>> {
  const key = { source: sql`s.kind`, touchpoint: sql`tp.touchpoint`, language: sql`m.language` }[q.by];
  const keys =
    q.by === 'touchpoint'
      ? sql`select distinct tp.touchpoint as key from (select m.touchpoints
          ${brandMentions(sql`${q.brandId}::int`, sql`${q.from}::timestamptz`, sql`${q.to}::timestamptz`, q.filters, 'none')}) m
          cross join unnest(m.touchpoints) as tp(touchpoint)`
      : sql`select distinct ${key} as key
          ${brandMentions(sql`${q.brandId}::int`, sql`${q.from}::timestamptz`, sql`${q.to}::timestamptz`, q.filters, 'none')}`;
  // Theme-filtered breakdowns count mentions having the theme (`exists`), without aspect figures.
  const result = await sql<RefAggregate & { key: string | null }>`
    select k.key, a.*
    from (${keys}) k
    cross join lateral (
      select ${aggregateColumns(false)}
      ${brandMentions(sql`${q.brandId}::int`, sql`${q.from}::timestamptz`, sql`${q.to}::timestamptz`, q.filters, 'none')}
        and ${q.by === 'touchpoint' ? sql`k.key = any(m.touchpoints)` : sql`${key} is not distinct from k.key`}
    ) a`.execute(db);
  return new Map(result.rows.map(({ key: k, ...rest }) => [k, rest]));
}

export async function refBreakdown(
  db: Db,
  q: { brandId: number; by: BreakdownDim; timeZone: string; from: Date; to: Date; filters: RefFilters },
) {
  const range = await refRange(db, 'hour', q.timeZone, q.from, q.to);
  const [now, before] = await Promise.all([
    aggregatePerKey(db, { ...q, from: range.from, to: range.to }),
    aggregatePerKey(db, { ...q, from: range.previousFrom, to: range.from }),
  ]);
  const rows = [...now.entries()].map(([key, a]) => {
    const figures = refFigures(a);
    const prior = before.get(key);
    const previous = prior ? refFigures(prior) : refFigures(emptyAggregate());
    return { key, ...figures, previous, change: refChange(figures, previous) };
  });
  rows.sort((x, y) => y.volume - x.volume || (x.key ?? '').localeCompare(y.key ?? ''));
  return {
    from: iso(range.from),
    to: iso(range.to),
    previous: { from: iso(range.previousFrom), to: iso(range.from) },
    rows,
  };
}

export function emptyAggregate(): RefAggregate {
  return {
    volume: 0,
    positive: 0,
    neutral: 0,
    negative: 0,
    mixed: 0,
    labelled: 0,
    scored: 0,
    meanScore: null,
    rated: 0,
    meanRating: null,
    ratingHigh: 0,
    aspectScored: 0,
    aspectMean: null,
    aspectPositive: 0,
    aspectNegative: 0,
  };
}

/** Per brand and theme: the mentions with the theme and the theme's own (aspect) scores. */
export async function refThemeAggregates(
  db: Db,
  q: { brandIds: readonly number[]; from: Date; to: Date; filters: RefFilters },
): Promise<Map<number, Map<string, RefAggregate>>> {
  const result = await sql<RefAggregate & { brandId: number; theme: string }>`
    select mb.brand_id as "brandId", mt.theme, ${aggregateColumns(true)}
    ${brandMentions(sql`any(${[...q.brandIds]}::int[])`, sql`${q.from}::timestamptz`, sql`${q.to}::timestamptz`, { ...q.filters, theme: undefined }, 'each')}
    group by mb.brand_id, mt.theme`.execute(db);
  const out = new Map<number, Map<string, RefAggregate>>(q.brandIds.map((id) => [id, new Map()]));
  for (const { brandId, theme, ...rest } of result.rows) out.get(brandId)?.set(theme, rest);
  return out;
}

/** Volume per brand (all its mentions under the filters). */
async function volumes(
  db: Db,
  q: { brandIds: readonly number[]; from: Date; to: Date; filters: RefFilters },
): Promise<Map<number, number>> {
  const perBrand = await aggregatePerBrand(db, q);
  return new Map([...perBrand.entries()].map(([id, a]) => [id, a.volume]));
}

type ThemeQuery = { brandId: number; timeZone: string; from: Date; to: Date; filters: RefFilters };

/** Themes ordered as the API orders them: most mentions first, then by name. */
function byCount<T extends { count: number; theme: string }>(a: T, b: T): number {
  return b.count - a.count || (a.theme < b.theme ? -1 : a.theme > b.theme ? 1 : 0);
}

export async function refTopThemes(db: Db, q: ThemeQuery & { limit: number }) {
  const range = await refRange(db, 'hour', q.timeZone, q.from, q.to);
  const brandIds = [q.brandId];
  const [now, before, volume] = await Promise.all([
    refThemeAggregates(db, { brandIds, from: range.from, to: range.to, filters: q.filters }),
    refThemeAggregates(db, { brandIds, from: range.previousFrom, to: range.from, filters: q.filters }),
    volumes(db, { brandIds, from: range.from, to: range.to, filters: q.filters }),
  ]);
  const brandVolume = volume.get(q.brandId) ?? 0;
  const prior = before.get(q.brandId)!;
  const themes = [...now.get(q.brandId)!.entries()]
    .map(([theme, a]) => {
      const previousCount = prior.get(theme)?.volume ?? 0;
      return {
        theme,
        count: a.volume,
        share: share(a.volume, brandVolume),
        ...refAspectFigures(a),
        netSentiment: refFigures(a).netSentiment,
        previousCount,
        change: refRelative(a.volume, previousCount),
      };
    })
    .sort(byCount)
    .slice(0, q.limit);
  return {
    from: iso(range.from),
    to: iso(range.to),
    previous: { from: iso(range.previousFrom), to: iso(range.from) },
    themes,
  };
}

export async function refEmergingThemes(
  db: Db,
  q: ThemeQuery & { limit: number; minCount: number; minRatio: number },
) {
  const range = await refRange(db, 'hour', q.timeZone, q.from, q.to);
  const brandIds = [q.brandId];
  const [now, before] = await Promise.all([
    refThemeAggregates(db, { brandIds, from: range.from, to: range.to, filters: q.filters }),
    refThemeAggregates(db, { brandIds, from: range.previousFrom, to: range.from, filters: q.filters }),
  ]);
  const prior = before.get(q.brandId)!;
  const themes = [];
  for (const [theme, a] of now.get(q.brandId)!) {
    const previous = prior.get(theme);
    const previousCount = previous?.volume ?? 0;
    if (a.volume < q.minCount || a.volume < q.minRatio * previousCount) continue;
    const negativeShare = a.aspectScored > 0 ? a.aspectNegative / a.aspectScored : null;
    const rise = (a.volume - previousCount) / Math.sqrt(previousCount + 1);
    themes.push({
      theme,
      count: a.volume,
      previousCount,
      isNew: previousCount === 0,
      growth: refRelative(a.volume, previousCount),
      negative: a.aspectNegative,
      previousNegative: previous?.aspectNegative ?? 0,
      negativeShare: round4(negativeShare),
      aspectSentiment: round4(a.aspectMean),
      score: round4(rise * (1 + (negativeShare ?? 0)))!,
    });
  }
  themes.sort((x, y) => y.score - x.score || x.theme.localeCompare(y.theme));
  return {
    from: iso(range.from),
    to: iso(range.to),
    previous: { from: iso(range.previousFrom), to: iso(range.from) },
    themes: themes.slice(0, q.limit),
  };
}

export async function refCompareThemes(
  db: Db,
  q: Omit<ThemeQuery, 'brandId'> & { panel: readonly number[]; limit: number },
) {
  const range = await refRange(db, 'hour', q.timeZone, q.from, q.to);
  const [perBrand, volume] = await Promise.all([
    refThemeAggregates(db, { brandIds: q.panel, from: range.from, to: range.to, filters: q.filters }),
    volumes(db, { brandIds: q.panel, from: range.from, to: range.to, filters: q.filters }),
  ]);
  const names = new Set([...perBrand.values()].flatMap((m) => [...m.keys()]));
  const themes = [...names]
    .map((theme) => ({
      theme,
      count: q.panel.reduce((s, id) => s + (perBrand.get(id)!.get(theme)?.volume ?? 0), 0),
    }))
    .sort(byCount)
    .slice(0, q.limit)
    .map(({ theme, count }) => ({
      theme,
      count,
      brands: q.panel.map((brandId) => {
        const a = perBrand.get(brandId)!.get(theme);
        return {
          brandId,
          count: a?.volume ?? 0,
          share: share(a?.volume ?? 0, volume.get(brandId) ?? 0),
          aspectSentiment: a ? round4(a.aspectMean) : null,
          negativeShare: a && a.aspectScored > 0 ? round4(a.aspectNegative / a.aspectScored) : null,
        };
      }),
    }));
  return { from: iso(range.from), to: iso(range.to), themes };
}
