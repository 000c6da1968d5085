import { LRUCache } from 'lru-cache';
import type { Logger } from '../../logger.js';
import type { AccountStore } from './account-store.js';
import type { DeviceChange } from './accounts.module.js';

/** Users whose device lists are kept in memory at most. */
const CACHE_USERS = 50_000;
/**
 * How long a cached device list is trusted. On one node every change invalidates it
 * at once; the bound only matters when another node changed the devices (scale-out),
 * and there the worst case is a message copied to a just-revoked device's inbox or a
 * device added seconds ago missing a message sent meanwhile.
 */
const CACHE_TTL_MS = 5_000;

/**
 * Who has which devices, for the chat fan-out that asks on every send, and the
 * announcements of device changes. Lists are cached per user and dropped on every
 * change made through this node.
 */
export class DeviceDirectory {
  private readonly cache = new LRUCache<string, readonly string[]>({
    max: CACHE_USERS,
    ttl: CACHE_TTL_MS,
  });
  /** Loads in flight, shared by concurrent callers for the same user. */
  private readonly loading = new Map<string, { generation: number; ids: Promise<string[]> }>();
  /** Bumped on every change, so that a load that raced a change is not cached. */
  private generation = 0;
  private readonly listeners = new Set<(change: DeviceChange) => void>();

  constructor(
    private readonly store: AccountStore,
    private readonly logger: Logger,
  ) {}

  /** The ids of a user's devices, oldest first; a fresh array the caller may keep. */
  async devicesOf(userId: string): Promise<string[]> {
    const cached = this.cache.get(userId);
    if (cached !== undefined) return [...cached];
    const generation = this.generation;
    let pending = this.loading.get(userId);
    if (pending === undefined || pending.generation !== generation) {
      const ids = this.store.listDeviceIds(userId);
      pending = { generation, ids };
      this.loading.set(userId, pending);
      const mine = pending;
      ids
        .then((loaded) => {
          if (this.generation === generation) this.cache.set(userId, loaded);
        })
        .catch(() => undefined)
        .finally(() => {
          if (this.loading.get(userId) === mine) this.loading.delete(userId);
        });
    }
    return [...(await pending.ids)];
  }

  /** Announces changes that are already stored: drops the cached lists, then tells listeners. */
  announce(changes: readonly DeviceChange[]): void {
    if (changes.length === 0) return;
    this.generation += 1;
    for (const change of changes) this.cache.delete(change.userId);
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (error) {
          // One domain's failing listener must not stop the others from hearing.
          this.logger.error({ err: error, change }, 'a device change listener failed');
        }
      }
    }
  }

  /** Calls `listener` after every device change; returns the function that unsubscribes. */
  onDeviceChange(listener: (change: DeviceChange) => void): () => void {
    // A wrapper, so that subscribing the same function twice gives two subscriptions.
    const entry = (change: DeviceChange) => listener(change);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }
}
