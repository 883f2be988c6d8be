/**
 * Analytics rollups: per brand, dimension ("all", source kind, touchpoint, language, theme, and the
 * other brands a mention names) and UTC hour, day and week (`rollup_hourly`, `_daily`, `_weekly`), the sums
 * every figure of the trends, compare and theme endpoints is made of.
 *
 * They are maintained by increments in the transaction that changes the mentions: `+1` for the
 * facts of mentions just written, `-1` for facts about to change or vanish, then `+1` again for what
 * they became (a corrected label). Increments commute, so concurrent writers never lose one.
 * Retention deletes old mentions without a `-1`: the rollups keep the figures of every period, and
 * the periods before the retention horizon (`closeRollupsBefore`) are final, even for a rebuild.
 *
 * `factsSql` is the one definition of what a mention contributes, per dimension: the rollups are
 * its sums, and analytics that a rollup cannot answer (a time zone with a half-hour offset, several
 * filters at once) read it over the raw mentions instead.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../schema.ts';
import type { Executor } from './brands.ts';

export const ROLLUP_DIMS = ['all', 'source', 'touchpoint', 'language', 'theme', 'versus'] as const;
export type RollupDim = (typeof ROLLUP_DIMS)[number];

/** Theme (aspect) scores with a magnitude above this count as positive or negative. */
export const ASPECT_BAND = 0.15;
/** In a mention naming two brands, one comes out better when its stance is this much higher. */
export const VERSUS_MARGIN = 0.1;

/** The sums kept per rollup row; every analytics figure is derived from them. */
export const MEASURES = [
  'volume',
  'positive',
  'neutral',
  'negative',
  'mixed',
  'scored',
  'score_sum',
  'rated',
  'rating_sum',
  'rating_high',
  'aspect_scored',
  'aspect_sum',
  'aspect_positive',
  'aspect_negative',
  'wins',
  'losses',
] as const;
export type Measure = (typeof MEASURES)[number];
export type Measures = Record<Measure, number>;

/** Sums that go back to exactly 0 when the count they belong to does (no floating-point residue). */
const SUM_OF: Partial<Record<Measure, Measure>> = {
  score_sum: 'scored',
  rating_sum: 'rated',
  aspect_sum: 'aspect_scored',
};

export type FactsWhere = {
  brandIds?: readonly number[];
  mentionIds?: readonly number[];
  from?: Date;
  to?: Date;
  /** Only mentions from sources of these kinds. */
  sourceKinds?: readonly string[];
  touchpoint?: string;
  theme?: string;
  language?: string;
};

const ZERO_ASPECT = sql`0::int as aspect_scored, 0::float8 as aspect_sum, 0::int as aspect_positive,
  0::int as aspect_negative`;
const ZERO_VERSUS = sql`0::int as wins, 0::int as losses`;

/**
 * One row per (mention, brand, dimension key) with the mention's contribution to each measure:
 * columns brand_id, key, at (the mention's time), then MEASURES. Syndicated copies count once.
 */
export function factsSql(dim: RollupDim, where: FactsWhere): RawBuilder<unknown> {
  const conditions = [sql`m.duplicate_of is null`];
  if (where.brandIds) conditions.push(sql`mb.brand_id = any(${[...where.brandIds]}::int[])`);
  if (where.mentionIds) conditions.push(sql`m.id = any(${[...where.mentionIds]}::bigint[])`);
  if (where.from) conditions.push(sql`mb.occurred_at >= ${where.from}`);
  if (where.to) conditions.push(sql`mb.occurred_at < ${where.to}`);
  if (where.sourceKinds) {
    conditions.push(
      sql`m.source_id in (select id from sources where kind = any(${[...where.sourceKinds]}::text[]))`,
    );
  }
  if (where.touchpoint !== undefined) conditions.push(sql`${where.touchpoint} = any(m.touchpoints)`);
  if (where.language !== undefined) conditions.push(sql`coalesce(m.language, '') = ${where.language}`);
  if (where.theme !== undefined) {
    // On the theme dimension, the theme's own row; elsewhere, mentions that have the theme.
    conditions.push(
      dim === 'theme'
        ? sql`mt.theme = ${where.theme}`
        : sql`exists (select 1 from mention_themes ft where ft.mention_id = m.id and ft.theme = ${where.theme})`,
    );
  }

  let key: RawBuilder<unknown>;
  let join = sql``;
  let aspect = ZERO_ASPECT;
  let versus = ZERO_VERSUS;
  switch (dim) {
    case 'all':
      key = sql`''`;
      break;
    case 'source':
      key = sql`s.kind`;
      join = sql`join sources s on s.id = m.source_id`;
      break;
    case 'touchpoint':
      key = sql`tp.touchpoint`;
      join = sql`cross join lateral unnest(m.touchpoints) as tp(touchpoint)`;
      break;
    case 'language':
      key = sql`coalesce(m.language, '')`;
      break;
    case 'theme':
      key = sql`mt.theme`;
      join = sql`join mention_themes mt on mt.mention_id = m.id`;
      aspect = sql`(mt.sentiment_score is not null)::int as aspect_scored,
        coalesce(mt.sentiment_score, 0)::float8 as aspect_sum,
        coalesce(mt.sentiment_score > ${ASPECT_BAND}, false)::int as aspect_positive,
        coalesce(mt.sentiment_score < ${-ASPECT_BAND}, false)::int as aspect_negative`;
      break;
    case 'versus':
      key = sql`ob.brand_id::text`;
      join = sql`join mention_brands ob on ob.mention_id = mb.mention_id and ob.brand_id <> mb.brand_id`;
      // Stances are kept to 3 decimals: compare them so, or float noise decides ties.
      versus = sql`coalesce(round((mb.sentiment_score - ob.sentiment_score)::numeric, 3) > ${VERSUS_MARGIN}, false)::int as wins,
        coalesce(round((ob.sentiment_score - mb.sentiment_score)::numeric, 3) > ${VERSUS_MARGIN}, false)::int as losses`;
      break;
  }
  return sql`
    select mb.brand_id, ${key} as key, mb.occurred_at as at,
      1 as volume,
      coalesce(m.sentiment_label = 'positive', false)::int as positive,
      coalesce(m.sentiment_label = 'neutral', false)::int as neutral,
      coalesce(m.sentiment_label = 'negative', false)::int as negative,
      coalesce(m.sentiment_label = 'mixed', false)::int as mixed,
      (m.sentiment_score is not null)::int as scored,
      coalesce(m.sentiment_score, 0)::float8 as score_sum,
      (m.rating is not null)::int as rated,
      coalesce(m.rating, 0)::float8 as rating_sum,
      coalesce(m.rating >= 4, false)::int as rating_high,
      ${aspect},
      ${versus}
    from mention_brands mb
    join mentions m on m.id = mb.mention_id
    ${join}
    where ${sql.join(conditions, sql` and `)}`;
}

/** Adds (sign 1) or removes (sign -1) the facts of these mentions, as they are now, to both rollups. */
export async function applyToRollups(
  db: Executor,
  mentionIds: readonly number[],
  sign: 1 | -1,
): Promise<void> {
  if (mentionIds.length === 0) return;
  await addFacts(db, { mentionIds }, sign);
}

/**
 * Empties the rollups and sums them again from every mention (after an import, or to repair). Rows
 * before the retention horizon stay as they are: their mentions are gone (see `closeRollupsBefore`).
 */
export async function rebuildRollups(db: Executor): Promise<void> {
  const closedBefore = await getClosedBefore(db);
  if (closedBefore === null) {
    await sql`truncate rollup_hourly, rollup_daily, rollup_weekly`.execute(db);
    await addFacts(db, {}, 1);
    return;
  }
  for (const table of ['rollup_hourly', 'rollup_daily', 'rollup_weekly'] as const) {
    await db.deleteFrom(table).where('at', '>=', closedBefore).execute();
  }
  await addFacts(db, { from: closedBefore }, 1);
}

/**
 * The retention horizon: mentions before it are deleted (or being deleted) and the rollup rows
 * before it are final. Null when no mention was ever deleted for its age.
 */
export async function getClosedBefore(db: Executor): Promise<Date | null> {
  const row = await db.selectFrom('rollup_state').select('closed_before').executeTakeFirst();
  return row?.closed_before ?? null;
}

/**
 * Moves the retention horizon forward to `at` (never back), before the mentions older than it are
 * deleted; answers the horizon now in force. `at` must start a UTC week (so it starts an hour, a day
 * and a week too): every rollup row is then wholly before it or wholly after it.
 */
export async function closeRollupsBefore(db: Executor, at: Date): Promise<Date> {
  if (at.getTime() !== startOfUtcWeek(at).getTime()) {
    throw new Error(`closeRollupsBefore: ${at.toISOString()} does not start a UTC week`);
  }
  const row = await db
    .updateTable('rollup_state')
    .set({ closed_before: sql<Date>`greatest(closed_before, ${at}::timestamptz)` })
    .returning('closed_before')
    .executeTakeFirstOrThrow();
  return row.closed_before ?? at;
}

/** Monday 00:00 UTC of the ISO week `at` is in (as PostgreSQL's `date_trunc('week', …)`). */
export function startOfUtcWeek(at: Date): Date {
  const sinceMonday = (at.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() - sinceMonday));
}

async function addFacts(db: Executor, where: FactsWhere, sign: 1 | -1): Promise<void> {
  const facts = sql.join(
    ROLLUP_DIMS.map((dim) => sql`select ${dim}::text as dim, f.* from (${factsSql(dim, where)}) f`),
    sql` union all `,
  );
  const columns = sql.raw(['brand_id', 'dim', 'key', 'at', ...MEASURES].join(', '));
  const sums = sql.raw(MEASURES.map((m) => `${sign} * sum(${m}) as ${m}`).join(', '));
  const resum = sql.raw(MEASURES.map((m) => `sum(${m})`).join(', '));
  const updates = (table: string) =>
    sql.raw(
      MEASURES.map((m) => {
        const count = SUM_OF[m];
        const added = `${table}.${m} + excluded.${m}`;
        return count === undefined
          ? `${m} = ${added}`
          : `${m} = case when ${table}.${count} + excluded.${count} = 0 then 0 else ${added} end`;
      }).join(', '),
    );
  // The facts are summed once per hour; days and weeks are summed from those hours. Rows go in key order,
  // so concurrent writers lock them in the same order (no deadlock).
  await sql`
    with hourly as (
      select brand_id, dim, key, date_trunc('hour', at, 'UTC') as at, ${sums}
      from (${facts}) facts
      group by 1, 2, 3, 4
    ),
    into_hourly as (
      insert into rollup_hourly (${columns})
      select * from hourly order by 1, 2, 3, 4
      on conflict (brand_id, dim, key, at) do update set ${updates('rollup_hourly')}
    ),
    into_daily as (
      insert into rollup_daily (${columns})
      select brand_id, dim, key, date_trunc('day', at, 'UTC'), ${resum}
      from hourly
      group by 1, 2, 3, 4
      order by 1, 2, 3, 4
      on conflict (brand_id, dim, key, at) do update set ${updates('rollup_daily')}
    )
    insert into rollup_weekly (${columns})
    select brand_id, dim, key, date_trunc('week', at, 'UTC'), ${resum}
    from hourly
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (brand_id, dim, key, at) do update set ${updates('rollup_weekly')}`.execute(db);
}

/**
 * The rollups' definition (`factsSql` and MEASURES); stored sums made under an older one are rebuilt
 * at migrate time. Bump it with any change to what a mention contributes.
 */
export const ROLLUPS_VERSION = 4;

/** Rebuilds the rollups when they follow an older definition; true when it did. */
export async function ensureRollups(db: Kysely<Database>): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const state = await sql<{ version: number }>`select version from rollup_state for update`.execute(tx);
    if ((state.rows[0]?.version ?? 0) >= ROLLUPS_VERSION) return false;
    await rebuildRollups(tx);
    await sql`update rollup_state set version = ${ROLLUPS_VERSION}`.execute(tx);
    return true;
  });
}
