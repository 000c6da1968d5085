import { describe } from 'vitest';
import { runGroupStoreContract } from '../../domains/chat/group-store.contract.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyGroupStore } from './kysely-group-store.js';

function fixture(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    return { store: new KyselyGroupStore(database.handle.db), dispose: () => database.dispose() };
  };
}

describe(`${KyselyGroupStore.name} on SQLite`, () => {
  runGroupStoreContract(fixture(createSqliteTestDatabase));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyGroupStore.name} on PostgreSQL`,
  () => {
    runGroupStoreContract(fixture(createPostgresTestDatabase));
  },
);
