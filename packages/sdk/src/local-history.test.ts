import type { InboxFrame, MsgFrame, ReceiptFrame } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { LocalHistory } from './local-history.js';
import { MemoryHistoryStore } from './memory-history-store.js';

const ME = 'me';
const DEVICE = 'me-d1';

function msg(seq: number, overrides: Partial<MsgFrame> = {}): MsgFrame {
  return {
    type: 'msg',
    seq,
    id: `m${seq}`,
    from: { user: 'bob', device: 'bob-d1' },
    to: { user: ME },
    ts: 1_000 + seq,
    body: { text: `hello ${seq}` },
    ...overrides,
  };
}

function receipt(seq: number, id: string, status: 'delivered' | 'read', by = 'bob'): ReceiptFrame {
  return { type: 'receipt', seq, id, status, by, ts: 5_000 + seq, to: { user: 'bob' } };
}

async function openHistory(store = new MemoryHistoryStore()) {
  return LocalHistory.open(store, ME, DEVICE);
}

async function sendOwn(history: LocalHistory, id: string, to = { user: 'bob' }) {
  return history.enqueue({ id, to, body: { text: id }, device: DEVICE, now: 2_000 });
}

describe(LocalHistory.name, () => {
  it('stores new messages, counts them unread and advances lastSeq', async () => {
    const history = await openHistory();
    const changes = await history.applyInbox([msg(1), msg(2)]);
    expect(changes.events.map((e) => e.type)).toEqual(['message', 'message']);
    expect(history.lastSeq).toBe(2);
    const [conversation] = await history.store.listConversations();
    expect(conversation).toMatchObject({
      conversationId: 'user:bob',
      unread: 2,
      to: { user: 'bob' },
    });
    expect(conversation?.lastMessage?.id).toBe('m2');
  });

  it('shows a message delivered twice only once, yet moves past both copies', async () => {
    const history = await openHistory();
    await history.applyInbox([msg(1)]);
    const again = await history.applyInbox([msg(2, { id: 'm1' })]);
    expect(again.events).toEqual([]);
    expect(history.lastSeq).toBe(2);
    expect((await history.page('user:bob')).messages).toHaveLength(1);
    expect((await history.store.listConversations())[0]?.unread).toBe(1);
  });

  it('keeps messages of the same millisecond in the order they came', async () => {
    const history = await openHistory();
    const ids = ['zz', 'aa', 'mm', 'bb'];
    await history.applyInbox(ids.map((id, i) => msg(i + 1, { id, ts: 7_000 })));
    expect((await history.page('user:bob')).messages.map((m) => m.id)).toEqual(ids);
  });

  it('ignores items at or below the stored seq', async () => {
    const history = await openHistory();
    await history.applyInbox([msg(5)]);
    const old = await history.applyInbox([msg(3, { id: 'old' }), msg(5, { id: 'same-seq' })]);
    expect(old.events).toEqual([]);
    expect(history.lastSeq).toBe(5);
  });

  it('keeps the same id from two senders as two messages', async () => {
    const history = await openHistory();
    const changes = await history.applyInbox([
      msg(1, { id: 'x' }),
      msg(2, { id: 'x', from: { user: 'carol', device: 'c1' } }),
    ]);
    expect(changes.events).toHaveLength(2);
  });

  it('files a message from my other device under its recipient, as sent, and not unread', async () => {
    const history = await openHistory();
    await history.applyInbox([
      msg(1, { from: { user: ME, device: 'me-d2' }, to: { user: 'carol' } }),
    ]);
    const [conversation] = await history.store.listConversations();
    expect(conversation).toMatchObject({ conversationId: 'user:carol', unread: 0 });
    expect(conversation?.lastMessage).toMatchObject({ outgoing: true, status: 'sent' });
  });

  it('files a group message under the group', async () => {
    const history = await openHistory();
    await history.applyInbox([msg(1, { to: { group: 'g1' } })]);
    expect((await history.page('group:g1')).messages).toHaveLength(1);
  });

  it('takes an outgoing message through pending, sent, delivered and read', async () => {
    const history = await openHistory();
    const { message } = await sendOwn(history, 'out1');
    expect(message.status).toBe('pending');
    expect((await history.outbox()).map((m) => m.id)).toEqual(['out1']);
    const sent = await history.markSent('out1', 3_000);
    expect(sent.updated[0]).toMatchObject({ status: 'sent', ts: 3_000 });
    expect(sent.updated[0]?.outboxOrder).toBeUndefined();
    expect(await history.outbox()).toEqual([]);
    await history.applyInbox([receipt(1, 'out1', 'delivered')]);
    const read = await history.applyInbox([receipt(2, 'out1', 'read')]);
    expect(read.updated[0]).toMatchObject({
      status: 'read',
      receipts: { bob: { status: 'read' } },
    });
  });

  it('never lets a late delivered receipt undo read', async () => {
    const history = await openHistory();
    await sendOwn(history, 'out1');
    await history.markSent('out1', 3_000);
    await history.applyInbox([receipt(1, 'out1', 'read')]);
    await history.applyInbox([receipt(2, 'out1', 'delivered')]);
    const [message] = await history.store.getMessages([`${ME}/out1`]);
    expect(message?.status).toBe('read');
    expect(message?.receipts.bob?.status).toBe('read');
  });

  it('takes a message out of the outbox when a receipt proves the server has it', async () => {
    const history = await openHistory();
    await sendOwn(history, 'lost-sent');
    const changes = await history.applyInbox([receipt(1, 'lost-sent', 'delivered')]);
    expect(changes.leftOutbox).toEqual(['lost-sent']);
    expect(await history.outbox()).toEqual([]);
    expect(changes.updated[0]?.status).toBe('delivered');
  });

  it('keeps a receipt per group member', async () => {
    const history = await openHistory();
    await sendOwn(history, 'g-out', { group: 'g1' } as never);
    await history.markSent('g-out', 3_000);
    await history.applyInbox([
      { ...receipt(1, 'g-out', 'delivered', 'bob'), to: { group: 'g1' } },
      { ...receipt(2, 'g-out', 'read', 'carol'), to: { group: 'g1' } },
    ]);
    const [message] = await history.store.getMessages([`${ME}/g-out`]);
    expect(message?.receipts).toMatchObject({
      bob: { status: 'delivered' },
      carol: { status: 'read' },
    });
  });

  it('marks received messages read when another of my devices read them', async () => {
    const history = await openHistory();
    await history.applyInbox([msg(1), msg(2)]);
    const changes = await history.applyInbox([receipt(3, 'm1', 'read', ME)]);
    expect(changes.updated.map((m) => [m.id, m.status])).toEqual([['m1', 'read']]);
    expect((await history.store.listConversations())[0]?.unread).toBe(1);
  });

  it('uses the sender a read receipt names to find the message read elsewhere', async () => {
    const history = await openHistory();
    await history.applyInbox([
      msg(1, { id: 'same' }),
      msg(2, { id: 'same', from: { user: 'carol', device: 'c' } }),
    ]);
    const changes = await history.applyInbox([
      { ...receipt(3, 'same', 'read', ME), sender: 'carol' },
    ]);
    expect(changes.updated.map((m) => m.key)).toEqual(['carol/same']);
    const conversations = await history.store.listConversations();
    expect(conversations.find((c) => c.conversationId === 'user:bob')?.unread).toBe(1);
    expect(conversations.find((c) => c.conversationId === 'user:carol')?.unread).toBe(0);
  });

  it('reports a receipt for a message it does not have without failing', async () => {
    const history = await openHistory();
    const changes = await history.applyInbox([receipt(1, 'unknown', 'read')]);
    expect(changes.events).toEqual([{ type: 'receipt', receipt: receipt(1, 'unknown', 'read') }]);
    expect(history.lastSeq).toBe(1);
  });

  it('marks a conversation read, zeroes its count and remembers the ids to report', async () => {
    const history = await openHistory();
    await history.applyInbox([msg(1), msg(2), msg(3, { from: { user: 'carol', device: 'c' } })]);
    const result = await history.markRead('user:bob');
    expect(result.ids).toEqual(['m1', 'm2']);
    expect(history.pendingReads).toEqual(['m1', 'm2']);
    const conversations = await history.store.listConversations();
    expect(conversations.find((c) => c.conversationId === 'user:bob')?.unread).toBe(0);
    expect(conversations.find((c) => c.conversationId === 'user:carol')?.unread).toBe(1);
    expect((await history.markRead('user:bob')).ids).toEqual([]);
    await history.confirmReads(['m1']);
    expect(history.pendingReads).toEqual(['m2']);
  });

  it('marks read only up to a given message', async () => {
    const history = await openHistory();
    await history.applyInbox([msg(1), msg(2), msg(3)]);
    const page = await history.page('user:bob');
    const result = await history.markRead('user:bob', page.messages[1]!.sortKey);
    expect(result.ids).toEqual(['m1', 'm2']);
    expect((await history.store.listConversations())[0]?.unread).toBe(1);
  });

  it('keeps outbox order across conversations and answers the stored message for a reused id', async () => {
    const history = await openHistory();
    await sendOwn(history, 'a');
    await sendOwn(history, 'b', { group: 'g' } as never);
    await sendOwn(history, 'c');
    const again = await sendOwn(history, 'a');
    expect(again.created).toBe(false);
    expect((await history.outbox()).map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });

  it('fails a refused message and puts it back in the outbox on retry', async () => {
    const history = await openHistory();
    await sendOwn(history, 'nope');
    const failed = await history.markFailed('nope', { code: 'NOT_A_MEMBER', message: 'no' });
    expect(failed.updated[0]).toMatchObject({ status: 'failed', error: { code: 'NOT_A_MEMBER' } });
    expect(await history.outbox()).toEqual([]);
    const retried = await history.requeue('nope');
    expect(retried.updated[0]?.status).toBe('pending');
    expect((await history.outbox()).map((m) => m.id)).toEqual(['nope']);
  });

  it('names groups and marks the ones I left', async () => {
    const history = await openHistory();
    const events: InboxFrame[] = [
      {
        type: 'group',
        seq: 1,
        groupId: 'g1',
        event: 'created',
        by: 'bob',
        name: 'Climbing',
        ts: 10,
      },
      {
        type: 'group',
        seq: 2,
        groupId: 'g1',
        event: 'renamed',
        by: 'bob',
        name: 'Bouldering',
        ts: 11,
      },
      {
        type: 'group',
        seq: 3,
        groupId: 'g1',
        event: 'member-removed',
        by: 'bob',
        userId: ME,
        ts: 12,
      },
    ];
    await history.applyInbox(events);
    const [conversation] = await history.store.listConversations();
    expect(conversation).toMatchObject({
      conversationId: 'group:g1',
      title: 'Bouldering',
      left: true,
      lastActivity: 12,
    });
  });

  it('keeps group changes in the timeline, once, never unread', async () => {
    const history = await openHistory();
    const created: InboxFrame = {
      type: 'group',
      seq: 1,
      groupId: 'g1',
      event: 'created',
      by: 'bob',
      name: 'Climbing',
      ts: 10,
    };
    const added: InboxFrame = {
      type: 'group',
      seq: 2,
      groupId: 'g1',
      event: 'member-added',
      by: 'bob',
      userId: 'carol',
      ts: 11,
    };
    await history.applyInbox([created, added, msg(3, { to: { group: 'g1' }, ts: 12 })]);
    await history.applyInbox([{ ...added, seq: 4 }]);
    const page = await history.page('group:g1');
    expect(page.messages.map((m) => m.kind ?? 'message')).toEqual(['event', 'event', 'message']);
    expect(page.messages[1]).toMatchObject({
      body: { event: 'member-added', by: 'bob', userId: 'carol' },
      from: { user: 'bob' },
    });
    expect((await history.store.listConversations())[0]?.unread).toBe(1);
  });

  it('pages history back with cursors until the start', async () => {
    const history = await openHistory();
    await history.applyInbox(Array.from({ length: 7 }, (_, i) => msg(i + 1)));
    const first = await history.page('user:bob', { limit: 3 });
    expect(first.messages.map((m) => m.id)).toEqual(['m5', 'm6', 'm7']);
    const second = await history.page('user:bob', { limit: 3, before: first.nextCursor! });
    expect(second.messages.map((m) => m.id)).toEqual(['m2', 'm3', 'm4']);
    const third = await history.page('user:bob', { limit: 3, before: second.nextCursor! });
    expect(third.messages.map((m) => m.id)).toEqual(['m1']);
    expect(third.nextCursor).toBeNull();
  });

  it('refuses a store that belongs to another account', async () => {
    const store = new MemoryHistoryStore();
    await LocalHistory.open(store, 'alice', 'a1');
    await expect(LocalHistory.open(store, 'mallory', 'm1')).rejects.toThrow(
      /belongs to user alice/,
    );
  });

  it('keeps history but restarts the inbox at zero for a new device of the same account', async () => {
    const store = new MemoryHistoryStore();
    const first = await LocalHistory.open(store, ME, 'old-device');
    await first.applyInbox([msg(40)]);
    const second = await LocalHistory.open(store, ME, 'new-device');
    expect(second.lastSeq).toBe(0);
    expect((await second.page('user:bob')).messages).toHaveLength(1);
  });

  it('resumes from the stored seq after a restart', async () => {
    const store = new MemoryHistoryStore();
    const first = await LocalHistory.open(store, ME, DEVICE);
    await first.applyInbox([msg(1), msg(2)]);
    const second = await LocalHistory.open(store, ME, DEVICE);
    expect(second.lastSeq).toBe(2);
  });
});
