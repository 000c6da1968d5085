import { AppError } from '@switchboard/shared';

/** A named budget: `points` actions per `durationSeconds` per key. */
export interface RateLimitRule {
  /** Unique per budget; becomes part of the storage key. */
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
}

/** Counts actions per key against one budget. */
export interface RateLimiter {
  /**
   * Spends `points` (default 1) of `key`'s budget, or throws `RATE_LIMITED` with the
   * seconds until enough is free again.
   */
  consume(key: string, points?: number): Promise<void>;
  /** Forgets `key`'s spending (after a successful login, say). */
  reset(key: string): Promise<void>;
}

/** Builds limiters for rules; in-process by default, shared through Redis in a cluster. */
export type RateLimiterFactory = (rule: RateLimitRule) => RateLimiter;

/** What rate-limiter-flexible rejects with once a budget is spent. */
interface Rejection {
  msBeforeNext: number;
}

function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && 'msBeforeNext' in value;
}

/** The shape shared by rate-limiter-flexible's memory and Redis limiters. */
export interface FlexibleLimiter {
  consume(key: string, points?: number): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

/** Wraps a rate-limiter-flexible limiter in the `RateLimiter` port. */
export function fromFlexible(limiter: FlexibleLimiter): RateLimiter {
  return {
    async consume(key, points = 1) {
      try {
        await limiter.consume(key, points);
      } catch (error) {
        if (isRejection(error)) {
          throw new AppError('RATE_LIMITED', 'Too many requests; try again later.', {
            retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
          });
        }
        throw error;
      }
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}
