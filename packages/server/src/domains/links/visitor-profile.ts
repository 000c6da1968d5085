import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';
import { UAParser } from 'ua-parser-js';

/** The device classes clicks are counted by. */
export type DeviceClass = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other';

/** What a click's user agent says about the visitor. */
export interface VisitorProfile {
  readonly device: DeviceClass;
  /** Browser family, e.g. `Chrome`, `Mobile Safari`; `(unknown)` when none is recognised. */
  readonly browser: string;
  readonly bot: boolean;
  /** `device`, `browser` and `bot` in one string, for aggregation keys. */
  readonly key: string;
}

/** Longest browser name stored (the column's width). */
const BROWSER_MAX = 64;
/** Longest referrer host stored: the longest DNS name, 253 characters. */
const REFERRER_MAX = 253;

const DESKTOP_OSES = new Set([
  'Windows',
  'Mac OS',
  'macOS',
  'Linux',
  'Ubuntu',
  'Debian',
  'Fedora',
  'Chromium OS',
  'Chrome OS',
  'FreeBSD',
  'OpenBSD',
  'NetBSD',
  'Mint',
  'Arch',
  'Gentoo',
  'SUSE',
  'Red Hat',
  'CentOS',
]);

function profile(device: DeviceClass, browser: string, bot: boolean): VisitorProfile {
  return { device, browser, bot, key: `${device}\u0001${browser}\u0001${bot ? 1 : 0}` };
}

const NO_USER_AGENT = profile('other', '(unknown)', false);

const BOT_TOKEN = /([A-Za-z][\w-]*(?:bot|crawler|spider|fetcher|preview|scraper)[\w-]*)/i;
const PRODUCT_TOKEN = /^([A-Za-z][\w.-]*)/;

/**
 * A bot's family name without its version: `Googlebot`, `curl`, `Slackbot-LinkExpanding`,
 * so that breakdowns group a crawler's versions together.
 */
function botName(userAgent: string): string {
  const named = BOT_TOKEN.exec(userAgent)?.[1];
  if (named !== undefined) return named;
  const product = PRODUCT_TOKEN.exec(userAgent)?.[1];
  if (product !== undefined && product !== 'Mozilla') return product;
  return '(bot)';
}

/** Classifies one user agent string (uncached). */
export function classifyUserAgent(userAgent: string | undefined): VisitorProfile {
  if (userAgent === undefined || userAgent.trim() === '') return NO_USER_AGENT;
  const result = UAParser(userAgent);
  if (isbot(userAgent)) {
    return profile('bot', botName(userAgent).slice(0, BROWSER_MAX), true);
  }
  const browser = (result.browser.name ?? '(unknown)').slice(0, BROWSER_MAX);
  switch (result.device.type) {
    case 'mobile':
    case 'wearable':
      return profile('mobile', browser, false);
    case 'tablet':
      return profile('tablet', browser, false);
    case undefined: {
      const os = result.os.name;
      const desktop =
        (os !== undefined && DESKTOP_OSES.has(os)) ||
        (os === undefined && result.browser.name !== undefined);
      return profile(desktop ? 'desktop' : 'other', browser, false);
    }
    default:
      // Consoles, smart TVs, embedded devices.
      return profile('other', browser, false);
  }
}

/**
 * Classifies user agents with a small LRU cache in front of the parser: a handful of
 * browser versions make most of the traffic, and parsing costs microseconds.
 */
export class VisitorClassifier {
  readonly #cache: LRUCache<string, VisitorProfile>;
  readonly #referrers: LRUCache<string, string>;

  constructor(cacheSize = 2_000) {
    this.#cache = new LRUCache({ max: cacheSize });
    this.#referrers = new LRUCache({ max: cacheSize });
  }

  /**
   * `referrerHost`, cached: browsers mostly send the referring origin only
   * (`strict-origin-when-cross-origin`), so a few values repeat, and parsing a URL
   * costs more than the rest of counting a click.
   */
  referrer(referer: string | undefined): string {
    if (referer === undefined || referer.length === 0) return '(direct)';
    let host = this.#referrers.get(referer);
    if (host === undefined) {
      host = referrerHost(referer);
      if (referer.length <= 512) this.#referrers.set(referer, host);
    }
    return host;
  }

  classify(userAgent: string | undefined): VisitorProfile {
    if (userAgent === undefined || userAgent.length === 0) return NO_USER_AGENT;
    let found = this.#cache.get(userAgent);
    if (found === undefined) {
      // A user agent longer than any real one is not worth a cache slot.
      found = classifyUserAgent(userAgent.slice(0, 1024));
      if (userAgent.length <= 1024) this.#cache.set(userAgent, found);
    }
    return found;
  }
}

/**
 * The host a `Referer` header names, lower-case as the URL parser gives it; `(direct)`
 * when there is none, `(unknown)` when it is not a URL.
 */
export function referrerHost(referer: string | undefined): string {
  if (referer === undefined || referer.length === 0) return '(direct)';
  let host: string;
  try {
    host = new URL(referer).hostname;
  } catch {
    return '(unknown)';
  }
  if (host.length === 0) return '(unknown)';
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.length > REFERRER_MAX ? host.slice(0, REFERRER_MAX) : host;
}
