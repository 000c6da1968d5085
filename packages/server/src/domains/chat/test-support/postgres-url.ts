import { randomBytes } from 'node:crypto';
import { TEST_SERVICES } from '../../../test-support/services.js';

/** An empty PostgreSQL database for a whole test server, dropped by `drop`. */
export interface PostgresDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** Creates an empty database with a random name on this machine's PostgreSQL. */
export async function createPostgresDatabase(): Promise<PostgresDatabase> {
  const { default: pg } = await import('pg');
  const name = `sb_chat_${randomBytes(6).toString('hex')}`;
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: TEST_SERVICES.postgres });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_SERVICES.postgres);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
