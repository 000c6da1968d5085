import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from './clock.js';
import type { ClusterConfig } from './config.js';
import type { ReadinessCheck } from './deps.js';
import type { ChatBus } from './domains/chat/chat-bus.js';
import type { FanoutQueue } from './domains/chat/fanout-queue.js';
import type { PresenceStore } from './domains/chat/presence-store.js';
import type { ClickStore } from './domains/links/click-store.js';
import type { LinkCache } from './domains/links/link-cache.js';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import type { Logger } from './logger.js';
import type { RateLimiterFactory } from './rate-limit/rate-limiter.js';
import { NatsChatBus } from './adapters/nats/nats-chat-bus.js';
import {
  NatsClickStore,
  NatsClickWriter,
  prepareClickStream,
} from './adapters/nats/nats-click-stream.js';
import { closeNats, openNats } from './adapters/nats/nats-connection.js';
import { NatsDeviceChanges, type DeviceChangeHub } from './adapters/nats/nats-device-changes.js';
import { NatsFanoutQueue } from './adapters/nats/nats-fanout-queue.js';
import {
  closeRedis,
  describeLocation,
  duplicateRedis,
  openRedis,
  type RedisClient,
} from './adapters/redis/redis-connection.js';
import { RedisLinkCache } from './adapters/redis/redis-link-cache.js';
import { RedisPresenceStore } from './adapters/redis/redis-presence-store.js';
import { redisRateLimiters } from './adapters/redis/redis-rate-limiter.js';
import type { KyselyLinkClickStore } from './adapters/sql/kysely-link-click-store.js';

/** How long a readiness check waits for Redis or NATS. */
const READY_TIMEOUT_MS = 2_000;

/**
 * The engines the nodes of a cluster share (Redis, NATS), opened once per node, and
 * the adapters built on them, for the domain modules to pick instead of the
 * in-process ones. Loaded with `await import(...)` only when the configuration names
 * a cluster, so that the embedded default never loads ioredis or the NATS client.
 */
export interface ScaleOut {
  /** This node's name in the routing table and on NATS. */
  readonly nodeId: string;
  /** Rate limits every node spends from together. */
  readonly rateLimiters: RateLimiterFactory;
  /** `/readyz` checks of Redis and NATS. */
  readonly readiness: readonly ReadinessCheck[];
  /** The link cache: this node's LRU in front of Redis, invalidated on every node. */
  linkCache(options: { size: number; negativeTtlMs: number; clock: Clock }): Promise<LinkCache>;
  /**
   * The click store: flushes go to the click stream, and this node's writer (one of
   * the cluster's) writes the stream to the database through `database`.
   */
  clickStore(database: KyselyLinkClickStore, db: Kysely<Database>): Promise<ClickStore>;
  /** Presence and the routing table in Redis (one per node). */
  presenceStore(): PresenceStore;
  /** Node-to-node delivery on NATS, routed through the presence store. */
  chatBus(): Promise<ChatBus>;
  /** The group fan-out queue on JetStream. */
  fanoutQueue(logger: Logger): Promise<FanoutQueue>;
  /** Shares a device directory's changes with every other node. */
  shareDeviceChanges(hub: DeviceChangeHub): Promise<void>;
  /** Flushes what waits for NATS, stops every adapter, closes the connections. */
  close(): Promise<void>;
}

/** Connects to Redis and NATS; fails with a sentence naming what did not answer. */
export async function openScaleOut(
  config: ClusterConfig,
  logger: Logger,
  metrics: Registry,
): Promise<ScaleOut> {
  const log = logger.child({ node: config.nodeId });
  const base = `${config.name}:${config.nodeId}`;
  const redisOptions = { location: config.redis, name: `${base}:main`, logger: log };
  const redis = await openRedis(redisOptions);
  let nats: NatsConnection;
  try {
    nats = await openNats({ location: config.nats, name: base, logger: log });
  } catch (error) {
    await closeRedis(redis);
    throw error;
  }
  log.info(
    { cluster: config.name, redis: describeLocation(config.redis), nats: config.nats.servers },
    `joined cluster ${config.name} as node ${config.nodeId}`,
  );
  const engines = new ScaleOutEngines(config, log, redis, nats, redisOptions);
  engines.registerMetrics(metrics);
  return engines;
}

class ScaleOutEngines implements ScaleOut {
  readonly nodeId: string;
  readonly rateLimiters: RateLimiterFactory;
  readonly readiness: readonly ReadinessCheck[];
  readonly #streamOptions: { prefix: string; logger: Logger; replicas: number };
  #presence: RedisPresenceStore | null = null;
  #subscriber: Promise<RedisClient> | null = null;
  /** Stopped in this order at close: what publishes before what it publishes through. */
  readonly #clickStores: NatsClickStore[] = [];
  readonly #clickWriters: NatsClickWriter[] = [];
  readonly #linkCaches: RedisLinkCache[] = [];
  readonly #stoppers: Array<() => Promise<void> | void> = [];

  constructor(
    private readonly config: ClusterConfig,
    private readonly logger: Logger,
    private readonly redis: RedisClient,
    private readonly nats: NatsConnection,
    private readonly redisOptions: Parameters<typeof duplicateRedis>[1],
  ) {
    this.nodeId = config.nodeId;
    this.rateLimiters = redisRateLimiters(redis, config.name);
    this.#streamOptions = { prefix: config.name, logger, replicas: config.natsReplicas };
    this.readiness = [
      {
        name: 'redis',
        check: () =>
          withTimeout(
            redis.ping().then(() => undefined),
            'Redis',
          ),
      },
      {
        name: 'nats',
        check: () => {
          if (nats.isClosed()) return Promise.reject(new Error('NATS connection closed'));
          return withTimeout(
            nats.rtt().then(() => undefined),
            'NATS',
          );
        },
      },
    ];
  }

  async linkCache(options: {
    size: number;
    negativeTtlMs: number;
    clock: Clock;
  }): Promise<LinkCache> {
    this.#subscriber ??= duplicateRedis(this.redis, {
      ...this.redisOptions,
      name: `${this.config.name}:${this.nodeId}:subscriber`,
    });
    const cache = new RedisLinkCache(this.redis, await this.#subscriber, {
      prefix: this.config.name,
      logger: this.logger,
      ...options,
    });
    await cache.start();
    this.#linkCaches.push(cache);
    this.#stoppers.push(() => cache.stop());
    return cache;
  }

  async clickStore(database: KyselyLinkClickStore, db: Kysely<Database>): Promise<ClickStore> {
    await prepareClickStream(this.nats, this.#streamOptions);
    const store = new NatsClickStore(this.nats, database, this.#streamOptions);
    const writer = new NatsClickWriter(this.nats, db, database, this.#streamOptions);
    writer.start();
    this.#clickStores.push(store);
    this.#clickWriters.push(writer);
    return store;
  }

  presenceStore(): PresenceStore {
    return this.#presenceStore();
  }

  async chatBus(): Promise<ChatBus> {
    const presence = this.#presenceStore();
    const bus = new NatsChatBus(this.nats, {
      prefix: this.config.name,
      nodeId: this.nodeId,
      routes: (deviceIds) => presence.routesOf(deviceIds),
      logger: this.logger,
    });
    await bus.start();
    this.#stoppers.push(() => bus.stop());
    return bus;
  }

  async fanoutQueue(logger: Logger): Promise<FanoutQueue> {
    const options = { ...this.#streamOptions, logger };
    await NatsFanoutQueue.prepare(this.nats, options);
    return new NatsFanoutQueue(this.nats, options);
  }

  async shareDeviceChanges(hub: DeviceChangeHub): Promise<void> {
    const changes = new NatsDeviceChanges(this.nats, {
      prefix: this.config.name,
      nodeId: this.nodeId,
      logger: this.logger,
    });
    await changes.share(hub);
    this.#stoppers.push(() => changes.stop());
  }

  async close(): Promise<void> {
    // Clicks buffered for NATS go out before anything else stops.
    for (const store of this.#clickStores) await store.close();
    for (const writer of this.#clickWriters) await writer.stop();
    for (const stop of this.#stoppers.reverse()) {
      try {
        await stop();
      } catch (error) {
        this.logger.warn({ err: error }, 'scale-out: an adapter failed to stop');
      }
    }
    await this.#presence?.stop();
    await closeNats(this.nats);
    const subscriber = await this.#subscriber?.catch(() => null);
    if (subscriber != null) await closeRedis(subscriber);
    await closeRedis(this.redis);
  }

  /** What an operator watches: work waiting for an engine, this node's share of the cluster. */
  registerMetrics(registry: Registry): void {
    const registers = [registry];
    const stores = this.#clickStores;
    const writers = this.#clickWriters;
    const caches = this.#linkCaches;
    new Gauge({
      name: 'cluster_click_batches_unsent',
      help: 'Click batches waiting for NATS to take them',
      registers,
      collect() {
        this.set(stores.reduce((n, s) => n + s.unsent, 0));
      },
    });
    new Counter({
      name: 'cluster_click_batches_written_total',
      help: 'Click batches from the stream written to the database by this node, by outcome',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        this.reset();
        this.inc(
          { outcome: 'written' },
          writers.reduce((n, w) => n + w.written, 0),
        );
        this.inc(
          { outcome: 'duplicate' },
          writers.reduce((n, w) => n + w.duplicates, 0),
        );
      },
    });
    new Gauge({
      name: 'cluster_link_invalidations_unsent',
      help: 'Link cache invalidations waiting for Redis to answer',
      registers,
      collect() {
        this.set(caches.reduce((n, c) => n + c.pendingInvalidations, 0));
      },
    });
    const presence = () => this.#presence;
    new Gauge({
      name: 'cluster_presence_registrations',
      help: 'Sockets of this node registered (and refreshed) in Redis',
      registers,
      collect() {
        this.set(presence()?.localCount ?? 0);
      },
    });
  }

  #presenceStore(): RedisPresenceStore {
    if (this.#presence === null) {
      this.#presence = new RedisPresenceStore(this.redis, {
        prefix: this.config.name,
        nodeId: this.nodeId,
        ttlMs: this.config.presenceTtlMs,
        logger: this.logger,
      });
      this.#presence.start();
    }
    return this.#presence;
  }
}

function withTimeout(check: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    check,
    new Promise<void>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not answer in ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}
