import type {
  LapseListener,
  PresenceStatus,
  PresenceStore,
} from '../../domains/chat/presence-store.js';
import type { Logger } from '../../logger.js';
import { RedisScript, type RedisClient } from './redis-connection.js';

/** Settings of the presence store of one node. */
export interface RedisPresenceOptions {
  /** Prefix of every key (`CLUSTER_NAME`). */
  readonly prefix: string;
  /** This node's name: what the routing table says for the devices connected here. */
  readonly nodeId: string;
  /** How long a registration lives unless refreshed (`PRESENCE_TTL_MS`); refreshed every third. */
  readonly ttlMs: number;
  readonly logger: Logger;
}

/** Registrations refreshed at once. */
const REFRESH_SLICE = 500;
/** Lapsed registrations claimed by one run of the sweep script. */
const LAPSE_BATCH = 200;
/** The sweep for lapsed registrations runs every third of the TTL, at most this far apart. */
const LAPSE_SWEEP_MAX_MS = 5_000;
/** "Last seen" outlives the sockets by this much. */
const LAST_SEEN_TTL_MS = 400 * 24 * 60 * 60 * 1000;
/** A user's device keys outlive their last write by this much (lapsed entries are pruned on writes). */
const KEYS_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** Removes the devices whose registration ran out (their node stopped refreshing them). */
const PRUNE = `for _, d in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  redis.call('HDEL', KEYS[2], d)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)`;

/**
 * KEYS: devices (zset device -> expiry), connections (hash device -> connection).
 * ARGV: device, connection, ttl, and how long the two keys outlive their last write
 * (long enough for a lapsed registration to give the user's last-seen time).
 * Answers 1 when the user had no live device before.
 */
const CONNECT = new RedisScript(
  `${NOW}
${PRUNE}
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if before == 0 then return 1 end
return 0`,
  2,
);

/**
 * KEYS: devices, connections, last seen; ARGV as CONNECT. Extends a registration that
 * is still this connection's, or makes it again when it is gone: Redis lost it (a
 * restart), or it lapsed (the node stalled past the TTL) and was swept or pruned.
 * Answers 0 when another connection of the device took over, 2 when it made the
 * registration again for a user who had no live device and whose contacts were told
 * they left (a last-seen time is recorded; an emptied Redis has none), else 1.
 */
const REFRESH = new RedisScript(
  `${NOW}
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current and current ~= ARGV[2] then return 0 end
local back = 0
if not current and redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf') == 0
  and redis.call('EXISTS', KEYS[3]) == 1 then back = 1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if back == 1 then return 2 end
return 1`,
  3,
);

/**
 * KEYS: devices, connections, last seen. ARGV: device, connection, at, last-seen ttl.
 * Answers 1 when the user has no live device left (and was this connection's, or
 * had lapsed unnoticed), 0 when another connection replaced this one or other
 * devices remain, and -1 when it was replaced (so the route is not this node's to drop).
 */
const DISCONNECT = new RedisScript(
  `${NOW}
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current and current ~= ARGV[2] then return -1 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
${PRUNE}
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4])
  return 1
end
return 0`,
  3,
);

/** KEYS: devices. Answers the devices whose registration is live. */
const ONLINE = new RedisScript(
  `${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')`,
  1,
);

/**
 * KEYS: devices, last seen. ARGV: ttl. Answers {1} when online, else {0, last seen}:
 * the later of the recorded one and the last refresh of a registration that lapsed.
 */
const STATUS = new RedisScript(
  `${NOW}
if redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf') > 0 then return {1} end
local seen = tonumber(redis.call('GET', KEYS[2]) or '-1')
local lapsed = redis.call('ZREVRANGEBYSCORE', KEYS[1], now, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
if lapsed[2] then
  local refreshed = tonumber(lapsed[2]) - tonumber(ARGV[1])
  if refreshed > seen then seen = refreshed end
end
return {0, tostring(seen)}`,
  2,
);

/**
 * KEYS: lapses (the cluster's zset registration -> expiry). ARGV: registration, ttl.
 * Records when a registration lapses unless refreshed, on Redis's clock like the rest.
 */
const TRACK = new RedisScript(
  `${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1`,
  1,
);

/**
 * KEYS: lapses. ARGV: how many. Takes the registrations whose expiry passed out of the
 * set and answers them: whichever node runs it first handles them, and no other node.
 */
const CLAIM = new RedisScript(
  `${NOW}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due`,
  1,
);

/**
 * KEYS: devices, connections, last seen. ARGV: device, connection, ttl, last-seen ttl.
 * A claimed registration: if it is still this connection's (the device did not connect
 * again, here or elsewhere) and has lapsed (no late refresh), it goes with the other
 * lapsed ones of the user; when no live device is left, the last seen time (the later
 * of the recorded one and the lapsed registrations' last refresh) is recorded and
 * answered as {1, last seen}. Anything else answers {0}.
 */
const LAPSE = new RedisScript(
  `${NOW}
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return {0} end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) > now then return {0} end
local seen = tonumber(redis.call('GET', KEYS[3]) or '-1')
local lapsed = redis.call('ZREVRANGEBYSCORE', KEYS[1], now, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
if lapsed[2] then
  local refreshed = tonumber(lapsed[2]) - tonumber(ARGV[3])
  if refreshed > seen then seen = refreshed end
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
${PRUNE}
if redis.call('ZCARD', KEYS[1]) > 0 then return {0} end
if seen < 0 then seen = now end
seen = string.format('%.0f', seen)
redis.call('SET', KEYS[3], seen, 'PX', ARGV[4])
return {1, seen}`,
  3,
);

/** Drops a route only if it still points at this node (the device may have moved). */
const DROP_ROUTE = new RedisScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  1,
);

interface Registration {
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * Presence and the device-to-node routing table of a cluster, in Redis. Each
 * registration lives `ttlMs` unless the node that holds the socket refreshes it
 * (every third of that), so a node that dies takes its devices offline within the
 * TTL, and a node whose Redis came back empty registers its sockets again at once.
 *
 * Keys, per user in one hash slot (`{u:<id>}`) so that each script runs on one Redis
 * Cluster node: a sorted set of live devices by expiry, a hash of each device's
 * connection, and the last-seen time; per device, `route:<device>` names its node.
 */
export class RedisPresenceStore implements PresenceStore {
  /** The sockets of this node, by connection id, kept to refresh them. */
  readonly #local = new Map<string, Registration>();
  #timer: NodeJS.Timeout | null = null;
  #refreshing: Promise<void> | null = null;
  #sweepTimer: NodeJS.Timeout | null = null;
  #sweeping: Promise<void> | null = null;
  #lapseListener: LapseListener | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisPresenceOptions,
  ) {
    redis.on('ready', this.#onReady);
  }

  /**
   * Starts refreshing this node's registrations, and sweeping the cluster's lapsed
   * ones (every third of the TTL, at most `LAPSE_SWEEP_MAX_MS` apart).
   */
  start(): void {
    this.#timer ??= setInterval(() => this.#refreshAll(), Math.max(100, this.options.ttlMs / 3));
    this.#timer.unref();
    this.#sweepTimer ??= setInterval(() => this.#sweepAll(), this.sweepIntervalMs);
    this.#sweepTimer.unref();
  }

  /**
   * Stops refreshing and sweeping: the registrations lapse within the TTL, as if the
   * node had died, and the other nodes tell their users' contacts.
   */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#sweepTimer !== null) clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
    this.redis.off('ready', this.#onReady);
    await Promise.all([this.#refreshing, this.#sweeping]);
  }

  /** How often this node looks for lapsed registrations. */
  get sweepIntervalMs(): number {
    return Math.max(100, Math.min(LAPSE_SWEEP_MAX_MS, Math.floor(this.options.ttlMs / 3)));
  }

  onLapse(listener: LapseListener): void {
    this.#lapseListener = listener;
  }

  async connect(
    userId: string,
    deviceId: string,
    connectionId: string,
  ): Promise<{ cameOnline: boolean }> {
    this.#local.set(connectionId, { userId, deviceId });
    const [devices, connections] = this.#userKeys(userId);
    const [first] = await Promise.all([
      CONNECT.run(
        this.redis,
        [devices, connections],
        [deviceId, connectionId, this.options.ttlMs, KEYS_TTL_MS],
      ),
      this.redis.set(this.#routeKey(deviceId), this.options.nodeId, 'PX', this.options.ttlMs),
      this.#track(userId, deviceId, connectionId),
    ]);
    return { cameOnline: first === 1 };
  }

  async disconnect(
    userId: string,
    deviceId: string,
    connectionId: string,
    at: number,
  ): Promise<{ wentOffline: boolean }> {
    this.#local.delete(connectionId);
    const [devices, connections, seen] = this.#userKeys(userId);
    const [result] = await Promise.all([
      DISCONNECT.run(
        this.redis,
        [devices, connections, seen],
        [deviceId, connectionId, at, LAST_SEEN_TTL_MS],
      ),
      this.redis.zrem(this.#lapsesKey, registration(userId, deviceId, connectionId)),
    ]);
    if (result !== -1) {
      await DROP_ROUTE.run(this.redis, [this.#routeKey(deviceId)], [this.options.nodeId]);
    }
    return { wentOffline: result === 1 };
  }

  async onlineDevices(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const unique = [...new Set(userIds)];
    const lists = await Promise.all(
      unique.map((u) => ONLINE.run(this.redis, [this.#userKeys(u)[0]], [])),
    );
    const out = new Map<string, string[]>();
    unique.forEach((userId, i) => {
      const devices = lists[i] as string[];
      if (devices.length > 0) out.set(userId, devices);
    });
    return out;
  }

  async status(userIds: readonly string[]): Promise<Map<string, PresenceStatus>> {
    const unique = [...new Set(userIds)];
    const answers = await Promise.all(
      unique.map((u) => {
        const [devices, , seen] = this.#userKeys(u);
        return STATUS.run(this.redis, [devices, seen], [this.options.ttlMs]);
      }),
    );
    const out = new Map<string, PresenceStatus>();
    unique.forEach((userId, i) => {
      const [online, seen] = answers[i] as [number, string?];
      const lastSeen = seen === undefined ? -1 : Number(seen);
      out.set(
        userId,
        online === 1
          ? { online: true, lastSeen: null }
          : { online: false, lastSeen: lastSeen >= 0 ? lastSeen : null },
      );
    });
    return out;
  }

  /**
   * The node that holds each device's socket, or null where none is registered: what
   * the NATS bus uses to publish to one node instead of all.
   */
  async routesOf(deviceIds: readonly string[]): Promise<Array<string | null>> {
    if (deviceIds.length === 0) return [];
    return Promise.all(deviceIds.map((d) => this.redis.get(this.#routeKey(d))));
  }

  /** Sockets this node keeps registered. */
  get localCount(): number {
    return this.#local.size;
  }

  #userKeys(userId: string): [string, string, string] {
    const base = `${this.options.prefix}:presence:{u:${userId}}`;
    return [`${base}:devices`, `${base}:connections`, `${base}:seen`];
  }

  #routeKey(deviceId: string): string {
    return `${this.options.prefix}:route:${deviceId}`;
  }

  get #lapsesKey(): string {
    return `${this.options.prefix}:presence:lapses`;
  }

  #track(userId: string, deviceId: string, connectionId: string): Promise<unknown> {
    return TRACK.run(
      this.redis,
      [this.#lapsesKey],
      [registration(userId, deviceId, connectionId), this.options.ttlMs],
    );
  }

  #sweepAll(): void {
    if (this.#sweeping !== null || this.#lapseListener === null) return;
    this.#sweeping = this.#sweep()
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'presence: cannot sweep lapsed registrations'),
      )
      .finally(() => {
        this.#sweeping = null;
      });
  }

  async #tell(userId: string, call: (listener: LapseListener) => Promise<void>): Promise<void> {
    const listener = this.#lapseListener;
    if (listener === null) return;
    try {
      await call(listener);
    } catch (error) {
      this.options.logger.warn({ err: error, userId }, 'presence: a lapse was not told');
    }
  }

  /** Claims the registrations that lapsed, and tells of the users they left offline. */
  async #sweep(): Promise<void> {
    const { ttlMs } = this.options;
    for (;;) {
      const claimed = (await CLAIM.run(this.redis, [this.#lapsesKey], [LAPSE_BATCH])) as string[];
      await Promise.all(
        claimed.map(async (member) => {
          const parsed = parseRegistration(member);
          if (parsed === null) return;
          const [userId, deviceId, connectionId] = parsed;
          const [devices, connections, seen] = this.#userKeys(userId);
          const [offline, lastSeen] = (await LAPSE.run(
            this.redis,
            [devices, connections, seen],
            [deviceId, connectionId, ttlMs, LAST_SEEN_TTL_MS],
          )) as [number, string?];
          if (offline !== 1 || lastSeen === undefined) return;
          await this.#tell(userId, (listener) => listener.lapsed(userId, Number(lastSeen)));
        }),
      );
      if (claimed.length < LAPSE_BATCH) return;
    }
  }

  readonly #onReady = (): void => {
    // Back after a break (perhaps an empty Redis after a restart): register again now.
    this.#refreshAll();
  };

  #refreshAll(): void {
    if (this.#refreshing !== null || this.#local.size === 0) return;
    this.#refreshing = this.#refresh().finally(() => {
      this.#refreshing = null;
    });
  }

  async #refresh(): Promise<void> {
    const entries = [...this.#local];
    const results: Array<PromiseSettledResult<void>> = [];
    // A slice at a time, so that a node with many sockets does not queue them all at once.
    for (let start = 0; start < entries.length; start += REFRESH_SLICE) {
      results.push(...(await this.#refreshSlice(entries.slice(start, start + REFRESH_SLICE))));
    }
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) {
      this.options.logger.warn(
        { failed, of: entries.length },
        'presence: registrations not refreshed (Redis not answering)',
      );
    }
  }

  #refreshSlice(
    entries: ReadonlyArray<[string, Registration]>,
  ): Promise<Array<PromiseSettledResult<void>>> {
    const { ttlMs, nodeId } = this.options;
    return Promise.allSettled(
      entries.map(async ([connectionId, { userId, deviceId }]) => {
        const kept = await REFRESH.run(this.redis, this.#userKeys(userId), [
          deviceId,
          connectionId,
          ttlMs,
          KEYS_TTL_MS,
        ]);
        if (kept === 1 || kept === 2) {
          await Promise.all([
            this.redis.set(this.#routeKey(deviceId), nodeId, 'PX', ttlMs),
            this.#track(userId, deviceId, connectionId),
          ]);
          // Its contacts were told it left (it lapsed while this node stalled): it is back.
          // Not awaited: after a long stall every socket may be back, and the refreshes
          // of the next slices must not wait for the contacts to be told.
          if (kept === 2) void this.#tell(userId, (listener) => listener.restored(userId));
        } else {
          await this.redis.zrem(this.#lapsesKey, registration(userId, deviceId, connectionId));
          // Another socket of the device took over: this one is being closed.
          if (this.#local.get(connectionId)?.deviceId === deviceId) {
            this.#local.delete(connectionId);
          }
        }
      }),
    );
  }
}

/** A registration as the cluster's set of lapses holds it. */
function registration(userId: string, deviceId: string, connectionId: string): string {
  return JSON.stringify([userId, deviceId, connectionId]);
}

function parseRegistration(member: string): [string, string, string] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(member);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [userId, deviceId, connectionId] = parsed as unknown[];
  if (typeof userId !== 'string' || typeof deviceId !== 'string') return null;
  if (typeof connectionId !== 'string') return null;
  return [userId, deviceId, connectionId];
}
