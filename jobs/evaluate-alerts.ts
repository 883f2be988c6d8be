import { type EvaluationReport, evaluateWindowRules } from '../src/alerts/evaluate.ts';
import type { Deps } from '../src/deps.ts';

/**
 * Evaluates the window rules (spikes, drops, silent sources, sentiment drops, emerging themes) at
 * the clock's time. Idempotent: windows end on a 5-minute step, and a window fires at most once.
 */
export function evaluateAlerts(deps: Deps): Promise<EvaluationReport> {
  return evaluateWindowRules({ deps, input: {} });
}
