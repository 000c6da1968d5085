import { beforeEach, describe, expect, it } from 'vitest';
import type { CachedLink, LinkCache } from './link-cache.js';

/** A cache under test and the clock it reads (moved by the tests). */
export interface LinkCacheFixture {
  readonly cache: LinkCache;
  /** Moves the cache's clock forward. */
  advance(ms: number): void;
  /** The negative lifetime the cache was built with. */
  readonly negativeTtlMs: number;
}

function cached(code: string, url = `https://example.com/${code}`): CachedLink {
  return {
    id: `id-${code}`,
    code,
    url,
    redirectType: 302,
    expiresAt: null,
    maxClicks: null,
    passwordHash: null,
    ownerId: null,
    exhausted: false,
  };
}

/** A loader that counts its calls and answers from a map (null when absent). */
function loader(table: Map<string, CachedLink>) {
  const calls: string[] = [];
  const load = (code: string) => {
    calls.push(code);
    return Promise.resolve(table.get(code) ?? null);
  };
  return { calls, load };
}

/** The behaviour every `LinkCache` adapter must have. */
export function runLinkCacheContract(name: string, create: () => LinkCacheFixture): void {
  describe(`LinkCache contract: ${name}`, () => {
    let fixture: LinkCacheFixture;
    let cache: LinkCache;
    beforeEach(() => {
      fixture = create();
      cache = fixture.cache;
    });

    it('knows nothing at first', () => {
      expect(cache.peek('abc')).toBeUndefined();
    });

    it('remembers a loaded link, so the next lookup needs no load', async () => {
      const { calls, load } = loader(new Map([['abc', cached('abc')]]));
      expect(await cache.resolve('abc', load)).toEqual(cached('abc'));
      expect(cache.peek('abc')).toEqual(cached('abc'));
      expect(await cache.resolve('abc', load)).toEqual(cached('abc'));
      expect(calls).toEqual(['abc']);
    });

    it('remembers an unknown code for the negative lifetime only', async () => {
      const table = new Map<string, CachedLink>();
      const { calls, load } = loader(table);
      expect(await cache.resolve('nope', load)).toBeNull();
      expect(cache.peek('nope')).toBeNull();
      fixture.advance(fixture.negativeTtlMs - 1);
      expect(cache.peek('nope')).toBeNull();
      fixture.advance(2);
      expect(cache.peek('nope')).toBeUndefined();
      table.set('nope', cached('nope'));
      expect(await cache.resolve('nope', load)).toEqual(cached('nope'));
      expect(calls).toEqual(['nope', 'nope']);
    });

    it('shares one load between concurrent lookups of a code', async () => {
      const { calls, load } = loader(new Map([['abc', cached('abc')]]));
      const results = await Promise.all(
        Array.from({ length: 10 }, () => cache.resolve('abc', load)),
      );
      expect(results.every((r) => r?.code === 'abc')).toBe(true);
      expect(calls).toEqual(['abc']);
    });

    it('forgets a link and a negative entry on invalidation', async () => {
      const table = new Map([['abc', cached('abc')]]);
      const { load } = loader(table);
      await cache.resolve('abc', load);
      await cache.resolve('gone', load);
      await cache.invalidate('abc');
      await cache.invalidate('gone');
      expect(cache.peek('abc')).toBeUndefined();
      expect(cache.peek('gone')).toBeUndefined();
      table.set('abc', cached('abc', 'https://changed.example/'));
      expect((await cache.resolve('abc', load))?.url).toBe('https://changed.example/');
    });

    it('does not keep what a load read before an invalidation that overtook it', async () => {
      let release!: (link: CachedLink) => void;
      const slow = () => new Promise<CachedLink | null>((resolve) => (release = resolve));
      const pending = cache.resolve('abc', slow);
      await cache.invalidate('abc');
      release(cached('abc', 'https://stale.example/'));
      expect((await pending)?.url).toBe('https://stale.example/');
      expect(cache.peek('abc')).toBeUndefined();
    });

    it('passes a failed load on and remembers nothing', async () => {
      const failing = () => Promise.reject(new Error('database down'));
      await expect(cache.resolve('abc', failing)).rejects.toThrow('database down');
      expect(cache.peek('abc')).toBeUndefined();
      const { calls, load } = loader(new Map([['abc', cached('abc')]]));
      expect(await cache.resolve('abc', load)).not.toBeNull();
      expect(calls).toEqual(['abc']);
    });
  });
}
