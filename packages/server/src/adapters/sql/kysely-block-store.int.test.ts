import { describe } from 'vitest';
import { runBlockStoreContract } from '../../domains/chat/block-store.contract.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyBlockStore } from './kysely-block-store.js';

function fixture(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    return { store: new KyselyBlockStore(database.handle.db), dispose: () => database.dispose() };
  };
}

describe(`${KyselyBlockStore.name} on SQLite`, () => {
  runBlockStoreContract(fixture(createSqliteTestDatabase));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyBlockStore.name} on PostgreSQL`,
  () => {
    runBlockStoreContract(fixture(createPostgresTestDatabase));
  },
);
