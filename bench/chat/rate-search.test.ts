import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATE_SEARCH,
  bestStep,
  nextRate,
  stepFailure,
  type RateStep,
} from './rate-search.js';

const options = DEFAULT_RATE_SEARCH;

/** A server that delivers everything up to `capacity` with a low p99, and no more. */
function serverWithCapacity(capacity: number) {
  return (offered: number): RateStep => ({
    offered,
    delivered: Math.min(offered, capacity),
    p99: offered <= capacity ? 5 : 400,
    lost: 0,
    duplicates: 0,
    reordered: 0,
    errors: {},
  });
}

function search(run: (offered: number) => RateStep): RateStep[] {
  const steps: RateStep[] = [];
  for (let rate = nextRate(steps, options); rate !== null; rate = nextRate(steps, options)) {
    steps.push(run(rate));
  }
  return steps;
}

describe(stepFailure.name, () => {
  const step = {
    offered: 1000,
    delivered: 990,
    p99: 12,
    lost: 0,
    duplicates: 0,
    reordered: 0,
    errors: {},
  };

  it('holds when nearly everything offered arrived in time', () => {
    expect(stepFailure(step, options)).toBeNull();
  });

  it('names what broke: errors, loss, duplicates, throughput or latency', () => {
    expect(stepFailure({ ...step, errors: { RATE_LIMITED: 4 } }, options)).toBe(
      'errors RATE_LIMITED ×4',
    );
    expect(stepFailure({ ...step, lost: 3 }, options)).toBe('3 lost');
    expect(stepFailure({ ...step, duplicates: 1 }, options)).toBe('1 duplicates');
    expect(stepFailure({ ...step, reordered: 2 }, options)).toBe('2 out of order');
    expect(stepFailure({ ...step, delivered: 900 }, options)).toBe('delivered 90% of offered');
    expect(stepFailure({ ...step, p99: 51 }, options)).toBe('p99 over 50 ms');
  });
});

describe(nextRate.name, () => {
  it('grows geometrically while the server keeps up', () => {
    const holding = serverWithCapacity(1e9);
    expect(nextRate([], options)).toBe(2000);
    expect(nextRate([holding(2000)], options)).toBe(3000);
    expect(nextRate([holding(2000), holding(3000)], options)).toBe(4500);
  });

  it('bisects between the last rate that held and the first that did not', () => {
    const server = serverWithCapacity(5000);
    expect(nextRate([server(2000), server(3000), server(4500), server(6750)], options)).toBe(
      Math.round(Math.sqrt(4500 * 6750)),
    );
  });

  it('finds the capacity within the resolution and reports the best step', () => {
    for (const capacity of [1_234, 5_000, 21_000, 37_000]) {
      const steps = search(serverWithCapacity(capacity));
      const best = bestStep(steps, options)!;
      expect(best.delivered).toBeLessThanOrEqual(capacity);
      expect(best.delivered).toBeGreaterThan(capacity / options.resolution);
      expect(steps.length).toBeLessThanOrEqual(options.maxSteps);
    }
  });

  it('comes down below the start for a slow server, and stops at the floor', () => {
    expect(search(serverWithCapacity(700)).map((s) => s.offered)).toContain(500);
    const dead = search(() => ({
      offered: 0,
      delivered: 0,
      p99: 0,
      lost: 1,
      duplicates: 0,
      reordered: 0,
      errors: {},
    }));
    expect(bestStep(dead, options)).toBeNull();
    expect(dead.length).toBeLessThanOrEqual(options.maxSteps);
  });

  it('stops after the step budget whatever happens', () => {
    const steps = Array.from({ length: options.maxSteps }, (_, i) =>
      serverWithCapacity(1e9)(1000 * (i + 1)),
    );
    expect(nextRate(steps, options)).toBeNull();
  });
});
