import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
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
/** Deliveries committed in one transaction at most; the rest go in the next one. */
const MAX_BATCH = 2_000;
/**
 * Under load, commits come at most this often, so that the deliveries of a few turns
 * share one commit, whose cost (and WAL pages) would otherwise be paid by every one or
 * two of them. A commit writes each dirty page to the WAL with its own system call
 * (about 0.6 ms for a 1:1 batch here): at 4 ms, `bench:chat` held 3,159 msg/s at 257 µs
 * of server CPU per message; at 8 ms, 4,502 msg/s at 197 µs, with the p99 under 40 ms.
 */
const MAX_COMMIT_INTERVAL_MS = 8;
/**
 * How long a commit waits for company, per delivery the previous commit carried (up to
 * the maximum above): a lone writer sending one message after another (one delivery per
 * commit) is committed at once, and the wait grows with the load.
 */
const COMMIT_WAIT_PER_DELIVERY_MS = 0.25;
/** Devices whose last seq is kept in memory at most. */
const SEQ_CACHE_DEVICES = 100_000;
/** Rows deleted per statement by the sweep, so that it never holds the lock for long. */
const SWEEP_CHUNK = 5_000;
/** Inbox rows kept in memory at most (see `SqliteInboxStore.tracked`); past it, all go. */
const TRACKED_ROWS_MAX = 100_000;

/** Told after every commit: how many deliveries it carried and how long it took. */
export type CommitObserver = (deliveries: number, seconds: number) => void;

interface PendingDelivery {
  readonly delivery: Delivery;
  readonly resolve: (result: DeliveryResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * What this process knows of a device's inbox rows: they are exactly `rows` (in seq
 * order), plus, when `base` > 0, rows with `seq <= base` written before it tracked the
 * device. Rows with neither a message nor an envelope are not listed.
 */
interface TrackedRows {
  base: number;
  readonly rows: TrackedRow[];
}

interface TrackedRow {
  readonly seq: number;
  readonly message: MessageRef | null;
  readonly envelopeId: string | null;
}

interface ReceiptRow {
  sender_user_id: string;
  message_id: string;
  group_id: string | null;
}

/**
 * The inbox on the embedded SQLite database, written with prepared statements and
 * group commit: every delivery asked for during one turn of the event loop is applied
 * in one transaction, and the callers are answered once it is committed. Should one
 * delivery fail, the batch is rolled back and each is applied alone, so that only the
 * failing one fails. With WAL and
 * `synchronous=NORMAL` a committed transaction survives a crash of the process.
 *
 * The connection is shared with Kysely: a transaction Kysely holds open across an
 * `await` would swallow these writes, so a flush waits until none is open.
 */
export class SqliteInboxStore implements InboxStore {
  private pending: PendingDelivery[] = [];
  private scheduled = false;
  private closed = false;
  private idle: Array<() => void> = [];
  private lastCommit = 0;
  /** How long the next commit may wait after the last one (see COMMIT_WAIT_PER_DELIVERY_MS). */
  private commitInterval = 0;
  /** Seq counters read or advanced by the transaction being applied. */
  private seqs = new Map<string, number>();
  /**
   * Committed seq counters: this process is the only writer of the embedded inbox, so
   * what it committed last is the truth, and a counter is read from the table only
   * once. Cleared when a transaction fails, since it may have run ahead.
   */
  private readonly committedSeqs = new LRUCache<string, number>({ max: SEQ_CACHE_DEVICES });
  /**
   * The inbox rows of the devices this process wrote to, so that an ack needs no read:
   * `messagesUpTo` is answered from here, and an ack deletes without `RETURNING`, once
   * no row older than the tracking is left (`base` 0). Kept in step inside the
   * transactions; dropped whole when one fails, the sweep deletes or it grows past its
   * bounds, and for a device when it is dropped: what is not tracked is read from the
   * table. A plain map: an LRU's bookkeeping on every ack cost more than it saved.
   */
  private readonly tracked = new Map<string, TrackedRows>();
  private trackedRows = 0;

  private readonly stmt;
  private readonly applyBatch: (batch: PendingDelivery[]) => DeliveryResult[];
  private readonly applyOne: (delivery: Delivery) => DeliveryResult;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly onCommit: CommitObserver = () => undefined,
  ) {
    this.stmt = {
      lastSeq: db
        .prepare<[string], number>('SELECT last_seq FROM chat_device_seqs WHERE device_id = ?')
        .pluck(),
      saveSeq: db.prepare<[string, number]>(
        `INSERT INTO chat_device_seqs (device_id, last_seq) VALUES (?, ?)
         ON CONFLICT (device_id) DO UPDATE SET last_seq = excluded.last_seq`,
      ),
      keyTs: db.prepare<[string], number>('SELECT ts FROM chat_message_keys WHERE key = ?').pluck(),
      insertKey: db.prepare<[string, number, number]>(
        'INSERT INTO chat_message_keys (key, ts, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      insertItem: db.prepare<
        [
          string,
          number,
          string,
          string | null,
          string | null,
          string | null,
          string | null,
          string | null,
          number,
        ]
      >(
        `INSERT INTO chat_inbox (device_id, seq, kind, sender_user_id, message_id, group_id, payload, envelope_id, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertEnvelope: db.prepare<[string, string, number, number]>(
        'INSERT INTO chat_envelopes (envelope_id, payload, refs, expires_at) VALUES (?, ?, ?, ?)',
      ),
      deleteUpTo: db
        .prepare<[string, number], string | null>(
          'DELETE FROM chat_inbox WHERE device_id = ? AND seq <= ? RETURNING envelope_id',
        )
        .pluck(),
      deleteUpToKnown: db.prepare<[string, number]>(
        'DELETE FROM chat_inbox WHERE device_id = ? AND seq <= ?',
      ),
      deleteDevice: db
        .prepare<[string], string | null>(
          'DELETE FROM chat_inbox WHERE device_id = ? RETURNING envelope_id',
        )
        .pluck(),
      deleteSeq: db.prepare<[string]>('DELETE FROM chat_device_seqs WHERE device_id = ?'),
      releaseEnvelope: db.prepare<[number, string]>(
        'UPDATE chat_envelopes SET refs = refs - ? WHERE envelope_id = ?',
      ),
      dropEnvelope: db.prepare<[string]>(
        'DELETE FROM chat_envelopes WHERE envelope_id = ? AND refs <= 0',
      ),
      insertReceipt: db.prepare<[string, string, string, string | null, number]>(
        `INSERT INTO chat_receipts (recipient_user_id, message_id, sender_user_id, group_id, delivered, expires_at)
         VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING`,
      ),
      markDelivered: db.prepare<[string, string, string]>(
        `UPDATE chat_receipts SET delivered = 1
         WHERE recipient_user_id = ? AND message_id = ? AND sender_user_id = ? AND delivered = 0`,
      ),
      markRead: db.prepare<[string, string, string]>(
        'DELETE FROM chat_receipts WHERE recipient_user_id = ? AND message_id = ? AND sender_user_id = ?',
      ),
      read: db.prepare<[string, number, number, number], InboxItem>(
        `SELECT i.seq AS seq, coalesce(i.payload, e.payload) AS payload
         FROM chat_inbox i LEFT JOIN chat_envelopes e ON e.envelope_id = i.envelope_id
         WHERE i.device_id = ? AND i.seq > ? AND i.expires_at > ?
         ORDER BY i.seq LIMIT ?`,
      ),
      messagesUpTo: db.prepare<[string, number, string], ReceiptRow>(
        `SELECT sender_user_id, message_id, group_id FROM chat_inbox
         WHERE device_id = ? AND seq <= ? AND sender_user_id IS NOT NULL AND sender_user_id <> ?
         ORDER BY seq`,
      ),
      pendingReceipts: db.prepare<[string, string], ReceiptRow>(
        `SELECT sender_user_id, message_id, group_id FROM chat_receipts
         WHERE recipient_user_id = ? AND message_id IN (SELECT value FROM json_each(?))`,
      ),
      expiredItems: db.prepare<[number, number]>(
        `DELETE FROM chat_inbox WHERE (device_id, seq) IN
           (SELECT device_id, seq FROM chat_inbox WHERE expires_at <= ? LIMIT ?)`,
      ),
      expiredEnvelopes: db.prepare<[number, number]>(
        `DELETE FROM chat_envelopes WHERE envelope_id IN
           (SELECT envelope_id FROM chat_envelopes WHERE expires_at <= ? LIMIT ?)`,
      ),
      expiredKeys: db.prepare<[number, number]>(
        `DELETE FROM chat_message_keys WHERE key IN
           (SELECT key FROM chat_message_keys WHERE expires_at <= ? LIMIT ?)`,
      ),
      expiredReceipts: db.prepare<[number, number]>(
        `DELETE FROM chat_receipts WHERE (recipient_user_id, message_id, sender_user_id) IN
           (SELECT recipient_user_id, message_id, sender_user_id FROM chat_receipts
            WHERE expires_at <= ? LIMIT ?)`,
      ),
    };

    this.applyBatch = db.transaction((batch: PendingDelivery[]) => {
      const results = batch.map((op) => this.apply(op.delivery));
      this.saveSeqs();
      return results;
    });
    this.applyOne = db.transaction((delivery: Delivery) => {
      const result = this.apply(delivery);
      this.saveSeqs();
      return result;
    });
  }

  private saveSeqs(): void {
    for (const [deviceId, seq] of this.seqs) this.stmt.saveSeq.run(deviceId, seq);
  }

  deliver(delivery: Delivery): Promise<DeliveryResult> {
    if (this.closed) return Promise.reject(new Error('the inbox store is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ delivery, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        const wait = this.lastCommit + this.commitInterval - performance.now();
        if (wait <= 0) setImmediate(this.flush);
        else setTimeout(this.flush, wait);
      }
    });
  }

  private readonly flush = (): void => {
    if (this.db.inTransaction) {
      // Kysely holds a transaction open on the shared connection: wait for its end.
      setImmediate(this.flush);
      return;
    }
    const batch =
      this.pending.length > MAX_BATCH ? this.pending.splice(0, MAX_BATCH) : this.pending;
    if (batch === this.pending) this.pending = [];
    const started = performance.now();
    let results: Array<DeliveryResult | Error>;
    try {
      this.seqs = new Map();
      results = this.applyBatch(batch);
      for (const [deviceId, seq] of this.seqs) this.committedSeqs.set(deviceId, seq);
    } catch {
      this.committedSeqs.clear();
      this.forgetTracked();
      // One delivery failed and the batch was rolled back: apply each alone, so that
      // only the failing one fails.
      results = batch.map((op) => {
        this.seqs = new Map();
        try {
          const result = this.applyOne(op.delivery);
          for (const [deviceId, seq] of this.seqs) this.committedSeqs.set(deviceId, seq);
          return result;
        } catch (error) {
          this.forgetTracked();
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    }
    this.seqs = new Map();
    this.lastCommit = performance.now();
    this.commitInterval =
      batch.length <= 1
        ? 0
        : Math.min(MAX_COMMIT_INTERVAL_MS, batch.length * COMMIT_WAIT_PER_DELIVERY_MS);
    this.onCommit(batch.length, (this.lastCommit - started) / 1000);
    for (let i = 0; i < batch.length; i++) {
      const result = results[i]!;
      if (result instanceof Error) batch[i]!.reject(result);
      else batch[i]!.resolve(result);
    }
    if (this.pending.length > 0) {
      setImmediate(this.flush);
    } else {
      this.scheduled = false;
      for (const done of this.idle.splice(0)) done();
    }
  };

  private nextSeq(deviceId: string): number {
    const seq =
      (this.seqs.get(deviceId) ??
        this.committedSeqs.get(deviceId) ??
        this.stmt.lastSeq.get(deviceId) ??
        0) + 1;
    this.seqs.set(deviceId, seq);
    return seq;
  }

  /** Notes an appended row; a device seen for the first time is tracked from here. */
  private track(deviceId: string, row: TrackedRow): void {
    const listed = row.message !== null || row.envelopeId !== null;
    const entry = this.tracked.get(deviceId);
    if (entry === undefined) {
      if (this.tracked.size >= SEQ_CACHE_DEVICES) this.forgetTracked();
      this.tracked.set(deviceId, { base: row.seq - 1, rows: listed ? [row] : [] });
    } else if (listed) {
      entry.rows.push(row);
    }
    if (listed && ++this.trackedRows > TRACKED_ROWS_MAX) this.forgetTracked();
  }

  private forgetTracked(): void {
    this.tracked.clear();
    this.trackedRows = 0;
  }

  private forgetDevice(deviceId: string): void {
    const entry = this.tracked.get(deviceId);
    if (entry === undefined) return;
    this.tracked.delete(deviceId);
    this.trackedRows -= entry.rows.length;
  }

  /** Deletes a device's rows up to a seq, releasing the envelopes they pointed at. */
  private deleteUpTo(deviceId: string, uptoSeq: number): void {
    const entry = this.tracked.get(deviceId);
    if (entry === undefined) {
      this.release(this.stmt.deleteUpTo.all(deviceId, uptoSeq));
      return;
    }
    const rows = entry.rows;
    let gone = 0;
    while (gone < rows.length && rows[gone]!.seq <= uptoSeq) gone++;
    if (entry.base > 0) {
      // Rows older than the tracking may be among them: the table says which envelopes.
      this.release(this.stmt.deleteUpTo.all(deviceId, uptoSeq));
      if (uptoSeq >= entry.base) entry.base = 0;
    } else {
      this.stmt.deleteUpToKnown.run(deviceId, uptoSeq);
      let envelopeIds: Array<string | null> | undefined;
      for (let i = 0; i < gone; i++) {
        const envelopeId = rows[i]!.envelopeId;
        if (envelopeId !== null) (envelopeIds ??= []).push(envelopeId);
      }
      if (envelopeIds !== undefined) this.release(envelopeIds);
    }
    if (gone > 0) {
      rows.splice(0, gone);
      this.trackedRows -= gone;
    }
  }

  private apply(d: Delivery): DeliveryResult {
    if (d.key !== undefined) {
      const key = messageFirstKey(d.key);
      if (this.stmt.insertKey.run(key, d.ts, d.expiresAt).changes === 0) {
        return { applied: false, ts: this.stmt.keyTs.get(key) ?? d.ts, appended: [] };
      }
    }
    if (d.ack !== undefined) this.deleteUpTo(d.ack.deviceId, d.ack.uptoSeq);
    const appended: Appended[] = [];
    for (const write of d.writes ?? []) this.append(write, d.expiresAt, appended);
    if (d.expectReceipts !== undefined) {
      const { message, recipientUserIds } = d.expectReceipts;
      for (const userId of recipientUserIds) {
        this.stmt.insertReceipt.run(
          userId,
          message.messageId,
          message.senderUserId,
          message.groupId,
          d.expiresAt,
        );
      }
    }
    if (d.receipts !== undefined) {
      const mark = d.receipts.status === 'delivered' ? this.stmt.markDelivered : this.stmt.markRead;
      for (const item of d.receipts.items) {
        const { changes } = mark.run(
          d.receipts.recipientUserId,
          item.message.messageId,
          item.message.senderUserId,
        );
        if (changes === 0) continue;
        for (const write of item.writes) this.append(write, d.expiresAt, appended);
      }
    }
    return { applied: true, ts: d.ts, appended };
  }

  private append(write: InboxWrite, expiresAt: number, out: Appended[]): void {
    const message = write.message;
    const ref: MessageRef | null =
      message === undefined
        ? null
        : {
            senderUserId: message.senderUserId,
            messageId: message.messageId,
            groupId: message.groupId,
          };
    let envelopeId: string | null = null;
    if (write.deviceIds.length >= ENVELOPE_MIN_DEVICES) {
      envelopeId = randomUUID();
      this.stmt.insertEnvelope.run(envelopeId, write.payload, write.deviceIds.length, expiresAt);
    }
    for (const deviceId of write.deviceIds) {
      const seq = this.nextSeq(deviceId);
      this.stmt.insertItem.run(
        deviceId,
        seq,
        write.kind,
        message?.senderUserId ?? null,
        message?.messageId ?? null,
        message?.groupId ?? null,
        envelopeId === null ? write.payload : null,
        envelopeId,
        expiresAt,
      );
      out.push({ deviceId, seq, payload: write.payload });
      this.track(deviceId, { seq, message: ref, envelopeId });
    }
  }

  /** Releases the envelopes that deleted inbox rows pointed at. */
  private release(envelopeIds: Array<string | null>): void {
    let counts: Map<string, number> | undefined;
    for (const id of envelopeIds) {
      if (id === null) continue;
      counts ??= new Map();
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    if (counts === undefined) return;
    for (const [id, count] of counts) {
      this.stmt.releaseEnvelope.run(count, id);
      this.stmt.dropEnvelope.run(id);
    }
  }

  read(deviceId: string, afterSeq: number, limit: number, now: number): Promise<InboxItem[]> {
    return Promise.resolve(this.stmt.read.all(deviceId, afterSeq, now, limit));
  }

  lastSeq(deviceId: string): Promise<number> {
    return Promise.resolve(
      this.committedSeqs.get(deviceId) ?? this.stmt.lastSeq.get(deviceId) ?? 0,
    );
  }

  messagesUpTo(deviceId: string, uptoSeq: number, exceptSender: string): Promise<MessageRef[]> {
    const entry = this.tracked.get(deviceId);
    if (entry !== undefined && entry.base === 0) {
      const refs: MessageRef[] = [];
      for (const row of entry.rows) {
        if (row.seq > uptoSeq) break;
        if (row.message !== null && row.message.senderUserId !== exceptSender) {
          refs.push(row.message);
        }
      }
      return Promise.resolve(refs);
    }
    return Promise.resolve(
      this.stmt.messagesUpTo.all(deviceId, uptoSeq, exceptSender).map(toMessageRef),
    );
  }

  pendingReceipts(recipientUserId: string, messageIds: readonly string[]): Promise<MessageRef[]> {
    if (messageIds.length === 0) return Promise.resolve([]);
    return Promise.resolve(
      this.stmt.pendingReceipts.all(recipientUserId, JSON.stringify(messageIds)).map(toMessageRef),
    );
  }

  keyTs(key: string): Promise<number | null> {
    return Promise.resolve(this.stmt.keyTs.get(messageFirstKey(key)) ?? null);
  }

  async dropDevice(deviceId: string): Promise<void> {
    await this.whenNoTransaction();
    this.forgetDevice(deviceId);
    this.db.transaction(() => {
      this.release(this.stmt.deleteDevice.all(deviceId));
      this.stmt.deleteSeq.run(deviceId);
    })();
    this.committedSeqs.delete(deviceId);
  }

  async sweep(now: number): Promise<number> {
    let items = 0;
    const chunks = [
      this.stmt.expiredItems,
      this.stmt.expiredEnvelopes,
      this.stmt.expiredKeys,
      this.stmt.expiredReceipts,
    ];
    for (const statement of chunks) {
      for (;;) {
        await this.whenNoTransaction();
        const { changes } = statement.run(now, SWEEP_CHUNK);
        if (statement === this.stmt.expiredItems) {
          items += changes;
          // The rows in memory may include the ones just deleted.
          if (changes > 0) this.forgetTracked();
        }
        if (changes < SWEEP_CHUNK) break;
      }
    }
    return items;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.scheduled) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Resolves on a turn where Kysely holds no transaction open on the connection. */
  private async whenNoTransaction(): Promise<void> {
    while (this.db.inTransaction) await new Promise((resolve) => setImmediate(resolve));
  }
}

function toMessageRef(row: ReceiptRow): MessageRef {
  return { senderUserId: row.sender_user_id, messageId: row.message_id, groupId: row.group_id };
}
