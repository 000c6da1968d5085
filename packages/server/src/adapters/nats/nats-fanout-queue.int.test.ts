import { afterEach, describe, expect, it } from 'vitest';
import type { NatsLocation } from '../../config.js';
import { runFanoutQueueContract } from '../../domains/chat/fanout-queue.contract.js';
import type { FanoutJob } from '../../domains/chat/fanout-queue.js';
import { crashingAfterCommit, groupWorld } from '../../domains/chat/test-support/group-world.js';
import { createLogger } from '../../logger.js';
import { createPostgresTestDatabase } from '../../test-support/databases.js';
import { deleteNatsStreams, uniqueClusterName, waitFor } from '../../test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { KyselyFanoutOutbox } from '../sql/kysely-fanout-outbox.js';
import { closeNats, openNats } from './nats-connection.js';
import { NatsFanoutQueue, partitionOf, type NatsFanoutQueueOptions } from './nats-fanout-queue.js';

const logger = createLogger('silent');
const location: NatsLocation = {
  servers: [TEST_SERVICES.nats],
  user: undefined,
  pass: undefined,
  token: undefined,
};

function job(n: number): FanoutJob {
  return {
    kind: 'message',
    id: `f:u:${n}`,
    groupId: 'g',
    from: { user: 'u', device: 'd' },
    messageId: `m${n}`,
    ts: n,
    body: '"hi"',
  };
}

/** A stream of its own; short leases so that a dead worker's job moves within the test. */
async function fixture(overrides: Partial<NatsFanoutQueueOptions> = {}) {
  const prefix = uniqueClusterName();
  const options: NatsFanoutQueueOptions = {
    prefix,
    logger,
    leaseMs: 600,
    maxLeaseMs: 600,
    retryDelayMs: 5,
    ...overrides,
  };
  const nc = await openNats({ location, name: 'test', logger });
  await NatsFanoutQueue.prepare(nc, options);
  return {
    nc,
    options,
    open: () => new NatsFanoutQueue(nc, options),
    async dispose() {
      await closeNats(nc);
      await deleteNatsStreams(prefix);
    },
  };
}

describe.skipIf(!(await servicesAvailable(['nats'])))(NatsFanoutQueue.name, () => {
  runFanoutQueueContract(() => fixture());

  const disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const dispose of disposers.splice(0)) await dispose();
  });

  it('gives a job another node never acknowledged to a worker of another node', async () => {
    const f = await fixture();
    disposers.push(() => f.dispose());
    // Node A takes the job and its process hangs (no ack, no news after its lease).
    const nodeB = await openNats({ location, name: 'node-b', logger });
    disposers.unshift(() => closeNats(nodeB));
    const a = f.open();
    let takenByA = false;
    a.start(async () => {
      takenByA = true;
      await new Promise(() => undefined);
    });
    await a.enqueue(job(1));
    await waitFor(() => takenByA, 'A took the job');
    const b = new NatsFanoutQueue(nodeB, f.options);
    const seen: Array<{ job: FanoutJob; at: number }> = [];
    const startedAt = Date.now();
    b.start((j) => {
      seen.push({ job: j, at: Date.now() });
      return Promise.resolve();
    });
    await waitFor(() => seen.length === 1, 'B ran the job', 5_000);
    expect(seen[0]!.job).toEqual(job(1));
    expect(seen[0]!.at - startedAt).toBeGreaterThanOrEqual(100);
    await b.drained();
    await b.stop();
  });

  it("keeps each group's jobs in order with workers on several nodes, and runs groups side by side", async () => {
    const f = await fixture();
    disposers.push(() => f.dispose());
    const nodeB = await openNats({ location, name: 'node-b', logger });
    disposers.unshift(() => closeNats(nodeB));
    const groups = ['g-alpha', 'g-beta', 'g-gamma', 'g-delta'];
    expect(new Set(groups.map(partitionOf)).size).toBeGreaterThan(1);
    const handled = new Map<string, number[]>();
    let running = 0;
    let mostAtOnce = 0;
    const handler = async (j: FanoutJob) => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      // Uneven work, so that a worker on one node would overtake the other's.
      await new Promise((resolve) => setTimeout(resolve, (j.ts * 7) % 11));
      handled.set(j.groupId, [...(handled.get(j.groupId) ?? []), j.ts]);
      running--;
    };
    const onA = f.open();
    const onB = new NatsFanoutQueue(nodeB, f.options);
    // A backlog first, so that both nodes' workers find several jobs of a group waiting.
    for (let n = 0; n < 40; n++) {
      await onA.enqueue({ ...job(n), id: `j${n}`, groupId: groups[n % groups.length]! });
    }
    onA.start(handler);
    onB.start(handler);
    await waitFor(() => [...handled.values()].flat().length === 40, 'every job handled');
    await onA.drained();
    await onA.stop();
    await onB.stop();
    for (const [index, group] of groups.entries()) {
      const expected = Array.from({ length: 10 }, (_, i) => i * groups.length + index);
      expect(handled.get(group)).toEqual(expected);
    }
    expect(mostAtOnce).toBeGreaterThan(1);
  });

  it('keeps a slow job with its worker while the worker says it is working', async () => {
    const f = await fixture({ leaseMs: 300, maxLeaseMs: 60_000 });
    disposers.push(() => f.dispose());
    const runs: string[] = [];
    const slow = f.open();
    slow.start(async (j) => {
      runs.push(`slow:${j.id}`);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
    });
    const other = f.open();
    other.start((j) => {
      runs.push(`other:${j.id}`);
      return Promise.resolve();
    });
    await slow.enqueue(job(1));
    await waitFor(() => runs.length >= 1, 'taken');
    await slow.drained();
    await slow.stop();
    await other.stop();
    // Four leases long, and never handed to the other worker.
    expect(runs).toEqual([runs[0]]);
  });

  it('tries a failed job again later, with growing delays', async () => {
    const f = await fixture({ retryDelayMs: 100 });
    disposers.push(() => f.dispose());
    const times: number[] = [];
    const queue = f.open();
    queue.start(() => {
      times.push(Date.now());
      return times.length < 3 ? Promise.reject(new Error('no')) : Promise.resolve();
    });
    await queue.enqueue(job(1));
    await waitFor(() => times.length === 3, 'three attempts');
    await queue.drained();
    await queue.stop();
    const [t1, t2, t3] = times as [number, number, number];
    expect(t2 - t1).toBeGreaterThanOrEqual(90);
    expect(t3 - t2).toBeGreaterThanOrEqual(190);
  });

  it('refuses to enqueue with SERVICE_UNAVAILABLE when the stream is gone', async () => {
    const f = await fixture();
    await deleteNatsStreams(f.options.prefix);
    const queue = f.open();
    await expect(queue.enqueue(job(1))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await f.dispose();
  });
});

describe.skipIf(!(await servicesAvailable(['nats', 'postgres'])))(
  'a group change on PostgreSQL whose node dies between the commit and the publish',
  () => {
    it('is relayed from the outbox to JetStream and reaches the members', async () => {
      const f = await fixture();
      const database = await createPostgresTestDatabase();
      const db = database.handle.db;
      const stops: Array<() => Promise<void>> = [];
      try {
        // The first node writes the outbox row with the change, then "dies": no publish.
        const dead = new KyselyFanoutOutbox(db, () => Promise.reject(new Error('dead')), logger);
        const dying = groupWorld(db, crashingAfterCommit(dead));
        void dying.groups.create('alice', { name: 'Team', members: ['bob', 'carol'] });
        const outboxRows = () => db.selectFrom('chat_fanout_outbox').select('job_id').execute();
        await waitFor(async () => (await outboxRows()).length === 1, 'the outbox row');

        // Another node: its fan-out worker and its relay.
        const queue = f.open();
        const world = groupWorld(db, dead);
        queue.start(world.handler(queue));
        stops.push(() => queue.stop());
        const relay = new KyselyFanoutOutbox(db, (job) => queue.enqueue(job), logger, {
          relayAfterMs: 200,
          pollMs: 50,
        });
        relay.start();
        stops.unshift(() => relay.stop());
        for (const device of ['alice-1', 'bob-1', 'bob-2', 'carol-1']) {
          await waitFor(
            async () => (await world.groupEvents(device)).length > 0,
            `the event in ${device}'s inbox`,
          );
          expect(await world.groupEvents(device)).toEqual([['created', null]]);
        }
        await waitFor(async () => (await outboxRows()).length === 0, 'the outbox emptied');
      } finally {
        for (const stop of stops) await stop();
        await database.dispose();
        await f.dispose();
      }
    });
  },
);
