import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisLocation } from '../../config.js';
import { runLinkCacheContract } from '../../domains/links/link-cache.contract.js';
import type { CachedLink } from '../../domains/links/link-cache.js';
import { createLogger } from '../../logger.js';
import {
  deleteRedisKeys,
  startPrivateRedis,
  uniqueClusterName,
  waitFor,
  type PrivateRedis,
} from '../../test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { closeRedis, duplicateRedis, openRedis, type RedisClient } from './redis-connection.js';
import { RedisLinkCache } from './redis-link-cache.js';

const logger = createLogger('silent');

function fakeClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
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

/** A "database" of links that counts its loads. */
function database(links: Record<string, CachedLink> = {}) {
  const table = new Map(Object.entries(links));
  const calls: string[] = [];
  return {
    table,
    calls,
    load: (code: string) => {
      calls.push(code);
      return Promise.resolve(table.get(code) ?? null);
    },
  };
}

/** One node's cache: its own two connections, as a node has. */
async function openNode(location: RedisLocation, prefix: string, negativeTtlMs = 5_000) {
  const options = { location, name: `test:${prefix}`, logger };
  const redis = await openRedis(options);
  const subscriber = await duplicateRedis(redis, options);
  const cache = new RedisLinkCache(redis, subscriber, {
    prefix,
    size: 100,
    negativeTtlMs,
    clock: { now: () => Date.now() },
    logger,
  });
  await cache.start();
  return {
    cache,
    redis,
    async close() {
      await cache.stop();
      await closeRedis(subscriber);
      await closeRedis(redis);
    },
  };
}

describe.skipIf(!(await servicesAvailable(['redis'])))(RedisLinkCache.name, () => {
  const run = uniqueClusterName();
  const location: RedisLocation = { kind: 'standalone', url: TEST_SERVICES.redis };
  let redis: RedisClient;
  let subscriber: RedisClient;
  let fixtures = 0;
  beforeAll(async () => {
    redis = await openRedis({ location, name: 'test', logger });
    subscriber = await duplicateRedis(redis, { location, name: 'test', logger });
  });
  afterAll(async () => {
    await closeRedis(subscriber);
    await closeRedis(redis);
    await deleteRedisKeys(run);
  });

  runLinkCacheContract('Redis behind the in-process LRU', () => {
    const clock = fakeClock();
    return {
      cache: new RedisLinkCache(redis, subscriber, {
        prefix: `${run}:${fixtures++}`,
        size: 100,
        negativeTtlMs: 5_000,
        clock,
        logger,
      }),
      advance: clock.advance,
      negativeTtlMs: 5_000,
    };
  });

  describe('across nodes', () => {
    const nodes: Array<Awaited<ReturnType<typeof openNode>>> = [];
    afterEach(async () => {
      for (const node of nodes.splice(0)) await node.close();
    });
    const twoNodes = async () => {
      const prefix = `${run}:${fixtures++}`;
      const a = await openNode(location, prefix);
      const b = await openNode(location, prefix);
      nodes.push(a, b);
      return { a: a.cache, b: b.cache, redis: a.redis, prefix };
    };

    it('serves a link one node loaded to the others from Redis, without the database', async () => {
      const { a, b } = await twoNodes();
      const db = database({ abc: cached('abc') });
      expect(await a.resolve('abc', db.load)).toEqual(cached('abc'));
      await waitFor(async () => (await b.resolve('abc', db.load)) !== null, 'served by B');
      expect(db.calls).toEqual(['abc']);
      expect(b.peek('abc')).toEqual(cached('abc'));
    });

    it("drops every node's in-process entry when one node invalidates, and measures how fast", async () => {
      const { a, b } = await twoNodes();
      const db = database({ abc: cached('abc') });
      const delays: number[] = [];
      for (let i = 0; i < 200; i++) {
        await a.resolve('abc', db.load);
        await b.resolve('abc', db.load);
        expect(b.peek('abc')).not.toBeUndefined();
        const started = performance.now();
        await a.invalidate('abc');
        // Polled on every turn of the event loop: the delay is the message's, not a timer's.
        while (b.peek('abc') !== undefined) {
          if (performance.now() - started > 5_000) throw new Error('B kept its entry');
          await new Promise((resolve) => setImmediate(resolve));
        }
        delays.push(performance.now() - started);
      }
      delays.sort((x, y) => x - y);
      const p50 = delays[Math.floor(delays.length * 0.5)]!;
      const p99 = delays[Math.floor(delays.length * 0.99)]!;
      console.info(
        `[measure] cross-node link invalidation over Redis pub/sub: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${delays.at(-1)!.toFixed(2)} ms (${delays.length} runs)`,
      );
      // The documented bound (docs/scaling.md) is one second; loopback takes about one ms.
      expect(p99).toBeLessThan(1_000);
    });

    it('never lets a load that read the database before a change put the old link back in Redis', async () => {
      const { a, b, redis: client, prefix } = await twoNodes();
      const db = database({ abc: cached('abc', 'https://old.example/') });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      // B reads the old link, then stalls before it can fill Redis.
      const slowLoad = async (code: string) => {
        const link = await db.load(code);
        await gate;
        return link;
      };
      const pending = b.resolve('abc', slowLoad);
      await waitFor(() => db.calls.length === 1, 'B read the database');
      db.table.set('abc', cached('abc', 'https://new.example/'));
      await a.invalidate('abc');
      release();
      expect((await pending)?.url).toBe('https://old.example/');
      // Give the fill its chance to (wrongly) land, then check Redis and both nodes.
      await client.ping();
      expect(await client.get(`${prefix}:link:{abc}`)).toBeNull();
      expect(b.peek('abc')).toBeUndefined();
      expect((await a.resolve('abc', db.load))?.url).toBe('https://new.example/');
      expect((await b.resolve('abc', db.load))?.url).toBe('https://new.example/');
    });

    it('forgets a negative entry everywhere when the code is created', async () => {
      const { a, b } = await twoNodes();
      const db = database();
      expect(await a.resolve('new', db.load)).toBeNull();
      expect(await b.resolve('new', db.load)).toBeNull();
      expect(b.peek('new')).toBeNull();
      db.table.set('new', cached('new'));
      await a.invalidate('new');
      await waitFor(() => b.peek('new') === undefined, 'B forgot the negative entry');
      expect(await b.resolve('new', db.load)).toEqual(cached('new'));
    });
  });

  describe('when Redis restarts', () => {
    let server: PrivateRedis;
    beforeAll(async () => {
      server = await startPrivateRedis();
    });
    afterAll(async () => {
      await server.close();
    });

    it('answers from the database while Redis is down, and catches up on what it missed', async () => {
      const privateLocation: RedisLocation = { kind: 'standalone', url: server.url };
      const prefix = uniqueClusterName();
      const a = await openNode(privateLocation, prefix);
      const b = await openNode(privateLocation, prefix);
      try {
        const db = database({ abc: cached('abc'), xyz: cached('xyz') });
        await a.cache.resolve('abc', db.load);
        await b.cache.resolve('abc', db.load);
        await b.cache.resolve('xyz', db.load);

        await server.kill();
        await waitFor(() => a.redis.status !== 'ready', 'A saw Redis go');
        // Lookups go on against the database, without waiting for Redis.
        const started = performance.now();
        expect(await a.cache.resolve('xyz', db.load)).toEqual(cached('xyz'));
        expect(performance.now() - started).toBeLessThan(500);
        // A change while Redis is down: A's invalidation waits for Redis, B missed it.
        db.table.set('xyz', cached('xyz', 'https://changed.example/'));
        await a.cache.invalidate('xyz');
        expect(a.cache.pendingInvalidations).toBe(1);
        expect(b.cache.peek('xyz')?.url).toBe('https://example.com/xyz');

        await server.restart();
        // B's subscription is back: it dropped what it may have missed.
        await waitFor(() => b.cache.peek('xyz') === undefined, 'B emptied its layer');
        await waitFor(() => a.cache.pendingInvalidations === 0, 'A sent its invalidation');
        expect((await b.cache.resolve('xyz', db.load))?.url).toBe('https://changed.example/');
        // Invalidations flow again.
        await b.cache.resolve('abc', db.load);
        await a.cache.invalidate('abc');
        await waitFor(() => b.cache.peek('abc') === undefined, 'B heard a new invalidation');
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
});
