import type { ConversationId, ConversationSummary, StoredMessage, SyncState } from './model.js';

/** Records written together: all of them or none. */
export interface StoreWrite {
  readonly messages?: readonly StoredMessage[];
  readonly conversations?: readonly ConversationSummary[];
  readonly syncState?: SyncState;
}

/** Which page of a conversation's history to read. */
export interface HistoryQuery {
  /** Only messages sorting before this cursor (a `nextCursor` or a message's `sortKey`). */
  readonly before?: string;
  /** At most this many messages (default 50). */
  readonly limit?: number;
}

/**
 * Where a client keeps its history: messages per conversation with their status, the
 * outbox (messages with an `outboxOrder`), the conversation list and the sync state.
 * The client is the only writer and computes every record; a store persists records
 * atomically and answers the few queries a chat screen needs, each by an index.
 * Implementations: `MemoryHistoryStore`, `IndexedDbHistoryStore` (browsers),
 * `FileHistoryStore` (Node, from `@switchboard/sdk/node`).
 */
export interface HistoryStore {
  /** The sync state, or null for a store never used. */
  getSyncState(): Promise<SyncState | null>;
  /** Messages by `key`, in the order asked (undefined where absent). */
  getMessages(keys: readonly string[]): Promise<Array<StoredMessage | undefined>>;
  /** Every message with this id, whoever sent it. */
  findMessagesById(id: string): Promise<StoredMessage[]>;
  /**
   * A conversation's messages sorting before `query.before`, newest `limit` of them,
   * returned oldest first.
   */
  listMessages(conversationId: ConversationId, query?: HistoryQuery): Promise<StoredMessage[]>;
  /** Incoming messages of a conversation not read yet, oldest first. */
  listUnread(conversationId: ConversationId): Promise<StoredMessage[]>;
  /** Messages waiting to be sent, in `outboxOrder`. */
  listOutbox(): Promise<StoredMessage[]>;
  /** Conversations by id, in the order asked. */
  getConversations(ids: readonly ConversationId[]): Promise<Array<ConversationSummary | undefined>>;
  /** Every conversation, most recent activity first. */
  listConversations(): Promise<ConversationSummary[]>;
  /** Writes every record of `changes` atomically (replacing records with the same key). */
  write(changes: StoreWrite): Promise<void>;
  /** Removes everything (sign-out of this device). */
  clear(): Promise<void>;
  /** Releases the store's resources; it is not used afterwards. */
  close(): Promise<void>;
}

/** Default page size of `listMessages`. */
export const DEFAULT_PAGE_SIZE = 50;
