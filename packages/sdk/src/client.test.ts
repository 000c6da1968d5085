import type { MsgFrame } from '@switchboard/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SwitchboardClient, type SwitchboardClientOptions } from './client.js';
import type { HistoryStore } from './history-store.js';
import { MemoryHistoryStore } from './memory-history-store.js';
import type { StoredMessage } from './model.js';
import { fakeSocketClass, type FakeSocket } from './test-support/fake-socket.js';

const SESSION = { token: 'tok', userId: 'me', deviceId: 'me-d1' };

function msg(seq: number, overrides: Partial<MsgFrame> = {}): MsgFrame {
  return {
    type: 'msg',
    seq,
    id: `m${seq}`,
    from: { user: 'bob', device: 'bob-d1' },
    to: { user: 'me' },
    ts: 1_000 + seq,
    body: { text: `hello ${seq}` },
    ...overrides,
  };
}

let fake: ReturnType<typeof fakeSocketClass>;
let clients: SwitchboardClient[];

beforeEach(() => {
  vi.useFakeTimers();
  fake = fakeSocketClass();
  clients = [];
});

afterEach(async () => {
  for (const client of clients) await client.close();
  vi.useRealTimers();
});

function makeClient(options: Partial<SwitchboardClientOptions> = {}) {
  const client = new SwitchboardClient({
    url: 'http://chat.test',
    session: SESSION,
    WebSocket: fake.WebSocket,
    random: () => 0.5,
    ...options,
  });
  clients.push(client);
  return client;
}

/** Lets timers at 0 ms and pending promises run. */
async function settle(ms = 0) {
  await vi.advanceTimersByTimeAsync(ms);
}

/** Opens the latest socket, checks its auth frame and answers ready. */
async function accept(socket: FakeSocket | undefined, heartbeatMs = 25_000) {
  expect(socket).toBeDefined();
  socket!.open();
  await settle();
  const auth = socket!.framesOf('auth')[0];
  expect(auth?.token).toBe('tok');
  socket!.receive({ type: 'ready', userId: 'me', deviceId: 'me-d1', heartbeatMs });
  await settle();
  return auth!;
}

async function connectAndSync(client: SwitchboardClient, seq = 0) {
  const connected = client.connect();
  await settle();
  const socket = fake.sockets.at(-1)!;
  await accept(socket);
  socket.receive({ type: 'synced', seq });
  await settle();
  await connected;
  return socket;
}

describe(SwitchboardClient.name, () => {
  describe('connection', () => {
    it('connects to /ws of the server URL and authenticates with after = 0 when new', async () => {
      const client = makeClient();
      const socket = await connectAndSync(client);
      expect(socket.url).toBe('ws://chat.test/ws');
      expect(socket.framesOf('auth')[0]?.after).toBe(0);
      expect(client.state).toBe('online');
    });

    it('resumes after the last stored seq on reconnect and after a restart', async () => {
      const store = new MemoryHistoryStore();
      const client = makeClient({ store });
      const socket = await connectAndSync(client);
      socket.receive(msg(1));
      socket.receive(msg(2));
      await settle();
      socket.drop(1006);
      await settle(1_000);
      const second = fake.sockets[1]!;
      expect((await accept(second)).after).toBe(2);
      await client.close();
      const restarted = makeClient({ store });
      void restarted.connect();
      await settle();
      expect((await accept(fake.sockets[2])).after).toBe(2);
    });

    it('waits longer after each failure, with jitter, up to the cap', async () => {
      const delays = [250, 500, 1_000, 2_000, 2_000];
      const client = makeClient({
        reconnect: { initialDelayMs: 250, maxDelayMs: 2_000 },
        random: () => 1,
      });
      void client.connect();
      await settle();
      for (const [index, delay] of delays.entries()) {
        fake.sockets[index]!.drop(1006);
        await settle(delay - 1);
        expect(fake.sockets).toHaveLength(index + 1);
        await settle(1);
        expect(fake.sockets).toHaveLength(index + 2);
      }
      expect(client.state).toBe('connecting');
    });

    it('spreads reconnections between half and all of the backoff delay', async () => {
      const client = makeClient({ reconnect: { initialDelayMs: 1_000 }, random: () => 0 });
      void client.connect();
      await settle();
      fake.sockets[0]!.drop(1006);
      await settle(499);
      expect(fake.sockets).toHaveLength(1);
      await settle(1);
      expect(fake.sockets).toHaveLength(2);
    });

    it('starts the backoff over once a connection is synced', async () => {
      const client = makeClient({ reconnect: { initialDelayMs: 100 }, random: () => 1 });
      void client.connect();
      await settle();
      fake.sockets[0]!.drop(1006);
      await settle(100);
      fake.sockets[1]!.drop(1006);
      await settle(200);
      const third = fake.sockets[2]!;
      await accept(third);
      third.receive({ type: 'synced', seq: 0 });
      await settle();
      third.drop(1006);
      await settle(100);
      expect(fake.sockets).toHaveLength(4);
    });

    it.each([
      [4003, 'AUTH_FAILED'],
      [4004, 'SESSION_REVOKED'],
      [4005, 'SESSION_REPLACED'],
    ] as const)('stops for good on close code %i and reports %s', async (code, reason) => {
      const client = makeClient();
      const ended = client.next('sessionEnded');
      const connected = client.connect();
      await settle();
      fake.sockets[0]!.open();
      await settle();
      fake.sockets[0]!.drop(code);
      await expect(connected).rejects.toThrow(reason);
      expect(await ended).toEqual({ reason });
      await settle(120_000);
      expect(fake.sockets).toHaveLength(1);
      expect(client.state).toBe('ended');
    });

    it('drops a socket that stays silent after a ping, then reconnects', async () => {
      const client = makeClient({ heartbeat: { intervalMs: 1_000, timeoutMs: 500 } });
      const socket = await connectAndSync(client);
      await settle(1_000);
      expect(socket.framesOf('ping')).toHaveLength(1);
      socket.receive({ type: 'pong' });
      await settle(1_000);
      expect(client.state).toBe('online');
      expect(socket.framesOf('ping')).toHaveLength(2);
      await settle(500);
      expect(client.state).toBe('reconnecting');
      expect(socket.closedWith).toBeDefined();
      await settle(1_000);
      expect(fake.sockets).toHaveLength(2);
    });

    it('gives up on a socket that never becomes ready', async () => {
      const client = makeClient({ connectTimeoutMs: 2_000 });
      void client.connect();
      await settle();
      fake.sockets[0]!.open();
      await settle(2_000);
      expect(client.state).toBe('reconnecting');
    });

    it('keeps an error listener on a socket it gave up on (ws reports closing a connecting socket as an error)', async () => {
      const client = makeClient({ connectTimeoutMs: 1_000 });
      void client.connect();
      await settle();
      const socket = fake.sockets[0]!;
      await settle(1_000);
      expect(client.state).toBe('reconnecting');
      expect(socket.onerror).toBeTypeOf('function');
      expect(() => socket.onerror?.(undefined as never)).not.toThrow();
    });

    it('answers connect() at once when already online, without a second socket', async () => {
      const client = makeClient();
      await connectAndSync(client);
      await client.connect();
      expect(fake.sockets).toHaveLength(1);
    });

    it('does not reconnect after close()', async () => {
      const client = makeClient();
      const socket = await connectAndSync(client);
      await client.close();
      expect(socket.closedWith).toBe(1000);
      await settle(120_000);
      expect(fake.sockets).toHaveLength(1);
      expect(client.state).toBe('closed');
    });

    it('reports every state change in order', async () => {
      const client = makeClient();
      const states: string[] = [];
      client.on('state', ({ state }) => states.push(state));
      const socket = await connectAndSync(client);
      socket.drop(1006);
      await settle();
      expect(states).toEqual(['connecting', 'syncing', 'online', 'reconnecting']);
    });
  });

  describe('receiving', () => {
    it('reports each message once and acknowledges both copies of a duplicate', async () => {
      const client = makeClient();
      const seen: StoredMessage[] = [];
      client.on('message', (m) => seen.push(m));
      const socket = await connectAndSync(client);
      socket.receive(msg(1));
      socket.receive(msg(2, { id: 'm1' }));
      await settle(1_000);
      expect(seen.map((m) => m.id)).toEqual(['m1']);
      expect(socket.framesOf('ack').at(-1)?.seq).toBe(2);
    });

    it('acknowledges the backlog at synced, after it is stored', async () => {
      const store = new MemoryHistoryStore();
      const client = makeClient({ store });
      void client.connect();
      await settle();
      const socket = fake.sockets[0]!;
      await accept(socket);
      for (let seq = 1; seq <= 5; seq += 1) socket.receive(msg(seq));
      socket.receive({ type: 'synced', seq: 5 });
      await settle();
      expect(socket.framesOf('ack')).toEqual([{ type: 'ack', seq: 5 }]);
      expect((await store.getSyncState())?.lastSeq).toBe(5);
    });

    it('acknowledges every N items during a long backlog, and after a quiet delay when live', async () => {
      const client = makeClient({ acks: { every: 3, delayMs: 400 } });
      const socket = await connectAndSync(client);
      for (let seq = 1; seq <= 7; seq += 1) socket.receive(msg(seq));
      await settle();
      expect(socket.framesOf('ack').map((a) => a.seq)).toEqual([3, 6]);
      await settle(399);
      expect(socket.framesOf('ack').map((a) => a.seq)).toEqual([3, 6]);
      await settle(1);
      expect(socket.framesOf('ack').map((a) => a.seq)).toEqual([3, 6, 7]);
    });

    it('never acknowledges what the store failed to keep, and reconnects to get it again', async () => {
      const store = new MemoryHistoryStore();
      let fail = false;
      const failing: HistoryStore = {
        getSyncState: () => store.getSyncState(),
        getMessages: (keys) => store.getMessages(keys),
        findMessagesById: (id) => store.findMessagesById(id),
        listMessages: (id, query) => store.listMessages(id, query),
        listUnread: (id) => store.listUnread(id),
        listOutbox: () => store.listOutbox(),
        getConversations: (ids) => store.getConversations(ids),
        listConversations: () => store.listConversations(),
        write: (changes) => (fail ? Promise.reject(new Error('disk full')) : store.write(changes)),
        clear: () => store.clear(),
        close: () => store.close(),
      };
      const client = makeClient({ store: failing });
      const errors: Error[] = [];
      client.on('error', ({ error }) => errors.push(error));
      const socket = await connectAndSync(client);
      fail = true;
      socket.receive(msg(1));
      await settle(1_000);
      expect(socket.framesOf('ack')).toEqual([]);
      expect(errors.map((e) => e.message)).toContain('disk full');
      fail = false;
      await settle(1_000);
      expect((await accept(fake.sockets[1])).after).toBe(0);
    });

    it('expires a typing start after 6 s without a renewal', async () => {
      const client = makeClient();
      const events: boolean[] = [];
      client.on('typing', (e) => events.push(e.typing));
      const socket = await connectAndSync(client);
      socket.receive({
        type: 'typing',
        from: { user: 'bob', device: 'b1' },
        to: { user: 'me' },
        state: 'start',
      });
      await settle(4_000);
      socket.receive({
        type: 'typing',
        from: { user: 'bob', device: 'b1' },
        to: { user: 'me' },
        state: 'start',
      });
      await settle(5_999);
      expect(client.typingIn('user:bob')).toEqual(['bob']);
      await settle(1);
      expect(client.typingIn('user:bob')).toEqual([]);
      expect(events).toEqual([true, false]);
    });

    it('keeps presence per contact', async () => {
      const client = makeClient();
      const socket = await connectAndSync(client);
      socket.receive({ type: 'presence', user: 'bob', online: false, lastSeen: 1234 });
      expect(client.presenceOf('bob')).toEqual({ user: 'bob', online: false, lastSeen: 1234 });
    });

    it('reports a frame it cannot understand as an error and carries on', async () => {
      const client = makeClient();
      const errors: Error[] = [];
      client.on('error', ({ error }) => errors.push(error));
      const socket = await connectAndSync(client);
      socket.onmessage?.({ data: '{"type":"msg","seq":"x"}' });
      socket.onmessage?.({ data: 'not json' });
      socket.receive(msg(1));
      await settle(1_000);
      expect(errors).toHaveLength(2);
      expect(socket.framesOf('ack').at(-1)?.seq).toBe(1);
    });
  });

  describe('sending', () => {
    it('keeps a message pending while offline and sends it once connected', async () => {
      const client = makeClient();
      const message = await client.send({ user: 'bob' }, { text: 'hi' });
      expect(message.status).toBe('pending');
      const socket = await connectAndSync(client);
      expect(socket.framesOf('send')).toEqual([
        { type: 'send', id: message.id, to: { user: 'bob' }, body: { text: 'hi' } },
      ]);
      const sent = client.next('status', (m) => m.status === 'sent');
      socket.receive({ type: 'sent', id: message.id, ts: 5_000 });
      expect(await sent).toMatchObject({ id: message.id, ts: 5_000 });
      expect(await client.outbox()).toEqual([]);
    });

    it('sends one message per conversation at a time, in order, and conversations side by side', async () => {
      const client = makeClient();
      const socket = await connectAndSync(client);
      const a1 = await client.send({ user: 'bob' }, 'a1');
      const a2 = await client.send({ user: 'bob' }, 'a2');
      const b1 = await client.send({ group: 'g' }, 'b1');
      await settle();
      expect(socket.framesOf('send').map((f) => f.body)).toEqual(['a1', 'b1']);
      socket.receive({ type: 'sent', id: a1.id, ts: 1 });
      await settle();
      expect(socket.framesOf('send').map((f) => f.body)).toEqual(['a1', 'b1', 'a2']);
      socket.receive({ type: 'sent', id: a2.id, ts: 2 });
      socket.receive({ type: 'sent', id: b1.id, ts: 2 });
      await settle();
      expect(await client.outbox()).toEqual([]);
    });

    it('sends the same id again after a reconnect until it is answered sent', async () => {
      const client = makeClient();
      const socket = await connectAndSync(client);
      const message = await client.send({ user: 'bob' }, 'again');
      socket.drop(1006);
      await settle(1_000);
      const second = fake.sockets[1]!;
      await accept(second);
      expect(second.framesOf('send').map((f) => f.id)).toEqual([message.id]);
    });

    it('sends the same id again when the server does not answer in time', async () => {
      const client = makeClient({ outbox: { sendTimeoutMs: 3_000 } });
      const socket = await connectAndSync(client);
      const message = await client.send({ user: 'bob' }, 'slow');
      await settle(2_999);
      expect(socket.framesOf('send')).toHaveLength(1);
      await settle(1);
      expect(socket.framesOf('send').map((f) => f.id)).toEqual([message.id, message.id]);
    });

    it('retries after a transient error and fails for good on a refusal', async () => {
      const client = makeClient();
      const socket = await connectAndSync(client);
      const limited = await client.send({ user: 'bob' }, 'limited');
      const refused = await client.send({ group: 'not-mine' }, 'refused');
      await settle();
      socket.receive({ type: 'error', id: limited.id, code: 'RATE_LIMITED', message: 'slow down' });
      const failed = client.next('status', (m) => m.status === 'failed');
      socket.receive({ type: 'error', id: refused.id, code: 'NOT_A_MEMBER', message: 'no' });
      expect(await failed).toMatchObject({ id: refused.id, error: { code: 'NOT_A_MEMBER' } });
      await settle(1_000);
      expect(socket.framesOf('send').filter((f) => f.id === limited.id)).toHaveLength(2);
      expect(socket.framesOf('send').filter((f) => f.id === refused.id)).toHaveLength(1);
    });

    it('lets the next message of a conversation go when one is refused', async () => {
      const client = makeClient();
      const socket = await connectAndSync(client);
      const first = await client.send({ user: 'ghost' }, 'first');
      await client.send({ user: 'ghost' }, 'second');
      await settle();
      socket.receive({ type: 'error', id: first.id, code: 'RECIPIENT_UNAVAILABLE', message: 'no' });
      await settle();
      expect(socket.framesOf('send').map((f) => f.body)).toEqual(['first', 'second']);
    });

    it('sends what was left in the outbox by a previous run, in order', async () => {
      const store = new MemoryHistoryStore();
      const first = makeClient({ store });
      const m1 = await first.send({ user: 'bob' }, 'one');
      const m2 = await first.send({ user: 'bob' }, 'two');
      await first.close();
      const second = makeClient({ store });
      const socket = await connectAndSync(second);
      expect(socket.framesOf('send').map((f) => f.id)).toEqual([m1.id]);
      socket.receive({ type: 'sent', id: m1.id, ts: 10 });
      await settle();
      expect(socket.framesOf('send').map((f) => f.id)).toEqual([m1.id, m2.id]);
    });

    it('keeps to its own send rate', async () => {
      const client = makeClient({ outbox: { maxSendsPerSecond: 2 } });
      const socket = await connectAndSync(client);
      for (let i = 0; i < 5; i += 1) await client.send({ user: `u${i}` }, i);
      await settle();
      expect(socket.framesOf('send')).toHaveLength(2);
      await settle(1_000);
      expect(socket.framesOf('send')).toHaveLength(4);
    });

    it('refuses a body over the limit and a malformed id before storing anything', async () => {
      const client = makeClient();
      await expect(client.send({ user: 'bob' }, 'x'.repeat(70_000))).rejects.toMatchObject({
        code: 'BODY_TOO_LARGE',
      });
      await expect(client.send({ user: 'bob' }, 'x', { id: 'bad id!' })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
      await expect(client.send('nowhere' as never, 'x')).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
      expect(await client.outbox()).toEqual([]);
    });

    it('answers the stored message when the same id is sent twice', async () => {
      const client = makeClient();
      const first = await client.send({ user: 'bob' }, 'once', { id: 'fixed-id' });
      const second = await client.send({ user: 'bob' }, 'twice', { id: 'fixed-id' });
      expect(second.body).toBe(first.body);
      expect(await client.outbox()).toHaveLength(1);
    });

    it('throttles typing starts and sends stop once', async () => {
      const client = makeClient();
      const socket = await connectAndSync(client);
      client.setTyping('user:bob', true);
      client.setTyping('user:bob', true);
      await settle(3_000);
      client.setTyping('user:bob', true);
      client.setTyping('user:bob', false);
      client.setTyping('user:bob', false);
      expect(socket.framesOf('typing').map((f) => f.state)).toEqual(['start', 'start', 'stop']);
    });
  });

  describe('reading', () => {
    it('marks a conversation read, sends read frames, and keeps them until a pong confirms', async () => {
      const store = new MemoryHistoryStore();
      const client = makeClient({ store });
      const socket = await connectAndSync(client);
      socket.receive(msg(1));
      socket.receive(msg(2));
      await settle(1_000);
      await client.markRead('user:bob');
      expect(socket.framesOf('read')).toEqual([{ type: 'read', ids: ['m1', 'm2'] }]);
      expect((await client.conversation('user:bob'))?.unread).toBe(0);
      expect((await store.getSyncState())?.pendingReads).toEqual(['m1', 'm2']);
      const ping = socket.framesOf('ping').at(-1)!;
      socket.receive({ type: 'pong', nonce: ping.nonce! });
      await settle();
      expect((await store.getSyncState())?.pendingReads).toEqual([]);
    });

    it('sends reads made offline once connected', async () => {
      const store = new MemoryHistoryStore();
      const client = makeClient({ store });
      const socket = await connectAndSync(client);
      socket.receive(msg(1));
      await settle(1_000);
      socket.drop(1006);
      await client.markRead('user:bob');
      await settle(1_000);
      const second = fake.sockets[1]!;
      await accept(second);
      expect(second.framesOf('read')).toEqual([{ type: 'read', ids: ['m1'] }]);
    });

    it('counts unread messages across conversations', async () => {
      const client = makeClient();
      const socket = await connectAndSync(client);
      socket.receive(msg(1));
      socket.receive(msg(2, { from: { user: 'carol', device: 'c1' } }));
      socket.receive(msg(3, { to: { group: 'g' } }));
      await settle(1_000);
      expect(await client.unreadCount()).toBe(3);
      expect((await client.conversations()).map((c) => c.conversationId)).toEqual([
        'group:g',
        'user:carol',
        'user:bob',
      ]);
    });
  });
});
