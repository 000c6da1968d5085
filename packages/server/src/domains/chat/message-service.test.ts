import { AppError, type SendFrame } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { fanoutKey, sendKey } from './inbox-store.js';
import { MessageService } from './message-service.js';
import { messageWorld } from './test-support/fakes.js';

const DAY = 86_400_000;

function send(id: string, to: SendFrame['to']): SendFrame {
  return { type: 'send', id, to, body: null };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'none';
}

describe(MessageService.name, () => {
  const alicePhone = { userId: 'alice', deviceId: 'a-phone' };
  const devices = { alice: ['a-phone', 'a-laptop'], bob: ['b-phone', 'b-tablet'], carol: ['c1'] };

  describe('1:1', () => {
    it('writes to every device of the recipient and the sender’s other devices, with the key', async () => {
      const world = messageWorld(devices, 5_000);
      const accepted = await world.messages.accept(alicePhone, send('m1', { user: 'bob' }), '"hi"');
      expect(await accepted.done).toBe(5_000);
      const [delivery] = world.inbox.deliveries;
      expect(delivery).toMatchObject({
        key: sendKey('alice', 'm1'),
        ts: 5_000,
        expiresAt: 5_000 + 30 * DAY,
        expectReceipts: {
          message: { senderUserId: 'alice', messageId: 'm1', groupId: null },
          recipientUserIds: ['bob'],
        },
      });
      expect(delivery!.writes).toHaveLength(1);
      expect(delivery!.writes![0]!.deviceIds).toEqual(['b-phone', 'b-tablet', 'a-laptop']);
      expect(JSON.parse(delivery!.writes![0]!.payload)).toEqual({
        type: 'msg',
        id: 'm1',
        from: { user: 'alice', device: 'a-phone' },
        to: { user: 'bob' },
        ts: 5_000,
        body: 'hi',
      });
      // Every written device is woken with its item.
      expect(world.events.map((e) => e.kind === 'items' && e.deviceId)).toEqual([
        'b-phone',
        'b-tablet',
        'a-laptop',
      ]);
    });

    it('answers a known id with its original ts and writes nothing', async () => {
      const world = messageWorld(devices);
      world.inbox.keys.set(sendKey('alice', 'm1'), 42);
      const accepted = await world.messages.accept(alicePhone, send('m1', { user: 'bob' }), '1');
      expect(await accepted.done).toBe(42);
      expect(world.inbox.deliveries).toEqual([]);
    });

    it('answers a known id even once the recipient has blocked the sender', async () => {
      const world = messageWorld(devices);
      world.inbox.keys.set(sendKey('alice', 'm1'), 42);
      await world.blocks.block('bob', 'alice');
      expect(
        await (
          await world.messages.accept(alicePhone, send('m1', { user: 'bob' }), '1')
        ).done,
      ).toBe(42);
    });

    it('refuses a recipient who blocked the sender exactly as one who does not exist', async () => {
      const world = messageWorld(devices);
      await world.blocks.block('bob', 'alice');
      const blocked = world.messages.accept(alicePhone, send('m1', { user: 'bob' }), '1');
      const unknown = world.messages.accept(alicePhone, send('m2', { user: 'zed' }), '1');
      const [a, b] = await Promise.allSettled([blocked, unknown]);
      expect(a).toMatchObject({ status: 'rejected', reason: { code: 'RECIPIENT_UNAVAILABLE' } });
      expect(b).toMatchObject({ status: 'rejected', reason: { code: 'RECIPIENT_UNAVAILABLE' } });
      expect((a as PromiseRejectedResult).reason).toEqual((b as PromiseRejectedResult).reason);
      expect(world.inbox.deliveries).toEqual([]);
    });

    it('tells a sender who blocked the recipient to unblock first', async () => {
      const world = messageWorld(devices);
      await world.blocks.block('alice', 'bob');
      expect(
        await codeOf(world.messages.accept(alicePhone, send('m1', { user: 'bob' }), '1')),
      ).toBe('RECIPIENT_BLOCKED');
    });

    it('sends a note to self to the other devices and expects no receipt', async () => {
      const world = messageWorld(devices);
      await (
        await world.messages.accept(alicePhone, send('n1', { user: 'alice' }), '1')
      ).done;
      const [delivery] = world.inbox.deliveries;
      expect(delivery!.writes![0]!.deviceIds).toEqual(['a-laptop']);
      expect(delivery!.expectReceipts).toBeUndefined();
      expect(world.contacts.recorded).toEqual([]);
    });

    it('records the two users as contacts once', async () => {
      const world = messageWorld(devices);
      for (const id of ['m1', 'm2']) {
        await (
          await world.messages.accept(alicePhone, send(id, { user: 'bob' }), '1')
        ).done;
      }
      expect(world.contacts.recorded).toEqual([['alice', 'bob']]);
    });
  });

  describe('groups', () => {
    it('refuses a non-member, and names a group that does not exist', async () => {
      const world = messageWorld(devices);
      await world.groups.create({ groupId: 'g', name: 'G', createdBy: 'bob', createdAt: 0 }, []);
      expect(await codeOf(world.messages.accept(alicePhone, send('m', { group: 'g' }), '1'))).toBe(
        'NOT_A_MEMBER',
      );
      expect(await codeOf(world.messages.accept(alicePhone, send('m', { group: 'x' }), '1'))).toBe(
        'GROUP_NOT_FOUND',
      );
      expect(world.queue.jobs).toEqual([]);
    });

    it('queues the fan-out before it records the send', async () => {
      const world = messageWorld(devices, 7_000);
      await world.groups.create({ groupId: 'g', name: 'G', createdBy: 'alice', createdAt: 0 }, [
        'bob',
      ]);
      const accepted = await world.messages.accept(
        alicePhone,
        send('m', { group: 'g' }),
        '{"x":1}',
      );
      expect(await accepted.done).toBe(7_000);
      expect(world.queue.jobs).toEqual([
        {
          kind: 'message',
          id: fanoutKey('alice', 'm'),
          groupId: 'g',
          from: { user: 'alice', device: 'a-phone' },
          messageId: 'm',
          ts: 7_000,
          body: '{"x":1}',
        },
      ]);
      expect(world.inbox.deliveries).toEqual([
        { key: sendKey('alice', 'm'), ts: 7_000, expiresAt: 7_000 + 30 * DAY },
      ]);
    });

    it('fans out to every member device but the sending one, once per key', async () => {
      const world = messageWorld(devices);
      await world.groups.create({ groupId: 'g', name: 'G', createdBy: 'alice', createdAt: 0 }, [
        'bob',
        'carol',
      ]);
      await world.messages.accept(alicePhone, send('m', { group: 'g' }), '1');
      const job = world.queue.jobs[0]!;
      await world.messages.handleJob(job);
      await world.messages.handleJob(job);
      const fanouts = world.inbox.deliveries.filter((d) => d.key === fanoutKey('alice', 'm'));
      expect(fanouts).toHaveLength(1);
      expect(fanouts[0]!.writes![0]!.deviceIds).toEqual(['a-laptop', 'b-phone', 'b-tablet', 'c1']);
      expect(fanouts[0]!.expectReceipts!.recipientUserIds).toEqual(['bob', 'carol']);
      expect(JSON.parse(fanouts[0]!.writes![0]!.payload)).toMatchObject({ to: { group: 'g' } });
    });

    it('tells the members and the removed user about a removal', async () => {
      const world = messageWorld(devices);
      await world.groups.create({ groupId: 'g', name: 'G', createdBy: 'alice', createdAt: 0 }, [
        'carol',
      ]);
      await world.messages.handleJob({
        kind: 'event',
        id: 'e:1',
        groupId: 'g',
        event: 'member-removed',
        by: 'alice',
        userId: 'bob',
        ts: 9,
        alsoTo: ['bob'],
      });
      const [delivery] = world.inbox.deliveries;
      expect(delivery!.key).toBe('e:1');
      expect([...delivery!.writes![0]!.deviceIds].sort()).toEqual([
        'a-laptop',
        'a-phone',
        'b-phone',
        'b-tablet',
        'c1',
      ]);
      expect(JSON.parse(delivery!.writes![0]!.payload)).toEqual({
        type: 'group',
        groupId: 'g',
        event: 'member-removed',
        by: 'alice',
        userId: 'bob',
        ts: 9,
      });
    });
  });

  describe('receipts', () => {
    it('acknowledges and sends delivered receipts to every device of each sender', async () => {
      const world = messageWorld(devices, 8_000);
      world.inbox.messages = [
        { senderUserId: 'alice', messageId: 'm1', groupId: null },
        { senderUserId: 'carol', messageId: 'm2', groupId: 'g' },
      ];
      await world.messages.ack({ userId: 'bob', deviceId: 'b-phone' }, 17);
      const [delivery] = world.inbox.deliveries;
      expect(delivery!.ack).toEqual({ deviceId: 'b-phone', uptoSeq: 17 });
      expect(delivery!.receipts!.status).toBe('delivered');
      expect(delivery!.receipts!.recipientUserId).toBe('bob');
      const [toAlice, toCarol] = delivery!.receipts!.items;
      expect(toAlice!.writes[0]!.deviceIds).toEqual(['a-phone', 'a-laptop']);
      expect(JSON.parse(toAlice!.writes[0]!.payload)).toEqual({
        type: 'receipt',
        id: 'm1',
        status: 'delivered',
        by: 'bob',
        ts: 8_000,
        to: { user: 'bob' },
        sender: 'alice',
      });
      expect(JSON.parse(toCarol!.writes[0]!.payload)).toMatchObject({ to: { group: 'g' } });
    });

    it('acknowledges without receipts when nothing from others was in range', async () => {
      const world = messageWorld(devices);
      await world.messages.ack({ userId: 'bob', deviceId: 'b-phone' }, 3);
      expect(world.inbox.deliveries).toEqual([
        { ts: 1_000, expiresAt: 1_000, ack: { deviceId: 'b-phone', uptoSeq: 3 } },
      ]);
    });

    it('sends read receipts to the sender and to the reader’s other devices, each naming the conversation its own way', async () => {
      const world = messageWorld(devices, 9_000);
      world.inbox.receipts = [{ senderUserId: 'alice', messageId: 'm1', groupId: null }];
      await world.messages.read({ userId: 'bob', deviceId: 'b-phone' }, ['m1', 'm1', 'nope']);
      const [delivery] = world.inbox.deliveries;
      expect(delivery!.receipts!.status).toBe('read');
      const writes = delivery!.receipts!.items[0]!.writes;
      expect(
        writes.map((w) => [w.deviceIds, (JSON.parse(w.payload) as { to: unknown }).to]),
      ).toEqual([
        [['a-phone', 'a-laptop'], { user: 'bob' }],
        [['b-tablet'], { user: 'alice' }],
      ]);
    });

    it('ignores reads of unknown messages', async () => {
      const world = messageWorld(devices);
      await world.messages.read({ userId: 'bob', deviceId: 'b-phone' }, ['unknown']);
      expect(world.inbox.deliveries).toEqual([]);
    });
  });
});
