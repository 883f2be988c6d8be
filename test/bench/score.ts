/**
 * bench:score — throughput of `earshot score`'s code path (parse, analyse, serialise) on the labelled
 * UCI sentences from ../shared, against a baseline run in the same process: bare wink-nlp document
 * sentiment on the same texts. Prints a table and ends with one RESULT line.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import model from 'wink-eng-lite-web-model';
import winkNLP from 'wink-nlp';
import { scoreStream } from '../../src/cli/score.ts';
import { createAnalyzer } from '../../src/nlp/analyzer.ts';
import { loadSentimentSets, SENTIMENT_DIR, UCI_SETS } from '../../src/nlp/training/datasets.ts';

const LINES = 15_000;
const ROUNDS = 3;
const UCI = join(SENTIMENT_DIR, 'uci');

if (!existsSync(UCI)) {
  console.log(`skipped: ${UCI} is absent (labelled sentences live in ../shared)`);
  console.log('RESULT skipped=1');
  process.exit(0);
}

const texts = loadSentimentSets(SENTIMENT_DIR)
  .filter((set) => (UCI_SETS as readonly string[]).includes(set.name))
  .flatMap((set) => set.items.map((item) => item.text));
const input = Array.from({ length: LINES }, (_, i) =>
  JSON.stringify({ id: i, text: texts[i % texts.length] }),
);

const nlp = winkNLP(model);
const analyzer = createAnalyzer();

function baseline(): number {
  let sum = 0;
  for (const line of input)
    sum += nlp.readDoc(JSON.parse(line).text).out(nlp.its.sentiment) as unknown as number;
  return sum;
}

async function earshot(): Promise<number> {
  let bytes = 0;
  async function* lines() {
    yield* input;
  }
  await scoreStream(analyzer, lines(), (chunk) => {
    bytes += chunk.length;
  });
  return bytes;
}

async function time(run: () => unknown): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

// Warm-up, then alternate rounds so machine noise hits both alike; keep each one's best round.
await time(baseline);
await time(earshot);
let best = { baseline: Number.POSITIVE_INFINITY, earshot: Number.POSITIVE_INFINITY };
for (let round = 0; round < ROUNDS; round++) {
  best = {
    baseline: Math.min(best.baseline, await time(baseline)),
    earshot: Math.min(best.earshot, await time(earshot)),
  };
}
const rate = (seconds: number) => Math.round(LINES / seconds);
console.log(`| run | lines | best of ${ROUNDS} (s) | lines/s |`);
console.log('|---|---|---|---|');
console.log(
  `| wink-nlp readDoc + sentiment (baseline) | ${LINES} | ${best.baseline.toFixed(3)} | ${rate(best.baseline)} |`,
);
console.log(
  `| earshot score (parse, analyse, themes, JSON) | ${LINES} | ${best.earshot.toFixed(3)} | ${rate(best.earshot)} |`,
);
console.log(
  `RESULT lines=${LINES} earshot_lines_per_s=${rate(best.earshot)} baseline_lines_per_s=${rate(best.baseline)} ratio_vs_baseline=${(best.baseline / best.earshot).toFixed(3)}`,
);
