import { describe, expect, it } from 'vitest';
import { partition, sample, shuffle } from './sampling.js';

/** A repeatable random source (a linear congruential generator). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe(shuffle.name, () => {
  it('keeps every item exactly once and leaves the input alone', () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const shuffled = shuffle(items, seeded(1));
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(items[0]).toBe(0);
  });

  it('puts each item in each position about equally often', () => {
    const counts = [0, 0, 0, 0];
    const random = seeded(7);
    for (let i = 0; i < 8000; i++) counts[shuffle([0, 1, 2, 3], random).indexOf(0)]!++;
    for (const count of counts) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });
});

describe(sample.name, () => {
  it('picks distinct items, all of them when asked for more', () => {
    const picked = sample(['a', 'b', 'c', 'd', 'e'], 3, seeded(3));
    expect(new Set(picked).size).toBe(3);
    expect(sample(['a', 'b'], 5).sort()).toEqual(['a', 'b']);
  });
});

describe(partition.name, () => {
  it('gives every item to exactly one part, sizes within one of each other', () => {
    const items = Array.from({ length: 100_003 }, (_, i) => i);
    const parts = partition(items, 64);
    expect(parts).toHaveLength(64);
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(parts.flat().sort((a, b) => a - b)).toEqual(items);
  });

  it('refuses to leave a part empty', () => {
    expect(() => partition([1, 2], 3)).toThrow(/non-empty/);
    expect(() => partition([1], 0)).toThrow(/invalid part count/);
  });
});
