import { Kysely, PostgresDialect } from 'kysely';
import type { DatabaseHandle } from '../../db/database.js';
import type { Database } from '../../db/schema.js';

/** Connections per node when `DATABASE_POOL_SIZE` is unset. */
export const DEFAULT_POOL_SIZE = 20;

/** Opens a PostgreSQL pool; `pg` is loaded only here, so the embedded mode never loads it. */
export async function openPostgres(
  url: string,
  poolSize: number = DEFAULT_POOL_SIZE,
): Promise<DatabaseHandle> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // BIGINT (int8) and NUMERIC come back as strings by default; every such column here
  // holds a count or a time in ms, well inside 2^53.
  pool.on('connect', (client) => {
    client.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    sqlite: null,
    async close() {
      await db.destroy();
    },
  };
}
