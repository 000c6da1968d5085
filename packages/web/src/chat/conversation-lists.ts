import type { ConversationSummary, StoredMessage } from '@switchboard/sdk';

/** The conversation list with `summary` put in (or replaced), most recent activity first. */
export function upsertConversation(
  list: readonly ConversationSummary[],
  summary: ConversationSummary,
): ConversationSummary[] {
  const next = list.filter((c) => c.conversationId !== summary.conversationId);
  next.push(summary);
  return next.sort(
    (a, b) => b.lastActivity - a.lastActivity || (a.conversationId < b.conversationId ? -1 : 1),
  );
}

/**
 * A conversation's loaded messages with `message` put in (or replaced: its status or
 * even its place changed, as a pending message takes the server's time when sent).
 */
export function upsertMessage(
  list: readonly StoredMessage[],
  message: StoredMessage,
): StoredMessage[] {
  const index = list.findIndex((m) => m.key === message.key);
  if (index >= 0 && list[index]!.sortKey === message.sortKey) {
    const next = [...list];
    next[index] = message;
    return next;
  }
  const next = index >= 0 ? list.filter((m) => m.key !== message.key) : [...list];
  // Most arrivals are the newest: search from the end.
  let at = next.length;
  while (at > 0 && next[at - 1]!.sortKey > message.sortKey) at -= 1;
  next.splice(at, 0, message);
  return next;
}

/** Older messages put before the loaded ones, skipping any already there. */
export function prependMessages(
  list: readonly StoredMessage[],
  older: readonly StoredMessage[],
): StoredMessage[] {
  const known = new Set(list.map((m) => m.key));
  return [...older.filter((m) => !known.has(m.key)), ...list];
}
