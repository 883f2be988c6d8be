import { describe, expect, it } from 'vitest';
import { isStaticAssetName, readStaticAsset, staticAssetVersion } from '../src/static.ts';

describe('static assets', () => {
  it('reads a listed asset from its package once', async () => {
    const first = readStaticAsset('uPlot.min.css');
    expect(first).toBeDefined();
    const asset = await first;
    expect(asset?.type).toBe('text/css; charset=utf-8');
    expect(new TextDecoder().decode(asset?.body).length).toBeGreaterThan(100);
    expect(readStaticAsset('uPlot.min.css'), 'kept in memory').toBe(first);
    expect(staticAssetVersion('swagger-ui.css')).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('knows nothing but its list: no paths, no prototype names', () => {
    for (const name of [
      '../package.json',
      'swagger-ui-dist/package.json',
      'index.html',
      'toString',
      '__proto__',
    ]) {
      expect(isStaticAssetName(name), name).toBe(false);
      expect(readStaticAsset(name), name).toBeUndefined();
    }
  });
});
