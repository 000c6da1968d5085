import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../clock.js';
import { registerUser, type TestUser } from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';
import { TestSocket } from './test-support/ws-client.js';

const DAY = 86_400_000;

/** A clock the test moves by hand. */
class ManualClock implements Clock {
  constructor(private time: number) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

describe('chat: inbox expiry', () => {
  let server: TestServer;
  let clock: ManualClock;
  let alice: TestUser;
  const sockets: TestSocket[] = [];
  const connect = async (token: string) => {
    const socket = await TestSocket.connect(server.baseUrl, token);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    server = await startTestServer({ CHAT_INBOX_TTL_DAYS: '30' }, { clock });
    alice = await registerUser(server.baseUrl);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server.close();
  });

  it('keeps an undelivered item for CHAT_INBOX_TTL_DAYS, then drops it', async () => {
    const bob = await registerUser(server.baseUrl);
    const sender = await connect(alice.token);
    await sender.sendMessage({ user: bob.userId }, 'old news', 'exp-1');

    clock.advance(29 * DAY);
    expect(await server.app.chat!.sweep()).toBe(0);
    const early = await connect(bob.token);
    expect(await early.take((f) => f.type === 'msg')).toMatchObject({ id: 'exp-1' });
    early.close();
    await early.waitClosed();

    clock.advance(2 * DAY);
    // Past its time an item is not delivered, even before the sweep deletes it...
    const late = await connect(bob.token);
    await late.take((f) => f.type === 'synced');
    expect(late.pending((f) => f.type === 'msg')).toEqual([]);
    late.close();
    // ...and the sweep deletes it.
    expect(await server.app.chat!.sweep()).toBeGreaterThanOrEqual(1);
    expect(await server.app.chat!.sweep()).toBe(0);
  });

  it('forgets the idempotency record with the message', async () => {
    const carol = await registerUser(server.baseUrl);
    const sender = await connect(alice.token);
    const first = await sender.sendMessage({ user: carol.userId }, 'one', 'exp-2');
    expect((await sender.sendMessage({ user: carol.userId }, 'one', 'exp-2')).ts).toBe(first.ts);
    clock.advance(31 * DAY);
    await server.app.chat!.sweep();
    const again = await sender.sendMessage({ user: carol.userId }, 'one', 'exp-2');
    expect(again.type).toBe('sent');
    expect(again.ts).toBe((first.ts as number) + 31 * DAY);
  });
});
