import { LRUCache } from 'lru-cache';
import type { Clock } from '../../clock.js';
import type { CachedLink, LinkCache } from '../../domains/links/link-cache.js';

/** Sizes and lifetimes of the in-process link cache. */
export interface MemoryLinkCacheOptions {
  /** Links kept (LINK_CACHE_SIZE); 0 turns caching off. */
  readonly size: number;
  /** How long an unknown code is remembered as unknown (LINK_NEGATIVE_CACHE_MS); 0 turns it off. */
  readonly negativeTtlMs: number;
  readonly clock: Clock;
}

/** Negative entries live in their own, smaller LRU. */
const NEGATIVE_SHARE = 4;

/**
 * The in-process link cache: an LRU of links and a separate LRU of unknown codes with
 * a short lifetime, so that a scan of random codes cannot evict the popular links.
 */
export class MemoryLinkCache implements LinkCache {
  readonly #links: LRUCache<string, CachedLink> | null;
  readonly #unknown: LRUCache<string, true> | null;
  readonly #loading = new Map<string, Promise<CachedLink | null>>();
  /** Bumped by every invalidation, so that a load that raced with one is not cached. */
  #generation = 0;

  constructor(options: MemoryLinkCacheOptions) {
    this.#links = options.size > 0 ? new LRUCache({ max: options.size }) : null;
    this.#unknown =
      options.size > 0 && options.negativeTtlMs > 0
        ? new LRUCache({
            max: Math.max(1, Math.ceil(options.size / NEGATIVE_SHARE)),
            ttl: options.negativeTtlMs,
            ttlAutopurge: false,
            // Staleness is checked on read against the service clock, so tests can move it.
            perf: { now: () => options.clock.now() },
            ttlResolution: 0,
          })
        : null;
  }

  peek(code: string): CachedLink | null | undefined {
    const link = this.#links?.get(code);
    if (link !== undefined) return link;
    return this.#unknown?.get(code) === true ? null : undefined;
  }

  resolve(
    code: string,
    load: (code: string) => Promise<CachedLink | null>,
  ): Promise<CachedLink | null> {
    const known = this.peek(code);
    if (known !== undefined) return Promise.resolve(known);
    const pending = this.#loading.get(code);
    if (pending !== undefined) return pending;
    const generation = this.#generation;
    const promise = load(code).then(
      (link) => {
        if (this.#loading.get(code) === promise) this.#loading.delete(code);
        if (generation === this.#generation) this.#remember(code, link);
        return link;
      },
      (error: unknown) => {
        if (this.#loading.get(code) === promise) this.#loading.delete(code);
        throw error;
      },
    );
    this.#loading.set(code, promise);
    return promise;
  }

  resolveNow(code: string, load: (code: string) => CachedLink | null): CachedLink | null {
    const known = this.peek(code);
    if (known !== undefined) return known;
    // Read and remembered in one turn: no invalidation can come between them.
    const link = load(code);
    this.#remember(code, link);
    return link;
  }

  /** Keeps a loaded link, or that the code is unknown. */
  #remember(code: string, link: CachedLink | null): void {
    if (link !== null) this.#links?.set(code, link);
    else this.#unknown?.set(code, true);
  }

  invalidate(code: string): Promise<void> {
    this.#generation++;
    this.#links?.delete(code);
    this.#unknown?.delete(code);
    this.#loading.delete(code);
    return Promise.resolve();
  }
}
