import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '@switchboard/shared';
import type { Delivery } from '../../domains/chat/inbox-store.js';
import { createLogger } from '../../logger.js';
import { RedisInboxStore } from '../redis/redis-inbox-store.js';
import { SEQ_BASE_STEP } from './mirror-state.js';
import { MirroredInboxStore, type MirrorEvent } from './mirrored-inbox-store.js';
import { dumpInboxStore } from './test-support/inbox-dump.js';
import {
  startCuttableProxy,
  startDurableRedis,
  type DurableRedis,
} from './test-support/private-redis.js';

const DAY = 86_400_000;
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** Two private Redis servers with AOF, and the nodes (mirrors) opened on them. */
interface Pair {
  readonly a: DurableRedis;
  readonly b: DurableRedis;
  readonly prefix: string;
  readonly events: MirrorEvent[];
  /** A node (mirror); `urls` to reach the stores another way (through a proxy). */
  node(options?: { urls?: [string, string]; pollMs?: number }): Promise<MirroredInboxStore>;
  close(): Promise<void>;
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function startPair(onEvent?: (event: MirrorEvent) => void): Promise<Pair> {
  const [a, b] = await Promise.all([startDurableRedis(), startDurableRedis()]);
  const prefix = `sbt_mirror_${randomBytes(4).toString('hex')}:`;
  const nodes: MirroredInboxStore[] = [];
  const events: MirrorEvent[] = [];
  const pair: Pair = {
    a,
    b,
    prefix,
    events,
    async node(options = {}) {
      const node = await MirroredInboxStore.connect({
        urls: options.urls ?? [a.url, b.url],
        prefix,
        logger,
        pollMs: options.pollMs ?? 50,
        leaseMs: 3_000,
        commandTimeoutMs: 2_000,
        onEvent: (event) => {
          events.push(event);
          onEvent?.(event);
        },
      });
      nodes.push(node);
      return node;
    },
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
      await Promise.all([a.close(), b.close()]);
    },
  };
  cleanup.push(() => pair.close());
  return pair;
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function message(id: string, deviceIds: string[], from = 'alice'): Delivery {
  const now = Date.now();
  return {
    key: `s:${from}:${id}`,
    ts: now,
    expiresAt: now + 30 * DAY,
    writes: [
      {
        kind: 'msg',
        payload: JSON.stringify({ type: 'msg', id, from: { user: from, device: 'x' }, body: id }),
        deviceIds,
        message: { senderUserId: from, messageId: id, groupId: null },
      },
    ],
    expectReceipts: {
      message: { senderUserId: from, messageId: id, groupId: null },
      recipientUserIds: ['bob'],
    },
  };
}

function idOf(payload: string): string {
  return (JSON.parse(payload) as { id: string }).id;
}

async function expectSameContent(pair: Pair) {
  const [a, b] = await Promise.all([
    dumpInboxStore(pair.a.url, pair.prefix),
    dumpInboxStore(pair.b.url, pair.prefix),
  ]);
  expect(b).toEqual(a);
}

describe(MirroredInboxStore.name, () => {
  it('repairs a follower that missed writes before it may serve or take over', async () => {
    const pair = await startPair();
    const node = await pair.node();
    for (let i = 0; i < 20; i++) await node.deliver(message(`m${i}`, ['d1', 'd2', 'd3', 'd4']));
    await node.deliver({
      ts: Date.now(),
      expiresAt: Date.now() + DAY,
      ack: { deviceId: 'd1', uptoSeq: 5 },
    });
    await pair.b.kill();
    for (let i = 20; i < 40; i++) await node.deliver(message(`m${i}`, ['d1', 'd2']));
    await node.deliver({
      ts: Date.now(),
      expiresAt: Date.now() + DAY,
      ack: { deviceId: 'd2', uptoSeq: 30 },
    });
    expect(node.status().state?.followerStatus).toBe('down');
    const recordedB = node.status().state?.follower;

    await pair.b.restart();
    await waitFor(() => node.status().state?.followerStatus === 'sync', 'the follower in sync');
    // It came back as another process: the record names that one now.
    expect(node.status().state?.follower?.runId).not.toBe(recordedB?.runId);
    expect(pair.events.map((e) => e.kind)).toContain('repair-finished');
    await expectSameContent(pair);

    // The repaired store now takes over when the other fails.
    await pair.a.kill();
    const after = await node.deliver(message('late', ['d1']));
    expect(after.appended[0]!.seq).toBe(SEQ_BASE_STEP + 1);
    const items = await node.read('d1', 0, 100, Date.now());
    expect(items.map((i) => idOf(i.payload))).toEqual([
      ...Array.from({ length: 35 }, (_, i) => `m${i + 5}`),
      'late',
    ]);
  });

  it('refills a follower that lost everything', async () => {
    const pair = await startPair();
    const node = await pair.node();
    for (let i = 0; i < 10; i++) await node.deliver(message(`m${i}`, ['d1', 'd2']));
    const before = node.status().state!.follower!.id;
    await pair.b.kill();
    pair.b.eraseData();
    await pair.b.restart();
    // Repaired: the record names the emptied store (a new identity) as in sync.
    await waitFor(
      () =>
        node.status().state?.followerStatus === 'sync' &&
        node.status().state?.follower?.id !== before,
      'the emptied follower in sync',
    );
    await expectSameContent(pair);
    await pair.a.kill();
    expect((await node.read('d2', 0, 100, Date.now())).map((i) => idOf(i.payload))).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
  });

  it('copies a backlog larger than a page, and devices by the hundred', async () => {
    const pair = await startPair();
    const node = await pair.node();
    await pair.b.kill();
    const many = Array.from({ length: 260 }, (_, i) => `dev${i}`);
    for (let i = 0; i < 450; i++) await node.deliver(message(`m${i}`, ['big']));
    for (let i = 0; i < 3; i++) await node.deliver(message(`g${i}`, many));
    await node.deliver({
      ts: Date.now(),
      expiresAt: Date.now() + DAY,
      ack: { deviceId: 'big', uptoSeq: 20 },
    });
    await pair.b.restart();
    await waitFor(() => pair.events.some((e) => e.kind === 'repair-finished'), 'a repair');
    const finished = pair.events.find((e) => e.kind === 'repair-finished');
    expect(finished).toMatchObject({ items: 430 + 3 * 260 });
    await expectSameContent(pair);
  });

  it('starts with one store down and repairs it when it comes', async () => {
    const pair = await startPair();
    const first = await pair.node();
    await first.deliver(message('m0', ['d1']));
    await first.close();
    await pair.b.kill();
    const node = await pair.node();
    expect(node.status().state?.followerStatus).toBe('down');
    await node.deliver(message('m1', ['d1']));
    await pair.b.restart();
    await waitFor(() => node.status().state?.followerStatus === 'sync', 'the follower in sync');
    await expectSameContent(pair);
    await pair.a.kill();
    const ids = (await node.read('d1', 0, 10, Date.now())).map((i) => idOf(i.payload));
    expect(ids).toEqual(['m0', 'm1']);
  });

  it('does not start for the first time without both stores', async () => {
    const pair = await startPair();
    await pair.b.kill();
    await expect(pair.node()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('refuses to serve from a store that is still being repaired when the other fails', async () => {
    let killAuthority: (() => void) | null = null;
    const pair = await startPair((event) => {
      // The authority dies the moment the first copy starts.
      if (event.kind === 'repair-started') killAuthority?.();
    });
    killAuthority = () => {
      killAuthority = null;
      void pair.a.kill();
    };
    const node = await pair.node();
    const devices = Array.from({ length: 400 }, (_, i) => `dev${i}`);
    for (let i = 0; i < 10; i++) await node.deliver(message(`m${i}`, devices));
    await pair.b.kill();
    await node.deliver(message('missed', ['dev1']));
    await pair.b.restart();
    await waitFor(() => node.status().state?.followerStatus === 'repairing', 'a repair');
    await waitFor(() => pair.a.pid() === null, 'the authority killed');
    await expect(node.deliver(message('refused', ['dev1']))).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    await expect(node.read('dev1', 0, 10, Date.now())).rejects.toBeInstanceOf(AppError);

    // The authority comes back (a restart: it goes on above a new seq base), and the
    // follower is repaired from the start.
    await pair.a.restart();
    await waitFor(() => node.status().state?.followerStatus === 'sync', 'the follower in sync');
    expect(node.status().state!.seqBase).toBe(SEQ_BASE_STEP);
    await expectSameContent(pair);
    const ids = (await node.read('dev1', 0, 100, Date.now())).map((i) => idOf(i.payload));
    expect(ids).toEqual([...Array.from({ length: 10 }, (_, i) => `m${i}`), 'missed']);
  });

  it('keeps seqs from a takeover above those a cut-off authority still handed out', async () => {
    const pair = await startPair();
    const proxy = await startCuttableProxy(pair.a);
    cleanup.push(() => proxy.close());
    // Nodes that learn of changes only when a store refuses their writes (no polling):
    // x reaches store a through the proxy, y and z directly.
    const x = await pair.node({ urls: [proxy.url, pair.b.url], pollMs: 600_000 });
    const y = await pair.node({ pollMs: 600_000 });
    const z = await pair.node({ pollMs: 600_000 });
    for (let i = 1; i <= 5; i++) await y.deliver(message(`m${i}`, ['d1']));
    const ack = (node: MirroredInboxStore, uptoSeq: number) =>
      node.deliver({
        ts: Date.now(),
        expiresAt: Date.now() + DAY,
        ack: { deviceId: 'd1', uptoSeq },
      });
    expect((await z.read('d1', 0, 10, Date.now())).map((i) => i.seq)).toEqual([1, 2, 3, 4, 5]);
    await ack(z, 5);

    // x loses store a and takes over on b; y still writes to a, which takes the write
    // (its record is unchanged), before b refuses the replay and y applies it again on b.
    proxy.cut();
    const mx = await x.deliver(message('mx', ['d1']));
    expect(mx.appended[0]!.seq).toBe(SEQ_BASE_STEP + 1);
    await y.deliver(message('my', ['d1']));
    // z still reads a, where `my` sits at seq 6, and the device acknowledges it.
    const stale = await z.read('d1', 5, 10, Date.now());
    expect(stale.map((i) => [i.seq, idOf(i.payload)])).toEqual([[6, 'my']]);
    await ack(z, 6);
    // The ack reached b too (z learnt of the takeover when b refused its replay), and
    // nothing b holds was at or below seq 6: both messages are still there.
    const ids = (await z.read('d1', 6, 10, Date.now())).map((i) => idOf(i.payload));
    expect(ids).toEqual(['mx', 'my']);
    proxy.heal();
  });

  it('marks the follower for repair when a resend finds it without the original', async () => {
    const pair = await startPair();
    const node = await pair.node();
    await node.deliver(message('m0', ['d1']));
    const state = node.status().state!;
    // A node died between the two stores: the authority alone has the message.
    const client = new Redis(pair.a.url, { lazyConnect: true });
    await client.connect();
    cleanup.push(() => Promise.resolve(client.disconnect()));
    const { prepareDelivery } = await import('../redis/redis-inbox-store.js');
    await new RedisInboxStore(client, pair.prefix).apply(prepareDelivery(message('m1', ['d1'])), {
      mode: 'a',
      epoch: state.epoch,
      seqBase: state.seqBase,
    });
    const resend = await node.deliver(message('m1', ['d1']));
    expect(resend.applied).toBe(false);
    await waitFor(() => pair.events.some((e) => e.kind === 'repair-finished'), 'a repair');
    await expectSameContent(pair);
  });

  it('delivers every answered message to every device, in order, once acknowledged, while two nodes write and the stores fail in turn', async () => {
    const pair = await startPair();
    const nodes = [await pair.node(), await pair.node()];
    const devices = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];
    const sent = new Map<string, string[]>(); // message id -> devices
    let writing = true;
    const failures: unknown[] = [];

    // Two writers (one per node), each with 3 lanes of sends, each send waiting for
    // its answer (resending with the same key, as a client does) before the next.
    const lanes = nodes.flatMap((node, w) =>
      [0, 1, 2].map(async (lane) => {
        for (let n = 0; writing; n++) {
          const id = `w${w}-l${lane}-${n}`;
          const targets = devices.filter((_, i) => (i + n + lane + w) % 3 !== 0);
          for (;;) {
            try {
              await node.deliver(message(id, targets, `writer${w}`));
              sent.set(id, targets);
              break;
            } catch (error) {
              if (!(error instanceof AppError)) failures.push(error);
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          }
        }
      }),
    );

    // A reader per device, reading and acknowledging through either node in turn.
    const seen = new Map<string, Map<number, string>>(); // device -> seq -> id
    const firstSeen = new Map<string, string[]>(); // device -> ids in order of arrival
    let duplicates = 0;
    let reading = true;
    const readers = devices.map(async (deviceId, d) => {
      const bySeq = new Map<number, string>();
      const order: string[] = [];
      seen.set(deviceId, bySeq);
      firstSeen.set(deviceId, order);
      let after = 0;
      for (let turn = d; reading; turn++) {
        const node = nodes[turn % nodes.length]!;
        try {
          const items = await node.read(deviceId, after, 50, Date.now());
          for (const item of items) {
            expect(item.seq).toBeGreaterThan(after);
            const id = idOf(item.payload);
            const earlier = bySeq.get(item.seq);
            if (earlier !== undefined && earlier !== id) {
              failures.push(new Error(`${deviceId}: seq ${item.seq} was ${earlier}, now ${id}`));
            }
            bySeq.set(item.seq, id);
            if (order.includes(id)) duplicates++;
            else order.push(id);
            after = item.seq;
          }
          if (items.length > 0) {
            await node.deliver({
              ts: Date.now(),
              expiresAt: Date.now() + DAY,
              ack: { deviceId, uptoSeq: after },
            });
          } else {
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        } catch (error) {
          if (!(error instanceof AppError)) failures.push(error);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    });

    const more = async (n: number, what: string) => {
      const target = sent.size + n;
      await waitFor(() => sent.size >= target, what, 30_000);
    };
    const state = () => nodes[0]!.status().state!;
    await more(60, 'messages before any failure');
    const firstAuthority = state().authority.id;

    await pair.a.kill();
    await more(60, 'messages after the authority died');
    expect(state().authority.id).not.toBe(firstAuthority);
    expect(state().seqBase).toBe(SEQ_BASE_STEP);

    await pair.a.restart();
    await waitFor(() => state().followerStatus === 'sync', 'the first store repaired');
    await more(60, 'messages after the first repair');

    await pair.b.kill();
    await more(60, 'messages after the second store died');
    expect(state().authority.id).toBe(firstAuthority);
    expect(state().seqBase).toBe(2 * SEQ_BASE_STEP);

    await pair.b.restart();
    await waitFor(() => state().followerStatus === 'sync', 'the second store repaired');
    await more(60, 'messages after the second repair');

    writing = false;
    await Promise.all(lanes);
    const expected = new Map<string, Set<string>>(devices.map((d) => [d, new Set()]));
    for (const [id, targets] of sent) for (const d of targets) expected.get(d)!.add(id);
    await waitFor(
      () =>
        devices.every((d) => [...expected.get(d)!].every((id) => firstSeen.get(d)!.includes(id))),
      'every answered message read by each of its devices',
      30_000,
    );
    reading = false;
    await Promise.all(readers);

    expect(failures).toEqual([]);
    for (const d of devices) {
      const order = firstSeen.get(d)!;
      // Every message answered `sent` reached the device (extra ones are messages whose
      // answer was lost with a store: they were sent again and stored once more).
      for (const id of expected.get(d)!) expect(order).toContain(id);
      // In order: within a lane, message n+1 was sent after n was answered.
      const lanesOf = new Map<string, number>();
      for (const id of order) {
        const [w, l, n] = id.split('-');
        const lane = `${w}-${l}`;
        expect(Number(n)).toBeGreaterThan(lanesOf.get(lane) ?? -1);
        lanesOf.set(lane, Number(n));
      }
    }
    // Once acknowledged, nothing is left to read. A store that was just repaired may
    // answer SERVICE_UNAVAILABLE while the authority is slow: read again, as clients do.
    const readOnce = async (d: string, after: number) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await nodes[0]!.read(d, after, 10, Date.now());
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'SERVICE_UNAVAILABLE' || attempt >= 50)
            throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    for (const d of devices) {
      const after = Math.max(...seen.get(d)!.keys());
      expect(await readOnce(d, after)).toEqual([]);
    }
    await expectSameContent(pair);
    console.info(
      `two writers: ${sent.size} messages answered, ${duplicates} delivered twice (sent again after a store failed), transitions: ${pair.events.filter((e) => e.kind === 'transition').length}`,
    );
  }, 180_000);
});
