import { describe, expect, it } from 'vitest';
import { runFanoutQueueContract } from '../../domains/chat/fanout-queue.contract.js';
import { crashingAfterCommit, groupWorld } from '../../domains/chat/test-support/group-world.js';
import { createLogger } from '../../logger.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { waitFor } from '../../test-support/scale-out.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyFanoutQueue } from './kysely-fanout-queue.js';

const logger = createLogger('silent');

function fixture(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    return {
      open: () =>
        new KyselyFanoutQueue(database.handle.db, logger, { pollMs: 20, retryDelayMs: 5 }),
      dispose: () => database.dispose(),
    };
  };
}

describe(`${KyselyFanoutQueue.name} on SQLite`, () => {
  runFanoutQueueContract(fixture(createSqliteTestDatabase));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyFanoutQueue.name} on PostgreSQL`,
  () => {
    runFanoutQueueContract(fixture(createPostgresTestDatabase));
  },
);

/**
 * The embedded mode's promise for group changes: the event job commits with the
 * change, so a process that dies right after the commit (before its worker was woken,
 * or with no worker running) loses nothing: the next process on the database tells
 * the members.
 */
function crashBetweenCommitAndKick(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    const db = database.handle.db;
    try {
      // The first process: its worker is not running, and it "dies" after each commit.
      const first = new KyselyFanoutQueue(db, logger, { pollMs: 20 });
      const dying = groupWorld(db, crashingAfterCommit(first));
      const jobCount = async () =>
        Number(
          (
            await db
              .selectFrom('chat_fanout_jobs')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      void dying.groups.create('alice', { name: 'Team', members: ['bob'] });
      await waitFor(async () => (await jobCount()) === 1, 'the group created');
      const { group_id: groupId } = await db
        .selectFrom('chat_groups')
        .select('group_id')
        .executeTakeFirstOrThrow();
      // The last admin leaves: the removal and bob's promotion commit together.
      void dying.groups.removeMember('alice', groupId, 'alice');
      await waitFor(async () => (await jobCount()) === 3, 'alice gone');
      expect(await dying.groupStore.roleOf(groupId, 'bob')).toBe('admin');

      // The next process on the same database.
      const next = new KyselyFanoutQueue(db, logger, { pollMs: 20 });
      const world = groupWorld(db, next);
      next.start(world.handler(next));
      try {
        await next.drained();
        for (const device of ['bob-1', 'bob-2']) {
          expect(await world.groupEvents(device)).toEqual([
            ['created', null],
            ['member-left', 'alice'],
            ['role-changed', 'bob'],
          ]);
        }
        // The fan-out goes to the members at the time it runs: alice had left by then.
        expect(await world.groupEvents('alice-1')).toEqual([['member-left', 'alice']]);
        expect(await jobCount()).toBe(0);
      } finally {
        await next.stop();
      }
    } finally {
      await database.dispose();
    }
  };
}

const postgres = await servicesAvailable(['postgres']);

describe('a group change whose process dies after the commit', () => {
  it(
    'is told to the members by the next process (SQLite)',
    crashBetweenCommitAndKick(createSqliteTestDatabase),
  );
  it.skipIf(!postgres)(
    'is told to the members by the next process (PostgreSQL without NATS)',
    crashBetweenCommitAndKick(createPostgresTestDatabase),
  );
});
