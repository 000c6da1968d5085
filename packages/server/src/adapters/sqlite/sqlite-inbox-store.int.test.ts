import type BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runInboxStoreContract } from '../../domains/chat/inbox-store.contract.js';
import type { Delivery, InboxWrite, MessageRef } from '../../domains/chat/inbox-store.js';
import { createSqliteTestDatabase } from '../../test-support/databases.js';
import { SqliteInboxStore } from './sqlite-inbox-store.js';

describe(SqliteInboxStore.name, () => {
  runInboxStoreContract(async () => {
    const database = await createSqliteTestDatabase();
    const store = new SqliteInboxStore(database.handle.sqlite!);
    return {
      store,
      async dispose() {
        await store.close();
        await database.dispose();
      },
    };
  });

  it('keeps the rows it answers acks from in step with the table', async () => {
    const database = await createSqliteTestDatabase();
    const sqlite = database.handle.sqlite!;
    let store = new SqliteInboxStore(sqlite);
    try {
      const devices = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6'];
      const users = ['u0', 'u1', 'u2'];
      // A deterministic pseudo-random sequence, so that a failure can be replayed.
      let state = 42;
      const random = (n: number) => {
        // mulberry32
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) % n;
      };
      const NOW = 1_000_000;
      let next = 0;
      const write = (): InboxWrite => {
        const count = 1 + random(devices.length);
        const targets = [...devices].sort(() => random(3) - 1).slice(0, count);
        const id = `m${next++}`;
        if (random(4) === 0) {
          return {
            kind: 'receipt',
            payload: `{"type":"receipt","id":"${id}"}`,
            deviceIds: targets,
          };
        }
        const message: MessageRef = {
          senderUserId: users[random(users.length)]!,
          messageId: id,
          groupId: random(2) === 0 ? null : 'g',
        };
        return { kind: 'msg', payload: `{"type":"msg","id":"${id}"}`, deviceIds: targets, message };
      };
      const delivery = (): Delivery => ({
        ts: NOW,
        // Some items expire before the sweeps below.
        expiresAt: NOW + (random(5) === 0 ? 10 : 1_000_000),
        writes: [write()],
        ...(random(2) === 0
          ? { ack: { deviceId: devices[random(devices.length)]!, uptoSeq: random(40) } }
          : {}),
      });

      const truth = sqlite.prepare<[string, string], { s: string; m: string; g: string | null }>(
        `SELECT sender_user_id AS s, message_id AS m, group_id AS g FROM chat_inbox
         WHERE device_id = ? AND sender_user_id IS NOT NULL AND sender_user_id <> ? ORDER BY seq`,
      );
      const check = async () => {
        for (const d of devices) {
          for (const except of ['u0', 'nobody']) {
            const expected = truth
              .all(d, except)
              .map((r) => ({ senderUserId: r.s, messageId: r.m, groupId: r.g }));
            expect(await store.messagesUpTo(d, 1e9, except)).toEqual(expected);
          }
        }
        expectEnvelopesCounted(sqlite);
      };

      for (let step = 0; step < 400; step++) {
        const op = random(20);
        if (op < 12) {
          // A few deliveries in one turn share one transaction.
          await Promise.all(Array.from({ length: 1 + random(4) }, () => store.deliver(delivery())));
        } else if (op < 16) {
          const d = devices[random(devices.length)]!;
          await store.deliver({
            ts: NOW,
            expiresAt: NOW,
            ack: { deviceId: d, uptoSeq: random((await store.lastSeq(d)) + 2) },
          });
        } else if (op === 16) {
          // One delivery of the batch fails (no kind): the batch is rolled back and
          // the others are applied alone.
          const d = devices[random(devices.length)]!;
          const bad: Delivery = {
            ...delivery(),
            ack: { deviceId: d, uptoSeq: await store.lastSeq(d) },
            writes: [{ ...write(), kind: null as never }],
          };
          const results = await Promise.allSettled([
            store.deliver(delivery()),
            store.deliver(bad),
            store.deliver(delivery()),
          ]);
          expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        } else if (op === 17) {
          await store.sweep(NOW + 100);
        } else if (op === 18) {
          await store.dropDevice(devices[random(devices.length)]!);
        } else if (random(3) === 0) {
          // A restart: the new store knows nothing of the rows written before.
          await store.close();
          store = new SqliteInboxStore(sqlite);
        } else {
          await store.dropDevice(devices[random(devices.length)]!);
        }
        await check();
      }
    } finally {
      await store.close();
      await database.dispose();
    }
  });
});

/** Every envelope counts exactly the inbox rows that point at it, and none is missing. */
function expectEnvelopesCounted(sqlite: BetterSqlite3.Database): void {
  const rows = sqlite
    .prepare<[], { envelope_id: string; refs: number; pointing: number }>(
      `SELECT e.envelope_id, e.refs,
         (SELECT count(*) FROM chat_inbox i WHERE i.envelope_id = e.envelope_id) AS pointing
       FROM chat_envelopes e`,
    )
    .all();
  for (const row of rows) expect(row.refs).toBe(row.pointing);
  const orphans = sqlite
    .prepare<[], { n: number }>(
      `SELECT count(*) AS n FROM chat_inbox i WHERE i.envelope_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM chat_envelopes e WHERE e.envelope_id = i.envelope_id)`,
    )
    .get()!;
  expect(orphans.n).toBe(0);
}
