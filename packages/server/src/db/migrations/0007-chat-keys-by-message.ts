import { PostgresAdapter, sql, type Kysely, type Migration, type RawBuilder } from 'kysely';

/** Rows copied per statement where the keys are converted one by one (none, as written). */
const CHUNK = 500;

/**
 * Keys the idempotency records and the receipt state by message id first, so that the
 * rows of time-ordered ids (the UUIDv7 the SDK makes) are appended at the right edge of
 * their B-trees, where one page takes a whole commit's rows, instead of each landing in
 * a random leaf (a page written per message and commit, more of them as the tables grow).
 *
 * - `chat_message_keys.key`: was `s:<user>:<messageId>` (`f:` for a fan-out), now the
 *   same parts with the message id (the part after the last colon; ids have none) moved
 *   to the front, `<messageId>:s:<user>`. The stores convert keys the same way.
 * - `chat_receipts`: primary key (message_id, recipient_user_id, sender_user_id), was
 *   (recipient_user_id, message_id, sender_user_id). A recipient's lookup by message ids
 *   (`message_id IN (...) AND recipient_user_id = ?`) is a search of that key.
 *
 * Both tables are rebuilt and their rows carried over. On SQLite (where Kysely runs a
 * migration outside a transaction) the rebuild runs in one transaction of its own, and
 * is skipped if it already committed (a crash before the migration was recorded), so
 * that keys are never converted twice; on PostgreSQL the migration's own transaction
 * covers it and its record.
 */
export const chatKeysByMessage: Migration = {
  async up(db: Kysely<unknown>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await rebuild(db, 'postgres');
      return;
    }
    const { rows } = await sql<{
      sql: string;
    }>`select sql from sqlite_master where type = 'table' and name = 'chat_receipts'`.execute(db);
    if (rows[0]?.sql.includes('chat_receipts_by_message_pk') === true) return;
    await db.transaction().execute((trx) => rebuild(trx, 'sqlite'));
  },
};

async function rebuild(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  await sql`alter table chat_message_keys rename to chat_message_keys_0006`.execute(db);
  await db.schema
    .createTable('chat_message_keys')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('chat_message_keys_by_message_pk', ['key'])
    .execute();
  // Every key the server wrote has two colons (`<kind>:<user>:<messageId>`): converted
  // in one statement. Any other is converted one by one, as the stores do it.
  const colons = sql`length(key) - length(replace(key, ':', ''))`;
  await sql`insert into chat_message_keys (key, ts, expires_at)
    select ${rotatedKey(dialect)}, ts, expires_at from chat_message_keys_0006
    where ${colons} = 2`.execute(db);
  for (let after = ''; ;) {
    const { rows } = await sql<{
      key: string;
      ts: number | string;
      expires_at: number | string;
    }>`select key, ts, expires_at from chat_message_keys_0006
      where ${colons} <> 2 and key > ${after} order by key limit ${CHUNK}`.execute(db);
    if (rows.length === 0) break;
    for (const row of rows) {
      await sql`insert into chat_message_keys (key, ts, expires_at)
        values (${messageFirst(row.key)}, ${row.ts}, ${row.expires_at})`.execute(db);
    }
    after = rows[rows.length - 1]!.key;
  }
  await sql`drop table chat_message_keys_0006`.execute(db);
  await db.schema
    .createIndex('chat_message_keys_expires_at')
    .on('chat_message_keys')
    .column('expires_at')
    .execute();

  await sql`alter table chat_receipts rename to chat_receipts_0006`.execute(db);
  await db.schema
    .createTable('chat_receipts')
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('recipient_user_id', 'text', (c) => c.notNull())
    .addColumn('sender_user_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text')
    .addColumn('delivered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('chat_receipts_by_message_pk', [
      'message_id',
      'recipient_user_id',
      'sender_user_id',
    ])
    .execute();
  await sql`insert into chat_receipts
      (message_id, recipient_user_id, sender_user_id, group_id, delivered, expires_at)
    select message_id, recipient_user_id, sender_user_id, group_id, delivered, expires_at
    from chat_receipts_0006`.execute(db);
  await sql`drop table chat_receipts_0006`.execute(db);
  await db.schema
    .createIndex('chat_receipts_expires_at')
    .on('chat_receipts')
    .column('expires_at')
    .execute();
}

/** `a:b:c` → `c:a:b`, in SQL, for keys with exactly two colons. */
function rotatedKey(dialect: 'sqlite' | 'postgres'): RawBuilder<string> {
  if (dialect === 'postgres') {
    return sql`split_part(key, ':', 3) || ':' || split_part(key, ':', 1) || ':' || split_part(key, ':', 2)`;
  }
  // The part after the first colon, `b:c`, and where its own colon is.
  const rest = sql`substr(key, instr(key, ':') + 1)`;
  const cut = sql`instr(${rest}, ':')`;
  return sql`substr(${rest}, ${cut} + 1) || ':' || substr(key, 1, instr(key, ':') - 1) || ':' || substr(${rest}, 1, ${cut} - 1)`;
}

/**
 * The part after the last colon moved to the front (a key without one is kept as it
 * is): a frozen copy of `messageFirstKey` in domains/chat/inbox-store.ts, since a
 * migration never changes once shipped.
 */
function messageFirst(key: string): string {
  const colon = key.lastIndexOf(':');
  return colon < 0 ? key : `${key.slice(colon + 1)}:${key.slice(0, colon)}`;
}
