import { describe } from 'vitest';
import { runContactStoreContract } from '../../domains/chat/contact-store.contract.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyContactStore } from './kysely-contact-store.js';

function fixture(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    return { store: new KyselyContactStore(database.handle.db), dispose: () => database.dispose() };
  };
}

describe(`${KyselyContactStore.name} on SQLite`, () => {
  runContactStoreContract(fixture(createSqliteTestDatabase));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyContactStore.name} on PostgreSQL`,
  () => {
    runContactStoreContract(fixture(createPostgresTestDatabase));
  },
);
