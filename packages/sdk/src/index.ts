/**
 * The Switchboard chat SDK for browsers and Node. Node code that needs `ws` or a file
 * store imports `@switchboard/sdk/node`, which re-exports all of this.
 */
export {
  SwitchboardClient,
  type ClientEvents,
  type ConnectionState,
  type PresenceState,
  type Session,
  type SessionEndReason,
  type SwitchboardClientOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './client.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { TypedEmitter, type Listener } from './emitter.js';
export {
  DEFAULT_PAGE_SIZE,
  type HistoryQuery,
  type HistoryStore,
  type StoreWrite,
} from './history-store.js';
export { HttpApi, normaliseBaseUrl, webSocketUrl, type FetchFunction } from './http-api.js';
export { IndexedDbHistoryStore } from './indexeddb-history-store.js';
export { LocalHistory, type InboxChanges, type MessageChanges } from './local-history.js';
export { MemoryHistoryStore } from './memory-history-store.js';
export {
  addressOf,
  conversationIdFor,
  conversationIdOf,
  groupEventKey,
  isConversationId,
  messageKey,
  newMessageId,
  type ConversationId,
  type ConversationSummary,
  type HistoryPage,
  type JsonValue,
  type MessageStatus,
  type RecipientReceipt,
  type StoredMessage,
  type SyncState,
} from './model.js';
export { GroupsApi, UsersApi } from './resources.js';
export { TYPING_EXPIRY_MS, type TypingEvent } from './typing.js';
export {
  AppError,
  type Address,
  type BlockedUser,
  type ErrorCode,
  type Group,
  type GroupEventFrame,
  type GroupRole,
  type GroupSummary,
  type PublicUser,
  type ReceiptFrame,
  type UserPresence,
} from '@switchboard/shared';
