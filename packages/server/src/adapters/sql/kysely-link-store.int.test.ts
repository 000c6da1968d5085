import { describe } from 'vitest';
import { runLinkStoreContract } from '../../domains/links/link-store.contract.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyLinkStore } from './kysely-link-store.js';

function fixture(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    return { links: new KyselyLinkStore(database.handle), dispose: () => database.dispose() };
  };
}

describe(KyselyLinkStore.name, () => {
  runLinkStoreContract('SQLite', fixture(createSqliteTestDatabase), true);
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyLinkStore.name} on PostgreSQL`,
  () => {
    runLinkStoreContract('PostgreSQL', fixture(createPostgresTestDatabase), false);
  },
);
