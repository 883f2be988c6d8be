import { describe, expect, it } from 'vitest';
import { scoreStream } from '../../src/cli/score.ts';
import { testAnalyzer } from '../helpers/deps.ts';
import { runCli } from '../helpers/run-cli.ts';

async function* linesOf(text: string) {
  for (const line of text.split('\n')) yield line;
}

describe('earshot score', () => {
  it('answers every line in input order, with an error line for bad ones', async () => {
    const input = [
      JSON.stringify({ id: 'a', text: 'I love this product, it is wonderful.' }),
      'this is not json',
      JSON.stringify({ id: 7, text: 'Worst support ever. Awful.' }),
      JSON.stringify({ id: 'no-text' }),
      '',
      JSON.stringify({ id: 'r', text: 'It came on Monday.', rating: 1 }),
      JSON.stringify({ id: 'bad-rating', text: 'x', rating: 11 }),
      JSON.stringify([1, 2]),
    ].join('\n');
    const out: string[] = [];
    const summary = await scoreStream(testAnalyzer(), linesOf(input), (chunk) => {
      out.push(chunk);
    });
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['a', null, 7, 'no-text', 'r', 'bad-rating', null]);
    expect(lines[0].sentiment.label).toBe('positive');
    expect(lines[2].sentiment.label).toBe('negative');
    expect(lines[4].sentiment.label).toBe('negative');
    expect(lines[1].error.code).toBe('invalid_json');
    expect(lines[1].line).toBe(2);
    expect(lines[3].error.code).toBe('invalid_input');
    expect(lines[5].error.message).toContain('rating');
    expect(Array.isArray(lines[0].themes)).toBe(true);
    expect(summary).toEqual({ lines: 8, scored: 3, errors: 4 });
  });

  it('takes the brands a text is about, whose names are no sentiment about them', async () => {
    const text = 'Flew United to Denver on Tuesday. The seat was fine.';
    const input = [
      JSON.stringify({ id: 'plain', text }),
      JSON.stringify({ id: 'brand', text, brandTerms: ['United'] }),
      JSON.stringify({ id: 'other', text: text.replace('United', 'Delta'), brandTerms: ['Delta'] }),
      JSON.stringify({ id: 'bad', text, brandTerms: [''] }),
    ].join('\n');
    const out: string[] = [];
    await scoreStream(testAnalyzer(), linesOf(input), (chunk) => {
      out.push(chunk);
    });
    const [plain, brand, other, bad] = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // VADER rates "united" +1.8: scored as a word, the airline's name leans the text positive.
    expect(brand.sentiment.score).toBeLessThan(plain.sentiment.score);
    expect(other.sentiment).toEqual(brand.sentiment);
    expect(bad.error.code).toBe('invalid_input');
  });

  it('runs as `earshot score` from the bin, streaming JSON lines', async () => {
    const input = `${Array.from({ length: 600 }, (_, i) => JSON.stringify({ id: i, text: i % 2 ? 'great' : 'awful' })).join('\n')}\n`;
    const { code, stdout, stderr } = await runCli(['score'], { stdin: input });
    expect(code, stderr).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(600);
    expect(lines.map((l) => l.id)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(lines[0].sentiment).toEqual({ score: expect.any(Number), label: 'negative' });
    expect(lines[1].sentiment.label).toBe('positive');
  });

  it('prints usage and exits 2 for an unknown command', async () => {
    const { code, stderr } = await runCli(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain('usage: earshot');
  });
});
