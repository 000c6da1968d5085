import type { Address, InboxFrame, ReceiptFrame } from '@switchboard/shared';
import type { HistoryQuery, HistoryStore } from './history-store.js';
import {
  conversationIdFor,
  conversationIdOf,
  furthestStatus,
  groupEventKey,
  messageKey,
  sortKeyOf,
  type ConversationId,
  type ConversationSummary,
  type HistoryPage,
  type InboxEvent,
  type JsonValue,
  type MessageStatus,
  type StoredMessage,
  type SyncState,
} from './model.js';

/** What storing a batch of inbox items changed, for the client to report. */
export interface InboxChanges {
  /** One event per item that was new (duplicates are absent). */
  readonly events: InboxEvent[];
  /** Messages whose status changed (receipts, reads from another device). */
  readonly updated: StoredMessage[];
  /** Conversations whose summary changed. */
  readonly conversations: ConversationSummary[];
  /** Ids of my messages that left the outbox (a receipt proved the server has them). */
  readonly leftOutbox: string[];
}

/** A change to some messages and their conversations. */
export interface MessageChanges {
  readonly updated: StoredMessage[];
  readonly conversations: ConversationSummary[];
}

/**
 * The rules of the local history: what an inbox item, a `sent`, a receipt or a read does
 * to messages, unread counts, the outbox and the conversation list. Written once on top
 * of the `HistoryStore` port, so every store behaves the same. Every change is one
 * atomic store write, and changes run one at a time.
 */
export class LocalHistory {
  #sync: SyncState;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly store: HistoryStore,
    sync: SyncState,
  ) {
    this.#sync = sync;
  }

  /**
   * Opens the history for this account and device. A store that belongs to another
   * account is refused; a store of another device of the same account keeps its history
   * but starts its inbox from zero (seqs are per device).
   */
  static async open(store: HistoryStore, userId: string, deviceId: string): Promise<LocalHistory> {
    const existing = await store.getSyncState();
    if (existing !== null && existing.userId !== userId) {
      throw new Error(
        `this history store belongs to user ${existing.userId}, not ${userId}: use one store per account`,
      );
    }
    let sync: SyncState;
    if (existing === null) {
      sync = { userId, deviceId, lastSeq: 0, nextOrder: 1, pendingReads: [] };
      await store.write({ syncState: sync });
    } else if (existing.deviceId !== deviceId) {
      sync = { ...existing, deviceId, lastSeq: 0 };
      await store.write({ syncState: sync });
    } else {
      sync = existing;
    }
    return new LocalHistory(store, sync);
  }

  /** The user this history belongs to. */
  get me(): string {
    return this.#sync.userId;
  }

  /** The last inbox seq safely stored. */
  get lastSeq(): number {
    return this.#sync.lastSeq;
  }

  /** Ids of read messages whose `read` frame is not confirmed yet. */
  get pendingReads(): readonly string[] {
    return this.#sync.pendingReads;
  }

  /** Stores a batch of inbox items (in seq order) and advances `lastSeq` past them. */
  applyInbox(items: readonly InboxFrame[]): Promise<InboxChanges> {
    return this.#serial(() => this.#applyInbox(items));
  }

  /** Puts a new outgoing message in the outbox; an id already used answers the stored one. */
  enqueue(input: {
    id: string;
    to: Address;
    body: JsonValue;
    device: string;
    now: number;
  }): Promise<{ message: StoredMessage; created: boolean; conversation?: ConversationSummary }> {
    return this.#serial(async () => {
      const key = messageKey(this.me, input.id);
      const [existing] = await this.store.getMessages([key]);
      if (existing !== undefined) return { message: existing, created: false };
      const conversationId = conversationIdFor(input.to);
      const message: StoredMessage = {
        key,
        id: input.id,
        conversationId,
        from: { user: this.me, device: input.device },
        to: input.to,
        ts: input.now,
        body: input.body,
        outgoing: true,
        status: 'pending',
        receipts: {},
        localOrder: this.#sync.nextOrder,
        sortKey: sortKeyOf(input.now, this.#sync.nextOrder, key),
        outboxOrder: this.#sync.nextOrder,
      };
      const [found] = await this.store.getConversations([conversationId]);
      const conversation = withMessage(found ?? newConversation(conversationId, input.to), message);
      const sync = { ...this.#sync, nextOrder: this.#sync.nextOrder + 1 };
      await this.store.write({
        messages: [message],
        conversations: [conversation],
        syncState: sync,
      });
      this.#sync = sync;
      return { message, created: true, conversation };
    });
  }

  /** The server stored my message `id` at `ts`: it leaves the outbox. */
  markSent(id: string, ts: number): Promise<MessageChanges> {
    return this.#updateOwn(id, (message) => {
      const { outboxOrder: _drop, ...rest } = message;
      if (message.status !== 'pending' && message.status !== 'failed') return rest;
      return {
        ...rest,
        status: 'sent',
        ts,
        sortKey: sortKeyOf(ts, message.localOrder, message.key),
      };
    });
  }

  /** The server refused my message `id` for good. */
  markFailed(id: string, error: { code: string; message: string }): Promise<MessageChanges> {
    return this.#updateOwn(id, (message) => {
      if (message.status !== 'pending') return null;
      const { outboxOrder: _drop, ...rest } = message;
      return { ...rest, status: 'failed', error };
    });
  }

  /** Puts a failed message back in the outbox, to be sent again with the same id. */
  requeue(id: string): Promise<MessageChanges> {
    return this.#serial(async () => {
      const [message] = await this.store.getMessages([messageKey(this.me, id)]);
      if (message?.status !== 'failed') return { updated: [], conversations: [] };
      const { error: _drop, ...rest } = message;
      const updated: StoredMessage = {
        ...rest,
        status: 'pending',
        outboxOrder: this.#sync.nextOrder,
      };
      const sync = { ...this.#sync, nextOrder: this.#sync.nextOrder + 1 };
      const conversations = await this.#refreshLast([updated]);
      await this.store.write({ messages: [updated], conversations, syncState: sync });
      this.#sync = sync;
      return { updated: [updated], conversations };
    });
  }

  /**
   * Marks the unread messages of a conversation read (all, or those sorting at or before
   * `upTo`), zeroes its unread count accordingly, and remembers their ids until the
   * server has the `read` frame. Answers the ids marked.
   */
  markRead(
    conversationId: ConversationId,
    upTo?: string,
  ): Promise<MessageChanges & { ids: string[] }> {
    return this.#serial(async () => {
      const unread = (await this.store.listUnread(conversationId)).filter(
        (m) => upTo === undefined || m.sortKey <= upTo,
      );
      if (unread.length === 0) return { ids: [], updated: [], conversations: [] };
      const updated = unread.map((m) => markReadLocally(m));
      const [found] = await this.store.getConversations([conversationId]);
      const conversations: ConversationSummary[] = [];
      if (found !== undefined) {
        const last = found.lastMessage;
        const lastUpdated = last && updated.find((m) => m.key === last.key);
        conversations.push({
          ...found,
          unread: Math.max(0, found.unread - updated.length),
          ...(lastUpdated ? { lastMessage: lastUpdated } : {}),
        });
      }
      const ids = updated.map((m) => m.id);
      const sync = { ...this.#sync, pendingReads: unique([...this.#sync.pendingReads, ...ids]) };
      await this.store.write({ messages: updated, conversations, syncState: sync });
      this.#sync = sync;
      return { ids, updated, conversations };
    });
  }

  /** The server has the `read` frames for these ids. */
  confirmReads(ids: readonly string[]): Promise<void> {
    return this.#serial(async () => {
      const done = new Set(ids);
      const sync = {
        ...this.#sync,
        pendingReads: this.#sync.pendingReads.filter((id) => !done.has(id)),
      };
      if (sync.pendingReads.length === this.#sync.pendingReads.length) return;
      await this.store.write({ syncState: sync });
      this.#sync = sync;
    });
  }

  /** Messages waiting to be sent, in send order. */
  outbox(): Promise<StoredMessage[]> {
    return this.store.listOutbox();
  }

  /** A page of a conversation, oldest first, with the cursor of the page before it. */
  async page(conversationId: ConversationId, query: HistoryQuery = {}): Promise<HistoryPage> {
    const limit = query.limit ?? 50;
    const messages = await this.store.listMessages(conversationId, { ...query, limit });
    const first = messages[0];
    return {
      messages,
      nextCursor: messages.length < limit || first === undefined ? null : first.sortKey,
    };
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #updateOwn(
    id: string,
    change: (message: StoredMessage) => StoredMessage | null,
  ): Promise<MessageChanges> {
    return this.#serial(async () => {
      const [message] = await this.store.getMessages([messageKey(this.me, id)]);
      if (message === undefined) return { updated: [], conversations: [] };
      const next = change(message);
      if (next === null) return { updated: [], conversations: [] };
      const conversations = await this.#refreshLast([next]);
      await this.store.write({ messages: [next], conversations });
      return { updated: [next], conversations };
    });
  }

  /** Conversation summaries updated for changed messages (their `lastMessage`). */
  async #refreshLast(messages: readonly StoredMessage[]): Promise<ConversationSummary[]> {
    const ids = unique(messages.map((m) => m.conversationId));
    const found = await this.store.getConversations(ids);
    const result: ConversationSummary[] = [];
    for (const [index, conversation] of found.entries()) {
      if (conversation === undefined) continue;
      let next = conversation;
      for (const message of messages) {
        if (message.conversationId === ids[index]) next = withMessage(next, message);
      }
      if (next !== conversation) result.push(next);
    }
    return result;
  }

  async #applyInbox(items: readonly InboxFrame[]): Promise<InboxChanges> {
    const me = this.me;
    const fresh = items.filter((item) => item.seq > this.#sync.lastSeq);
    if (fresh.length === 0) return { events: [], updated: [], conversations: [], leftOutbox: [] };

    // Read everything the batch touches first, then compute, then write once.
    const wanted = new Set<string>();
    for (const item of fresh) {
      if (item.type === 'msg') wanted.add(messageKey(item.from.user, item.id));
      else if (item.type === 'group') wanted.add(groupEventKey(item));
      else if (item.type === 'receipt') {
        wanted.add(messageKey(me, item.id));
        if (item.sender !== undefined) wanted.add(messageKey(item.sender, item.id));
      }
    }
    const keys = [...wanted];
    const messages = new Map<string, StoredMessage>();
    for (const [index, message] of (await this.store.getMessages(keys)).entries()) {
      if (message !== undefined) messages.set(keys[index]!, message);
    }
    for (const item of fresh) {
      // Servers that do not name the sender: find the message by its id alone.
      if (
        item.type === 'receipt' &&
        item.by === me &&
        item.sender === undefined &&
        !messages.has(messageKey(me, item.id))
      ) {
        for (const message of await this.store.findMessagesById(item.id)) {
          if (!message.outgoing) messages.set(message.key, message);
        }
      }
    }
    const conversationIds = new Set<ConversationId>();
    for (const message of messages.values()) conversationIds.add(message.conversationId);
    for (const item of fresh) {
      if (item.type === 'msg') conversationIds.add(conversationIdOf(item, me));
      else if (item.type === 'group') conversationIds.add(`group:${item.groupId}`);
    }
    const conversationList = [...conversationIds];
    const conversations = new Map<ConversationId, ConversationSummary>();
    for (const [index, found] of (await this.store.getConversations(conversationList)).entries()) {
      if (found !== undefined) conversations.set(conversationList[index]!, found);
    }

    let nextOrder = this.#sync.nextOrder;
    const changedMessages = new Map<string, StoredMessage>();
    const changedConversations = new Set<ConversationId>();
    const updatedKeys = new Set<string>();
    const leftOutbox: string[] = [];
    const events: InboxEvent[] = [];
    const putMessage = (message: StoredMessage) => {
      messages.set(message.key, message);
      changedMessages.set(message.key, message);
      const conversation = conversations.get(message.conversationId);
      if (conversation !== undefined) {
        const next = withMessage(conversation, message);
        if (next !== conversation) {
          conversations.set(message.conversationId, next);
          changedConversations.add(message.conversationId);
        }
      }
    };
    const conversationFor = (id: ConversationId, to: Address): ConversationSummary => {
      let conversation = conversations.get(id);
      if (conversation === undefined) {
        conversation = newConversation(id, to);
        conversations.set(id, conversation);
        changedConversations.add(id);
      }
      return conversation;
    };

    for (const item of fresh) {
      switch (item.type) {
        case 'msg': {
          const key = messageKey(item.from.user, item.id);
          if (messages.has(key)) break; // delivered again: acknowledged, not shown twice
          const conversationId = conversationIdOf(item, me);
          const outgoing = item.from.user === me;
          const message: StoredMessage = {
            key,
            id: item.id,
            conversationId,
            from: item.from,
            to: item.to,
            ts: item.ts,
            body: item.body,
            outgoing,
            status: outgoing ? 'sent' : 'received',
            receipts: {},
            localOrder: nextOrder,
            sortKey: sortKeyOf(item.ts, nextOrder, key),
            ...(outgoing ? {} : { unreadIn: conversationId }),
          };
          nextOrder += 1;
          const peer: Address =
            'group' in item.to ? item.to : { user: conversationId.slice('user:'.length) };
          const conversation = conversationFor(conversationId, peer);
          if (!outgoing) {
            conversations.set(conversationId, { ...conversation, unread: conversation.unread + 1 });
            changedConversations.add(conversationId);
          }
          putMessage(message);
          events.push({ type: 'message', message });
          break;
        }
        case 'receipt': {
          const updated = this.#receipt(item, messages);
          if (updated === null) {
            events.push({ type: 'receipt', receipt: item });
            break;
          }
          const before = messages.get(updated.key)!;
          if (before.outboxOrder !== undefined && updated.outboxOrder === undefined) {
            leftOutbox.push(updated.id);
          }
          if (before.unreadIn !== undefined && updated.unreadIn === undefined) {
            const conversation = conversations.get(updated.conversationId);
            if (conversation !== undefined) {
              conversations.set(updated.conversationId, {
                ...conversation,
                unread: Math.max(0, conversation.unread - 1),
              });
              changedConversations.add(updated.conversationId);
            }
          }
          if (before !== updated) {
            putMessage(updated);
            updatedKeys.add(updated.key);
          }
          events.push({ type: 'receipt', receipt: item, message: updated });
          break;
        }
        case 'group': {
          const conversationId: ConversationId = `group:${item.groupId}`;
          const conversation = conversationFor(conversationId, { group: item.groupId });
          let next: ConversationSummary = {
            ...conversation,
            lastActivity: Math.max(conversation.lastActivity, item.ts),
          };
          if (item.name !== undefined && (item.event === 'created' || item.event === 'renamed')) {
            next = { ...next, title: item.name };
          }
          if (item.userId === me) {
            if (item.event === 'member-removed' || item.event === 'member-left') {
              next = { ...next, left: true };
            } else if (item.event === 'member-added') {
              next = { ...next, left: false };
            }
          }
          conversations.set(conversationId, next);
          changedConversations.add(conversationId);
          const key = groupEventKey(item);
          if (messages.has(key)) break; // the same change delivered again
          putMessage({
            key,
            id: key
              .slice('event:'.length)
              .replaceAll(/[^0-9A-Za-z_-]/g, '_')
              .slice(0, 64),
            conversationId,
            from: { user: item.by, device: '' },
            to: { group: item.groupId },
            ts: item.ts,
            body: {
              event: item.event,
              by: item.by,
              ...(item.userId === undefined ? {} : { userId: item.userId }),
              ...(item.name === undefined ? {} : { name: item.name }),
              ...(item.role === undefined ? {} : { role: item.role }),
            },
            outgoing: item.by === me,
            status: 'received',
            receipts: {},
            localOrder: nextOrder,
            sortKey: sortKeyOf(item.ts, nextOrder, key),
            kind: 'event',
          });
          nextOrder += 1;
          events.push({ type: 'group', event: item });
          break;
        }
      }
    }

    const sync = { ...this.#sync, lastSeq: fresh[fresh.length - 1]!.seq, nextOrder };
    const summaries = [...changedConversations].map((id) => conversations.get(id)!);
    await this.store.write({
      messages: [...changedMessages.values()],
      conversations: summaries,
      syncState: sync,
    });
    this.#sync = sync;
    return {
      events,
      updated: [...updatedKeys].map((key) => messages.get(key)!),
      conversations: summaries,
      leftOutbox,
    };
  }

  /** The message a receipt changes, changed; null when this history does not have it. */
  #receipt(receipt: ReceiptFrame, messages: Map<string, StoredMessage>): StoredMessage | null {
    const own = messages.get(messageKey(this.me, receipt.id));
    if (own !== undefined && own.outgoing) {
      const previous = own.receipts[receipt.by];
      const furthest =
        previous?.status === 'read' || previous?.status === receipt.status
          ? previous
          : { status: receipt.status, ts: receipt.ts };
      // A receipt proves the server stored the message, whatever this device last heard.
      const base: MessageStatus =
        own.status === 'failed' || own.status === 'pending' ? 'sent' : own.status;
      const status = furthestStatus(base, receipt.status);
      const { outboxOrder: _drop, ...rest } = own;
      if (furthest === previous && status === own.status && own.outboxOrder === undefined) {
        return own;
      }
      return { ...rest, status, receipts: { ...own.receipts, [receipt.by]: furthest } };
    }
    if (receipt.by === this.me && receipt.status === 'read') {
      if (receipt.sender !== undefined) {
        const message = messages.get(messageKey(receipt.sender, receipt.id));
        if (message === undefined || message.outgoing) return null;
        return message.unreadIn === undefined ? message : markReadLocally(message);
      }
      for (const message of messages.values()) {
        if (message.id === receipt.id && !message.outgoing) {
          return message.unreadIn === undefined ? message : markReadLocally(message);
        }
      }
    }
    return null;
  }
}

function newConversation(conversationId: ConversationId, to: Address): ConversationSummary {
  return {
    conversationId,
    to,
    kind: 'group' in to ? 'group' : 'user',
    lastActivity: 0,
    unread: 0,
  };
}

/** The summary with `message` as its last message when it is the newest (or the same one). */
function withMessage(
  conversation: ConversationSummary,
  message: StoredMessage,
): ConversationSummary {
  const last = conversation.lastMessage;
  if (last !== undefined && last.key !== message.key && last.sortKey > message.sortKey) {
    return conversation;
  }
  return {
    ...conversation,
    lastMessage: message,
    lastActivity: Math.max(conversation.lastActivity, message.ts),
  };
}

function markReadLocally(message: StoredMessage): StoredMessage {
  const { unreadIn: _drop, ...rest } = message;
  return { ...rest, status: 'read' };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
