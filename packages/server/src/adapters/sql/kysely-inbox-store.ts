import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import {
  messageFirstKey,
  type Appended,
  type Delivery,
  type DeliveryResult,
  type InboxItem,
  type InboxStore,
  type InboxWrite,
  type MessageRef,
} from '../../domains/chat/inbox-store.js';

/** A write to this many devices or more keeps its payload once, in `chat_envelopes`. */
const ENVELOPE_MIN_DEVICES = 4;
/** Rows per multi-row INSERT, well under PostgreSQL's 65,535 bound parameters. */
const INSERT_CHUNK = 500;
/** A transaction that lost a deadlock or a serialization race is tried again this often. */
const MAX_ATTEMPTS = 5;

/**
 * The inbox through Kysely, one code path for SQLite and PostgreSQL: what the server
 * uses on PostgreSQL, and the reference the SQLite fast path is checked against.
 *
 * Each delivery is one transaction. On PostgreSQL the upsert of a device's seq counter
 * locks its row until commit, so two deliveries to one device commit in seq order and
 * a reader never sees seq n+1 before seq n.
 */
export class KyselyInboxStore implements InboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  async deliver(delivery: Delivery): Promise<DeliveryResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute((trx) => this.apply(trx, delivery));
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableConflict(error)) throw error;
      }
    }
  }

  private async apply(trx: Transaction<Database>, d: Delivery): Promise<DeliveryResult> {
    if (d.key !== undefined) {
      const key = messageFirstKey(d.key);
      const inserted = await trx
        .insertInto('chat_message_keys')
        .values({ key, ts: d.ts, expires_at: d.expiresAt })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('ts')
        .executeTakeFirst();
      if (inserted === undefined) {
        const existing = await trx
          .selectFrom('chat_message_keys')
          .select('ts')
          .where('key', '=', key)
          .executeTakeFirstOrThrow();
        return { applied: false, ts: existing.ts, appended: [] };
      }
    }
    if (d.ack !== undefined) {
      const deleted = await trx
        .deleteFrom('chat_inbox')
        .where('device_id', '=', d.ack.deviceId)
        .where('seq', '<=', d.ack.uptoSeq)
        .returning('envelope_id')
        .execute();
      await release(
        trx,
        deleted.map((r) => r.envelope_id),
      );
    }
    const appended: Appended[] = [];
    for (const write of d.writes ?? []) await append(trx, write, d.expiresAt, appended);
    if (d.expectReceipts !== undefined && d.expectReceipts.recipientUserIds.length > 0) {
      const { message, recipientUserIds } = d.expectReceipts;
      for (const chunk of chunks(recipientUserIds, INSERT_CHUNK)) {
        await trx
          .insertInto('chat_receipts')
          .values(
            chunk.map((userId) => ({
              recipient_user_id: userId,
              message_id: message.messageId,
              sender_user_id: message.senderUserId,
              group_id: message.groupId,
              delivered: 0,
              expires_at: d.expiresAt,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    }
    if (d.receipts !== undefined) {
      const { status, recipientUserId } = d.receipts;
      for (const item of d.receipts.items) {
        const result =
          status === 'delivered'
            ? await trx
                .updateTable('chat_receipts')
                .set({ delivered: 1 })
                .where('recipient_user_id', '=', recipientUserId)
                .where('message_id', '=', item.message.messageId)
                .where('sender_user_id', '=', item.message.senderUserId)
                .where('delivered', '=', 0)
                .executeTakeFirst()
            : await trx
                .deleteFrom('chat_receipts')
                .where('recipient_user_id', '=', recipientUserId)
                .where('message_id', '=', item.message.messageId)
                .where('sender_user_id', '=', item.message.senderUserId)
                .executeTakeFirst();
        const changed = 'numUpdatedRows' in result ? result.numUpdatedRows : result.numDeletedRows;
        if (changed === 0n) continue;
        for (const write of item.writes) await append(trx, write, d.expiresAt, appended);
      }
    }
    return { applied: true, ts: d.ts, appended };
  }

  async read(deviceId: string, afterSeq: number, limit: number, now: number): Promise<InboxItem[]> {
    const rows = await this.db
      .selectFrom('chat_inbox as i')
      .leftJoin('chat_envelopes as e', 'e.envelope_id', 'i.envelope_id')
      .select(['i.seq', 'i.payload', 'e.payload as shared'])
      .where('i.device_id', '=', deviceId)
      .where('i.seq', '>', afterSeq)
      .where('i.expires_at', '>', now)
      .orderBy('i.seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: r.seq, payload: r.payload ?? r.shared ?? '' }));
  }

  async lastSeq(deviceId: string): Promise<number> {
    const row = await this.db
      .selectFrom('chat_device_seqs')
      .select('last_seq')
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return row?.last_seq ?? 0;
  }

  async messagesUpTo(
    deviceId: string,
    uptoSeq: number,
    exceptSender: string,
  ): Promise<MessageRef[]> {
    const rows = await this.db
      .selectFrom('chat_inbox')
      .select(['sender_user_id', 'message_id', 'group_id'])
      .where('device_id', '=', deviceId)
      .where('seq', '<=', uptoSeq)
      .where('sender_user_id', 'is not', null)
      .where('sender_user_id', '<>', exceptSender)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      senderUserId: r.sender_user_id ?? '',
      messageId: r.message_id ?? '',
      groupId: r.group_id,
    }));
  }

  async pendingReceipts(
    recipientUserId: string,
    messageIds: readonly string[],
  ): Promise<MessageRef[]> {
    if (messageIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('chat_receipts')
      .select(['sender_user_id', 'message_id', 'group_id'])
      .where('recipient_user_id', '=', recipientUserId)
      .where('message_id', 'in', [...messageIds])
      .execute();
    return rows.map((r) => ({
      senderUserId: r.sender_user_id,
      messageId: r.message_id,
      groupId: r.group_id,
    }));
  }

  async keyTs(key: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('chat_message_keys')
      .select('ts')
      .where('key', '=', messageFirstKey(key))
      .executeTakeFirst();
    return row?.ts ?? null;
  }

  async dropDevice(deviceId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('chat_inbox')
        .where('device_id', '=', deviceId)
        .returning('envelope_id')
        .execute();
      await release(
        trx,
        deleted.map((r) => r.envelope_id),
      );
      await trx.deleteFrom('chat_device_seqs').where('device_id', '=', deviceId).execute();
    });
  }

  async sweep(now: number): Promise<number> {
    const items = await this.db
      .deleteFrom('chat_inbox')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    await this.db.deleteFrom('chat_envelopes').where('expires_at', '<=', now).execute();
    await this.db.deleteFrom('chat_message_keys').where('expires_at', '<=', now).execute();
    await this.db.deleteFrom('chat_receipts').where('expires_at', '<=', now).execute();
    return Number(items.numDeletedRows);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Appends one payload to each device's inbox, taking the next seq of each. */
async function append(
  trx: Transaction<Database>,
  write: InboxWrite,
  expiresAt: number,
  out: Appended[],
): Promise<void> {
  if (write.deviceIds.length === 0) return;
  let envelopeId: string | null = null;
  if (write.deviceIds.length >= ENVELOPE_MIN_DEVICES) {
    envelopeId = randomUUID();
    await trx
      .insertInto('chat_envelopes')
      .values({
        envelope_id: envelopeId,
        payload: write.payload,
        refs: write.deviceIds.length,
        expires_at: expiresAt,
      })
      .execute();
  }
  // Counters are locked in one order by every transaction, so that two deliveries to
  // the same devices cannot deadlock each other.
  const deviceIds = [...new Set(write.deviceIds)].sort();
  const rows = [];
  for (const deviceId of deviceIds) {
    const { last_seq: seq } = await trx
      .insertInto('chat_device_seqs')
      .values({ device_id: deviceId, last_seq: 1 })
      .onConflict((oc) =>
        oc
          .column('device_id')
          .doUpdateSet({ last_seq: sql<number>`chat_device_seqs.last_seq + 1` }),
      )
      .returning('last_seq')
      .executeTakeFirstOrThrow();
    rows.push({
      device_id: deviceId,
      seq,
      kind: write.kind,
      sender_user_id: write.message?.senderUserId ?? null,
      message_id: write.message?.messageId ?? null,
      group_id: write.message?.groupId ?? null,
      payload: envelopeId === null ? write.payload : null,
      envelope_id: envelopeId,
      expires_at: expiresAt,
    });
    out.push({ deviceId, seq, payload: write.payload });
  }
  for (const chunk of chunks(rows, INSERT_CHUNK)) {
    await trx.insertInto('chat_inbox').values(chunk).execute();
  }
}

/** Releases the envelopes that deleted inbox rows pointed at. */
async function release(trx: Transaction<Database>, envelopeIds: Array<string | null>) {
  const counts = new Map<string, number>();
  for (const id of envelopeIds) if (id !== null) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, count] of counts) {
    await trx
      .updateTable('chat_envelopes')
      .set({ refs: sql<number>`refs - ${count}` })
      .where('envelope_id', '=', id)
      .execute();
    await trx
      .deleteFrom('chat_envelopes')
      .where('envelope_id', '=', id)
      .where('refs', '<=', 0)
      .execute();
  }
}

/** A PostgreSQL deadlock (40P01) or serialization failure (40001): worth another try. */
function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
