/**
 * Finding the highest 1:1 message rate a server sustains: offer a rate for a few
 * seconds, see whether it was delivered within the latency objective, and grow the rate
 * geometrically until it is not; then bisect (in log space) between the last rate that
 * held and the first that did not, down to a set resolution.
 */

/** One offered rate and what came of it. */
export interface RateStep {
  /** Messages per second offered (sent on the clock). */
  readonly offered: number;
  /** Messages per second received by peers during the measured window. */
  readonly delivered: number;
  /** End-to-end p99 in ms of messages sent in the window. */
  readonly p99: number;
  /** Messages never received, even after the drain. */
  readonly lost: number;
  readonly duplicates: number;
  /** Received after a later message from the same sender: the order was broken. */
  readonly reordered: number;
  /** Error frames received (rate limits, refusals...), by code. */
  readonly errors: Readonly<Record<string, number>>;
}

/** How the search runs and what a step must achieve to count as sustained. */
export interface RateSearchOptions {
  readonly start: number;
  /** Factor between successive rates while every step holds. */
  readonly growth: number;
  /** Share of the offered rate that must be delivered in the window. */
  readonly minDeliveredRatio: number;
  readonly p99MaxMs: number;
  /** Stop bisecting once the failing rate is within this factor of the holding one. */
  readonly resolution: number;
  readonly maxSteps: number;
  /** Never offer less than this. */
  readonly floor: number;
}

/** The search the chat benchmark runs: from 2,000/s, ×1.5, p99 ≤ 50 ms, within 10%. */
export const DEFAULT_RATE_SEARCH: RateSearchOptions = {
  start: 2000,
  growth: 1.5,
  minDeliveredRatio: 0.95,
  p99MaxMs: 50,
  resolution: 1.1,
  maxSteps: 12,
  floor: 100,
};

/** Why a step did not hold, or null when it did. */
export function stepFailure(step: RateStep, options: RateSearchOptions): string | null {
  const errors = Object.entries(step.errors);
  if (errors.length > 0) return `errors ${errors.map(([code, n]) => `${code} ×${n}`).join(', ')}`;
  if (step.lost > 0) return `${step.lost} lost`;
  if (step.duplicates > 0) return `${step.duplicates} duplicates`;
  if (step.reordered > 0) return `${step.reordered} out of order`;
  if (step.delivered < options.minDeliveredRatio * step.offered) {
    return `delivered ${Math.round((100 * step.delivered) / step.offered)}% of offered`;
  }
  if (step.p99 > options.p99MaxMs) return `p99 over ${options.p99MaxMs} ms`;
  return null;
}

/** The next rate to offer, or null when the search is over. */
export function nextRate(steps: readonly RateStep[], options: RateSearchOptions): number | null {
  if (steps.length === 0) return options.start;
  if (steps.length >= options.maxSteps) return null;
  const holds = (s: RateStep) => stepFailure(s, options) === null;
  const failing = steps.filter((s) => !holds(s)).map((s) => s.offered);
  if (failing.length === 0) {
    return Math.round(Math.max(...steps.map((s) => s.offered)) * options.growth);
  }
  const hi = Math.min(...failing);
  const below = steps.filter((s) => holds(s) && s.offered < hi).map((s) => s.offered);
  if (below.length === 0) {
    const lower = Math.round(hi / 2);
    return lower < options.floor ? null : lower;
  }
  const lo = Math.max(...below);
  if (hi / lo <= options.resolution) return null;
  return Math.round(Math.sqrt(lo * hi));
}

/** The step that held at the highest delivered rate, or null when none did. */
export function bestStep(steps: readonly RateStep[], options: RateSearchOptions): RateStep | null {
  let best: RateStep | null = null;
  for (const step of steps) {
    if (stepFailure(step, options) !== null) continue;
    if (best === null || step.delivered > best.delivered) best = step;
  }
  return best;
}
