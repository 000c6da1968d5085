import { describe } from 'vitest';
import { runFanoutQueueContract } from '../../domains/chat/fanout-queue.contract.js';
import { createLogger } from '../../logger.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
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
