import {
  DEFAULT_PAGE_SIZE,
  type HistoryQuery,
  type HistoryStore,
  type StoreWrite,
} from './history-store.js';
import type { ConversationId, ConversationSummary, StoredMessage, SyncState } from './model.js';

/** Every record of a store, as the file store also keeps them in memory. */
export interface HistorySnapshot {
  syncState: SyncState | null;
  messages: StoredMessage[];
  conversations: ConversationSummary[];
}

/**
 * A history kept in memory: lost when the process ends. The default store, and the
 * base of the file store. Records are copied in and out, so callers cannot change
 * stored data by mutating what they got.
 *
 * @example
 * const client = new SwitchboardClient({ url, store: new MemoryHistoryStore() });
 */
export class MemoryHistoryStore implements HistoryStore {
  #syncState: SyncState | null = null;
  readonly #messages = new Map<string, StoredMessage>();
  readonly #byConversation = new Map<ConversationId, Map<string, StoredMessage>>();
  readonly #byId = new Map<string, Set<string>>();
  readonly #conversations = new Map<ConversationId, ConversationSummary>();
  #closed = false;

  getSyncState(): Promise<SyncState | null> {
    return this.#run(() => (this.#syncState === null ? null : structuredClone(this.#syncState)));
  }

  getMessages(keys: readonly string[]): Promise<Array<StoredMessage | undefined>> {
    return this.#run(() => keys.map((key) => copy(this.#messages.get(key))));
  }

  findMessagesById(id: string): Promise<StoredMessage[]> {
    return this.#run(() =>
      [...(this.#byId.get(id) ?? [])].map((key) => structuredClone(this.#messages.get(key)!)),
    );
  }

  listMessages(conversationId: ConversationId, query: HistoryQuery = {}): Promise<StoredMessage[]> {
    return this.#run(() => {
      const limit = query.limit ?? DEFAULT_PAGE_SIZE;
      const all = [...(this.#byConversation.get(conversationId)?.values() ?? [])]
        .filter((m) => query.before === undefined || m.sortKey < query.before)
        .sort(bySortKey);
      return all.slice(Math.max(0, all.length - limit)).map(clone);
    });
  }

  listUnread(conversationId: ConversationId): Promise<StoredMessage[]> {
    return this.#run(() =>
      [...(this.#byConversation.get(conversationId)?.values() ?? [])]
        .filter((m) => m.unreadIn === conversationId)
        .sort(bySortKey)
        .map(clone),
    );
  }

  listOutbox(): Promise<StoredMessage[]> {
    return this.#run(() =>
      [...this.#messages.values()]
        .filter((m) => m.outboxOrder !== undefined)
        .sort((a, b) => a.outboxOrder! - b.outboxOrder!)
        .map(clone),
    );
  }

  getConversations(
    ids: readonly ConversationId[],
  ): Promise<Array<ConversationSummary | undefined>> {
    return this.#run(() => ids.map((id) => copy(this.#conversations.get(id))));
  }

  listConversations(): Promise<ConversationSummary[]> {
    return this.#run(() =>
      [...this.#conversations.values()]
        .sort(
          (a, b) =>
            b.lastActivity - a.lastActivity || (a.conversationId < b.conversationId ? -1 : 1),
        )
        .map(clone),
    );
  }

  write(changes: StoreWrite): Promise<void> {
    return this.#run(() => this.apply(structuredClone(changes)));
  }

  clear(): Promise<void> {
    return this.#run(() => {
      this.#syncState = null;
      this.#messages.clear();
      this.#byConversation.clear();
      this.#byId.clear();
      this.#conversations.clear();
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Applies records already copied (the file store replays its log through this). */
  protected apply(changes: StoreWrite): void {
    if (changes.syncState !== undefined) this.#syncState = changes.syncState;
    for (const message of changes.messages ?? []) this.#putMessage(message);
    for (const conversation of changes.conversations ?? []) {
      this.#conversations.set(conversation.conversationId, conversation);
    }
  }

  /** Every record, for compaction; the caller must not mutate them. */
  protected snapshot(): HistorySnapshot {
    return {
      syncState: this.#syncState,
      messages: [...this.#messages.values()],
      conversations: [...this.#conversations.values()],
    };
  }

  /** Number of records held, to decide when a log is worth compacting. */
  protected recordCount(): number {
    return this.#messages.size + this.#conversations.size + 1;
  }

  #putMessage(message: StoredMessage): void {
    const previous = this.#messages.get(message.key);
    if (previous !== undefined && previous.conversationId !== message.conversationId) {
      this.#byConversation.get(previous.conversationId)?.delete(message.key);
    }
    this.#messages.set(message.key, message);
    let conversation = this.#byConversation.get(message.conversationId);
    if (conversation === undefined) {
      conversation = new Map();
      this.#byConversation.set(message.conversationId, conversation);
    }
    conversation.set(message.key, message);
    let keys = this.#byId.get(message.id);
    if (keys === undefined) {
      keys = new Set();
      this.#byId.set(message.id, keys);
    }
    keys.add(message.key);
  }

  /** Runs a read or write; a closed store answers a rejected promise, as async stores do. */
  #run<T>(task: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('this history store is closed'));
    try {
      return Promise.resolve(task());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function bySortKey(a: StoredMessage, b: StoredMessage): number {
  return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}
