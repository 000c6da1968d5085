import { describe, expect, it } from 'vitest';
import { newLinkId } from './link-ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(newLinkId.name, () => {
  it('makes UUIDv7 strings carrying the time, distinct across pool refills', () => {
    const now = Date.UTC(2030, 0, 1);
    const ids = Array.from({ length: 1000 }, () => newLinkId(now));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(1000);
    expect(parseInt(ids[0]!.replaceAll('-', '').slice(0, 12), 16)).toBe(now);
  });

  it('sorts by time across milliseconds', () => {
    const earlier = newLinkId(1_700_000_000_000);
    const later = newLinkId(1_700_000_000_001);
    expect(earlier < later).toBe(true);
  });
});
