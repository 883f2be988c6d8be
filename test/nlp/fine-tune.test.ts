import { describe, expect, it } from 'vitest';
import { createAnalyzer, SHIPPED_MODEL } from '../../src/nlp/analyzer.ts';
import { fineTune } from '../../src/nlp/training/fine-tune.ts';

describe('fine-tuning on corrections', () => {
  // A deployment whose customers say "sick" and "wicked" to praise: the shipped model reads them as negative.
  const praise = [
    'this update is sick',
    'the new menu is sick',
    'sick delivery times honestly',
    'wicked fast checkout',
    'their support is wicked good',
    'sick app, sick team',
    'the redesign is sick',
    'wicked deals this week',
    'sick new colours',
    'wicked smooth login now',
  ];

  it('learns the corrections, measures them on held-back ones, and keeps the file loadable', () => {
    const before = createAnalyzer();
    const probe = 'the checkout is sick now';
    const beforeScore = before.analyze(probe).score ?? 0;
    const { file, report } = fineTune(
      SHIPPED_MODEL,
      [...praise, ...praise].map((text) => ({ text, label: 'positive' as const })),
    );
    expect(report).toMatchObject({ corrections: 20, usable: 20, heldBack: 4 });
    expect(report.after ?? 0).toBeGreaterThanOrEqual(report.before ?? 0);
    expect(file.trainedOn.at(-1)).toBe('corrections (20)');
    const after = createAnalyzer({ model: file });
    expect(after.analyze(probe).score ?? 0).toBeGreaterThan(beforeScore);
    // Unrelated texts keep their meaning.
    expect(after.analyze('Terrible service, the staff were rude.').label).toBe('negative');
  });

  it("reads corrections as ingest read them: a brand's name gets no weight", () => {
    const complaints = Array.from({ length: 10 }, (_, i) => ({
      text: `Zorblax support closed ticket ${i} without an answer`,
      label: 'negative' as const,
    }));
    const plain = fineTune(SHIPPED_MODEL, complaints).file;
    expect(plain.weights['w:zorblax']).toBeLessThan(0);
    const withBrand = fineTune(
      SHIPPED_MODEL,
      complaints.map((c) => ({ ...c, brandTerms: ['Zorblax'] })),
    ).file;
    expect(Object.keys(withBrand.weights).filter((key) => key.includes('zorblax'))).toEqual([]);
  });

  it('keeps proper names without weight: the names travel with the model and corrections do not weigh them', () => {
    const complaints = Array.from({ length: 10 }, (_, i) => ({
      text: `Support in Denver closed ticket ${i} without an answer`,
      label: 'negative' as const,
    }));
    const { file } = fineTune(SHIPPED_MODEL, complaints);
    expect(file.names).toEqual(SHIPPED_MODEL.names);
    expect(file.names).toContain('denver');
    expect(Object.keys(file.weights).filter((key) => key.includes('denver'))).toEqual([]);
  });

  it('ignores mixed labels and copes with no usable corrections', () => {
    const { file, report } = fineTune(SHIPPED_MODEL, [{ text: 'good and bad', label: 'mixed' }]);
    expect(report).toMatchObject({ corrections: 1, usable: 0, heldBack: 0, before: null, after: null });
    expect(Object.keys(file.weights).length).toBeGreaterThan(1000);
  });
});
