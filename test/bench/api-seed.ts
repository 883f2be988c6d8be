/**
 * Deterministic synthetic data for bench:api, written with set-based SQL: every mention is a pure
 * function of its id (seeded `hashint8extended`, no Math.random), so any range of ids can be added
 * at any time and a run always produces the same rows.
 *
 * - 20 brands; brands 1, 6, 11 and 16 are `own` brands, each with a panel of the next four as
 *   competitors (brand_competitors), so `compare` sees 5 brands.
 * - 10 sources of 7 kinds (rss, hackernews, reddit, appstore, mastodon, bluesky, github).
 * - Mentions over the 180 days before SEED_END, with a daily and weekly rhythm, slow growth and a
 *   few spike days; brands Zipf-like in volume (brand 1 ≈ 23 %, brand 20 ≈ 1.6 %). Labels
 *   positive / neutral / negative / mixed with a per-brand negative share, ~2 % unlabelled French
 *   mentions with no score; App Store ratings consistent with the label; 0–2 touchpoints, rare
 *   intents; ~1 % syndicated copies (`duplicate_of` an earlier original, same brand, story and
 *   themes, from another source, minutes later).
 * - mention_brands: the mention's brand with a stance near the mention's score; ~5 % also name a
 *   panel-mate with a different stance. mention_themes: 1–4 themes per mention from a 300-word
 *   vocabulary, Zipf-like.
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { rebuildRollups } from '../../db/queries/rollups.ts';
import type { Database } from '../../db/schema.ts';
import { DEFAULT_VOCABULARY } from '../../src/nlp/vocabulary.ts';

export const SEED_DAYS = 180;
/** The end of the seeded period (exclusive): mentions fall in the SEED_DAYS days before it. */
export const SEED_END = new Date('2026-11-01T00:00:00Z');
export const SEED_START = new Date(SEED_END.getTime() - SEED_DAYS * 86_400_000);

export const BRAND_NAMES = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Vandelay',
  'Stark',
  'Wayne',
  'Wonka',
  'Cyberdyne',
  'Soylent',
  'Tyrell',
  'Aperture',
  'Massive Dynamic',
  'Gringotts',
  'Oscorp',
  'Monarch',
  'Dunder Mifflin',
  'Pied Piper',
  'Nakatomi',
] as const;
export const BRAND_COUNT = BRAND_NAMES.length;
export const PANEL_SIZE = 5;
/** The own brands: each the first of a panel of PANEL_SIZE brands. */
export const PANEL_OWNERS = Array.from({ length: BRAND_COUNT / PANEL_SIZE }, (_, p) => p * PANEL_SIZE + 1);

const SOURCES: ReadonlyArray<{ name: string; kind: string; weight: number }> = [
  { name: 'bench news (rss)', kind: 'rss', weight: 10 },
  { name: 'bench blogs (rss)', kind: 'rss', weight: 6 },
  { name: 'bench hacker news', kind: 'hackernews', weight: 6 },
  { name: 'bench reddit', kind: 'reddit', weight: 18 },
  { name: 'bench reddit help', kind: 'reddit', weight: 6 },
  { name: 'bench app store us', kind: 'appstore', weight: 9 },
  { name: 'bench app store gb', kind: 'appstore', weight: 5 },
  { name: 'bench mastodon', kind: 'mastodon', weight: 10 },
  { name: 'bench bluesky', kind: 'bluesky', weight: 22 },
  { name: 'bench github', kind: 'github', weight: 8 },
];

const THEME_NOUNS = [
  'price',
  'delivery',
  'support',
  'battery',
  'screen',
  'app',
  'refund',
  'shipping',
  'quality',
  'service',
  'login',
  'update',
  'subscription',
  'checkout',
  'camera',
  'design',
  'performance',
  'customer service',
  'packaging',
  'size',
  'warranty',
  'staff',
  'website',
  'payment',
  'account',
  'notification',
  'sync',
  'speed',
  'installation',
  'store',
];
const THEME_QUALIFIERS = [
  'mobile',
  'monthly',
  'international',
  'premium',
  'online',
  'free',
  'new',
  'annual',
  'express',
  'family',
];
/** 300 themes; rank 1 is the most frequent. */
export const THEMES = [
  ...THEME_NOUNS,
  ...THEME_QUALIFIERS.flatMap((q) => THEME_NOUNS.map((n) => `${q} ${n}`)),
].slice(0, 300);

const TOUCHPOINTS = DEFAULT_VOCABULARY.touchpoints.map((t) => t.id);
const INTENTS = DEFAULT_VOCABULARY.intents.map((t) => t.id);

/** Four phrases per label (positive, neutral, negative, mixed), then four French ones (unlabelled). */
const PHRASES = [
  'love the new update, works great',
  'best support I have had in years',
  'fast delivery and fair price',
  'really happy with the quality',
  'switched plans today',
  'anyone tried the new version yet?',
  'the store opens at nine',
  'posted their quarterly numbers',
  'app keeps crashing after the update',
  'still waiting for my refund, awful',
  'support never answered, very disappointed',
  'overpriced and slow, avoid',
  'great screen but the battery is terrible',
  'nice staff, shame about the delivery',
  'good price although checkout was broken',
  'love the design, hate the subscription',
  'livraison rapide, rien à dire',
  'le service client ne répond pas',
  'nouvelle version disponible',
  'prix correct pour la qualité',
];
const LABELS = ['positive', 'neutral', 'negative', 'mixed'] as const;
const REASON_WORDS = ['love', 'fine', 'awful', 'but'];

// ----------------------------------------------------------------------------- the id → row maps
/** A uniform number in [0, 1) from an id expression and a seed: the only source of randomness. */
const u = (id: string, seed: number | string) =>
  `((hashint8extended(${id}, ${seed}) & 4294967295)::float8 / 4294967296.0)`;
/** Brand 1..20, Zipf-like: P(rank ≤ r) = ln(r + 1) / ln(21). */
const brandOf = (base: string) => `floor(${BRAND_COUNT + 1}::float8 ^ ${u(base, 3)})::int`;
/** Theme rank 1..300 for the j-th theme of a mention, Zipf-like as brandOf. */
const themeRankOf = (base: string, j: string) =>
  `floor(${THEMES.length + 1}::float8 ^ ${u(base, `30 + ${j}`)})::int`;
const clamp = (x: string) => `greatest(-1::float8, least(1::float8, ${x}))`;

/** A CASE picking 1..n by cumulative weights from a uniform expression. */
function pick(uniform: string, weights: readonly number[]): string {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const branches = weights.slice(0, -1).map((w, index) => {
    acc += w;
    return `when ${uniform} < ${acc / total} then ${index + 1}`;
  });
  return `(case ${branches.join(' ')} else ${weights.length} end)`;
}

/**
 * Hour slots of the seeded period, each repeated in proportion to its weight: a uniform index into
 * this array gives an hour with the daily rhythm (trough 03:00 UTC, peak 15:00), quieter weekends,
 * ~35 % growth over the period and three spike days.
 */
function hourSlots(perHour = 10): number[] {
  const hours = SEED_DAYS * 24;
  const spikeDays = new Set([41, 97, 152]);
  const weights: number[] = [];
  for (let h = 0; h < hours; h++) {
    const at = new Date(SEED_START.getTime() + h * 3_600_000);
    const day = Math.floor(h / 24);
    const hourOfDay = 0.35 + 0.65 * ((1 + Math.cos((2 * Math.PI * (at.getUTCHours() - 15)) / 24)) / 2);
    const weekday = at.getUTCDay() === 0 || at.getUTCDay() === 6 ? 0.7 : 1;
    const growth = 0.85 + (0.3 * day) / (SEED_DAYS - 1);
    weights.push(hourOfDay * weekday * growth * (spikeDays.has(day) ? 2.5 : 1));
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const slots = hours * perHour;
  // Largest remainder: exactly `slots` entries.
  const exact = weights.map((w) => (w / total) * slots);
  const counts = exact.map(Math.floor);
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const missing = slots - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) counts[order[k]![1]]! += 1;
  return counts.flatMap((count, hour) => Array<number>(count).fill(hour));
}

const SLOTS = hourSlots();

// ----------------------------------------------------------------------------------------- writes
type Db = Kysely<Database>;

/** Brands, competitor panels and sources, with fixed ids. */
export async function seedCatalog(db: Db): Promise<void> {
  const brandIds = BRAND_NAMES.map((_, i) => i + 1);
  const kinds = brandIds.map((id) => (PANEL_OWNERS.includes(id) ? 'own' : 'competitor'));
  await sql`
    insert into brands (id, name, kind, include_terms, exclude_terms) overriding system value
    select id, name, kind, array[name], '{}'
    from unnest(${brandIds}::int[], ${[...BRAND_NAMES]}::text[], ${kinds}::text[]) as t(id, name, kind)`.execute(
    db,
  );
  await sql`
    insert into brand_competitors (brand_id, competitor_id)
    select owner, owner + k
    from unnest(${PANEL_OWNERS}::int[]) as owner, generate_series(1, ${PANEL_SIZE - 1}::int) as k`.execute(
    db,
  );
  await sql`
    insert into sources (id, name, kind, options, poll_interval_seconds) overriding system value
    select id, name, kind, '{}'::jsonb, 3600
    from unnest(${SOURCES.map((_, i) => i + 1)}::int[], ${SOURCES.map((s) => s.name)}::text[],
      ${SOURCES.map((s) => s.kind)}::text[]) as t(id, name, kind)`.execute(db);
  for (const table of ['brands', 'sources']) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(
      db,
    );
  }
}

export type SeedTimings = {
  /** Wall-clock time of the whole range. */
  wall: number;
  /** Time in each kind of statement (the brand and theme rows of a chunk overlap the next chunk's mentions). */
  mentions: number;
  brands: number;
  themes: number;
};

/**
 * Mentions with ids `first..last` (inclusive) and their brand and theme rows, in chunks of `chunk`
 * ids. Ids are set explicitly (the row is a function of its id); the sequence follows. Two lanes:
 * a chunk's brand and theme rows are written while the next chunk's mentions are (every syndicated
 * copy points at least one id back, to a committed chunk or its own).
 */
export async function seedMentions(
  db: Db,
  first: number,
  last: number,
  options: { chunk?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<SeedTimings> {
  const chunk = options.chunk ?? 50_000;
  const started = performance.now();
  const timings: SeedTimings = { wall: 0, mentions: 0, brands: 0, themes: 0 };
  const time = async (key: Exclude<keyof SeedTimings, 'wall'>, statement: string) => {
    const at = performance.now();
    await sql.raw(statement).execute(db);
    timings[key] += performance.now() - at;
  };
  let links: Promise<void> = Promise.resolve();
  for (let lo = first; lo <= last; lo += chunk) {
    const hi = Math.min(last, lo + chunk - 1);
    await time('mentions', mentionsSql(lo, hi));
    await links;
    links = (async () => {
      await time('brands', mentionBrandsSql(lo, hi));
      await time('themes', mentionThemesSql(lo, hi));
      options.onProgress?.(hi - first + 1, last - first + 1);
    })();
    // Surfaced by the `await links` above or below; never left unhandled meanwhile.
    links.catch(() => {});
  }
  await links;
  await sql`select setval(pg_get_serial_sequence('mentions', 'id'), (select max(id) from mentions))`.execute(
    db,
  );
  timings.wall = performance.now() - started;
  return timings;
}

export type FinishTimings = { rollups: number; vacuum: number };

/** Sums the rollups again from every mention, then vacuums and analyzes what was written. */
export async function finishSeed(db: Db): Promise<FinishTimings> {
  let started = performance.now();
  await rebuildRollups(db);
  const rollups = performance.now() - started;
  started = performance.now();
  // VACUUM as well as ANALYZE: fresh statistics, and nothing left for autovacuum to do mid-measurement.
  await sql`vacuum (analyze) mentions, mention_brands, mention_themes, rollup_hourly, rollup_daily,
    rollup_weekly`.execute(db);
  return { rollups, vacuum: performance.now() - started };
}

/** Row counts of the seeded tables. */
export async function tableSizes(db: Db): Promise<Record<string, number>> {
  const tables = [
    'mentions',
    'mention_brands',
    'mention_themes',
    'rollup_hourly',
    'rollup_daily',
    'rollup_weekly',
  ];
  const sizes: Record<string, number> = {};
  for (const table of tables) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db);
    sizes[table] = rows[0]?.n ?? 0;
  }
  return sizes;
}

// ------------------------------------------------------------------------------------------- SQL
/** SQL literal of a text array. */
function textArray(values: readonly string[]): string {
  return `array[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')}]::text[]`;
}

function intArray(values: readonly number[]): string {
  return `'{${values.join(',')}}'::int[]`;
}

const END_SQL = `'${SEED_END.toISOString()}'::timestamptz`;
const START_SQL = `'${SEED_START.toISOString()}'::timestamptz`;

/**
 * Layers (each `offset 0`, so PostgreSQL computes every derived column once instead of inlining it
 * into each use): ids → copies → per-story draws → label and times → texts.
 */
export function mentionsSql(lo: number, hi: number): string {
  const negativeShare = (brand: string) => `(0.14 + 0.015 * ((${brand} * 7) % 9))`;
  const sourceKinds = textArray(SOURCES.map((s) => s.kind));
  return `
    insert into mentions (id, source_id, external_id, url, author, title, text, published_at, fetched_at,
      rating, language, sentiment_score, sentiment_label, sentences, sentiment_reasons, touchpoints, intents,
      canonical_url, duplicate_of)
    overriding system value
    select i, source_id, 'bench-' || i, 'https://bench.example/s' || source_id || '/' || i,
      'user' || floor(${u('base', 17)} * 50000)::int,
      case when kind in ('rss', 'hackernews', 'reddit', 'github', 'appstore') then 'About ' || brand_name end,
      text, at, at + (1 + floor(${u('i', 10)} * 120)::int) * interval '1 minute',
      case when kind = 'appstore' then
        case label
          when 'positive' then 4 + (${u('base', 18)} < 0.6)::int
          when 'negative' then 1 + (${u('base', 18)} < 0.3)::int
          when 'neutral' then 3
          when 'mixed' then 2 + floor(${u('base', 18)} * 3)::int
          else 1 + floor(${u('base', 18)} * 5)::int
        end
      end,
      case when label is null then 'fr' else 'en' end,
      score, label,
      case when score is not null then
        jsonb_build_array(jsonb_build_object('text', text, 'score', round(score::numeric, 3))) end,
      case when score is not null then
        jsonb_build_array(jsonb_build_object('kind', 'lexicon', 'text', (${textArray(REASON_WORDS)})[label_index],
          'effect', round(score::numeric * 0.6, 3))) end,
      case when ${u('base', 11)} < 0.45 then '{}'::text[]
        when ${u('base', 11)} < 0.85 then array[tp[tp1 + 1]]
        else array[tp[tp1 + 1], tp[(tp1 + 1 + floor(${u('base', 13)} * 5)::int) % 6 + 1]]
      end,
      case when ${u('base', 14)} < 0.03
        then array[(${textArray(INTENTS)})[1 + floor(${u('base', 15)} * ${INTENTS.length})::int]]
        else '{}'::text[] end,
      'https://bench.example/m/' || base, dup
    from (
      select l.*,
        case when label is null then null
          when label = 'positive' then 0.15 + 0.85 * ${u('base', 6)}
          when label = 'negative' then -(0.15 + 0.85 * ${u('base', 6)})
          when label = 'neutral' then -0.15 + 0.3 * ${u('base', 6)}
          else -0.3 + 0.6 * ${u('base', 6)}
        end as score,
        case when dup is null then story_at
          else least(story_at + (5 + floor(${u('i', 9)} * 600)::int) * interval '1 minute',
            ${END_SQL} - interval '1 second')
        end as at,
        (${sourceKinds})[source_id] as kind,
        brand_name || ': ' || (${textArray(PHRASES)})[coalesce(label_index, 5) * 4 - 3 + floor(${u('base', 16)} * 4)::int]
          || ' (#' || base || ')' as text,
        ${textArray(TOUCHPOINTS)} as tp,
        floor(${u('base', 12)} * 6)::int as tp1
      from (
        select d.*,
          case when dup is null then source0 else source0 % ${SOURCES.length} + 1 end as source_id,
          (${textArray(LABELS)})[label_index] as label,
          ${START_SQL} + slot * interval '1 hour' + floor(${u('base', 8)} * 3600)::int * interval '1 second'
            as story_at,
          (${textArray(BRAND_NAMES)})[brand] as brand_name
        from (
          select c.*,
            ${pick(
              u('base', 4),
              SOURCES.map((s) => s.weight),
            )} as source0,
            case when ${u('base', 5)} < 0.02 then null
              when ${u('base', 5)} < 0.08 then 4
              when ${u('base', 5)} < 0.08 + ${negativeShare('brand')} then 3
              when ${u('base', 5)} < 0.36 + ${negativeShare('brand')} then 2
              else 1
            end as label_index,
            (${intArray(SLOTS)})[1 + floor(${u('base', 7)} * ${SLOTS.length})::int] as slot
          from (
            select b.*, ${brandOf('base')} as brand
            from (
              select i, dup, coalesce(dup, i) as base
              from (
                select i, case when i > 300 and ${u('i', 1)} < 0.01 and ${u('t', 1)} >= 0.01 then t end as dup
                from (
                  select i, i - 1 - floor(${u('i', 2)} * 200)::bigint as t
                  from generate_series(${lo}::bigint, ${hi}::bigint) as i
                ) g
              ) h
              offset 0
            ) b
            offset 0
          ) c
          offset 0
        ) d
        offset 0
      ) l
      offset 0
    ) m`;
}

export function mentionBrandsSql(lo: number, hi: number): string {
  const second = `(${PANEL_SIZE} * ((brand - 1) / ${PANEL_SIZE}) + 1
    + ((brand - 1) % ${PANEL_SIZE} + 1 + floor(${u('base', 22)} * ${PANEL_SIZE - 1})::int) % ${PANEL_SIZE})`;
  const stance = (x: string) => `case when score is null then null else ${clamp(x)} end`;
  return `
    with m as materialized (
      select id, occurred_at, score, base, ${brandOf('base')} as brand
      from (
        select id, occurred_at, sentiment_score::float8 as score, coalesce(duplicate_of, id) as base
        from mentions where id between ${lo} and ${hi}
      ) s
    )
    insert into mention_brands (mention_id, brand_id, occurred_at, matched_terms, sentiment_score)
    select x.id, x.brand_id, x.occurred_at, array[b.name], x.stance
    from (
      select id, occurred_at, brand as brand_id, ${stance(`score + (${u('base', 20)} - 0.5) * 0.3`)} as stance
      from m
      union all
      select id, occurred_at, ${second}, ${stance(`-0.6 * score + (${u('base', 23)} - 0.5) * 0.4`)}
      from m
      where ${u('base', 21)} < 0.05
    ) x
    join brands b on b.id = x.brand_id`;
}

export function mentionThemesSql(lo: number, hi: number): string {
  const count = `(case when ${u('base', 29)} < 0.4 then 1 when ${u('base', 29)} < 0.7 then 2
    when ${u('base', 29)} < 0.9 then 3 else 4 end)`;
  return `
    insert into mention_themes (mention_id, theme, sentiment_score)
    select id, (${textArray(THEMES)})[${themeRankOf('base', 'j')}],
      case when score is null then null else ${clamp(`score + (${u('base', '40 + j')} - 0.5) * 0.6`)} end
    from (
      select id, sentiment_score::float8 as score, coalesce(duplicate_of, id) as base
      from mentions where id between ${lo} and ${hi}
      offset 0
    ) m
    cross join lateral generate_series(1, ${count}) as j
    on conflict do nothing`;
}
