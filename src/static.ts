/**
 * Static files the app serves from npm packages (Swagger UI for /api/docs, uPlot for the dashboard),
 * so nothing comes from a CDN and every page works offline. Only the names listed here can be asked
 * for: a request never names a path. Each file is read once, with node:fs from its package's
 * directory, and kept in memory. A runtime without a file system (Workers) swaps this module.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import packageJson from '../package.json' with { type: 'json' };

const require = createRequire(import.meta.url);

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** A file of an npm package, or one of the dashboard's own files (src/dashboard/assets/). */
type Entry = { pkg: string; file: string; type: string } | { own: string; type: string };

const STATIC_ASSETS = {
  'swagger-ui.css': { pkg: 'swagger-ui-dist', file: 'swagger-ui.css', type: CSS },
  'swagger-ui-bundle.js': { pkg: 'swagger-ui-dist', file: 'swagger-ui-bundle.js', type: JS },
  'favicon-32x32.png': { pkg: 'swagger-ui-dist', file: 'favicon-32x32.png', type: 'image/png' },
  'uPlot.iife.min.js': { pkg: 'uplot', file: 'dist/uPlot.iife.min.js', type: JS },
  'uPlot.min.css': { pkg: 'uplot', file: 'dist/uPlot.min.css', type: CSS },
  'dashboard.css': { own: 'dashboard.css', type: CSS },
  'dashboard.js': { own: 'dashboard.js', type: JS },
  'api.js': { own: 'api.js', type: JS },
  'charts.js': { own: 'charts.js', type: JS },
  'mentions.js': { own: 'mentions.js', type: JS },
  'alerts.js': { own: 'alerts.js', type: JS },
  'favicon.svg': { own: 'favicon.svg', type: 'image/svg+xml' },
} as const satisfies Record<string, Entry>;

const pathOf = (entry: Entry): string =>
  'own' in entry
    ? fileURLToPath(new URL(`./dashboard/assets/${entry.own}`, import.meta.url))
    : join(packageInfo(entry.pkg).dir, entry.file);

export type StaticAssetName = keyof typeof STATIC_ASSETS;

export type StaticAsset = {
  body: Uint8Array<ArrayBuffer>;
  /** The Content-Type to answer with. */
  type: string;
};

export function isStaticAssetName(name: string): name is StaticAssetName {
  return Object.hasOwn(STATIC_ASSETS, name);
}

/** The package's directory and version, from its package.json as Node resolves it from here. */
function packageInfo(pkg: string): { dir: string; version: string } {
  const manifest = require.resolve(`${pkg}/package.json`);
  return { dir: dirname(manifest), version: (require(manifest) as { version: string }).version };
}

const cache = new Map<StaticAssetName, Promise<StaticAsset>>();

/** The version of the package a listed asset comes from: for URLs that change when it does. */
export function staticAssetVersion(name: StaticAssetName): string {
  const entry: Entry = STATIC_ASSETS[name];
  // The dashboard's own files change with earshot's version.
  return 'pkg' in entry ? packageInfo(entry.pkg).version : packageJson.version;
}

/** The bytes and content type of a listed asset; undefined for any other name. */
export function readStaticAsset(name: string): Promise<StaticAsset> | undefined {
  if (!isStaticAssetName(name)) return undefined;
  let asset = cache.get(name);
  if (!asset) {
    const entry: Entry = STATIC_ASSETS[name];
    asset = readFile(pathOf(entry)).then((bytes) => ({ body: Uint8Array.from(bytes), type: entry.type }));
    // A failed read (a broken install) is tried again on the next request rather than kept.
    asset.catch(() => cache.delete(name));
    cache.set(name, asset);
  }
  return asset;
}
