import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe(backoffDelay.name, () => {
  it('doubles from the initial delay up to the cap', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 10, 50].map((attempt) =>
      backoffDelay(attempt, { initialDelayMs: 500, maxDelayMs: 10_000 }, () => 1),
    );
    expect(ceilings).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000]);
  });

  it('never waits less than half the ceiling', () => {
    expect(backoffDelay(3, { initialDelayMs: 500 }, () => 0)).toBe(2_000);
  });

  it('spreads delays between half and all of the ceiling', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(2, { initialDelayMs: 1_000 }));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(4_000);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });
});
