import type { Kysely, Migration } from 'kysely';

/**
 * The tables of the chat domain. Times are integer milliseconds since the epoch and
 * flags are 0/1, so that the same statements run on SQLite and PostgreSQL.
 *
 * The server is a relay, not an archive: `chat_inbox` holds an envelope per device
 * until that device acknowledges it; the other transient tables (`chat_message_keys`,
 * `chat_receipts`, `chat_envelopes`) expire with it.
 */
export const chat: Migration = {
  async up(db: Kysely<unknown>) {
    // One row per item waiting in a device's inbox. A group message shared by many
    // devices keeps its payload once, in `chat_envelopes`, and the rows point at it.
    await db.schema
      .createTable('chat_inbox')
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('sender_user_id', 'text')
      .addColumn('message_id', 'text')
      .addColumn('group_id', 'text')
      .addColumn('payload', 'text')
      .addColumn('envelope_id', 'text')
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('chat_inbox_pk', ['device_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('chat_inbox_expires_at')
      .on('chat_inbox')
      .column('expires_at')
      .execute();

    await db.schema
      .createTable('chat_envelopes')
      .addColumn('envelope_id', 'text', (c) => c.primaryKey())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('refs', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('chat_envelopes_expires_at')
      .on('chat_envelopes')
      .column('expires_at')
      .execute();

    // The per-device seq counter: seqs are never reused, even after every item before
    // them was deleted, so the counter cannot be max(seq) of the inbox.
    await db.schema
      .createTable('chat_device_seqs')
      .addColumn('device_id', 'text', (c) => c.primaryKey())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .execute();

    // Idempotency records: `s:<user>:<messageId>` for a send, `f:<user>:<messageId>`
    // for a group fan-out that has been applied.
    await db.schema
      .createTable('chat_message_keys')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('chat_message_keys_expires_at')
      .on('chat_message_keys')
      .column('expires_at')
      .execute();

    // Receipt state: one row per message and recipient user, created with the
    // message, so that `delivered` and `read` are each sent at most once.
    await db.schema
      .createTable('chat_receipts')
      .addColumn('recipient_user_id', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('sender_user_id', 'text', (c) => c.notNull())
      .addColumn('group_id', 'text')
      .addColumn('delivered', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('chat_receipts_pk', [
        'recipient_user_id',
        'message_id',
        'sender_user_id',
      ])
      .execute();
    await db.schema
      .createIndex('chat_receipts_expires_at')
      .on('chat_receipts')
      .column('expires_at')
      .execute();

    await db.schema
      .createTable('chat_groups')
      .addColumn('group_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('chat_group_members')
      .addColumn('group_id', 'text', (c) =>
        c.notNull().references('chat_groups.group_id').onDelete('cascade'),
      )
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('joined_at', 'bigint', (c) => c.notNull())
      // Breaks ties between members who joined in the same millisecond (a group's
      // creation), so that "the longest-standing member" is always one person.
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('chat_group_members_pk', ['group_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('chat_group_members_user')
      .on('chat_group_members')
      .columns(['user_id', 'group_id'])
      .execute();

    // 1:1 contacts, both directions, recorded when a message is sent.
    await db.schema
      .createTable('chat_contacts')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('contact_user_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('chat_contacts_pk', ['user_id', 'contact_user_id'])
      .execute();

    await db.schema
      .createTable('chat_blocks')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('blocked_user_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('chat_blocks_pk', ['user_id', 'blocked_user_id'])
      .execute();
    await db.schema
      .createIndex('chat_blocks_blocked')
      .on('chat_blocks')
      .columns(['blocked_user_id', 'user_id'])
      .execute();

    // The durable fan-out queue of the embedded mode (JetStream in scale-out).
    await db.schema
      .createTable('chat_fanout_jobs')
      .addColumn('job_id', 'text', (c) => c.primaryKey())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('position', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('available_at', 'bigint', (c) => c.notNull())
      .addColumn('locked_until', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('chat_fanout_jobs_position')
      .on('chat_fanout_jobs')
      .column('position')
      .execute();
  },
};
