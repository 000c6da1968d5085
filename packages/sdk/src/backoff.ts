/** How the client waits between reconnection attempts. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms (default 500). */
  readonly initialDelayMs?: number;
  /** The longest delay, in ms (default 30 000). */
  readonly maxDelayMs?: number;
  /** Growth per failed attempt (default 2). */
  readonly factor?: number;
}

/** The defaults of `BackoffOptions`. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
};

/**
 * The delay before retry number `attempt` (0 for the first): exponential, capped, with
 * "equal jitter" (half fixed, half random) so that a thousand clients dropped by the
 * same restart do not all come back in the same millisecond, yet none retries at once.
 *
 * @example
 * backoffDelay(3, { initialDelayMs: 500, maxDelayMs: 30_000 }); // between 2000 and 4000
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialDelayMs, maxDelayMs, factor } = { ...DEFAULT_BACKOFF, ...options };
  const ceiling = Math.min(maxDelayMs, initialDelayMs * factor ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
