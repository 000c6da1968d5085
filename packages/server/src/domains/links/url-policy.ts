import { domainToASCII } from 'node:url';
import { AppError, URL_MAX_LENGTH } from '@switchboard/shared';

/** What decides which targets a link may have. */
export interface UrlPolicyOptions {
  /** The service's public origin (PUBLIC_URL): links to its host are refused. */
  readonly publicUrl: URL;
  /** The address the server listens on (HOST); refused too when it names one machine. */
  readonly listenHost: string;
  /** Blocked domains; their subdomains are blocked with them. */
  readonly blocklist: readonly string[];
}

/** Checks and normalises link targets. */
export interface UrlPolicy {
  /**
   * The normalised form of an acceptable target (IDN hosts in punycode, scheme and
   * host lower-case), or an `AppError` with the code of the first rule it breaks.
   */
  normalise(raw: string): string;
}

const LOCAL_NAMES = new Set(['localhost', '0.0.0.0', '[::]', '[::1]', '[::ffff:7f00:1]']);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/** Lower-case, no trailing dot: how hosts are compared. */
function comparable(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** True for names and addresses that always mean "this machine". */
function isLoopback(host: string): boolean {
  return (
    LOCAL_NAMES.has(host) ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}

/**
 * Reads a blocklist file: one domain per line, `#` starts a comment, blank lines are
 * ignored. Entries may be IDN (converted to punycode) and may start with `*.` or `.`.
 */
export function parseBlocklist(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
}

/** The comparable form of a blocklist entry, or null when it is not a domain or address. */
export function normaliseBlockedDomain(entry: string): string | null {
  const bare = entry.trim().replace(/^\*?\./, '');
  if (bare.length === 0) return null;
  const ascii = bare.startsWith('[') ? bare.toLowerCase() : domainToASCII(bare);
  return ascii === '' ? null : comparable(ascii);
}

/** Builds the URL policy; throws when a blocklist entry is not a domain. */
export function createUrlPolicy(options: UrlPolicyOptions): UrlPolicy {
  const publicHost = comparable(options.publicUrl.hostname);
  const listenHost = comparable(options.listenHost);
  const publicIsLocal = isLoopback(publicHost);
  const ownHosts = new Set([publicHost]);
  if (!WILDCARD_HOSTS.has(listenHost)) {
    ownHosts.add(
      listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost,
    );
  }
  const blocked = new Set<string>();
  for (const entry of options.blocklist) {
    const domain = normaliseBlockedDomain(entry);
    if (domain === null) throw new Error(`blocklist entry "${entry}" is not a domain name`);
    blocked.add(domain);
  }

  const isBlocked = (host: string): boolean => {
    if (blocked.size === 0) return false;
    if (blocked.has(host)) return true;
    // Addresses match exactly; names also through each parent domain.
    if (host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host)) return false;
    for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) {
      if (blocked.has(host.slice(dot + 1))) return true;
    }
    return false;
  };

  return {
    normalise(raw) {
      const text = raw.trim();
      if (text.length > URL_MAX_LENGTH) {
        throw new AppError(
          'URL_TOO_LONG',
          `The URL is ${text.length} characters long; the limit is ${URL_MAX_LENGTH}.`,
        );
      }
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new AppError(
          'INVALID_URL',
          'The URL is not absolute: write it in full, starting with https://.',
        );
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new AppError(
          'URL_SCHEME_NOT_ALLOWED',
          `Only http: and https: links are allowed, not ${url.protocol}.`,
        );
      }
      if (url.username !== '' || url.password !== '') {
        throw new AppError(
          'URL_HAS_CREDENTIALS',
          'The URL carries a user name or password; links may not hold credentials.',
        );
      }
      // The WHATWG parser has already put IDN labels in punycode, lower-cased the host
      // and turned numeric IPv4 spellings (2130706433, 0x7f.1) into dotted form.
      const host = comparable(url.hostname);
      if (host === '') throw new AppError('INVALID_URL', 'The URL has no host.');
      if (ownHosts.has(host) || (publicIsLocal && isLoopback(host))) {
        throw new AppError(
          'URL_SELF_REFERENCE',
          'The URL points at this service itself; link to the destination instead.',
        );
      }
      if (isBlocked(host)) {
        throw new AppError('URL_BLOCKED', `Links to ${host} are not allowed on this server.`);
      }
      const normalised = url.href;
      if (normalised.length > URL_MAX_LENGTH) {
        throw new AppError(
          'URL_TOO_LONG',
          `The URL is ${normalised.length} characters long once normalised; the limit is ${URL_MAX_LENGTH}.`,
        );
      }
      return normalised;
    },
  };
}
