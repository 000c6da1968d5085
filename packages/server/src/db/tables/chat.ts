/** Row types of the chat tables, as Kysely sees them (see migrations/0003-chat.ts, 0007). */
export interface ChatTables {
  chat_inbox: ChatInboxRow;
  chat_envelopes: ChatEnvelopeRow;
  chat_device_seqs: ChatDeviceSeqRow;
  chat_message_keys: ChatMessageKeyRow;
  chat_receipts: ChatReceiptRow;
  chat_groups: ChatGroupRow;
  chat_group_members: ChatGroupMemberRow;
  chat_contacts: ChatContactRow;
  chat_blocks: ChatBlockRow;
  chat_fanout_jobs: ChatFanoutJobRow;
}

/** An item waiting in a device's inbox. */
export interface ChatInboxRow {
  device_id: string;
  seq: number;
  kind: string;
  /** For messages: who sent it, to find its receipt state when the device acknowledges. */
  sender_user_id: string | null;
  message_id: string | null;
  group_id: string | null;
  /** The frame without its seq; null when the payload lives in `chat_envelopes`. */
  payload: string | null;
  envelope_id: string | null;
  expires_at: number;
}

/** A payload shared by the inbox rows of many devices (group messages). */
export interface ChatEnvelopeRow {
  envelope_id: string;
  payload: string;
  /** Inbox rows still pointing here; the envelope goes when it reaches zero. */
  refs: number;
  expires_at: number;
}

/** The last seq handed out to a device. */
export interface ChatDeviceSeqRow {
  device_id: string;
  last_seq: number;
}

/** An idempotency record of a send or of an applied fan-out. */
export interface ChatMessageKeyRow {
  /** `messageFirstKey` of the key (`<messageId>:s:<user>`), see migrations/0007. */
  key: string;
  ts: number;
  expires_at: number;
}

/**
 * Receipt state of one message for one recipient user; keyed (message_id,
 * recipient_user_id, sender_user_id), message id first (migrations/0007).
 */
export interface ChatReceiptRow {
  recipient_user_id: string;
  message_id: string;
  sender_user_id: string;
  group_id: string | null;
  delivered: number;
  expires_at: number;
}

export interface ChatGroupRow {
  group_id: string;
  name: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface ChatGroupMemberRow {
  group_id: string;
  user_id: string;
  role: string;
  joined_at: number;
  position: number;
}

export interface ChatContactRow {
  user_id: string;
  contact_user_id: string;
  created_at: number;
}

export interface ChatBlockRow {
  user_id: string;
  blocked_user_id: string;
  created_at: number;
}

export interface ChatFanoutJobRow {
  job_id: string;
  payload: string;
  position: number;
  attempts: number;
  available_at: number;
  locked_until: number;
  created_at: number;
}
