import type { Kysely, Migration } from 'kysely';

/**
 * The fan-out outbox of the scale-out mode: a group change writes the job that tells
 * the members here, in its own transaction; the node then publishes it to JetStream
 * and deletes the row, and a relay on every node publishes what a crash left behind.
 * Empty but for the few moments between a commit and its publish.
 */
export const fanoutOutbox: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('chat_fanout_outbox')
      .addColumn('job_id', 'text', (c) => c.primaryKey())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('position', 'bigint', (c) => c.notNull())
      .addColumn('locked_until', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('chat_fanout_outbox_position')
      .on('chat_fanout_outbox')
      .column('position')
      .execute();
  },
};
