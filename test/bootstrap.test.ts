import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDeploymentModel, readVocabulary } from '../src/bootstrap.ts';
import { silentLogger } from '../src/logger.ts';
import { createAnalyzer } from '../src/nlp/analyzer.ts';

describe('deployment files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-bootstrap-'));

  it('applies a vocabulary file on top of the default', () => {
    const path = join(dir, 'vocabulary.json');
    writeFileSync(
      path,
      JSON.stringify({
        touchpoints: [
          { id: 'loyalty', label: 'Loyalty programme', terms: ['points balance', 'rewards card'] },
        ],
        intents: [{ id: 'churn', terms: ['porting my number'], extend: true }],
      }),
    );
    const vocabulary = readVocabulary(path);
    expect(vocabulary?.touchpoints.map((t) => t.id)).toContain('loyalty');
    const analyzer = createAnalyzer({ vocabulary });
    const result = analyzer.analyze('My points balance vanished, so I am porting my number elsewhere.');
    expect(result.touchpoints.map((t) => t.id)).toContain('loyalty');
    expect(result.intents.map((i) => i.id)).toContain('churn');
    expect(readVocabulary(undefined)).toBeUndefined();
  });

  it('refuses a broken vocabulary or model file with a message naming it', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"touchpoints": [{"id": "x"}]}');
    expect(() => readVocabulary(bad)).toThrow(/vocabulary file .*bad\.json/);
    writeFileSync(join(dir, 'model.json'), '{"version": 1}');
    expect(() => readDeploymentModel(join(dir, 'model.json'), silentLogger)).toThrow(/sentiment model/);
    expect(readDeploymentModel(join(dir, 'absent.json'), silentLogger)).toBeUndefined();
  });
});
