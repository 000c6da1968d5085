import type { BlockList, UserPresence } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, loginUser, registerUser, type TestUser } from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';
import { TestSocket, type Frame } from './test-support/ws-client.js';

const presenceOf = (userId: string, online?: boolean) => (f: Frame) =>
  f.type === 'presence' && f.user === userId && (online === undefined || f.online === online);

describe('chat: typing, presence and blocking', () => {
  let server: TestServer;
  const sockets: TestSocket[] = [];
  const connect = async (token: string) => {
    const socket = await TestSocket.connect(server.baseUrl, token);
    sockets.push(socket);
    await socket.take((f) => f.type === 'synced');
    return socket;
  };
  const api = <T>(user: { token: string }, method: string, path: string, body?: unknown) =>
    callApi<T>(server.baseUrl, method, path, { token: user.token, body });
  const user = () => registerUser(server.baseUrl);
  /** Makes two users 1:1 contacts: one message between them. */
  const befriend = async (a: TestUser, b: TestUser) => {
    const socket = await connect((await loginUser(server.baseUrl, a)).token);
    expect((await socket.sendMessage({ user: b.userId }, 'hi')).type).toBe('sent');
    socket.close();
    await socket.waitClosed();
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server.close();
  });

  describe('presence', () => {
    it('tells online contacts when a user comes online and goes offline', async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      await befriend(alice, bob);
      const bobSocket = await connect(bob.token);
      const aliceSocket = await connect(alice.token);
      expect(await bobSocket.take(presenceOf(alice.userId, true))).toEqual({
        type: 'presence',
        user: alice.userId,
        online: true,
        lastSeen: null,
      });
      // Alice's socket got Bob's presence after `synced`.
      expect(await aliceSocket.take(presenceOf(bob.userId))).toMatchObject({ online: true });
      const before = Date.now();
      aliceSocket.close();
      const offline = await bobSocket.take(presenceOf(alice.userId, false));
      expect(offline.lastSeen).toBeGreaterThanOrEqual(before - 1000);
      const res = await api<UserPresence>(bob, 'GET', `/api/users/${alice.userId}/presence`);
      expect(res.body).toEqual({ user: alice.userId, online: false, lastSeen: offline.lastSeen });
    });

    it('stays online while any device of the user is connected', async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      await befriend(alice, bob);
      const bobSocket = await connect(bob.token);
      const phone = await connect(alice.token);
      await bobSocket.take(presenceOf(alice.userId, true));
      const laptop = await connect((await loginUser(server.baseUrl, alice)).token);
      phone.close();
      await phone.waitClosed();
      laptop.close();
      await bobSocket.take(presenceOf(alice.userId, false));
      // No offline frame came between the two closes, and no second online one.
      expect(bobSocket.frames.filter(presenceOf(alice.userId))).toHaveLength(2);
    });

    it('hides the last-seen time of a user who asked', async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      await befriend(alice, bob);
      expect((await api(alice, 'PATCH', '/api/me', { hideLastSeen: true })).status).toBe(200);
      const bobSocket = await connect(bob.token);
      const aliceSocket = await connect(alice.token);
      await bobSocket.take(presenceOf(alice.userId, true));
      aliceSocket.close();
      expect(await bobSocket.take(presenceOf(alice.userId, false))).toMatchObject({
        lastSeen: null,
      });
      const res = await api<UserPresence>(bob, 'GET', `/api/users/${alice.userId}/presence`);
      expect(res.body).toEqual({ user: alice.userId, online: false, lastSeen: null });
    });

    it('goes to fellow group members, and to nobody else', async () => {
      const [alice, bob, stranger] = await Promise.all([user(), user(), user()]);
      const created = await api(alice, 'POST', '/api/groups', { name: 'G', members: [bob.userId] });
      expect(created.status).toBe(201);
      const bobSocket = await connect(bob.token);
      const strangerSocket = await connect(stranger.token);
      await connect(alice.token);
      await bobSocket.take(presenceOf(alice.userId, true));
      // One broadcast reached Bob; had it included the stranger, it came before this pong.
      await strangerSocket.barrier();
      expect(strangerSocket.pending(presenceOf(alice.userId))).toEqual([]);
      const res = await api(stranger, 'GET', `/api/users/${alice.userId}/presence`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: { code: 'USER_NOT_FOUND' } });
      expect((await api(bob, 'GET', `/api/users/${alice.userId}/presence`)).body).toMatchObject({
        online: true,
      });
    });
  });

  describe('typing', () => {
    it('is relayed to the online devices of the recipient, never stored', async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      const bobPhone = await connect(bob.token);
      const bobLaptop = await connect((await loginUser(server.baseUrl, bob)).token);
      const alicePhone = await connect(alice.token);
      const aliceLaptop = await connect((await loginUser(server.baseUrl, alice)).token);
      alicePhone.send({ type: 'typing', to: { user: bob.userId }, state: 'start' });
      for (const socket of [bobPhone, bobLaptop]) {
        expect(await socket.take((f) => f.type === 'typing')).toEqual({
          type: 'typing',
          from: { user: alice.userId, device: alice.deviceId },
          to: { user: bob.userId },
          state: 'start',
        });
      }
      await aliceLaptop.barrier();
      expect(aliceLaptop.pending((f) => f.type === 'typing')).toEqual([]);
      // Nothing was stored: a device connecting now gets no typing from its inbox.
      const bobTablet = await connect((await loginUser(server.baseUrl, bob)).token);
      expect(bobTablet.pending((f) => f.type === 'typing')).toEqual([]);
    });

    it('is relayed to the online members of a group', async () => {
      const [alice, bob, carol] = await Promise.all([user(), user(), user()]);
      const created = await api<{ groupId: string }>(alice, 'POST', '/api/groups', {
        name: 'Typists',
        members: [bob.userId, carol.userId],
      });
      const groupId = created.body.groupId;
      const bobSocket = await connect(bob.token);
      const carolSocket = await connect(carol.token);
      const aliceSocket = await connect(alice.token);
      aliceSocket.send({ type: 'typing', to: { group: groupId }, state: 'stop' });
      for (const socket of [bobSocket, carolSocket]) {
        expect(await socket.take((f) => f.type === 'typing')).toMatchObject({
          from: { user: alice.userId },
          to: { group: groupId },
          state: 'stop',
        });
      }
    });
  });

  describe('blocking', () => {
    it('refuses the blocked user’s messages as if the user did not exist', async () => {
      const [alice, mallory] = await Promise.all([user(), user()]);
      expect((await api(alice, 'PUT', `/api/blocks/${mallory.userId}`)).status).toBe(204);
      expect((await api(alice, 'PUT', `/api/blocks/${mallory.userId}`)).status).toBe(204);
      const list = await api<BlockList>(alice, 'GET', '/api/blocks');
      expect(list.body).toEqual({
        items: [{ userId: mallory.userId, createdAt: expect.any(String) }],
        nextCursor: null,
      });

      const mallorySocket = await connect(mallory.token);
      const refused = await mallorySocket.sendMessage({ user: alice.userId }, 'let me talk');
      const unknown = await mallorySocket.sendMessage({ user: 'nobody-at-all' }, 'hello');
      expect(refused).toMatchObject({ type: 'error', code: 'RECIPIENT_UNAVAILABLE' });
      expect({ ...refused, id: '' }).toEqual({ ...unknown, id: '' });

      const aliceSocket = await connect(alice.token);
      expect(aliceSocket.pending((f) => f.type === 'msg')).toEqual([]);
      expect(await aliceSocket.sendMessage({ user: mallory.userId }, 'hmm')).toMatchObject({
        code: 'RECIPIENT_BLOCKED',
      });

      expect((await api(alice, 'DELETE', `/api/blocks/${mallory.userId}`)).status).toBe(204);
      expect((await mallorySocket.sendMessage({ user: alice.userId }, 'sorry')).type).toBe('sent');
      expect(await aliceSocket.take((f) => f.type === 'msg')).toMatchObject({ body: 'sorry' });
    });

    it('stops typing and presence both ways', async () => {
      const [alice, mallory, bob] = await Promise.all([user(), user(), user()]);
      await befriend(alice, mallory);
      await befriend(alice, bob);
      const created = await api<{ groupId: string }>(alice, 'POST', '/api/groups', {
        name: 'Mixed',
        members: [mallory.userId, bob.userId],
      });
      expect((await api(alice, 'PUT', `/api/blocks/${mallory.userId}`)).status).toBe(204);

      const aliceSocket = await connect(alice.token);
      const bobSocket = await connect(bob.token);
      const mallorySocket = await connect(mallory.token);
      // Mallory's presence reached Bob (a fellow member) but not Alice.
      await bobSocket.take(presenceOf(mallory.userId, true));
      await aliceSocket.barrier();
      expect(aliceSocket.pending(presenceOf(mallory.userId))).toEqual([]);
      expect(mallorySocket.pending(presenceOf(alice.userId))).toEqual([]);
      expect((await api(mallory, 'GET', `/api/users/${alice.userId}/presence`)).status).toBe(404);

      // Typing: in the group it reaches Bob only; 1:1 it reaches nobody.
      mallorySocket.send({ type: 'typing', to: { user: alice.userId }, state: 'start' });
      mallorySocket.send({ type: 'typing', to: { group: created.body.groupId }, state: 'start' });
      await bobSocket.take((f) => f.type === 'typing' && f.state === 'start');
      await aliceSocket.barrier();
      expect(aliceSocket.pending((f) => f.type === 'typing')).toEqual([]);
      aliceSocket.send({ type: 'typing', to: { group: created.body.groupId }, state: 'stop' });
      await bobSocket.take((f) => f.type === 'typing' && f.state === 'stop');
      await mallorySocket.barrier();
      expect(mallorySocket.pending((f) => f.type === 'typing')).toEqual([]);
    });

    it('shows each side the other as offline at the moment of the block', async () => {
      const [alice, mallory] = await Promise.all([user(), user()]);
      await befriend(alice, mallory);
      const aliceSocket = await connect(alice.token);
      const mallorySocket = await connect(mallory.token);
      await aliceSocket.take(presenceOf(mallory.userId, true));
      expect((await api(alice, 'PUT', `/api/blocks/${mallory.userId}`)).status).toBe(204);
      expect(await aliceSocket.take(presenceOf(mallory.userId, false))).toMatchObject({
        lastSeen: null,
      });
      expect(await mallorySocket.take(presenceOf(alice.userId, false))).toMatchObject({
        lastSeen: null,
      });
    });

    it('refuses blocking oneself or nobody', async () => {
      const alice = await user();
      const self = await api(alice, 'PUT', `/api/blocks/${alice.userId}`);
      expect(self.status).toBe(400);
      expect(self.body).toMatchObject({ error: { code: 'CANNOT_BLOCK_SELF' } });
      const nobody = await api(alice, 'PUT', '/api/blocks/no-such-user');
      expect(nobody.status).toBe(404);
      expect(nobody.body).toMatchObject({ error: { code: 'USER_NOT_FOUND' } });
    });
  });
});
