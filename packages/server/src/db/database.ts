import fs from 'node:fs';
import path from 'node:path';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

/** Which SQL engine a handle talks to; adapters use it for the few dialect differences. */
export type Dialect = 'sqlite' | 'postgres';

/** An open database with its migrations applied. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** The raw SQLite connection, for the hot paths that use prepared statements directly. */
  readonly sqlite: BetterSqlite3.Database | null;
  /** On an SQLite file: the thread that runs its WAL checkpoints once it is busy. */
  readonly checkpointer?: SqliteCheckpointer | null;
  close(): Promise<void>;
}

/** Opens the configured database and applies every pending migration. */
export async function openDatabase(
  config: Config['database'],
  logger: Logger,
): Promise<DatabaseHandle> {
  const handle =
    config.kind === 'sqlite'
      ? await openSqlite(config.file, config.synchronous, logger)
      : await (
          await import('../adapters/postgres/postgres-database.js')
        ).openPostgres(config.url, config.poolSize);
  try {
    await migrateToLatest(handle.db, logger);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

async function openSqlite(
  file: string,
  synchronous: 'NORMAL' | 'FULL',
  logger: Logger,
): Promise<DatabaseHandle> {
  const { default: Sqlite } = await import('better-sqlite3');
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A new database is made readable by this user only, since it holds password and
    // token hashes; SQLite gives its WAL and index files the database file's mode. An
    // existing file keeps the mode its operator gave it.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  }
  const sqlite = new Sqlite(file);
  // WAL lets readers run beside the writer; `busy_timeout` covers a second process
  // (a CLI, a backup) holding the lock for a moment; foreign keys are off by default.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('temp_store = MEMORY');
  sqlite.pragma('cache_size = -65536');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
  const checkpointer = file === ':memory:' ? null : new SqliteCheckpointer(sqlite, file, logger);
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    checkpointer,
    async close() {
      await checkpointer?.stop();
      // Checkpoint so that the main file holds everything and the WAL stays small.
      await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db).catch(() => undefined);
      await db.destroy();
    },
  };
}

/**
 * Kysely prepares every query anew, which on a hot path costs more than running it;
 * statements are kept by their SQL instead (one still iterating gets a fresh one).
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text) {
      let statement = statements.get(text);
      if (statement === undefined || statement.busy) {
        statement = sqlite.prepare(text);
        if (statements.size >= 500) statements.delete(statements.keys().next().value!);
        statements.set(text, statement);
      }
      return statement;
    },
  };
}
