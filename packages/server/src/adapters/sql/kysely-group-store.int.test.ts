import type { Kysely } from 'kysely';
import { describe } from 'vitest';
import type { Database } from '../../db/schema.js';
import type { FanoutJob, GroupEventJob } from '../../domains/chat/fanout-queue.js';
import {
  runGroupStoreContract,
  type GroupStoreFixture,
} from '../../domains/chat/group-store.contract.js';
import { createLogger } from '../../logger.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import type { FanoutJobWriter } from './fanout-job-writer.js';
import { KyselyFanoutOutbox } from './kysely-fanout-outbox.js';
import { KyselyFanoutQueue } from './kysely-fanout-queue.js';
import { KyselyGroupStore } from './kysely-group-store.js';

const logger = createLogger('silent');

/**
 * A writer that, when told to, fails after writing: the job row is in the
 * transaction, and must go with the change when it rolls back.
 */
function failable(writer: FanoutJobWriter) {
  let failNext = false;
  const wrapped: FanoutJobWriter = {
    async write(trx, jobs) {
      await writer.write(trx, jobs);
      if (failNext) {
        failNext = false;
        throw new Error('the job writer failed');
      }
    },
    committed: (jobs) => writer.committed(jobs),
  };
  return { writer: wrapped, failNextWrite: () => (failNext = true) };
}

function events(jobs: FanoutJob[]): GroupEventJob[] {
  return jobs.filter((j): j is GroupEventJob => j.kind === 'event');
}

/** Embedded: the jobs go to the queue's table (its worker not started, so they stay). */
function withQueue(open: () => Promise<TestDatabase>) {
  return async (): Promise<GroupStoreFixture> => {
    const database = await open();
    const db: Kysely<Database> = database.handle.db;
    const { writer, failNextWrite } = failable(new KyselyFanoutQueue(db, logger));
    return {
      store: new KyselyGroupStore(db, writer),
      async jobs() {
        const rows = await db
          .selectFrom('chat_fanout_jobs')
          .select('payload')
          .orderBy('position')
          .execute();
        return events(rows.map((r) => JSON.parse(r.payload) as FanoutJob));
      },
      failNextWrite,
      dispose: () => database.dispose(),
    };
  };
}

/** Scale-out: the jobs go to the outbox and are "published" (recorded) after the commit. */
function withOutbox(open: () => Promise<TestDatabase>) {
  return async (): Promise<GroupStoreFixture> => {
    const database = await open();
    const db: Kysely<Database> = database.handle.db;
    const published: FanoutJob[] = [];
    const outbox = new KyselyFanoutOutbox(
      db,
      (job) => {
        published.push(job);
        return Promise.resolve();
      },
      logger,
    );
    const { writer, failNextWrite } = failable(outbox);
    return {
      store: new KyselyGroupStore(db, writer),
      async jobs() {
        // Published ones are deleted from the outbox, soon after the change returns.
        await outbox.stop();
        const left = await db.selectFrom('chat_fanout_outbox').select('job_id').execute();
        if (left.length > 0) throw new Error(`outbox rows left: ${left.length}`);
        return events(published);
      },
      failNextWrite,
      async dispose() {
        await outbox.stop();
        await database.dispose();
      },
    };
  };
}

describe(`${KyselyGroupStore.name} on SQLite`, () => {
  runGroupStoreContract(withQueue(createSqliteTestDatabase));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyGroupStore.name} on PostgreSQL`,
  () => {
    runGroupStoreContract(withQueue(createPostgresTestDatabase));
  },
);

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyGroupStore.name} on PostgreSQL with the fan-out outbox`,
  () => {
    runGroupStoreContract(withOutbox(createPostgresTestDatabase));
  },
);
