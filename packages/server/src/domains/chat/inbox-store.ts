/**
 * The transient message store: every device's inbox, the idempotency records of sends
 * and fan-outs, and the receipt state of messages. It is the source of truth of
 * delivery: a socket only ever sends what it read from here (or was told was written
 * here, in seq order).
 *
 * Embedded: SQLite with prepared statements and group commit. Scale-out: two stores
 * written in parallel behind this same port.
 */
export interface InboxStore {
  /**
   * Applies a delivery atomically: the ack, the receipt marks and every write, or
   * nothing. With a `key` that was already recorded nothing is written and the
   * original `ts` is answered.
   */
  deliver(delivery: Delivery): Promise<DeliveryResult>;
  /** Items of a device with `seq > afterSeq`, oldest first, at most `limit`, not expired at `now`. */
  read(deviceId: string, afterSeq: number, limit: number, now: number): Promise<InboxItem[]>;
  /** The last seq handed out to a device (0 for none): what an `after` may not exceed. */
  lastSeq(deviceId: string): Promise<number>;
  /**
   * Messages with `seq <= uptoSeq` still in a device's inbox and sent by someone other
   * than `exceptSender`: the ones whose acknowledgement may earn a delivered receipt.
   */
  messagesUpTo(deviceId: string, uptoSeq: number, exceptSender: string): Promise<MessageRef[]>;
  /** Receipt state rows of a recipient for these message ids (ids of any sender). */
  pendingReceipts(recipientUserId: string, messageIds: readonly string[]): Promise<MessageRef[]>;
  /** The `ts` recorded with an idempotency key, or null. */
  keyTs(key: string): Promise<number | null>;
  /** Forgets a device: its inbox and its seq counter (after its session was revoked). */
  dropDevice(deviceId: string): Promise<void>;
  /** Deletes what expired at `now`; answers how many inbox items went. */
  sweep(now: number): Promise<number>;
  /** Waits for buffered writes; after this, `deliver` refuses. */
  close(): Promise<void>;
}

/** The kinds of inbox items, as the `type` of their frame. */
export type InboxKind = 'msg' | 'receipt' | 'group';

/** An inbox item as sent to its device: its seq, and its frame as JSON without the seq. */
export interface InboxItem {
  readonly seq: number;
  /** `{"type":"msg",...}`: the frame without `seq`, serialised once for every device. */
  readonly payload: string;
}

/** The identity of a message, kept beside its inbox rows and its receipt state. */
export interface MessageRef {
  readonly senderUserId: string;
  readonly messageId: string;
  /** The group it went to, or null for 1:1. */
  readonly groupId: string | null;
}

/** One payload appended to the inbox of each of several devices. */
export interface InboxWrite {
  readonly kind: InboxKind;
  readonly payload: string;
  readonly deviceIds: readonly string[];
  /** For `msg` writes: what an acknowledgement of it refers to. */
  readonly message?: MessageRef;
}

/**
 * Receipts to emit at most once: for each message whose receipt state is still open
 * (`delivered`: not yet marked delivered; `read`: not yet read), the state is closed
 * and the writes appended; for the others nothing happens.
 */
export interface ReceiptMarks {
  readonly status: 'delivered' | 'read';
  /** The recipient whose receipt state is marked. */
  readonly recipientUserId: string;
  readonly items: ReadonlyArray<{ readonly message: MessageRef; readonly writes: InboxWrite[] }>;
}

/** Everything one step of the chat flow writes, applied in one transaction. */
export interface Delivery {
  /** Idempotency key: a delivery with a key is applied at most once. */
  readonly key?: string;
  /** Stored with the key; answered again for a duplicate. */
  readonly ts: number;
  /** When the items, the key and the receipt state expire (ms since the epoch). */
  readonly expiresAt: number;
  /** Deletes a device's items up to a seq (a cumulative ack), in the same transaction. */
  readonly ack?: { readonly deviceId: string; readonly uptoSeq: number };
  readonly writes?: readonly InboxWrite[];
  /** Opens receipt state for these recipients of a message. */
  readonly expectReceipts?: {
    readonly message: MessageRef;
    readonly recipientUserIds: readonly string[];
  };
  readonly receipts?: ReceiptMarks;
}

/** An item that was appended, for waking the socket of its device. */
export interface Appended {
  readonly deviceId: string;
  readonly seq: number;
  readonly payload: string;
}

/** What a delivery did. */
export interface DeliveryResult {
  /** False when the key had already been recorded: nothing was written. */
  readonly applied: boolean;
  /** The ts recorded with the key (the original one for a duplicate). */
  readonly ts: number;
  /** The items appended, grouped by device in seq order. */
  readonly appended: readonly Appended[];
}

/**
 * The idempotency key of a send: one per sending user and message id. Keys end with the
 * message id (which has no colon): see `messageFirstKey`.
 */
export function sendKey(userId: string, messageId: string): string {
  return `s:${userId}:${messageId}`;
}

/** The idempotency key of a group fan-out, applied once whatever the retries. */
export function fanoutKey(userId: string, messageId: string): string {
  return `f:${userId}:${messageId}`;
}

/**
 * How the SQL stores keep an idempotency key: its last part (the message id) moved to
 * the front, `s:<user>:<messageId>` → `<messageId>:s:<user>`, so that the records of
 * time-ordered ids (UUIDv7, what the SDK sends) are appended at the right edge of the
 * key's B-tree instead of each writing a random leaf. A key without a colon is kept as
 * it is; distinct keys stay distinct. Migration 0007 converted the older rows this way.
 */
export function messageFirstKey(key: string): string {
  const colon = key.lastIndexOf(':');
  return colon < 0 ? key : `${key.slice(colon + 1)}:${key.slice(0, colon)}`;
}

/**
 * The frame of an inbox item: its payload with `"seq":n` after the type, so that the
 * JSON of an item is built once per device without parsing it.
 */
export function itemFrame(seq: number, payload: string): string {
  // Payloads start with `{"type":"<kind>"`, and kinds contain no comma.
  const comma = payload.indexOf(',');
  return `${payload.slice(0, comma)},"seq":${seq}${payload.slice(comma)}`;
}
