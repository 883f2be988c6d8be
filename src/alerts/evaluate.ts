/**
 * Window rules, evaluated on a schedule: volume spikes and drops, sentiment drops and emerging
 * negative themes compare the current window with the same-size windows of the baseline days before
 * it (src/alerts/detect.ts decides); silent sources are read from the poller's `empty_polls`.
 *
 * Idempotent by construction: a window ends on the evaluation step (5 minutes) at or before `now`, and
 * the event's dedupe key names that end, so running again within a step records nothing more. The
 * next step's event joins the open incident (its cooldown decides whether channels hear of it).
 *
 * Cheap: the baseline of a whole-hour window reads the hourly rollup (one row per hour), only the
 * current window and the explanation of a firing read raw mentions.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../db/queries/brands.ts';
import { ASPECT_BAND, factsSql, type RollupDim } from '../../db/queries/rollups.ts';
import type { AlertRuleRow } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import type { Json, SentimentLabel } from '../types.ts';
import {
  type RateVerdict,
  type RiseVerdict,
  rateTest,
  riseTest,
  sensitivityK,
  type VerdictStatus,
  type VolumeVerdict,
  volumeTest,
} from './detect.ts';
import { type Fired, type Firing, fireAlert } from './fire.ts';
import {
  baselineWindows,
  EmergingThemeConditions,
  EVALUATION_STEP_MINUTES,
  SentimentDropConditions,
  SourceSilenceConditions,
  VolumeDropConditions,
  VolumeSpikeConditions,
  WINDOW_RULE_KINDS,
  type WindowRuleKind,
  warmupPoints,
} from './window-conditions.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const STEP_MS = EVALUATION_STEP_MINUTES * MINUTE_MS;
/** Emerging themes fired by one rule in one evaluation at most (the strongest first). */
const MAX_THEMES_PER_RUN = 5;
const TOP = 5;
const EXAMPLES = 3;

export type RuleOutcome = {
  ruleId: number;
  kind: WindowRuleKind;
  /** `fire`: the condition holds (events are recorded once per window; see `recorded`). */
  status: VerdictStatus | 'invalid' | 'error';
  /** Events recorded by this run (0 when this window was recorded before). */
  recorded: number;
  /** Deliveries queued by this run. */
  queued: number;
  /** Events recorded without deliveries, by the reason fireAlert gave (cooldown, digest, mute…). */
  held?: Partial<Record<NonNullable<Fired['held']>, number>>;
  /** Why it failed (status `invalid` or `error`). */
  message?: string;
};

export type EvaluationReport = {
  /** End of the evaluated windows: `now` floored to the evaluation step. */
  windowEnd: Date;
  rules: number;
  recorded: number;
  queued: number;
  outcomes: RuleOutcome[];
};

/** Evaluates every enabled window rule at `now` (default: the clock) and records what fires. */
export async function evaluateWindowRules({
  deps,
  input = {},
}: {
  deps: Deps;
  input?: { now?: Date };
}): Promise<EvaluationReport> {
  const now = input.now ?? deps.now();
  const windowEnd = new Date(Math.floor(now.getTime() / STEP_MS) * STEP_MS);
  const rules = await deps.db
    .selectFrom('alert_rules')
    .selectAll()
    .where('enabled', '=', true)
    .where('kind', 'in', WINDOW_RULE_KINDS)
    .orderBy('id')
    .execute();
  const brands = new Map(
    (await deps.db.selectFrom('brands').select(['id', 'name']).execute()).map((b) => [b.id, b.name]),
  );
  const report: EvaluationReport = { windowEnd, rules: rules.length, recorded: 0, queued: 0, outcomes: [] };
  for (const rule of rules) {
    const kind = rule.kind as WindowRuleKind;
    const context: RuleContext = {
      deps,
      rule,
      brand: brands.get(rule.brand_id) ?? `brand ${rule.brand_id}`,
      now,
      windowEnd,
    };
    let outcome: RuleOutcome;
    try {
      outcome = { ruleId: rule.id, kind, ...(await evaluateRule(kind, context)) };
    } catch (error) {
      // One broken rule never stops the others.
      const message = error instanceof Error ? error.message : String(error);
      deps.logger.error({ ruleId: rule.id, kind, error: message }, 'window rule evaluation failed');
      outcome = { ruleId: rule.id, kind, status: 'error', recorded: 0, queued: 0, message };
    }
    report.outcomes.push(outcome);
    report.recorded += outcome.recorded;
    report.queued += outcome.queued;
  }
  if (report.queued > 0) deps.alertsQueued?.();
  return report;
}

type RuleContext = { deps: Deps; rule: AlertRuleRow; brand: string; now: Date; windowEnd: Date };
type Result = Omit<RuleOutcome, 'ruleId' | 'kind'>;

function evaluateRule(kind: WindowRuleKind, ctx: RuleContext): Promise<Result> {
  switch (kind) {
    case 'volume_spike':
    case 'volume_drop':
      return evaluateVolume(kind, ctx);
    case 'sentiment_drop':
      return evaluateSentiment(ctx);
    case 'emerging_theme':
      return evaluateEmergingThemes(ctx);
    case 'source_silence':
      return evaluateSourceSilence(ctx);
  }
}

/** Rules are validated on write; one edited by hand into something invalid is reported, not run. */
function invalid(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): Result {
  const issue = error.issues[0];
  const message = issue ? `conditions.${issue.path.map(String).join('.')}: ${issue.message}` : 'invalid';
  return { status: 'invalid', recorded: 0, queued: 0, message };
}

async function fire(
  ctx: RuleContext,
  firings: Firing[],
): Promise<Pick<Result, 'recorded' | 'queued' | 'held'>> {
  let recorded = 0;
  let queued = 0;
  const held: NonNullable<Result['held']> = {};
  for (const firing of firings) {
    // One transaction per firing: fireAlert serialises a rule's firings and de-duplicates them.
    const fired = await ctx.deps.db.transaction().execute((tx) => fireAlert(tx, firing, ctx.now));
    if (!fired) continue;
    recorded++;
    queued += fired.queued;
    if (fired.held) held[fired.held] = (held[fired.held] ?? 0) + 1;
  }
  return Object.keys(held).length > 0 ? { recorded, queued, held } : { recorded, queued };
}

// ---------------------------------------------------------------------------------------------
// Windows and their sums

type MentionFilters = { sourceKinds?: string[]; touchpoint?: string; theme?: string; language?: string };
type WindowSums = { volume: number; positive: number; negative: number; scored: number };
type RollupSelector = { dim: RollupDim; keys: string[] };

/** The rollup rows that hold exactly the filtered mentions, where one dimension can. */
function rollupSelector(f: MentionFilters): RollupSelector | undefined {
  const set = [f.sourceKinds, f.touchpoint, f.theme, f.language].filter((v) => v !== undefined).length;
  if (set === 0) return { dim: 'all', keys: [''] };
  if (set > 1) return undefined;
  if (f.sourceKinds) return { dim: 'source', keys: f.sourceKinds };
  if (f.touchpoint !== undefined) return { dim: 'touchpoint', keys: [f.touchpoint] };
  if (f.theme !== undefined) return { dim: 'theme', keys: [f.theme] };
  return { dim: 'language', keys: [f.language as string] };
}

function rawFacts(brandId: number, f: MentionFilters, from?: Date, to?: Date): RawBuilder<unknown> {
  return factsSql('all', { brandIds: [brandId], from, to, ...f });
}

/**
 * Sums per window of `windowMs` from `from`, `windows` of them, oldest first (empty ones as zeros):
 * from the hourly rollup when a selector is given (whole-hour windows on whole hours), else from
 * the raw mentions.
 */
async function windowSeries(
  db: Executor,
  q: {
    brandId: number;
    filters: MentionFilters;
    from: Date;
    windowMs: number;
    windows: number;
    rollup?: RollupSelector;
  },
): Promise<WindowSums[]> {
  const to = new Date(q.from.getTime() + q.windows * q.windowMs);
  const facts = q.rollup
    ? sql`select at, volume, positive, negative, scored from rollup_hourly
        where brand_id = ${q.brandId} and dim = ${q.rollup.dim} and key = any(${q.rollup.keys}::text[])
          and at >= ${q.from} and at < ${to}`
    : rawFacts(q.brandId, q.filters, q.from, to);
  const result = await sql<WindowSums & { i: number }>`
    select floor(extract(epoch from (at - ${q.from}::timestamptz)) * 1000 / ${q.windowMs}::float8)::int as i,
      coalesce(sum(volume), 0)::int as volume, coalesce(sum(positive), 0)::int as positive,
      coalesce(sum(negative), 0)::int as negative, coalesce(sum(scored), 0)::int as scored
    from (${facts}) f
    group by 1`.execute(db);
  const series = Array.from({ length: q.windows }, () => ({
    volume: 0,
    positive: 0,
    negative: 0,
    scored: 0,
  }));
  for (const row of result.rows) {
    const slot = series[row.i];
    if (slot)
      Object.assign(slot, {
        volume: row.volume,
        positive: row.positive,
        negative: row.negative,
        scored: row.scored,
      });
  }
  return series;
}

/**
 * When the brand's mentions (from these source kinds) begin: no window before it counts towards the
 * warm-up. Only the source kinds narrow it — a source added yesterday has no week of history — not
 * a theme, touchpoint or language, which were watched all along and simply had no mention.
 */
async function dataStart(
  db: Executor,
  brandId: number,
  sourceKinds: string[] | undefined,
): Promise<Date | null> {
  const selector = sourceKinds ? sql`dim = 'source' and key = any(${sourceKinds}::text[])` : sql`dim = 'all'`;
  const result = await sql<{ at: Date | null }>`select min(at) as at from rollup_hourly
    where brand_id = ${brandId} and ${selector} and volume > 0`.execute(db);
  const at = result.rows[0]?.at ?? null;
  return at === null ? null : new Date(at);
}

type Windows = {
  current: { from: Date; to: Date };
  baseline: { from: Date; to: Date; windows: number };
  windowMs: number;
  series: WindowSums[];
  now: WindowSums;
};

/**
 * The current window [end − w, end) from the raw mentions, and the baseline: the windows of the
 * baseline days before it that follow the start of the data (the warm-up counts them). A whole-hour
 * window's baseline ends on the hour at or before the current window's start and reads the hourly
 * rollup; any other ends where the current window starts.
 */
async function readWindows(
  ctx: RuleContext,
  c: { windowMinutes: number; baselineDays: number },
  filters: MentionFilters,
): Promise<Windows> {
  const db = ctx.deps.db;
  const brandId = ctx.rule.brand_id;
  const windowMs = c.windowMinutes * MINUTE_MS;
  const end = ctx.windowEnd.getTime();
  const start = end - windowMs;
  const rollup = windowMs % HOUR_MS === 0 ? rollupSelector(filters) : undefined;
  const baselineEnd = rollup ? Math.floor(start / HOUR_MS) * HOUR_MS : start;
  const first = await dataStart(db, brandId, filters.sourceKinds);
  const windows =
    first === null
      ? 0
      : Math.max(0, Math.min(baselineWindows(c), Math.ceil((baselineEnd - first.getTime()) / windowMs)));
  const from = new Date(baselineEnd - windows * windowMs);
  const series =
    windows === 0 ? [] : await windowSeries(db, { brandId, filters, from, windowMs, windows, rollup });
  const [now] = await windowSeries(db, {
    brandId,
    filters,
    from: new Date(start),
    windowMs,
    windows: 1,
  });
  return {
    current: { from: new Date(start), to: ctx.windowEnd },
    baseline: { from, to: new Date(baselineEnd), windows },
    windowMs,
    series,
    now: now as WindowSums,
  };
}

// ---------------------------------------------------------------------------------------------
// The explanation: what the window was about

type TopTheme = { theme: string; mentions: number; negative: number };
type TopSource = { id: number; kind: string; name: string; mentions: number };
type Example = {
  id: number;
  url: string | null;
  title: string | null;
  text: string;
  label: SentimentLabel | null;
  score: number | null;
  source: { kind: string; name: string };
  occurredAt: string;
};

/** The mentions of a window under a rule's filters (the same ones `factsSql` counts). */
function scope(brandId: number, from: Date, to: Date, f: MentionFilters): RawBuilder<unknown> {
  const conditions = [
    sql`mb.brand_id = ${brandId}`,
    sql`mb.occurred_at >= ${from}`,
    sql`mb.occurred_at < ${to}`,
    sql`m.duplicate_of is null`,
  ];
  if (f.sourceKinds) {
    conditions.push(sql`m.source_id in (select id from sources where kind = any(${f.sourceKinds}::text[]))`);
  }
  if (f.touchpoint !== undefined) conditions.push(sql`${f.touchpoint} = any(m.touchpoints)`);
  if (f.language !== undefined) conditions.push(sql`coalesce(m.language, '') = ${f.language}`);
  if (f.theme !== undefined) {
    conditions.push(
      sql`exists (select 1 from mention_themes ft where ft.mention_id = m.id and ft.theme = ${f.theme})`,
    );
  }
  return sql.join(conditions, sql` and `);
}

async function topThemes(db: Executor, where: RawBuilder<unknown>): Promise<TopTheme[]> {
  const result = await sql<TopTheme>`
    select mt.theme, count(*)::int as mentions,
      count(*) filter (where mt.sentiment_score < ${-ASPECT_BAND})::int as negative
    from mention_brands mb
    join mentions m on m.id = mb.mention_id
    join mention_themes mt on mt.mention_id = m.id
    where ${where}
    group by mt.theme
    order by mentions desc, mt.theme
    limit ${TOP}`.execute(db);
  return result.rows;
}

async function topSources(db: Executor, where: RawBuilder<unknown>): Promise<TopSource[]> {
  const result = await sql<TopSource>`
    select s.id, s.kind, s.name, count(*)::int as mentions
    from mention_brands mb
    join mentions m on m.id = mb.mention_id
    join sources s on s.id = m.source_id
    where ${where}
    group by s.id, s.kind, s.name
    order by mentions desc, s.id
    limit ${TOP}`.execute(db);
  return result.rows;
}

function snippet(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

async function examples(
  db: Executor,
  where: RawBuilder<unknown>,
  order: 'newest' | 'most_negative',
  theme?: string,
): Promise<Example[]> {
  const themed = theme
    ? sql`join mention_themes et on et.mention_id = m.id and et.theme = ${theme} and et.sentiment_score < ${-ASPECT_BAND}`
    : sql``;
  const orderBy =
    theme !== undefined
      ? sql`et.sentiment_score, mb.occurred_at desc, m.id desc`
      : order === 'most_negative'
        ? sql`(m.sentiment_label = 'negative') desc, m.sentiment_score nulls last, mb.occurred_at desc, m.id desc`
        : sql`mb.occurred_at desc, m.id desc`;
  const result = await sql<{
    id: string | number;
    url: string | null;
    title: string | null;
    text: string;
    sentiment_label: SentimentLabel | null;
    sentiment_score: number | null;
    kind: string;
    name: string;
    occurred_at: Date;
  }>`
    select m.id, m.url, m.title, left(m.text, 1000) as text, m.sentiment_label, m.sentiment_score,
      s.kind, s.name, mb.occurred_at
    from mention_brands mb
    join mentions m on m.id = mb.mention_id
    join sources s on s.id = m.source_id
    ${themed}
    where ${where}
    order by ${orderBy}
    limit ${EXAMPLES}`.execute(db);
  return result.rows.map((r) => ({
    id: Number(r.id),
    url: r.url,
    title: r.title,
    text: snippet(r.text),
    label: r.sentiment_label,
    score: r.sentiment_score === null ? null : round(r.sentiment_score),
    source: { kind: r.kind, name: r.name },
    occurredAt: new Date(r.occurred_at).toISOString(),
  }));
}

async function explain(
  ctx: RuleContext,
  w: Windows,
  filters: MentionFilters,
  order: 'newest' | 'most_negative',
): Promise<{ topThemes: TopTheme[]; topSources: TopSource[]; examples: Example[] }> {
  const where = scope(ctx.rule.brand_id, w.current.from, w.current.to, filters);
  const db = ctx.deps.db;
  return {
    topThemes: await topThemes(db, where),
    topSources: await topSources(db, where),
    examples: await examples(db, where, order),
  };
}

// ---------------------------------------------------------------------------------------------
// Wording

/** JSON-safe figures: 3 decimals, non-finite as null. */
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function figure(x: number): number | null {
  return Number.isFinite(x) ? round(x) : null;
}
function figures(v: object): Json {
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, typeof x === 'number' ? figure(x) : (x as Json)]),
  ) as Json;
}

/** "the last hour", "the last 15 minutes", "the last 2 hours". */
function lastWindow(minutes: number): string {
  if (minutes === 60) return 'the last hour';
  return minutes % 60 === 0 ? `the last ${minutes / 60} hours` : `the last ${minutes} minutes`;
}
/** "per hour", "per 15 minutes", "per 2 hours". */
function perWindow(minutes: number): string {
  if (minutes === 60) return 'per hour';
  return minutes % 60 === 0 ? `per ${minutes / 60} hours` : `per ${minutes} minutes`;
}
/** Counts as people read them: whole from 10 up, one decimal below. */
function count(x: number): string {
  return Math.abs(x) >= 10 ? String(Math.round(x)) : String(Math.round(x * 10) / 10);
}
function sigmas(z: number): string {
  return Number.isFinite(z) ? `${Math.abs(z).toFixed(1)}σ` : 'far';
}
function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}
function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
}
function describeFilters(f: MentionFilters): string {
  const parts = [
    f.sourceKinds ? `on ${f.sourceKinds.join(', ')}` : '',
    f.theme !== undefined ? `about “${f.theme}”` : '',
    f.touchpoint !== undefined ? `touchpoint ${f.touchpoint}` : '',
    f.language !== undefined ? `in ${f.language}` : '',
  ].filter(Boolean);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}
function filtersOf(c: MentionFilters): MentionFilters {
  const f: MentionFilters = {};
  if (c.sourceKinds) f.sourceKinds = c.sourceKinds;
  if (c.touchpoint !== undefined) f.touchpoint = c.touchpoint;
  if (c.theme !== undefined) f.theme = c.theme;
  if (c.language !== undefined) f.language = c.language;
  return f;
}
function windowDetails(w: Windows, c: { windowMinutes: number; baselineDays: number }): Json {
  return {
    window: { from: w.current.from.toISOString(), to: w.current.to.toISOString(), minutes: c.windowMinutes },
    baseline: {
      from: w.baseline.from.toISOString(),
      to: w.baseline.to.toISOString(),
      days: c.baselineDays,
      windows: w.baseline.windows,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Volume spikes and drops

async function evaluateVolume(kind: 'volume_spike' | 'volume_drop', ctx: RuleContext): Promise<Result> {
  const parsed = (kind === 'volume_spike' ? VolumeSpikeConditions : VolumeDropConditions).safeParse(
    ctx.rule.conditions,
  );
  if (!parsed.success) return invalid(parsed.error);
  const c = parsed.data;
  const filters = filtersOf(c);
  const w = await readWindows(ctx, c, filters);
  const verdict = volumeTest(
    w.now.volume,
    w.series.map((s) => s.volume),
    {
      direction: kind === 'volume_spike' ? 'up' : 'down',
      k: sensitivityK(c.sensitivity),
      minPoints: warmupPoints(c),
      minVolume: 'minVolume' in c ? c.minVolume : c.minBaselineVolume,
    },
  );
  if (verdict.status !== 'fire') return { status: verdict.status, recorded: 0, queued: 0 };
  const why = await explain(ctx, w, filters, 'newest');
  const firing = volumeFiring(kind, ctx, c, filters, verdict, w, why);
  return { status: 'fire', ...(await fire(ctx, [firing])) };
}

function volumeFiring(
  kind: 'volume_spike' | 'volume_drop',
  ctx: RuleContext,
  c: { windowMinutes: number; baselineDays: number },
  filters: MentionFilters,
  v: VolumeVerdict,
  w: Windows,
  why: Awaited<ReturnType<typeof explain>>,
): Firing {
  const what = kind === 'volume_spike' ? 'Volume spike' : 'Volume drop';
  const title = `${what} for ${ctx.brand}${describeFilters(filters)}`;
  const mentions = v.current === 1 ? 'mention' : 'mentions';
  const side = kind === 'volume_spike' ? 'above' : 'below';
  const summary =
    `${title}: ${v.current} ${mentions} in ${lastWindow(c.windowMinutes)}, ${sigmas(v.z)} ${side} ` +
    `the ${c.baselineDays}-day baseline of ${count(v.mean)} ± ${count(v.sd)}`;
  return {
    rule: ctx.rule,
    groupKey: kind,
    dedupeKey: `${kind}:${ctx.windowEnd.toISOString()}`,
    severity: ctx.rule.severity,
    title,
    summary,
    details: {
      kind,
      ...(windowDetails(w, c) as Record<string, Json>),
      filters: filters as Json,
      verdict: figures(v),
      ...(why as unknown as Record<string, Json>),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Sentiment drops

async function evaluateSentiment(ctx: RuleContext): Promise<Result> {
  const parsed = SentimentDropConditions.safeParse(ctx.rule.conditions);
  if (!parsed.success) return invalid(parsed.error);
  const c = parsed.data;
  const filters = filtersOf(c);
  const w = await readWindows(ctx, c, filters);
  const share = c.measure === 'negative_share';
  // A share is the mean of 1 (negative) / 0; net sentiment the mean of +1 / 0 / −1.
  const rate = (s: WindowSums) =>
    share
      ? { sum: s.negative, sumSq: s.negative, n: s.scored }
      : { sum: s.positive - s.negative, sumSq: s.positive + s.negative, n: s.scored };
  const verdict = rateTest(rate(w.now), w.series.map(rate), {
    direction: share ? 'up' : 'down',
    k: sensitivityK(c.sensitivity),
    minPoints: warmupPoints(c),
    minVolume: c.minVolume,
    minChange: c.minChange,
  });
  if (verdict.status !== 'fire') return { status: verdict.status, recorded: 0, queued: 0 };
  const why = await explain(ctx, w, filters, 'most_negative');
  return { status: 'fire', ...(await fire(ctx, [sentimentFiring(ctx, c, filters, verdict, w, why)])) };
}

function sentimentFiring(
  ctx: RuleContext,
  c: SentimentDropConditions,
  filters: MentionFilters,
  v: RateVerdict,
  w: Windows,
  why: Awaited<ReturnType<typeof explain>>,
): Firing {
  const title = `Sentiment drop for ${ctx.brand}${describeFilters(filters)}`;
  const share = c.measure === 'negative_share';
  const now = share ? `${percent(v.current)} negative` : `net sentiment ${signed(v.current)}`;
  const band = share
    ? `${percent(v.mean)} ± ${Math.round(v.sigma * 100)} pts`
    : `${signed(v.mean)} ± ${v.sigma.toFixed(2)}`;
  const summary =
    `${title}: ${now} in ${lastWindow(c.windowMinutes)} (${v.n} scored mentions), ${sigmas(v.z)} ` +
    `${share ? 'above' : 'below'} the ${c.baselineDays}-day baseline of ${band}`;
  return {
    rule: ctx.rule,
    groupKey: 'sentiment_drop',
    dedupeKey: `sentiment_drop:${ctx.windowEnd.toISOString()}`,
    severity: ctx.rule.severity,
    title,
    summary,
    details: {
      kind: 'sentiment_drop',
      measure: c.measure,
      ...(windowDetails(w, c) as Record<string, Json>),
      filters: filters as Json,
      verdict: figures(v),
      ...(why as unknown as Record<string, Json>),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Emerging negative themes

type ThemeCount = { theme: string; kind: string; n: number };

/** Negative (aspect) mentions per theme and source kind in [from, to). */
async function negativeThemeCounts(
  db: Executor,
  q: { brandId: number; from: Date; to: Date; sourceKinds?: string[]; themes?: string[] },
): Promise<ThemeCount[]> {
  const kinds = q.sourceKinds ? sql`and s.kind = any(${q.sourceKinds}::text[])` : sql``;
  const themes = q.themes ? sql`and mt.theme = any(${q.themes}::text[])` : sql``;
  const result = await sql<ThemeCount>`
    select mt.theme, s.kind, count(*)::int as n
    from mention_brands mb
    join mentions m on m.id = mb.mention_id
    join mention_themes mt on mt.mention_id = m.id
    join sources s on s.id = m.source_id
    where mb.brand_id = ${q.brandId} and mb.occurred_at >= ${q.from} and mb.occurred_at < ${q.to}
      and m.duplicate_of is null and mt.sentiment_score < ${-ASPECT_BAND} ${kinds} ${themes}
    group by mt.theme, s.kind`.execute(db);
  return result.rows;
}

function byTheme(rows: readonly ThemeCount[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const kinds = out.get(r.theme) ?? new Map<string, number>();
    kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + r.n);
    out.set(r.theme, kinds);
  }
  return out;
}

const total = (kinds: ReadonlyMap<string, number> | undefined) =>
  [...(kinds ?? new Map<string, number>()).values()].reduce((a, b) => a + b, 0);

type KindRise = { kind: string; current: number; rate: number; ratio: number; rising: boolean };

async function evaluateEmergingThemes(ctx: RuleContext): Promise<Result> {
  const parsed = EmergingThemeConditions.safeParse(ctx.rule.conditions);
  if (!parsed.success) return invalid(parsed.error);
  const c = parsed.data;
  const db = ctx.deps.db;
  const brandId = ctx.rule.brand_id;
  const windowMs = c.windowMinutes * MINUTE_MS;
  const to = ctx.windowEnd;
  const from = new Date(to.getTime() - windowMs);
  const filters: MentionFilters = c.sourceKinds ? { sourceKinds: c.sourceKinds } : {};
  const first = await dataStart(db, brandId, c.sourceKinds);
  const points =
    first === null
      ? 0
      : Math.max(0, Math.min(baselineWindows(c), Math.ceil((from.getTime() - first.getTime()) / windowMs)));
  const minPoints = warmupPoints(c);
  if (points < minPoints) return { status: 'warming_up', recorded: 0, queued: 0 };

  const current = byTheme(
    await negativeThemeCounts(db, { brandId, from, to, sourceKinds: c.sourceKinds, themes: c.themes }),
  );
  const candidates = [...current].filter(([, kinds]) => total(kinds) >= c.minCount).map(([theme]) => theme);
  if (candidates.length === 0) return { status: 'low_volume', recorded: 0, queued: 0 };
  const baselineFrom = new Date(from.getTime() - points * windowMs);
  const baseline = byTheme(
    await negativeThemeCounts(db, {
      brandId,
      from: baselineFrom,
      to: from,
      sourceKinds: c.sourceKinds,
      themes: candidates,
    }),
  );

  const rising: Array<{ theme: string; verdict: RiseVerdict; kinds: KindRise[] }> = [];
  for (const theme of candidates) {
    const now = current.get(theme);
    const before = baseline.get(theme);
    const verdict = riseTest(total(now), total(before), points, {
      minRatio: c.minRatio,
      minCount: c.minCount,
      minPoints,
    });
    if (verdict.status !== 'fire') continue;
    // Per source kind: where the theme rises (at least 2 mentions there, by the same ratio).
    const kinds = [...(now ?? new Map<string, number>())]
      .map(([kind, n]) => {
        const k = riseTest(n, before?.get(kind) ?? 0, points, {
          minRatio: c.minRatio,
          minCount: 2,
          minPoints,
        });
        return { kind, current: n, rate: k.rate, ratio: k.ratio, rising: k.status === 'fire' };
      })
      .sort((a, b) => b.current - a.current || a.kind.localeCompare(b.kind));
    if (kinds.filter((k) => k.rising).length < c.minSourceKinds) continue;
    rising.push({ theme, verdict, kinds });
  }
  if (rising.length === 0) return { status: 'quiet', recorded: 0, queued: 0 };
  rising.sort((a, b) => b.verdict.z - a.verdict.z || a.theme.localeCompare(b.theme));

  const firings: Firing[] = [];
  for (const r of rising.slice(0, MAX_THEMES_PER_RUN)) {
    const where = scope(brandId, from, to, filters);
    firings.push(
      themeFiring(ctx, c, r, {
        from,
        to,
        baselineFrom,
        points,
        topSources: await topSources(
          db,
          sql`${where} and exists (select 1 from mention_themes ft
          where ft.mention_id = m.id and ft.theme = ${r.theme} and ft.sentiment_score < ${-ASPECT_BAND})`,
        ),
        examples: await examples(db, where, 'most_negative', r.theme),
      }),
    );
  }
  return { status: 'fire', ...(await fire(ctx, firings)) };
}

function themeFiring(
  ctx: RuleContext,
  c: EmergingThemeConditions,
  r: { theme: string; verdict: RiseVerdict; kinds: KindRise[] },
  w: {
    from: Date;
    to: Date;
    baselineFrom: Date;
    points: number;
    topSources: TopSource[];
    examples: Example[];
  },
): Firing {
  const v = r.verdict;
  const up = r.kinds.filter((k) => k.rising);
  const where =
    up.length === 0
      ? ''
      : ` on ${up
          .map((k) => k.kind)
          .join(', ')
          .replace(/, ([^,]*)$/, ' and $1')}`;
  const title = `Emerging negative theme for ${ctx.brand}: “${r.theme}”`;
  const summary =
    `Negative “${r.theme}” mentions up ${v.ratio.toFixed(1)}×${where}: ${v.current} in ` +
    `${lastWindow(c.windowMinutes)} against ${count(v.rate)} ${perWindow(c.windowMinutes)} over ` +
    `${c.baselineDays} days`;
  return {
    rule: ctx.rule,
    // One incident per theme, whichever sources it shows up on.
    groupKey: `theme:${r.theme}`,
    dedupeKey: `emerging_theme:${r.theme}:${ctx.windowEnd.toISOString()}`,
    severity: ctx.rule.severity,
    title,
    summary,
    details: {
      kind: 'emerging_theme',
      theme: r.theme,
      window: { from: w.from.toISOString(), to: w.to.toISOString(), minutes: c.windowMinutes },
      baseline: {
        from: w.baselineFrom.toISOString(),
        to: w.from.toISOString(),
        days: c.baselineDays,
        windows: w.points,
      },
      filters: c.sourceKinds ? { sourceKinds: c.sourceKinds } : {},
      verdict: figures(v),
      bySourceKind: r.kinds.map((k) => figures(k)),
      topSources: w.topSources as unknown as Json,
      examples: w.examples as unknown as Json,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Silent sources

/**
 * A source watched by the rule whose last `polls` successful polls brought no new mention
 * (`sources.empty_polls`, kept by the poller). One event per silence: the dedupe key names the
 * source's newest mention, which only changes when the source produces again — so the rule re-arms
 * then, and a later silence alerts again (joining the source's incident while it is open, opening a
 * new one once it is resolved).
 */
async function evaluateSourceSilence(ctx: RuleContext): Promise<Result> {
  const parsed = SourceSilenceConditions.safeParse(ctx.rule.conditions);
  if (!parsed.success) return invalid(parsed.error);
  const c = parsed.data;
  const brandId = ctx.rule.brand_id;
  const since = new Date(ctx.now.getTime() - c.activeWithinDays * 86_400_000);
  const watched = c.sourceIds
    ? sql`s.id = any(${c.sourceIds}::int[])`
    : sql`(${brandId}::int = any(s.assign_brand_ids) or exists (select 1 from mention_brands mb
        join mentions m on m.id = mb.mention_id
        where mb.brand_id = ${brandId} and mb.occurred_at >= ${since} and m.source_id = s.id))`;
  const result = await sql<{
    id: number;
    name: string;
    kind: string;
    empty_polls: number;
    last_success_at: Date | null;
    last_mention_id: string | number | null;
    last_mention_at: Date | null;
  }>`
    select s.id, s.name, s.kind, s.empty_polls, s.last_success_at, last.id as last_mention_id,
      last.fetched_at as last_mention_at
    from sources s
    left join lateral (select m.id, m.fetched_at from mentions m where m.source_id = s.id
      order by m.id desc limit 1) last on true
    where s.enabled and s.empty_polls >= ${c.polls} and ${watched}
    order by s.id`.execute(ctx.deps.db);
  if (result.rows.length === 0) return { status: 'quiet', recorded: 0, queued: 0 };
  const firings = result.rows.map((s): Firing => {
    const last = s.last_mention_at === null ? null : new Date(s.last_mention_at);
    const title = `Source silent: ${s.name}`;
    return {
      rule: ctx.rule,
      groupKey: `source:${s.id}`,
      dedupeKey: `source_silence:${s.id}:${s.last_mention_id ?? 'none'}`,
      severity: ctx.rule.severity,
      title,
      summary:
        `${s.name} (${s.kind}) brought nothing new in ${s.empty_polls} successful polls in a row` +
        (last ? `; its last new mention came ${last.toISOString()}` : '; it has produced no mention yet'),
      details: {
        kind: 'source_silence',
        brand: { id: brandId, name: ctx.brand },
        source: { id: s.id, name: s.name, kind: s.kind },
        emptyPolls: s.empty_polls,
        polls: c.polls,
        lastSuccessAt: s.last_success_at === null ? null : new Date(s.last_success_at).toISOString(),
        lastMentionAt: last?.toISOString() ?? null,
      },
    };
  });
  return { status: 'fire', ...(await fire(ctx, firings)) };
}
