import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { normaliseBlockedDomain, parseBlocklist } from './domains/links/url-policy.js';

/**
 * Every setting of the server, read from the environment once at start. Each entry
 * is one environment variable; `describe` is its line in the README's table, and a
 * test keeps the two in step. `process.env` is read nowhere else.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max);
/** Names that go into Redis keys, NATS subjects and stream names. */
const NAME = /^[A-Za-z0-9_-]+$/;
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

/** The environment variables, their defaults and their documentation. */
export const ENV_SCHEMA = z.object({
  PORT: int(0, 65_535).default(3000).describe('TCP port for HTTP and WebSocket'),
  HOST: z.string().min(1).default('0.0.0.0').describe('Interface to listen on'),
  PUBLIC_URL: z
    // `abort`: a value that is not a URL has no path to complain about.
    .url({ protocol: /^https?$/, abort: true })
    .refine(isOrigin, 'must be an origin without a path, query or fragment')
    .optional()
    .describe(
      'Public origin short links are built from, e.g. `https://sb.example`; default `http://localhost:$PORT`',
    ),
  DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('Directory for the SQLite file, the link key and media'),
  DATABASE_URL: z
    .string()
    .refine(
      (url) => databaseKindOf(url) !== undefined,
      'must start with postgres://, postgresql:// or sqlite:',
    )
    .optional()
    .describe('`postgres://...` for PostgreSQL; default SQLite at `$DATA_DIR/switchboard.db`'),
  SQLITE_SYNCHRONOUS: z
    .enum(['NORMAL', 'FULL'])
    .default('NORMAL')
    .describe(
      'SQLite `synchronous` in WAL mode: NORMAL survives a process crash, FULL also a power loss',
    ),
  SERVICES: list
    .pipe(z.array(z.enum(['links', 'chat'])).min(1))
    .default(['links', 'chat'])
    .describe('Comma-separated services this node runs: `links`, `chat`'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level (JSON logs on stdout)'),
  LOG_REQUESTS: bool
    .default(false)
    .describe(
      'Log one line per HTTP request. Logs go to stdout synchronously (none lost in a crash), so a reader slower than the traffic slows the server',
    ),
  TRUST_PROXY: z
    .string()
    .refine(
      (value) => parseTrustProxy(value) !== undefined,
      'expected false, true, a hop count or addresses',
    )
    .default('false')
    .describe(
      'Trust `X-Forwarded-*` from a proxy: `false`, `true`, a hop count, or comma-separated addresses/CIDRs',
    ),
  SHUTDOWN_TIMEOUT_MS: int(0)
    .default(10_000)
    .describe('Longest wait for in-flight work on SIGTERM/SIGINT'),
  WEB_DIST_DIR: z
    .string()
    .optional()
    .describe('Built web app to serve at `/`; default `packages/web/dist` of this checkout'),

  // Accounts
  AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT: int(1)
    .default(10)
    .describe('Failed logins allowed per account per 15 minutes'),
  AUTH_LOGIN_ATTEMPTS_PER_IP: int(1)
    .default(50)
    .describe('Login attempts allowed per IP per 15 minutes'),
  AUTH_REGISTRATIONS_PER_IP: int(1).default(20).describe('Registrations allowed per IP per hour'),
  REGISTRATION_OPEN: bool.default(true).describe('Whether anyone may register'),
  AUTH_USER_LOOKUPS_PER_MINUTE: int(1)
    .default(120)
    .describe('User directory lookups allowed per signed-in account per minute'),
  AUTH_MAX_DEVICES_PER_USER: int(1)
    .default(100)
    .describe('Devices an account may have; a login beyond it signs out the least recently used'),
  AUTH_SESSION_IDLE_DAYS: int(0)
    .default(90)
    .describe('Days a device may stay unused before it is signed out; 0 keeps it forever'),

  // Links
  LINK_CACHE_SIZE: int(0).default(100_000).describe('Entries in the in-process link cache'),
  LINK_NEGATIVE_CACHE_MS: int(0)
    .default(5_000)
    .describe('How long an unknown code is remembered as unknown'),
  LINK_KEY_BLOCK_SIZE: int(1, 1_000_000)
    .default(1_000)
    .describe(
      "Ids a node takes from the token service at once (SQLite; PostgreSQL's blocks are its sequence's increment, 1000)",
    ),
  CLICK_FLUSH_MS: int(10)
    .default(1_000)
    .describe('How often aggregated clicks are written to the database'),
  URL_BLOCKLIST: list
    .default([])
    .describe('Comma-separated domains (and their subdomains) links may not target'),
  URL_BLOCKLIST_FILE: z
    .string()
    .optional()
    .describe('File with one blocked domain per line (`#` comments), added to `URL_BLOCKLIST`'),
  LINKS_PER_MINUTE_PER_IP: int(0)
    .default(30)
    .describe('Link creations per minute per IP; 0 turns the limit off'),
  LINKS_PER_MINUTE_PER_ACCOUNT: int(0)
    .default(120)
    .describe('Link creations per minute per signed-in account; 0 turns the limit off'),
  RATE_LIMIT_EXEMPT_USERS: list
    .default([])
    .describe(
      'Comma-separated usernames with no creation rate limits (service accounts, benchmarks)',
    ),
  LINK_PASSWORD_ATTEMPTS: int(1)
    .default(10)
    .describe('Password attempts per link per IP per 15 minutes'),

  // Chat
  CHAT_MAX_GROUP_SIZE: int(2, 100_000).default(1_024).describe('Most members a group may have'),
  CHAT_INBOX_TTL_DAYS: int(1).default(30).describe('Days an undelivered inbox item is kept'),
  CHAT_HEARTBEAT_MS: int(1_000)
    .default(25_000)
    .describe('WebSocket ping interval; a peer silent for two is dropped'),
  CHAT_AUTH_TIMEOUT_MS: int(100)
    .default(10_000)
    .describe('Time a socket has to send its `auth` frame'),
  CHAT_SEND_BUFFER_BYTES: int(1_024)
    .default(4 * 1024 * 1024)
    .describe('Unsent bytes queued for a socket before it is dropped as a slow consumer'),
  CHAT_FRAMES_PER_SECOND: int(1)
    .default(200)
    .describe('Frames per second a device may send (burst of twice that)'),
  CHAT_BACKLOG_PAGE: int(1, 10_000)
    .default(500)
    .describe('Inbox items read per page when a device catches up'),
  CHAT_SWEEP_INTERVAL_MS: int(1_000)
    .default(10 * 60 * 1000)
    .describe('How often expired inbox items are deleted'),
  CHAT_API_REQUESTS_PER_MINUTE: int(1)
    .default(600)
    .describe('Chat HTTP requests (groups, blocks, presence) per minute per user'),

  // Scale-out: several nodes on PostgreSQL, Redis and NATS (see docs/scaling.md)
  DATABASE_POOL_SIZE: int(1, 1_000)
    .optional()
    .describe(
      'Connections each node keeps to PostgreSQL; default 20 (nodes × this must stay under its `max_connections`)',
    ),
  CLUSTER: bool
    .optional()
    .describe(
      'Several nodes share this deployment: default `true` with PostgreSQL (which then needs Redis and NATS), and SQLite allows only `false`',
    ),
  CLUSTER_NAME: z
    .string()
    .regex(NAME, 'expected 1 to 32 letters, digits, `_` or `-`')
    .max(32)
    .default('switchboard')
    .describe(
      'Prefix of every Redis key, NATS subject and JetStream stream, so that deployments can share one Redis and one NATS',
    ),
  NODE_ID: z
    .string()
    .regex(NAME, 'expected 1 to 64 letters, digits, `_` or `-`')
    .max(64)
    .optional()
    .describe(
      "This node's name in the cluster (its NATS subject, the presence routing table, logs); default random at each start",
    ),
  REDIS_URL: z
    .string()
    .optional()
    .describe(
      '`redis://[user:password@]host:port[/db]` (or `rediss://` for TLS) of a single Redis',
    ),
  REDIS_SENTINELS: list
    .optional()
    .describe('Comma-separated `host:port` of Redis Sentinels, instead of `REDIS_URL`'),
  REDIS_SENTINEL_NAME: z
    .string()
    .optional()
    .describe('Name of the master the Sentinels watch (with `REDIS_SENTINELS`)'),
  REDIS_CLUSTER_NODES: list
    .optional()
    .describe('Comma-separated `host:port` of some Redis Cluster nodes, instead of `REDIS_URL`'),
  REDIS_PASSWORD: z
    .string()
    .optional()
    .describe('Password of the Redis servers reached through Sentinels or Cluster nodes'),
  REDIS_TLS: bool
    .default(false)
    .describe('TLS to the Redis servers reached through Sentinels or Cluster nodes'),
  NATS_URL: list
    .optional()
    .describe(
      'Comma-separated NATS servers with JetStream, `nats://[user:password@]host:4222` (`tls://` for TLS)',
    ),
  NATS_REPLICAS: int(1, 5)
    .default(1)
    .describe(
      'Copies JetStream keeps of the fan-out and click streams (up to the NATS servers in the cluster)',
    ),
  PRESENCE_TTL_MS: int(1_000, 10 * 60_000)
    .default(30_000)
    .describe(
      "How long a node's registration of a socket lives in Redis unless refreshed (every third of it): the time a dead node's devices stay online",
    ),
  CHAT_INBOX_STORES: list
    .optional()
    .describe(
      'Two Redis servers (AOF on) the chat inboxes are written to in parallel, `redis://a,redis://b`; default the database alone',
    ),
});

/** The environment, validated. */
export type Env = z.infer<typeof ENV_SCHEMA>;

/** The server's configuration: typed, nested, read-only. */
export interface Config {
  readonly env: Env;
  readonly port: number;
  readonly host: string;
  readonly publicUrl: URL;
  readonly dataDir: string;
  readonly database:
    | { readonly kind: 'sqlite'; readonly file: string; readonly synchronous: 'NORMAL' | 'FULL' }
    | {
        readonly kind: 'postgres';
        readonly url: string;
        /** Connections this node keeps open (`DATABASE_POOL_SIZE`); the driver's default when unset. */
        readonly poolSize?: number;
      };
  readonly services: { readonly links: boolean; readonly chat: boolean };
  readonly trustProxy: boolean | number | string[];
  readonly webDistDir: string;
  /**
   * Domains and addresses links may not target: `URL_BLOCKLIST` and the lines of
   * `URL_BLOCKLIST_FILE`, normalised (lower-case, punycode), each once.
   */
  readonly urlBlocklist: readonly string[];
  /** The scale-out engines several nodes share; null when this node runs alone. */
  readonly cluster: ClusterConfig | null;
  /** Where chat inboxes are written. */
  readonly chatInbox: ChatInboxConfig;
}

/** A `host:port` pair from a list such as `REDIS_SENTINELS`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where Redis is: one server, a master watched by Sentinels, or a Redis Cluster. */
export type RedisLocation =
  | { readonly kind: 'standalone'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly HostPort[];
      readonly name: string;
      readonly password: string | undefined;
      readonly tls: boolean;
    }
  | {
      readonly kind: 'cluster';
      readonly nodes: readonly HostPort[];
      readonly password: string | undefined;
      readonly tls: boolean;
    };

/** The NATS servers, with the credentials taken out of their URLs (the client wants them apart). */
export interface NatsLocation {
  readonly servers: readonly string[];
  readonly user: string | undefined;
  readonly pass: string | undefined;
  readonly token: string | undefined;
}

/** The engines that make several nodes one service (docs/scaling.md). */
export interface ClusterConfig {
  /** Prefix of Redis keys, NATS subjects and stream names. */
  readonly name: string;
  /** This node's name: its NATS subject and its entries in the routing table. */
  readonly nodeId: string;
  readonly redis: RedisLocation;
  readonly nats: NatsLocation;
  /** Copies of each JetStream stream. */
  readonly natsReplicas: number;
  readonly presenceTtlMs: number;
}

/** One of the two stores of a mirrored inbox. */
export type InboxStoreLocation =
  { readonly kind: 'database' } | { readonly kind: 'redis'; readonly url: string };

/** The database's own inbox, or two stores written in parallel (the mirrored inbox). */
export type ChatInboxConfig =
  | { readonly kind: 'database' }
  | {
      readonly kind: 'mirrored';
      readonly stores: readonly [InboxStoreLocation, InboxStoreLocation];
    };

/** Problems found in the environment; the message lists every one. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const DEFAULT_WEB_DIST = path.resolve(import.meta.dirname, '../../web/dist');

/** Parses the environment into a `Config`, or throws a `ConfigError` listing every problem. */
export function parseConfig(source: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as in most .env tooling.
  const raw = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = ENV_SCHEMA.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  // The rules between variables run even when some variable failed, so that one start
  // lists every problem; they read only the variables that passed their own checks.
  const { fields, failed } = parsed.success
    ? { fields: parsed.data, failed: new Set<keyof Env>() }
    : validFields(raw);
  // Read from the raw values, so that its problems are listed with the schema's.
  const urlBlocklist = readUrlBlocklist(raw.URL_BLOCKLIST, raw.URL_BLOCKLIST_FILE, problems);
  // Unknown when DATABASE_URL failed its own check: the rules that depend on it are skipped.
  const databaseKind = failed.has('DATABASE_URL') ? undefined : databaseKindOf(fields.DATABASE_URL);
  const { engines, chatInbox } = parseScaleOut(fields, failed, databaseKind, problems);

  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;

  let database: Config['database'];
  if (env.DATABASE_URL !== undefined && databaseKind === 'postgres') {
    database = {
      kind: 'postgres',
      url: env.DATABASE_URL,
      ...(env.DATABASE_POOL_SIZE === undefined ? {} : { poolSize: env.DATABASE_POOL_SIZE }),
    };
  } else {
    database = {
      kind: 'sqlite',
      file:
        env.DATABASE_URL === undefined
          ? path.resolve(env.DATA_DIR, 'switchboard.db')
          : path.resolve(env.DATABASE_URL.slice('sqlite:'.length).replace(/^\/\//, '')),
      synchronous: env.SQLITE_SYNCHRONOUS,
    };
  }

  return Object.freeze({
    env: Object.freeze(env),
    port: env.PORT,
    host: env.HOST,
    publicUrl: new URL(env.PUBLIC_URL ?? `http://localhost:${env.PORT === 0 ? 3000 : env.PORT}`),
    dataDir: path.resolve(env.DATA_DIR),
    database,
    services: Object.freeze({
      links: env.SERVICES.includes('links'),
      chat: env.SERVICES.includes('chat'),
    }),
    // The schema has refused a value it cannot read.
    trustProxy: parseTrustProxy(env.TRUST_PROXY) ?? false,
    webDistDir: path.resolve(env.WEB_DIST_DIR ?? DEFAULT_WEB_DIST),
    urlBlocklist,
    cluster:
      engines === null
        ? null
        : Object.freeze({
            name: env.CLUSTER_NAME,
            nodeId: env.NODE_ID ?? randomBytes(5).toString('hex'),
            redis: engines.redis,
            nats: engines.nats,
            natsReplicas: env.NATS_REPLICAS,
            presenceTtlMs: env.PRESENCE_TTL_MS,
          }),
    chatInbox,
  });
}

/**
 * Each variable parsed on its own, for the rules between variables when the schema as a
 * whole failed: the values that pass their own checks, and the names of those that do not.
 * A rule that reads a failed variable is skipped, since its input is unknown (and its
 * problem is listed already).
 */
function validFields(raw: Record<string, string | undefined>): {
  fields: Partial<Env>;
  failed: ReadonlySet<keyof Env>;
} {
  const fields: Record<string, unknown> = {};
  const failed = new Set<keyof Env>();
  for (const [name, schema] of Object.entries(ENV_SCHEMA.shape)) {
    const result = schema.safeParse(raw[name]);
    if (result.success) fields[name] = result.data;
    else failed.add(name as keyof Env);
  }
  return { fields, failed };
}

/** Which database a `DATABASE_URL` names (SQLite when unset), or undefined for none it can use. */
function databaseKindOf(url: string | undefined): 'sqlite' | 'postgres' | undefined {
  if (url === undefined || url.startsWith('sqlite:')) return 'sqlite';
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : undefined;
}

/** Whether a URL is an origin alone, as short links are built from it. */
function isOrigin(text: string): boolean {
  const url = new URL(text);
  return url.pathname === '/' && url.search === '' && url.hash === '';
}

/** Bad blocklist entries listed one by one per source; more are counted (a wrong file has thousands). */
const BLOCKLIST_PROBLEMS_SHOWN = 10;

/**
 * The blocklist of `URL_BLOCKLIST` and `URL_BLOCKLIST_FILE`, normalised by the URL
 * policy's own rules, with a problem for each entry that is not a domain or address and
 * for a file that cannot be read.
 */
function readUrlBlocklist(
  list: string | undefined,
  file: string | undefined,
  problems: string[],
): string[] {
  const blocklist = new Set<string>();
  const add = (name: string, entries: ReadonlyArray<{ entry: string; where: string }>) => {
    const bad: string[] = [];
    for (const { entry, where } of entries) {
      const domain = normaliseBlockedDomain(entry);
      if (domain !== null) blocklist.add(domain);
      else bad.push(`${name}: ${where}${JSON.stringify(entry)} is not a domain name or address`);
    }
    problems.push(...bad.slice(0, BLOCKLIST_PROBLEMS_SHOWN));
    if (bad.length > BLOCKLIST_PROBLEMS_SHOWN) {
      problems.push(
        `${name}: and ${bad.length - BLOCKLIST_PROBLEMS_SHOWN} more entries that are not domain names or addresses`,
      );
    }
  };

  const entries = ENV_SCHEMA.shape.URL_BLOCKLIST.parse(list);
  add(
    'URL_BLOCKLIST',
    entries.map((entry) => ({ entry, where: '' })),
  );
  if (file === undefined) return [...blocklist];
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    problems.push(`URL_BLOCKLIST_FILE: cannot read ${file} (${reason})`);
    return [...blocklist];
  }
  const lines = parseBlocklist(text);
  add(
    'URL_BLOCKLIST_FILE',
    lines.map(({ line, entry }) => ({ entry, where: `line ${line}: ` })),
  );
  return [...blocklist];
}

/**
 * The rules of the scale-out section, each with the sentence an operator reads:
 *
 * 1. SQLite is one node's own file: it takes no Redis, no NATS, no `CLUSTER=true`
 *    and no mirrored inbox (nodes would each have their own database).
 * 2. PostgreSQL means a cluster unless `CLUSTER=false`; a cluster needs Redis
 *    (presence, routing, rate limits, link cache) and NATS (delivery between nodes,
 *    fan-out and click streams), since nodes that shared only the database would
 *    miss each other's sockets, limits and cache invalidations.
 * 3. `CLUSTER=false` runs one node on PostgreSQL with in-process presence, bus and
 *    limits: Redis or NATS settings there are a mistake, not an option.
 * 4. Redis is one of `REDIS_URL`, `REDIS_SENTINELS` (+ `REDIS_SENTINEL_NAME`) or
 *    `REDIS_CLUSTER_NODES`; `REDIS_PASSWORD`/`REDIS_TLS` are for the last two (a URL
 *    carries its own).
 * 5. The mirrored inbox names exactly two different stores, and needs PostgreSQL.
 *
 * `env` holds the variables that passed their own checks; a rule that reads one that did
 * not is skipped (`databaseKind` is undefined when DATABASE_URL failed). Engines and inbox
 * are only used when nothing failed, so a failed variable read as unset there is harmless.
 */
function parseScaleOut(
  env: Partial<Env>,
  failed: ReadonlySet<keyof Env>,
  databaseKind: 'sqlite' | 'postgres' | undefined,
  problems: string[],
): {
  engines: { redis: RedisLocation; nats: NatsLocation } | null;
  chatInbox: ChatInboxConfig;
} {
  const redisSettings = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter(
    (name) => env[name] !== undefined && (!Array.isArray(env[name]) || env[name].length > 0),
  );
  const natsSet = env.NATS_URL !== undefined && env.NATS_URL.length > 0;
  const engines = [...redisSettings, ...(natsSet ? ['NATS_URL'] : [])];
  const chatInbox = parseChatInbox(env.CHAT_INBOX_STORES ?? [], problems);
  // Neither SQLite's rules nor PostgreSQL's are known to apply.
  if (databaseKind === undefined) return { engines: null, chatInbox };

  if (databaseKind === 'sqlite') {
    // A CLUSTER that failed is undefined here, and this rule skipped.
    if (env.CLUSTER === true) {
      problems.push(
        'CLUSTER=true needs a database the nodes share: set DATABASE_URL=postgres://...',
      );
    }
    if (engines.length > 0) {
      problems.push(
        `${engines.join(', ')}: Redis and NATS are for several nodes, which need a shared database: set DATABASE_URL=postgres://... (with SQLite each node would have its own)`,
      );
    }
    if (chatInbox.kind === 'mirrored') {
      problems.push('CHAT_INBOX_STORES: the mirrored inbox needs DATABASE_URL=postgres://...');
    }
    return { engines: null, chatInbox };
  }

  // Whether this is one node or a cluster is unknown: neither's rules apply.
  if (failed.has('CLUSTER')) return { engines: null, chatInbox };
  if (env.CLUSTER === false) {
    if (engines.length > 0) {
      problems.push(
        `${engines.join(', ')}: CLUSTER=false runs one node with in-process presence, bus and rate limits; remove these or set CLUSTER=true`,
      );
    }
    return { engines: null, chatInbox };
  }

  const redis = parseRedis(env, redisSettings, problems);
  const nats = natsSet ? parseNats(env.NATS_URL ?? [], problems) : undefined;
  if (redisSettings.length === 0) {
    problems.push(
      'REDIS_URL: PostgreSQL runs as a cluster, which needs Redis for presence, routing, rate limits and the link cache (or REDIS_SENTINELS, REDIS_CLUSTER_NODES); set CLUSTER=false to run one node',
    );
  }
  if (!natsSet) {
    problems.push(
      'NATS_URL: PostgreSQL runs as a cluster, which needs NATS with JetStream for delivery between nodes, group fan-out and clicks; set CLUSTER=false to run one node',
    );
  }
  if (redis === undefined || nats === undefined) return { engines: null, chatInbox };
  return { engines: { redis, nats }, chatInbox };
}

function parseRedis(
  env: Partial<Env>,
  settings: ReadonlyArray<'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES'>,
  problems: string[],
): RedisLocation | undefined {
  if (settings.length > 1) {
    problems.push(`${settings.join(', ')}: set only one way to reach Redis`);
    return undefined;
  }
  const sentinelName = env.REDIS_SENTINEL_NAME;
  if (sentinelName !== undefined && settings[0] !== 'REDIS_SENTINELS') {
    problems.push('REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS');
  }
  if (settings[0] === 'REDIS_URL') {
    // A REDIS_TLS that failed is undefined: only the password is known to be misplaced.
    if (env.REDIS_PASSWORD !== undefined || env.REDIS_TLS === true) {
      problems.push(
        'REDIS_PASSWORD, REDIS_TLS: with REDIS_URL, put them in the URL (redis://:password@host, rediss:// for TLS)',
      );
    }
    const url = env.REDIS_URL ?? '';
    if (!isUrl(url, ['redis:', 'rediss:'])) {
      problems.push('REDIS_URL: expected redis://host:port or rediss://host:port');
      return undefined;
    }
    return { kind: 'standalone', url };
  }
  if (settings[0] === 'REDIS_SENTINELS') {
    const sentinels = hostPorts('REDIS_SENTINELS', env.REDIS_SENTINELS ?? [], 26379, problems);
    if (sentinelName === undefined) {
      problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master name)');
    }
    if (sentinels === undefined || sentinelName === undefined) return undefined;
    return {
      kind: 'sentinel',
      sentinels,
      name: sentinelName,
      password: env.REDIS_PASSWORD,
      tls: env.REDIS_TLS === true,
    };
  }
  if (settings[0] === 'REDIS_CLUSTER_NODES') {
    const nodes = hostPorts('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES ?? [], 6379, problems);
    if (nodes === undefined) return undefined;
    return { kind: 'cluster', nodes, password: env.REDIS_PASSWORD, tls: env.REDIS_TLS === true };
  }
  return undefined;
}

function parseNats(urls: readonly string[], problems: string[]): NatsLocation | undefined {
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  let token: string | undefined;
  for (const entry of urls) {
    const text = entry.includes('://') ? entry : `nats://${entry}`;
    if (!isUrl(text, ['nats:', 'tls:'])) {
      problems.push(
        `NATS_URL: ${JSON.stringify(entry)} is not nats://host:port or tls://host:port`,
      );
      continue;
    }
    const url = new URL(text);
    if (url.username !== '' && url.password !== '') {
      user = decodeURIComponent(url.username);
      pass = decodeURIComponent(url.password);
    } else if (url.username !== '') {
      token = decodeURIComponent(url.username);
    }
    servers.push(`${url.protocol}//${url.host}`);
  }
  if (servers.length !== urls.length) return undefined;
  return { servers, user, pass, token };
}

function parseChatInbox(entries: readonly string[], problems: string[]): ChatInboxConfig {
  if (entries.length === 0) return { kind: 'database' };
  const stores: InboxStoreLocation[] = [];
  for (const entry of entries) {
    if (entry === 'database') {
      problems.push(
        'CHAT_INBOX_STORES: the mirrored inbox is written to two Redis servers, not the database (docs/scaling.md says why)',
      );
    } else if (isUrl(entry, ['redis:', 'rediss:'])) stores.push({ kind: 'redis', url: entry });
    else problems.push(`CHAT_INBOX_STORES: ${JSON.stringify(entry)} is not redis://...`);
  }
  if (entries.length !== 2) {
    problems.push(`CHAT_INBOX_STORES: expected two stores, got ${entries.length}`);
  } else if (entries[0] === entries[1]) {
    problems.push('CHAT_INBOX_STORES: the two stores must be different');
  }
  const [first, second] = stores;
  if (stores.length !== 2 || first === undefined || second === undefined) {
    return { kind: 'database' };
  }
  return { kind: 'mirrored', stores: [first, second] };
}

function isUrl(text: string, protocols: readonly string[]): boolean {
  try {
    const url = new URL(text);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

function hostPorts(
  name: string,
  entries: readonly string[],
  defaultPort: number,
  problems: string[],
): HostPort[] | undefined {
  const out: HostPort[] = [];
  for (const entry of entries) {
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(entry);
    const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
    if (match === null || port < 1 || port > 65_535) {
      problems.push(`${name}: ${JSON.stringify(entry)} is not host:port`);
      continue;
    }
    out.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return out.length === entries.length && out.length > 0 ? out : undefined;
}

function parseTrustProxy(value: string): Config['trustProxy'] | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'false' || v === '0') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return parts.every((p) => /^[0-9a-f.:/]+$/i.test(p)) && parts.length > 0 ? parts : undefined;
}
