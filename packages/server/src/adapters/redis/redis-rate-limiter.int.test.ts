import { AppError } from '@switchboard/shared';
import { afterAll, describe, expect, it } from 'vitest';
import type { RedisLocation } from '../../config.js';
import { createLogger } from '../../logger.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import {
  deleteRedisKeys,
  startPrivateRedis,
  uniqueClusterName,
  waitFor,
} from '../../test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { closeRedis, openRedis } from './redis-connection.js';
import { redisRateLimiters } from './redis-rate-limiter.js';

const logger = createLogger('silent');

/** How many of `tries` consumptions a limiter lets through. */
async function allowed(limiter: RateLimiter, key: string, tries: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < tries; i++) {
    try {
      await limiter.consume(key);
      ok++;
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('RATE_LIMITED');
    }
  }
  return ok;
}

describe.skipIf(!(await servicesAvailable(['redis'])))(redisRateLimiters.name, () => {
  const run = uniqueClusterName();
  afterAll(() => deleteRedisKeys(run));

  it('spends one budget per key from every node', async () => {
    const location: RedisLocation = { kind: 'standalone', url: TEST_SERVICES.redis };
    const a = await openRedis({ location, name: 'a', logger });
    const b = await openRedis({ location, name: 'b', logger });
    try {
      const rule = { name: 'login', points: 5, durationSeconds: 60 };
      const onA = redisRateLimiters(a, run)(rule);
      const onB = redisRateLimiters(b, run)(rule);
      expect(await allowed(onA, 'alice', 3)).toBe(3);
      expect(await allowed(onB, 'alice', 3)).toBe(2);
      expect(await allowed(onA, 'alice', 1)).toBe(0);
      expect(await allowed(onB, 'bob', 1)).toBe(1);
      await onA.reset('alice');
      expect(await allowed(onB, 'alice', 1)).toBe(1);
    } finally {
      await closeRedis(a);
      await closeRedis(b);
    }
  });

  it('counts in each node alone while Redis is down, and shares again once it is back', async () => {
    const server = await startPrivateRedis();
    const redis = await openRedis({
      location: { kind: 'standalone', url: server.url },
      name: 'x',
      logger,
    });
    try {
      const limiter = redisRateLimiters(
        redis,
        run,
      )({ name: 'api', points: 3, durationSeconds: 60 });
      expect(await allowed(limiter, 'k', 1)).toBe(1);
      await server.kill();
      await waitFor(() => redis.status !== 'ready', 'connection lost');
      // Neither open nor closed: the node's own in-memory budget applies, promptly.
      const started = performance.now();
      expect(await allowed(limiter, 'k', 5)).toBe(3);
      expect(performance.now() - started).toBeLessThan(1_000);
      await server.restart();
      await waitFor(() => redis.status === 'ready', 'connection back', 15_000);
      // Redis came back empty: the shared budget starts over.
      expect(await allowed(limiter, 'k', 5)).toBe(3);
      expect(await redis.exists(`${run}:rate:api:k`)).toBe(1);
    } finally {
      await closeRedis(redis);
      await server.close();
    }
  });
});
