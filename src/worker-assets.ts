/**
 * The static files of the dashboard and of the API reference, written out as Cloudflare Workers
 * static assets at the paths the app serves them under (`/dashboard/assets/…`, `/api/docs/…`):
 * Workers have no file system to read them from, and in the script bundle they would not fit its
 * size limit. wrangler.toml runs this as its build step (`[build]`) and serves the directory
 * (`[assets]`); requests for these paths are answered from there without reaching the worker.
 *
 *   node --import tsx src/worker-assets.ts <directory>
 *
 * Each file is written to a temporary name, then renamed, so that two builds at once (a `wrangler
 * dev` and a `wrangler deploy`) never leave a half-written file; files no longer listed are removed.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ASSET_PREFIX, DASHBOARD_ASSETS } from './dashboard/assets.ts';
import { DOCS_ASSETS } from './routes/docs.ts';
import { readStaticAsset } from './static.ts';

/**
 * Where the app serves each list of files (src/app.ts mounts the API reference at /api/docs), with
 * the caching it answers them with on Node (src/dashboard/index.ts, src/routes/docs.ts).
 */
const SERVED = [
  { prefix: ASSET_PREFIX, names: DASHBOARD_ASSETS, cacheControl: 'public, max-age=300' },
  // Asked for with their package's version in the URL: a new version is a new URL.
  { prefix: '/api/docs/', names: DOCS_ASSETS, cacheControl: 'public, max-age=31536000, immutable' },
] as const;

/** Headers for these files (Workers static assets read `_headers`). */
const HEADERS_FILE = SERVED.map(
  ({ prefix, cacheControl }) =>
    `${prefix}*\n  X-Content-Type-Options: nosniff\n  Cache-Control: ${cacheControl}\n`,
).join('');

async function writeAtomically(path: string, body: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, body);
  await rename(temporary, path);
}

export async function writeWorkerAssets(directory: string): Promise<number> {
  let written = 0;
  for (const { prefix, names } of SERVED) {
    const folder = join(directory, ...prefix.split('/').filter(Boolean));
    await mkdir(folder, { recursive: true });
    for (const name of names) {
      const asset = readStaticAsset(name);
      if (!asset) throw new Error(`${name} is not a static asset of src/static.ts`);
      await writeAtomically(join(folder, name), (await asset).body);
      written++;
    }
    const listed = new Set<string>(names);
    for (const entry of await readdir(folder)) {
      if (!listed.has(entry) && !entry.endsWith('.tmp')) await rm(join(folder, entry), { force: true });
    }
  }
  await writeAtomically(join(directory, '_headers'), HEADERS_FILE);
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const directory = process.argv[2];
  if (!directory) {
    process.stderr.write('usage: node --import tsx src/worker-assets.ts <directory>\n');
    process.exit(2);
  }
  const written = await writeWorkerAssets(resolve(directory));
  process.stderr.write(`earshot: ${written} static files written to ${directory} for Workers\n`);
}
