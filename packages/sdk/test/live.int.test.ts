import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryHistoryStore } from '../src/node.js';
import {
  clientOptions,
  RecordingClient,
  realHarness,
  waitFor,
  type ChatHarness,
  type HarnessUser,
} from './harness.js';

describe('SwitchboardClient typing and presence against the real server', () => {
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

  async function contacts(): Promise<[HarnessUser, HarnessUser, RecordingClient, RecordingClient]> {
    const alice = await harness.user('alice');
    const bob = await harness.user('bob');
    const a = await connect(alice);
    const b = await connect(bob);
    const hello = await a.client.send({ user: bob.userId }, 'hello');
    await waitFor(() => b.ids().includes(hello.id));
    return [alice, bob, a, b];
  }

  it('relays typing to the other side and its stop', async () => {
    const [alice, , a, b] = await contacts();
    const started = b.client.next('typing', (e) => e.typing);
    a.client.setTyping(`user:${b.client.userId}`, true);
    expect(await started).toEqual({
      conversationId: `user:${alice.userId}`,
      user: alice.userId,
      typing: true,
    });
    expect(b.client.typingIn(`user:${alice.userId}`)).toEqual([alice.userId]);
    const stopped = b.client.next('typing', (e) => !e.typing);
    a.client.setTyping(`user:${b.client.userId}`, false);
    await stopped;
    expect(b.client.typingIn(`user:${alice.userId}`)).toEqual([]);
  });

  it('tells a contact when the other goes offline and comes back', async () => {
    const [, bob, a, b] = await contacts();
    const offline = a.client.next('presence', (p) => p.user === bob.userId && !p.online);
    await b.client.close();
    const seen = await offline;
    expect(seen.lastSeen).toEqual(expect.any(Number));
    expect(a.client.presenceOf(bob.userId)?.online).toBe(false);
    const online = a.client.next('presence', (p) => p.user === bob.userId && p.online);
    await connect(bob);
    await online;
    expect((await a.client.users.presence(bob.userId)).online).toBe(true);
  });
});
