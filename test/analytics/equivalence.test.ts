/**
 * Every rollup-backed analytics answer against a plain SQL aggregate over the raw mentions
 * (./reference.ts), on randomised data: brands with a competitor panel, sources of several kinds,
 * mentions clustered around DST changes and local midnights, syndicated copies, label corrections
 * and a deleted source. Runs on PGlite, and on PostgreSQL with TEST_DATABASE_URL.
 *
 * Knobs: EQUIVALENCE_RUNS=200 runs each property that many times; EQUIVALENCE_SEED and
 * EQUIVALENCE_PATH (from a failure report) replay a failure; EQUIVALENCE_SHRINK=1 shrinks it to a
 * smaller counterexample (slow: every step builds a database); EQUIVALENCE_COVERAGE=1 prints how
 * many checks had data and took each read path.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { correctLabel } from '../../db/queries/mentions.ts';
import { type App, createApp } from '../../src/app.ts';
import { createBrand } from '../../src/catalog/brands.ts';
import { createSource, deleteSource } from '../../src/catalog/sources.ts';
import type { Deps } from '../../src/deps.ts';
import type { SentimentLabel } from '../../src/types.ts';
import { call, expectStatus } from '../helpers/app.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { type SeedMention, seedMentions } from '../helpers/mentions.ts';
import {
  type BreakdownDim,
  type RefFilters,
  refBreakdown,
  refCompare,
  refCompareThemes,
  refEmergingThemes,
  refLocalMidnight,
  refTopThemes,
  refTrend,
  type Unit,
} from './reference.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const ZONES = [
  'UTC',
  'Europe/London',
  'America/New_York',
  'Australia/Sydney',
  'America/Santiago',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
] as const;
const UNITS = ['hour', 'day', 'week', 'month'] as const;
const LABELS = ['positive', 'neutral', 'negative', 'mixed'] as const;
const KINDS = ['rss', 'push', 'hackernews'] as const;
const LANGUAGES = ['en', 'fr', 'de'] as const;
const TOUCHPOINTS = ['price', 'delivery', 'service', 'product'] as const;
const THEMES = ['battery', 'delivery', 'price', 'support', 'camera'] as const;

/** DST changes and local midnights around them (UTC): where bucket edges are easiest to get wrong. */
const ANCHORS = [
  '2026-03-08T07:00:00Z', // New York springs forward
  '2026-03-08T05:00:00Z', // New York midnight
  '2026-03-28T18:30:00Z', // Kolkata midnight
  '2026-03-29T00:00:00Z', // London (and UTC) midnight, an hour before London springs forward
  '2026-03-29T01:00:00Z', // London springs forward
  '2026-03-29T23:00:00Z', // London midnight after the change
  '2026-04-04T13:00:00Z', // Lord Howe midnight (+11)
  '2026-04-04T15:00:00Z', // Lord Howe falls back 30 minutes
  '2026-04-04T16:00:00Z', // Sydney falls back
  '2026-04-05T03:00:00Z', // Santiago falls back (23:00 repeats)
  '2026-09-06T04:00:00Z', // Santiago springs forward at midnight (no 00:00)
  '2026-10-03T13:30:00Z', // Lord Howe midnight (+10:30)
  '2026-10-03T15:30:00Z', // Lord Howe springs forward 30 minutes
  '2026-10-03T16:00:00Z', // Sydney springs forward
  '2026-10-24T23:00:00Z', // London midnight before it falls back
  '2026-10-25T01:00:00Z', // London falls back
  '2026-10-26T00:00:00Z', // London midnight after the change
  '2026-11-01T00:00:00Z', // a month starts (UTC)
  '2026-11-01T04:00:00Z', // New York midnight
  '2026-11-01T06:00:00Z', // New York falls back
].map((s) => Date.parse(s));

// ---------------------------------------------------------------------------------------------
// Known API bugs (see the dedicated tests below). The properties steer clear of them so that they
// keep looking for other discrepancies; set a flag to false once its bug is fixed.

/**
 * Hour alignment is local wall-clock arithmetic (`alignRange`: `date_trunc('hour', local)`, `lf - n
 * hours`), and so are the raw path's hourly buckets (`bucketSums`: `generate_series` over local
 * timestamps), while the rollups' hourly buckets are real (UTC) hours. Around a DST change: `from` in
 * a repeated hour is moved to the later pass (New York, 2026-11-01 05:25Z..05:55Z becomes
 * [06:00Z, 07:00Z) and loses its mentions), the previous period of N hours spans N wall-clock hours
 * (N ± 1 real hours), and the raw path (half-hour zones, two filters) merges a fall-back day's repeated
 * hour into one bucket (24 buckets where the rollups give 25).
 */
const HOURLY_WALL_CLOCK_BUG = false;
/**
 * Where local midnight does not exist (America/Santiago, 2026-09-06: 23:59 -04 is followed by
 * 01:00 -03), `startOfLocalDate` reads the date as the instant before the gap (03:00Z, 23:00 the
 * day before), and a day series whose first bucket is that day is generated from 01:00 local, so no
 * bucket matches the sums (labelled 00:00) and every bucket comes out empty.
 */
const MISSING_MIDNIGHT_BUG = false;
/**
 * Stances are stored as `real` and compared in float arithmetic: head to head (SQL, float4) counts a
 * stance exactly 0.1 above the other as a win for 0.3 vs 0.2 and a tie for 0.4 vs 0.3, and the
 * comparison list (`winnerOf`, float64) the other way round. The scores generated here avoid exact
 * 0.1 differences (and ±0.15 aspect scores) while this stands.
 */
const VERSUS_BOUNDARY_BUG = false;

// ---------------------------------------------------------------------------------------------
// Arbitraries

type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

/**
 * Scores on a 0.05 grid (stance differences of exactly 0.1, aspect scores of exactly ±0.15), or on
 * a 0.07 grid (neither) while VERSUS_BOUNDARY_BUG stands.
 */
const score = VERSUS_BOUNDARY_BUG
  ? fc.option(
      fc.integer({ min: -14, max: 14 }).map((k) => Math.round(k * 7) / 100),
      { nil: null },
    )
  : fc.option(
      fc.integer({ min: -20, max: 20 }).map((k) => Math.round(k * 5) / 100),
      { nil: null },
    );

/**
 * An instant near one of a scenario's anchors (an index into them, taken modulo their count): within
 * 90 minutes half of the time, else within two days.
 */
const nearAnchor = fc.record({
  anchor: fc.nat(),
  minutes: fc.oneof(fc.integer({ min: -90, max: 90 }), fc.integer({ min: -2880, max: 2880 })),
  seconds: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 59 })),
});
type NearAnchor = ValueOf<typeof nearAnchor>;

function instantOf(near: NearAnchor, anchors: readonly number[]): Date {
  const anchor = ANCHORS[anchors[near.anchor % anchors.length]!]!;
  return new Date(anchor + near.minutes * MINUTE + near.seconds * 1000);
}

const mention = fc.record({
  at: nearAnchor,
  label: fc.constantFrom<SentimentLabel | null>(...LABELS, null),
  score,
  rating: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
  language: fc.constantFrom(...LANGUAGES, null),
  touchpoints: fc.subarray([...TOUCHPOINTS]),
  themes: fc.uniqueArray(fc.record({ theme: fc.constantFrom(...THEMES), score }), {
    selector: (t) => t.theme,
    maxLength: 3,
  }),
  brands: fc.uniqueArray(fc.record({ brand: fc.nat(3), stance: score }), {
    selector: (b) => b.brand,
    minLength: 1,
    maxLength: 3,
  }),
  source: fc.nat(3),
  copy: fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: fc.nat(), weight: 1 }),
});

const operation = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('correct' as const),
      mention: fc.nat(),
      label: fc.constantFrom(...LABELS),
      via: fc.constantFrom('api' as const, 'direct' as const),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('deleteSource' as const), source: fc.nat() }), weight: 1 },
);

const scenario = fc.record({
  /** Indexes into ANCHORS: the data of a scenario gathers around one to three of them. */
  anchors: fc.uniqueArray(fc.nat(ANCHORS.length - 1), { minLength: 1, maxLength: 3 }),
  brandCount: fc.integer({ min: 3, max: 4 }),
  kinds: fc.shuffledSubarray([...KINDS], { minLength: 2 }),
  secondRss: fc.boolean(),
  mentions: fc.array(mention, { minLength: 20, maxLength: 120 }),
  operations: fc.array(operation, { maxLength: 6 }),
});
type Scenario = ValueOf<typeof scenario>;

const FILTER_NAMES = ['source', 'touchpoint', 'theme', 'language'] as const;
const filtersOf = (names: readonly (typeof FILTER_NAMES)[number][]) =>
  fc
    .record({
      names: fc.oneof(
        fc.constant<(typeof FILTER_NAMES)[number][]>([]),
        fc.shuffledSubarray([...names], { minLength: 1, maxLength: 2 }),
      ),
      source: fc.constantFrom(...KINDS),
      touchpoint: fc.constantFrom(...TOUCHPOINTS),
      theme: fc.constantFrom(...THEMES),
      language: fc.constantFrom(...LANGUAGES),
    })
    .map((f): RefFilters => Object.fromEntries(f.names.map((name) => [name, f[name]])));

const OFFSETS = ['Z', '+05:30', '-03:00', '+01:00', '+10:30'] as const;

/** Span of a request's range, per interval: [min, max] minutes for instants, days for dates. */
const SPANS: Record<Unit, { minutes: [number, number]; days: [number, number] }> = {
  hour: { minutes: [30, 72 * 60], days: [1, 3] },
  day: { minutes: [60, 21 * 1440], days: [1, 21] },
  week: { minutes: [1440, 70 * 1440], days: [7, 70] },
  month: { minutes: [7 * 1440, 120 * 1440], days: [28, 120] },
};

const range = (unit: fc.Arbitrary<Unit>) =>
  fc.record({
    unit,
    timeZone: fc.constantFrom(...ZONES),
    dates: fc.boolean(),
    /** From near an anchor; for dates, that instant's UTC date, moved by `dayShift`. */
    start: nearAnchor,
    dayShift: fc.integer({ min: -2, max: 1 }),
    length: fc.double({ min: 0, max: 1, noNaN: true }),
    fromOffset: fc.constantFrom(...OFFSETS),
    toOffset: fc.constantFrom(...OFFSETS),
  });
type RangeSpec = ValueOf<ReturnType<typeof range>>;

const trendRequest = fc.record({
  brand: fc.nat(3),
  range: range(fc.constantFrom(...UNITS)),
  filters: filtersOf(FILTER_NAMES),
});

// ---------------------------------------------------------------------------------------------
// Helpers

function withOffset(at: Date, offset: string): string {
  const minutes =
    offset === 'Z'
      ? 0
      : (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4)));
  return `${new Date(at.getTime() + minutes * MINUTE).toISOString().slice(0, 19)}${offset}`;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

type Resolved = { query: Record<string, string>; from: Date; to: Date; unit: Unit; timeZone: string };

/** A request's from/to as query parameters, and the instants they stand for (by the reference). */
async function resolve(
  handle: DbHandle,
  spec: RangeSpec,
  anchors: readonly number[],
  unitParam = true,
): Promise<Resolved> {
  const span = SPANS[spec.unit];
  const pick = ([min, max]: [number, number]) => min + Math.floor(spec.length * (max - min + 1 - 1e-9));
  const query: Record<string, string> = { tz: spec.timeZone };
  if (unitParam) query.interval = spec.unit;
  if (spec.dates) {
    const from = addDays(instantOf(spec.start, anchors).toISOString().slice(0, 10), spec.dayShift);
    const to = addDays(from, pick(span.days));
    return {
      query: { ...query, from, to },
      from: await refLocalMidnight(handle.db, from, spec.timeZone),
      to: await refLocalMidnight(handle.db, to, spec.timeZone),
      unit: spec.unit,
      timeZone: spec.timeZone,
    };
  }
  const from = instantOf(spec.start, anchors);
  const to = new Date(from.getTime() + pick(span.minutes) * MINUTE);
  return {
    query: { ...query, from: withOffset(from, spec.fromOffset), to: withOffset(to, spec.toOffset) },
    from,
    to,
    unit: spec.unit,
    timeZone: spec.timeZone,
  };
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in minutes (from Intl, not from the code under test). */
function offsetMinutes(at: number, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormats.set(timeZone, format);
  }
  const name = format.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

/** Whether the range touches a known bug (see the flags above). */
function hitsKnownBug(r: Resolved, unit: Unit = r.unit): boolean {
  if (MISSING_MIDNIGHT_BUG && r.timeZone === 'America/Santiago') {
    // The date itself, or a day series starting on it.
    if (r.query.from === '2026-09-06' || r.query.to === '2026-09-06') return true;
    const skipped = { from: Date.parse('2026-09-06T04:00:00Z'), to: Date.parse('2026-09-07T03:00:00Z') };
    if (unit === 'day' && r.from.getTime() >= skipped.from && r.from.getTime() < skipped.to) return true;
  }
  if ((HOURLY_WALL_CLOCK_BUG || r.timeZone === 'Australia/Lord_Howe') && unit === 'hour') {
    // By design hour buckets are elapsed hours from the range's start; across Lord Howe's 30-minute
    // DST shift a local clock hour is not one, so the reference's per-offset hours differ there.
    // The range, its previous period and a margin: no DST change in the zone.
    const span = r.to.getTime() - r.from.getTime();
    const before = offsetMinutes(r.from.getTime() - span - 2 * DAY, r.timeZone);
    return before !== offsetMinutes(r.to.getTime() + DAY, r.timeZone);
  }
  return false;
}

function path(base: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  return `${base}?${params}`;
}

const TOLERANCE = 1e-4 + 1e-9;

/** Differences between an API answer and the reference, as `path: api ≠ reference` lines. */
function differences(api: unknown, ref: unknown, at = '', out: string[] = []): string[] {
  const tolerance = at.includes('change') ? 2 * TOLERANCE : TOLERANCE;
  if (typeof ref === 'number' && typeof api === 'number') {
    if (Math.abs(api - ref) > tolerance) out.push(`${at}: ${api} ≠ ${ref}`);
  } else if (Array.isArray(ref)) {
    if (!Array.isArray(api)) out.push(`${at}: ${JSON.stringify(api)} ≠ an array of ${ref.length}`);
    else {
      if (api.length !== ref.length) out.push(`${at}.length: ${api.length} ≠ ${ref.length}`);
      for (let i = 0; i < Math.min(api.length, ref.length); i++)
        differences(api[i], ref[i], `${at}[${i}]`, out);
    }
  } else if (ref !== null && typeof ref === 'object') {
    if (api === null || typeof api !== 'object') out.push(`${at}: ${JSON.stringify(api)} ≠ an object`);
    else {
      const keys = new Set([...Object.keys(ref), ...Object.keys(api)]);
      for (const key of keys) {
        differences(
          (api as Record<string, unknown>)[key],
          (ref as Record<string, unknown>)[key],
          `${at}.${key}`,
          out,
        );
      }
    }
  } else if (api !== ref) {
    out.push(`${at}: ${JSON.stringify(api)} ≠ ${JSON.stringify(ref)}`);
  }
  return out;
}

/** Fails with every difference listed, and the request that showed them. */
function expectSame(request: string, api: unknown, ref: unknown): void {
  const found = differences(api, ref);
  if (found.length > 0) {
    throw new Error(
      `GET ${request}: the API differs from the SQL reference over the raw mentions in ${found.length} place(s) (api ≠ reference):\n  ${found.slice(0, 30).join('\n  ')}`,
    );
  }
}

const HALF_HOUR_ZONES = new Set<string>(['Asia/Kolkata', 'Australia/Lord_Howe']);

/**
 * What a property's checks covered, so that a generator drifting into empty data or into one read
 * path fails loudly instead of passing vacuously.
 */
class Coverage {
  checked = 0;
  withData = 0;
  raw = 0;
  rollups = 0;

  /** `raw`: the API reads the raw mentions (a half-hour zone, or filters the rollups cannot take). */
  note(hasData: boolean, raw: boolean): void {
    this.checked++;
    if (hasData) this.withData++;
    if (raw) this.raw++;
    else this.rollups++;
  }

  expectMeaningful(): void {
    const summary = JSON.stringify(this);
    if (process.env.EQUIVALENCE_COVERAGE) console.log(summary);
    expect(this.withData, `no check with data: ${summary}`).toBeGreaterThan(0);
    if (this.checked < 20) return; // too few to expect both paths (EQUIVALENCE_RUNS set low)
    expect(this.raw, `no check on the raw path: ${summary}`).toBeGreaterThan(0);
    expect(this.rollups, `no check on the rollups: ${summary}`).toBeGreaterThan(0);
  }
}

function pickFields<T extends Record<string, unknown>>(body: T, fields: readonly string[]): Partial<T> {
  return Object.fromEntries(fields.map((f) => [f, body[f]])) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------

describe('analytics answers equal plain SQL over the raw mentions', () => {
  let handle: DbHandle;
  let deps: Deps;
  let app: App;

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db);
    app = createApp(deps);
  });
  afterAll(() => handle.close());

  type World = {
    /** The own brand first (its competitors are every other brand), then the others by id. */
    brands: number[];
    sources: Array<{ id: number; kind: string }>;
    mentionIds: number[];
  };

  /** Writes a scenario's brands, sources and mentions, then applies its corrections and deletions. */
  async function build(s: Scenario): Promise<World> {
    await resetDb(handle.db);
    const others: number[] = [];
    for (let i = 1; i < s.brandCount; i++) {
      others.push((await createBrand({ deps, input: { name: `Rival ${i}`, kind: 'competitor' } })).id);
    }
    const own = (await createBrand({ deps, input: { name: 'Acme', competitors: others } })).id;
    const brands = [own, ...others];

    const kinds = s.secondRss ? [...s.kinds, 'rss'] : s.kinds;
    const sources: World['sources'] = [];
    for (const [i, kind] of kinds.entries()) {
      const options =
        kind === 'rss'
          ? { url: `https://example.com/${i}.xml` }
          : kind === 'hackernews'
            ? { query: 'acme' }
            : {};
      const created = await createSource({ deps, input: { name: `source ${i}`, kind, options } });
      sources.push({ id: created.id, kind });
    }

    const originals: number[] = [];
    const rows: SeedMention[] = s.mentions.map((m, i) => {
      let copyOf: number | undefined;
      if (m.copy !== null && originals.length > 0) copyOf = originals[m.copy % originals.length];
      else originals.push(i);
      return {
        at: instantOf(m.at, s.anchors),
        label: m.label,
        score: m.score,
        rating: m.rating,
        language: m.language,
        touchpoints: m.touchpoints,
        themes: m.themes,
        brands: m.brands.map((b) => ({ id: brands[b.brand % brands.length]!, stance: b.stance })),
        sourceId: sources[m.source % sources.length]!.id,
        copyOf,
      };
    });
    // Brands are picked modulo their count: keep one match per brand.
    for (const row of rows) {
      const seen = new Set<number>();
      row.brands = row.brands.filter((b) => {
        const id = typeof b === 'number' ? b : b.id;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    }
    const mentionIds = await seedMentions(handle.db, rows);

    const deleted = new Set<number>();
    for (const op of s.operations) {
      if (op.kind === 'correct') {
        const id = mentionIds[op.mention % mentionIds.length]!;
        if (op.via === 'api') {
          const res = await call(app, 'PATCH', `/api/mentions/${id}`, { label: op.label });
          expect([200, 404], res.text).toContain(res.status);
        } else {
          await handle.db
            .transaction()
            .execute((tx) =>
              correctLabel(tx, { mentionId: id, label: op.label as SentimentLabel, note: null }),
            );
        }
      } else {
        const source = sources[op.source % sources.length]!;
        if (deleted.has(source.id)) continue;
        deleted.add(source.id);
        await deleteSource({ deps, input: { id: source.id } });
      }
    }
    return { brands, sources, mentionIds };
  }

  /** fast-check settings: a few runs each (every run builds a database), no shrinking unless asked. */
  const options = (runs: number): fc.Parameters<unknown> => ({
    numRuns: Number(process.env.EQUIVALENCE_RUNS) || runs,
    endOnFailure: process.env.EQUIVALENCE_SHRINK !== '1',
    ...(process.env.EQUIVALENCE_SEED ? { seed: Number(process.env.EQUIVALENCE_SEED) } : {}),
    ...(process.env.EQUIVALENCE_PATH ? { path: process.env.EQUIVALENCE_PATH } : {}),
  });

  it('trends: every bucket, the totals, the previous period and the widened range', async () => {
    const coverage = new Coverage();
    await fc.assert(
      fc.asyncProperty(
        scenario,
        fc.array(trendRequest, { minLength: 3, maxLength: 5 }),
        async (s, requests) => {
          const world = await build(s);
          for (const request of requests) {
            const r = await resolve(handle, request.range, s.anchors);
            if (hitsKnownBug(r)) continue;
            const brandId = world.brands[request.brand % world.brands.length]!;
            const url = path(`/api/brands/${brandId}/trends`, { ...r.query, ...request.filters });
            const res = await call(app, 'GET', url);
            expectStatus(res, 200);
            const ref = await refTrend(handle.db, { brandId, ...r, filters: request.filters });
            expectSame(
              url,
              pickFields(res.body, ['from', 'to', 'buckets', 'totals', 'previous', 'change']),
              ref,
            );
            coverage.note(
              ref.totals.volume > 0,
              HALF_HOUR_ZONES.has(r.timeZone) || Object.keys(request.filters).length > 1,
            );
          }
        },
      ),
      options(20),
    );
    coverage.expectMeaningful();
  }, 600_000);

  it('compare: shares of voice per bucket and in total, per-brand figures, head to head', async () => {
    const coverage = new Coverage();
    await fc.assert(
      fc.asyncProperty(
        scenario,
        fc.array(trendRequest, { minLength: 2, maxLength: 3 }),
        async (s, requests) => {
          const world = await build(s);
          for (const [i, request] of requests.entries()) {
            const r = await resolve(handle, request.range, s.anchors);
            if (hitsKnownBug(r)) continue;
            // Mostly the own brand (its panel is every brand); sometimes a brand without a panel.
            const brandId = i === 0 ? world.brands[0]! : world.brands[request.brand % world.brands.length]!;
            const panel = brandId === world.brands[0] ? [...world.brands] : [brandId];
            const url = path(`/api/brands/${brandId}/compare`, { ...r.query, ...request.filters });
            const res = await call(app, 'GET', url);
            expectStatus(res, 200);
            expect(res.body.panel.map((b: { id: number }) => b.id)).toEqual([
              panel[0],
              ...panel.slice(1).sort((a, b) => a - b),
            ]);
            const ref = await refCompare(handle.db, {
              brandId,
              panel: res.body.panel.map((b: { id: number }) => b.id),
              ...r,
              filters: request.filters,
            });
            expectSame(
              url,
              pickFields(res.body, ['from', 'to', 'buckets', 'totals', 'headToHead', 'previous']),
              ref,
            );
            coverage.note(
              ref.headToHead.length > 0,
              HALF_HOUR_ZONES.has(r.timeZone) || Object.keys(request.filters).length > 0,
            );
          }
        },
      ),
      options(15),
    );
    coverage.expectMeaningful();
  }, 600_000);

  const breakdownRequest = fc.record({
    brand: fc.nat(3),
    by: fc.constantFrom<BreakdownDim>('source', 'touchpoint', 'language'),
    range: range(fc.constantFrom<Unit>('hour', 'day', 'week')),
    filters: filtersOf(FILTER_NAMES),
  });

  it('breakdown by source, touchpoint and language: rows per key and the previous period', async () => {
    const coverage = new Coverage();
    await fc.assert(
      fc.asyncProperty(
        scenario,
        fc.array(breakdownRequest, { minLength: 3, maxLength: 3 }),
        async (s, requests) => {
          const world = await build(s);
          for (const request of requests) {
            const r = await resolve(handle, request.range, s.anchors, false);
            if (hitsKnownBug(r, 'hour')) continue;
            const brandId = world.brands[request.brand % world.brands.length]!;
            const url = path(`/api/brands/${brandId}/breakdown`, {
              ...r.query,
              by: request.by,
              ...request.filters,
            });
            const res = await call(app, 'GET', url);
            expectStatus(res, 200);
            const ref = await refBreakdown(handle.db, {
              brandId,
              by: request.by,
              ...r,
              filters: request.filters,
            });
            expectSame(url, pickFields(res.body, ['from', 'to', 'previous', 'rows']), ref);
            coverage.note(
              ref.rows.length > 0,
              HALF_HOUR_ZONES.has(r.timeZone) || Object.keys(request.filters).length > 0,
            );
          }
        },
      ),
      options(15),
    );
    coverage.expectMeaningful();
  }, 600_000);

  const themesRequest = fc.record({
    brand: fc.nat(3),
    range: range(fc.constantFrom<Unit>('day', 'week')),
    filters: filtersOf(['source', 'touchpoint', 'language']),
    limit: fc.integer({ min: 1, max: 20 }),
    minCount: fc.integer({ min: 1, max: 3 }),
    minRatio: fc.constantFrom(1, 1.5, 2, 3),
  });

  it('themes, emerging themes and panel themes: counts, aspect figures, previous counts', async () => {
    const coverage = new Coverage();
    await fc.assert(
      fc.asyncProperty(
        scenario,
        fc.array(themesRequest, { minLength: 2, maxLength: 2 }),
        async (s, requests) => {
          const world = await build(s);
          for (const request of requests) {
            const r = await resolve(handle, request.range, s.anchors, false);
            if (hitsKnownBug(r, 'hour')) continue;
            const brandId = world.brands[request.brand % world.brands.length]!;
            const q = { ...r, filters: request.filters };

            const top = path(`/api/brands/${brandId}/themes`, {
              ...r.query,
              ...request.filters,
              limit: String(request.limit),
            });
            const topRes = await call(app, 'GET', top);
            expectStatus(topRes, 200);
            const topRef = await refTopThemes(handle.db, { brandId, ...q, limit: request.limit });
            expectSame(top, pickFields(topRes.body, ['from', 'to', 'previous', 'themes']), topRef);

            const emerging = path(`/api/brands/${brandId}/themes/emerging`, {
              ...r.query,
              ...request.filters,
              minCount: String(request.minCount),
              minRatio: String(request.minRatio),
            });
            const emergingRes = await call(app, 'GET', emerging);
            expectStatus(emergingRes, 200);
            const emergingRef = await refEmergingThemes(handle.db, {
              brandId,
              ...q,
              limit: 10,
              minCount: request.minCount,
              minRatio: request.minRatio,
            });
            expectSame(
              emerging,
              pickFields(emergingRes.body, ['from', 'to', 'previous', 'themes']),
              emergingRef,
            );

            const own = world.brands[0]!;
            const panel = path(`/api/brands/${own}/compare/themes`, {
              ...r.query,
              ...request.filters,
              limit: String(request.limit),
            });
            const panelRes = await call(app, 'GET', panel);
            expectStatus(panelRes, 200);
            const panelRef = await refCompareThemes(handle.db, {
              panel: [own, ...world.brands.slice(1).sort((a, b) => a - b)],
              ...q,
              limit: request.limit,
            });
            expectSame(panel, pickFields(panelRes.body, ['from', 'to', 'themes']), panelRef);
            coverage.note(
              topRef.themes.length > 0,
              HALF_HOUR_ZONES.has(r.timeZone) || Object.keys(request.filters).length > 0,
            );
          }
        },
      ),
      options(15),
    );
    coverage.expectMeaningful();
  }, 600_000);

  // -------------------------------------------------------------------------------------------
  // Examples

  /** An own brand with a competitor, one source, and these mentions of the own brand. */
  async function simpleWorld(mentions: Array<Omit<SeedMention, 'brands' | 'sourceId'>>) {
    await resetDb(handle.db);
    const rival = (await createBrand({ deps, input: { name: 'Globex', kind: 'competitor' } })).id;
    const acme = (await createBrand({ deps, input: { name: 'Acme', competitors: [rival] } })).id;
    const sourceId = (
      await createSource({
        deps,
        input: { name: 'feed', kind: 'rss', options: { url: 'https://example.com/f' } },
      })
    ).id;
    const ids = await seedMentions(
      handle.db,
      mentions.map((m) => ({ ...m, sourceId, brands: [acme] })),
    );
    return { acme, rival, sourceId, ids };
  }

  async function trend(brandId: number, query: Record<string, string>) {
    const url = path(`/api/brands/${brandId}/trends`, query);
    const res = await call(app, 'GET', url);
    expectStatus(res, 200);
    return res.body;
  }

  const starts = (body: { buckets: Array<{ start: string }> }) => body.buckets.map((b) => b.start);
  const volumes = (body: { buckets: Array<{ volume: number }> }) => body.buckets.map((b) => b.volume);
  const hoursFrom = (first: string, count: number) =>
    Array.from({ length: count }, (_, i) => new Date(Date.parse(first) + i * 3_600_000).toISOString());

  it('a London DST day is one day bucket of 23 (March) or 25 (October) hours', async () => {
    const { acme } = await simpleWorld([
      { at: '2026-03-29T00:30:00Z', label: 'positive', score: 0.5 }, // 00:30 GMT
      { at: '2026-03-29T01:30:00Z', label: 'negative', score: -0.5 }, // 02:30 BST
      { at: '2026-03-29T22:59:00Z', label: 'neutral', score: 0 }, // 23:59 BST, still the 29th
      { at: '2026-10-25T00:30:00Z', label: 'positive', score: 0.5 }, // 01:30 BST
      { at: '2026-10-25T01:30:00Z', label: 'negative', score: -0.5 }, // 01:30 GMT, the repeated hour
      { at: '2026-10-25T23:59:00Z', label: 'neutral', score: 0 }, // 23:59 GMT, still the 25th
    ]);
    const tz = 'Europe/London';
    const march = await trend(acme, { interval: 'day', from: '2026-03-28', to: '2026-03-31', tz });
    expect(starts(march)).toEqual([
      '2026-03-28T00:00:00.000Z',
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T23:00:00.000Z',
    ]);
    expect(volumes(march)).toEqual([0, 3, 0]);
    expect(march.to).toBe('2026-03-30T23:00:00.000Z');
    expect(march.previous.from).toBe('2026-03-25T00:00:00.000Z');

    const october = await trend(acme, { interval: 'day', from: '2026-10-24', to: '2026-10-27', tz });
    expect(starts(october)).toEqual([
      '2026-10-23T23:00:00.000Z',
      '2026-10-24T23:00:00.000Z',
      '2026-10-26T00:00:00.000Z',
    ]);
    expect(volumes(october)).toEqual([0, 3, 0]);
    expect(october.buckets[1]).toMatchObject({ positive: 1, negative: 1, neutral: 1, netSentiment: 0 });
    expect(october.to).toBe('2026-10-27T00:00:00.000Z');

    for (const [from, to] of [
      ['2026-03-28', '2026-03-31'],
      ['2026-10-24', '2026-10-27'],
    ] as const) {
      const body = await trend(acme, { interval: 'day', from, to, tz });
      const ref = await refTrend(handle.db, {
        brandId: acme,
        unit: 'day',
        timeZone: tz,
        from: await refLocalMidnight(handle.db, from, tz),
        to: await refLocalMidnight(handle.db, to, tz),
        filters: {},
      });
      expectSame(
        `trends ${from}..${to}`,
        pickFields(body, ['from', 'to', 'buckets', 'totals', 'previous', 'change']),
        ref,
      );
    }
  });

  it('a London DST day has 23 (March) or 25 (October) hourly buckets, each a real hour', async () => {
    const { acme } = await simpleWorld([
      { at: '2026-03-29T00:30:00Z', label: 'positive', score: 0.5, language: 'en', touchpoints: ['price'] }, // 00:30 GMT
      { at: '2026-03-29T01:30:00Z', label: 'negative', score: -0.5, language: 'en', touchpoints: ['price'] }, // 02:30 BST
      { at: '2026-10-25T00:30:00Z', label: 'positive', score: 0.5, language: 'en', touchpoints: ['price'] }, // 01:30 BST
      { at: '2026-10-25T01:30:00Z', label: 'negative', score: -0.5, language: 'en', touchpoints: ['price'] }, // 01:30 GMT
    ]);
    const tz = 'Europe/London';
    // The rollups, one rollup key, and the raw mentions (two filters) must agree.
    const paths: Array<Record<string, string>> = [
      {},
      { touchpoint: 'price' },
      { touchpoint: 'price', language: 'en' },
    ];
    for (const filters of paths) {
      const bug = `API bug (HOURLY_WALL_CLOCK_BUG), filters ${JSON.stringify(filters)}`;
      const march = await trend(acme, {
        interval: 'hour',
        from: '2026-03-29',
        to: '2026-03-30',
        tz,
        ...filters,
      });
      expect.soft(starts(march), bug).toEqual(hoursFrom('2026-03-29T00:00:00Z', 23));
      expect.soft(volumes(march).slice(0, 3), bug).toEqual([1, 1, 0]);
      const october = await trend(acme, {
        interval: 'hour',
        from: '2026-10-25',
        to: '2026-10-26',
        tz,
        ...filters,
      });
      expect.soft(starts(october), bug).toEqual(hoursFrom('2026-10-24T23:00:00Z', 25));
      expect.soft(volumes(october).slice(0, 4), bug).toEqual([0, 1, 1, 0]);
      // The previous period is as many hours, right before.
      expect.soft(october.previous.from, bug).toBe('2026-10-23T22:00:00.000Z');
      const after = await trend(acme, {
        interval: 'hour',
        from: '2026-03-29T03:00:00+01:00',
        to: '2026-03-29T05:00:00+01:00',
        tz,
        ...filters,
      });
      expect.soft(after.previous.from, bug).toBe('2026-03-29T00:00:00.000Z');
      expect.soft(after.previous.totals.volume, bug).toBe(2);
    }
  });

  it('an hour range inside a repeated hour (New York falls back) is widened, not moved', async () => {
    const { acme } = await simpleWorld([{ at: '2026-11-01T05:30:00Z', label: 'negative', score: -0.5 }]); // 01:30 EDT
    const body = await trend(acme, {
      interval: 'hour',
      from: '2026-11-01T05:25:00Z',
      to: '2026-11-01T05:55:00Z',
      tz: 'America/New_York',
    });
    const bug =
      'API bug (HOURLY_WALL_CLOCK_BUG): the first 01:xx (EDT) is aligned to the second 01:00 (EST, 06:00Z)';
    expect.soft([body.from, body.to], bug).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z']);
    expect.soft(volumes(body), bug).toEqual([1]);
  });

  it('an empty range returns every bucket, as zeros', async () => {
    // One mention, well before every range and its previous period.
    const { acme } = await simpleWorld([
      { at: '2026-01-15T10:00:00Z', label: 'positive', score: 0.5, rating: 5 },
    ]);
    const zero = {
      volume: 0,
      positive: 0,
      neutral: 0,
      negative: 0,
      mixed: 0,
      unscored: 0,
      meanSentiment: null,
      netSentiment: null,
      rated: 0,
      meanRating: null,
      csat: null,
    };
    const cases: Array<[query: Record<string, string>, buckets: number]> = [
      [{ interval: 'hour', from: '2026-07-01T00:00:00Z', to: '2026-07-01T06:00:00Z', tz: 'UTC' }, 6],
      [{ interval: 'hour', from: '2026-07-01T00:00:00Z', to: '2026-07-01T06:00:00Z', tz: 'Asia/Kolkata' }, 7],
      [{ interval: 'day', from: '2026-07-01', to: '2026-07-08', tz: 'America/New_York' }, 7],
      [{ interval: 'week', from: '2026-07-06', to: '2026-07-27', tz: 'Australia/Lord_Howe' }, 3],
      [{ interval: 'month', from: '2026-07-01', to: '2026-10-01', tz: 'Europe/London' }, 3],
    ];
    for (const [query, buckets] of cases) {
      const body = await trend(acme, query);
      expect(body.buckets, JSON.stringify(query)).toHaveLength(buckets);
      for (const bucket of body.buckets)
        expect(bucket, JSON.stringify(query)).toEqual({ start: bucket.start, ...zero });
      expect(body.totals).toEqual(zero);
      expect(body.previous.totals).toEqual(zero);

      const compare = await call(app, 'GET', path(`/api/brands/${acme}/compare`, query));
      expectStatus(compare, 200);
      expect(compare.body.buckets).toHaveLength(buckets);
      for (const bucket of compare.body.buckets) {
        expect(bucket.volume).toBe(0);
        for (const brand of bucket.brands) expect(brand).toMatchObject({ ...zero, shareOfVoice: null });
      }
      expect(compare.body.headToHead).toEqual([]);
    }
    const range = { from: '2026-07-01', to: '2026-07-08', tz: 'America/New_York' };
    const breakdown = await call(
      app,
      'GET',
      path(`/api/brands/${acme}/breakdown`, { ...range, by: 'source' }),
    );
    expect(breakdown.body.rows).toEqual([]);
    const themes = await call(app, 'GET', path(`/api/brands/${acme}/themes`, range));
    expect(themes.body.themes).toEqual([]);
  });

  it('a correction moves a mention from one label to another, on the rollups and on the raw path', async () => {
    const { acme, ids } = await simpleWorld([
      {
        at: '2026-06-10T10:00:00Z',
        label: 'positive',
        score: 0.5,
        touchpoints: ['price'],
        themes: ['delivery'],
      },
      {
        at: '2026-06-10T11:00:00Z',
        label: 'negative',
        score: -0.5,
        touchpoints: ['price'],
        themes: ['delivery'],
      },
      {
        at: '2026-06-10T12:00:00Z',
        label: 'neutral',
        score: 0,
        touchpoints: ['price'],
        themes: ['delivery'],
      },
    ]);
    const queries: Array<Record<string, string>> = [
      { interval: 'day', from: '2026-06-10', to: '2026-06-11', tz: 'UTC' }, // rollups
      { interval: 'day', from: '2026-06-10', to: '2026-06-11', tz: 'UTC', touchpoint: 'price' }, // one rollup key
      {
        interval: 'day',
        from: '2026-06-10',
        to: '2026-06-11',
        tz: 'UTC',
        touchpoint: 'price',
        theme: 'delivery',
      }, // raw
      { interval: 'day', from: '2026-06-10', to: '2026-06-11', tz: 'Asia/Kolkata' }, // raw
    ];
    const labels = async () =>
      Promise.all(
        queries.map(async (query) => {
          const { positive, negative, neutral, mixed, netSentiment } = (await trend(acme, query)).totals;
          return { positive, negative, neutral, mixed, netSentiment };
        }),
      );
    const before = { positive: 1, negative: 1, neutral: 1, mixed: 0, netSentiment: 0 };
    expect(await labels()).toEqual(queries.map(() => before));

    expectStatus(await call(app, 'PATCH', `/api/mentions/${ids[1]}`, { label: 'positive' }), 200);
    const corrected = { positive: 2, negative: 0, neutral: 1, mixed: 0, netSentiment: 0.6667 };
    expect(await labels()).toEqual(queries.map(() => corrected));

    await handle.db
      .transaction()
      .execute((tx) => correctLabel(tx, { mentionId: ids[0]!, label: 'mixed', note: null }));
    const again = { positive: 1, negative: 0, neutral: 1, mixed: 1, netSentiment: 0.3333 };
    expect(await labels()).toEqual(queries.map(() => again));
  });

  it('Asia/Kolkata (+05:30) days start at 18:30Z and hours at half past', async () => {
    const { acme } = await simpleWorld([
      { at: '2026-06-10T18:29:59Z', label: 'positive', score: 0.5 },
      { at: '2026-06-10T18:30:00Z', label: 'negative', score: -0.5 },
    ]);
    const days = await trend(acme, {
      interval: 'day',
      from: '2026-06-10',
      to: '2026-06-12',
      tz: 'Asia/Kolkata',
    });
    expect(days.from).toBe('2026-06-09T18:30:00.000Z');
    expect(days.to).toBe('2026-06-11T18:30:00.000Z');
    expect(starts(days)).toEqual(['2026-06-09T18:30:00.000Z', '2026-06-10T18:30:00.000Z']);
    expect(volumes(days)).toEqual([1, 1]);
    expect(days.previous.from).toBe('2026-06-07T18:30:00.000Z');

    const hours = await trend(acme, {
      interval: 'hour',
      from: '2026-06-10T18:00:00Z',
      to: '2026-06-10T19:00:00Z',
      tz: 'Asia/Kolkata',
    });
    expect(starts(hours)).toEqual(['2026-06-10T17:30:00.000Z', '2026-06-10T18:30:00.000Z']);
    expect(volumes(hours)).toEqual([1, 1]);
  });

  it('a mention without a label (not English) is written and counts as unscored', async () => {
    const { acme } = await simpleWorld([
      { at: '2026-06-10T10:00:00Z', label: null, score: null, language: 'fr' },
      { at: '2026-06-10T11:00:00Z', label: 'positive', score: 0.5 },
    ]);
    const body = await trend(acme, { interval: 'day', from: '2026-06-10', to: '2026-06-11' });
    expect(body.totals).toMatchObject({
      volume: 2,
      positive: 1,
      unscored: 1,
      netSentiment: 1,
      meanSentiment: 0.5,
    });
    const french = await trend(acme, {
      interval: 'day',
      from: '2026-06-10',
      to: '2026-06-11',
      language: 'fr',
    });
    expect(french.totals).toMatchObject({ volume: 1, unscored: 1, netSentiment: null, meanSentiment: null });
  });

  it('a stance exactly 0.1 above the other is a tie, in head to head and in the comparison list', async () => {
    await resetDb(handle.db);
    const rival = (await createBrand({ deps, input: { name: 'Globex', kind: 'competitor' } })).id;
    const acme = (await createBrand({ deps, input: { name: 'Acme', competitors: [rival] } })).id;
    const sourceId = (
      await createSource({
        deps,
        input: { name: 'feed', kind: 'rss', options: { url: 'https://example.com/f' } },
      })
    ).id;
    const pairs = [
      [0.3, 0.2],
      [0.4, 0.3],
      [0.15, 0.05],
      [0.6, 0.45], // a clear win
    ];
    await seedMentions(
      handle.db,
      pairs.map(([mine, theirs], i) => ({
        at: `2026-06-10T1${i}:00:00Z`,
        label: 'positive' as const,
        score: 0.5,
        sourceId,
        brands: [
          { id: acme, stance: mine! },
          { id: rival, stance: theirs! },
        ],
      })),
    );
    const range = { from: '2026-06-10', to: '2026-06-11' };
    const bug = 'API bug (VERSUS_BOUNDARY_BUG): stances compared in float arithmetic';
    for (const tz of ['UTC', 'Asia/Kolkata']) {
      const compare = await call(app, 'GET', path(`/api/brands/${acme}/compare`, { ...range, tz }));
      expectStatus(compare, 200);
      expect
        .soft(compare.body.headToHead, `${bug} (head to head, ${tz})`)
        .toEqual([{ brands: [acme, rival], mentions: 4, wins: { [acme]: 1, [rival]: 0 }, ties: 3 }]);
    }
    const list = await call(app, 'GET', path(`/api/brands/${acme}/compare/mentions`, range));
    expectStatus(list, 200);
    const winners = list.body.items.map((m: { winner: number | null }) => m.winner).reverse();
    expect.soft(winners, `${bug} (comparison list, oldest first)`).toEqual([null, null, null, acme]);
  });

  it('a date whose midnight is skipped (America/Santiago, 2026-09-06) starts at its first instant', async () => {
    const { acme } = await simpleWorld([
      { at: '2026-09-06T03:30:00Z', label: 'positive', score: 0.5 }, // Saturday 23:30 (-04)
      { at: '2026-09-06T04:30:00Z', label: 'negative', score: -0.5 }, // Sunday 01:30 (-03)
    ]);
    const body = await trend(acme, {
      interval: 'day',
      from: '2026-09-06',
      to: '2026-09-07',
      tz: 'America/Santiago',
    });
    const bug =
      'API bug (MISSING_MIDNIGHT_BUG): startOfLocalDate reads 2026-09-06 in America/Santiago as ' +
      '2026-09-06T03:00Z (23:00 the day before) instead of 04:00Z, its first instant';
    expect(body.from, bug).toBe('2026-09-06T04:00:00.000Z');
    expect(starts(body), bug).toEqual(['2026-09-06T04:00:00.000Z']);
    expect(body.totals.volume, bug).toBe(1);

    // The same day asked for by its instants: one bucket, holding the Sunday mention.
    const sunday = await trend(acme, {
      interval: 'day',
      from: '2026-09-06T04:00:00Z',
      to: '2026-09-07T03:00:00Z',
      tz: 'America/Santiago',
    });
    const seriesBug =
      'API bug (MISSING_MIDNIGHT_BUG): a day series starting on a day without a midnight is generated from ' +
      '01:00 local, matches none of the sums (labelled 00:00) and comes out empty';
    expect(starts(sunday), seriesBug).toEqual(['2026-09-06T04:00:00.000Z']);
    expect(volumes(sunday), seriesBug).toEqual([1]);

    // A range ending on that date ends at its first instant: Saturday alone, not Sunday too.
    const saturday = await trend(acme, {
      interval: 'day',
      from: '2026-09-05',
      to: '2026-09-06',
      tz: 'America/Santiago',
    });
    expect(saturday.to).toBe('2026-09-06T04:00:00.000Z');
    expect(starts(saturday)).toEqual(['2026-09-05T04:00:00.000Z']);
    expect(volumes(saturday)).toEqual([1]);
  });
});
