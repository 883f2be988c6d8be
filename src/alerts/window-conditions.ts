/**
 * Conditions of the window rules, evaluated on a schedule (src/alerts/evaluate.ts) rather than per
 * mention: volume spikes and drops, silent sources, sentiment drops and emerging negative themes.
 * Every field has a default, so `{}` is a working rule of each kind.
 */
import { z } from 'zod';
import { SENSITIVITY } from './detect.ts';

/** Evaluations happen on this grid: a window ends on a multiple of it (re-runs within a step add nothing). */
export const EVALUATION_STEP_MINUTES = 5;

const Names = z.array(z.string().trim().min(1).max(100)).min(1).max(100);
const Name = z.string().trim().min(1).max(200);

const WindowFields = {
  /** The current window: the last this many minutes (a multiple of the evaluation step). */
  windowMinutes: z.number().int().min(5).max(1440).multipleOf(EVALUATION_STEP_MINUTES).default(60),
  /** The baseline: the same-size windows over this many days before the current one. */
  baselineDays: z.number().int().min(1).max(28).default(7),
  /**
   * Windows the baseline needs before the rule may fire (warm-up). Default: a day's worth of
   * windows, at least 3 and at most the baseline's (see `warmupPoints`).
   */
  minPoints: z
    .number()
    .int()
    .min(2)
    .max(28 * 288)
    .optional(),
};

/** How far from the baseline fires: a preset or k itself (k standard deviations). */
const Sensitivity = z
  .union([z.enum(Object.keys(SENSITIVITY) as [keyof typeof SENSITIVITY]), z.number().min(0.5).max(10)])
  .default('medium');

/** Which mentions count (all of the brand's by default); the same filters as the analytics. */
const Filters = {
  sourceKinds: Names.optional(),
  touchpoint: Name.optional(),
  theme: Name.optional(),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/, 'a lower-case language tag such as "en" or "pt-br"')
    .optional(),
};

/** Baseline windows of a rule: whole windows in its baseline days. */
export function baselineWindows(c: { windowMinutes: number; baselineDays: number }): number {
  return Math.floor((c.baselineDays * 1440) / c.windowMinutes);
}

/** The warm-up in windows: the rule's own, or a day's worth (at least 3, at most the baseline's). */
export function warmupPoints(c: { windowMinutes: number; baselineDays: number; minPoints?: number }): number {
  const windows = baselineWindows(c);
  return c.minPoints ?? Math.min(windows, Math.max(3, Math.round(1440 / c.windowMinutes)));
}

function checkWindows(
  c: { windowMinutes: number; baselineDays: number; minPoints?: number },
  ctx: z.RefinementCtx,
) {
  const windows = baselineWindows(c);
  if (windows < 3) {
    ctx.addIssue({
      code: 'custom',
      path: ['baselineDays'],
      message: `the baseline holds ${windows} window(s) of ${c.windowMinutes} minutes; it needs at least 3`,
    });
  } else if (c.minPoints !== undefined && c.minPoints > windows) {
    ctx.addIssue({
      code: 'custom',
      path: ['minPoints'],
      message: `at most ${windows}: the baseline holds ${windows} windows of ${c.windowMinutes} minutes`,
    });
  }
}

export const VolumeSpikeConditions = z
  .strictObject({
    ...WindowFields,
    ...Filters,
    sensitivity: Sensitivity,
    /** The window needs at least this many mentions to fire (a jump from 0 to 3 is not a spike). */
    minVolume: z.number().int().min(1).max(1_000_000).default(10),
  })
  .superRefine(checkWindows);
export type VolumeSpikeConditions = z.output<typeof VolumeSpikeConditions>;

export const VolumeDropConditions = z
  .strictObject({
    ...WindowFields,
    ...Filters,
    sensitivity: Sensitivity,
    /** The baseline's mean per window must be at least this (a drop from 3 to 0 is noise). */
    minBaselineVolume: z.number().min(1).max(1_000_000).default(10),
  })
  .superRefine(checkWindows);
export type VolumeDropConditions = z.output<typeof VolumeDropConditions>;

export const SentimentDropConditions = z
  .strictObject({
    ...WindowFields,
    ...Filters,
    sensitivity: Sensitivity,
    /**
     * negative_share: negative / scored mentions rises above its band; net_sentiment:
     * (positive − negative) / scored falls below its band.
     */
    measure: z.enum(['negative_share', 'net_sentiment']).default('negative_share'),
    /** Scored mentions the window needs (a share of 3 mentions says little). */
    minVolume: z.number().int().min(1).max(1_000_000).default(20),
    /** …and the move must be at least this large (0.1 = ten points of share). */
    minChange: z.number().min(0).max(2).default(0.1),
  })
  .superRefine(checkWindows);
export type SentimentDropConditions = z.output<typeof SentimentDropConditions>;

export const EmergingThemeConditions = z
  .strictObject({
    ...WindowFields,
    sourceKinds: Names.optional(),
    /** Only these themes (default: any). */
    themes: Names.optional(),
    /** Negative mentions of the theme in the window, against its baseline rate per window. */
    minRatio: z.number().min(1.1).max(1000).default(3),
    minCount: z.number().int().min(1).max(1_000_000).default(5),
    /** Source kinds on which the theme must rise (2: only what shows up in several places). */
    minSourceKinds: z.number().int().min(1).max(20).default(1),
  })
  .superRefine(checkWindows);
export type EmergingThemeConditions = z.output<typeof EmergingThemeConditions>;

export const SourceSilenceConditions = z.strictObject({
  /** Successful polls in a row that brought no new mention. */
  polls: z.number().int().min(1).max(10_000).default(12),
  /** The sources watched; default: the enabled sources assigned to the brand or that recently produced its mentions. */
  sourceIds: z.array(z.number().int().positive()).min(1).max(1000).optional(),
  /** "Recently" above, in days. */
  activeWithinDays: z.number().int().min(1).max(365).default(30),
});
export type SourceSilenceConditions = z.output<typeof SourceSilenceConditions>;

/** Conditions per window rule kind (merged into the rule API's validation). */
export const WINDOW_CONDITIONS = {
  volume_spike: VolumeSpikeConditions,
  volume_drop: VolumeDropConditions,
  source_silence: SourceSilenceConditions,
  sentiment_drop: SentimentDropConditions,
  emerging_theme: EmergingThemeConditions,
} as const satisfies Record<string, z.ZodType>;
export type WindowRuleKind = keyof typeof WINDOW_CONDITIONS;
export const WINDOW_RULE_KINDS = Object.keys(WINDOW_CONDITIONS) as [WindowRuleKind, ...WindowRuleKind[]];
