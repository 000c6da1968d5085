import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { createLogger } from '../logger.js';
import { describe } from 'vitest';
import { servicesAvailable, TEST_SERVICES } from './services.js';

const silent = createLogger('silent');

/** A migrated database for one test, removed by `dispose`. */
export interface TestDatabase {
  readonly handle: DatabaseHandle;
  dispose(): Promise<void>;
}

/** A fresh SQLite file in a temporary directory, with every migration applied. */
export async function createSqliteTestDatabase(): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-db-'));
  const handle = await openDatabase(
    { kind: 'sqlite', file: path.join(dir, 'test.db'), synchronous: 'NORMAL' },
    silent,
  );
  return {
    handle,
    async dispose() {
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh PostgreSQL database with a random name on this machine's server, with every
 * migration applied; dropped by `dispose`, so that runs never see each other's data.
 */
export async function createPostgresTestDatabase(): Promise<TestDatabase> {
  const { default: pg } = await import('pg');
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_SERVICES.postgres });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_SERVICES.postgres);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ kind: 'postgres', url: url.toString() }, silent);
  return {
    handle,
    async dispose() {
      await handle.close();
      const dropper = new pg.Client({ connectionString: TEST_SERVICES.postgres });
      await dropper.connect();
      try {
        // pg-pool's end() does not wait for its clients' sockets to close: dropping with
        // FORCE while they close makes them emit an uncaught FATAL, so wait for them.
        for (let i = 0; i < 100; i++) {
          const { rows } = await dropper.query<{ n: string }>(
            'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
            [name],
          );
          if (Number(rows[0]?.n ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/**
 * Runs a store's conformance suite on a fresh SQLite database and, where PostgreSQL
 * answers (always in CI), on a fresh PostgreSQL one; `build` makes the store on each.
 */
export async function describeOnEachDatabase<Store>(
  name: string,
  build: (db: DatabaseHandle['db']) => Store,
  contract: (create: () => Promise<{ store: Store; dispose(): Promise<void> }>) => void,
): Promise<void> {
  const fixture = (open: () => Promise<TestDatabase>) => async () => {
    const database = await open();
    return { store: build(database.handle.db), dispose: () => database.dispose() };
  };
  describe(`${name} on SQLite`, () => contract(fixture(createSqliteTestDatabase)));
  describe.skipIf(!(await servicesAvailable(['postgres'])))(`${name} on PostgreSQL`, () =>
    contract(fixture(createPostgresTestDatabase)),
  );
}
