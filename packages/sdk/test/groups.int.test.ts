import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError, MemoryHistoryStore } from '../src/node.js';
import {
  clientOptions,
  RecordingClient,
  realHarness,
  waitFor,
  type ChatHarness,
  type HarnessUser,
} from './harness.js';

describe('SwitchboardClient group calls against the real server', () => {
  let harness: ChatHarness;
  const clients: RecordingClient[] = [];

  beforeEach(async () => {
    harness = await realHarness();
  });

  afterEach(async () => {
    for (const recording of clients.splice(0)) await recording.client.close();
    await harness.close();
  });

  async function connect(user: HarnessUser): Promise<RecordingClient> {
    const recording = new RecordingClient(
      clientOptions(harness, user.session, new MemoryHistoryStore()),
    );
    clients.push(recording);
    await recording.client.connect();
    return recording;
  }

  it('creates, lists, renames, grows and leaves a group, and every member’s history follows', async () => {
    const [owner, bob, carol] = [
      await harness.user('own'),
      await harness.user('bob'),
      await harness.user('carol'),
    ];
    const o = await connect(owner);
    const b = await connect(bob);
    const c = await connect(carol);

    const group = await o.client.groups.create('Climbing', [bob.userId]);
    expect(group.members).toEqual(
      expect.arrayContaining([
        { userId: owner.userId, role: 'admin' },
        { userId: bob.userId, role: 'member' },
      ]),
    );
    const conversationId = `group:${group.groupId}` as const;
    await waitFor(
      async () => (await b.client.conversation(conversationId))?.title === 'Climbing',
      20_000,
      () => 'bob to see the group',
    );
    expect((await b.client.groups.list()).map((g) => g.groupId)).toContain(group.groupId);

    await o.client.groups.rename(group.groupId, 'Bouldering');
    await waitFor(
      async () => (await b.client.conversation(conversationId))?.title === 'Bouldering',
      20_000,
      () => 'the new name',
    );

    const grown = await o.client.groups.addMember(group.groupId, carol.userId);
    expect(grown.members).toHaveLength(3);
    await waitFor(
      async () => (await c.client.conversation(conversationId)) !== undefined,
      20_000,
      () => 'carol to see the group',
    );
    const hello = await o.client.send(conversationId, 'welcome carol');
    await waitFor(() => c.ids().includes(hello.id) && b.ids().includes(hello.id));

    await b.client.groups.leave(group.groupId);
    await waitFor(
      async () => (await b.client.conversation(conversationId))?.left === true,
      20_000,
      () => 'bob to have left',
    );
    const refused = await b.client.send(conversationId, 'still here?');
    await waitFor(
      async () => (await b.client.store.getMessages([refused.key]))[0]?.status === 'failed',
    );
    await expect(b.client.groups.get(group.groupId)).rejects.toBeInstanceOf(AppError);
  });

  it('refuses group calls with the server’s code', async () => {
    const owner = await harness.user('own');
    const bob = await harness.user('bob');
    const o = await connect(owner);
    const b = await connect(bob);
    const group = await o.client.groups.create('Private', []);
    await expect(b.client.groups.get(group.groupId)).rejects.toMatchObject({
      code: expect.stringMatching(/GROUP_NOT_FOUND|NOT_A_MEMBER/),
    });
    await expect(b.client.groups.addMember(group.groupId, bob.userId)).rejects.toBeInstanceOf(
      AppError,
    );
    await expect(o.client.groups.create('', [])).rejects.toMatchObject({
      code: 'INVALID_GROUP_NAME',
    });
  });
});
