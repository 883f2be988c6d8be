/**
 * `earshot demo` (`npm run demo`): a realistic sample for a first look with no network. It writes
 * through the same path as every source (analysis, themes, rollups, alert rules), so the dashboard,
 * the API and the alerts show what they would on real data: 90 days of mentions of the configured
 * brands on several sources, reviews with star ratings, comparisons between competitors, a recent
 * complaint spike, and open incidents.
 *
 * The texts are composed here from phrase templates (never copied from recorded data). The run is
 * deterministic for a seed and a day, and running it again stores nothing twice (external ids are
 * stable per item).
 */
import type { SourceRow } from '../../db/schema.ts';
import type { RawItem } from '../../sources/types.ts';
import { upsertRule } from '../alerts/rules.ts';
import { createBrand, listBrands, updateBrand } from '../catalog/brands.ts';
import { upsertSource } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { ingestItems } from '../ingest/ingest-items.ts';

export type DemoOptions = { days?: number; seed?: number; now?: Date; progress?: (line: string) => void };
export type DemoSummary = {
  brands: string[];
  sources: number;
  generated: number;
  inserted: number;
  incidents: number;
};

const DEFAULT_BRANDS = [
  { name: 'Cloudflare', kind: 'own' as const },
  { name: 'Fastly', kind: 'competitor' as const },
  { name: 'Akamai', kind: 'competitor' as const },
];

/** Demo sources: real kinds (so breakdowns by source read naturally), disabled so nothing polls them. */
const SOURCES = [
  { key: 'appstore', name: 'Demo · App Store reviews', kind: 'appstore', options: { appId: '1000000001' } },
  { key: 'hackernews', name: 'Demo · Hacker News', kind: 'hackernews', options: { query: 'cdn' } },
  {
    key: 'reddit',
    name: 'Demo · Reddit r/webdev',
    kind: 'reddit',
    options: {
      query: 'cdn',
      subreddit: 'webdev',
      clientId: { env: 'REDDIT_CLIENT_ID' },
      clientSecret: { env: 'REDDIT_CLIENT_SECRET' },
    },
  },
  {
    key: 'bluesky',
    name: 'Demo · Bluesky',
    kind: 'bluesky',
    options: { query: 'cdn', identifier: 'demo.example', appPassword: { env: 'BLUESKY_APP_PASSWORD' } },
  },
  { key: 'support', name: 'Demo · Support inbox', kind: 'push', options: {} },
] as const;
type SourceKey = (typeof SOURCES)[number]['key'];

/** mulberry32: a small seeded generator, enough for sample data. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, pick };
}

const TOPICS = [
  'dashboard',
  'dns propagation',
  'cache purge',
  'login page',
  'api docs',
  'ssl certificates',
  'edge functions',
  'free plan',
  'billing page',
  'support team',
  'analytics page',
  'bot protection',
];

type Tone = 'positive' | 'negative' | 'neutral' | 'mixed';
const PHRASES: Record<Tone, readonly string[]> = {
  positive: [
    '{B} {t} is fantastic, setup took five minutes.',
    'Really impressed with the {t} from {B}: fast and reliable.',
    'Moved our sites to {B} this week and the {t} just works. Love it.',
    'Shout-out to the {B} {t}, saved our launch today!',
    'Switched from {C} to {B} last month and the {t} is so much better.',
    '{B} is better than {C} for us, the {t} is far ahead.',
    'The new {t} in {B} is great, thank you!',
  ],
  negative: [
    '{B} {t} is broken again, three hours of errors and no answer from support.',
    'Terrible {t} at {B}. I want a refund.',
    '{B} support never answered my ticket about the {t}. Cancelling our plan.',
    'Why is the {B} {t} so slow today?? Useless.',
    'Thinking of moving from {B} to {C}, the {t} keeps failing.',
    '{B} charged us twice and the {t} still does not work. Awful.',
    'The {B} {t} has been down all morning, our customers cannot log in.',
  ],
  neutral: [
    'Does anyone know if {B} supports the {t} on the free plan?',
    '{B} published a post about changes to the {t}.',
    'Comparing {B} and {C} for a new project, mostly looking at the {t}.',
    'How do I configure the {t} in {B}?',
    '{B} announced a new region today.',
  ],
  mixed: [
    'Love the {B} {t} but the billing page is a nightmare.',
    'The {B} {t} is great, however support took a week to reply.',
    '{B} is fast, but the {t} is confusing and the docs are awful.',
  ],
};

const AUTHORS = [
  'ana_dev',
  'sre-mike',
  'lena.ops',
  'jpark',
  'webfolk',
  'night_shift',
  'kofi',
  'marta_k',
  'devon',
];

function tonePicker(rng: ReturnType<typeof random>, negativeShare: number): Tone {
  const x = rng.next();
  if (x < negativeShare) return 'negative';
  if (x < negativeShare + 0.08) return 'mixed';
  if (x < negativeShare + 0.35) return 'neutral';
  return 'positive';
}

const RATING: Record<Tone, readonly number[]> = {
  positive: [5, 5, 4],
  negative: [1, 1, 2],
  neutral: [3, 4, 3],
  mixed: [3, 2, 4],
};

type Draft = { source: SourceKey; item: RawItem };

function compose(
  rng: ReturnType<typeof random>,
  tone: Tone,
  brand: string,
  others: readonly string[],
  topic = rng.pick(TOPICS),
) {
  const competitor = others.length > 0 ? rng.pick(others) : 'the old provider';
  return rng
    .pick(PHRASES[tone])
    .replaceAll('{B}', brand)
    .replaceAll('{C}', competitor)
    .replaceAll('{t}', topic)
    .replace(/^./, (c) => c.toUpperCase());
}

/** The dated history: a few dozen mentions a day, the own brand louder, a complaint spike at the end. */
function history(
  brands: readonly { name: string; own: boolean }[],
  days: number,
  now: Date,
  seed: number,
): Draft[] {
  const rng = random(seed);
  const drafts: Draft[] = [];
  const names = brands.map((b) => b.name);
  const today = Math.floor(now.getTime() / 86_400_000);
  for (let d = days; d >= 1; d--) {
    const dayStart = (today - d) * 86_400_000;
    for (const [b, brand] of brands.entries()) {
      const others = names.filter((n) => n !== brand.name);
      // Volume with a weekly rhythm; the own brand is talked about most.
      const weekday = new Date(dayStart).getUTCDay();
      const base = (brand.own ? 18 : 7) * (weekday === 0 || weekday === 6 ? 0.6 : 1);
      const count = Math.round(base * (0.7 + rng.next() * 0.6));
      // A slow drift, and a login-page incident on the own brand in the last three days.
      const spike = brand.own && d <= 3;
      const negativeShare = 0.18 + 0.08 * Math.sin((d + b * 20) / 9) + (spike ? 0.35 : 0);
      for (let k = 0; k < count; k++) {
        const tone = tonePicker(rng, negativeShare);
        const topic = spike && tone === 'negative' && rng.next() < 0.7 ? 'login page' : undefined;
        const source = rng.pick<SourceKey>(['appstore', 'hackernews', 'reddit', 'bluesky', 'support']);
        const at = new Date(dayStart + Math.floor(rng.next() * 86_400_000));
        const id = `demo-${brand.name.toLowerCase()}-${d}-${k}`;
        const review = source === 'appstore';
        drafts.push({
          source,
          item: {
            externalId: id,
            url: source === 'support' ? null : `https://demo.earshot.invalid/${source}/${id}`,
            author: rng.pick(AUTHORS),
            title: null,
            content: compose(rng, tone, brand.name, others, topic),
            contentType: 'text',
            publishedAt: at,
            rating: review ? rng.pick(RATING[tone]) : null,
            language: null,
            engagement:
              source === 'bluesky' || source === 'reddit'
                ? { likes: Math.floor(rng.next() * 80), replies: Math.floor(rng.next() * 12) }
                : null,
          },
        });
      }
    }
  }
  return drafts;
}

/** Complaints arriving "now" (undated, as a helpdesk pushes them): they fire the demo alert rule. */
function live(brand: string, others: readonly string[], seed: number): RawItem[] {
  const rng = random(seed + 1);
  return Array.from({ length: 8 }, (_, k) => ({
    externalId: `demo-live-${brand.toLowerCase()}-${k}`,
    url: null,
    author: rng.pick(AUTHORS),
    title: null,
    content: compose(rng, 'negative', brand, others, k < 5 ? 'login page' : undefined),
    contentType: 'text' as const,
    publishedAt: null,
    rating: null,
    language: null,
    engagement: null,
  }));
}

async function ensureBrands(deps: Deps) {
  let brands = await listBrands({ deps });
  if (brands.length === 0) {
    for (const b of DEFAULT_BRANDS) await createBrand({ deps, input: b });
    brands = await listBrands({ deps });
  }
  const own = brands.find((b) => b.kind === 'own') ?? brands[0];
  if (!own) throw new Error('demo: no brand');
  if (own.competitors.length === 0 && brands.length > 1) {
    const competitors = brands.filter((b) => b.id !== own.id).map((b) => b.id);
    await updateBrand({ deps, input: { id: own.id, patch: { competitors } } });
  }
  return { own, brands };
}

export async function loadDemo(deps: Deps, options: DemoOptions = {}): Promise<DemoSummary> {
  const days = options.days ?? 90;
  const seed = options.seed ?? 7;
  const now = options.now ?? deps.now();
  const say = options.progress ?? (() => {});
  const { own, brands } = await ensureBrands(deps);

  const sourceIds = new Map<SourceKey, number>();
  for (const s of SOURCES) {
    const created = await upsertSource({
      deps,
      input: { name: s.name, kind: s.kind, options: s.options, enabled: s.kind === 'push' },
    });
    sourceIds.set(s.key, created.id);
  }
  // Read afresh before each batch: ingest records each poll on the row (first poll, cursor).
  const sourceRow = (key: SourceKey): Promise<SourceRow> =>
    deps.db
      .selectFrom('sources')
      .selectAll()
      .where('id', '=', sourceIds.get(key) as number)
      .executeTakeFirstOrThrow();

  const drafts = history(
    brands.map((b) => ({ name: b.name, own: b.id === own.id })),
    days,
    now,
    seed,
  );
  let inserted = 0;
  const BATCH = 250;
  for (const s of SOURCES) {
    const items = drafts.filter((d) => d.source === s.key).map((d) => d.item);
    for (let i = 0; i < items.length; i += BATCH) {
      const result = await ingestItems(deps, {
        source: await sourceRow(s.key),
        items: items.slice(i, i + BATCH),
        fetchedAt: now,
      });
      inserted += result.inserted;
      say(`${s.name}: ${Math.min(i + BATCH, items.length)}/${items.length}`);
    }
  }

  // The alert rules a support lead would start with (no channel: incidents show in the inbox).
  await upsertRule({
    deps,
    input: { name: `Demo · negative mentions of ${own.name}`, brand: own.id, kind: 'negative_mention' },
  });
  await upsertRule({
    deps,
    input: {
      name: `Demo · emerging complaints about ${own.name}`,
      brand: own.id,
      kind: 'emerging_theme',
      severity: 'critical',
    },
  });
  const others = brands.filter((b) => b.id !== own.id).map((b) => b.name);
  const liveItems = live(own.name, others, seed);
  const fresh = await ingestItems(deps, {
    source: await sourceRow('support'),
    items: liveItems,
    // After the rules were created: only mentions published since a rule exists fire it.
    fetchedAt: new Date(Math.max(now.getTime(), deps.now().getTime())),
  });
  inserted += fresh.inserted;

  const incidents = await deps.db
    .selectFrom('incidents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', '<>', 'resolved')
    .executeTakeFirstOrThrow();
  return {
    brands: brands.map((b) => b.name),
    sources: SOURCES.length,
    generated: drafts.length + liveItems.length,
    inserted,
    incidents: Number(incidents.n),
  };
}
