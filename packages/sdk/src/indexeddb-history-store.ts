import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb';
import {
  DEFAULT_PAGE_SIZE,
  type HistoryQuery,
  type HistoryStore,
  type StoreWrite,
} from './history-store.js';
import type { ConversationId, ConversationSummary, StoredMessage, SyncState } from './model.js';

interface HistoryDb extends DBSchema {
  meta: { key: string; value: SyncState };
  messages: {
    key: string;
    value: StoredMessage;
    indexes: {
      conversation: [string, string];
      id: string;
      outbox: number;
      unread: [string, string];
    };
  };
  conversations: { key: string; value: ConversationSummary };
}

const SYNC_KEY = 'sync';
const VERSION = 1;

/**
 * A history in the browser's IndexedDB, so that a web client shows its conversations
 * after a reload. One database per signed-in device (name it after the user, say).
 * Every query reads an index: a conversation's page, its unread messages and the
 * outbox never scan the whole history.
 *
 * @example
 * const store = await IndexedDbHistoryStore.open('switchboard-alice');
 * const client = new SwitchboardClient({ url: location.origin, store });
 */
export class IndexedDbHistoryStore implements HistoryStore {
  private constructor(private readonly db: IDBPDatabase<HistoryDb>) {}

  /** Opens (creating or upgrading) the database `name`. */
  static async open(name = 'switchboard-history'): Promise<IndexedDbHistoryStore> {
    const db = await openDB<HistoryDb>(name, VERSION, {
      upgrade(database) {
        database.createObjectStore('meta');
        const messages = database.createObjectStore('messages', { keyPath: 'key' });
        messages.createIndex('conversation', ['conversationId', 'sortKey']);
        messages.createIndex('id', 'id');
        // Sparse indexes: only records that have the property are in them.
        messages.createIndex('outbox', 'outboxOrder');
        messages.createIndex('unread', ['unreadIn', 'sortKey']);
        database.createObjectStore('conversations', { keyPath: 'conversationId' });
      },
      blocking() {
        // Another tab wants a newer version: step aside rather than block it.
        db.close();
      },
    });
    return new IndexedDbHistoryStore(db);
  }

  /** Deletes the database `name` and everything in it. */
  static async destroy(name = 'switchboard-history'): Promise<void> {
    await deleteDB(name);
  }

  async getSyncState(): Promise<SyncState | null> {
    return (await this.db.get('meta', SYNC_KEY)) ?? null;
  }

  async getMessages(keys: readonly string[]): Promise<Array<StoredMessage | undefined>> {
    const tx = this.db.transaction('messages');
    const found = await Promise.all(keys.map((key) => tx.store.get(key)));
    await tx.done;
    return found;
  }

  findMessagesById(id: string): Promise<StoredMessage[]> {
    return this.db.getAllFromIndex('messages', 'id', id);
  }

  async listMessages(
    conversationId: ConversationId,
    query: HistoryQuery = {},
  ): Promise<StoredMessage[]> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const range = IDBKeyRange.bound(
      [conversationId, ''],
      [conversationId, query.before ?? '\uffff'],
      false,
      query.before !== undefined,
    );
    const page: StoredMessage[] = [];
    const tx = this.db.transaction('messages');
    let cursor = await tx.store.index('conversation').openCursor(range, 'prev');
    while (cursor !== null && page.length < limit) {
      page.push(cursor.value);
      cursor = await cursor.continue();
    }
    await tx.done;
    return page.reverse();
  }

  listUnread(conversationId: ConversationId): Promise<StoredMessage[]> {
    const range = IDBKeyRange.bound([conversationId, ''], [conversationId, '\uffff']);
    return this.db.getAllFromIndex('messages', 'unread', range);
  }

  listOutbox(): Promise<StoredMessage[]> {
    return this.db.getAllFromIndex('messages', 'outbox');
  }

  async getConversations(
    ids: readonly ConversationId[],
  ): Promise<Array<ConversationSummary | undefined>> {
    const tx = this.db.transaction('conversations');
    const found = await Promise.all(ids.map((id) => tx.store.get(id)));
    await tx.done;
    return found;
  }

  async listConversations(): Promise<ConversationSummary[]> {
    const all = await this.db.getAll('conversations');
    return all.sort(
      (a, b) => b.lastActivity - a.lastActivity || (a.conversationId < b.conversationId ? -1 : 1),
    );
  }

  async write(changes: StoreWrite): Promise<void> {
    const tx = this.db.transaction(['meta', 'messages', 'conversations'], 'readwrite');
    const puts: Array<Promise<unknown>> = [];
    if (changes.syncState !== undefined) {
      puts.push(tx.objectStore('meta').put(changes.syncState, SYNC_KEY));
    }
    const messages = tx.objectStore('messages');
    for (const message of changes.messages ?? []) puts.push(messages.put(message));
    const conversations = tx.objectStore('conversations');
    for (const conversation of changes.conversations ?? []) {
      puts.push(conversations.put(conversation));
    }
    // `tx.done` rejects (and nothing is written) if any put failed.
    await Promise.all([...puts, tx.done]);
  }

  async clear(): Promise<void> {
    const tx = this.db.transaction(['meta', 'messages', 'conversations'], 'readwrite');
    await Promise.all([
      tx.objectStore('meta').clear(),
      tx.objectStore('messages').clear(),
      tx.objectStore('conversations').clear(),
      tx.done,
    ]);
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
