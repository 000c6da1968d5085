import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { fromFlexible, type RateLimiterFactory } from '../../rate-limit/rate-limiter.js';
import type { RedisClient } from './redis-connection.js';

/**
 * Rate limits counted in Redis, so that every node spends from one budget per key.
 * While Redis does not answer, each node counts alone in memory (the limiter's
 * insurance): a budget may then be spent once per node, which is better than refusing
 * every login or letting everything through (docs/scaling.md).
 */
export function redisRateLimiters(redis: RedisClient, prefix: string): RateLimiterFactory {
  return (rule) =>
    fromFlexible(
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}:rate:${rule.name}`,
        points: rule.points,
        duration: rule.durationSeconds,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({
          keyPrefix: rule.name,
          points: rule.points,
          duration: rule.durationSeconds,
        }),
      }),
    );
}
