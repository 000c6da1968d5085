import { describe } from 'vitest';
import { runLinkIdAllocatorContract } from '../../domains/links/link-id-allocator.contract.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyLinkIdAllocator } from './kysely-link-id-allocator.js';

function fixture(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    return {
      allocator: new KyselyLinkIdAllocator(database.handle.db),
      otherNode: new KyselyLinkIdAllocator(database.handle.db),
      dispose: () => database.dispose(),
    };
  };
}

describe(KyselyLinkIdAllocator.name, () => {
  runLinkIdAllocatorContract('SQLite', fixture(createSqliteTestDatabase));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyLinkIdAllocator.name} on PostgreSQL`,
  () => {
    runLinkIdAllocatorContract('PostgreSQL', fixture(createPostgresTestDatabase));
  },
);
