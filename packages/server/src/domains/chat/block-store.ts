/** One user blocked by another. */
export interface BlockEntry {
  readonly userId: string;
  readonly createdAt: number;
}

/** The blocks between users: who refuses messages, typing and presence from whom. */
export interface BlockStore {
  /** Blocks a user; idempotent (the first time is kept). */
  block(userId: string, blockedUserId: string, at: number): Promise<void>;
  /** Unblocks; false when there was no such block. */
  unblock(userId: string, blockedUserId: string): Promise<boolean>;
  /** The users a user blocked, by user id, after `afterUserId`. */
  list(userId: string, limit: number, afterUserId?: string): Promise<BlockEntry[]>;
  /** Both directions at once: whom the user blocked, and who blocked the user. */
  relations(userId: string): Promise<{ blocked: string[]; blockedBy: string[] }>;
}
