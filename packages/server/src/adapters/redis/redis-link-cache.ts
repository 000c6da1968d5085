import type { Clock } from '../../clock.js';
import type { CachedLink, LinkCache } from '../../domains/links/link-cache.js';
import type { Logger } from '../../logger.js';
import { MemoryLinkCache } from '../memory/memory-link-cache.js';
import { RedisScript, type RedisClient } from './redis-connection.js';

/** Sizes and lifetimes of the two layers. */
export interface RedisLinkCacheOptions {
  /** Prefix of the keys and of the invalidation channel (`CLUSTER_NAME`). */
  readonly prefix: string;
  /** Entries of the in-process layer (LINK_CACHE_SIZE); 0 turns both layers off. */
  readonly size: number;
  /** How long an unknown code is remembered as unknown, in both layers. */
  readonly negativeTtlMs: number;
  /** How long a link stays in Redis without being asked for. */
  readonly redisTtlMs?: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Links stay in Redis a day after they were last loaded from the database. */
const REDIS_TTL_MS = 24 * 60 * 60 * 1000;
/** A code's generation outlives any load that could race with its invalidation. */
const GENERATION_TTL_MS = 24 * 60 * 60 * 1000;
/** How often invalidations that failed are tried again while Redis does not answer. */
const RETRY_MS = 1_000;
/** Redis's stand-in for "no such code" (a negative entry), followed by its end in ms. */
const UNKNOWN = 'unknown:';

/**
 * Stores a loaded answer only if no invalidation happened since the loader read the
 * generation, so that a node that read the database before another node changed a
 * link can never put the old link back in Redis after the change's invalidation.
 */
const FILL = new RedisScript(
  `if (redis.call('GET', KEYS[2]) or '') == ARGV[1] then
     redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
     return 1
   end
   return 0`,
  2,
);

/** Bumps the generation and drops the entry, in one step. */
const INVALIDATE = new RedisScript(
  `redis.call('INCR', KEYS[2])
   redis.call('PEXPIRE', KEYS[2], ARGV[1])
   redis.call('DEL', KEYS[1])
   return 1`,
  2,
);

/**
 * The link cache of a cluster: each node's in-process LRU (so that a hot redirect
 * never leaves the process) in front of Redis, which every node shares (so that a
 * link loaded by one node is one round trip away for the others), in front of the
 * database.
 *
 * A change invalidates the entry in Redis and publishes the code on a channel every
 * node listens to; each node then drops its own entry. A node whose subscription
 * broke may have missed invalidations, so it empties its in-process layer when the
 * subscription comes back. When Redis cannot answer, lookups go to the database and
 * invalidations are retried until they reach it (docs/scaling.md).
 */
export class RedisLinkCache implements LinkCache {
  #local: MemoryLinkCache;
  readonly #channel: string;
  readonly #redisTtlMs: number;
  /** Codes whose invalidation has not reached Redis yet. */
  readonly #unsent = new Set<string>();
  #retrying: Promise<void> | null = null;
  #subscribed = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly options: RedisLinkCacheOptions,
  ) {
    this.#local = this.#newLocal();
    this.#channel = `${options.prefix}:link-invalidations`;
    this.#redisTtlMs = options.redisTtlMs ?? REDIS_TTL_MS;
    subscriber.on('message', this.#onMessage);
    subscriber.on('ready', this.#onSubscriberReady);
    redis.on('ready', this.#onReady);
  }

  /** Subscribes to the invalidation channel; resolves once every node's changes reach this one. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.#channel);
    this.#subscribed = true;
  }

  /** Stops listening and retrying (the connections belong to the caller). */
  async stop(): Promise<void> {
    this.subscriber.off('message', this.#onMessage);
    this.subscriber.off('ready', this.#onSubscriberReady);
    this.redis.off('ready', this.#onReady);
    this.#subscribed = false;
    await this.subscriber.unsubscribe(this.#channel).catch(() => undefined);
  }

  peek(code: string): CachedLink | null | undefined {
    return this.#local.peek(code);
  }

  resolve(
    code: string,
    load: (code: string) => Promise<CachedLink | null>,
  ): Promise<CachedLink | null> {
    return this.#local.resolve(code, (c) => this.#throughRedis(c, load));
  }

  async invalidate(code: string): Promise<void> {
    await this.#local.invalidate(code);
    if (this.options.size === 0) return;
    try {
      await this.#send(code);
    } catch (error) {
      // The change is committed: never fail it for the cache. Other nodes that lost
      // Redis too empty their layer when it comes back; the rest get this later.
      this.options.logger.warn(
        { err: error, code },
        'link cache: invalidation did not reach Redis; retrying when it answers',
      );
      this.#unsent.add(code);
      this.#scheduleRetry(RETRY_MS);
    }
  }

  /** Codes waiting for Redis to come back (for tests and metrics). */
  get pendingInvalidations(): number {
    return this.#unsent.size;
  }

  #keys(code: string): [string, string] {
    // One hash tag for both keys, so that the scripts run on one Redis Cluster slot.
    return [`${this.options.prefix}:link:{${code}}`, `${this.options.prefix}:link-gen:{${code}}`];
  }

  async #send(code: string): Promise<void> {
    await INVALIDATE.run(this.redis, this.#keys(code), [GENERATION_TTL_MS]);
    await this.redis.publish(this.#channel, code);
  }

  async #throughRedis(
    code: string,
    load: (code: string) => Promise<CachedLink | null>,
  ): Promise<CachedLink | null> {
    if (this.options.size === 0) return load(code);
    const keys = this.#keys(code);
    let cached: [string | null, string | null];
    try {
      cached = (await this.redis.mget(keys[0], keys[1])) as [string | null, string | null];
    } catch {
      // Redis is down or slow: the database answers alone.
      return load(code);
    }
    const [value, generation] = cached;
    if (value !== null) {
      if (value.startsWith(UNKNOWN)) {
        // Negative entries end by the service clock, as in the in-process layer.
        const until = Number(value.slice(UNKNOWN.length));
        if (this.options.clock.now() < until) return null;
      } else {
        try {
          return JSON.parse(value) as CachedLink;
        } catch {
          // Not ours or damaged: load it again and overwrite.
        }
      }
    }
    const link = await load(code);
    const { negativeTtlMs } = this.options;
    if (link !== null || negativeTtlMs > 0) {
      FILL.run(this.redis, keys, [
        generation ?? '',
        link === null
          ? `${UNKNOWN}${this.options.clock.now() + negativeTtlMs}`
          : JSON.stringify(link),
        link === null ? negativeTtlMs : this.#redisTtlMs,
      ]).catch(() => undefined);
    }
    return link;
  }

  #newLocal(): MemoryLinkCache {
    return new MemoryLinkCache({
      size: this.options.size,
      negativeTtlMs: this.options.negativeTtlMs,
      clock: this.options.clock,
    });
  }

  readonly #onMessage = (channel: string, code: string): void => {
    if (channel === this.#channel) void this.#local.invalidate(code);
  };

  readonly #onSubscriberReady = (): void => {
    if (!this.#subscribed) return;
    // Back after a break: what changed meanwhile was not heard. Once subscribed again
    // (ioredis subscribes on its own too; this answer says it is done), forget every
    // entry, so that nothing read before the break outlives a change made during it.
    this.subscriber
      .subscribe(this.#channel)
      .then(() => {
        this.#local = this.#newLocal();
      })
      .catch(() => undefined);
  };

  readonly #onReady = (): void => {
    this.#scheduleRetry(0);
  };

  #scheduleRetry(delayMs: number): void {
    if (this.#unsent.size === 0 || this.#retrying !== null) return;
    this.#retrying = new Promise<void>((resolve) => {
      setTimeout(resolve, delayMs).unref();
    })
      .then(() => this.#retry())
      .finally(() => {
        this.#retrying = null;
        if (this.#unsent.size > 0 && this.#subscribed) this.#scheduleRetry(RETRY_MS);
      });
  }

  async #retry(): Promise<void> {
    for (const code of [...this.#unsent]) {
      try {
        await this.#send(code);
        this.#unsent.delete(code);
      } catch {
        return;
      }
    }
  }
}
