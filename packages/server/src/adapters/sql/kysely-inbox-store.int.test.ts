import { runInboxStoreContract } from '../../domains/chat/inbox-store.contract.js';
import { describeOnEachDatabase } from '../../test-support/databases.js';
import { KyselyInboxStore } from './kysely-inbox-store.js';

await describeOnEachDatabase(
  KyselyInboxStore.name,
  (db) => new KyselyInboxStore(db),
  runInboxStoreContract,
);
