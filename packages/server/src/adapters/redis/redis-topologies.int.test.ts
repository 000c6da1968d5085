import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisLocation } from '../../config.js';
import { runPresenceStoreContract } from '../../domains/chat/presence-store.contract.js';
import { runLinkCacheContract } from '../../domains/links/link-cache.contract.js';
import type { CachedLink } from '../../domains/links/link-cache.js';
import { createLogger } from '../../logger.js';
import {
  startPrivateRedisCluster,
  startPrivateSentinel,
  waitFor,
  type PrivateRedisGroup,
} from '../../test-support/scale-out.js';
import { closeRedis, duplicateRedis, openRedis, type RedisClient } from './redis-connection.js';
import { RedisLinkCache } from './redis-link-cache.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { redisRateLimiters } from './redis-rate-limiter.js';

const logger = createLogger('silent');

function link(code: string): CachedLink {
  return {
    id: `id-${code}`,
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

describe('Redis through Sentinel', () => {
  let group: PrivateRedisGroup & { sentinel: { host: string; port: number }; name: string };
  beforeAll(async () => {
    group = await startPrivateSentinel();
  });
  afterAll(() => group.close());

  it('finds the master through the Sentinel and serves the adapters', async () => {
    const location: RedisLocation = {
      kind: 'sentinel',
      sentinels: [group.sentinel],
      name: group.name,
      password: undefined,
      tls: false,
    };
    const redis = await openRedis({ location, name: 'sentinel-test', logger });
    try {
      const store = new RedisPresenceStore(redis, {
        prefix: 's',
        nodeId: 'n',
        ttlMs: 5_000,
        logger,
      });
      expect(await store.connect('u', 'd', 'n.1')).toEqual({ cameOnline: true });
      expect(await store.routesOf(['d'])).toEqual(['n']);
      const limiter = redisRateLimiters(redis, 's')({ name: 'r', points: 1, durationSeconds: 60 });
      await limiter.consume('k');
      await expect(limiter.consume('k')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    } finally {
      await closeRedis(redis);
    }
  });
});

describe('Redis Cluster', () => {
  let group: PrivateRedisGroup & { nodes: ReadonlyArray<{ host: string; port: number }> };
  let location: RedisLocation;
  const clients: RedisClient[] = [];
  let fixtures = 0;
  const open = async (name: string) => {
    const client = await openRedis({ location, name, logger });
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    group = await startPrivateRedisCluster();
    location = { kind: 'cluster', nodes: group.nodes, password: undefined, tls: false };
  });
  afterAll(async () => {
    for (const client of clients) await closeRedis(client);
    await group.close();
  });

  // Each script's keys share a hash tag: on a Cluster they must land on one slot.
  runPresenceStoreContract(async () => {
    const redis = await open('presence');
    const store = new RedisPresenceStore(redis, {
      prefix: `p${fixtures++}`,
      nodeId: 'n',
      ttlMs: 30_000,
      logger,
    });
    return { store, dispose: () => store.stop() };
  });

  let shared: { redis: RedisClient; subscriber: RedisClient };
  beforeAll(async () => {
    const redis = await open('cache');
    shared = { redis, subscriber: await duplicateRedis(redis, { location, name: 'sub', logger }) };
    clients.push(shared.subscriber);
  });
  runLinkCacheContract('on a Redis Cluster', () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    return {
      cache: new RedisLinkCache(shared.redis, shared.subscriber, {
        prefix: `c${fixtures++}`,
        size: 100,
        negativeTtlMs: 5_000,
        clock,
        logger,
      }),
      advance: (ms: number) => (now += ms),
      negativeTtlMs: 5_000,
    };
  });

  it('carries invalidations between nodes and limits across nodes', async () => {
    const nodes = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const redis = await open(name);
        const subscriber = await duplicateRedis(redis, { location, name: `${name}-sub`, logger });
        clients.push(subscriber);
        const cache = new RedisLinkCache(redis, subscriber, {
          prefix: 'x',
          size: 10,
          negativeTtlMs: 1_000,
          clock: { now: () => Date.now() },
          logger,
        });
        await cache.start();
        return { redis, cache };
      }),
    );
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const load = (code: string) => Promise.resolve(link(code));
    for (const code of ['abc', 'xyz', 'k1', 'k2']) {
      await a.cache.resolve(code, load);
      await b.cache.resolve(code, load);
      await a.cache.invalidate(code);
      await waitFor(() => b.cache.peek(code) === undefined, `B forgot ${code}`);
    }
    const rule = { name: 'r', points: 3, durationSeconds: 60 };
    const onA = redisRateLimiters(a.redis, 'x')(rule);
    const onB = redisRateLimiters(b.redis, 'x')(rule);
    await onA.consume('key');
    await onB.consume('key');
    await onA.consume('key');
    await expect(onB.consume('key')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    for (const node of nodes) await node.cache.stop();
  });
});
