import { hash, verify } from '@node-rs/argon2';
import {
  AppError,
  type CreateLinkRequest,
  type Link,
  type LinkPage,
  type LinkStats,
  type UnlockLinkResponse,
  type UpdateLinkRequest,
} from '@switchboard/shared';
import type { Clock } from '../../clock.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { ClickAggregator } from './click-aggregator.js';
import type { ClickStore, KeyCount } from './click-store.js';
import type { CodeGenerator } from './code-generator.js';
import type { CachedLink, LinkCache } from './link-cache.js';
import { newLinkId } from './link-ids.js';
import { checkAlias, checkMaxClicks, checkRedirectType, parseExpiry } from './link-rules.js';
import type { LinkChanges, LinkCursor, LinkRecord, LinkStore } from './link-store.js';
import type { UrlPolicy } from './url-policy.js';

const DAY_MS = 86_400_000;
/** Keys per breakdown in the statistics. */
const BREAKDOWN_LIMIT = 100;
/** Attempts at a generated code that collides with an alias before giving up. */
const CODE_ATTEMPTS = 20;
/** OWASP's argon2id parameters: 19 MiB, two passes, one lane. */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Whether a link may be followed now, and if not why. */
export type LinkState = 'follow' | 'expired' | 'exhausted' | 'locked';

/** The outcome of following a link with a click limit. */
export type LimitedFollow = 'counted' | 'uncounted' | 'exhausted';

/** Everything the link service is built from. */
export interface LinkServiceDeps {
  readonly links: LinkStore;
  readonly clicks: ClickStore;
  readonly cache: LinkCache;
  readonly codes: CodeGenerator;
  readonly urlPolicy: UrlPolicy;
  readonly aggregator: ClickAggregator;
  readonly passwordAttempts: RateLimiter;
  readonly clock: Clock;
  readonly publicUrl: URL;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoDay(ms: number): string {
  return iso(ms).slice(0, 10);
}

function toCached(link: LinkRecord): CachedLink {
  return {
    id: link.id,
    code: link.code,
    url: link.url,
    redirectType: link.redirectType,
    expiresAt: link.expiresAt,
    maxClicks: link.maxClicks,
    passwordHash: link.passwordHash,
    ownerId: link.ownerId,
    exhausted: link.maxClicks !== null && link.clicks >= link.maxClicks,
  };
}

function encodeCursor(link: LinkRecord): string {
  return Buffer.from(`${link.createdAt}.${link.id}`).toString('base64url');
}

function decodeCursor(cursor: string): LinkCursor {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(text);
  if (match === null) {
    throw new AppError('INVALID_REQUEST', 'The cursor is not one this server handed out.');
  }
  return { createdAt: Number(match[1]), id: match[2]! };
}

/** Adds pending counts to stored ones and sorts: most clicks first, then by key. */
function mergeCounts(stored: readonly KeyCount[], pending: Map<string, number>): KeyCount[] {
  const merged = new Map(stored.map((c) => [c.key, c.clicks]));
  for (const [key, clicks] of pending) merged.set(key, (merged.get(key) ?? 0) + clicks);
  return [...merged]
    .map(([key, clicks]) => ({ key, clicks }))
    .sort((a, b) => b.clicks - a.clicks || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, BREAKDOWN_LIMIT);
}

function add(map: Map<string, number>, key: string, clicks: number): void {
  map.set(key, (map.get(key) ?? 0) + clicks);
}

/**
 * The links domain: creating, reading, changing and deleting links, the decisions of
 * the redirect path, password unlocking and statistics. Knows nothing of HTTP.
 */
export class LinkService {
  constructor(private readonly deps: LinkServiceDeps) {}

  /** The short URL of a code. */
  shortUrl(code: string): string {
    return `${this.deps.publicUrl.origin}/${code}`;
  }

  // ------------------------------------------------------------------ management

  /** Creates a link for `ownerId` (null: anonymous). */
  async create(request: CreateLinkRequest, ownerId: string | null): Promise<Link> {
    const { links, codes, urlPolicy, clock, cache } = this.deps;
    const url = urlPolicy.normalise(request.url);
    const alias = request.alias === undefined ? null : checkAlias(request.alias);
    const now = clock.now();
    const expiresAt = parseExpiry(request.expiresAt, now);
    const maxClicks = checkMaxClicks(request.maxClicks);
    const redirectType = checkRedirectType(request.redirectType);
    const passwordHash =
      request.password === undefined || request.password === null
        ? null
        : await hash(request.password, ARGON2);
    const base = {
      id: newLinkId(now),
      url,
      ownerId,
      passwordHash,
      redirectType,
      expiresAt,
      maxClicks,
      createdAt: now,
      updatedAt: now,
    };
    let record: LinkRecord;
    if (alias !== null) {
      record = await links.insert({ ...base, code: alias });
    } else {
      for (let attempt = 1; ; attempt++) {
        try {
          record = await links.insert({ ...base, code: await codes.next() });
          break;
        } catch (error) {
          // An alias took this code before the generator reached it: take the next id.
          if (error instanceof AppError && error.code === 'ALIAS_TAKEN' && attempt < CODE_ATTEMPTS)
            continue;
          throw error;
        }
      }
    }
    // The code may have been looked up (and remembered as unknown) before it existed.
    await cache.invalidate(record.code);
    return this.#present(record, 0);
  }

  /** A link with its clicks, for its owner (or anyone, for an anonymous link). */
  async get(code: string, callerId: string | null): Promise<Link> {
    const [link, pending] = await this.#readConsistently(
      () => this.#find(code),
      (found) => this.deps.aggregator.pendingTotal(found.id),
    );
    this.#assertReadable(link, callerId);
    if (link.passwordHash !== null && link.ownerId === null) {
      throw new AppError(
        'LINK_PASSWORD_REQUIRED',
        'This link is password-protected; its target is shown only for the password.',
      );
    }
    return this.#present(link, pending);
  }

  /** An owner's links, newest first. */
  async list(ownerId: string, limit: number, cursor: string | undefined): Promise<LinkPage> {
    const after = cursor === undefined ? null : decodeCursor(cursor);
    const { aggregator } = this.deps;
    // One more than asked tells whether there is a next page.
    const [rows, pending] = await this.#readConsistently(
      () => this.deps.links.listByOwner(ownerId, limit + 1, after),
      (found) => found.map((l) => aggregator.pendingTotal(l.id)),
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((link, i) => this.#present(link, pending[i]!)),
      nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!) : null,
    };
  }

  /** Changes a link; its owner only. `null` clears expiry, click limit or password. */
  async update(code: string, callerId: string | null, request: UpdateLinkRequest): Promise<Link> {
    const { links, urlPolicy, clock, cache, aggregator } = this.deps;
    const link = await this.#find(code);
    this.#assertOwner(link, callerId);
    const now = clock.now();
    const changes: LinkChanges = {
      updatedAt: Math.max(now, link.updatedAt),
      ...(request.url === undefined ? {} : { url: urlPolicy.normalise(request.url) }),
      ...(request.expiresAt === undefined
        ? {}
        : { expiresAt: parseExpiry(request.expiresAt, now) }),
      ...(request.maxClicks === undefined ? {} : { maxClicks: checkMaxClicks(request.maxClicks) }),
      ...(request.redirectType === undefined
        ? {}
        : { redirectType: checkRedirectType(request.redirectType) }),
      ...(request.password === undefined
        ? {}
        : {
            passwordHash: request.password === null ? null : await hash(request.password, ARGON2),
          }),
    };
    if (link.maxClicks === null && changes.maxClicks !== undefined && changes.maxClicks !== null) {
      // From now on the limit is checked against the stored total: write what is buffered.
      await aggregator.flush().catch(() => undefined);
    }
    const updated = await links.update(link.id, changes);
    await cache.invalidate(code);
    if (updated === null) throw this.#notFound(code);
    const [fresh, pending] = await this.#readConsistently(
      () => this.#find(code),
      (found) => aggregator.pendingTotal(found.id),
    );
    return this.#present(fresh, pending);
  }

  /** Deletes a link and its statistics; its owner only. */
  async delete(code: string, callerId: string | null): Promise<void> {
    const link = await this.#find(code);
    this.#assertOwner(link, callerId);
    await this.deps.links.delete(link.id);
    this.deps.aggregator.forget(link.id);
    await this.deps.cache.invalidate(code);
  }

  /** Clicks by day, referrer, device and browser over the last `days` days (UTC). */
  async stats(code: string, callerId: string | null, days: number): Promise<LinkStats> {
    const { clicks, aggregator, clock } = this.deps;
    const now = clock.now();
    const today = now - (now % DAY_MS);
    const from = today - (days - 1) * DAY_MS;
    const [[link, stored], [pendingTotal, pendingRows]] = await this.#readConsistently(
      async () => {
        const found = await this.#find(code);
        this.#assertReadable(found, callerId);
        return [found, await clicks.statsOf(found.id, from, BREAKDOWN_LIMIT)] as const;
      },
      ([found]) => [aggregator.pendingTotal(found.id), aggregator.pendingRows(found.id)] as const,
    );

    const byDay = new Map<number, number>();
    for (const d of stored.byDay) byDay.set(d.day, d.clicks);
    const referrers = new Map<string, number>();
    const devices = new Map<string, number>();
    const browsers = new Map<string, number>();
    let bots = stored.bots;
    for (const row of pendingRows) {
      if (row.day < from) continue;
      byDay.set(row.day, (byDay.get(row.day) ?? 0) + row.clicks);
      add(referrers, row.referrer, row.clicks);
      add(devices, row.device, row.clicks);
      add(browsers, row.browser, row.clicks);
      if (row.bot) bots += row.clicks;
    }
    return {
      clicks: link.clicks + pendingTotal,
      from: isoDay(from),
      to: isoDay(today),
      byDay: Array.from({ length: days }, (_, i) => {
        const day = from + i * DAY_MS;
        return { day: isoDay(day), clicks: byDay.get(day) ?? 0 };
      }),
      referrers: mergeCounts(stored.referrers, referrers),
      devices: mergeCounts(stored.devices, devices),
      browsers: mergeCounts(stored.browsers, browsers),
      bots,
    };
  }

  // ------------------------------------------------------------------ redirect path

  /** The cached answer for a code without waiting; see `LinkCache.peek`. */
  peek(code: string): CachedLink | null | undefined {
    return this.deps.cache.peek(code);
  }

  /** The link for a code, through the cache; null when there is none. */
  resolve(code: string): Promise<CachedLink | null> {
    return this.deps.cache.resolve(code, (c) => this.#load(c));
  }

  /**
   * The link for a code, through the cache, answered in this turn when the cache and
   * the store can (SQLite, in-process cache); `undefined` when they cannot (then use
   * `resolve`). Throws what `resolve` would reject with.
   */
  resolveNow(code: string): CachedLink | null | undefined {
    const { cache, links } = this.deps;
    if (cache.resolveNow === undefined || links.findByCodeNow === undefined) return undefined;
    return cache.resolveNow(code, this.#loadNow);
  }

  /** Whether `resolveNow` and `resolveAllNow` answer here (SQLite, in-process cache). */
  get resolvesNow(): boolean {
    return this.deps.cache.resolveNow !== undefined && this.deps.links.findByCodeNow !== undefined;
  }

  /**
   * `resolveNow` for many codes, one after the other: the redirect path's misses of one
   * turn. `undefined` for a code not answered now: no synchronous store, or its lookup
   * failed (`resolve` meets the error again).
   */
  resolveAllNow(codes: readonly string[]): (CachedLink | null | undefined)[] {
    return codes.map((code) => {
      try {
        return this.resolveNow(code);
      } catch {
        return undefined;
      }
    });
  }

  readonly #loadNow = (code: string): CachedLink | null => {
    const link = this.deps.links.findByCodeNow!(code);
    return link === null ? null : toCached(link);
  };

  /** Whether a link may be followed at `now`; a locked link needs its password first. */
  stateOf(link: CachedLink, now: number): LinkState {
    if (link.expiresAt !== null && now >= link.expiresAt) return 'expired';
    if (link.exhausted) return 'exhausted';
    if (link.passwordHash !== null) return 'locked';
    return 'follow';
  }

  /** The time the redirect path compares expiry dates with. */
  now(): number {
    return this.deps.clock.now();
  }

  /**
   * Takes one click of a link with a click limit from the store, atomically: under
   * any concurrency, exactly `maxClicks` follows succeed.
   */
  async followLimited(link: CachedLink): Promise<LimitedFollow> {
    const verdict = await this.deps.links.countLimitedClick(link.id);
    switch (verdict) {
      case 'counted':
        return 'counted';
      case 'unlimited':
        return 'uncounted';
      case 'exhausted':
        link.exhausted = true;
        return 'exhausted';
      case 'missing':
        await this.deps.cache.invalidate(link.code);
        throw this.#notFound(link.code);
    }
  }

  /** Counts a click in the aggregates; call after the answer has gone out. */
  recordClick(
    link: CachedLink,
    counted: boolean,
    userAgent: string | undefined,
    referer: string | undefined,
  ): void {
    this.deps.aggregator.record(link.id, counted, userAgent, referer);
  }

  /**
   * Checks a link's password and, when right, counts the click and answers the
   * target. Attempts are limited per link and client address.
   */
  async unlock(
    code: string,
    password: string,
    clientAddress: string,
    userAgent: string | undefined,
    referer: string | undefined,
  ): Promise<UnlockLinkResponse> {
    const link = await this.resolve(code);
    if (link === null) throw this.#notFound(code);
    this.#assertFollowable(link);
    if (link.passwordHash !== null) {
      const key = `${link.id}:${clientAddress}`;
      await this.deps.passwordAttempts.consume(key);
      let right: boolean;
      try {
        right = await verify(link.passwordHash, password);
      } catch {
        right = false;
      }
      if (!right) throw new AppError('LINK_PASSWORD_INVALID', 'The password is wrong.');
      await this.deps.passwordAttempts.reset(key);
    }
    let counted = false;
    if (link.maxClicks !== null) {
      const outcome = await this.followLimited(link);
      if (outcome === 'exhausted') this.#assertFollowable(link);
      counted = outcome === 'counted';
    }
    this.recordClick(link, counted, userAgent, referer);
    return { url: link.url, redirectType: link.redirectType };
  }

  /** Throws `LINK_EXPIRED` or `LINK_EXHAUSTED` when the link cannot be followed now. */
  #assertFollowable(link: CachedLink): void {
    const state = this.stateOf(link, this.deps.clock.now());
    if (state === 'expired') throw expiredError();
    if (state === 'exhausted') throw exhaustedError();
  }

  // ------------------------------------------------------------------ helpers

  #load(code: string): Promise<CachedLink | null> {
    return this.deps.links.findByCode(code).then((link) => (link === null ? null : toCached(link)));
  }

  async #find(code: string): Promise<LinkRecord> {
    const link = await this.deps.links.findByCode(code);
    if (link === null) throw this.#notFound(code);
    return link;
  }

  #notFound(code: string): AppError {
    return new AppError('LINK_NOT_FOUND', `No link has the code "${code}".`);
  }

  #assertReadable(link: LinkRecord, callerId: string | null): void {
    if (link.ownerId !== null && link.ownerId !== callerId) {
      throw new AppError('NOT_LINK_OWNER', 'This link belongs to another account.');
    }
  }

  #assertOwner(link: LinkRecord, callerId: string | null): void {
    if (link.ownerId === null) {
      throw new AppError('NOT_LINK_OWNER', 'Links made without an account cannot be changed.');
    }
    if (link.ownerId !== callerId) {
      throw new AppError('NOT_LINK_OWNER', 'Only the owner of this link may change it.');
    }
  }

  /**
   * Reads from the store and takes the matching pending clicks, such that no flush
   * committed in between: the stored totals and the buffered ones then add up exactly.
   */
  async #readConsistently<T, P>(read: () => Promise<T>, pending: (value: T) => P): Promise<[T, P]> {
    const { aggregator } = this.deps;
    for (let attempt = 1; ; attempt++) {
      await aggregator.settled();
      const epoch = aggregator.epoch;
      const value = await read();
      if (aggregator.epoch === epoch || attempt >= 5) return [value, pending(value)];
    }
  }

  #present(link: LinkRecord, pending: number): Link {
    const clicks = link.clicks + pending;
    const now = this.deps.clock.now();
    return {
      code: link.code,
      shortUrl: this.shortUrl(link.code),
      url: link.url,
      createdAt: iso(link.createdAt),
      updatedAt: iso(link.updatedAt),
      expiresAt: link.expiresAt === null ? null : iso(link.expiresAt),
      maxClicks: link.maxClicks,
      redirectType: link.redirectType,
      clicks,
      hasPassword: link.passwordHash !== null,
      status:
        link.expiresAt !== null && now >= link.expiresAt
          ? 'expired'
          : link.maxClicks !== null && clicks >= link.maxClicks
            ? 'exhausted'
            : 'active',
    };
  }
}

/** The answer for a link past its expiry date. */
export function expiredError(): AppError {
  return new AppError('LINK_EXPIRED', 'This link has expired.');
}

/** The answer for a link that has used up its clicks. */
export function exhaustedError(): AppError {
  return new AppError('LINK_EXHAUSTED', 'This link has reached its maximum number of clicks.');
}
