import type { Group, GroupEventFrame, PublicUser, SwitchboardClient } from '@switchboard/sdk';

interface Saved {
  users: Record<string, { username: string; displayName?: string }>;
  groups: Record<string, string>;
}

/** Lookups at once: the server limits them per minute, and a big group has many members. */
const LOOKUP_CONCURRENCY = 4;

/**
 * Names for the ids messages carry: people (display name or username) and group names,
 * kept in localStorage per account so that a reload (or a page opened offline) shows
 * names at once. Each person is looked up once per
 * page load to pick up a changed display name; groups are read when a screen asks.
 */
export class ChatDirectory {
  readonly #key: string;
  readonly #saved: Saved;
  readonly #listeners = new Set<() => void>();
  readonly #wanted = new Set<string>();
  readonly #looked = new Set<string>();
  readonly #missing = new Set<string>();
  readonly #groups = new Map<string, Group>();
  readonly #groupLoads = new Map<string, Promise<Group | null>>();
  readonly #groupsTried = new Set<string>();
  #client: SwitchboardClient | null = null;
  #running = 0;
  #version = 0;
  #saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly userId: string) {
    this.#key = ChatDirectory.storageKey(userId);
    this.#saved = read(this.#key);
  }

  /** Where an account's directory lives in localStorage. */
  static storageKey(userId: string): string {
    return `switchboard.chat.directory.${userId}`;
  }

  /** Changes whenever a name, a group or a note changes (for `useSyncExternalStore`). */
  get version(): number {
    return this.#version;
  }

  /** Lets the directory look up what it lacks through this client (null: offline for it). */
  useClient(client: SwitchboardClient | null): void {
    this.#client = client;
    this.#pump();
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A person's name as this app shows it, or null while unknown (and looked up). */
  nameOf(userId: string): string | null {
    const user = this.#saved.users[userId];
    if (!this.#looked.has(userId)) this.want(userId);
    // Read back from storage: checked, as anything there may have been edited.
    if (typeof user?.username !== 'string') return null;
    return typeof user.displayName === 'string' ? user.displayName : user.username;
  }

  /**
   * A person's name, looked up now if unknown (for a notification, which cannot wait for
   * a re-render); null when the lookup fails.
   */
  async resolveName(userId: string): Promise<string | null> {
    const known = this.nameOf(userId);
    if (known !== null || this.#client === null) return known;
    try {
      this.remember(await this.#client.users.byId(userId));
    } catch {
      return null;
    }
    return this.nameOf(userId);
  }

  /** True once the server said there is no such person (an id typed into the address). */
  isMissing(userId: string): boolean {
    return this.#missing.has(userId);
  }

  /** A person's username, if known. */
  usernameOf(userId: string): string | null {
    const username = this.#saved.users[userId]?.username;
    return typeof username === 'string' ? username : null;
  }

  /** Records a person met by another route (a lookup by username). */
  remember(user: PublicUser): void {
    this.#looked.add(user.userId);
    const known = this.#saved.users[user.userId];
    if (known?.username === user.username && known.displayName === user.displayName) return;
    this.#saved.users[user.userId] = {
      username: user.username,
      ...(user.displayName === undefined ? {} : { displayName: user.displayName }),
    };
    this.#changed();
  }

  /** Asks for a person's name in the background. */
  want(userId: string): void {
    if (this.#looked.has(userId) || this.#wanted.has(userId)) return;
    this.#wanted.add(userId);
    queueMicrotask(() => this.#pump());
  }

  /** A group's name, if known. */
  groupName(groupId: string): string | null {
    const name = this.#groups.get(groupId)?.name ?? this.#saved.groups[groupId];
    return typeof name === 'string' ? name : null;
  }

  /** Records a group's name (from a group event or a creation). */
  rememberGroupName(groupId: string, name: string): void {
    if (this.#saved.groups[groupId] === name) return;
    this.#saved.groups[groupId] = name;
    this.#changed();
  }

  /** A group as last read from the server, with its members; undefined before. */
  group(groupId: string): Group | undefined {
    return this.#groups.get(groupId);
  }

  /** Reads a group in the background, once per page load, when a screen needs its name. */
  wantGroup(groupId: string): void {
    if (this.#groupsTried.has(groupId) || this.#client === null) return;
    this.#groupsTried.add(groupId);
    queueMicrotask(() => void this.loadGroup(groupId).catch(() => null));
  }

  /**
   * Reads a group from the server (members only) and keeps it; null when this user is
   * not a member (any more). Concurrent calls share one request.
   */
  loadGroup(groupId: string): Promise<Group | null> {
    const client = this.#client;
    if (client === null) return Promise.resolve(this.#groups.get(groupId) ?? null);
    let load = this.#groupLoads.get(groupId);
    if (load === undefined) {
      load = client.groups.get(groupId).then(
        (group) => {
          this.#groupLoads.delete(groupId);
          this.setGroup(group);
          return group;
        },
        (error: unknown) => {
          this.#groupLoads.delete(groupId);
          const code = (error as { code?: string }).code;
          if (code === 'GROUP_NOT_FOUND' || code === 'NOT_A_MEMBER') {
            this.#groups.delete(groupId);
            this.#changed();
            return null;
          }
          throw error;
        },
      );
      this.#groupLoads.set(groupId, load);
    }
    return load;
  }

  /** Keeps a group the server answered (after a change made here). */
  setGroup(group: Group): void {
    this.#groups.set(group.groupId, group);
    this.#saved.groups[group.groupId] = group.name;
    for (const member of group.members) {
      if (this.#saved.users[member.userId] === undefined) this.want(member.userId);
    }
    this.#changed();
  }

  /** Follows a group event: the name it may carry, and who is in the group now. */
  groupChanged(event: GroupEventFrame): void {
    if (event.name !== undefined) this.rememberGroupName(event.groupId, event.name);
    this.want(event.by);
    if (event.userId !== undefined) this.want(event.userId);
    // Members changed: a group a screen has shown is read again.
    if (this.#groups.has(event.groupId)) void this.loadGroup(event.groupId).catch(() => null);
  }

  /** Forgets everything of this account here (sign-out). */
  static erase(userId: string): void {
    try {
      localStorage.removeItem(ChatDirectory.storageKey(userId));
    } catch {
      // storage blocked: nothing was kept
    }
  }

  /** Stops writing (the account signed out, or the page goes away). */
  dispose(): void {
    clearTimeout(this.#saveTimer);
    this.#listeners.clear();
    this.#client = null;
  }

  #pump(): void {
    const client = this.#client;
    if (client === null) return;
    while (this.#running < LOOKUP_CONCURRENCY && this.#wanted.size > 0) {
      const userId = this.#wanted.values().next().value as string;
      this.#wanted.delete(userId);
      if (this.#looked.has(userId)) continue;
      this.#looked.add(userId);
      this.#running += 1;
      client.users
        .byId(userId)
        .then(
          (user) => this.remember(user),
          (error: unknown) => {
            // Offline or rate limited: try again later; a user who is gone stays unknown.
            const code = (error as { code?: string }).code;
            if (code !== 'USER_NOT_FOUND' && code !== 'NOT_FOUND') this.#looked.delete(userId);
            else {
              this.#missing.add(userId);
              this.#changed();
            }
          },
        )
        .finally(() => {
          this.#running -= 1;
          this.#pump();
        });
    }
  }

  #changed(): void {
    this.#version += 1;
    for (const listener of this.#listeners) listener();
    clearTimeout(this.#saveTimer);
    this.#saveTimer = setTimeout(() => {
      try {
        localStorage.setItem(this.#key, JSON.stringify(this.#saved));
      } catch {
        // Full or blocked: names are looked up again next time.
      }
    }, 200);
  }
}

function read(key: string): Saved {
  const empty: Saved = { users: {}, groups: {} };
  try {
    const raw = localStorage.getItem(key);
    if (raw === null) return empty;
    const value = JSON.parse(raw) as Partial<Saved> | null;
    if (typeof value !== 'object' || value === null) return empty;
    return {
      users: isRecord(value.users) ? value.users : {},
      groups: isRecord(value.groups) ? value.groups : {},
    };
  } catch {
    return empty;
  }
}

function isRecord<T>(value: unknown): value is Record<string, T> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
