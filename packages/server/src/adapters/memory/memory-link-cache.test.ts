import { describe, expect, it } from 'vitest';
import { runLinkCacheContract } from '../../domains/links/link-cache.contract.js';
import type { CachedLink } from '../../domains/links/link-cache.js';
import { MemoryLinkCache } from './memory-link-cache.js';

function fakeClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

runLinkCacheContract('memory', () => {
  const clock = fakeClock();
  return {
    cache: new MemoryLinkCache({ size: 100, negativeTtlMs: 5_000, clock }),
    advance: clock.advance,
    negativeTtlMs: 5_000,
  };
});

function cached(code: string): CachedLink {
  return {
    id: code,
    code,
    url: `https://example.com/${code}`,
    redirectType: 302,
    expiresAt: null,
    maxClicks: null,
    passwordHash: null,
    ownerId: null,
    exhausted: false,
  };
}

describe(MemoryLinkCache.name, () => {
  it('evicts the least recently used link beyond its size', async () => {
    const cache = new MemoryLinkCache({ size: 2, negativeTtlMs: 1000, clock: fakeClock() });
    const load = (code: string) => Promise.resolve(cached(code));
    await cache.resolve('a', load);
    await cache.resolve('b', load);
    cache.peek('a');
    await cache.resolve('c', load);
    expect(cache.peek('a')).not.toBeUndefined();
    expect(cache.peek('b')).toBeUndefined();
  });

  it('keeps popular links when a scan of unknown codes fills the negative entries', async () => {
    const cache = new MemoryLinkCache({ size: 8, negativeTtlMs: 60_000, clock: fakeClock() });
    await cache.resolve('hot', (code) => Promise.resolve(cached(code)));
    for (let i = 0; i < 100; i++) await cache.resolve(`scan${i}`, () => Promise.resolve(null));
    expect(cache.peek('hot')?.code).toBe('hot');
  });

  it('caches nothing with a size of 0, yet still answers', async () => {
    const cache = new MemoryLinkCache({ size: 0, negativeTtlMs: 1000, clock: fakeClock() });
    let loads = 0;
    const load = (code: string) => {
      loads++;
      return Promise.resolve(cached(code));
    };
    expect((await cache.resolve('a', load))?.code).toBe('a');
    expect(cache.peek('a')).toBeUndefined();
    await cache.resolve('a', load);
    expect(loads).toBe(2);
  });

  it('keeps no negative entries with a negative lifetime of 0', async () => {
    const cache = new MemoryLinkCache({ size: 10, negativeTtlMs: 0, clock: fakeClock() });
    await cache.resolve('none', () => Promise.resolve(null));
    expect(cache.peek('none')).toBeUndefined();
  });
});
