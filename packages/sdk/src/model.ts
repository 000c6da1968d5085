import type { Address, GroupEventFrame, ReceiptFrame } from '@switchboard/shared';
import { v7 as uuidv7 } from 'uuid';

/** Any JSON value: what a message body may be. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A conversation's id in the local history: `user:<userId>` for a 1:1 conversation,
 * `group:<groupId>` for a group.
 */
export type ConversationId = `user:${string}` | `group:${string}`;

/**
 * Where a message is in its life. Outgoing: `pending` (in the outbox) → `sent` (stored
 * by the server) → `delivered` (a recipient device has it) → `read`, or `failed` (the
 * server refused it for good). Incoming: `received`, then `read` once this user has
 * read it (on any of their devices).
 */
export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'received';

/** The receipt a recipient user gave one of my messages. */
export interface RecipientReceipt {
  readonly status: 'delivered' | 'read';
  readonly ts: number;
}

/** A message as the local history keeps it. */
export interface StoredMessage {
  /** Unique in the store: `<from.user>/<id>` (ids are unique per sender). */
  readonly key: string;
  readonly id: string;
  readonly conversationId: ConversationId;
  readonly from: { readonly user: string; readonly device: string };
  readonly to: Address;
  /** The server's timestamp (ms); for a pending message, when it was written. */
  readonly ts: number;
  readonly body: JsonValue;
  /** True when this user sent it (from this device or another of theirs). */
  readonly outgoing: boolean;
  readonly status: MessageStatus;
  /** Per recipient user, the furthest receipt (outgoing messages; one entry for 1:1). */
  readonly receipts: Readonly<Record<string, RecipientReceipt>>;
  /** When this store got it, relative to the others: breaks timestamp ties by arrival. */
  readonly localOrder: number;
  /** Sort key within the conversation: timestamp, then local order, then the key. */
  readonly sortKey: string;
  /** Set while the message waits in the outbox: its place in the send order. */
  readonly outboxOrder?: number;
  /** Set (to the conversation id) while an incoming message is unread. */
  readonly unreadIn?: ConversationId;
  /**
   * `event` for a group change kept in the timeline ("Bob added Carol"): its body is
   * `{ event, by, userId?, name?, role? }`, it is never unread and has no delivery status.
   */
  readonly kind?: 'event';
  /** The error code the server answered, for a `failed` message. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** A conversation as a conversation list shows it. */
export interface ConversationSummary {
  readonly conversationId: ConversationId;
  /** Where messages of this conversation are sent. */
  readonly to: Address;
  readonly kind: 'user' | 'group';
  /** The group's name (groups only; 1:1 titles are the app's to resolve). */
  readonly title?: string;
  /** The newest message, if any. */
  readonly lastMessage?: StoredMessage;
  /** When something last happened here (ms): orders the conversation list. */
  readonly lastActivity: number;
  /** Incoming messages not read yet. */
  readonly unread: number;
  /** True once this user left or was removed from the group. */
  readonly left?: boolean;
}

/** Which account and device a store belongs to, and how far its inbox is stored. */
export interface SyncState {
  readonly userId: string;
  readonly deviceId: string;
  /** The last inbox `seq` safely stored: sent as `after` on the next connection. */
  readonly lastSeq: number;
  /** Next local order number: orders messages of the same millisecond, and the outbox. */
  readonly nextOrder: number;
  /** Ids of messages read here whose `read` frame the server has not confirmed yet. */
  readonly pendingReads: readonly string[];
}

/** A page of history, oldest first, and the cursor of the older page (`null` at the start). */
export interface HistoryPage {
  readonly messages: StoredMessage[];
  readonly nextCursor: string | null;
}

/** An inbox item, once stored, as the client reports it. */
export type InboxEvent =
  | { readonly type: 'message'; readonly message: StoredMessage }
  | { readonly type: 'receipt'; readonly receipt: ReceiptFrame; readonly message?: StoredMessage }
  | { readonly type: 'group'; readonly event: GroupEventFrame };

/** The conversation a message belongs to, seen by user `me`. */
export function conversationIdOf(
  message: { readonly from: { readonly user: string }; readonly to: Address },
  me: string,
): ConversationId {
  if ('group' in message.to) return `group:${message.to.group}`;
  return `user:${message.to.user === me ? message.from.user : message.to.user}`;
}

/** The conversation id of an address I send to. */
export function conversationIdFor(to: Address): ConversationId {
  return 'group' in to ? `group:${to.group}` : `user:${to.user}`;
}

/**
 * The address to send to in a conversation.
 *
 * @example
 * addressOf('group:g1'); // { group: 'g1' }
 */
export function addressOf(conversationId: ConversationId): Address {
  if (conversationId.startsWith('group:')) return { group: conversationId.slice(6) };
  return { user: conversationId.slice(5) };
}

/** True when `value` is a well-formed conversation id. */
export function isConversationId(value: string): value is ConversationId {
  return /^(user|group):.+$/.test(value);
}

/** The store key of a group event in the timeline (the same change stored once). */
export function groupEventKey(event: {
  readonly groupId: string;
  readonly event: string;
  readonly by: string;
  readonly userId?: string | undefined;
  readonly ts: number;
}): string {
  return `event:${event.groupId}/${event.event}/${event.userId ?? event.by}/${event.ts}`;
}

/** The store key of a message: ids are unique per sender, not globally. */
export function messageKey(fromUser: string, id: string): string {
  return `${fromUser}/${id}`;
}

/**
 * The sort key of a message: zero-padded timestamp, then local order (two messages of
 * the same millisecond keep the order they came in), then the key, so keys are unique.
 */
export function sortKeyOf(ts: number, localOrder: number, key: string): string {
  const pad = (n: number, width: number) => String(Math.max(0, Math.trunc(n))).padStart(width, '0');
  return `${pad(ts, 16)}:${pad(localOrder, 12)}:${key}`;
}

const STATUS_RANK: Record<MessageStatus, number> = {
  failed: -1,
  pending: 0,
  received: 0,
  sent: 1,
  delivered: 2,
  read: 3,
};

/** The further of two statuses (a late `delivered` never undoes `read`). */
export function furthestStatus(a: MessageStatus, b: MessageStatus): MessageStatus {
  return STATUS_RANK[b] > STATUS_RANK[a] ? b : a;
}

/**
 * A new message id: a UUIDv7 (RFC 9562), a 48-bit Unix time in milliseconds first and
 * random bits after it, so that ids sort by the time they were made (those made in one
 * millisecond by this client count up). The server keeps its records of a message by
 * id, and stores time-ordered ids at the end of its indexes, where they cost it least;
 * any other id of 1 to 64 url-safe characters is accepted as well. Made with
 * `getRandomValues`, which a page served over plain http on a LAN has too (unlike
 * `randomUUID`).
 *
 * @example
 * await client.send(to, body, { id: newMessageId() });
 */
export function newMessageId(): string {
  return uuidv7();
}
