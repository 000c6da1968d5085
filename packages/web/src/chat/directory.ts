import type { Group, GroupEventFrame, PublicUser, SwitchboardClient } from '@switchboard/sdk';

/** A group change worth a line in the conversation ("Alice added Carol"). */
export interface GroupNote {
  /** Unique per device: the inbox seq of the event. */
  readonly seq: number;
  readonly ts: number;
  readonly event: GroupEventFrame['event'];
  readonly by: string;
  readonly userId?: string;
  readonly name?: string;
  readonly role?: string;
}

interface Saved {
  users: Record<string, { username: string; displayName?: string }>;
  groups: Record<string, string>;
  notes: Record<string, GroupNote[]>;
}

/** The lines kept per group: enough for the recent history a person scrolls through. */
const NOTES_PER_GROUP = 200;
/** Lookups at once: the server limits them per minute, and a big group has many members. */
const LOOKUP_CONCURRENCY = 4;

/**
 * Names for the ids messages carry: people (display name or username), group names and
 * the group changes of each group, kept in localStorage per account so that a reload
 * (or a page opened offline) shows names at once. Each person is looked up once per
 * page load to pick up a changed display name; groups are read when a screen asks.
 */
export class ChatDirectory {
  readonly #key: string;
  readonly #saved: Saved;
  readonly #listeners = new Set<() => void>();
  readonly #wanted = new Set<string>();
  readonly #looked = new Set<string>();
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

  /** The group changes seen on this device, oldest first. */
  notes(groupId: string): readonly GroupNote[] {
    const notes = this.#saved.notes[groupId];
    return Array.isArray(notes) ? notes.filter(isNote) : EMPTY;
  }

  /** Records a group event: a note for the conversation, and the name it may carry. */
  noteGroupEvent(event: GroupEventFrame): void {
    const notes = [...this.notes(event.groupId)];
    if (notes.some((n) => n.seq === event.seq)) return;
    const note: GroupNote = {
      seq: event.seq,
      ts: event.ts,
      event: event.event,
      by: event.by,
      ...(event.userId === undefined ? {} : { userId: event.userId }),
      ...(event.name === undefined ? {} : { name: event.name }),
      ...(event.role === undefined ? {} : { role: event.role }),
    };
    this.#saved.notes[event.groupId] = [...notes, note].slice(-NOTES_PER_GROUP);
    if (event.name !== undefined) this.#saved.groups[event.groupId] = event.name;
    this.want(event.by);
    if (event.userId !== undefined) this.want(event.userId);
    // Members changed: the next screen that needs them reads them again.
    if (this.#groups.has(event.groupId)) void this.loadGroup(event.groupId).catch(() => null);
    this.#changed();
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

const EMPTY: readonly GroupNote[] = [];

function read(key: string): Saved {
  const empty: Saved = { users: {}, groups: {}, notes: {} };
  try {
    const raw = localStorage.getItem(key);
    if (raw === null) return empty;
    const value = JSON.parse(raw) as Partial<Saved> | null;
    if (typeof value !== 'object' || value === null) return empty;
    return {
      users: isRecord(value.users) ? value.users : {},
      groups: isRecord(value.groups) ? value.groups : {},
      notes: isRecord(value.notes) ? value.notes : {},
    };
  } catch {
    return empty;
  }
}

function isNote(value: unknown): value is GroupNote {
  const note = value as Partial<GroupNote> | null;
  return (
    typeof note === 'object' &&
    note !== null &&
    typeof note.seq === 'number' &&
    typeof note.ts === 'number' &&
    typeof note.event === 'string' &&
    typeof note.by === 'string' &&
    (note.userId === undefined || typeof note.userId === 'string') &&
    (note.name === undefined || typeof note.name === 'string')
  );
}

function isRecord<T>(value: unknown): value is Record<string, T> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
