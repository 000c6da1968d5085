import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestSocket, type Frame } from '../../domains/chat/test-support/ws-client.js';
import { loginUser, registerUser } from '../../test-support/accounts.js';
import { createScratchPostgres, waitFor } from '../../test-support/scale-out.js';
import { servicesAvailable } from '../../test-support/services.js';
import { startTestServer } from '../../test-support/test-app.js';
import { SEQ_BASE_STEP } from './mirror-state.js';
import { MirroredInboxStore } from './mirrored-inbox-store.js';
import { dumpInboxStore } from './test-support/inbox-dump.js';
import { startDurableRedis } from './test-support/private-redis.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A device as a client runs it: it acknowledges every inbox item as it arrives, and
 * reconnects with `after` = the last seq it processed whenever its socket closes.
 */
class Device {
  readonly messages: Array<{ id: string; seq: number }> = [];
  lastSeq = 0;
  socket: TestSocket | null = null;
  reconnects = 0;
  private stopped = false;

  constructor(
    private readonly baseUrl: string,
    readonly token: string,
  ) {}

  async connect(): Promise<void> {
    while (!this.stopped) {
      try {
        this.attach(await TestSocket.connect(this.baseUrl, this.token, this.lastSeq));
        return;
      } catch {
        await pause(50);
      }
    }
  }

  private attach(socket: TestSocket): void {
    this.socket = socket;
    socket.ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as Frame & { seq?: number; id?: string };
      if (frame.seq === undefined || frame.type === 'synced') return;
      if (frame.type === 'msg') this.messages.push({ id: frame.id!, seq: frame.seq });
      this.lastSeq = Math.max(this.lastSeq, frame.seq);
      socket.send({ type: 'ack', seq: frame.seq });
    });
    void socket.closed.then(() => {
      if (this.stopped) return;
      this.reconnects++;
      void this.connect();
    });
  }

  /** Message ids in the order they first arrived (a client drops repeats by id). */
  firstSeen(): string[] {
    return [...new Set(this.messages.map((m) => m.id))];
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
  }
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe.skipIf(!(await servicesAvailable(['postgres'])))('chat on the mirrored inbox', () => {
  it('delivers every message answered `sent` to every device, in order, once acknowledged, while each store dies and returns', async () => {
    const [a, b] = await Promise.all([startDurableRedis(), startDurableRedis()]);
    cleanup.push(() => Promise.all([a.close(), b.close()]).then(() => undefined));
    const postgres = await createScratchPostgres();
    cleanup.push(() => postgres.drop());
    const server = await startTestServer({
      DATABASE_URL: postgres.url,
      CLUSTER: 'false',
      CHAT_INBOX_STORES: `${a.url},${b.url}`,
      // The sender goes as fast as the answers come: not a test of the frame rate limit.
      CHAT_FRAMES_PER_SECOND: '100000',
    });
    cleanup.push(() => server.close());
    const mirror = server.deps.chatInbox;
    if (!(mirror instanceof MirroredInboxStore)) throw new Error('the app did not open the mirror');
    const prefix = `${server.config.env.CLUSTER_NAME}:inbox:`;

    const alice = await registerUser(server.baseUrl);
    const bob = await registerUser(server.baseUrl);
    const bob2 = await loginUser(server.baseUrl, bob);
    const alice2 = await loginUser(server.baseUrl, alice);
    const sender = new Device(server.baseUrl, alice.token);
    const readers = [bob.token, bob2.token, alice2.token].map(
      (token) => new Device(server.baseUrl, token),
    );
    for (const device of [sender, ...readers]) {
      await device.connect();
      cleanup.push(() => Promise.resolve(device.stop()));
    }

    // Sends one message after another, each resent (same id) until answered `sent`.
    const answered: string[] = [];
    const refusals: string[] = [];
    let next = 0;
    const send = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const id = `m-${next++}`;
        for (;;) {
          const socket = sender.socket;
          if (socket !== null && socket.ws.readyState === WebSocket.OPEN) {
            socket.send({ type: 'send', id, to: { user: bob.userId }, body: { id } });
            const answer = await socket
              .take((f) => (f.type === 'sent' || f.type === 'error') && f.id === id, 5_000)
              .catch(() => null);
            if (answer?.type === 'sent') break;
            if (answer !== null) refusals.push(String(answer.code));
          }
          await pause(20);
        }
        answered.push(id);
      }
    };
    const delivered = async (what: string) => {
      await waitFor(
        () => readers.every((r) => answered.every((id) => r.firstSeen().includes(id))),
        what,
        20_000,
      );
      // Every ack sent so far applied: a ping is answered after the acks before it.
      for (const r of readers) await r.socket?.barrier().catch(() => undefined);
    };
    const state = () => mirror.status().state!;

    await send(100);
    const first = state().authority;
    await a.kill();
    await send(100);
    expect(state().authority.id).not.toBe(first.id);
    expect(state().seqBase).toBe(SEQ_BASE_STEP);

    // The first store comes back: messages keep flowing while it is emptied and
    // refilled, and nothing is read from it until then.
    await a.restart();
    const during = send(100);
    await waitFor(() => state().followerStatus === 'repairing', 'the repair begins');
    expect(state().authority.id).not.toBe(first.id);
    await waitFor(() => state().followerStatus === 'sync', 'the repair finishes', 30_000);
    await during;
    await delivered('messages read before the second failure');
    expect(await dumpInboxStore(a.url, prefix)).toEqual(await dumpInboxStore(b.url, prefix));

    // The other store dies right after: the repaired one serves alone.
    await b.kill();
    await send(100);
    expect(state().authority.id).toBe(first.id);
    expect(state().seqBase).toBe(2 * SEQ_BASE_STEP);
    await delivered('every message read');

    expect(refusals.filter((code) => code !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    for (const reader of readers) {
      // Every message answered `sent`, in the order it was sent (each waited for the
      // answer to the one before).
      expect(reader.firstSeen()).toEqual(answered);
      const seqs = reader.messages.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    // Once acknowledged, an item is never sent again: a new connection gets nothing.
    for (const reader of readers) {
      reader.stop();
      const again = await TestSocket.connect(server.baseUrl, reader.token, reader.lastSeq);
      const synced = await again.take((f) => f.type === 'synced');
      expect(again.frames.filter((f) => f.type === 'msg')).toEqual([]);
      expect(synced.seq).toBe(reader.lastSeq);
      again.close();
    }
    const repeats = readers.map((r) => r.messages.length - r.firstSeen().length);
    console.info(
      `chat on the mirror: ${answered.length} messages answered; refusals ${refusals.length}; repeats per device ${repeats.join('/')}; reconnects ${readers.map((r) => r.reconnects).join('/')}`,
    );
  }, 120_000);
});
