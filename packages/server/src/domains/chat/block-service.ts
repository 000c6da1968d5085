import { LRUCache } from 'lru-cache';
import { AppError } from '@switchboard/shared';
import type { Clock } from '../../clock.js';
import type { BlockEntry, BlockStore } from './block-store.js';
import type { ChatBus } from './chat-bus.js';
import type { UserDirectory } from './user-directory.js';

/** How a user stands with another: free, they blocked them, or were blocked by them. */
export type BlockRelation = 'none' | 'blocked' | 'blocked-by';

interface Relations {
  readonly blocked: ReadonlySet<string>;
  readonly blockedBy: ReadonlySet<string>;
}

const CACHE_USERS = 50_000;
/**
 * A user's blocks are cached this long. A change drops the cache at once on every node
 * (through the bus); the bound only matters if that event is lost, and keeps the
 * sends of active users from querying the store every few seconds.
 */
const CACHE_TTL_MS = 60_000;

/**
 * Blocking: a blocked user's messages, typing and presence do not reach the user who
 * blocked them, and neither does that user's presence reach them.
 */
export class BlockService {
  private readonly cache = new LRUCache<string, Relations>({ max: CACHE_USERS, ttl: CACHE_TTL_MS });
  private readonly listeners = new Set<(userId: string, otherId: string) => void>();
  /** Bumped on every change, so that a load that raced a change is not cached. */
  private generation = 0;

  constructor(
    private readonly store: BlockStore,
    private readonly users: UserDirectory,
    private readonly clock: Clock,
    private readonly bus: ChatBus,
  ) {
    bus.subscribe((event) => {
      if (event.kind === 'blocks-changed') this.forget(event.userIds);
      // Changes may have been missed while the bus was down: forget everything.
      else if (event.kind === 'resync') {
        this.generation++;
        this.cache.clear();
      }
    });
  }

  /** Where `userId` stands with `otherId`. */
  async between(userId: string, otherId: string): Promise<BlockRelation> {
    const mine = await this.relationsOf(userId);
    if (mine.blocked.has(otherId)) return 'blocked';
    if (mine.blockedBy.has(otherId)) return 'blocked-by';
    return 'none';
  }

  /** Users with a block between them and `userId`, either way. */
  async separated(userId: string): Promise<ReadonlySet<string>> {
    const mine = await this.relationsOf(userId);
    if (mine.blocked.size === 0) return mine.blockedBy;
    if (mine.blockedBy.size === 0) return mine.blocked;
    return new Set([...mine.blocked, ...mine.blockedBy]);
  }

  /** Blocks a user; idempotent. */
  async block(userId: string, targetId: string): Promise<void> {
    if (userId === targetId) throw new AppError('CANNOT_BLOCK_SELF');
    if (!(await this.users.exists(targetId))) throw new AppError('USER_NOT_FOUND');
    await this.store.block(userId, targetId, this.clock.now());
    this.changed(userId, targetId);
    for (const listener of this.listeners) listener(userId, targetId);
  }

  /** Unblocks a user; idempotent. */
  async unblock(userId: string, targetId: string): Promise<void> {
    await this.store.unblock(userId, targetId);
    this.changed(userId, targetId);
  }

  /** A page of the users `userId` blocked. */
  list(userId: string, limit: number, afterUserId?: string): Promise<BlockEntry[]> {
    return this.store.list(userId, limit, afterUserId);
  }

  /** Calls `listener(userId, blockedId)` after every new block. */
  onBlock(listener: (userId: string, blockedId: string) => void): void {
    this.listeners.add(listener);
  }

  private changed(userId: string, otherId: string): void {
    this.forget([userId, otherId]);
    this.bus.publish({ kind: 'blocks-changed', userIds: [userId, otherId] });
  }

  private forget(userIds: readonly string[]): void {
    this.generation++;
    for (const id of userIds) this.cache.delete(id);
  }

  private async relationsOf(userId: string): Promise<Relations> {
    const cached = this.cache.get(userId);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const { blocked, blockedBy } = await this.store.relations(userId);
    const relations = { blocked: new Set(blocked), blockedBy: new Set(blockedBy) };
    if (generation === this.generation) this.cache.set(userId, relations);
    return relations;
  }
}
