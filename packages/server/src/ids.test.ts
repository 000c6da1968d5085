import { describe, expect, it } from 'vitest';
import { newId } from './ids.js';

describe(newId.name, () => {
  it('makes RFC 9562 version 7 UUIDs', () => {
    expect(newId()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('sorts by creation time', () => {
    const ids = [newId(1_000), newId(2_000), newId(1_700_000_000_000), newId(1_800_000_000_000)];
    expect([...ids].sort()).toEqual(ids);
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId(42)));
    expect(ids.size).toBe(10_000);
  });
});
