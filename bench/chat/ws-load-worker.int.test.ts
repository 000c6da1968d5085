import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeEncoded } from '../lib/latency.js';
import { settledMemory } from '../lib/memory.js';
import {
  ROOT,
  TS_NODE_ARGS,
  startService,
  waitFor,
  type ServiceProcess,
} from '../lib/processes.js';
import { seedRelay, type Population } from './chat-seed.js';
import type { DeviceSpec, EventMessage } from './load-protocol.js';
import { LoadWorker, startLoadWorkers, stopLoadWorkers } from './load-pool.js';

// The load generator and the relay baseline together: what the chat benchmark relies on.
describe(LoadWorker.name, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-relay-test-'));
  const seedFile = path.join(dir, 'seed.json');
  const groupId = randomUUID();
  let population: Population;
  let relay: ServiceProcess;
  let workers: LoadWorker[];
  let url: string;

  beforeAll(async () => {
    population = seedRelay({ direct: 20, group: 12, fillSenders: 2, idle: 200 }, seedFile, groupId);
    relay = await startService({
      name: 'relay',
      script: path.join(ROOT, 'bench/baselines/ws-relay-server.ts'),
      nodeArgs: TS_NODE_ARGS,
      inspect: true,
      env: { HOST: '127.0.0.1', RELAY_SEED: seedFile },
    });
    url = `ws://127.0.0.1:${relay.port}/ws`;
    workers = startLoadWorkers(2);
  });
  afterAll(async () => {
    await stopLoadWorkers(workers);
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const spec = (i: number, users = population.direct): DeviceSpec => ({
    userId: users[i]!.userId,
    token: users[i]!.token,
    peer: users[i % 2 === 0 ? i + 1 : i - 1]!.userId,
  });

  it('delivers every 1:1 message exactly once and in order at an offered rate', async () => {
    const devices = Array.from({ length: 20 }, (_, i) => spec(i));
    const connected = await workers[0]!.call('connect', {
      url,
      devices,
      concurrency: 8,
      timeoutMs: 10_000,
    });
    expect(connected).toMatchObject({ connected: 20, failed: 0 });
    const result = await workers[0]!.call('direct', {
      rate: 400,
      warmupMs: 200,
      durationMs: 1000,
      drainMs: 5000,
    });
    expect(result.sent).toBeGreaterThanOrEqual(470);
    expect(result.delivered).toBe(result.sent);
    expect(result.sentAcks).toBe(result.sent);
    expect(result.duplicates).toBe(0);
    expect(result.reordered).toBe(0);
    // The window counts what arrived within it: about 400, not the warm-up's as well.
    expect(result.deliveredInWindow).toBeGreaterThan(250);
    expect(result.deliveredInWindow).toBeLessThan(470);
    const latency = mergeEncoded([result.latency]).summary();
    expect(latency.count).toBe(result.sentInWindow);
    expect(latency.p99).toBeGreaterThan(0);
    expect(result.errors).toEqual({});
    await workers[0]!.call('closeAll', {});
  });

  it('refuses a device the server does not know, and says how it was closed', async () => {
    const bad = { userId: randomUUID(), token: 'not-a-token' };
    const result = await workers[1]!.call('connect', {
      url,
      devices: [bad],
      concurrency: 1,
      timeoutMs: 5000,
    });
    expect(result).toMatchObject({ connected: 0, failed: 1 });
    expect(result.failures[0]).toMatch(/closed with 4003/);
    const stats = await workers[1]!.call('stats', {});
    expect(stats.closes['4003']).toBe(1);
  });

  it('reports when every local member of a group has each message', async () => {
    const members = population.group;
    const sender = members[0]!;
    const split = [members.slice(0, 6), members.slice(6)];
    await Promise.all(
      workers.map((worker, i) =>
        worker.call('connect', {
          url,
          devices: split[i]!.map((u) => ({ userId: u.userId, token: u.token })),
          concurrency: 4,
          timeoutMs: 10_000,
        }),
      ),
    );
    const expecting = await Promise.all(
      workers.map((w) =>
        w.call('groupExpect', { group: groupId, count: 3, sender: sender.userId }),
      ),
    );
    expect(expecting.map((e) => e.members)).toEqual([5, 6]);
    const events: EventMessage[] = [];
    const stops = workers.map((w) => w.onEvent((e) => events.push(e)));
    const { sentAt } = await workers[0]!.call('groupSend', {
      from: sender.userId,
      group: groupId,
      first: 0,
      count: 3,
    });
    await waitFor(() => events.length === 6, 'every worker to report every message');
    stops.forEach((stop) => stop());
    expect(events.map((e) => e.index).sort()).toEqual([0, 0, 1, 1, 2, 2]);
    for (const event of events) expect(event.lastAt).toBeGreaterThan(sentAt);
    await Promise.all(workers.map((w) => w.call('closeAll', {})));
  });

  it('measures the memory idle connections take in the server process', async () => {
    const before = await settledMemory(relay);
    await Promise.all(
      workers.map((worker, i) =>
        worker.call('connect', {
          url,
          devices: population.idle
            .slice(i * 100, (i + 1) * 100)
            .map((u) => ({ userId: u.userId, token: u.token })),
          concurrency: 16,
          timeoutMs: 10_000,
        }),
      ),
    );
    const after = await settledMemory(relay);
    expect(after.heapUsedBytes).toBeGreaterThan(before.heapUsedBytes);
    expect(after.rssBytes).toBeGreaterThan(0);
    const closed = await Promise.all(workers.map((w) => w.call('closeAll', {})));
    expect(closed.map((c) => c.closed)).toEqual([100, 100]);
  });
});
