/**
 * bench:nlp — accuracy and speed of earshot's sentiment (`createAnalyzer().analyze`) against three
 * baselines run in the same process on the same texts: raw wink-nlp document sentiment, VADER
 * (vader-sentiment, `compound`) and AFINN-165 (sentiment, `comparative`). Data: the labelled sets in
 * ../shared/data/sentiment (UCI, Kotzias et al. KDD 2015; VADER ground truth, Hutto & Gilbert ICWSM
 * 2014 — VADER was built on the latter, so it has home advantage there).
 *
 *   npm run bench:nlp [-- --fast] [-- --floor test/bench/nlp-floor.json]
 *
 * --fast: every 5th item of each set and one timing round (for CI).
 * --floor <file>: JSON `{ "meanAccuracy": n, "minNegativeRecall": n }`; exits 1 when earshot's mean
 *   accuracy or mean negative recall over the sets is below it.
 * Prints markdown tables and ends with one `RESULT key=value …` line.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import Sentiment from 'sentiment';
import vader from 'vader-sentiment';
import model from 'wink-eng-lite-web-model';
import winkNLP from 'wink-nlp';
import { createAnalyzer, SHIPPED_MODEL, underVerdict } from '../../src/nlp/analyzer.ts';
import { createTouchpointClassifier } from '../../src/nlp/touchpoints.ts';
import { crossValidate, featurise, trainingContext } from '../../src/nlp/training/train.ts';
import { hasSentimentData, type LabelledItem, loadSentimentSets, SENTIMENT_DIR } from './data.ts';
import { type Prediction, readEarshot, type WorkerReply, type WorkerRequest } from './nlp-worker.ts';

/** A baseline "predicts negative" at or below this score (VADER's own convention). */
const NEGATIVE_AT = -0.05;
const POOL_BATCH = 200;

// ---------------------------------------------------------------------------------------------- args
const args = process.argv.slice(2);
const fast = args.includes('--fast');
const floorIndex = args.findIndex((a) => a === '--floor' || a.startsWith('--floor='));
const floorArg = args[floorIndex];
const floorFile =
  floorIndex < 0 ? undefined : floorArg?.startsWith('--floor=') ? floorArg.slice(8) : args[floorIndex + 1];
if (floorIndex >= 0 && !floorFile) {
  console.error('--floor needs a file: --floor test/bench/nlp-floor.json');
  process.exit(2);
}
const ROUNDS = fast ? 1 : 3;

if (!hasSentimentData()) {
  console.log(`skipped: ${SENTIMENT_DIR} is absent (the labelled sentences live in ../shared)`);
  console.log('RESULT skipped=1');
  process.exit(0);
}

// ------------------------------------------------------------------------------------------- systems
type System = { name: string; predict: (text: string) => Prediction };

const analyzer = createAnalyzer();
const nlp = winkNLP(model);
const afinn = new Sentiment();
const byThreshold = (score: number): Prediction => ({ score, negative: score <= NEGATIVE_AT });

/** The analyzer end to end: what throughput measures. */
const earshot: System = { name: 'earshot', predict: (text) => readEarshot(analyzer.analyze(text)) };
const baselines: System[] = [
  {
    name: 'wink-nlp',
    predict: (text) => byThreshold(Number(nlp.readDoc(text).out(nlp.its.sentiment)) || 0),
  },
  {
    name: 'VADER',
    predict: (text) => byThreshold(vader.SentimentIntensityAnalyzer.polarity_scores(text).compound),
  },
  { name: 'AFINN', predict: (text) => byThreshold(afinn.analyze(text).comparative) },
];
const systems = [earshot, ...baselines];

// -------------------------------------------------------------------------------------------- data
const sets = loadSentimentSets().map((set) => ({
  name: set.name,
  items: fast ? set.items.filter((_, i) => i % 5 === 0) : set.items,
}));

// ----------------------------------------------------------------------- earshot, cross-validated
// The shipped model was trained on these very sets, so scoring them with it would measure how well
// it fits its training rows. Accuracy is measured instead on out-of-fold predictions: the same
// features and training as src/nlp/training/train.ts, each text scored by a model that never saw it.
const FOLDS = fast ? 3 : 5;
const cvStarted = performance.now();
const lexicon = new Map(Object.entries(SHIPPED_MODEL.lexicon));
const examples = featurise(
  sets.map((set) => ({ name: set.name, items: set.items })),
  trainingContext(sets, lexicon, SHIPPED_MODEL.names ?? []),
);
const oof = crossValidate(examples, FOLDS);
const cvPredictions = new Map<string, Prediction>();
// The analyzer holds a text whose writer says they are leaving (a churn verdict, `VERDICT_SCORE`) to a
// negative score; the out-of-fold scores get the same rule, so these figures are the product's.
const classifier = createTouchpointClassifier();
const verdicts = { texts: 0, goldNegative: 0, rightBefore: 0, rightAfter: 0 };
// featurise keeps the order of the sets and their items.
sets
  .flatMap((set) => set.items)
  .forEach((item, i) => {
    const modelScore = oof[i] ?? 0;
    const verdict = classifier.classify(item.text).verdict;
    const score = verdict ? underVerdict(modelScore) : modelScore;
    if (verdict) {
      const goldPositive = item.label === 'positive';
      verdicts.texts++;
      if (!goldPositive) verdicts.goldNegative++;
      if (modelScore >= 0 === goldPositive) verdicts.rightBefore++;
      if (score >= 0 === goldPositive) verdicts.rightAfter++;
    }
    cvPredictions.set(item.text, { score, negative: score < -SHIPPED_MODEL.neutralBand });
  });
const cvSeconds = (performance.now() - cvStarted) / 1000;
const earshotCv: System = {
  name: 'earshot',
  predict: (text) => cvPredictions.get(text) ?? { score: 0, negative: false },
};
const accuracySystems = [earshotCv, ...baselines];

// ----------------------------------------------------------------------------------------- metrics
type Metrics = {
  accuracy: number;
  macroF1: number;
  negPrecision: number;
  negRecall: number;
  zeroRate: number;
};

function f1(tp: number, fp: number, fn: number): number {
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

function evaluate(system: System, items: LabelledItem[]): Metrics {
  // Binary rule, the same for every system: positive iff score >= 0.
  let tpPos = 0;
  let fpPos = 0;
  let fnPos = 0;
  let tpNeg = 0;
  let correct = 0;
  let zero = 0;
  // Negative class with a neutral band: predicted negative = `negative` flag.
  let predNeg = 0;
  let hitNeg = 0;
  let goldNeg = 0;
  for (const item of items) {
    const p = system.predict(item.text);
    const predPositive = p.score >= 0;
    const goldPositive = item.label === 'positive';
    if (p.score === 0) zero++;
    if (predPositive === goldPositive) correct++;
    if (predPositive && goldPositive) tpPos++;
    else if (predPositive) fpPos++;
    else if (goldPositive) fnPos++;
    else tpNeg++;
    if (!goldPositive) goldNeg++;
    if (p.negative) {
      predNeg++;
      if (!goldPositive) hitNeg++;
    }
  }
  // For the negative class of the binary prediction: fp = fnPos, fn = fpPos.
  const macroF1 = (f1(tpPos, fpPos, fnPos) + f1(tpNeg, fnPos, fpPos)) / 2;
  return {
    accuracy: correct / items.length,
    macroF1,
    negPrecision: predNeg === 0 ? 0 : hitNeg / predNeg,
    negRecall: goldNeg === 0 ? 0 : hitNeg / goldNeg,
    zeroRate: zero / items.length,
  };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const fmt = (value: number, digits = 3) => value.toFixed(digits);
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;

function printTable(headers: string[], rows: string[][]): void {
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log('');
}

// --------------------------------------------------------------------------------------- accuracy
console.log(
  `# bench:nlp (${fast ? '--fast: every 5th item, 1 timing round' : 'full sets, best of 3 rounds'})`,
);
console.log('');
console.log(`data: ${SENTIMENT_DIR} (UCI: Kotzias et al. 2015, CC BY 4.0; VADER: Hutto & Gilbert 2014, MIT)`);
console.log('rules (the same for every system):');
console.log('- binary accuracy / macro-F1: predicted positive iff score >= 0, negative otherwise');
console.log('  (a score of exactly 0 — no sentiment found — therefore counts as positive);');
console.log(
  `- negative precision/recall: predicted negative iff score <= ${NEGATIVE_AT} (VADER's convention);`,
);
console.log(
  `  earshot: score below −${SHIPPED_MODEL.neutralBand} (its neutral band, chosen by cross-validation at training);`,
);
console.log(
  `- earshot's scores are out-of-fold (${FOLDS}-fold cross-validation in this run, ${cvSeconds.toFixed(0)} s): never the model's own training rows;`,
);
console.log('- baselines: wink-nlp doc sentiment, VADER compound, AFINN comparative;');
console.log('- VADER sets: mean human rating > 0 positive, < 0 negative, == 0 dropped.');
console.log(
  `- churn verdicts (a writer leaving, e.g. "never again"; no brand is named in these sets): ${verdicts.texts} texts, ${verdicts.goldNegative} of them rated negative; binary accuracy on them ${verdicts.rightBefore} right by the model alone, ${verdicts.rightAfter} with the verdict.`,
);
const asking = examples.filter((e) => e.rest !== undefined);
const onlyAsking = asking.filter((e) => e.rest === null);
console.log(
  `- questions asking for information ("how do I…", "is there a way…"; src/nlp/plain.ts) score what the rest of the text says, 0 when a text only asks: ${asking.length} texts ask, ${onlyAsking.length} only ask (${onlyAsking.filter((e) => e.binary === 0).length} of those rated negative).`,
);
console.log('');

const results = new Map<string, Map<string, Metrics>>();
for (const set of sets) {
  const row = new Map<string, Metrics>();
  for (const system of accuracySystems) row.set(system.name, evaluate(system, set.items));
  results.set(set.name, row);
}
const metric = (set: string, system: string): Metrics => results.get(set)!.get(system)!;
const margins = sets.map(
  (set) =>
    metric(set.name, earshot.name).accuracy -
    Math.max(...baselines.map((b) => metric(set.name, b.name).accuracy)),
);

function metricTable(title: string, key: keyof Metrics, withMargin: boolean): void {
  console.log(`## ${title}`);
  console.log('');
  const headers = [
    'set',
    'n',
    ...accuracySystems.map((s) => s.name),
    ...(withMargin ? ['earshot − best baseline'] : []),
  ];
  const rows = sets.map((set, i) => [
    set.name,
    String(set.items.length),
    ...accuracySystems.map((s) => fmt(metric(set.name, s.name)[key])),
    ...(withMargin ? [signed(margins[i]!)] : []),
  ]);
  rows.push([
    '**mean over sets**',
    String(sets.reduce((n, s) => n + s.items.length, 0)),
    ...accuracySystems.map((s) => `**${fmt(mean(sets.map((set) => metric(set.name, s.name)[key])))}**`),
    ...(withMargin ? [`**${signed(mean(margins))}**`] : []),
  ]);
  printTable(headers, rows);
}

metricTable('Binary accuracy (positive iff score >= 0)', 'accuracy', true);
metricTable('Macro-F1 of the binary prediction', 'macroF1', false);
metricTable(
  `Negative precision (predicted negative: score <= ${NEGATIVE_AT} / earshot label)`,
  'negPrecision',
  false,
);
metricTable('Negative recall (same rule)', 'negRecall', false);
metricTable('Share of texts scored exactly 0 (no sentiment found; counted positive)', 'zeroRate', false);

// -------------------------------------------------------------------------------------- throughput
const texts = sets.flatMap((set) => set.items.map((item) => item.text));
const workers = availableParallelism();
const loadAtStart = loadavg()[0]!;

/**
 * The worker is TypeScript. `new Worker(url, { execArgv: ['--import', 'tsx'] })` fails on Node 20
 * (ERR_UNKNOWN_FILE_EXTENSION: loader hooks given in a worker's execArgv are not applied to its entry
 * module before Node 22.2 — nodejs/node#47747, privatenumber/tsx#354), so each worker starts from a
 * small JavaScript bootstrap that registers tsx in its own thread and then imports the worker file.
 */
const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(new URL('./nlp-worker.ts', import.meta.url).href)}); })`;

type Pool = { run: () => Promise<number>; close: () => Promise<void> };

async function startPool(size: number): Promise<Pool> {
  const pool = Array.from({ length: size }, () => new Worker(WORKER_BOOTSTRAP, { eval: true }));
  let failure: Error | undefined;
  for (const worker of pool) {
    worker.on('error', (error) => {
      failure = error;
    });
  }
  async function run(): Promise<number> {
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += POOL_BATCH) batches.push(texts.slice(i, i + POOL_BATCH));
    let next = 0;
    let sum = 0;
    let done = 0;
    return new Promise<number>((resolve, reject) => {
      const send = (worker: Worker) => {
        if (next >= batches.length) return;
        const request: WorkerRequest = { id: next, texts: batches[next]! };
        next++;
        worker.postMessage(request);
      };
      const listeners = pool.map((worker) => {
        const onMessage = (reply: WorkerReply) => {
          sum += reply.sum;
          done++;
          if (done === batches.length) {
            for (const [w, l] of listeners) {
              w.off('message', l.onMessage);
              w.off('error', l.onError);
            }
            resolve(sum);
          } else send(worker);
        };
        const onError = (error: Error) => reject(error);
        worker.on('message', onMessage);
        worker.on('error', onError);
        return [worker, { onMessage, onError }] as const;
      });
      if (failure) reject(failure);
      // Two batches in flight per worker so none waits on the main thread between batches.
      for (const worker of pool) {
        send(worker);
        send(worker);
      }
    });
  }
  return { run, close: async () => void (await Promise.all(pool.map((w) => w.terminate()))) };
}

function scoreAll(system: System): number {
  let sum = 0;
  for (const text of texts) sum += system.predict(text).score;
  return sum;
}

async function seconds(run: () => unknown): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

// The accuracy pass above ran every system over every text, which is the warm-up of the single-thread
// runs; the pool gets untimed passes over at least 20,000 texts. Then rounds alternate systems so machine noise hits all alike.
const pool = await startPool(workers);
const singleSum = scoreAll(earshot);
const poolSum = await pool.run();
// More untimed passes on the small --fast set, so each worker's JIT is as warm as the main thread's.
for (let n = texts.length; n < 20_000; n += texts.length) await pool.run();
// Not exactly equal: wink-nlp's result for a text can depend on texts the same process read before
// (its lexicon learns new tokens, e.g. "friend's" after "… to a friend's."), and workers see other
// histories. A broken pool would be off by far more than this tolerance.
const poolDrift = Math.abs(poolSum - singleSum);
if (poolDrift > 0.001 * texts.length) {
  throw new Error(
    `the worker pool computed a different score sum (${poolSum}) than one thread (${singleSum})`,
  );
}
const best = new Map<string, number>();
const POOL = `earshot, ${workers} worker threads`;
for (let round = 0; round < ROUNDS; round++) {
  for (const system of systems) {
    const s = await seconds(() => scoreAll(system));
    best.set(system.name, Math.min(best.get(system.name) ?? Number.POSITIVE_INFINITY, s));
  }
  const s = await seconds(() => pool.run());
  best.set(POOL, Math.min(best.get(POOL) ?? Number.POSITIVE_INFINITY, s));
}
await pool.close();

const rate = (name: string) => texts.length / best.get(name)!;
console.log(`## Throughput (${texts.length} texts, all sets concatenated, best of ${ROUNDS})`);
console.log('');
printTable(
  ['system', 'threads', 'best (s)', 'docs/s', 'vs VADER'],
  [...systems.map((s) => s.name), POOL].map((name) => [
    name,
    name === POOL ? String(workers) : '1',
    fmt(best.get(name)!),
    String(Math.round(rate(name))),
    `${(rate(name) / rate('VADER')).toFixed(2)}×`,
  ]),
);
console.log(
  `machine: ${workers} cores, 1-minute load average ${loadAtStart.toFixed(2)} before the timing rounds (other processes share the cores).`,
);
console.log(
  `pool check: ${workers} workers (node:worker_threads + tsx) scored the ${texts.length} texts to a score sum of ${fmt(poolSum)}; one thread: ${fmt(singleSum)}` +
    (poolDrift < 1e-6 ? ' (identical).' : ' (differs: wink-nlp results depend on the texts read before).'),
);
console.log('');

// ---------------------------------------------------------------------------------------- summary
const earshotMean = (key: keyof Metrics) => mean(sets.map((set) => metric(set.name, earshot.name)[key]));
const summary = {
  meanAccuracy: earshotMean('accuracy'),
  negPrecision: earshotMean('negPrecision'),
  negRecall: earshotMean('negRecall'),
};

let belowFloor = false;
if (floorFile) {
  const floor = JSON.parse(readFileSync(floorFile, 'utf8')) as {
    meanAccuracy?: number;
    minNegativeRecall?: number;
  };
  const checks: Array<[string, number, number | undefined]> = [
    ['mean accuracy', summary.meanAccuracy, floor.meanAccuracy],
    ['mean negative recall', summary.negRecall, floor.minNegativeRecall],
  ];
  for (const [name, value, min] of checks) {
    if (typeof min !== 'number') continue;
    const ok = value >= min;
    if (!ok) belowFloor = true;
    console.log(
      `floor ${floorFile}: earshot ${name} ${fmt(value)} ${ok ? '>=' : '<'} ${min} ${ok ? 'ok' : 'FAIL'}`,
    );
  }
}

console.log(
  [
    'RESULT',
    `mode=${fast ? 'fast' : 'full'}`,
    `texts=${texts.length}`,
    `mean_acc=${fmt(summary.meanAccuracy)}`,
    `margin_vs_best_baseline=${fmt(mean(margins))}`,
    `neg_precision=${fmt(summary.negPrecision)}`,
    `neg_recall=${fmt(summary.negRecall)}`,
    `docs_per_s=${Math.round(rate(earshot.name))}`,
    `vader_docs_per_s=${Math.round(rate('VADER'))}`,
    `ratio_vs_vader=${(rate(earshot.name) / rate('VADER')).toFixed(2)}`,
    `pool_workers=${workers}`,
    `pool_docs_per_s=${Math.round(rate(POOL))}`,
    `pool_ratio=${(rate(POOL) / rate(earshot.name)).toFixed(2)}`,
    `cv_folds=${FOLDS}`,
    `min_margin=${fmt(Math.min(...margins))}`,
    ...(floorFile ? [`floor_ok=${belowFloor ? 0 : 1}`] : []),
  ].join(' '),
);
if (belowFloor) process.exitCode = 1;
