/**
 * Fixed limits of the public contract. Server-side limits an operator may tune (group
 * size, rate limits) live in the server's configuration; these are the ones clients
 * can rely on.
 */

/** Generated link codes: 7 characters of base62. */
export const CODE_LENGTH = 7;
/** The base62 alphabet, in the order used for encoding. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** A generated code. */
export const CODE_PATTERN = /^[0-9A-Za-z]{7}$/;
/** A custom alias: 3 to 64 characters of `[0-9A-Za-z_-]`, case-sensitive. */
export const ALIAS_PATTERN = /^[0-9A-Za-z_-]{3,64}$/;
/** Anything that can name a link: a generated code or an alias. */
export const LINK_CODE_PATTERN = /^[0-9A-Za-z_-]{3,64}$/;

/**
 * Paths the service uses itself, compared case-insensitively, which no alias (and no
 * generated code) may take. The web app's top-level screens are among them.
 */
export const RESERVED_PATHS: ReadonlySet<string> = new Set([
  'about',
  'account',
  'admin',
  'api',
  'app',
  'assets',
  'auth',
  'chat',
  'devices',
  'docs',
  'favicon.ico',
  'groups',
  'health',
  'healthz',
  'help',
  'links',
  'login',
  'logout',
  'manifest.webmanifest',
  'me',
  'metrics',
  'new',
  'openapi',
  'privacy',
  'qr',
  'readyz',
  'register',
  'robots.txt',
  'security',
  'settings',
  'signin',
  'signout',
  'signup',
  'static',
  'stats',
  'status',
  'sw.js',
  'terms',
  'tokens',
  'users',
  'ws',
]);

/** True when an alias or code would shadow one of the service's own paths. */
export function isReservedPath(segment: string): boolean {
  return RESERVED_PATHS.has(segment.toLowerCase());
}

/** Usernames: 3 to 32 characters of `a-z0-9_.`, starting with a letter (stored lower-case). */
export const USERNAME_PATTERN = /^[a-z][a-z0-9_.]{2,31}$/;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
export const DISPLAY_NAME_MAX_LENGTH = 64;
export const DEVICE_NAME_MAX_LENGTH = 64;

/** Target URLs longer than this are refused with `URL_TOO_LONG`. */
export const URL_MAX_LENGTH = 4096;
/** Passwords protecting a link. */
export const LINK_PASSWORD_MAX_LENGTH = 256;
/** Page size of list endpoints, by default and at most. */
export const PAGE_SIZE_DEFAULT = 20;
export const PAGE_SIZE_MAX = 100;

/** A message `id`: chosen by the client, a UUID is recommended. */
export const MESSAGE_ID_PATTERN = /^[0-9A-Za-z_-]{1,64}$/;
/** A message `body`, serialised as JSON, may be at most this many bytes (UTF-8). */
export const MESSAGE_BODY_MAX_BYTES = 64 * 1024;
/** A WebSocket frame from a client may be at most this many bytes. */
export const WS_FRAME_MAX_BYTES = 96 * 1024;
/** At most this many ids in one `read` frame. */
export const READ_IDS_MAX = 256;
/** Group names. */
export const GROUP_NAME_MAX_LENGTH = 100;
