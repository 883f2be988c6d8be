/**
 * The fault schedule of a sustained run, drawn from one seed: which rounds are slow (the faults that
 * cost a client timeout), which bring a burst of items (polls that page), and for every source the
 * faults of each round. Every source gets every case at least once, on its first data request so that
 * it surely fires: each fault once (the client's retry gets past it) and twice (the poll fails), the
 * four Retry-After forms, a well-timed slow drip, and an outage of three rounds in a row. Rounds
 * without a case may get a random extra fault on any request (logins, tokens, later pages), on one
 * server of the source only (one Mastodon instance, say).
 */
import type { Fault } from '../helpers/fault-upstream.ts';

export type Episode = {
  label: string;
  faults: Fault[];
  /** Matching requests let through first. */
  skip: number;
  /** Only the requests that fetch items count (not logins or token requests). */
  dataOnly: boolean;
  /** Which of the source's servers get it; all when undefined. */
  server?: number;
};

export type RoundKind = 'fast' | 'slow' | 'burst';

export type Schedule = {
  seed: number;
  rounds: number;
  kindOf: (round: number) => RoundKind;
  /** The episode of one source in one round, if any. */
  episode: (source: string, round: number) => Episode | undefined;
  /** How many new items a source gets in a round. */
  newItems: (source: string, round: number) => number;
};

const once = (fault: Fault): Fault[] => [fault];
const twice = (fault: Fault): Fault[] => [fault, fault];

/** Fault cases that fail fast (no client timeout). */
const FAST_CASES: ReadonlyArray<{ label: string; faults: Fault[] }> = [
  { label: 'reset mid-headers once', faults: once({ kind: 'reset-headers' }) },
  { label: 'reset mid-headers twice', faults: twice({ kind: 'reset-headers' }) },
  { label: 'reset mid-body once', faults: once({ kind: 'reset-body' }) },
  { label: 'reset mid-body twice', faults: twice({ kind: 'reset-body' }) },
  { label: 'one 500', faults: once({ kind: 'server-error', status: 500 }) },
  {
    label: '5xx burst (502, 503, 500)',
    faults: [
      { kind: 'server-error', status: 502 },
      { kind: 'server-error', status: 503 },
      { kind: 'server-error', status: 500 },
    ],
  },
  { label: '429 Retry-After 1 s', faults: once({ kind: 'rate-limit', retryAfter: 'seconds', seconds: 1 }) },
  {
    label: '429 Retry-After date +3 s',
    faults: once({ kind: 'rate-limit', retryAfter: 'date', seconds: 3 }),
  },
  {
    label: '429 Retry-After 1 s twice',
    faults: twice({ kind: 'rate-limit', retryAfter: 'seconds', seconds: 1 }),
  },
  {
    label: '429 Retry-After 4 h',
    faults: once({ kind: 'rate-limit', retryAfter: 'seconds', seconds: 14_400 }),
  },
  {
    label: '429 Retry-After date +3 h',
    faults: once({ kind: 'rate-limit', retryAfter: 'date', seconds: 10_800 }),
  },
  { label: 'short body once', faults: once({ kind: 'short-body' }) },
  { label: 'short body twice', faults: twice({ kind: 'short-body' }) },
  { label: 'chunked cut once', faults: once({ kind: 'chunked-cut' }) },
  { label: 'chunked cut twice', faults: twice({ kind: 'chunked-cut' }) },
  { label: 'well-framed cut body', faults: once({ kind: 'cut-body' }) },
];

/**
 * Fault cases that cost a client timeout per attempt, in slow rounds (which run with the short
 * timeout): the first slow rounds cost one timeout (each fault once, the retry gets past it, and a
 * slow drip that must finish in time), the last ones two (two timeouts in a row fail the poll).
 */
const SLOW_ONCE: ReadonlyArray<{ label: string; faults: Fault[] }> = [
  { label: 'no answer once', faults: once({ kind: 'hang' }) },
  { label: 'late answer once', faults: once({ kind: 'late' }) },
  { label: 'slow drip past the timeout once', faults: once({ kind: 'slow-timeout' }) },
  { label: 'slow drip within the timeout', faults: once({ kind: 'slow-ok' }) },
];
const SLOW_TWICE: ReadonlyArray<{ label: string; faults: Fault[] }> = [
  { label: 'no answer, then a late one', faults: [{ kind: 'hang' }, { kind: 'late' }] },
  {
    label: 'late answer, then a slow drip past the timeout',
    faults: [{ kind: 'late' }, { kind: 'slow-timeout' }],
  },
  {
    label: 'slow drip past the timeout, then no answer',
    faults: [{ kind: 'slow-timeout' }, { kind: 'hang' }],
  },
];

/** Faults an outage round serves to every request (logins too), more than any poll makes. */
const OUTAGE: readonly Fault[] = [
  { kind: 'server-error', status: 503 },
  { kind: 'reset-headers' },
  { kind: 'server-error', status: 502 },
  { kind: 'chunked-cut' },
];

export const SLOW_ROUNDS = SLOW_ONCE.length + SLOW_TWICE.length;
export const BURST_ROUNDS = 2;
const OUTAGE_ROUNDS = 3;

function shuffle<T>(random: () => number, list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export function createSchedule(
  seed: number,
  random: () => number,
  /** `pages`: a burst makes its polls read several pages (a fault may then hit a later one). */
  sources: ReadonlyArray<{ name: string; servers: number; pages: boolean }>,
  rounds: number,
): Schedule {
  // Slow rounds spread evenly; two bursts, never in round 0 (the first poll reads one page only).
  const slow = new Set(
    Array.from({ length: SLOW_ROUNDS }, (_, i) => Math.floor(((i + 0.5) * rounds) / SLOW_ROUNDS)),
  );
  const burst = new Set<number>();
  for (const at of [0.4, 0.75]) {
    let round = Math.floor(at * rounds);
    while (slow.has(round)) round++;
    burst.add(round);
  }
  const kindOf = (round: number): RoundKind =>
    slow.has(round) ? 'slow' : burst.has(round) ? 'burst' : 'fast';
  const fastRounds = Array.from({ length: rounds }, (_, r) => r).filter((r) => kindOf(r) !== 'slow');
  if (fastRounds.length < FAST_CASES.length + OUTAGE_ROUNDS + 2)
    throw new Error(`${rounds} rounds are too few`);

  const episodes = new Map<string, Map<number, Episode>>();
  const counts = new Map<string, number[]>();
  for (const source of sources) {
    const plan = new Map<number, Episode>();
    // The outage: three fast rounds in a row (not crossing a slow one).
    const starts = fastRounds.filter((r) => [1, 2].every((k) => fastRounds.includes(r + k)));
    const start = starts[Math.floor(random() * starts.length)] as number;
    for (let k = 0; k < OUTAGE_ROUNDS; k++) {
      plan.set(start + k, {
        label: `outage ${k + 1}/${OUTAGE_ROUNDS}`,
        faults: Array.from({ length: 8 }, (_, i) => OUTAGE[(i + k) % OUTAGE.length] as Fault),
        skip: 0,
        dataOnly: false,
      });
    }
    const free = shuffle(
      random,
      fastRounds.filter((r) => !plan.has(r)),
    );
    for (const [i, c] of FAST_CASES.entries()) {
      const round = free[i] as number;
      // In a burst round the fault may hit the second page, except the well-framed cut body: it is
      // the one case whose failure health shows as invalid, and a connector that keeps what its first
      // pages brought (Mastodon) would get past it there, so that kind would never show (seed 1167406131).
      const draw = kindOf(round) === 'burst' && source.pages ? Math.floor(random() * 2) : 0;
      const skip = c.faults.some((f) => f.kind === 'cut-body') ? 0 : draw;
      plan.set(round, { ...c, skip, dataOnly: true });
    }
    const slowRounds = [...slow].sort((a, b) => a - b);
    for (const [i, c] of [...shuffle(random, SLOW_ONCE), ...shuffle(random, SLOW_TWICE)].entries()) {
      plan.set(slowRounds[i] as number, { ...c, skip: 0, dataOnly: true });
    }
    // The rest: now and then one fast fault on any request of one server.
    for (const round of free.slice(FAST_CASES.length)) {
      if (random() < 0.6) {
        const c = FAST_CASES[Math.floor(random() * FAST_CASES.length)] as (typeof FAST_CASES)[number];
        plan.set(round, {
          label: `extra: ${c.label}`,
          faults: c.faults,
          skip: Math.floor(random() * 3),
          dataOnly: false,
          server: Math.floor(random() * source.servers),
        });
      }
    }
    episodes.set(source.name, plan);
    counts.set(
      source.name,
      Array.from({ length: rounds }, (_, r) => {
        if (r === 0) return 1 + Math.floor(random() * 3);
        const kind = kindOf(r);
        if (kind === 'burst') return 105 + Math.floor(random() * 20);
        return Math.floor(random() * (kind === 'slow' ? 3 : 5));
      }),
    );
  }
  return {
    seed,
    rounds,
    kindOf,
    episode: (source, round) => episodes.get(source)?.get(round),
    newItems: (source, round) => counts.get(source)?.[round] ?? 0,
  };
}
