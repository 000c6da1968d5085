import { describe } from 'vitest';
import { runClickJournalContract } from '../../domains/links/click-journal.contract.js';
import { runClickStoreContract } from '../../domains/links/click-store.contract.js';
import {
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  type TestDatabase,
} from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyLinkClickStore } from './kysely-link-click-store.js';
import { KyselyLinkStore } from './kysely-link-store.js';

function fixture(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    return {
      clicks: new KyselyLinkClickStore(database.handle),
      links: new KyselyLinkStore(database.handle),
      dispose: () => database.dispose(),
    };
  };
}

/** The journal is on by default on SQLite only; its contract runs on both engines. */
function journalFixture(open: () => Promise<TestDatabase>) {
  return async () => {
    const database = await open();
    const reopen = () => new KyselyLinkClickStore(database.handle, { journal: true }).journal!;
    return {
      journal: reopen(),
      clicks: new KyselyLinkClickStore(database.handle, { journal: false }),
      links: new KyselyLinkStore(database.handle),
      reopen,
      dispose: () => database.dispose(),
    };
  };
}

describe(KyselyLinkClickStore.name, () => {
  runClickStoreContract('SQLite', fixture(createSqliteTestDatabase));
  runClickJournalContract('SQLite', journalFixture(createSqliteTestDatabase));
});

describe.skipIf(!(await servicesAvailable(['postgres'])))(
  `${KyselyLinkClickStore.name} on PostgreSQL`,
  () => {
    runClickStoreContract('PostgreSQL', fixture(createPostgresTestDatabase));
    runClickJournalContract('PostgreSQL', journalFixture(createPostgresTestDatabase));
  },
);
