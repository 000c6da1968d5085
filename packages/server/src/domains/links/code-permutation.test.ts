import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODE_SPACE, encodeBase62 } from './base62.js';
import { createCodePermutation } from './code-permutation.js';

const secret = Buffer.alloc(32, 7);
const permutation = createCodePermutation(secret);
const id = fc.integer({ min: 0, max: CODE_SPACE - 1 });

describe(createCodePermutation.name, () => {
  it('maps every id into the code space and back to itself', () => {
    fc.assert(
      fc.property(id, (n) => {
        const value = permutation.permute(n);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThan(CODE_SPACE);
        expect(permutation.invert(value)).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('never maps two distinct ids to the same value', () => {
    fc.assert(
      fc.property(fc.uniqueArray(id, { minLength: 2, maxLength: 200 }), (ids) => {
        const values = new Set(ids.map((n) => permutation.permute(n)));
        expect(values.size).toBe(ids.length);
      }),
      { numRuns: 50 },
    );
  });

  it('permutes a list together exactly as one id at a time', () => {
    fc.assert(
      fc.property(fc.array(id, { maxLength: 100 }), (ids) => {
        expect(permutation.permuteMany(ids)).toEqual(ids.map((n) => permutation.permute(n)));
      }),
      { numRuns: 100 },
    );
    // A domain where some values walk the cycle several times before they land.
    const small = createCodePermutation(randomBytes(32), 600);
    const all = Array.from({ length: small.domain }, (_, n) => n);
    expect(small.permuteMany(all)).toEqual(all.map((n) => small.permute(n)));
    expect(() => permutation.permuteMany([0, CODE_SPACE])).toThrow(RangeError);
  });

  it('is a bijection on a whole small domain, including the cycle-walked part', () => {
    // 62^2 values: 12 bits, so about 7% of the network's outputs fall outside and walk.
    const small = createCodePermutation(randomBytes(32), 62 ** 2);
    const seen = new Set<number>();
    for (let n = 0; n < small.domain; n++) {
      const value = small.permute(n);
      expect(value).toBeLessThan(small.domain);
      expect(small.invert(value)).toBe(n);
      seen.add(value);
    }
    expect(seen.size).toBe(small.domain);
  });

  it('gives unrelated codes to consecutive ids', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: CODE_SPACE - 2 }), (n) => {
        const a = encodeBase62(permutation.permute(n));
        const b = encodeBase62(permutation.permute(n + 1));
        // Two random 7-character codes agree in 7/62 positions on average; five or
        // more agreeing positions happen with probability ~2e-8.
        const same = [...a].filter((char, i) => char === b[i]).length;
        expect(same).toBeLessThanOrEqual(4);
        // Neither the values nor their difference follow the ids.
        expect(Math.abs(permutation.permute(n + 1) - permutation.permute(n))).not.toBe(1);
      }),
      { numRuns: 2000 },
    );
  });

  it('spreads a run of consecutive ids evenly over every character position', () => {
    const start = 1_000;
    const count = 62 * 200;
    const counts = Array.from({ length: 7 }, () => new Map<string, number>());
    for (let n = start; n < start + count; n++) {
      const code = encodeBase62(permutation.permute(n));
      for (let i = 0; i < 7; i++) counts[i]!.set(code[i]!, (counts[i]!.get(code[i]!) ?? 0) + 1);
    }
    // The first character only reaches 62 values over the whole space; a sequential
    // scheme would put all 12,400 codes on one or two first characters.
    for (const position of counts) {
      const expected = count / 62;
      const chiSquare = [...position.values()].reduce(
        (sum, observed) => sum + (observed - expected) ** 2 / expected,
        (62 - position.size) * expected,
      );
      // 61 degrees of freedom: p = 0.0001 at about 112.
      expect(chiSquare).toBeLessThan(112);
    }
  });

  it('depends on the secret', () => {
    const other = createCodePermutation(Buffer.alloc(32, 8));
    const ids = Array.from({ length: 100 }, (_, i) => i);
    const differing = ids.filter((n) => other.permute(n) !== permutation.permute(n));
    expect(differing.length).toBeGreaterThan(95);
  });

  it('refuses ids outside the domain and short secrets', () => {
    expect(() => permutation.permute(CODE_SPACE)).toThrow(RangeError);
    expect(() => permutation.permute(-1)).toThrow(RangeError);
    expect(() => permutation.invert(CODE_SPACE)).toThrow(RangeError);
    expect(() => createCodePermutation(Buffer.alloc(16))).toThrow(RangeError);
  });
});
