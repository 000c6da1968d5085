import os from 'node:os';
import { domainToASCII } from 'node:url';
import { AppError, URL_MAX_LENGTH } from '@switchboard/shared';

/** The machine's network interfaces, as `os.networkInterfaces()` answers them. */
export type NetworkInterfaces = ReturnType<typeof os.networkInterfaces>;

/** What decides which targets a link may have. */
export interface UrlPolicyOptions {
  /** The service's public origin (PUBLIC_URL): links to its host are refused. */
  readonly publicUrl: URL;
  /**
   * The address the server listens on (HOST), refused too: that address when it names
   * one machine, every address of the machine's interfaces when it is a wildcard.
   */
  readonly listenHost: string;
  /** Blocked domains; their subdomains are blocked with them. */
  readonly blocklist: readonly string[];
  /** Where a wildcard HOST finds the machine's addresses; `os.networkInterfaces` by default. */
  readonly networkInterfaces?: () => NetworkInterfaces;
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
const WILDCARD_HOSTS = new Set(['0.0.0.0', '[::]']);
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Lower-case, no trailing dot: how hosts are compared. */
function comparable(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * `host` as the WHATWG parser writes a target's host (IPv6 in brackets and compressed,
 * IPv4 dotted, names lower-case in punycode), so that it compares with targets; null
 * when it is not a host.
 */
function hostForm(host: string): string | null {
  const text = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  try {
    return comparable(new URL(`http://${text}/`).hostname);
  } catch {
    return null;
  }
}

/** The spellings of a host a target may use: an IPv4 address also IPv4-mapped. */
function hostSpellings(host: string): string[] {
  if (!IPV4.test(host)) return [host];
  const mapped = hostForm(`::ffff:${host}`);
  return mapped === null ? [host] : [host, mapped];
}

/**
 * The hosts a server listening on `listenHost` answers on, as targets spell them: that
 * host, or for a wildcard (0.0.0.0, ::) every address of the machine's interfaces but
 * loopback ones (those are every visitor's own machine: see `publicIsLocal`).
 */
function listenHosts(listenHost: string, interfaces: () => NetworkInterfaces): string[] {
  const host = hostForm(listenHost);
  if (host === null) return [comparable(listenHost)];
  if (!WILDCARD_HOSTS.has(host)) return [host];
  const hosts: string[] = [];
  for (const addresses of Object.values(interfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal) continue;
      const form = hostForm(address.address);
      if (form !== null) hosts.push(form);
    }
  }
  return hosts;
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

/** One entry of a blocklist file, with its line number for the operator. */
export interface BlocklistLine {
  readonly line: number;
  readonly entry: string;
}

/**
 * Reads a blocklist file: one domain per line, `#` starts a comment, blank lines are
 * ignored. Entries may be IDN (converted to punycode) and may start with `*.` or `.`.
 */
export function parseBlocklist(text: string): BlocklistLine[] {
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line: i + 1, entry: line.replace(/#.*/, '').trim() }))
    .filter(({ entry }) => entry.length > 0);
}

/**
 * The comparable form of a blocklist entry, or null when it is not a domain or address.
 * IPv6 addresses may be written with or without brackets.
 */
export function normaliseBlockedDomain(entry: string): string | null {
  const bare = entry.trim().replace(/^\*?\./, '');
  if (bare.length === 0) return null;
  if (bare.startsWith('[') || bare.includes(':')) {
    // `hostForm` would take `[::1]:80` as a URL host with a port and drop the port.
    if (bare.startsWith('[') !== bare.endsWith(']')) return null;
    const address = hostForm(bare);
    return address?.startsWith('[') === true ? address : null;
  }
  // A URL, a path or a wildcard inside is a mistake to report, not a name to cut short
  // (domainToASCII would read `bad.example/x` as `bad.example`).
  if (/[/\\?#@*%\s]/.test(bare)) return null;
  const ascii = domainToASCII(bare);
  return ascii === '' ? null : comparable(ascii);
}

/** Builds the URL policy; throws when a blocklist entry is not a domain or address. */
export function createUrlPolicy(options: UrlPolicyOptions): UrlPolicy {
  const publicHost = comparable(options.publicUrl.hostname);
  const publicIsLocal = isLoopback(publicHost);
  // Hosts, not origins: a target on another port of this machine is refused too (a
  // proxy in front of the service may forward any of them to it). Read once, at start.
  const ownHosts = new Set(
    [
      publicHost,
      ...listenHosts(options.listenHost, options.networkInterfaces ?? os.networkInterfaces),
    ].flatMap(hostSpellings),
  );
  const blocked = new Set<string>();
  for (const entry of options.blocklist) {
    const domain = normaliseBlockedDomain(entry);
    if (domain === null) {
      throw new Error(`blocklist entry "${entry}" is not a domain name or address`);
    }
    // An IPv4 address is blocked in its IPv4-mapped IPv6 spelling too.
    for (const form of hostSpellings(domain)) blocked.add(form);
  }

  const isBlocked = (host: string): boolean => {
    if (blocked.size === 0) return false;
    if (blocked.has(host)) return true;
    // Addresses match exactly; names also through each parent domain.
    if (host.startsWith('[') || IPV4.test(host)) return false;
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
