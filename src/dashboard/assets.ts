/**
 * The dashboard's static files: its own CSS and client modules (src/dashboard/assets/) and uPlot,
 * read through src/static.ts. Only the names listed here are served under the dashboard's prefix; any
 * other name is a 404, so no request can name a path.
 */
import { readStaticAsset, type StaticAsset, type StaticAssetName } from '../static.ts';

/** The URL prefix the dashboard serves these under. */
export const ASSET_PREFIX = '/dashboard/assets/';

export const DASHBOARD_ASSETS = [
  'dashboard.css',
  'dashboard.js',
  'api.js',
  'charts.js',
  'mentions.js',
  'alerts.js',
  'favicon.svg',
  'uPlot.iife.min.js',
  'uPlot.min.css',
] as const satisfies readonly StaticAssetName[];
export type AssetName = (typeof DASHBOARD_ASSETS)[number];

/** The asset's bytes and content type, or undefined for a name not on the list. */
export function readAsset(name: string): Promise<StaticAsset> | undefined {
  return (DASHBOARD_ASSETS as readonly string[]).includes(name) ? readStaticAsset(name) : undefined;
}

export function assetUrl(name: AssetName): string {
  return `${ASSET_PREFIX}${name}`;
}
