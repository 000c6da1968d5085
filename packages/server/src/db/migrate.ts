import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Logger } from '../logger.js';
import { MIGRATIONS } from './migrations/index.js';

/** Serves the migrations compiled into the server, in name order. */
class BuiltInMigrations implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(MIGRATIONS);
  }
}

/** Applies every migration not yet applied; throws (leaving the database as it was) on failure. */
export async function migrateToLatest<T>(db: Kysely<T>, logger: Logger): Promise<void> {
  const migrator = new Migrator({ db, provider: new BuiltInMigrations() });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) {
    if (r.status === 'Success') logger.info({ migration: r.migrationName }, 'migration applied');
    if (r.status === 'Error') logger.error({ migration: r.migrationName }, 'migration failed');
  }
  if (error !== undefined) throw new Error('database migration failed', { cause: error });
}
