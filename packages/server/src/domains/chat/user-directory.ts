import { LRUCache } from 'lru-cache';
import type { AccountsModule, UserProfile } from '../accounts/accounts.module.js';

/** Users whose existence is kept in memory at most. */
const CACHE_USERS = 100_000;

/** What chat needs from the accounts domain. */
export type ChatAccounts = Pick<AccountsModule, 'devicesOf' | 'usersById'>;

/**
 * The accounts as chat asks about them: whether a user exists (on every send, so it is
 * cached: an account, once seen, does not go away here), their devices (cached by the
 * accounts domain) and their profile (never cached: `hideLastSeen` must apply at once).
 */
export class UserDirectory {
  private readonly known = new LRUCache<string, true>({ max: CACHE_USERS });

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
    for (const id of found.keys()) this.known.set(id, true);
    return unknown.filter((id) => !found.has(id));
  }

  /** A user's profile, or null when there is no such user. */
  async profile(userId: string): Promise<UserProfile | null> {
    const profile = (await this.accounts.usersById([userId])).get(userId) ?? null;
    if (profile !== null) this.known.set(userId, true);
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
