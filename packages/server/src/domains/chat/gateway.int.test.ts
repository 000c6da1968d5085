import type { Socket } from 'node:net';
import { MESSAGE_BODY_MAX_BYTES, WS_FRAME_MAX_BYTES } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, loginUser, registerUser, type TestUser } from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';
import { ChatGateway } from './gateway.js';
import { TestSocket, type Frame } from './test-support/ws-client.js';

const isError = (code: string) => (f: Frame) => f.type === 'error' && f.code === code;

describe(ChatGateway.name, () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  const sockets: TestSocket[] = [];
  const track = (socket: TestSocket) => {
    sockets.push(socket);
    return socket;
  };
  const open = async () => track(await TestSocket.open(server.baseUrl));
  const connect = async (token: string, after = 0) => {
    const socket = await TestSocket.connect(server.baseUrl, token, after);
    track(socket);
    return socket;
  };

  beforeAll(async () => {
    server = await startTestServer({
      CHAT_AUTH_TIMEOUT_MS: '300',
      CHAT_HEARTBEAT_MS: '1000',
    });
    alice = await registerUser(server.baseUrl);
    bob = await registerUser(server.baseUrl);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server.close();
  });

  describe('authentication', () => {
    it('closes a socket that does not authenticate in time with 4001', async () => {
      const socket = await open();
      expect(await socket.waitClosed()).toMatchObject({ code: 4001 });
      expect(socket.frames).toEqual([
        { type: 'error', code: 'AUTH_REQUIRED', message: expect.stringMatching(/300 ms/) },
      ]);
    });

    it('refuses any frame before `auth` with AUTH_REQUIRED and 4001', async () => {
      const socket = await open();
      socket.send({ type: 'send', id: 'x', to: { user: bob.userId }, body: 'sneaky' });
      expect(await socket.waitClosed()).toMatchObject({ code: 4001 });
      expect(socket.frames[0]).toMatchObject({ type: 'error', code: 'AUTH_REQUIRED' });
    });

    it('refuses an unknown token with AUTH_FAILED and 4003', async () => {
      const socket = await open();
      socket.send({ type: 'auth', token: 'sbs_not-a-real-token', after: 0 });
      expect(await socket.waitClosed()).toMatchObject({ code: 4003 });
      expect(socket.frames[0]).toMatchObject({ type: 'error', code: 'AUTH_FAILED' });
    });

    it('refuses a malformed `auth` frame with 4003', async () => {
      const socket = await open();
      socket.send({ type: 'auth', after: -1 });
      expect(await socket.waitClosed()).toMatchObject({ code: 4003 });
      expect(socket.frames[0]).toMatchObject({ type: 'error', code: 'INVALID_FRAME' });
    });

    it('refuses a personal API token: only a device session may open a socket', async () => {
      const created = await callApi<{ token: string }>(server.baseUrl, 'POST', '/api/tokens', {
        token: alice.token,
        body: { name: 'script' },
      });
      expect(created.status).toBe(201);
      const socket = await open();
      socket.send({ type: 'auth', token: created.body.token });
      expect(await socket.waitClosed()).toMatchObject({ code: 4003 });
      expect(socket.frames[0]).toMatchObject({ type: 'error', code: 'AUTH_FAILED' });
    });

    it('answers `ready` with the user, the device and the heartbeat', async () => {
      const socket = await connect(alice.token);
      expect(socket.ready).toEqual({
        type: 'ready',
        userId: alice.userId,
        deviceId: alice.deviceId,
        heartbeatMs: 1000,
      });
      await socket.take((f) => f.type === 'synced');
      socket.send({ type: 'auth', token: alice.token });
      await socket.take(isError('ALREADY_AUTHENTICATED'));
      socket.close();
    });

    it('replaces the older socket of a device with 4005', async () => {
      const session = await loginUser(server.baseUrl, alice, 'phone');
      const older = await connect(session.token);
      const newer = await connect(session.token);
      expect(await older.waitClosed()).toMatchObject({ code: 4005 });
      expect(older.frames).toContainEqual(
        expect.objectContaining(isErrorShape('SESSION_REPLACED')),
      );
      await newer.take((f) => f.type === 'synced');
      await newer.barrier();
      expect(newer.closeInfo).toBeNull();
    });

    it('closes the socket of a revoked session at once with 4004', async () => {
      const session = await loginUser(server.baseUrl, alice, 'to-revoke');
      const socket = await connect(session.token);
      await socket.take((f) => f.type === 'synced');
      const logout = await callApi(server.baseUrl, 'POST', '/api/auth/logout', {
        token: session.token,
      });
      expect(logout.status).toBe(204);
      expect(await socket.waitClosed()).toMatchObject({ code: 4004 });
      expect(socket.frames).toContainEqual(
        expect.objectContaining(isErrorShape('SESSION_REVOKED')),
      );
    });

    it('closes every socket with 1001 when the server shuts down', async () => {
      const other = await startTestServer();
      const user = await registerUser(other.baseUrl);
      const socket = await TestSocket.connect(other.baseUrl, user.token);
      await other.close();
      expect(await socket.waitClosed()).toMatchObject({ code: 1001 });
    });
  });

  describe('frames', () => {
    let sender: TestSocket;
    beforeAll(async () => {
      sender = await connect(alice.token);
      await sender.take((f) => f.type === 'synced');
    });

    it('answers `ping` with `pong`, with its nonce', async () => {
      sender.send({ type: 'ping', nonce: 'n-1' });
      expect(await sender.take((f) => f.type === 'pong')).toEqual({ type: 'pong', nonce: 'n-1' });
      sender.send({ type: 'ping' });
      expect(await sender.take((f) => f.type === 'pong')).toEqual({ type: 'pong' });
    });

    it('answers malformed frames with INVALID_FRAME, keeps the socket and stores nothing', async () => {
      const carol = await registerUser(server.baseUrl);
      sender.send('this is not json');
      await sender.take(isError('INVALID_FRAME'));
      sender.send({ type: 'send', id: 'bad-1', to: { user: carol.userId } });
      expect(await sender.take(isError('INVALID_FRAME'))).toMatchObject({ id: 'bad-1' });
      sender.send({ type: 'send', id: 'bad-2', to: { someone: 'x' }, body: 1 });
      expect(await sender.take(isError('INVALID_FRAME'))).toMatchObject({ id: 'bad-2' });
      sender.send({ type: 'send', id: 'has spaces', to: { user: carol.userId }, body: 1 });
      await sender.take(isError('INVALID_FRAME'));
      sender.send({ type: 'teleport' });
      await sender.take(isError('INVALID_FRAME'));
      sender.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
      await sender.take(isError('INVALID_FRAME'));
      sender.send({ type: 'ack', seq: -5 });
      await sender.take(isError('INVALID_FRAME'));

      expect(await sender.sendMessage({ user: carol.userId }, 'fine', 'good-1')).toMatchObject({
        type: 'sent',
      });
      const receiver = await connect(carol.token);
      await receiver.take((f) => f.type === 'synced');
      expect(receiver.pending((f) => f.type === 'msg').map((f) => f.id)).toEqual(['good-1']);
    });

    it('answers an oversized frame with FRAME_TOO_LARGE and keeps the socket', async () => {
      const huge = JSON.stringify({
        type: 'send',
        id: 'huge',
        to: { user: bob.userId },
        body: 'x'.repeat(WS_FRAME_MAX_BYTES),
      });
      sender.send(huge);
      const error = await sender.take(isError('FRAME_TOO_LARGE'));
      expect(error.id).toBeUndefined();
      await sender.barrier();
      expect(sender.closeInfo).toBeNull();
    });

    it('answers a body over the limit with BODY_TOO_LARGE and stores nothing', async () => {
      const dave = await registerUser(server.baseUrl);
      const body = 'é'.repeat(MESSAGE_BODY_MAX_BYTES / 2); // 2 bytes each in UTF-8, plus quotes
      const result = await sender.sendMessage({ user: dave.userId }, body, 'big-body');
      expect(result).toMatchObject({ type: 'error', code: 'BODY_TOO_LARGE', id: 'big-body' });
      const atLimit = 'a'.repeat(MESSAGE_BODY_MAX_BYTES - 2);
      expect(await sender.sendMessage({ user: dave.userId }, atLimit, 'max-body')).toMatchObject({
        type: 'sent',
      });
      const receiver = await connect(dave.token);
      const msg = await receiver.take((f) => f.type === 'msg');
      expect(msg).toMatchObject({ id: 'max-body', body: atLimit });
      await receiver.take((f) => f.type === 'synced');
      expect(receiver.pending((f) => f.type === 'msg')).toEqual([]);
    });

    it('answers a message to nobody with RECIPIENT_UNAVAILABLE', async () => {
      const result = await sender.sendMessage({ user: 'no-such-user' }, 'hello?');
      expect(result).toMatchObject({ type: 'error', code: 'RECIPIENT_UNAVAILABLE' });
    });

    it('counts connections, frames, stored messages and commits in /metrics', async () => {
      const frank = await registerUser(server.baseUrl);
      await sender.sendMessage({ user: frank.userId }, 'counted');
      const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
      expect(text).toMatch(/^chat_connections [1-9]\d*$/m);
      expect(text).toMatch(/^chat_frames_received_total\{type="send"\} [1-9]\d*$/m);
      expect(text).toMatch(/^chat_messages_stored_total\{to="user"\} [1-9]\d*$/m);
      expect(text).toMatch(/^chat_inbox_commit_deliveries_count [1-9]\d*$/m);
    });

    it('clamps an `after` beyond the last seq, so that no later item is skipped', async () => {
      const erin = await registerUser(server.baseUrl);
      const receiver = await connect(erin.token, 1_000_000);
      expect(await receiver.take((f) => f.type === 'synced')).toEqual({ type: 'synced', seq: 0 });
      await sender.sendMessage({ user: erin.userId }, 'first');
      expect(await receiver.take((f) => f.type === 'msg')).toMatchObject({ seq: 1, body: 'first' });
    });
  });

  describe('heartbeat', () => {
    it('drops a peer that stops answering pings within two intervals', async () => {
      const socket = track(await TestSocket.open(server.baseUrl, { autoPong: false }));
      socket.send({ type: 'auth', token: bob.token });
      await socket.take((f) => f.type === 'ready');
      const start = Date.now();
      const closed = await socket.waitClosed(5_000);
      expect(closed.code).toBe(1006);
      expect(Date.now() - start).toBeLessThan(2_500);
    });

    it('keeps a peer that answers', async () => {
      const socket = await connect(bob.token);
      // Three heartbeats go by; the ws client answers each ping by itself.
      await socket.waitForPings(3);
      await socket.barrier();
      expect(socket.closeInfo).toBeNull();
    });
  });
});

describe(`${ChatGateway.name} limits`, () => {
  let server: TestServer;
  const sockets: TestSocket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server.close();
  });

  it('answers frames beyond the rate with RATE_LIMITED, then closes a device that keeps going with 4029', async () => {
    server = await startTestServer({ CHAT_FRAMES_PER_SECOND: '5' });
    const user = await registerUser(server.baseUrl);
    const socket = await TestSocket.connect(server.baseUrl, user.token);
    sockets.push(socket);
    // The burst is twice the rate: 10 frames pass, the next ones do not.
    for (let i = 0; i < 12; i++) socket.send({ type: 'ping', nonce: `p${i}` });
    const limited = await socket.take(isError('RATE_LIMITED'));
    expect(limited.message).toMatch(/slow down/i);
    for (let i = 0; i < 20; i++) socket.send({ type: 'ping' });
    expect(await socket.waitClosed()).toMatchObject({ code: 4029 });
  });

  it('keeps a device limited when it reconnects: a new socket does not bring a new burst', async () => {
    const limited = await startTestServer({ CHAT_FRAMES_PER_SECOND: '5' });
    try {
      const user = await registerUser(limited.baseUrl);
      const first = await TestSocket.connect(limited.baseUrl, user.token);
      sockets.push(first);
      await first.take((f) => f.type === 'synced');
      // `auth` took one token of the burst of 10; nine pings spend the rest.
      for (let i = 0; i < 9; i++) first.send({ type: 'ping', nonce: `a${i}` });
      await first.takeAll(9, (f) => f.type === 'pong');
      first.close();
      await first.waitClosed();

      const again = await TestSocket.connect(limited.baseUrl, user.token);
      sockets.push(again);
      await again.take((f) => f.type === 'synced');
      // At 5 frames a second only a token or so came back meanwhile: most of these are refused.
      for (let i = 0; i < 4; i++) again.send({ type: 'ping', nonce: `b${i}` });
      const answers = await again.takeAll(
        4,
        (f) => f.type === 'pong' || (f.type === 'error' && f.code === 'RATE_LIMITED'),
      );
      const refused = answers.filter((f) => f.type === 'error');
      expect(refused.length).toBeGreaterThanOrEqual(2);

      // Once the bucket is full again (2 s at 5 a second), a new socket has the whole burst.
      again.close();
      await again.waitClosed();
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      const rested = await TestSocket.connect(limited.baseUrl, user.token);
      sockets.push(rested);
      await rested.take((f) => f.type === 'synced');
      // `auth`, eight pings and the barrier's: the whole burst, all answered.
      for (let i = 0; i < 8; i++) rested.send({ type: 'ping', nonce: `c${i}` });
      await rested.takeAll(8, (f) => f.type === 'pong');
      await rested.barrier();
      expect(rested.frames.filter(isError('RATE_LIMITED'))).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it('closes a device that reads too slowly with 4008; its messages wait in its inbox', async () => {
    const slow = await startTestServer({ CHAT_SEND_BUFFER_BYTES: '65536' });
    try {
      const sender = await registerUser(slow.baseUrl);
      const reader = await registerUser(slow.baseUrl);
      const out = await TestSocket.connect(slow.baseUrl, sender.token);
      const stalled = await TestSocket.connect(slow.baseUrl, reader.token);
      sockets.push(out, stalled);
      await stalled.take((f) => f.type === 'synced');
      // The reader stops reading from its TCP socket: the server's writes back up.
      const tcp = (stalled.ws as unknown as { _socket: Socket })._socket;
      tcp.pause();
      const body = 'z'.repeat(60_000);
      const ids: string[] = [];
      let sent = 0;
      for (let i = 0; i < 400; i++) {
        const id = `slow-${i}`;
        const answer = await out.sendMessage({ user: reader.userId }, body, id);
        expect(answer.type).toBe('sent');
        ids.push(id);
        sent++;
        if (slow.app.chat!.connectionCount() < 2) break;
      }
      expect(slow.app.chat!.connectionCount()).toBe(1);
      tcp.resume();
      expect(await stalled.waitClosed()).toMatchObject({ code: 4008 });
      expect(stalled.frames).toContainEqual(expect.objectContaining(isErrorShape('SLOW_CONSUMER')));

      const again = await TestSocket.connect(slow.baseUrl, reader.token);
      sockets.push(again);
      const received: string[] = [];
      for (;;) {
        const frame = await again.take((f) => f.type === 'msg' || f.type === 'synced');
        if (frame.type === 'synced') break;
        received.push(frame.id as string);
        again.send({ type: 'ack', seq: frame.seq });
      }
      expect(received).toEqual(ids.slice(0, sent));
    } finally {
      await slow.close();
    }
  });
});

function isErrorShape(code: string) {
  return { type: 'error', code };
}
