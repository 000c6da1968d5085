import path from 'node:path';
import { z } from 'zod';

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
    .url({ protocol: /^https?$/ })
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
  LOG_REQUESTS: bool.default(false).describe('Log one line per HTTP request'),
  TRUST_PROXY: z
    .string()
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
    .describe('Ids a node takes from the token service at once'),
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
    | { readonly kind: 'postgres'; readonly url: string };
  readonly services: { readonly links: boolean; readonly chat: boolean };
  readonly trustProxy: boolean | number | string[];
  readonly webDistDir: string;
}

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
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`),
    );
  }
  const env = parsed.data;
  const problems: string[] = [];

  let database: Config['database'];
  if (env.DATABASE_URL === undefined) {
    database = {
      kind: 'sqlite',
      file: path.resolve(env.DATA_DIR, 'switchboard.db'),
      synchronous: env.SQLITE_SYNCHRONOUS,
    };
  } else if (/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) {
    database = { kind: 'postgres', url: env.DATABASE_URL };
  } else if (env.DATABASE_URL.startsWith('sqlite:')) {
    database = {
      kind: 'sqlite',
      file: path.resolve(env.DATABASE_URL.slice('sqlite:'.length).replace(/^\/\//, '')),
      synchronous: env.SQLITE_SYNCHRONOUS,
    };
  } else {
    problems.push('DATABASE_URL: must start with postgres://, postgresql:// or sqlite:');
    database = { kind: 'postgres', url: env.DATABASE_URL };
  }

  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  if (trustProxy === undefined)
    problems.push('TRUST_PROXY: expected false, true, a hop count or addresses');

  const publicUrl = new URL(
    env.PUBLIC_URL ?? `http://localhost:${env.PORT === 0 ? 3000 : env.PORT}`,
  );
  if (publicUrl.pathname !== '/' || publicUrl.search !== '' || publicUrl.hash !== '') {
    problems.push('PUBLIC_URL: must be an origin without a path, query or fragment');
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    env: Object.freeze(env),
    port: env.PORT,
    host: env.HOST,
    publicUrl,
    dataDir: path.resolve(env.DATA_DIR),
    database,
    services: Object.freeze({
      links: env.SERVICES.includes('links'),
      chat: env.SERVICES.includes('chat'),
    }),
    trustProxy: trustProxy ?? false,
    webDistDir: path.resolve(env.WEB_DIST_DIR ?? DEFAULT_WEB_DIST),
  });
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
