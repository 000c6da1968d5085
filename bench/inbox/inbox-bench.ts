import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { MirroredInboxStore } from '../../packages/server/src/adapters/mirrored/mirrored-inbox-store.js';
import {
  startDurableRedis,
  type DurableRedis,
} from '../../packages/server/src/adapters/mirrored/test-support/private-redis.js';
import { RedisInboxStore } from '../../packages/server/src/adapters/redis/redis-inbox-store.js';
import { SqliteInboxStore } from '../../packages/server/src/adapters/sqlite/sqlite-inbox-store.js';
import { openDatabase } from '../../packages/server/src/db/database.js';
import type { Delivery, InboxStore } from '../../packages/server/src/domains/chat/inbox-store.js';
import { createLogger } from '../../packages/server/src/logger.js';
import { LatencyRecorder } from '../lib/latency.js';
import { renderTable } from '../lib/markdown.js';

/**
 * The cost of mirroring the chat inbox: messages per second and `deliver` latency of
 * the SQLite store (the embedded default), one Redis store, and the mirrored pair of
 * two Redis stores, each Redis a private `redis-server` with AOF. Prints a table;
 * writes nothing to docs/benchmarks.md.
 *
 *   node --conditions=@switchboard/source --import tsx bench/inbox/inbox-bench.ts \
 *     [--seconds 5] [--concurrency 1,32] [--fsync everysec|always] [--devices 2000]
 *
 * Each delivery is what a 1:1 send writes: an idempotency key, one ~200-byte envelope
 * to three devices (the recipient's two and the sender's other one), and the receipt
 * state of the recipient. Workers each keep one delivery in flight (a closed loop).
 * The CPU columns are the CPU time per message of this process (the server's side of
 * the store) and of the Redis servers: the figures a busy machine disturbs least.
 */

const USAGE = `usage: inbox-bench.ts [--seconds <s>] [--concurrency <n,n>] [--fsync everysec|always] [--devices <n>]`;

const DAY = 86_400_000;
const logger = createLogger('silent');

interface Target {
  readonly name: string;
  readonly store: InboxStore;
  /** The pids of the servers the store runs on (none for SQLite, which is in-process). */
  readonly pids: () => number[];
  close(): Promise<void>;
}

const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used (user + system), from /proc. */
function processCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds used by this process, and by the store's servers. */
function cpuSeconds(target: Target): { own: number; servers: number } {
  const own = process.cpuUsage();
  return {
    own: (own.user + own.system) / 1e6,
    servers: target.pids().reduce((t, pid) => t + processCpuSeconds(pid), 0),
  };
}

async function sqliteTarget(): Promise<Target> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-inbox-bench-'));
  const handle = await openDatabase(
    { kind: 'sqlite', file: path.join(dir, 'bench.db'), synchronous: 'NORMAL' },
    logger,
  );
  const store = new SqliteInboxStore(handle.sqlite!);
  return {
    name: 'SQLite (WAL, synchronous=NORMAL)',
    store,
    pids: () => [],
    async close() {
      await store.close();
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function connect(server: DurableRedis): Promise<Redis> {
  const client = new Redis(server.url, { lazyConnect: true, enableAutoPipelining: true });
  await client.connect();
  return client;
}

async function redisTarget(fsync: 'everysec' | 'always'): Promise<Target> {
  const server = await startDurableRedis(fsync);
  const client = await connect(server);
  return {
    name: `one Redis (AOF, appendfsync ${fsync})`,
    store: new RedisInboxStore(client, 'bench:'),
    pids: () => [server.pid()!],
    async close() {
      client.disconnect();
      await server.close();
    },
  };
}

async function mirroredTarget(fsync: 'everysec' | 'always'): Promise<Target> {
  const servers = await Promise.all([startDurableRedis(fsync), startDurableRedis(fsync)]);
  const store = await MirroredInboxStore.connect({
    urls: [servers[0].url, servers[1].url],
    prefix: 'bench:',
    logger,
  });
  return {
    name: `mirrored pair (2 Redis, AOF, appendfsync ${fsync})`,
    store,
    pids: () => servers.map((s) => s.pid()!),
    async close() {
      await store.close();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

function delivery(devices: number): Delivery {
  const id = randomUUID();
  const pick = () => `device-${Math.floor(Math.random() * devices)}`;
  const ts = Date.now();
  const payload = JSON.stringify({
    type: 'msg',
    id,
    from: { user: 'alice', device: 'a1' },
    to: { user: 'bob' },
    ts,
    body: { text: 'x'.repeat(96) },
  });
  const message = { senderUserId: 'alice', messageId: id, groupId: null };
  return {
    key: `s:alice:${id}`,
    ts,
    expiresAt: ts + 30 * DAY,
    writes: [{ kind: 'msg', payload, deviceIds: [pick(), pick(), pick()], message }],
    expectReceipts: { message, recipientUserIds: ['bob'] },
  };
}

/** Runs `concurrency` closed-loop workers for `seconds`; answers messages/s and latencies. */
async function measure(target: Target, concurrency: number, seconds: number, devices: number) {
  const store = target.store;
  const run = async (ms: number, latencies: LatencyRecorder | null) => {
    const end = performance.now() + ms;
    let done = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const started = performance.now();
          await store.deliver(delivery(devices));
          latencies?.record(performance.now() - started);
          done++;
        }
      }),
    );
    return done;
  };
  await run(1_000, null);
  const latencies = new LatencyRecorder();
  const started = performance.now();
  const cpuBefore = cpuSeconds(target);
  const done = await run(seconds * 1_000, latencies);
  const cpuAfter = cpuSeconds(target);
  const elapsed = (performance.now() - started) / 1_000;
  return {
    rate: done / elapsed,
    latency: latencies.summary(),
    ownMicros: ((cpuAfter.own - cpuBefore.own) / done) * 1e6,
    serverMicros: ((cpuAfter.servers - cpuBefore.servers) / done) * 1e6,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '1,32' },
      fsync: { type: 'string', default: 'everysec' },
      devices: { type: 'string', default: '2000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seconds = Number(values.seconds);
  const devices = Number(values.devices);
  const levels = values.concurrency.split(',').map(Number);
  const fsync = values.fsync === 'always' ? 'always' : 'everysec';
  if (!(seconds > 0) || !(devices > 0) || levels.some((n) => !(n > 0))) {
    console.error(USAGE);
    process.exitCode = 1;
    return;
  }
  const rows: string[][] = [];
  const load = os.loadavg()[0]!.toFixed(2);
  for (const open of [sqliteTarget, () => redisTarget(fsync), () => mirroredTarget(fsync)]) {
    const target = await open();
    try {
      for (const concurrency of levels) {
        const { rate, latency, ownMicros, serverMicros } = await measure(
          target,
          concurrency,
          seconds,
          devices,
        );
        rows.push([
          target.name,
          String(concurrency),
          Math.round(rate).toLocaleString('en-US'),
          latency.p50.toFixed(3),
          latency.p99.toFixed(3),
          latency.p999.toFixed(3),
          Math.round(ownMicros).toString(),
          target.pids().length === 0 ? '-' : Math.round(serverMicros).toString(),
        ]);
        console.error(`${target.name}, ${concurrency} in flight: ${Math.round(rate)}/s`);
      }
    } finally {
      await target.close();
    }
  }
  console.log(
    `\nInbox deliver, ${seconds} s per row after 1 s of warm-up, ${os.cpus().length} cores, load ${load} at start, Node ${process.version}\n`,
  );
  console.log(
    renderTable(
      [
        { header: 'store' },
        { header: 'in flight', align: 'right' },
        { header: 'messages/s', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'p99.9 ms', align: 'right' },
        { header: 'node CPU µs/msg', align: 'right' },
        { header: 'Redis CPU µs/msg', align: 'right' },
      ],
      rows,
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
