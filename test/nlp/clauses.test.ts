import { describe, expect, it } from 'vitest';
import { contrastClauses } from '../../src/nlp/features.ts';
import { createReader } from '../../src/nlp/read.ts';

const reader = createReader();
/** The clauses of a one-sentence text, as text. */
function clauses(text: string): string[] {
  const read = reader.read(text);
  const sentence = read.sentences[0]!;
  return contrastClauses(read, sentence.first, sentence.last).map(([first, last]) =>
    text.slice(read.starts[first], read.ends[last]),
  );
}

describe('contrastClauses', () => {
  it('splits before a contrast word inside a sentence', () => {
    expect(clauses('The screen is great but the battery died')).toEqual([
      'The screen is great',
      'but the battery died',
    ]);
    expect(clauses('Fast delivery, however the box was crushed and the manual missing')).toEqual([
      'Fast delivery,',
      'however the box was crushed and the manual missing',
    ]);
  });

  it('ends a leading "although" clause at its comma', () => {
    expect(clauses('Although the camera is excellent, the battery life is awful.')).toEqual([
      'Although the camera is excellent,',
      'the battery life is awful.',
    ]);
  });

  it('leaves a sentence whole without a contrast, or with one at its very start or end', () => {
    expect(clauses('The battery died after two days.')).toEqual(['The battery died after two days.']);
    expect(clauses('But the battery died.')).toEqual(['But the battery died.']);
    expect(clauses('Great price though')).toEqual(['Great price though']);
    expect(clauses('Although it works')).toEqual(['Although it works']);
  });
});
