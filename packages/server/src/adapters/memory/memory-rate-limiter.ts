import { RateLimiterMemory } from 'rate-limiter-flexible';
import { fromFlexible, type RateLimiterFactory } from '../../rate-limit/rate-limiter.js';

/** Rate limits counted in this process: right for one node. */
export const memoryRateLimiters: RateLimiterFactory = (rule) =>
  fromFlexible(
    new RateLimiterMemory({
      keyPrefix: rule.name,
      points: rule.points,
      duration: rule.durationSeconds,
    }),
  );
