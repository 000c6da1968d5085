import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/** Ids per block of the PostgreSQL token service (the default of `LINK_KEY_BLOCK_SIZE`). */
export const LINK_ID_BLOCK = 1_000;

/**
 * What several nodes on one PostgreSQL need besides the domains' tables:
 *
 * - `link_click_batches`: the click batches already written, so that a batch
 *   delivered twice by the click stream is counted once (written in the same
 *   transaction as its clicks);
 * - `server_secrets`: secrets every node must share, such as the key of the code
 *   permutation (a file in the data directory serves a single node);
 * - on PostgreSQL, the sequence `link_id_blocks` that hands out blocks of link ids
 *   without a row lock, starting after the last id the counter row handed out.
 */
export const scaleOut: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('link_click_batches')
      .addColumn('batch_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('link_click_batches_applied_at')
      .on('link_click_batches')
      .column('applied_at')
      .execute();

    await db.schema
      .createTable('server_secrets')
      .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    // Sequences are PostgreSQL's; SQLite keeps the counter row (one writer at a time).
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      const { rows } = await sql<{
        next_id: string | number;
      }>`select next_id from link_key_counters where name = 'links'`.execute(db);
      const next = Number(rows[0]?.next_id ?? 0);
      const start = Math.ceil(next / LINK_ID_BLOCK) * LINK_ID_BLOCK;
      await sql`create sequence link_id_blocks as bigint minvalue 0 start with ${sql.lit(start)} increment by ${sql.lit(LINK_ID_BLOCK)}`.execute(
        db,
      );
    }
  },
};
