import { runContactStoreContract } from '../../domains/chat/contact-store.contract.js';
import { describeOnEachDatabase } from '../../test-support/databases.js';
import { KyselyContactStore } from './kysely-contact-store.js';

await describeOnEachDatabase(
  KyselyContactStore.name,
  (db) => new KyselyContactStore(db),
  runContactStoreContract,
);
