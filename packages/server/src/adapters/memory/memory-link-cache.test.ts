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

  it('resolveNow remembers what a synchronous load read, a link or an unknown code', () => {
    const clock = fakeClock();
    const cache = new MemoryLinkCache({ size: 10, negativeTtlMs: 1000, clock });
    const loads: string[] = [];
    const load = (code: string) => {
      loads.push(code);
      return code === 'none' ? null : cached(code);
    };
    expect(cache.resolveNow('a', load)?.code).toBe('a');
    expect(cache.resolveNow('a', load)?.code).toBe('a');
    expect(cache.peek('a')?.code).toBe('a');
    expect(cache.resolveNow('none', load)).toBeNull();
    expect(cache.peek('none')).toBeNull();
    expect(loads).toEqual(['a', 'none']);
    clock.advance(1001);
    expect(cache.peek('none')).toBeUndefined();
  });

  it('resolveNow passes a throw of its load on and remembers nothing', async () => {
    const cache = new MemoryLinkCache({ size: 10, negativeTtlMs: 1000, clock: fakeClock() });
    expect(() =>
      cache.resolveNow('a', () => {
        throw new Error('database down');
      }),
    ).toThrow('database down');
    expect(cache.peek('a')).toBeUndefined();
    await cache.invalidate('a');
    expect(cache.resolveNow('a', (code) => cached(code))?.code).toBe('a');
  });

  it('resolveNow answers a link an invalidation dropped from the store afresh', async () => {
    const cache = new MemoryLinkCache({ size: 10, negativeTtlMs: 1000, clock: fakeClock() });
    cache.resolveNow('a', (code) => cached(code));
    await cache.invalidate('a');
    expect(cache.resolveNow('a', () => null)).toBeNull();
    expect(cache.peek('a')).toBeNull();
  });
});
