import { describe } from 'vitest';
import { runInboxStoreContract } from '../../domains/chat/inbox-store.contract.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyInboxStore } from './kysely-inbox-store.js';

function fixture(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    return { store: new KyselyInboxStore(database.handle.db), dispose: () => database.dispose() };
  };
}

describe(`${KyselyInboxStore.name} on SQLite`, () => {
  runInboxStoreContract(fixture(createSqliteTestDatabase));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyInboxStore.name} on PostgreSQL`,
  () => {
    runInboxStoreContract(fixture(createPostgresTestDatabase));
  },
);
