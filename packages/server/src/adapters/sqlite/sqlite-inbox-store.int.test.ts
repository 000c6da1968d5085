import { describe } from 'vitest';
import { runInboxStoreContract } from '../../domains/chat/inbox-store.contract.js';
import { createSqliteTestDatabase } from '../../test-support/databases.js';
import { SqliteInboxStore } from './sqlite-inbox-store.js';

describe(SqliteInboxStore.name, () => {
  runInboxStoreContract(async () => {
    const database = await createSqliteTestDatabase();
    const store = new SqliteInboxStore(database.handle.sqlite!);
    return {
      store,
      async dispose() {
        await store.close();
        await database.dispose();
      },
    };
  });
});
