import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryStore } from './history-store.js';
import { conversationSummary, storedMessage } from './test-support/factories.js';

/** How the conformance suite gets a store: fresh, and (for durable stores) reopened. */
export interface HistoryStoreFactory {
  /** A new, empty store. */
  create(): Promise<HistoryStore>;
  /** Closes `store` and opens the same data again; absent for stores that keep nothing. */
  reopen?: (store: HistoryStore) => Promise<HistoryStore>;
}

/** The behaviour every `HistoryStore` shares; each adapter's test file calls this. */
export function runHistoryStoreContract(name: string, factory: HistoryStoreFactory): void {
  describe(`${name} (HistoryStore contract)`, () => {
    const open: HistoryStore[] = [];
    const create = async () => {
      const store = await factory.create();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close().catch(() => undefined);
    });

    it('answers null sync state and empty lists when new', async () => {
      const store = await create();
      expect(await store.getSyncState()).toBeNull();
      expect(await store.listConversations()).toEqual([]);
      expect(await store.listOutbox()).toEqual([]);
      expect(await store.listMessages('user:bob')).toEqual([]);
      expect(await store.getMessages(['bob/x'])).toEqual([undefined]);
    });

    it('writes messages, conversations and sync state together and reads them back', async () => {
      const store = await create();
      const message = storedMessage({ id: 'a1' });
      const conversation = conversationSummary({ lastMessage: message, unread: 1 });
      const sync = {
        userId: 'me',
        deviceId: 'd1',
        lastSeq: 7,
        nextOrder: 3,
        pendingReads: ['x'],
      };
      await store.write({ messages: [message], conversations: [conversation], syncState: sync });
      expect(await store.getSyncState()).toEqual(sync);
      expect(await store.getMessages([message.key, 'nobody/none'])).toEqual([message, undefined]);
      expect(await store.getConversations(['user:bob', 'group:none'])).toEqual([
        conversation,
        undefined,
      ]);
    });

    it('replaces a record written again under the same key', async () => {
      const store = await create();
      const message = storedMessage({ id: 'r1' });
      await store.write({ messages: [message] });
      await store.write({ messages: [{ ...message, status: 'read' }] });
      const [found] = await store.getMessages([message.key]);
      expect(found?.status).toBe('read');
      expect(await store.listMessages(message.conversationId)).toHaveLength(1);
    });

    it('keeps no reference to what it was given', async () => {
      const store = await create();
      const message = storedMessage({ id: 'copy1' });
      const mutable = structuredClone(message) as { body: unknown };
      await store.write({ messages: [mutable as typeof message] });
      mutable.body = 'changed';
      const [found] = await store.getMessages([message.key]);
      expect(found?.body).toEqual(message.body);
    });

    it('pages a conversation newest first and returns each page oldest first', async () => {
      const store = await create();
      const messages = Array.from({ length: 25 }, (_, i) =>
        storedMessage({ id: `p${i}`, ts: 10_000 + i }),
      );
      const other = storedMessage({ id: 'other', from: { user: 'carol', device: 'c1' } });
      await store.write({ messages: [...[...messages].reverse(), other] });
      const first = await store.listMessages('user:bob', { limit: 10 });
      expect(first.map((m) => m.id)).toEqual(messages.slice(15).map((m) => m.id));
      const second = await store.listMessages('user:bob', { limit: 10, before: first[0]!.sortKey });
      expect(second.map((m) => m.id)).toEqual(messages.slice(5, 15).map((m) => m.id));
      const last = await store.listMessages('user:bob', { limit: 10, before: second[0]!.sortKey });
      expect(last.map((m) => m.id)).toEqual(messages.slice(0, 5).map((m) => m.id));
    });

    it('orders messages of the same timestamp by sort key, without losing any across pages', async () => {
      const store = await create();
      const messages = ['c', 'a', 'b', 'd'].map((id) => storedMessage({ id, ts: 5_000 }));
      await store.write({ messages: [...messages].reverse() });
      const page1 = await store.listMessages('user:bob', { limit: 2 });
      const page2 = await store.listMessages('user:bob', { limit: 2, before: page1[0]!.sortKey });
      expect([...page2, ...page1].map((m) => m.id)).toEqual(['c', 'a', 'b', 'd']);
    });

    it('finds messages by id whoever sent them', async () => {
      const store = await create();
      const fromBob = storedMessage({ id: 'same' });
      const fromCarol = storedMessage({ id: 'same', from: { user: 'carol', device: 'c1' } });
      await store.write({ messages: [fromBob, fromCarol, storedMessage({ id: 'else' })] });
      const found = await store.findMessagesById('same');
      expect(found.map((m) => m.key).sort()).toEqual(['bob/same', 'carol/same']);
    });

    it('lists the unread messages of one conversation, oldest first', async () => {
      const store = await create();
      const unread = [storedMessage({ id: 'u2', ts: 20 }), storedMessage({ id: 'u1', ts: 10 })];
      const read = storedMessage({ id: 'r', ts: 15 });
      const { unreadIn: _drop, ...readRecord } = read;
      const elsewhere = storedMessage({ id: 'e', from: { user: 'carol', device: 'c1' } });
      await store.write({ messages: [...unread, { ...readRecord, status: 'read' }, elsewhere] });
      expect((await store.listUnread('user:bob')).map((m) => m.id)).toEqual(['u1', 'u2']);
      const { unreadIn: _gone, ...nowRead } = unread[0]!;
      await store.write({ messages: [{ ...nowRead, status: 'read' }] });
      expect((await store.listUnread('user:bob')).map((m) => m.id)).toEqual(['u1']);
    });

    it('lists the outbox in outbox order, and a message leaves it when its order is removed', async () => {
      const store = await create();
      const me = { user: 'me', device: 'd1' };
      const a = storedMessage({
        id: 'o-a',
        from: me,
        to: { user: 'bob' },
        status: 'pending',
        outboxOrder: 2,
      });
      const b = storedMessage({
        id: 'o-b',
        from: me,
        to: { group: 'g' },
        status: 'pending',
        outboxOrder: 1,
      });
      const c = storedMessage({
        id: 'o-c',
        from: me,
        to: { user: 'bob' },
        status: 'pending',
        outboxOrder: 3,
      });
      await store.write({ messages: [a, b, c] });
      expect((await store.listOutbox()).map((m) => m.id)).toEqual(['o-b', 'o-a', 'o-c']);
      const { outboxOrder: _drop, ...sent } = a;
      await store.write({ messages: [{ ...sent, status: 'sent' }] });
      expect((await store.listOutbox()).map((m) => m.id)).toEqual(['o-b', 'o-c']);
    });

    it('lists conversations by most recent activity', async () => {
      const store = await create();
      await store.write({
        conversations: [
          conversationSummary({ conversationId: 'user:a', to: { user: 'a' }, lastActivity: 5 }),
          conversationSummary({
            conversationId: 'group:g',
            to: { group: 'g' },
            kind: 'group',
            lastActivity: 9,
          }),
          conversationSummary({ conversationId: 'user:b', to: { user: 'b' }, lastActivity: 7 }),
        ],
      });
      const order = (await store.listConversations()).map((c) => c.conversationId);
      expect(order).toEqual(['group:g', 'user:b', 'user:a']);
      await store.write({
        conversations: [
          conversationSummary({ conversationId: 'user:a', to: { user: 'a' }, lastActivity: 10 }),
        ],
      });
      expect((await store.listConversations())[0]?.conversationId).toBe('user:a');
    });

    it('clears everything', async () => {
      const store = await create();
      await store.write({
        messages: [storedMessage()],
        conversations: [conversationSummary()],
        syncState: {
          userId: 'me',
          deviceId: 'd',
          lastSeq: 1,
          nextOrder: 1,
          pendingReads: [],
        },
      });
      await store.clear();
      expect(await store.getSyncState()).toBeNull();
      expect(await store.listConversations()).toEqual([]);
      expect(await store.listMessages('user:bob')).toEqual([]);
    });

    it('refuses to be used after close', async () => {
      const store = await factory.create();
      await store.close();
      await expect(store.listConversations()).rejects.toThrow();
    });

    if (factory.reopen !== undefined) {
      const reopen = factory.reopen;
      it('keeps everything across a reopen', async () => {
        const store = await factory.create();
        const message = storedMessage({ id: 'durable' });
        const pending = storedMessage({
          id: 'queued',
          from: { user: 'me', device: 'd1' },
          to: { user: 'bob' },
          status: 'pending',
          outboxOrder: 1,
        });
        const sync = {
          userId: 'me',
          deviceId: 'd1',
          lastSeq: 42,
          nextOrder: 2,
          pendingReads: [],
        };
        await store.write({
          messages: [message, pending],
          conversations: [conversationSummary()],
          syncState: sync,
        });
        const again = await reopen(store);
        open.push(again);
        expect(await again.getSyncState()).toEqual(sync);
        expect(await again.getMessages([message.key])).toEqual([message]);
        expect((await again.listOutbox()).map((m) => m.id)).toEqual(['queued']);
        expect(await again.listConversations()).toEqual([conversationSummary()]);
      });
    }
  });
}
