/**
 * The config file (`earshot.config.json`): brands and sources declared up front, applied at start.
 * Applying is idempotent: entries are matched by name, created or updated; nothing is deleted (remove
 * a brand or source through the API).
 */
import { z } from 'zod';
import { ChannelInput, upsertChannel } from '../alerts/channels-catalog.ts';
import { RuleInput, upsertRule } from '../alerts/rules.ts';
import type { Deps } from '../deps.ts';
import { parseInput } from '../errors.ts';
import { BrandInput, upsertBrand } from './brands.ts';
import { SourceInput, upsertSource } from './sources.ts';

export const ConfigFile = z.strictObject({
  $schema: z.string().optional(),
  brands: z.array(BrandInput).default([]),
  sources: z.array(SourceInput).default([]),
  /** Where alerts go (webhooks, Slack), by name. */
  channels: z.array(ChannelInput).default([]),
  /** Alert rules; brands and channels by name. */
  alertRules: z.array(RuleInput).default([]),
});
export type ConfigFile = z.input<typeof ConfigFile>;

export async function applyConfig({
  deps,
  input,
}: {
  deps: Deps;
  input: unknown;
}): Promise<{ brands: number; sources: number; channels: number; alertRules: number }> {
  const config = parseInput(ConfigFile, input, 'config file');
  await deps.db.transaction().execute(async (tx) => {
    const txDeps = { ...deps, db: tx };
    // Brands first, then their competitor panels, which may name brands declared later in the file.
    for (const brand of config.brands) await upsertBrand({ deps: txDeps, input: brand, competitors: false });
    for (const brand of config.brands) {
      if (brand.competitors !== undefined) await upsertBrand({ deps: txDeps, input: brand });
    }
    for (const source of config.sources) await upsertSource({ deps: txDeps, input: source });
    for (const channel of config.channels) await upsertChannel({ deps: txDeps, input: channel });
    for (const rule of config.alertRules) await upsertRule({ deps: txDeps, input: rule });
  });
  return {
    brands: config.brands.length,
    sources: config.sources.length,
    channels: config.channels.length,
    alertRules: config.alertRules.length,
  };
}
