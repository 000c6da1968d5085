import { BASE62_ALPHABET, CODE_PATTERN } from '@switchboard/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODE_SPACE, decodeBase62, encodeBase62 } from './base62.js';

describe(encodeBase62.name, () => {
  it('gives exactly seven characters of the alphabet for every value of the code space', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: CODE_SPACE - 1 }), (value) => {
        expect(encodeBase62(value)).toMatch(CODE_PATTERN);
      }),
    );
  });

  it('pads small values and uses the alphabet order', () => {
    expect(encodeBase62(0)).toBe('0000000');
    expect(encodeBase62(61)).toBe('000000z');
    expect(encodeBase62(62)).toBe('0000010');
    expect(encodeBase62(CODE_SPACE - 1)).toBe('zzzzzzz');
    expect(BASE62_ALPHABET).toHaveLength(62);
  });

  it('refuses values that do not fit', () => {
    expect(() => encodeBase62(CODE_SPACE)).toThrow(RangeError);
    expect(() => encodeBase62(-1)).toThrow(RangeError);
    expect(() => encodeBase62(1.5)).toThrow(RangeError);
  });

  it('round-trips through decodeBase62', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: CODE_SPACE - 1 }), (value) => {
        expect(decodeBase62(encodeBase62(value))).toBe(value);
      }),
    );
  });

  it('preserves order, so sorting codes sorts values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: CODE_SPACE - 1 }),
        fc.integer({ min: 0, max: CODE_SPACE - 1 }),
        (a, b) => {
          const [ca, cb] = [encodeBase62(a), encodeBase62(b)];
          expect(Math.sign(a - b)).toBe(ca < cb ? -1 : ca > cb ? 1 : 0);
        },
      ),
    );
  });
});

describe(decodeBase62.name, () => {
  it('refuses characters outside the alphabet', () => {
    expect(() => decodeBase62('abc-def')).toThrow(RangeError);
    expect(() => decodeBase62('abcdéf0')).toThrow(RangeError);
    expect(() => decodeBase62('')).toThrow(RangeError);
  });
});
