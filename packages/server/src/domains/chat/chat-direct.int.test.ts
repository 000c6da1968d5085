import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser, registerUser, type TestUser } from '../../test-support/accounts.js';
import { servicesAvailable } from '../../test-support/services.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';
import { createScratchPostgres, type ScratchPostgres } from '../../test-support/scale-out.js';
import { TestSocket } from './test-support/ws-client.js';

describe('chat: 1:1 messages on SQLite', () => {
  runDirectMessageSuite(() => Promise.resolve(null));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  'chat: 1:1 messages on PostgreSQL',
  () => {
    runDirectMessageSuite(createScratchPostgres);
  },
);

/** The 1:1 flows, on the embedded SQLite (null) or on a PostgreSQL database. */
function runDirectMessageSuite(database: () => Promise<ScratchPostgres | null>) {
  let server: TestServer;
  let postgres: ScratchPostgres | null;
  let alice: TestUser;
  let bob: TestUser;
  const sockets: TestSocket[] = [];
  const connect = async (token: string, after = 0) => {
    const socket = await TestSocket.connect(server.baseUrl, token, after);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    postgres = await database();
    server = await startTestServer(
      postgres === null ? {} : { DATABASE_URL: postgres.url, CLUSTER: 'false' },
    );
    alice = await registerUser(server.baseUrl);
    bob = await registerUser(server.baseUrl);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server.close();
    await postgres?.drop();
  });

  it('delivers to every device of the recipient and to the sender’s other devices', async () => {
    const alicePhone = await connect(alice.token);
    const aliceLaptop = await connect((await loginUser(server.baseUrl, alice, 'laptop')).token);
    const bobPhone = await connect(bob.token);
    const bobTablet = await connect((await loginUser(server.baseUrl, bob, 'tablet')).token);
    for (const s of [alicePhone, aliceLaptop, bobPhone, bobTablet]) {
      await s.take((f) => f.type === 'synced');
    }

    const sent = await alicePhone.sendMessage({ user: bob.userId }, { text: 'hi' }, 'msg-1');
    expect(sent).toMatchObject({ type: 'sent', id: 'msg-1', ts: expect.any(Number) });

    for (const device of [aliceLaptop, bobPhone, bobTablet]) {
      const msg = await device.take((f) => f.type === 'msg');
      expect(msg).toEqual({
        type: 'msg',
        seq: expect.any(Number),
        id: 'msg-1',
        from: { user: alice.userId, device: alice.deviceId },
        to: { user: bob.userId },
        ts: sent.ts,
        body: { text: 'hi' },
      });
    }
    await alicePhone.barrier();
    expect(alicePhone.pending((f) => f.type === 'msg')).toEqual([]);
  });

  it('stores a resend with the same id once and answers the original ts', async () => {
    const carol = await registerUser(server.baseUrl);
    const sender = await connect(alice.token);
    const first = await sender.sendMessage({ user: carol.userId }, 'once', 'dup-1');
    const again = await sender.sendMessage({ user: carol.userId }, 'once', 'dup-1');
    expect(again).toEqual({ type: 'sent', id: 'dup-1', ts: first.ts });
    const receiver = await connect(carol.token);
    await receiver.take((f) => f.type === 'synced');
    expect(receiver.pending((f) => f.type === 'msg').map((f) => f.id)).toEqual(['dup-1']);
  });

  it('delivers a backlog in order after `after`, and deletes what was acknowledged', async () => {
    const dave = await registerUser(server.baseUrl);
    const sender = await connect(alice.token);
    for (let i = 1; i <= 5; i++) await sender.sendMessage({ user: dave.userId }, i, `b-${i}`);

    const first = await connect(dave.token);
    const synced = await first.take((f) => f.type === 'synced');
    const items = first.pending((f) => f.type === 'msg');
    expect(items.map((f) => f.body)).toEqual([1, 2, 3, 4, 5]);
    const seqs = items.map((f) => f.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(synced.seq).toBe(seqs[4]);
    first.send({ type: 'ack', seq: seqs[2] });
    await first.barrier();
    first.close();
    await first.waitClosed();

    // Reconnecting from zero gets only what was not acknowledged.
    const second = await connect(dave.token, 0);
    await second.take((f) => f.type === 'synced');
    expect(second.pending((f) => f.type === 'msg').map((f) => f.body)).toEqual([4, 5]);
    // `after` counts as an ack too.
    second.close();
    await second.waitClosed();
    const third = await connect(dave.token, seqs[4]);
    const none = await third.take((f) => f.type === 'synced');
    expect(none.seq).toBe(seqs[4]);
    expect(third.pending((f) => f.type === 'msg')).toEqual([]);
  });

  it('sends delivered then read receipts to every device of the sender, once', async () => {
    const erin = await registerUser(server.baseUrl);
    const senderPhone = await connect(alice.token);
    const senderLaptop = await connect((await loginUser(server.baseUrl, alice)).token);
    await senderLaptop.take((f) => f.type === 'synced');
    await senderPhone.sendMessage({ user: erin.userId }, 'hello', 'r-1');
    await senderLaptop.take((f) => f.type === 'msg' && f.id === 'r-1');

    const receiver = await connect(erin.token);
    const msg = await receiver.take((f) => f.type === 'msg');
    receiver.send({ type: 'ack', seq: msg.seq });
    for (const device of [senderPhone, senderLaptop]) {
      const receipt = await device.take((f) => f.type === 'receipt' && f.id === 'r-1');
      expect(receipt).toEqual({
        type: 'receipt',
        seq: expect.any(Number),
        id: 'r-1',
        status: 'delivered',
        by: erin.userId,
        ts: expect.any(Number),
        to: { user: erin.userId },
        sender: alice.userId,
      });
    }
    receiver.send({ type: 'read', ids: ['r-1', 'unknown-id'] });
    receiver.send({ type: 'read', ids: ['r-1'] });
    for (const device of [senderPhone, senderLaptop]) {
      const receipt = await device.take((f) => f.type === 'receipt' && f.id === 'r-1');
      expect(receipt).toMatchObject({ id: 'r-1', status: 'read', by: erin.userId });
    }
    await receiver.barrier();
    await senderPhone.barrier();
    expect(senderPhone.pending((f) => f.type === 'receipt' && f.id === 'r-1')).toEqual([]);
  });
}
