import { afterEach, describe, expect, it } from 'vitest';
import type { FanoutJob } from '../../domains/chat/fanout-queue.js';
import { createLogger } from '../../logger.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyFanoutOutbox } from './kysely-fanout-outbox.js';

const logger = createLogger('silent');

function job(n: number): FanoutJob {
  return {
    kind: 'event',
    id: `e:${n}`,
    groupId: 'g',
    event: 'renamed',
    by: 'alice',
    name: `name ${n}`,
    ts: n,
    alsoTo: [],
  };
}

function outboxTests(open: () => Promise<TestDatabase>) {
  let database: TestDatabase;
  const outboxes: KyselyFanoutOutbox[] = [];
  afterEach(async () => {
    for (const o of outboxes.splice(0)) await o.stop();
    await database.dispose();
  });

  async function setUp(publish: (job: FanoutJob) => Promise<void>, relayAfterMs = 0) {
    database = await open();
    const db = database.handle.db;
    const outbox = new KyselyFanoutOutbox(db, publish, logger, { relayAfterMs, leaseMs: 60_000 });
    outboxes.push(outbox);
    const rows = async () =>
      (
        await db.selectFrom('chat_fanout_outbox').select('job_id').orderBy('position').execute()
      ).map((r) => r.job_id);
    const write = (jobs: FanoutJob[]) => db.transaction().execute((trx) => outbox.write(trx, jobs));
    return { db, outbox, rows, write };
  }

  it('publishes committed jobs in order and deletes their rows', async () => {
    const published: string[] = [];
    const { outbox, rows, write } = await setUp((j) => {
      published.push(j.id);
      return Promise.resolve();
    });
    await write([job(1), job(2)]);
    expect(await rows()).toEqual(['e:1', 'e:2']);
    await outbox.committed([job(1), job(2)]);
    expect(published).toEqual(['e:1', 'e:2']);
    await outbox.stop();
    expect(await rows()).toEqual([]);
  });

  it('leaves what it could not publish to the relay, in order, and never before its delay', async () => {
    const published: string[] = [];
    let failing = true;
    const { outbox, rows, write } = await setUp((j) => {
      if (failing && j.id === 'e:2') return Promise.reject(new Error('NATS is down'));
      published.push(j.id);
      return Promise.resolve();
    }, 300);
    await write([job(1), job(2), job(3)]);
    await outbox.committed([job(1), job(2), job(3)]);
    // e:3 waits behind e:2, so that the group's events keep their order.
    expect(published).toEqual(['e:1']);
    await outbox.stop();
    expect(await rows()).toEqual(['e:2', 'e:3']);
    expect(await outbox.relay()).toBe(0); // too young: its node may be publishing it
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await outbox.relay()).toBe(0); // still failing: the rows are released, not lost
    failing = false;
    expect(await outbox.relay()).toBe(2);
    expect(published).toEqual(['e:1', 'e:2', 'e:3']);
    expect(await rows()).toEqual([]);
  });

  it('lets one relay of two take each row', async () => {
    const published: string[] = [];
    const publish = async (j: FanoutJob) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      published.push(j.id);
    };
    const { db, rows, write } = await setUp(publish);
    await write(Array.from({ length: 20 }, (_, i) => job(i)));
    const other = new KyselyFanoutOutbox(db, publish, logger, { relayAfterMs: 0, leaseMs: 60_000 });
    outboxes.push(other);
    const [a, b] = await Promise.all([outboxes[0]!.relay(), other.relay()]);
    expect(a + b).toBe(20);
    expect(published.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `e:${i}`).sort());
    expect(await rows()).toEqual([]);
  });
}

describe(`${KyselyFanoutOutbox.name} on SQLite`, () => {
  outboxTests(createSqliteTestDatabase);
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyFanoutOutbox.name} on PostgreSQL`,
  () => {
    outboxTests(createPostgresTestDatabase);
  },
);
