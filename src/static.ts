/**
 * Static files the app serves from npm packages (Swagger UI for /api/docs, uPlot for the dashboard),
 * so nothing comes from a CDN and every page works offline. Only the names listed here can be asked
 * for: a request never names a path. Each file is read once, with node:fs from its package's
 * directory, and kept in memory. A runtime without a file system (Workers) serves the same files
 * from its static assets (src/worker-assets.ts writes them) and never reads them through here: so
 * nothing here touches the file system or Node's module resolution before a file is asked for.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import swaggerUiPackage from 'swagger-ui-dist/package.json' with { type: 'json' };
import uplotPackage from 'uplot/package.json' with { type: 'json' };
import packageJson from '../package.json' with { type: 'json' };

/** The versions of the packages files are served from, as bundled (no resolution at run time). */
const PACKAGE_VERSIONS = {
  'swagger-ui-dist': swaggerUiPackage.version,
  uplot: uplotPackage.version,
} as const;
type Package = keyof typeof PACKAGE_VERSIONS;

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** A file of an npm package, or one of the dashboard's own files (src/dashboard/assets/). */
type Entry = { pkg: Package; file: string; type: string } | { own: string; type: string };

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
    : join(packageDir(entry.pkg), entry.file);

export type StaticAssetName = keyof typeof STATIC_ASSETS;

export type StaticAsset = {
  body: Uint8Array<ArrayBuffer>;
  /** The Content-Type to answer with. */
  type: string;
};

export function isStaticAssetName(name: string): name is StaticAssetName {
  return Object.hasOwn(STATIC_ASSETS, name);
}

/** The package's directory, as Node resolves it from here. */
function packageDir(pkg: Package): string {
  return dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
}

const cache = new Map<StaticAssetName, Promise<StaticAsset>>();

/** The version of the package a listed asset comes from: for URLs that change when it does. */
export function staticAssetVersion(name: StaticAssetName): string {
  const entry: Entry = STATIC_ASSETS[name];
  // The dashboard's own files change with earshot's version.
  return 'pkg' in entry ? PACKAGE_VERSIONS[entry.pkg] : packageJson.version;
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
