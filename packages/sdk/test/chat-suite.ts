import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileHistoryStore, type SwitchboardClient, type MessageStatus } from '../src/node.js';
import {
  clientOptions,
  RecordingClient,
  waitFor,
  type ChatHarness,
  type HarnessUser,
} from './harness.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Options of the shared suite. */
export interface ChatSuiteOptions {
  /** Messages in the offline-backlog test (the issue asks for 10,000). */
  readonly backlog: number;
}

async function statusOf(
  client: SwitchboardClient,
  key: string,
): Promise<MessageStatus | undefined> {
  const [message] = await client.store.getMessages([key]);
  return message?.status;
}

/**
 * The chat behaviour a user relies on, through the SDK: run against the fake server
 * (always) and the real one (once it serves `/ws`), so both are held to the same rules.
 */
export function runChatSuite(create: () => Promise<ChatHarness>, options: ChatSuiteOptions): void {
  let harness: ChatHarness;
  let clients: RecordingClient[];
  const dirs: string[] = [];

  beforeEach(async () => {
    harness = await create();
    clients = [];
  });

  afterEach(async () => {
    for (const recording of clients) await recording.client.close();
    await harness.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function connect(
    user: HarnessUser | { session: HarnessUser['session'] },
    extra: Parameters<typeof clientOptions>[3] = {},
    store?: Parameters<typeof clientOptions>[2],
  ): Promise<RecordingClient> {
    const recording = new RecordingClient(clientOptions(harness, user.session, store, extra));
    clients.push(recording);
    await recording.client.connect();
    return recording;
  }

  function offline(
    user: HarnessUser,
    store?: Parameters<typeof clientOptions>[2],
  ): RecordingClient {
    const recording = new RecordingClient(clientOptions(harness, user.session, store));
    clients.push(recording);
    return recording;
  }

  describe('two users', () => {
    it('delivers each message once to every device of the recipient and the sender’s other devices', async () => {
      const alice = await harness.user('alice');
      const bob = await harness.user('bob');
      const alice2 = await connect({ session: await harness.device(alice) });
      const bob2 = await connect({ session: await harness.device(bob) });
      const a = await connect(alice);
      const b = await connect(bob);
      const hello = await a.client.send({ user: bob.userId }, { text: 'hi bob' });
      const reply = await (async () => {
        await waitFor(
          () => b.ids().includes(hello.id),
          20_000,
          () => 'bob to receive hello',
        );
        return b.client.send(`user:${alice.userId}`, { text: 'hi alice' });
      })();
      await waitFor(
        () => a.ids().includes(reply.id) && alice2.ids().length === 2 && bob2.ids().length === 2,
      );
      expect(b.ids()).toEqual([hello.id]);
      expect(b.messages[0]).toMatchObject({
        conversationId: `user:${alice.userId}`,
        from: { user: alice.userId, device: alice.session.deviceId },
        body: { text: 'hi bob' },
        outgoing: false,
      });
      // A second device of each user sees both sides of the conversation.
      expect(alice2.ids()).toEqual([hello.id, reply.id]);
      expect(alice2.messages.map((m) => m.outgoing)).toEqual([true, false]);
      expect(bob2.ids()).toEqual([hello.id, reply.id]);
      expect((await alice2.client.conversations())[0]?.conversationId).toBe(`user:${bob.userId}`);
    });

    it('reports delivered, then read, to every device of the sender', async () => {
      const alice = await harness.user('alice');
      const bob = await harness.user('bob');
      const a = await connect(alice);
      const a2 = await connect({ session: await harness.device(alice) });
      const b = await connect(bob);
      const message = await a.client.send({ user: bob.userId }, { text: 'did you get this?' });
      const statuses: MessageStatus[] = [];
      a.client.on('status', (m) => {
        if (m.id === message.id) statuses.push(m.status);
      });
      await waitFor(
        async () => (await statusOf(a.client, message.key)) === 'delivered',
        20_000,
        () => 'delivered',
      );
      await waitFor(
        async () => (await statusOf(a2.client, message.key)) === 'delivered',
        20_000,
        () => 'delivered on device 2',
      );
      expect((await b.client.conversation(`user:${alice.userId}`))?.unread).toBe(1);
      await b.client.markRead(`user:${alice.userId}`);
      expect((await b.client.conversation(`user:${alice.userId}`))?.unread).toBe(0);
      await waitFor(
        async () => (await statusOf(a.client, message.key)) === 'read',
        20_000,
        () => 'read',
      );
      await waitFor(
        async () => (await statusOf(a2.client, message.key)) === 'read',
        20_000,
        () => 'read on device 2',
      );
      expect(statuses.filter((s) => s !== 'sent')).toEqual(['delivered', 'read']);
      const [stored] = await a.client.store.getMessages([message.key]);
      expect(stored?.receipts[bob.userId]?.status).toBe('read');
    });

    it('clears the unread count on the reader’s other devices', async () => {
      const alice = await harness.user('alice');
      const bob = await harness.user('bob');
      const a = await connect(alice);
      const b = await connect(bob);
      const b2 = await connect({ session: await harness.device(bob) });
      const message = await a.client.send({ user: bob.userId }, 'read me');
      await waitFor(() => b.ids().includes(message.id) && b2.ids().includes(message.id));
      await b.client.markRead(`user:${alice.userId}`);
      await waitFor(
        async () => (await b2.client.conversation(`user:${alice.userId}`))?.unread === 0,
        20_000,
        () => 'unread 0 on the other device',
      );
    });

    it('stores a message resent with the same id once', async () => {
      const alice = await harness.user('alice');
      const bob = await harness.user('bob');
      const b = await connect(bob);
      const a = await connect(alice);
      const first = await a.client.send({ user: bob.userId }, 'once', { id: 'dup-1' });
      await waitFor(async () => (await statusOf(a.client, first.key)) !== 'pending');
      await a.client.close();
      // The same device after losing its history: the same id goes out again.
      const again = await connect(alice);
      await again.client.send({ user: bob.userId }, 'once', { id: 'dup-1' });
      await waitFor(
        () => again.client.pendingCount === 0,
        20_000,
        () => 'the resend answered',
      );
      const marker = await again.client.send({ user: bob.userId }, 'after');
      await waitFor(() => b.ids().includes(marker.id));
      expect(b.receivedMessageIds().filter((id) => id === 'dup-1')).toHaveLength(1);
      expect(b.ids()).toEqual(['dup-1', marker.id]);
    });

    it('refuses a message to nobody', async () => {
      const alice = await harness.user('alice');
      const a = await connect(alice);
      const message = await a.client.send({ user: 'no-such-user' }, 'hello?');
      await waitFor(async () => (await statusOf(a.client, message.key)) === 'failed');
      const [stored] = await a.client.store.getMessages([message.key]);
      expect(stored?.error?.code).toBe('RECIPIENT_UNAVAILABLE');
    });
  });

  describe('groups', () => {
    it('delivers to every member once, never to others, and refuses non-members', async () => {
      const owner = await harness.user('owner');
      const members = await Promise.all([harness.user('m'), harness.user('m'), harness.user('m')]);
      const outsider = await harness.user('out');
      const groupId = await harness.group(owner, members);
      const o = await connect(owner);
      const ms = await Promise.all(members.map((m) => connect(m)));
      const x = await connect(outsider);
      const hello = await o.client.send({ group: groupId }, { text: 'hello group' });
      await waitFor(
        () => ms.every((m) => m.ids().includes(hello.id)),
        20_000,
        () => 'every member to receive',
      );
      const reply = await ms[1]!.client.send(`group:${groupId}`, 'hi owner');
      await waitFor(
        () =>
          o.ids().includes(reply.id) &&
          ms[0]!.ids().includes(reply.id) &&
          ms[2]!.ids().includes(reply.id),
      );
      for (const m of ms) expect(m.messages.filter((msg) => msg.id === hello.id)).toHaveLength(1);
      expect(ms[0]!.messages[0]?.conversationId).toBe(`group:${groupId}`);
      const intrusion = await x.client.send({ group: groupId }, 'let me in');
      await waitFor(async () => (await statusOf(x.client, intrusion.key)) === 'failed');
      const [refused] = await x.client.store.getMessages([intrusion.key]);
      expect(['NOT_A_MEMBER', 'GROUP_NOT_FOUND']).toContain(refused?.error?.code);
      expect(x.receivedMessageIds()).toEqual([]);
      await waitFor(
        async () => {
          const [stored] = await o.client.store.getMessages([hello.key]);
          return Object.keys(stored?.receipts ?? {}).length === members.length;
        },
        20_000,
        () => 'a delivered receipt from every member',
      );
    });
  });

  describe('offline and reconnects', () => {
    it(`delivers an offline backlog of ${options.backlog} messages in order`, async () => {
      const alice = await harness.user('alice');
      const bob = await harness.user('bob');
      const b = offline(bob);
      const a = await connect(alice);
      const ids: string[] = [];
      const sendStart = performance.now();
      for (let i = 0; i < options.backlog; i += 1) {
        ids.push((await a.client.send({ user: bob.userId }, { n: i })).id);
      }
      await waitFor(
        () => a.client.pendingCount === 0,
        120_000,
        () => 'every send answered',
      );
      const sendMs = performance.now() - sendStart;
      const deliverStart = performance.now();
      await b.client.connect();
      await waitFor(
        () => b.messages.length >= options.backlog,
        120_000,
        () => `${b.messages.length} of ${options.backlog} delivered`,
      );
      const deliverMs = performance.now() - deliverStart;
      expect(b.ids()).toEqual(ids);
      expect(b.messages.map((m) => (m.body as { n: number }).n)).toEqual(ids.map((_, i) => i));
      console.info(
        `[${harness.name}] backlog of ${options.backlog}: sent in ${Math.round(sendMs)} ms (${Math.round((options.backlog / sendMs) * 1000)}/s), delivered and stored in ${Math.round(deliverMs)} ms (${Math.round((options.backlog / deliverMs) * 1000)}/s)`,
      );
    }, 180_000);

    it('loses and repeats nothing when the connection drops in the middle of a backlog', async () => {
      const count = Math.min(options.backlog, 3_000);
      const alice = await harness.user('alice');
      const bob = await harness.user('bob');
      const b = offline(bob);
      const a = await connect(alice);
      const ids: string[] = [];
      for (let i = 0; i < count; i += 1)
        ids.push((await a.client.send({ user: bob.userId }, i)).id);
      await waitFor(() => a.client.pendingCount === 0, 60_000);
      // Cut from inside the delivery path, so the loss lands in the middle for sure.
      const off = b.client.on('message', () => {
        if (b.messages.length < count / 3) return;
        off();
        b.cut();
      });
      void b.client.connect();
      await waitFor(
        () => b.sockets.length >= 2,
        20_000,
        () => 'a new socket',
      );
      await waitFor(
        () => b.messages.length >= count,
        60_000,
        () => `${b.messages.length} of ${count}`,
      );
      expect(b.ids()).toEqual(ids);
      expect(
        (await b.client.history(`user:${alice.userId}`, { limit: count + 10 })).messages,
      ).toHaveLength(count);
      const auths = b.sent.filter((f) => f.type === 'auth');
      expect(auths.length).toBeGreaterThanOrEqual(2);
      expect((auths.at(-1) as { after: number }).after).toBeGreaterThan(0);
    }, 180_000);

    it('keeps history and resumes after its last stored seq after a restart', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-suite-'));
      dirs.push(dir);
      const file = path.join(dir, 'bob.jsonl');
      const alice = await harness.user('alice');
      const bob = await harness.user('bob');
      const a = await connect(alice);
      const store = await FileHistoryStore.open(file);
      const b = await connect(bob, {}, store);
      const sent = [];
      for (let i = 0; i < 5; i += 1) sent.push((await a.client.send({ user: bob.userId }, i)).id);
      await waitFor(() => b.messages.length === 5);
      await b.client.close();
      await store.close();
      const later = await a.client.send({ user: bob.userId }, 'while you were away');
      await waitFor(() => a.client.pendingCount === 0);
      const reopened = await FileHistoryStore.open(file);
      const b2 = offline(bob, reopened);
      const page = await b2.client.history(`user:${alice.userId}`);
      expect(page.messages.map((m) => m.id)).toEqual(sent);
      await b2.client.connect();
      await waitFor(() => b2.ids().includes(later.id));
      expect(b2.receivedMessageIds()).toEqual([later.id]);
      const auth = b2.sent.find((f) => f.type === 'auth');
      expect(auth?.type === 'auth' ? auth.after : -1).toBeGreaterThanOrEqual(5);
      await b2.client.close();
      await reopened.close();
    });

    it('sends what the outbox held before a restart, once, in order', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-suite-'));
      dirs.push(dir);
      const file = path.join(dir, 'alice.jsonl');
      const alice = await harness.user('alice');
      const bob = await harness.user('bob');
      const b = await connect(bob);
      const store = await FileHistoryStore.open(file);
      const a = offline(alice, store);
      const queued = [];
      for (let i = 0; i < 3; i += 1)
        queued.push((await a.client.send({ user: bob.userId }, `queued ${i}`)).id);
      await a.client.close();
      await store.close();
      const reopened = await FileHistoryStore.open(file);
      const a2 = offline(alice, reopened);
      expect((await a2.client.outbox()).map((m) => m.id)).toEqual(queued);
      await a2.client.connect();
      await waitFor(() => b.messages.length === 3);
      expect(b.ids()).toEqual(queued);
      await a2.client.close();
      await reopened.close();
    });
  });

  describe('sessions', () => {
    it('stops for good when the session is revoked', async () => {
      const bob = await harness.user('bob');
      const b = await connect(bob);
      const ended = b.client.next('sessionEnded');
      await harness.revoke(bob.session);
      expect(await ended).toEqual({ reason: 'SESSION_REVOKED' });
      expect(b.client.state).toBe('ended');
      // Give a reconnect every chance to happen: another client's round trip.
      const alice = await harness.user('alice');
      const a = await connect(alice);
      const probe = await a.client.send({ user: bob.userId }, 'anyone?');
      await waitFor(async () => (await statusOf(a.client, probe.key)) !== 'pending');
      expect(b.sockets).toHaveLength(1);
    });

    it('gives way to a newer socket of the same device instead of fighting it', async () => {
      const bob = await harness.user('bob');
      const older = await connect(bob);
      const ended = older.client.next('sessionEnded');
      const newer = await connect(bob);
      expect(await ended).toEqual({ reason: 'SESSION_REPLACED' });
      expect(newer.client.state).toBe('online');
      const alice = await harness.user('alice');
      const a = await connect(alice);
      const message = await a.client.send({ user: bob.userId }, 'which one?');
      await waitFor(() => newer.ids().includes(message.id));
      expect(older.sockets).toHaveLength(1);
      expect(newer.client.state).toBe('online');
    });
  });
}
