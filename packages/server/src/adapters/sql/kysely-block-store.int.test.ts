import { runBlockStoreContract } from '../../domains/chat/block-store.contract.js';
import { describeOnEachDatabase } from '../../test-support/databases.js';
import { KyselyBlockStore } from './kysely-block-store.js';

await describeOnEachDatabase(
  KyselyBlockStore.name,
  (db) => new KyselyBlockStore(db),
  runBlockStoreContract,
);
