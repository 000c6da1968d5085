import { LRUCache } from 'lru-cache';
import type { AccountsModule, UserProfile } from '../accounts/accounts.module.js';

/** Users whose existence and profile are kept in memory at most. */
const CACHE_USERS = 100_000;
/**
 * How long a profile is trusted: `hideLastSeen` may change, and on another node in
 * scale-out; existence never goes away once seen (accounts are not deleted here).
 */
const PROFILE_TTL_MS = 5_000;

/** What chat needs from the accounts domain. */
export type ChatAccounts = Pick<AccountsModule, 'devicesOf' | 'usersById'>;

/**
 * The accounts as chat asks about them on every send: whether a user exists, their
 * devices, and their profile, with small caches so that the hot path does not query.
 */
export class UserDirectory {
  private readonly known = new LRUCache<string, true>({ max: CACHE_USERS });
  private readonly profiles = new LRUCache<string, UserProfile>({
    max: CACHE_USERS,
    ttl: PROFILE_TTL_MS,
  });

  constructor(private readonly accounts: ChatAccounts) {}

  /** True when a user with this id exists. */
  async exists(userId: string): Promise<boolean> {
    if (this.known.has(userId)) return true;
    return (await this.profile(userId)) !== null;
  }

  /** The ids among these that match no user. */
  async missing(userIds: readonly string[]): Promise<string[]> {
    const unknown = userIds.filter((id) => !this.known.has(id));
    if (unknown.length === 0) return [];
    const found = await this.accounts.usersById(unknown);
    for (const [id, profile] of found) {
      this.known.set(id, true);
      this.profiles.set(id, profile);
    }
    return unknown.filter((id) => !found.has(id));
  }

  /** A user's profile, or null when there is no such user. */
  async profile(userId: string): Promise<UserProfile | null> {
    const cached = this.profiles.get(userId);
    if (cached !== undefined) return cached;
    const profile = (await this.accounts.usersById([userId])).get(userId) ?? null;
    if (profile !== null) {
      this.known.set(userId, true);
      this.profiles.set(userId, profile);
    }
    return profile;
  }

  /** The ids of a user's devices (the accounts domain caches them). */
  devicesOf(userId: string): Promise<string[]> {
    return this.accounts.devicesOf(userId);
  }

  /** The devices of several users, by user. */
  async devicesOfAll(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const lists = await Promise.all(userIds.map((id) => this.accounts.devicesOf(id)));
    return new Map(userIds.map((id, i) => [id, lists[i]!]));
  }
}
