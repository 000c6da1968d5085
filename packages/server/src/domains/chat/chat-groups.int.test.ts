import type { Group, GroupList } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, loginUser, registerUser, type TestUser } from '../../test-support/accounts.js';
import { servicesAvailable } from '../../test-support/services.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';
import { createScratchPostgres, type ScratchPostgres } from '../../test-support/scale-out.js';
import { TestSocket, type Frame } from './test-support/ws-client.js';

const groupEvent = (groupId: string, event: string) => (f: Frame) =>
  f.type === 'group' && f.groupId === groupId && f.event === event;

describe('chat: groups on SQLite', () => {
  runGroupSuite(() => Promise.resolve(null));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))('chat: groups on PostgreSQL', () => {
  runGroupSuite(createScratchPostgres);
});

/** The group flows, on the embedded SQLite (null) or on a PostgreSQL database. */
function runGroupSuite(database: () => Promise<ScratchPostgres | null>) {
  let server: TestServer;
  let postgres: ScratchPostgres | null;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  const sockets: TestSocket[] = [];
  const connect = async (token: string) => {
    const socket = await TestSocket.connect(server.baseUrl, token);
    sockets.push(socket);
    await socket.take((f) => f.type === 'synced');
    return socket;
  };
  const api = <T>(user: { token: string }, method: string, path: string, body?: unknown) =>
    callApi<T>(server.baseUrl, method, path, { token: user.token, body });
  const createGroup = async (owner: TestUser, name: string, members: TestUser[]) => {
    const res = await api<Group>(owner, 'POST', '/api/groups', {
      name,
      members: members.map((m) => m.userId),
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  beforeAll(async () => {
    postgres = await database();
    server = await startTestServer({
      CHAT_MAX_GROUP_SIZE: '4',
      ...(postgres === null ? {} : { DATABASE_URL: postgres.url, CLUSTER: 'false' }),
    });
    alice = await registerUser(server.baseUrl);
    bob = await registerUser(server.baseUrl);
    carol = await registerUser(server.baseUrl);
    dave = await registerUser(server.baseUrl);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server.close();
    await postgres?.drop();
  });

  it('creates a group whose creator is admin, seen by its members only', async () => {
    const group = await createGroup(alice, '  Weekend  ', [bob, carol, bob]);
    expect(group).toEqual({
      groupId: expect.any(String),
      name: 'Weekend',
      members: [
        { userId: alice.userId, role: 'admin' },
        { userId: bob.userId, role: 'member' },
        { userId: carol.userId, role: 'member' },
      ],
      createdAt: expect.any(String),
    });
    expect((await api(bob, 'GET', `/api/groups/${group.groupId}`)).body).toEqual(group);
    const outsider = await api(dave, 'GET', `/api/groups/${group.groupId}`);
    expect(outsider.status).toBe(404);
    expect(outsider.body).toMatchObject({ error: { code: 'GROUP_NOT_FOUND' } });
    const mine = await api<GroupList>(carol, 'GET', '/api/groups');
    expect(mine.body.items).toContainEqual({
      groupId: group.groupId,
      name: 'Weekend',
      createdAt: group.createdAt,
      memberCount: 3,
      role: 'member',
    });
  });

  it('tells every member device about the new group', async () => {
    const bobSocket = await connect(bob.token);
    const group = await createGroup(alice, 'Announced', [bob]);
    const event = await bobSocket.take(groupEvent(group.groupId, 'created'));
    expect(event).toEqual({
      type: 'group',
      seq: expect.any(Number),
      groupId: group.groupId,
      event: 'created',
      by: alice.userId,
      name: 'Announced',
      ts: expect.any(Number),
    });
  });

  it('fans a message out to every member device but the sending one', async () => {
    const group = await createGroup(alice, 'Fan-out', [bob, carol]);
    const alicePhone = await connect(alice.token);
    const aliceLaptop = await connect((await loginUser(server.baseUrl, alice)).token);
    const bobSocket = await connect(bob.token);
    const carolSocket = await connect(carol.token);
    const sent = await alicePhone.sendMessage({ group: group.groupId }, { text: 'all' }, 'g-1');
    expect(sent).toMatchObject({ type: 'sent', id: 'g-1' });
    for (const socket of [aliceLaptop, bobSocket, carolSocket]) {
      expect(await socket.take((f) => f.type === 'msg' && f.id === 'g-1')).toEqual({
        type: 'msg',
        seq: expect.any(Number),
        id: 'g-1',
        from: { user: alice.userId, device: alice.deviceId },
        to: { group: group.groupId },
        ts: sent.ts,
        body: { text: 'all' },
      });
    }
    // A resend is stored once: the same ts, and no second copy.
    expect(await alicePhone.sendMessage({ group: group.groupId }, { text: 'all' }, 'g-1')).toEqual(
      sent,
    );
    await server.app.chat!.fanoutDrained();
    await bobSocket.barrier();
    expect(bobSocket.pending((f) => f.type === 'msg' && f.id === 'g-1')).toEqual([]);
    await alicePhone.barrier();
    expect(alicePhone.pending((f) => f.type === 'msg' && f.id === 'g-1')).toEqual([]);

    // Receipts come back from each member, naming the group.
    const msg = bobSocket.frames.find((f) => f.type === 'msg' && f.id === 'g-1')!;
    bobSocket.send({ type: 'ack', seq: msg.seq });
    bobSocket.send({ type: 'read', ids: ['g-1'] });
    const delivered = await alicePhone.take((f) => f.type === 'receipt' && f.id === 'g-1');
    expect(delivered).toMatchObject({
      status: 'delivered',
      by: bob.userId,
      to: { group: group.groupId },
      sender: alice.userId,
    });
    expect(await alicePhone.take((f) => f.type === 'receipt' && f.id === 'g-1')).toMatchObject({
      status: 'read',
      by: bob.userId,
    });
  });

  it('refuses a message from a non-member, and to a group that does not exist', async () => {
    const group = await createGroup(alice, 'Closed', [bob]);
    const outsider = await connect(dave.token);
    expect(await outsider.sendMessage({ group: group.groupId }, 'let me in')).toMatchObject({
      type: 'error',
      code: 'NOT_A_MEMBER',
    });
    expect(await outsider.sendMessage({ group: 'no-such-group' }, 'hello?')).toMatchObject({
      type: 'error',
      code: 'GROUP_NOT_FOUND',
    });
  });

  it('adds members (admins only) and tells everyone, the new member included', async () => {
    const group = await createGroup(alice, 'Growing', [bob]);
    const bobSocket = await connect(bob.token);
    const carolSocket = await connect(carol.token);
    const notAdmin = await api(bob, 'POST', `/api/groups/${group.groupId}/members`, {
      userId: carol.userId,
    });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body).toMatchObject({ error: { code: 'NOT_GROUP_ADMIN' } });
    const added = await api<Group>(alice, 'POST', `/api/groups/${group.groupId}/members`, {
      userId: carol.userId,
    });
    expect(added.status).toBe(200);
    expect(added.body.members.map((m) => m.userId)).toEqual([
      alice.userId,
      bob.userId,
      carol.userId,
    ]);
    for (const socket of [bobSocket, carolSocket]) {
      expect(await socket.take(groupEvent(group.groupId, 'member-added'))).toMatchObject({
        by: alice.userId,
        userId: carol.userId,
        role: 'member',
      });
    }
    const again = await api(alice, 'POST', `/api/groups/${group.groupId}/members`, {
      userId: carol.userId,
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'ALREADY_A_MEMBER' } });
    const nobody = await api(alice, 'POST', `/api/groups/${group.groupId}/members`, {
      userId: 'no-such-user',
    });
    expect(nobody.status).toBe(404);
    expect(nobody.body).toMatchObject({ error: { code: 'RECIPIENT_UNAVAILABLE' } });
  });

  it('removes a member, who hears it and can no longer send or see the group', async () => {
    const group = await createGroup(alice, 'Shrinking', [bob, carol]);
    const bobSocket = await connect(bob.token);
    const carolSocket = await connect(carol.token);
    const removed = await api(
      alice,
      'DELETE',
      `/api/groups/${group.groupId}/members/${bob.userId}`,
    );
    expect(removed.status).toBe(204);
    for (const socket of [bobSocket, carolSocket]) {
      expect(await socket.take(groupEvent(group.groupId, 'member-removed'))).toMatchObject({
        by: alice.userId,
        userId: bob.userId,
      });
    }
    expect(await bobSocket.sendMessage({ group: group.groupId }, 'still here?')).toMatchObject({
      code: 'NOT_A_MEMBER',
    });
    expect((await api(bob, 'GET', `/api/groups/${group.groupId}`)).status).toBe(404);
    const notAdmin = await api(
      carol,
      'DELETE',
      `/api/groups/${group.groupId}/members/${alice.userId}`,
    );
    expect(notAdmin.status).toBe(403);
    const gone = await api(alice, 'DELETE', `/api/groups/${group.groupId}/members/${bob.userId}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ error: { code: 'MEMBER_NOT_FOUND' } });
  });

  it('promotes the longest-standing member when the last admin leaves', async () => {
    const group = await createGroup(alice, 'Heirs', [bob, carol]);
    const carolSocket = await connect(carol.token);
    const left = await api(alice, 'DELETE', `/api/groups/${group.groupId}/members/${alice.userId}`);
    expect(left.status).toBe(204);
    expect(await carolSocket.take(groupEvent(group.groupId, 'member-left'))).toMatchObject({
      by: alice.userId,
      userId: alice.userId,
    });
    expect(await carolSocket.take(groupEvent(group.groupId, 'role-changed'))).toMatchObject({
      userId: bob.userId,
      role: 'admin',
    });
    const now = await api<Group>(carol, 'GET', `/api/groups/${group.groupId}`);
    expect(now.body.members).toEqual([
      { userId: bob.userId, role: 'admin' },
      { userId: carol.userId, role: 'member' },
    ]);
  });

  it('renames (admins) and refuses names that are empty, too long or hold control characters', async () => {
    const group = await createGroup(alice, 'Old', [bob]);
    const bobSocket = await connect(bob.token);
    const renamed = await api<Group>(alice, 'PATCH', `/api/groups/${group.groupId}`, {
      name: 'New',
    });
    expect(renamed.body.name).toBe('New');
    expect(await bobSocket.take(groupEvent(group.groupId, 'renamed'))).toMatchObject({
      name: 'New',
      by: alice.userId,
    });
    for (const name of ['   ', 'x'.repeat(101), 'bad\u0000name', 'evil\u202Eeman']) {
      const res = await api(alice, 'PATCH', `/api/groups/${group.groupId}`, { name });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'INVALID_GROUP_NAME' } });
    }
    expect((await api(bob, 'PATCH', `/api/groups/${group.groupId}`, { name: 'Mine' })).status).toBe(
      403,
    );
  });

  it('changes roles and never demotes the last admin', async () => {
    const group = await createGroup(alice, 'Roles', [bob]);
    const last = await api(alice, 'PATCH', `/api/groups/${group.groupId}/members/${alice.userId}`, {
      role: 'member',
    });
    expect(last.status).toBe(409);
    expect(last.body).toMatchObject({ error: { code: 'LAST_ADMIN' } });
    const promoted = await api<Group>(
      alice,
      'PATCH',
      `/api/groups/${group.groupId}/members/${bob.userId}`,
      { role: 'admin' },
    );
    expect(promoted.body.members).toContainEqual({ userId: bob.userId, role: 'admin' });
    const demoted = await api<Group>(
      bob,
      'PATCH',
      `/api/groups/${group.groupId}/members/${alice.userId}`,
      { role: 'member' },
    );
    expect(demoted.body.members).toContainEqual({ userId: alice.userId, role: 'member' });
  });

  it('keeps a group within CHAT_MAX_GROUP_SIZE members', async () => {
    const tooMany = await api(alice, 'POST', '/api/groups', {
      name: 'Crowd',
      members: [bob, carol, dave, await registerUser(server.baseUrl)].map((u) => u.userId),
    });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body).toMatchObject({ error: { code: 'GROUP_FULL' } });
    const group = await createGroup(alice, 'Full', [bob, carol, dave]);
    const extra = await registerUser(server.baseUrl);
    const res = await api(alice, 'POST', `/api/groups/${group.groupId}/members`, {
      userId: extra.userId,
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: 'GROUP_FULL' } });
  });

  it('lists the caller’s groups in pages', async () => {
    const erin = await registerUser(server.baseUrl);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await createGroup(erin, `Page ${i}`, [])).groupId);
    const first = await api<GroupList>(erin, 'GET', '/api/groups?limit=2');
    expect(first.body.items.map((g) => g.groupId)).toEqual(ids.slice(0, 2));
    expect(first.body.nextCursor).not.toBeNull();
    const second = await api<GroupList>(
      erin,
      'GET',
      `/api/groups?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body).toEqual({
      items: [expect.objectContaining({ groupId: ids[2], role: 'admin', memberCount: 1 })],
      nextCursor: null,
    });
  });
}
