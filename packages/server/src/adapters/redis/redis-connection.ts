import { createHash } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisLocation } from '../../config.js';
import type { Logger } from '../../logger.js';

/** A connection to Redis: one server (possibly found through Sentinels) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** How long a command may wait for its answer before it fails (and its caller falls back). */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;
/** How long the first connection may take before the start fails. */
const CONNECT_TIMEOUT_MS = 10_000;

/** What a connection is for: its name in `CLIENT LIST`, and the logs. */
export interface RedisConnectionOptions {
  readonly location: RedisLocation;
  /** `switchboard:<node>:<role>`, to find the connection in `CLIENT LIST`. */
  readonly name: string;
  readonly logger: Logger;
}

/**
 * Opens a connection and waits until it is ready, or fails with a sentence naming
 * the address. Commands fail at once while the connection is down (no offline
 * queue) and after `REDIS_COMMAND_TIMEOUT_MS` on a server that stopped answering,
 * so that a redirect or a socket never waits for a Redis that is gone: each caller
 * falls back or fails by its own rule. Reconnection goes on in the background.
 */
export async function openRedis(options: RedisConnectionOptions): Promise<RedisClient> {
  const { location, name, logger } = options;
  const common: RedisOptions = {
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
  };
  let client: RedisClient;
  switch (location.kind) {
    case 'standalone':
      client = new Redis(location.url, common);
      break;
    case 'sentinel':
      client = new Redis({
        ...common,
        sentinels: location.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: location.name,
        password: location.password,
        tls: location.tls ? {} : undefined,
        enableTLSForSentinelMode: location.tls,
      });
      break;
    case 'cluster':
      client = new Cluster(
        location.nodes.map((n) => ({ host: n.host, port: n.port })),
        {
          lazyConnect: true,
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
          redisOptions: {
            ...common,
            password: location.password,
            tls: location.tls ? {} : undefined,
          },
        },
      );
      break;
  }
  await connectOnce(client, describeLocation(location));
  let down = false;
  client.on('error', (error: Error) => {
    // ioredis reports every failed reconnection; one line per outage is enough.
    if (!down) logger.warn({ err: error, redis: name }, 'redis: connection lost; reconnecting');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ redis: name }, 'redis: connection back');
    down = false;
  });
  return client;
}

/** A second connection to the same Redis, for subscriptions (a subscribed connection can do nothing else). */
export async function duplicateRedis(
  client: RedisClient,
  options: RedisConnectionOptions,
): Promise<RedisClient> {
  const copy = client.duplicate();
  await connectOnce(copy, describeLocation(options.location));
  let down = false;
  copy.on('error', (error: Error) => {
    if (!down) options.logger.warn({ err: error, redis: options.name }, 'redis: subscriber lost');
    down = true;
  });
  copy.on('ready', () => {
    down = false;
  });
  return copy;
}

async function connectOnce(client: RedisClient, where: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let lastError: unknown;
  const onError = (error: unknown) => {
    lastError = error;
  };
  client.on('error', onError);
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${CONNECT_TIMEOUT_MS / 1000} s`)),
          CONNECT_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    client.disconnect();
    const reason = lastError instanceof Error ? lastError.message : (error as Error).message;
    throw new Error(`Redis at ${where} is not reachable: ${reason}`, { cause: error });
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}

/** Where Redis is, without credentials, for messages. */
export function describeLocation(location: RedisLocation): string {
  switch (location.kind) {
    case 'standalone': {
      const url = new URL(location.url);
      return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    }
    case 'sentinel':
      return `master "${location.name}" of sentinels ${location.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
    case 'cluster':
      return `cluster ${location.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }
}

/** Closes a connection, politely when it can, at once when Redis is gone. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    await Promise.race([
      client.quit().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 1_000).unref()),
    ]);
  }
  client.disconnect();
}

/**
 * A Lua script run by its SHA (loaded again when the server forgot it, after a
 * restart): scripts make each multi-key update atomic on the server.
 */
export class RedisScript {
  readonly #sha: string;

  constructor(
    private readonly lua: string,
    private readonly keyCount: number,
  ) {
    this.#sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script on the server that holds `keys` (all in one hash slot on a Cluster). */
  async run(
    client: RedisClient,
    keys: readonly string[],
    args: ReadonlyArray<string | number>,
  ): Promise<unknown> {
    if (keys.length !== this.keyCount) throw new Error('wrong number of keys for the script');
    try {
      return await client.evalsha(this.#sha, this.keyCount, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.lua, this.keyCount, ...keys, ...args);
    }
  }
}
