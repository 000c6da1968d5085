import type { RedirectType } from '@switchboard/shared';

/** What a redirect needs to know about a link; kept in the cache. */
export interface CachedLink {
  readonly id: string;
  readonly code: string;
  readonly url: string;
  readonly redirectType: RedirectType;
  readonly expiresAt: number | null;
  readonly maxClicks: number | null;
  readonly passwordHash: string | null;
  readonly ownerId: string | null;
  /**
   * Set once a limited link was refused a click, so that later redirects answer 410
   * without asking the store; only a change, which invalidates the entry, can lift it.
   */
  exhausted: boolean;
}

/**
 * The redirect path's cache of links by code, with negative entries for unknown codes.
 * In-process now; a Redis layer with cross-node invalidation can implement the same
 * port, keeping `peek` synchronous on its in-process layer.
 */
export interface LinkCache {
  /**
   * The process-local answer, without waiting: a link, `null` for a code known not to
   * exist (a negative entry), `undefined` when this layer does not know.
   */
  peek(code: string): CachedLink | null | undefined;
  /**
   * The answer from the fastest layer that knows it, else from `load`, whose result is
   * remembered (negatively when null). Concurrent calls for one code share one `load`.
   */
  resolve(
    code: string,
    load: (code: string) => Promise<CachedLink | null>,
  ): Promise<CachedLink | null>;
  /**
   * `resolve` with a load that answers in the same turn, for a store that can
   * (SQLite); offered by in-process caches only. The result is remembered the same way;
   * a throw of `load` is passed on and nothing is remembered.
   */
  readonly resolveNow?: (
    code: string,
    load: (code: string) => CachedLink | null,
  ) => CachedLink | null;
  /** Forgets a code (in a cluster: on every node), after it was created, changed or deleted. */
  invalidate(code: string): Promise<void>;
}
