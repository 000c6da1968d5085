import { runAccountStoreContract } from '../../domains/accounts/account-store.contract.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyAccountStore } from './kysely-account-store.js';

function fixtureOn(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    return {
      store: new KyselyAccountStore(database.handle.db, database.handle.sqlite),
      dispose: () => database.dispose(),
    };
  };
}

runAccountStoreContract(
  `${KyselyAccountStore.name} on SQLite`,
  fixtureOn(createSqliteTestDatabase),
);

if (await servicesAvailable(['postgres'])) {
  runAccountStoreContract(
    `${KyselyAccountStore.name} on PostgreSQL`,
    fixtureOn(createPostgresTestDatabase),
  );
}
