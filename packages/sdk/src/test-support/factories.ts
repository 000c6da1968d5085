import type { Address } from '@switchboard/shared';
import {
  conversationIdOf,
  messageKey,
  sortKeyOf,
  type ConversationSummary,
  type StoredMessage,
} from '../model.js';

let counter = 0;

/** A stored message for store tests; `me` decides whether it is outgoing. */
export function storedMessage(
  overrides: Partial<StoredMessage> & {
    from?: { user: string; device: string };
    to?: Address;
  } = {},
  me = 'me',
): StoredMessage {
  counter += 1;
  const id = overrides.id ?? `m${counter}`;
  const from = overrides.from ?? { user: 'bob', device: 'bob-d1' };
  const to = overrides.to ?? { user: me };
  const ts = overrides.ts ?? 1_000 + counter;
  const key = messageKey(from.user, id);
  const conversationId = conversationIdOf({ from, to }, me);
  const outgoing = from.user === me;
  return {
    key,
    id,
    conversationId,
    from,
    to,
    ts,
    body: { text: `message ${id}` },
    outgoing,
    status: outgoing ? 'sent' : 'received',
    receipts: {},
    localOrder: counter,
    sortKey: sortKeyOf(ts, counter, key),
    ...(outgoing ? {} : { unreadIn: conversationId }),
    ...overrides,
  };
}

/** A conversation summary for store tests. */
export function conversationSummary(
  overrides: Partial<ConversationSummary> = {},
): ConversationSummary {
  return {
    conversationId: 'user:bob',
    to: { user: 'bob' },
    kind: 'user',
    lastActivity: 1_000,
    unread: 0,
    ...overrides,
  };
}
