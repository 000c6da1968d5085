/**
 * The cluster's PostgreSQL database: created when missing (the nodes migrate it at
 * start, one at a time under the migrator's lock), or dropped by the tests.
 */

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The database a URL names, checked to be a plain identifier (it is put into SQL). */
export function databaseName(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`--database-url must be postgres://..., not ${parsed.protocol}//`);
  }
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!IDENTIFIER.test(name)) {
    throw new Error(
      `database name ${JSON.stringify(name)}: use lower-case letters, digits and _ (it is created if missing)`,
    );
  }
  return name;
}

/** The same server's maintenance database, to create or drop others from. */
function maintenanceUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}

async function withAdmin<T>(
  url: string,
  run: (
    query: (sql: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>,
  ) => Promise<T>,
): Promise<T> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: maintenanceUrl(url) });
  try {
    await client.connect();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot reach PostgreSQL at ${new URL(url).host}: ${message}`, {
      cause: error,
    });
  }
  try {
    return await run((sql, values) => client.query(sql, values));
  } finally {
    await client.end();
  }
}

/** Creates the database `url` names unless it exists; answers whether it created it. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  return withAdmin(url, async (query) => {
    const { rows } = await query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length > 0) return false;
    try {
      await query(`CREATE DATABASE ${name}`);
    } catch (error) {
      // Another start created it in between: that is what we wanted.
      if ((error as { code?: string }).code !== '42P04') throw error;
      return false;
    }
    return true;
  });
}

/**
 * Drops the database `url` names, closing whatever is still connected to it (the
 * nodes are stopped first; this is for the tests' clean-up).
 */
export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  await withAdmin(url, async (query) => {
    await query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}
