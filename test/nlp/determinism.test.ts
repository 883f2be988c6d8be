/**
 * Determinism: a text gets the same analysis whatever was analysed before it. wink-nlp instances add
 * each unseen token to their lexicon, and their tokenizer then splits that token differently in later
 * texts ("children's" read once before a colon stays one token afterwards); the reader hides those
 * entries from later documents (src/nlp/wink.ts).
 */
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../src/nlp/analyzer.ts';
import { createReader } from '../../src/nlp/read.ts';
import { hasSentimentData, loadSentimentSets, SENTIMENT_DIR } from '../../src/nlp/training/datasets.ts';

describe('a text read after others', () => {
  it('tokenises as in a fresh instance after a text taught wink the same word', () => {
    const probe = 'A classic of children’s television, loved by kids.';
    const reader = createReader();
    const fresh = reader.read(probe);
    expect(fresh.values).toContain('children');
    reader.read('Books for children’s: reading for all ages.');
    expect(reader.read(probe)).toEqual(fresh);
    expect(createReader().read(probe)).toEqual(fresh);
  });

  it('gets the same analysis after the text that changed wink’s tokenizer', () => {
    const analyzer = createAnalyzer();
    const probe = 'A classic of children’s television, but the DVD was scratched.';
    const first = analyzer.analyze(probe);
    for (const teacher of ['Books for children’s: reading.', '<children’s> toys', 'children’s.']) {
      analyzer.analyze(teacher);
    }
    expect(analyzer.analyze(probe)).toEqual(first);
  });

  it.skipIf(!hasSentimentData())(
    `reads every fifth real text the same before and after all the others (skipped without ${SENTIMENT_DIR})`,
    () => {
      const texts = loadSentimentSets().flatMap((set) => set.items.map((item) => item.text));
      const probes = texts.filter((_, i) => i % 5 === 0);
      const reader = createReader();
      const before = probes.map((text) => JSON.stringify(reader.read(text)));
      for (let i = 0; i < texts.length; i += 1) if (i % 5 !== 0) reader.read(texts[i] as string);
      const changed = probes.filter((text, i) => JSON.stringify(reader.read(text)) !== before[i]);
      expect(changed).toEqual([]);
    },
    120_000,
  );
});
