import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, sql, SqliteDialect, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { KyselyInboxStore } from '../../adapters/sql/kysely-inbox-store.js';
import { SqliteInboxStore } from '../../adapters/sqlite/sqlite-inbox-store.js';
import {
  fanoutKey,
  sendKey,
  type InboxStore,
  type MessageRef,
} from '../../domains/chat/inbox-store.js';
import { createScratchPostgres } from '../../test-support/scale-out.js';
import { servicesAvailable } from '../../test-support/services.js';
import type { Database } from '../schema.js';
import { chatKeysByMessage } from './0007-chat-keys-by-message.js';
import { MIGRATIONS } from './index.js';

const NOW = 1_750_000_000_000;
const LATER = NOW + 60_000;
const EXPIRES = NOW + 30 * 86_400_000;

/** A database with the migrations up to 0006 applied, and how to finish migrating it. */
interface OldDatabase {
  readonly db: Kysely<Database>;
  readonly sqlite: Sqlite.Database | null;
  migrateToLatest(): Promise<void>;
  dispose(): Promise<void>;
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve<Record<string, Migration>>(MIGRATIONS) },
  });
}

async function at0006(db: Kysely<Database>): Promise<void> {
  const { error } = await migrator(db).migrateTo('0006-fanout-outbox');
  if (error !== undefined) throw new Error('migration failed', { cause: error });
}

async function oldSqlite(): Promise<OldDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-0007-'));
  const sqlite = new Sqlite(path.join(dir, 'test.db'));
  sqlite.pragma('journal_mode = WAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await at0006(db);
  return {
    db,
    sqlite,
    async migrateToLatest() {
      const { error } = await migrator(db).migrateToLatest();
      if (error !== undefined) throw new Error('migration failed', { cause: error });
    },
    async dispose() {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function oldPostgres(): Promise<OldDatabase> {
  const scratch = await createScratchPostgres();
  const { openPostgres } = await import('../../adapters/postgres/postgres-database.js');
  const handle = await openPostgres(scratch.url, 2);
  await at0006(handle.db);
  return {
    db: handle.db,
    sqlite: null,
    async migrateToLatest() {
      const { error } = await migrator(handle.db).migrateToLatest();
      if (error !== undefined) throw new Error('migration failed', { cause: error });
    },
    async dispose() {
      await handle.close();
      await scratch.drop();
    },
  };
}

/** Rows as the server wrote them before 0007: keys user first, receipts recipient first. */
async function writeOldRows(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('chat_message_keys')
    .values([
      { key: sendKey('alice', 'm1'), ts: NOW + 1, expires_at: EXPIRES },
      { key: sendKey('alice', 'm2'), ts: NOW + 2, expires_at: EXPIRES },
      { key: fanoutKey('carol', 'g1'), ts: NOW + 3, expires_at: EXPIRES },
      // Keys of other shapes are carried over too, converted as the stores convert them.
      { key: 's:odd:user:m3', ts: NOW + 4, expires_at: EXPIRES },
      { key: 'no-colon', ts: NOW + 5, expires_at: EXPIRES },
    ])
    .execute();
  await db
    .insertInto('chat_receipts')
    .values([
      {
        recipient_user_id: 'bob',
        message_id: 'm1',
        sender_user_id: 'alice',
        group_id: null,
        delivered: 0,
        expires_at: EXPIRES,
      },
      {
        recipient_user_id: 'bob',
        message_id: 'm2',
        sender_user_id: 'alice',
        group_id: null,
        delivered: 1,
        expires_at: EXPIRES,
      },
      {
        recipient_user_id: 'dave',
        message_id: 'g1',
        sender_user_id: 'carol',
        group_id: 'group',
        delivered: 0,
        expires_at: EXPIRES,
      },
    ])
    .execute();
}

const m1: MessageRef = { senderUserId: 'alice', messageId: 'm1', groupId: null };
const m2: MessageRef = { senderUserId: 'alice', messageId: 'm2', groupId: null };
const g1: MessageRef = { senderUserId: 'carol', messageId: 'g1', groupId: 'group' };

function receiptTo(device: string, id: string) {
  return [
    { kind: 'receipt' as const, payload: `{"type":"receipt","id":"${id}"}`, deviceIds: [device] },
  ];
}

/** What rows written under 0006 must still do through a store after migrating. */
async function expectOldRowsServed(store: InboxStore): Promise<void> {
  // A resend of a stored message is still a duplicate, answered with the first ts.
  const resend = await store.deliver({
    key: sendKey('alice', 'm1'),
    ts: LATER,
    expiresAt: EXPIRES,
    writes: [{ kind: 'msg', payload: '{"type":"msg","id":"m1"}', deviceIds: ['bob-d'] }],
  });
  expect(resend).toEqual({ applied: false, ts: NOW + 1, appended: [] });
  expect(await store.keyTs(sendKey('alice', 'm2'))).toBe(NOW + 2);
  expect(await store.keyTs(fanoutKey('carol', 'g1'))).toBe(NOW + 3);
  expect(await store.keyTs('s:odd:user:m3')).toBe(NOW + 4);
  expect(await store.keyTs('no-colon')).toBe(NOW + 5);
  expect(await store.keyTs(sendKey('alice', 'm4'))).toBeNull();

  // The receipt state: found by recipient and ids, and each receipt still sent once.
  const pending = await store.pendingReceipts('bob', ['m1', 'm2', 'g1', 'unknown']);
  expect(pending.sort((a, b) => a.messageId.localeCompare(b.messageId))).toEqual([m1, m2]);
  expect(await store.pendingReceipts('dave', ['g1'])).toEqual([g1]);
  const delivered = await store.deliver({
    ts: LATER,
    expiresAt: EXPIRES,
    receipts: {
      status: 'delivered',
      recipientUserId: 'bob',
      items: [
        { message: m1, writes: receiptTo('alice-d', 'm1') },
        { message: m2, writes: receiptTo('alice-d', 'm2') },
      ],
    },
  });
  // m2 was marked delivered before the migration: only m1's receipt goes out.
  expect(delivered.appended.map((a) => a.payload)).toEqual(['{"type":"receipt","id":"m1"}']);
  const read = await store.deliver({
    ts: LATER,
    expiresAt: EXPIRES,
    receipts: {
      status: 'read',
      recipientUserId: 'bob',
      items: [
        { message: m2, writes: receiptTo('alice-d', 'm2') },
        { message: m2, writes: receiptTo('alice-d', 'm2') },
      ],
    },
  });
  expect(read.appended.map((a) => a.payload)).toEqual(['{"type":"receipt","id":"m2"}']);
  expect(await store.pendingReceipts('bob', ['m1', 'm2'])).toEqual([m1]);

  // New sends are keyed the same way.
  const first = await store.deliver({ key: sendKey('alice', 'm4'), ts: LATER, expiresAt: EXPIRES });
  const again = await store.deliver({
    key: sendKey('alice', 'm4'),
    ts: LATER + 1,
    expiresAt: EXPIRES,
  });
  expect([first.applied, again.applied, again.ts]).toEqual([true, false, LATER]);
}

async function storedKeys(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('chat_message_keys').select('key').execute();
  return rows.map((r) => r.key).sort();
}

const OLD_KEYS_CONVERTED = ['g1:f:carol', 'm1:s:alice', 'm2:s:alice', 'm3:s:odd:user', 'no-colon'];

interface Variant {
  readonly name: string;
  readonly open: () => Promise<OldDatabase>;
  readonly store: (database: OldDatabase) => InboxStore;
}

const variants: Variant[] = [
  {
    name: 'SQLite, through the SQLite store',
    open: oldSqlite,
    store: (d) => new SqliteInboxStore(d.sqlite!),
  },
  {
    name: 'SQLite, through the Kysely store',
    open: oldSqlite,
    store: (d) => new KyselyInboxStore(d.db),
  },
];
if (await servicesAvailable(['postgres'])) {
  variants.push({
    name: 'PostgreSQL, through the Kysely store',
    open: oldPostgres,
    store: (d) => new KyselyInboxStore(d.db),
  });
}

describe('migration 0007-chat-keys-by-message', () => {
  let database: OldDatabase | undefined;
  let store: InboxStore | undefined;
  afterEach(async () => {
    await store?.close();
    await database?.dispose();
    store = undefined;
    database = undefined;
  });

  describe.each(variants)('on $name', (variant) => {
    it('carries the rows written under 0006 over: resends still dedupe, receipts still go out once', async () => {
      database = await variant.open();
      await writeOldRows(database.db);
      await database.migrateToLatest();
      expect(await storedKeys(database.db)).toEqual(OLD_KEYS_CONVERTED);
      const receipts = await database.db
        .selectFrom('chat_receipts')
        .selectAll()
        .orderBy('message_id')
        .execute();
      expect(receipts.map((r) => [r.message_id, r.recipient_user_id, r.delivered])).toEqual([
        ['g1', 'dave', 0],
        ['m1', 'bob', 0],
        ['m2', 'bob', 1],
      ]);
      store = variant.store(database);
      await expectOldRowsServed(store);
    });
  });

  it('keys the tables by message id first (SQLite)', async () => {
    database = await oldSqlite();
    await database.migrateToLatest();
    const sqlite = database.sqlite!;
    const firstColumn = (table: string) =>
      sqlite
        .prepare<[string], string>(
          `SELECT ii.name FROM sqlite_master m, pragma_index_info(m.name) ii
           WHERE m.type = 'index' AND m.tbl_name = ? AND m.name LIKE 'sqlite_autoindex_%' AND ii.seqno = 0`,
        )
        .pluck()
        .get(table);
    expect(firstColumn('chat_message_keys')).toBe('key');
    expect(firstColumn('chat_receipts')).toBe('message_id');
    // A recipient's lookup by message ids searches that key, no scan.
    const plan = sqlite
      .prepare<[string, string], { detail: string }>(
        `EXPLAIN QUERY PLAN SELECT sender_user_id, message_id, group_id FROM chat_receipts
         WHERE recipient_user_id = ? AND message_id IN (SELECT value FROM json_each(?))`,
      )
      .all('bob', '["m1"]')
      .map((r) => r.detail);
    expect(plan[0]).toMatch(
      /SEARCH chat_receipts USING INDEX .*\(message_id=\? AND recipient_user_id=\?\)/,
    );
  });

  it('converts nothing twice on SQLite, where a crash may come before the migration is recorded', async () => {
    database = await oldSqlite();
    await writeOldRows(database.db);
    await database.migrateToLatest();
    // As if the process died after the rebuild committed but before Kysely noted it.
    await chatKeysByMessage.up(database.db);
    expect(await storedKeys(database.db)).toEqual(OLD_KEYS_CONVERTED);
    store = new SqliteInboxStore(database.sqlite!);
    await expectOldRowsServed(store);
  });

  it('leaves everything as it was on SQLite when the rebuild fails halfway', async () => {
    database = await oldSqlite();
    await writeOldRows(database.db);
    // A table in the way of the rebuild's first rename.
    await sql`create table chat_receipts_0006 (x integer)`.execute(database.db);
    await expect(database.migrateToLatest()).rejects.toThrow();
    const keys = await database.db.selectFrom('chat_message_keys').select('key').execute();
    expect(keys.map((r) => r.key).sort()).toEqual(
      ['f:carol:g1', 's:alice:m1', 's:alice:m2', 's:odd:user:m3', 'no-colon'].sort(),
    );
  });
});
