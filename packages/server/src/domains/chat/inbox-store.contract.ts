import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { itemFrame, type InboxStore, type InboxWrite, type MessageRef } from './inbox-store.js';

/** A store for one test, and how to throw it away. */
export interface InboxStoreFixture {
  readonly store: InboxStore;
  dispose(): Promise<void>;
}

const DAY = 86_400_000;
const NOW = 1_750_000_000_000;

function msg(id: string, from: string, devices: string[], groupId: string | null = null) {
  const message: MessageRef = { senderUserId: from, messageId: id, groupId };
  const write: InboxWrite = {
    kind: 'msg',
    payload: JSON.stringify({ type: 'msg', id, from: { user: from, device: 'd' }, body: id }),
    deviceIds: devices,
    message,
  };
  return { message, write };
}

function receiptWrite(id: string, devices: string[]): InboxWrite {
  return {
    kind: 'receipt',
    payload: JSON.stringify({ type: 'receipt', id, status: 'delivered' }),
    deviceIds: devices,
  };
}

function idsOf(items: ReadonlyArray<{ payload: string }>): string[] {
  return items.map((i) => (JSON.parse(i.payload) as { id: string }).id);
}

/**
 * The behaviour every `InboxStore` adapter must have. Each adapter's test file calls
 * this with a factory for a fresh, empty store.
 */
export function runInboxStoreContract(create: () => Promise<InboxStoreFixture>): void {
  describe('InboxStore contract', () => {
    let fixture: InboxStoreFixture;
    let store: InboxStore;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    const expiresAt = NOW + 30 * DAY;

    it('appends to every device with its own seq, starting at 1', async () => {
      const a = msg('m1', 'alice', ['d1', 'd2']);
      const b = msg('m2', 'alice', ['d1']);
      const r1 = await store.deliver({ ts: NOW, expiresAt, writes: [a.write] });
      const r2 = await store.deliver({ ts: NOW, expiresAt, writes: [b.write] });
      expect(r1.applied).toBe(true);
      expect(r1.appended.map((x) => [x.deviceId, x.seq]).sort()).toEqual([
        ['d1', 1],
        ['d2', 1],
      ]);
      expect(r2.appended.map((x) => [x.deviceId, x.seq])).toEqual([['d1', 2]]);
      const d1 = await store.read('d1', 0, 10, NOW);
      expect(d1.map((i) => i.seq)).toEqual([1, 2]);
      expect(idsOf(d1)).toEqual(['m1', 'm2']);
      expect(d1[0]!.payload).toBe(a.write.payload);
      expect(await store.lastSeq('d1')).toBe(2);
      expect(await store.lastSeq('d2')).toBe(1);
      expect(await store.lastSeq('nobody')).toBe(0);
    });

    it('reads after a seq, in pages, oldest first', async () => {
      for (let i = 1; i <= 7; i++) {
        await store.deliver({ ts: NOW, expiresAt, writes: [msg(`m${i}`, 'bob', ['d1']).write] });
      }
      expect((await store.read('d1', 0, 3, NOW)).map((i) => i.seq)).toEqual([1, 2, 3]);
      expect((await store.read('d1', 3, 3, NOW)).map((i) => i.seq)).toEqual([4, 5, 6]);
      expect((await store.read('d1', 6, 3, NOW)).map((i) => i.seq)).toEqual([7]);
      expect(await store.read('d1', 7, 3, NOW)).toEqual([]);
      expect(await store.read('other', 0, 3, NOW)).toEqual([]);
    });

    it('deletes on a cumulative ack and never reuses a seq', async () => {
      for (let i = 1; i <= 3; i++) {
        await store.deliver({
          ts: NOW,
          expiresAt,
          writes: [msg(`m${i}`, 'bob', ['d1', 'd2']).write],
        });
      }
      await store.deliver({ ts: NOW, expiresAt, ack: { deviceId: 'd1', uptoSeq: 2 } });
      expect((await store.read('d1', 0, 10, NOW)).map((i) => i.seq)).toEqual([3]);
      expect((await store.read('d2', 0, 10, NOW)).map((i) => i.seq)).toEqual([1, 2, 3]);
      await store.deliver({ ts: NOW, expiresAt, ack: { deviceId: 'd1', uptoSeq: 3 } });
      expect(await store.read('d1', 0, 10, NOW)).toEqual([]);
      const next = await store.deliver({
        ts: NOW,
        expiresAt,
        writes: [msg('m4', 'bob', ['d1']).write],
      });
      expect(next.appended[0]!.seq).toBe(4);
      expect((await store.read('d1', 0, 10, NOW)).map((i) => i.seq)).toEqual([4]);
    });

    it('applies a keyed delivery once and answers the original ts again', async () => {
      const first = await store.deliver({
        key: 's:alice:m1',
        ts: NOW,
        expiresAt,
        writes: [msg('m1', 'alice', ['d1']).write],
      });
      const again = await store.deliver({
        key: 's:alice:m1',
        ts: NOW + 5_000,
        expiresAt,
        writes: [msg('m1', 'alice', ['d1']).write],
      });
      expect(first).toMatchObject({ applied: true, ts: NOW });
      expect(again).toEqual({ applied: false, ts: NOW, appended: [] });
      expect(await store.read('d1', 0, 10, NOW)).toHaveLength(1);
      expect(await store.keyTs('s:alice:m1')).toBe(NOW);
      expect(await store.keyTs('s:alice:m2')).toBeNull();
    });

    it('applies one of two concurrent deliveries with the same key', async () => {
      const results = await Promise.all(
        [0, 1, 2].map((i) =>
          store.deliver({
            key: 'f:alice:m1',
            ts: NOW + i,
            expiresAt,
            writes: [msg('m1', 'alice', ['d1', 'd2']).write],
          }),
        ),
      );
      expect(results.filter((r) => r.applied)).toHaveLength(1);
      const ts = results.find((r) => r.applied)!.ts;
      expect(results.every((r) => r.ts === ts)).toBe(true);
      expect(await store.read('d1', 0, 10, NOW)).toHaveLength(1);
      expect(await store.read('d2', 0, 10, NOW)).toHaveLength(1);
    });

    it('gives concurrent deliveries to one device distinct, gapless seqs', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.deliver({ ts: NOW, expiresAt, writes: [msg(`m${i}`, 'bob', ['d1']).write] }),
        ),
      );
      const seqs = results.map((r) => r.appended[0]!.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect((await store.read('d1', 0, 100, NOW)).map((i) => i.seq)).toEqual(seqs);
    });

    it('keeps a payload shared by many devices until the last of them acknowledges', async () => {
      const devices = ['g1', 'g2', 'g3', 'g4', 'g5'];
      await store.deliver({
        ts: NOW,
        expiresAt,
        writes: [msg('gm', 'carol', devices, 'grp').write],
      });
      for (const d of devices.slice(0, 4)) {
        await store.deliver({ ts: NOW, expiresAt, ack: { deviceId: d, uptoSeq: 1 } });
        expect(await store.read(d, 0, 10, NOW)).toEqual([]);
      }
      const last = await store.read('g5', 0, 10, NOW);
      expect(idsOf(last)).toEqual(['gm']);
      await store.deliver({ ts: NOW, expiresAt, ack: { deviceId: 'g5', uptoSeq: 1 } });
      expect(await store.read('g5', 0, 10, NOW)).toEqual([]);
    });

    it('lists the messages of others up to a seq, for delivered receipts', async () => {
      await store.deliver({ ts: NOW, expiresAt, writes: [msg('m1', 'alice', ['d1']).write] });
      await store.deliver({ ts: NOW, expiresAt, writes: [msg('m2', 'me', ['d1']).write] });
      await store.deliver({ ts: NOW, expiresAt, writes: [receiptWrite('m0', ['d1'])] });
      await store.deliver({ ts: NOW, expiresAt, writes: [msg('m3', 'bob', ['d1'], 'g').write] });
      await store.deliver({ ts: NOW, expiresAt, writes: [msg('m4', 'bob', ['d1']).write] });
      expect(await store.messagesUpTo('d1', 4, 'me')).toEqual([
        { senderUserId: 'alice', messageId: 'm1', groupId: null },
        { senderUserId: 'bob', messageId: 'm3', groupId: 'g' },
      ]);
    });

    it('emits a delivered receipt at most once per message and recipient', async () => {
      const m = msg('m1', 'alice', ['b1', 'b2']);
      await store.deliver({
        ts: NOW,
        expiresAt,
        writes: [m.write],
        expectReceipts: { message: m.message, recipientUserIds: ['bob'] },
      });
      const mark = (deviceId: string) =>
        store.deliver({
          ts: NOW,
          expiresAt,
          ack: { deviceId, uptoSeq: 1 },
          receipts: {
            status: 'delivered',
            recipientUserId: 'bob',
            items: [{ message: m.message, writes: [receiptWrite('m1', ['a1', 'a2'])] }],
          },
        });
      const first = await mark('b1');
      expect(first.appended.map((a) => a.deviceId).sort()).toEqual(['a1', 'a2']);
      const second = await mark('b2');
      expect(second.appended).toEqual([]);
      // The acks were applied with the marks.
      expect(await store.read('b1', 0, 10, NOW)).toEqual([]);
      expect(await store.read('b2', 0, 10, NOW)).toEqual([]);
      expect(idsOf(await store.read('a1', 0, 10, NOW))).toEqual(['m1']);
    });

    it('emits a read receipt at most once, and no delivered receipt after it', async () => {
      const m = msg('m1', 'alice', ['b1']);
      await store.deliver({
        ts: NOW,
        expiresAt,
        writes: [m.write],
        expectReceipts: { message: m.message, recipientUserIds: ['bob'] },
      });
      expect(await store.pendingReceipts('bob', ['m1', 'nope'])).toEqual([m.message]);
      expect(await store.pendingReceipts('carol', ['m1'])).toEqual([]);
      const read = () =>
        store.deliver({
          ts: NOW,
          expiresAt,
          receipts: {
            status: 'read',
            recipientUserId: 'bob',
            items: [{ message: m.message, writes: [receiptWrite('m1', ['a1'])] }],
          },
        });
      expect((await read()).appended).toHaveLength(1);
      expect((await read()).appended).toHaveLength(0);
      const delivered = await store.deliver({
        ts: NOW,
        expiresAt,
        receipts: {
          status: 'delivered',
          recipientUserId: 'bob',
          items: [{ message: m.message, writes: [receiptWrite('m1', ['a1'])] }],
        },
      });
      expect(delivered.appended).toEqual([]);
      expect(await store.pendingReceipts('bob', ['m1'])).toEqual([]);
    });

    it('reads a message after it was marked delivered', async () => {
      const m = msg('m1', 'alice', ['b1']);
      await store.deliver({
        ts: NOW,
        expiresAt,
        writes: [m.write],
        expectReceipts: { message: m.message, recipientUserIds: ['bob', 'carol'] },
      });
      await store.deliver({
        ts: NOW,
        expiresAt,
        receipts: {
          status: 'delivered',
          recipientUserId: 'bob',
          items: [{ message: m.message, writes: [] }],
        },
      });
      const read = await store.deliver({
        ts: NOW,
        expiresAt,
        receipts: {
          status: 'read',
          recipientUserId: 'bob',
          items: [{ message: m.message, writes: [receiptWrite('m1', ['a1'])] }],
        },
      });
      expect(read.appended).toHaveLength(1);
      expect(await store.pendingReceipts('carol', ['m1'])).toEqual([m.message]);
    });

    it('forgets a dropped device', async () => {
      await store.deliver({
        ts: NOW,
        expiresAt,
        writes: [msg('m1', 'a', ['d1', 'd2', 'd3', 'd4']).write],
      });
      await store.dropDevice('d1');
      expect(await store.read('d1', 0, 10, NOW)).toEqual([]);
      expect(await store.lastSeq('d1')).toBe(0);
      expect(await store.read('d2', 0, 10, NOW)).toHaveLength(1);
    });

    it('hides expired items and sweeps them with their keys and receipt state', async () => {
      const m = msg('old', 'alice', ['d1', 'd2', 'd3', 'd4']);
      await store.deliver({
        key: 's:alice:old',
        ts: NOW,
        expiresAt: NOW + DAY,
        writes: [m.write],
        expectReceipts: { message: m.message, recipientUserIds: ['bob'] },
      });
      await store.deliver({ ts: NOW, expiresAt, writes: [msg('new', 'alice', ['d1']).write] });
      const later = NOW + 2 * DAY;
      expect(idsOf(await store.read('d1', 0, 10, later))).toEqual(['new']);
      expect(await store.sweep(later)).toBe(4);
      expect(idsOf(await store.read('d1', 0, 10, NOW))).toEqual(['new']);
      expect(await store.read('d2', 0, 10, NOW)).toEqual([]);
      expect(await store.keyTs('s:alice:old')).toBeNull();
      expect(await store.pendingReceipts('bob', ['old'])).toEqual([]);
      // Seqs go on from where they were, even though the items are gone.
      const next = await store.deliver({
        ts: later,
        expiresAt,
        writes: [msg('n2', 'a', ['d2']).write],
      });
      expect(next.appended[0]!.seq).toBe(2);
    });

    it('builds the frame of an item with its seq', async () => {
      await store.deliver({ ts: NOW, expiresAt, writes: [msg('m1', 'alice', ['d1']).write] });
      const [item] = await store.read('d1', 0, 1, NOW);
      expect(JSON.parse(itemFrame(item!.seq, item!.payload))).toEqual({
        type: 'msg',
        seq: 1,
        id: 'm1',
        from: { user: 'alice', device: 'd' },
        body: 'm1',
      });
    });
  });
}
